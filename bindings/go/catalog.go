package coffer

/*
#include <coffer/coffer.h>
*/
import "C"

import "context"

// Snapshots lists the snapshots the filter admits (nil: all), oldest first.
func (r *Repository) Snapshots(ctx context.Context, filter *Filter) ([]Snapshot, error) {
	var cs cstrings
	defer cs.free()
	var f any
	if filter != nil {
		f = filter
	}
	cf := cs.json(f)
	if cs.err != nil {
		return nil, cs.err
	}
	snaps := []Snapshot{}
	err := r.jsonCall(ctx, "Snapshots", func(h *C.coffer_repo, out **C.char, e **C.coffer_error) C.coffer_status {
		return C.coffer_snapshots_list(h, cf, out, e)
	}, &snaps)
	return snaps, err
}

// Snapshot returns one snapshot by "latest", a full id or a unique prefix
// of at least 4 hex digits. ErrNotFound when none matches; ErrInvalidArgument
// for a malformed or ambiguous reference.
func (r *Repository) Snapshot(ctx context.Context, ref string) (*Snapshot, error) {
	var cs cstrings
	defer cs.free()
	cref := cs.str(ref)
	if cs.err != nil {
		return nil, cs.err
	}
	var snap Snapshot
	err := r.jsonCall(ctx, "Snapshot", func(h *C.coffer_repo, out **C.char, e **C.coffer_error) C.coffer_status {
		return C.coffer_snapshot_get(h, cref, out, e)
	}, &snap)
	if err != nil {
		return nil, err
	}
	return &snap, nil
}

// List returns the node at path ("" means "/") of a snapshot ("latest", an
// id or a unique prefix) and its direct children, or with recursive every
// node below it, depth first in name order. ErrNotFound when the path is not
// in the snapshot.
func (r *Repository) List(ctx context.Context, snapshot, path string, recursive bool) ([]Node, error) {
	var cs cstrings
	defer cs.free()
	csnap, cpath := cs.str(snapshot), cs.optional(path)
	if cs.err != nil {
		return nil, cs.err
	}
	nodes := []Node{}
	err := r.jsonCall(ctx, "List", func(h *C.coffer_repo, out **C.char, e **C.coffer_error) C.coffer_status {
		return C.coffer_snapshot_ls(h, csnap, cpath, boolInt(recursive), out, e)
	}, &nodes)
	return nodes, err
}

// Walk calls fn for every node at and below path of a snapshot, depth
// first; an error fn returns stops the walk and is returned.
func (r *Repository) Walk(ctx context.Context, snapshot, path string, fn func(Node) error) error {
	nodes, err := r.List(ctx, snapshot, path, true)
	if err != nil {
		return err
	}
	for _, n := range nodes {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(n); err != nil {
			return err
		}
	}
	return nil
}

// Find returns nodes whose path matches pattern in the filtered snapshots.
func (r *Repository) Find(ctx context.Context, pattern string, filter *Filter) ([]Match, error) {
	var cs cstrings
	defer cs.free()
	var f any
	if filter != nil {
		f = filter
	}
	cpat, cf := cs.str(pattern), cs.json(f)
	if cs.err != nil {
		return nil, cs.err
	}
	matches := []Match{}
	err := r.jsonCall(ctx, "Find", func(h *C.coffer_repo, out **C.char, e **C.coffer_error) C.coffer_status {
		return C.coffer_find(h, cpat, cf, out, e)
	}, &matches)
	return matches, err
}

// Stats computes statistics over the filtered snapshots (nil: all).
func (r *Repository) Stats(ctx context.Context, filter *Filter) (*Stats, error) {
	var cs cstrings
	defer cs.free()
	var f any
	if filter != nil {
		f = filter
	}
	cf := cs.json(f)
	if cs.err != nil {
		return nil, cs.err
	}
	var st Stats
	err := r.jsonCall(ctx, "Stats", func(h *C.coffer_repo, out **C.char, e **C.coffer_error) C.coffer_status {
		return C.coffer_stats(h, cf, out, e)
	}, &st)
	if err != nil {
		return nil, err
	}
	return &st, nil
}
