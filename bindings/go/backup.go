package coffer

/*
#include <stdint.h>
#include <coffer/coffer.h>

int coffer_go_progress(const coffer_progress* progress, void* user);
void coffer_go_warning(const char* path, const char* message, void* user);
int64_t coffer_go_read(void* user, uint8_t* buf, size_t cap);

// The handle travels as an integer; only C turns it into the void* user.
static void go_backup_callbacks(coffer_backup_options* o, uintptr_t op, int warn) {
  coffer_backup_options_set_progress(o, coffer_go_progress, (void*)op);
  if (warn) coffer_backup_options_set_warning(o, coffer_go_warning, (void*)op);
}
static coffer_status go_backup_add_stream(coffer_backup_options* o, const char* path,
                                          uintptr_t s, coffer_error** err) {
  return coffer_backup_options_add_stream(o, path, coffer_go_read, (void*)s, err);
}
static void go_restore_callbacks(coffer_restore_options* o, uintptr_t op, int warn) {
  coffer_restore_options_set_progress(o, coffer_go_progress, (void*)op);
  if (warn) coffer_restore_options_set_warning(o, coffer_go_warning, (void*)op);
}
*/
import "C"

import (
	"context"
	"io"
	"runtime/cgo"
)

// Stream is data stored as a regular file at Path (absolute) in the snapshot.
type Stream struct {
	Path   string
	Reader io.Reader
}

// BackupOptions say what to back up and how.
type BackupOptions struct {
	Paths    []string // files and directories (relative paths are made absolute)
	Excludes []string // patterns: "*.tmp", "node_modules", "/home/*/cache", "**/build"
	Includes []string // back up only matching files (excludes win)
	Tags     []string
	Host     string // default: this machine's name
	CacheDir string // default: $XDG_CACHE_HOME/coffer or ~/.cache/coffer
	// NoFilesCache reads every file instead of skipping unchanged ones.
	NoFilesCache  bool
	OneFileSystem bool
	Threads       int // 0: one per core
	// Streams are read during the backup; a Reader's error is recorded in
	// the snapshot, which is then marked partial.
	Streams []Stream
	// Progress is called about every 100 ms and once at the end; Warning
	// for each file that could not be read or was skipped. A panic in
	// either stops the backup and is raised again in the caller.
	Progress func(Progress)
	Warning  func(path, message string)
}

// Backup backs up opts.Paths and opts.Streams into a new snapshot.
// Cancelling ctx stops it: the error then matches both ErrCancelled and
// ctx.Err(), and no snapshot is written.
func (r *Repository) Backup(ctx context.Context, opts BackupOptions) (*BackupResult, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	op := &operation{ctx: ctx, repo: r, progress: opts.Progress, warning: opts.Warning}
	var cs cstrings
	defer cs.free()
	copts := C.coffer_backup_options_new()
	if copts == nil {
		return nil, newError(CodeNoSpace, "out of memory")
	}
	defer C.coffer_backup_options_free(copts)

	var cerr *C.coffer_error
	type setter func(*C.coffer_backup_options, *C.char, **C.coffer_error) C.coffer_status
	// Each option value with the C function that adds it, in order.
	var steps []struct {
		fn    setter
		value string
	}
	add := func(fn setter, values ...string) {
		for _, v := range values {
			steps = append(steps, struct {
				fn    setter
				value string
			}{fn, v})
		}
	}
	add(func(o *C.coffer_backup_options, s *C.char, e **C.coffer_error) C.coffer_status {
		return C.coffer_backup_options_add_path(o, s, e)
	}, opts.Paths...)
	add(func(o *C.coffer_backup_options, s *C.char, e **C.coffer_error) C.coffer_status {
		return C.coffer_backup_options_add_exclude(o, s, e)
	}, opts.Excludes...)
	add(func(o *C.coffer_backup_options, s *C.char, e **C.coffer_error) C.coffer_status {
		return C.coffer_backup_options_add_include(o, s, e)
	}, opts.Includes...)
	add(func(o *C.coffer_backup_options, s *C.char, e **C.coffer_error) C.coffer_status {
		return C.coffer_backup_options_add_tag(o, s, e)
	}, opts.Tags...)
	if opts.Host != "" {
		add(func(o *C.coffer_backup_options, s *C.char, e **C.coffer_error) C.coffer_status {
			return C.coffer_backup_options_set_host(o, s, e)
		}, opts.Host)
	}
	if opts.CacheDir != "" {
		add(func(o *C.coffer_backup_options, s *C.char, e **C.coffer_error) C.coffer_status {
			return C.coffer_backup_options_set_cache_dir(o, s, e)
		}, opts.CacheDir)
	}
	for _, step := range steps {
		if err := takeError(step.fn(copts, cs.str(step.value), &cerr), cerr); err != nil {
			return nil, err
		}
	}
	C.coffer_backup_options_set_files_cache(copts, boolInt(!opts.NoFilesCache))
	C.coffer_backup_options_set_one_file_system(copts, boolInt(opts.OneFileSystem))
	C.coffer_backup_options_set_threads(copts, C.int(opts.Threads))

	opHandle := cgo.NewHandle(op)
	defer opHandle.Delete()
	for _, s := range opts.Streams {
		h := cgo.NewHandle(&stream{op: op, reader: s.Reader})
		defer h.Delete()
		status := C.go_backup_add_stream(copts, cs.str(s.Path), C.uintptr_t(h), &cerr)
		if err := takeError(status, cerr); err != nil {
			return nil, err
		}
	}
	if cs.err != nil {
		return nil, cs.err
	}
	C.go_backup_callbacks(copts, C.uintptr_t(opHandle), boolInt(opts.Warning != nil))

	var result BackupResult
	err := r.runOperation(op, "Backup", func(h *C.coffer_repo, out **C.char, e **C.coffer_error) C.coffer_status {
		return C.coffer_backup(h, copts, out, e)
	}, &result)
	if err != nil {
		return nil, err
	}
	return &result, nil
}

