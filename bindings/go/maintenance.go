package coffer

/*
#include <stdint.h>
#include <coffer/coffer.h>

int coffer_go_progress(const coffer_progress* progress, void* user);

static coffer_status go_check(coffer_repo* repo, const char* options, uintptr_t op, char** out,
                              coffer_error** err) {
  return coffer_check_with_progress(repo, options, coffer_go_progress, (void*)op, out, err);
}
*/
import "C"

import (
	"context"
	"runtime/cgo"
)

// Retention says which snapshots to keep; zero fields are unset. Counts
// keep the newest snapshot of each of the N newest periods; -1 means
// unlimited.
type Retention struct {
	KeepLast    int      `json:"keep_last,omitempty"`
	KeepHourly  int      `json:"keep_hourly,omitempty"`
	KeepDaily   int      `json:"keep_daily,omitempty"`
	KeepWeekly  int      `json:"keep_weekly,omitempty"`
	KeepMonthly int      `json:"keep_monthly,omitempty"`
	KeepYearly  int      `json:"keep_yearly,omitempty"`
	KeepWithin  string   `json:"keep_within,omitempty"` // e.g. "7d", "1y6m", "90min"
	KeepTags    []string `json:"keep_tags,omitempty"`
	TimeZone    string   `json:"time_zone,omitempty"` // IANA name; default UTC
}

// ForgetOptions select the snapshots to remove: those Retention does not
// keep (among the snapshots of Hosts/Tags/Paths), and those in Snapshots.
type ForgetOptions struct {
	Retention *Retention `json:"retention,omitempty"`
	Snapshots []string   `json:"snapshots,omitempty"` // ids or unique prefixes
	Hosts     []string   `json:"hosts,omitempty"`
	Tags      []string   `json:"tags,omitempty"`
	Paths     []string   `json:"paths,omitempty"`
	DryRun    bool       `json:"dry_run"`
}

// Decision is what retention decided for one snapshot.
type Decision struct {
	ID      string   `json:"id"`
	Keep    bool     `json:"keep"`
	Reasons []string `json:"reasons"`
	Group   string   `json:"group"`
}

// ForgetResult lists the removed snapshots and every decision.
type ForgetResult struct {
	DryRun    bool       `json:"dry_run"`
	Removed   []string   `json:"removed"`
	Decisions []Decision `json:"decisions"`
}

// Forget removes snapshot objects (their data goes with Prune).
func (r *Repository) Forget(ctx context.Context, opts ForgetOptions) (*ForgetResult, error) {
	var res ForgetResult
	if err := r.maintenance(ctx, "Forget", opts, &res,
		func(h *C.coffer_repo, o *C.char, out **C.char, e **C.coffer_error) C.coffer_status {
			return C.coffer_forget(h, o, out, e)
		}); err != nil {
		return nil, err
	}
	return &res, nil
}

// PruneOptions tune Prune. RepackThreshold 0 keeps the default (0.25).
type PruneOptions struct {
	DryRun          bool    `json:"dry_run"`
	RepackThreshold float64 `json:"repack_threshold,omitempty"`
}

// PruneResult says what Prune deleted and rewrote.
type PruneResult struct {
	DryRun                bool   `json:"dry_run"`
	Snapshots             uint64 `json:"snapshots"`
	PacksBefore           uint64 `json:"packs_before"`
	PacksDeleted          uint64 `json:"packs_deleted"`
	PacksRepacked         uint64 `json:"packs_repacked"`
	PacksWritten          uint64 `json:"packs_written"`
	UnindexedPacksDeleted uint64 `json:"unindexed_packs_deleted"`
	BlobsUsed             uint64 `json:"blobs_used"`
	BlobsRemoved          uint64 `json:"blobs_removed"`
	BytesBefore           uint64 `json:"bytes_before"`
	BytesDeleted          uint64 `json:"bytes_deleted"`
	BytesWritten          uint64 `json:"bytes_written"`
	BytesFreed            int64  `json:"bytes_freed"`
	IndexObjectsReplaced  uint64 `json:"index_objects_replaced"`
}

// Prune deletes data no snapshot references and repacks mostly unused packs.
func (r *Repository) Prune(ctx context.Context, opts PruneOptions) (*PruneResult, error) {
	var res PruneResult
	if err := r.maintenance(ctx, "Prune", opts, &res,
		func(h *C.coffer_repo, o *C.char, out **C.char, e **C.coffer_error) C.coffer_status {
			return C.coffer_prune(h, o, out, e)
		}); err != nil {
		return nil, err
	}
	return &res, nil
}

