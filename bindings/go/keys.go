package coffer

/*
#include <coffer/coffer.h>
*/
import "C"

import "context"

// AddKey adds a key slot for password (label may be ""). A write-only slot
// can add backups but read none. Returns the new slot's id.
func (r *Repository) AddKey(ctx context.Context, password, label string, writeOnly bool) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	var cs cstrings
	defer cs.free()
	cpw, clabel := cs.str(password), cs.optional(label)
	if cs.err != nil {
		return "", cs.err
	}
	var id *C.char
	err := r.statusCall("AddKey", func(h *C.coffer_repo, e **C.coffer_error) C.coffer_status {
		return C.coffer_key_add(h, cpw, clabel, boolInt(writeOnly), &id, e)
	})
	return takeString(id), err
}

// Keys lists the key slots, oldest first.
func (r *Repository) Keys(ctx context.Context) ([]Key, error) {
	keys := []Key{}
	err := r.jsonCall(ctx, "Keys", func(h *C.coffer_repo, out **C.char, e **C.coffer_error) C.coffer_status {
		return C.coffer_key_list(h, out, e)
	}, &keys)
	return keys, err
}

// RemoveKey removes the slot whose id is idOrPrefix or starts with it.
func (r *Repository) RemoveKey(ctx context.Context, idOrPrefix string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var cs cstrings
	defer cs.free()
	cid := cs.str(idOrPrefix)
	if cs.err != nil {
		return cs.err
	}
	return r.statusCall("RemoveKey", func(h *C.coffer_repo, e **C.coffer_error) C.coffer_status {
		return C.coffer_key_remove(h, cid, e)
	})
}

// ChangePassword replaces this handle's key slot with one for newPassword.
func (r *Repository) ChangePassword(ctx context.Context, newPassword string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var cs cstrings
	defer cs.free()
	cpw := cs.str(newPassword)
	if cs.err != nil {
		return cs.err
	}
	return r.statusCall("ChangePassword", func(h *C.coffer_repo, e **C.coffer_error) C.coffer_status {
		return C.coffer_key_change_password(h, cpw, e)
	})
}
