package coffer

/*
#include <coffer/coffer.h>
*/
import "C"

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Repository is an open repository (a coffer_repo handle). Close it when
// done; a finalizer closes a forgotten one, but only at the garbage
// collector's pace.
type Repository struct {
	mu         sync.Mutex
	h          *C.coffer_repo
	location   string
	inCallback atomic.Int32 // > 0 while a callback of an operation on r runs
}

// InitOptions are the settings of a new repository; zero values keep the
// library's defaults.
type InitOptions struct {
	// Content-defined chunk sizes in bytes (all three, or none).
	ChunkMin, ChunkAvg, ChunkMax uint32
	Compression                  string // "lz4", "zstd" or "none"
	CompressionLevel             int    // 0: the codec's default
	PackSize                     uint32 // bytes
	// Argon2id cost of the key slot: passes and memory in bytes (both, or
	// neither). Lower costs only for tests or tiny devices.
	KDFPasses, KDFMemory uint64
	DataCipher           string // "aes-256-gcm" or "xchacha20-poly1305"
	KeyLabel             string
}

func (o *InitOptions) apply(opts *C.coffer_init_options, cs *cstrings) error {
	var cerr *C.coffer_error
	steps := []func() C.coffer_status{}
	if o.ChunkMin != 0 || o.ChunkAvg != 0 || o.ChunkMax != 0 {
		steps = append(steps, func() C.coffer_status {
			return C.coffer_init_options_set_chunker(opts, C.uint32_t(o.ChunkMin),
				C.uint32_t(o.ChunkAvg), C.uint32_t(o.ChunkMax), &cerr)
		})
	}
	if o.Compression != "" {
		steps = append(steps, func() C.coffer_status {
			return C.coffer_init_options_set_compression(opts, cs.str(o.Compression),
				C.int(o.CompressionLevel), &cerr)
		})
	}
	if o.PackSize != 0 {
		steps = append(steps, func() C.coffer_status {
			return C.coffer_init_options_set_pack_size(opts, C.uint32_t(o.PackSize), &cerr)
		})
	}
	if o.KDFPasses != 0 || o.KDFMemory != 0 {
		steps = append(steps, func() C.coffer_status {
			return C.coffer_init_options_set_kdf(opts, C.uint64_t(o.KDFPasses),
				C.uint64_t(o.KDFMemory), &cerr)
		})
	}
	if o.DataCipher != "" {
		steps = append(steps, func() C.coffer_status {
			return C.coffer_init_options_set_data_cipher(opts, cs.str(o.DataCipher), &cerr)
		})
	}
	if o.KeyLabel != "" {
		steps = append(steps, func() C.coffer_status {
			return C.coffer_init_options_set_key_label(opts, cs.str(o.KeyLabel), &cerr)
		})
	}
	for _, step := range steps {
		if err := takeError(step(), cerr); err != nil {
			return err
		}
	}
	return cs.err
}

// Init creates a repository at location (a local path or a store URL such
// as s3://bucket/prefix) protected by password, and opens it. opts may be
// nil. The error matches ErrAlreadyExists when a repository is there.
func Init(ctx context.Context, location, password string, opts *InitOptions) (*Repository, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var cs cstrings
	defer cs.free()
	copts := C.coffer_init_options_new()
	if copts == nil {
		return nil, newError(CodeNoSpace, "out of memory")
	}
	defer C.coffer_init_options_free(copts)
	if opts != nil {
		if err := opts.apply(copts, &cs); err != nil {
			return nil, err
		}
	}
	loc, pw := cs.str(location), cs.str(password)
	if cs.err != nil {
		return nil, cs.err
	}
	var h *C.coffer_repo
	var cerr *C.coffer_error
	if err := takeError(C.coffer_repo_init(loc, pw, copts, &h, &cerr), cerr); err != nil {
		return nil, err
	}
	r := newRepository(h, location)
	if opts != nil && (opts.KDFPasses != 0 || opts.KDFMemory != 0) {
		// Key slots added later get the same cost.
		if err := r.SetKDF(opts.KDFPasses, opts.KDFMemory); err != nil {
			r.Close()
			return nil, err
		}
	}
	return r, nil
}