// RestoreOptions say what to restore and where.
type RestoreOptions struct {
	Snapshot string   // "latest" (the default), an id or a unique prefix
	Target   string   // required; files appear under it with their full path
	Includes []string // snapshot paths to restore (default: everything)
	Excludes []string // patterns to skip
	// Overwrite replaces existing files; without it the restore fails with
	// ErrAlreadyExists before writing anything.
	Overwrite bool
	Progress  func(Progress)
	Warning   func(path, message string)
}

// Restore restores a snapshot (or part of it) into opts.Target, verifying
// every blob. Cancelling ctx stops it (ErrCancelled and ctx.Err()).
func (r *Repository) Restore(ctx context.Context, opts RestoreOptions) (*RestoreResult, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	op := &operation{ctx: ctx, repo: r, progress: opts.Progress, warning: opts.Warning}
	var cs cstrings
	defer cs.free()
	copts := C.coffer_restore_options_new()
	if copts == nil {
		return nil, newError(CodeNoSpace, "out of memory")
	}
	defer C.coffer_restore_options_free(copts)
	var cerr *C.coffer_error
	check := func(status C.coffer_status) error { return takeError(status, cerr) }
	snapshot := opts.Snapshot
	if snapshot == "" {
		snapshot = "latest"
	}
	if err := check(C.coffer_restore_options_set_snapshot(copts, cs.str(snapshot), &cerr)); err != nil {
		return nil, err
	}
	if err := check(C.coffer_restore_options_set_target(copts, cs.str(opts.Target), &cerr)); err != nil {
		return nil, err
	}
	for _, p := range opts.Includes {
		if err := check(C.coffer_restore_options_add_include(copts, cs.str(p), &cerr)); err != nil {
			return nil, err
		}
	}
	for _, p := range opts.Excludes {
		if err := check(C.coffer_restore_options_add_exclude(copts, cs.str(p), &cerr)); err != nil {
			return nil, err
		}
	}
	if cs.err != nil {
		return nil, cs.err
	}
	C.coffer_restore_options_set_overwrite(copts, boolInt(opts.Overwrite))
	opHandle := cgo.NewHandle(op)
	defer opHandle.Delete()
	C.go_restore_callbacks(copts, C.uintptr_t(opHandle), boolInt(opts.Warning != nil))

	var result RestoreResult
	err := r.runOperation(op, "Restore", func(h *C.coffer_repo, out **C.char, e **C.coffer_error) C.coffer_status {
		return C.coffer_restore(h, copts, out, e)
	}, &result)
	if err != nil {
		return nil, err
	}
	return &result, nil
}

// runOperation runs a call whose callbacks belong to op, then raises a
// callback's panic again or ties a cancellation to the context's error.
func (r *Repository) runOperation(op *operation, what string,
	fn func(*C.coffer_repo, **C.char, **C.coffer_error) C.coffer_status, v any) error {
	h, release, err := r.acquire(what)
	if err != nil {
		return err
	}
	var out *C.char
	var cerr *C.coffer_error
	status := fn(h, &out, &cerr)
	release()
	err = decode(status, cerr, out, v)
	if op.panicked {
		panic(op.panicValue)
	}
	if e, ok := err.(*Error); ok && e.Code == CodeCancelled && op.ctx.Err() != nil {
		e.cause = op.ctx.Err()
	}
	return err
}
