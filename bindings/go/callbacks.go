package coffer

/*
#include <coffer/coffer.h>
*/
import "C"

import (
	"context"
	"io"
	"runtime/cgo"
	"unsafe"
)

// Phase says what a long operation is doing (coffer_phase).
type Phase int

const (
	PhaseScanning  Phase = C.COFFER_PHASE_SCANNING
	PhaseBackup    Phase = C.COFFER_PHASE_BACKUP
	PhaseRestore   Phase = C.COFFER_PHASE_RESTORE
	PhaseFinishing Phase = C.COFFER_PHASE_FINISHING
	PhaseVerifying Phase = C.COFFER_PHASE_VERIFYING // Check: trees, then packs
)

// Progress is a copy of a coffer_progress report.
type Progress struct {
	Phase          Phase
	FilesDone      uint64
	FilesTotal     uint64 // grows while TotalsFinal is false
	BytesDone      uint64
	BytesTotal     uint64 // grows while TotalsFinal is false
	Errors         uint64
	TotalsFinal    bool
	ElapsedSeconds float64
	CurrentPath    string
}

// operation is the Go state of one Backup, Restore or Check call, reached from the
// C callbacks through a cgo.Handle. The library calls the callbacks of one
// operation one at a time, so no lock is needed; the C call's return orders
// their writes before the caller's reads.
type operation struct {
	ctx      context.Context
	repo     *Repository
	progress func(Progress)
	warning  func(path, message string)
	// panicked and panicValue hold a panic recovered in a callback; it is
	// raised again in the calling goroutine once the operation stopped.
	panicked   bool
	panicValue any
}

// run calls a user callback, turning a panic into a request to stop.
func (op *operation) run(fn func()) (ok bool) {
	op.repo.inCallback.Add(1)
	defer func() {
		op.repo.inCallback.Add(-1)
		if v := recover(); v != nil {
			op.panicked, op.panicValue = true, v
			ok = false
		}
	}()
	fn()
	return true
}

func (op *operation) stopping() bool { return op.panicked || op.ctx.Err() != nil }

//export cofferGoProgress
func cofferGoProgress(p *C.coffer_progress, user C.uintptr_t) C.int {
	op := cgo.Handle(user).Value().(*operation)
	if op.stopping() {
		return 1
	}
	if op.progress == nil {
		return 0
	}
	report := Progress{
		Phase:          Phase(p.phase),
		FilesDone:      uint64(p.files_done),
		FilesTotal:     uint64(p.files_total),
		BytesDone:      uint64(p.bytes_done),
		BytesTotal:     uint64(p.bytes_total),
		Errors:         uint64(p.errors),
		TotalsFinal:    p.totals_final != 0,
		ElapsedSeconds: float64(p.elapsed_seconds),
		CurrentPath:    C.GoString(p.current_path),
	}
	if !op.run(func() { op.progress(report) }) || op.ctx.Err() != nil {
		return 1
	}
	return 0
}

//export cofferGoWarning
func cofferGoWarning(path, message *C.char, user C.uintptr_t) {
	op := cgo.Handle(user).Value().(*operation)
	if op.warning == nil || op.stopping() {
		return
	}
	p, m := C.GoString(path), C.GoString(message)
	op.run(func() { op.warning(p, m) })
}

// stream is a Stream being read by coffer_backup.
type stream struct {
	op     *operation
	reader io.Reader
}

//export cofferGoRead
func cofferGoRead(user C.uintptr_t, buf *C.uint8_t, capacity C.size_t) C.int64_t {
	s := cgo.Handle(user).Value().(*stream)
	if s.op.stopping() {
		return -1
	}
	dst := unsafe.Slice((*byte)(unsafe.Pointer(buf)), int(capacity))
	var n int
	var err error
	if !s.op.run(func() {
		// A Reader may return (0, nil); ask again until it gives bytes or an error.
		for n == 0 && err == nil {
			n, err = s.reader.Read(dst)
		}
	}) {
		return -1
	}
	switch {
	case n > 0:
		return C.int64_t(n)
	case err == io.EOF:
		return 0
	default:
		// The library records the stream as failed and marks the snapshot partial.
		return -1
	}
}