// Open opens an existing repository. The error matches ErrNotFound when
// location holds no repository and ErrWrongPassword when no key slot opens
// with password.
func Open(ctx context.Context, location, password string) (*Repository, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var cs cstrings
	defer cs.free()
	loc, pw := cs.str(location), cs.str(password)
	if cs.err != nil {
		return nil, cs.err
	}
	var h *C.coffer_repo
	var cerr *C.coffer_error
	if err := takeError(C.coffer_repo_open(loc, pw, &h, &cerr), cerr); err != nil {
		return nil, err
	}
	return newRepository(h, location), nil
}

func newRepository(h *C.coffer_repo, location string) *Repository {
	r := &Repository{h: h, location: location}
	runtime.SetFinalizer(r, func(r *Repository) {
		if r.h != nil {
			C.coffer_repo_close(r.h)
			r.h = nil
		}
	})
	return r
}

// Location is the location the repository was opened at.
func (r *Repository) Location() string { return r.location }

// Close closes the handle and wipes its keys from memory. Closing twice is
// harmless.
func (r *Repository) Close() error {
	h, release, err := r.acquire("Close")
	if err != nil {
		if r.isClosedError(err) {
			return nil
		}
		return err
	}
	defer release()
	C.coffer_repo_close(h)
	r.h = nil
	runtime.SetFinalizer(r, nil)
	return nil
}

var errClosedMessage = "the repository is closed"

func (r *Repository) isClosedError(err error) bool {
	e, ok := err.(*Error)
	return ok && e.Message == errClosedMessage
}

// acquire gives exclusive use of the handle until release is called. From
// inside one of the repository's own callbacks it fails instead of waiting
// (the operation that called back holds the handle).
func (r *Repository) acquire(what string) (*C.coffer_repo, func(), error) {
	if !r.mu.TryLock() {
		if r.inCallback.Load() > 0 {
			return nil, nil, newError(CodeInvalidArgument,
				"%s: the repository is in use by the operation whose callback is running", what)
		}
		r.mu.Lock()
	}
	if r.h == nil {
		r.mu.Unlock()
		return nil, nil, newError(CodeInvalidArgument, "%s", errClosedMessage)
	}
	return r.h, r.mu.Unlock, nil
}

// Info describes the repository (see coffer_repo_info).
func (r *Repository) Info(ctx context.Context) (*RepoInfo, error) {
	var info RepoInfo
	err := r.jsonCall(ctx, "Info", func(h *C.coffer_repo, out **C.char, cerr **C.coffer_error) C.coffer_status {
		return C.coffer_repo_info(h, out, cerr)
	}, &info)
	if err != nil {
		return nil, err
	}
	return &info, nil
}

// SetLockWait sets how long operations wait for a conflicting lock before
// failing with ErrLocked (0, the default: fail at once). It is rounded up
// to whole seconds.
func (r *Repository) SetLockWait(d time.Duration) error {
	seconds := int64((d + time.Second - 1) / time.Second)
	return r.statusCall("SetLockWait", func(h *C.coffer_repo, cerr **C.coffer_error) C.coffer_status {
		return C.coffer_repo_set_lock_wait(h, C.int64_t(seconds), cerr)
	})
}

// SetKDF sets the Argon2id cost (passes, memory bytes) of key slots this
// handle writes from now on.
func (r *Repository) SetKDF(passes, memoryBytes uint64) error {
	return r.statusCall("SetKDF", func(h *C.coffer_repo, cerr **C.coffer_error) C.coffer_status {
		return C.coffer_repo_set_kdf(h, C.uint64_t(passes), C.uint64_t(memoryBytes), cerr)
	})
}

// statusCall runs fn on the handle and converts its status.
func (r *Repository) statusCall(what string, fn func(*C.coffer_repo, **C.coffer_error) C.coffer_status) error {
	h, release, err := r.acquire(what)
	if err != nil {
		return err
	}
	defer release()
	var cerr *C.coffer_error
	return takeError(fn(h, &cerr), cerr)
}

// jsonCall runs fn on the handle and decodes the JSON it returns into v.
func (r *Repository) jsonCall(ctx context.Context, what string,
	fn func(*C.coffer_repo, **C.char, **C.coffer_error) C.coffer_status, v any) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	h, release, err := r.acquire(what)
	if err != nil {
		return err
	}
	defer release()
	var out *C.char
	var cerr *C.coffer_error
	status := fn(h, &out, &cerr)
	return decode(status, cerr, out, v)
}
