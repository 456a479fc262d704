// Package coffer is the Go binding of coffer, an embeddable encrypted,
// deduplicating backup engine. It calls the stable C API of libcoffer
// (include/coffer/coffer.h) through cgo.
//
//	repo, err := coffer.Init(ctx, "/backups/repo", "secret", nil)
//	if err != nil { ... }
//	defer repo.Close()
//	res, err := repo.Backup(ctx, coffer.BackupOptions{Paths: []string{"/home/ann"}})
//	snaps, err := repo.Snapshots(ctx, nil)
//	_, err = repo.Restore(ctx, coffer.RestoreOptions{Snapshot: res.SnapshotID, Target: "/tmp/out"})
//
// Building needs coffer.h and libcoffer.so: point cgo at them, e.g.
//
//	CGO_CFLAGS=-I/usr/local/include CGO_LDFLAGS="-L/usr/local/lib -Wl,-rpath,/usr/local/lib"
//
// Errors returned by this package are *Error values carrying the C status
// code and message; errors.Is matches them against the sentinels ErrNotFound,
// ErrWrongPassword, ErrCorrupt, ErrLocked, ErrCancelled and the others.
// Cancelling the context of Backup, Restore or Check stops the operation (through
// the C progress callback) and the error then also matches ctx.Err().
//
// A Repository is safe for use by several goroutines: calls on one
// Repository run one at a time. Callbacks (Progress, Warning, stream
// readers) must not call methods of the Repository running the operation;
// such calls fail with ErrInvalidArgument.
package coffer