// CheckOptions choose how much data Check reads.
type CheckOptions struct {
	ReadData       bool   `json:"read_data"`
	ReadDataSubset string `json:"read_data_subset,omitempty"` // "10%" or "2/5"
	// Progress is called with PhaseVerifying while trees, then packs are
	// checked. A panic in it stops the check and is raised again in the caller.
	Progress func(Progress) `json:"-"`
}

// Problem is something Check found.
type Problem struct {
	Object  string `json:"object"`
	Message string `json:"message"`
}

// CheckResult reports damage as data (OK false), not as an error.
type CheckResult struct {
	OK        bool      `json:"ok"`
	Snapshots uint64    `json:"snapshots"`
	Trees     uint64    `json:"trees"`
	Blobs     uint64    `json:"blobs"`
	Packs     uint64    `json:"packs"`
	PacksRead uint64    `json:"packs_read"`
	BytesRead uint64    `json:"bytes_read"`
	Errors    []Problem `json:"errors"`
	Notices   []Problem `json:"notices"`
	Damaged   []struct {
		SnapshotID string `json:"snapshot_id"`
		Path       string `json:"path"`
	} `json:"damaged"`
}

// Check verifies the repository's structure and, optionally, its data.
// Cancelling ctx stops it (the error matches ErrCancelled and ctx.Err()).
func (r *Repository) Check(ctx context.Context, opts CheckOptions) (*CheckResult, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var cs cstrings
	defer cs.free()
	copts := cs.json(opts)
	if cs.err != nil {
		return nil, cs.err
	}
	op := &operation{ctx: ctx, repo: r, progress: opts.Progress}
	opHandle := cgo.NewHandle(op)
	defer opHandle.Delete()
	var res CheckResult
	err := r.runOperation(op, "Check", func(h *C.coffer_repo, out **C.char, e **C.coffer_error) C.coffer_status {
		return C.go_check(h, copts, C.uintptr_t(opHandle), out, e)
	}, &res)
	if err != nil {
		return nil, err
	}
	return &res, nil
}

// RepairResult says what Repair rebuilt; see coffer_repair for the fields.
type RepairResult struct {
	DryRun               bool   `json:"dry_run"`
	PacksRead            uint64 `json:"packs_read"`
	PacksDamaged         uint64 `json:"packs_damaged"`
	PacksSalvaged        uint64 `json:"packs_salvaged"`
	BlobsIndexed         uint64 `json:"blobs_indexed"`
	BlobsDamaged         uint64 `json:"blobs_damaged"`
	IndexObjectsReplaced uint64 `json:"index_objects_replaced"`
	Snapshots            uint64 `json:"snapshots"`
	Repaired             []struct {
		OldID string   `json:"old_id"`
		NewID *string  `json:"new_id"`
		Lost  []string `json:"lost"`
	} `json:"repaired"`
	UnreadableSnapshots []string `json:"unreadable_snapshots"`
}

// Repair rebuilds the index from the packs and salvages damaged snapshots.
func (r *Repository) Repair(ctx context.Context, dryRun bool) (*RepairResult, error) {
	var res RepairResult
	opts := struct {
		DryRun bool `json:"dry_run"`
	}{dryRun}
	if err := r.maintenance(ctx, "Repair", opts, &res,
		func(h *C.coffer_repo, o *C.char, out **C.char, e **C.coffer_error) C.coffer_status {
			return C.coffer_repair(h, o, out, e)
		}); err != nil {
		return nil, err
	}
	return &res, nil
}

// UnlockResult lists the locks found and which were removed.
type UnlockResult struct {
	Removed int `json:"removed"`
	Locks   []struct {
		ID          string `json:"id"`
		Description string `json:"description"`
		Stale       bool   `json:"stale"`
		Removed     bool   `json:"removed"`
	} `json:"locks"`
}

// Unlock removes stale locks, or every lock with removeAll (only when no
// coffer process uses the repository).
func (r *Repository) Unlock(ctx context.Context, removeAll bool) (*UnlockResult, error) {
	var res UnlockResult
	err := r.jsonCall(ctx, "Unlock", func(h *C.coffer_repo, out **C.char, e **C.coffer_error) C.coffer_status {
		return C.coffer_unlock(h, boolInt(removeAll), out, e)
	}, &res)
	if err != nil {
		return nil, err
	}
	return &res, nil
}

// maintenance runs a call that takes JSON options and returns JSON.
func (r *Repository) maintenance(ctx context.Context, what string, opts, res any,
	fn func(*C.coffer_repo, *C.char, **C.char, **C.coffer_error) C.coffer_status) error {
	var cs cstrings
	defer cs.free()
	copts := cs.json(opts)
	if cs.err != nil {
		return cs.err
	}
	return r.jsonCall(ctx, what, func(h *C.coffer_repo, out **C.char, e **C.coffer_error) C.coffer_status {
		return fn(h, copts, out, e)
	}, res)
}
