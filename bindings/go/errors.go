package coffer

/*
#include <coffer/coffer.h>
*/
import "C"

import (
	"errors"
	"fmt"
)

// Code is a coffer_status value of the C API.
type Code int

// The status codes of coffer.h; the numbers are part of the C ABI.
const (
	CodeOK              Code = C.COFFER_OK
	CodeInvalidArgument Code = C.COFFER_ERROR_INVALID_ARGUMENT
	CodeNotFound        Code = C.COFFER_ERROR_NOT_FOUND
	CodeAlreadyExists   Code = C.COFFER_ERROR_ALREADY_EXISTS
	CodeWrongPassword   Code = C.COFFER_ERROR_WRONG_PASSWORD
	CodePermission      Code = C.COFFER_ERROR_PERMISSION_DENIED
	CodeCorrupt         Code = C.COFFER_ERROR_CORRUPT
	CodeLocked          Code = C.COFFER_ERROR_LOCKED
	CodeIO              Code = C.COFFER_ERROR_IO
	CodeCancelled       Code = C.COFFER_ERROR_CANCELLED
	CodeUnsupported     Code = C.COFFER_ERROR_UNSUPPORTED
	CodeNoSpace         Code = C.COFFER_ERROR_NO_SPACE
	CodeInternal        Code = C.COFFER_ERROR_INTERNAL
	CodeStoreAuth       Code = C.COFFER_ERROR_STORE_AUTH
)

// String is the C name of the code, e.g. "COFFER_ERROR_NOT_FOUND".
func (c Code) String() string {
	return C.GoString(C.coffer_status_name(C.coffer_status(c)))
}

// Sentinel errors, one per status code: errors.Is(err, ErrNotFound) is true
// for an *Error whose Code is CodeNotFound.
var (
	ErrInvalidArgument  = errors.New("coffer: invalid argument")
	ErrNotFound         = errors.New("coffer: not found")
	ErrAlreadyExists    = errors.New("coffer: already exists")
	ErrWrongPassword    = errors.New("coffer: wrong password")
	ErrPermissionDenied = errors.New("coffer: permission denied")
	ErrCorrupt          = errors.New("coffer: corrupt repository data")
	ErrLocked           = errors.New("coffer: repository is locked")
	ErrIO               = errors.New("coffer: store or network failure")
	ErrCancelled        = errors.New("coffer: cancelled")
	ErrUnsupported      = errors.New("coffer: unsupported")
	ErrNoSpace          = errors.New("coffer: no space")
	ErrInternal         = errors.New("coffer: internal error")
	ErrStoreAuth        = errors.New("coffer: storage service refused the credentials")
)

var sentinels = map[Code]error{
	CodeInvalidArgument: ErrInvalidArgument,
	CodeNotFound:        ErrNotFound,
	CodeAlreadyExists:   ErrAlreadyExists,
	CodeWrongPassword:   ErrWrongPassword,
	CodePermission:      ErrPermissionDenied,
	CodeCorrupt:         ErrCorrupt,
	CodeLocked:          ErrLocked,
	CodeIO:              ErrIO,
	CodeCancelled:       ErrCancelled,
	CodeUnsupported:     ErrUnsupported,
	CodeNoSpace:         ErrNoSpace,
	CodeInternal:        ErrInternal,
	CodeStoreAuth:       ErrStoreAuth,
}

// Error is a failure reported by libcoffer: its status code and message.
type Error struct {
	Code    Code
	Message string
	// cause is what made a cancelled operation stop: the context's error,
	// or a panic recovered in a callback.
	cause error
}

func (e *Error) Error() string {
	if e.cause != nil {
		return fmt.Sprintf("coffer: %s (%v)", e.Message, e.cause)
	}
	return "coffer: " + e.Message
}

// Is reports whether target is the sentinel for e.Code.
func (e *Error) Is(target error) bool {
	s, ok := sentinels[e.Code]
	return ok && s == target
}

// Unwrap returns the cause of a cancellation (context.Canceled,
// context.DeadlineExceeded, or a callback's panic), or nil.
func (e *Error) Unwrap() error { return e.cause }

// takeError converts a failed call's status and error object into an
// *Error and frees the object.
func takeError(status C.coffer_status, cerr *C.coffer_error) error {
	if status == C.COFFER_OK {
		return nil
	}
	msg := ""
	if cerr != nil {
		msg = C.GoString(C.coffer_error_message(cerr))
		C.coffer_error_free(cerr)
	}
	if msg == "" {
		msg = Code(status).String()
	}
	return &Error{Code: Code(status), Message: msg}
}

func newError(code Code, format string, args ...any) error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}
