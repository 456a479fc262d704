package coffer

/*
#cgo LDFLAGS: -lcoffer
#include <stdlib.h>
#include <coffer/coffer.h>
*/
import "C"

import (
	"encoding/json"
	"strings"
	"unsafe"
)

// cstrings converts Go strings into C strings that live until free().
type cstrings struct {
	ptrs []unsafe.Pointer
	err  error
}

// str returns s as a C string. A NUL byte inside s cannot cross into C:
// it makes the call fail with ErrInvalidArgument (see check()).
func (c *cstrings) str(s string) *C.char {
	if strings.IndexByte(s, 0) >= 0 && c.err == nil {
		c.err = newError(CodeInvalidArgument, "string %q contains a NUL byte", s)
	}
	p := C.CString(s)
	c.ptrs = append(c.ptrs, unsafe.Pointer(p))
	return p
}

// optional returns NULL for "" and a C string otherwise.
func (c *cstrings) optional(s string) *C.char {
	if s == "" {
		return nil
	}
	return c.str(s)
}

// json marshals v (nil stays NULL) into a C string.
func (c *cstrings) json(v any) *C.char {
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		if c.err == nil {
			c.err = newError(CodeInvalidArgument, "cannot encode options: %v", err)
		}
		return c.str("null")
	}
	return c.str(string(b))
}

func (c *cstrings) free() {
	for _, p := range c.ptrs {
		C.free(p)
	}
	c.ptrs = nil
}

// takeString copies a library-owned string and frees it with coffer_free.
func takeString(p *C.char) string {
	if p == nil {
		return ""
	}
	defer C.coffer_free(unsafe.Pointer(p))
	return C.GoString(p)
}

// decode frees the library's JSON text `out` and, when the call
// succeeded, decodes it into v.
func decode(status C.coffer_status, cerr *C.coffer_error, out *C.char, v any) error {
	text := takeString(out)
	if err := takeError(status, cerr); err != nil {
		return err
	}
	if err := json.Unmarshal([]byte(text), v); err != nil {
		return newError(CodeInternal, "cannot decode the library's JSON: %v", err)
	}
	return nil
}

// boolInt is C's truth value of b.
func boolInt(b bool) C.int {
	if b {
		return 1
	}
	return 0
}
