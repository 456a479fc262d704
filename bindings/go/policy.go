package coffer

/*
#include <coffer/coffer.h>
*/
import "C"

import (
	"encoding/json"
	"time"
)

// Version is the linked library's version, "MAJOR.MINOR.PATCH".
func Version() string { return C.GoString(C.coffer_version()) }

// VersionNumber is MAJOR*10000 + MINOR*100 + PATCH of the linked library.
func VersionNumber() int { return int(C.coffer_version_number()) }

// ValidatePolicy checks a policy document (JSON; docs/POLICY.md) and
// returns its canonical form. Errors match ErrInvalidArgument and name the
// bad field.
func ValidatePolicy(policyJSON string) (string, error) {
	var cs cstrings
	defer cs.free()
	p := cs.str(policyJSON)
	if cs.err != nil {
		return "", cs.err
	}
	var out *C.char
	var cerr *C.coffer_error
	status := C.coffer_policy_validate(p, &out, &cerr)
	text := takeString(out)
	return text, takeError(status, cerr)
}

// NextRun is the first run of a policy's schedule (a whole policy or its
// "schedule" object, as JSON) strictly after `after`.
func NextRun(policyJSON string, after time.Time) (time.Time, error) {
	var cs cstrings
	defer cs.free()
	p := cs.str(policyJSON)
	if cs.err != nil {
		return time.Time{}, cs.err
	}
	var next C.int64_t
	var cerr *C.coffer_error
	if err := takeError(C.coffer_schedule_next_run(p, C.int64_t(after.UnixNano()), &next, &cerr), cerr); err != nil {
		return time.Time{}, err
	}
	return time.Unix(0, int64(next)).UTC(), nil
}

// EvaluateRetention decides which snapshots a retention policy keeps; it
// forgets nothing. retentionJSON is a policy's "retention" object or a
// whole policy.
func EvaluateRetention(retentionJSON string, snapshots []Snapshot) ([]Decision, error) {
	snaps, err := json.Marshal(snapshots)
	if err != nil {
		return nil, newError(CodeInvalidArgument, "cannot encode snapshots: %v", err)
	}
	var cs cstrings
	defer cs.free()
	p, s := cs.str(retentionJSON), cs.str(string(snaps))
	if cs.err != nil {
		return nil, cs.err
	}
	var out *C.char
	var cerr *C.coffer_error
	decisions := []Decision{}
	err = decode(C.coffer_retention_evaluate(p, s, &out, &cerr), cerr, out, &decisions)
	return decisions, err
}
