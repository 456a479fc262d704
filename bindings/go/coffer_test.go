package coffer_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"coffer.dev/coffer"
)

const password = "correct horse"

// fast makes key derivation cheap and chunks small, so tests run quickly.
var fast = &coffer.InitOptions{KDFPasses: 1, KDFMemory: 8 << 20,
	ChunkMin: 4096, ChunkAvg: 16384, ChunkMax: 65536}

// writeTree writes random files (some empty, some sharing content) in
// nested directories and returns their contents by relative path.
func writeTree(t *testing.T, root string, seed int64, files int) map[string][]byte {
	t.Helper()
	rng := rand.New(rand.NewSource(seed))
	shared := make([]byte, 50000)
	rng.Read(shared)
	out := map[string][]byte{}
	for i := 0; i < files; i++ {
		parts := []string{}
		for d := rng.Intn(4); d > 0; d-- {
			parts = append(parts, "d"+string(rune('0'+rng.Intn(4))))
		}
		parts = append(parts, "file"+string(rune('a'+i))+".bin")
		rel := filepath.Join(parts...)
		var data []byte
		switch k := rng.Float64(); {
		case k < 0.1:
			data = []byte{}
		case k < 0.3:
			data = append(append([]byte{}, shared...), byte(i))
		default:
			data = make([]byte, 1+rng.Intn(200000))
			rng.Read(data)
		}
		path := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		out[rel] = data
	}
	return out
}

// readTree reads every regular file below root.
func readTree(t *testing.T, root string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		out[rel] = data
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sameTrees(t *testing.T, got, want map[string][]byte) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d files, want %d", len(got), len(want))
	}
	for name, data := range want {
		if !bytes.Equal(got[name], data) {
			t.Fatalf("%s: restored bytes differ (%d vs %d bytes)", name, len(got[name]), len(data))
		}
	}
}

type fixture struct {
	dir, source, location, cache string
	contents                     map[string][]byte
	repo                         *coffer.Repository
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	f := &fixture{dir: dir, source: filepath.Join(dir, "source"),
		location: filepath.Join(dir, "repo"), cache: filepath.Join(dir, "cache")}
	f.contents = writeTree(t, f.source, 7, 12)
	repo, err := coffer.Init(context.Background(), f.location, password, fast)
	if err != nil {
		t.Fatalf("Init: %v", err)
	}
	t.Cleanup(func() { repo.Close() })
	f.repo = repo
	return f
}

func (f *fixture) backup(ctx context.Context, opts coffer.BackupOptions) (*coffer.BackupResult, error) {
	if opts.Paths == nil && opts.Streams == nil {
		opts.Paths = []string{f.source}
	}
	opts.CacheDir = f.cache
	return f.repo.Backup(ctx, opts)
}

func TestRoundTrip(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	var reports []coffer.Progress
	res, err := f.backup(ctx, coffer.BackupOptions{Tags: []string{"go"},
		Progress: func(p coffer.Progress) { reports = append(reports, p) }})
	if err != nil {
		t.Fatalf("Backup: %v", err)
	}
	var total uint64
	for _, d := range f.contents {
		total += uint64(len(d))
	}
	if res.Summary.FilesNew != uint64(len(f.contents)) || res.Summary.BytesRead != total {
		t.Fatalf("summary %+v, want %d files and %d bytes", res.Summary, len(f.contents), total)
	}
	if len(reports) == 0 || reports[len(reports)-1].BytesDone != total {
		t.Fatalf("progress reports %+v do not reach %d bytes", reports, total)
	}

	snaps, err := f.repo.Snapshots(ctx, nil)
	if err != nil || len(snaps) != 1 {
		t.Fatalf("Snapshots: %v %v", snaps, err)
	}
	s := snaps[0]
	if s.ID != res.SnapshotID || s.Tags[0] != "go" || s.Paths[0] != f.source || s.Time.IsZero() {
		t.Fatalf("snapshot %+v does not match backup %+v", s, res)
	}
	if one, err := f.repo.Snapshot(ctx, s.ShortID); err != nil || one.ID != s.ID || one.Summary != s.Summary {
		t.Fatalf("Snapshot(%s): %+v %v", s.ShortID, one, err)
	}
	if latest, err := f.repo.Snapshot(ctx, "latest"); err != nil || latest.ID != s.ID {
		t.Fatalf("Snapshot(latest): %+v %v", latest, err)
	}
	if other, err := f.repo.Snapshots(ctx, &coffer.Filter{Tags: []string{"other"}}); err != nil || len(other) != 0 {
		t.Fatalf("filter by an unused tag: %v %v", other, err)
	}

	sizes := map[string]uint64{}
	err = f.repo.Walk(ctx, s.ID, f.source, func(n coffer.Node) error {
		if n.Type == "file" {
			rel, _ := filepath.Rel(f.source, n.Path)
			sizes[rel] = n.Size
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Walk: %v", err)
	}
	for name, data := range f.contents {
		if sizes[name] != uint64(len(data)) {
			t.Fatalf("walk: %s has size %d, want %d", name, sizes[name], len(data))
		}
	}

	target := filepath.Join(f.dir, "out")
	rr, err := f.repo.Restore(ctx, coffer.RestoreOptions{Snapshot: s.ShortID, Target: target})
	if err != nil {
		t.Fatalf("Restore: %v", err)
	}
	if rr.Files != uint64(len(f.contents)) {
		t.Fatalf("restored %d files, want %d", rr.Files, len(f.contents))
	}
	sameTrees(t, readTree(t, filepath.Join(target, f.source)), f.contents)

	// Reopen with the password and read through the new handle.
	if err := f.repo.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.repo.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := f.repo.Snapshots(ctx, nil); !errors.Is(err, coffer.ErrInvalidArgument) {
		t.Fatalf("a closed repository: %v", err)
	}
	repo, err := coffer.Open(ctx, f.location, password)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer repo.Close()
	info, err := repo.Info(ctx)
	if err != nil || info.FormatVersion != 1 || info.Chunker.AvgSize != 16384 {
		t.Fatalf("Info: %+v %v", info, err)
	}
	st, err := repo.Stats(ctx, nil)
	if err != nil || st.Snapshots != 1 || st.LogicalBytes != total {
		t.Fatalf("Stats: %+v %v", st, err)
	}
}

func TestStreamsAndFind(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	data := bytes.Repeat([]byte("coffer "), 30000)
	res, err := f.backup(ctx, coffer.BackupOptions{Paths: []string{}, Streams: []coffer.Stream{
		{Path: "/db/dump.sql", Reader: bytes.NewReader(data)}}})
	if err != nil {
		t.Fatalf("Backup of a stream: %v", err)
	}
	if res.Partial {
		t.Fatalf("partial: %+v", res.Errors)
	}
	matches, err := f.repo.Find(ctx, "*.sql", nil)
	if err != nil || len(matches) != 1 || matches[0].Path != "/db/dump.sql" ||
		matches[0].Size != uint64(len(data)) {
		t.Fatalf("Find: %+v %v", matches, err)
	}
	target := filepath.Join(f.dir, "out")
	if _, err := f.repo.Restore(ctx, coffer.RestoreOptions{Target: target}); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(target, "db", "dump.sql"))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("restored stream differs: %v", err)
	}
}

func TestErrorsMatchSentinels(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.backup(ctx, coffer.BackupOptions{}); err != nil {
		t.Fatal(err)
	}

	_, err := coffer.Open(ctx, f.location, "not the password")
	if !errors.Is(err, coffer.ErrWrongPassword) || errors.Is(err, coffer.ErrNotFound) {
		t.Fatalf("wrong password: %v", err)
	}
	var ce *coffer.Error
	if !errors.As(err, &ce) || ce.Code != coffer.CodeWrongPassword || ce.Message == "" {
		t.Fatalf("wrong password as *Error: %#v", err)
	}
	if ce.Code.String() != "COFFER_ERROR_WRONG_PASSWORD" {
		t.Fatalf("code name %q", ce.Code.String())
	}

	if _, err := coffer.Open(ctx, filepath.Join(f.dir, "nothing here"), password); !errors.Is(err, coffer.ErrNotFound) {
		t.Fatalf("open a missing repository: %v", err)
	}
	if _, err := f.repo.Snapshot(ctx, "ffffffff"); !errors.Is(err, coffer.ErrNotFound) {
		t.Fatalf("a missing snapshot: %v", err)
	}
	if _, err := f.repo.Snapshot(ctx, "abc"); !errors.Is(err, coffer.ErrInvalidArgument) {
		t.Fatalf("a too short snapshot prefix: %v", err)
	}
	if _, err := f.repo.List(ctx, "latest", "/no/such/path", false); !errors.Is(err, coffer.ErrNotFound) {
		t.Fatalf("list a missing path: %v", err)
	}
	_, err = f.repo.Restore(ctx, coffer.RestoreOptions{Snapshot: "ffffffff", Target: filepath.Join(f.dir, "x")})
	if !errors.Is(err, coffer.ErrNotFound) {
		t.Fatalf("restore a missing snapshot: %v", err)
	}
	if _, err := coffer.Init(ctx, f.location, password, fast); !errors.Is(err, coffer.ErrAlreadyExists) {
		t.Fatalf("init twice: %v", err)
	}
	if _, err := f.repo.Backup(ctx, coffer.BackupOptions{}); !errors.Is(err, coffer.ErrInvalidArgument) {
		t.Fatalf("backup of nothing: %v", err)
	}
	if _, err := f.repo.Backup(ctx, coffer.BackupOptions{Paths: []string{"a\x00b"}}); !errors.Is(err, coffer.ErrInvalidArgument) {
		t.Fatalf("a NUL byte in a path: %v", err)
	}
	if _, err := coffer.ValidatePolicy(`{"retention": {"keep_dayly": 3}}`); !errors.Is(err, coffer.ErrInvalidArgument) ||
		!strings.Contains(err.Error(), "keep_daily") {
		t.Fatalf("a misspelt policy field: %v", err)
	}
}

func TestCancelViaContext(t *testing.T) {
	f := newFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	_, err := f.backup(ctx, coffer.BackupOptions{NoFilesCache: true, Progress: func(coffer.Progress) {
		calls++
		cancel()
	}})
	if !errors.Is(err, coffer.ErrCancelled) || !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled backup: %v", err)
	}
	if calls != 1 {
		t.Fatalf("progress called %d times after the context was cancelled", calls)
	}
	snaps, err := f.repo.Snapshots(context.Background(), nil)
	if err != nil || len(snaps) != 0 {
		t.Fatalf("a cancelled backup left snapshots %v (%v)", snaps, err)
	}

	// An expired deadline stops the call before it starts.
	expired, stop := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer stop()
	if _, err := f.backup(expired, coffer.BackupOptions{}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("expired deadline: %v", err)
	}

	// The handle still works, and a restore stops on cancellation too.
	res, err := f.backup(context.Background(), coffer.BackupOptions{})
	if err != nil {
		t.Fatalf("backup after a cancelled one: %v", err)
	}
	ctx2, cancel2 := context.WithCancel(context.Background())
	_, err = f.repo.Restore(ctx2, coffer.RestoreOptions{Snapshot: res.SnapshotID,
		Target: filepath.Join(f.dir, "out"), Progress: func(coffer.Progress) { cancel2() }})
	if !errors.Is(err, coffer.ErrCancelled) || !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled restore: %v", err)
	}
}

func TestCancelFromAnotherGoroutine(t *testing.T) {
	f := newFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{})
	var once sync.Once
	go func() {
		<-started
		cancel()
	}()
	_, err := f.backup(ctx, coffer.BackupOptions{NoFilesCache: true, Progress: func(coffer.Progress) {
		once.Do(func() { close(started) })
		time.Sleep(50 * time.Millisecond) // let the other goroutine cancel
	}})
	if !errors.Is(err, coffer.ErrCancelled) || !errors.Is(err, context.Canceled) {
		t.Fatalf("backup cancelled by another goroutine: %v", err)
	}
}

func TestPanicInCallbackIsRaisedInTheCaller(t *testing.T) {
	f := newFixture(t)
	func() {
		defer func() {
			if v := recover(); v != "boom" {
				t.Fatalf("recovered %v, want boom", v)
			}
		}()
		f.backup(context.Background(), coffer.BackupOptions{Progress: func(coffer.Progress) { panic("boom") }})
		t.Fatal("Backup returned instead of panicking")
	}()
	if _, err := f.backup(context.Background(), coffer.BackupOptions{}); err != nil {
		t.Fatalf("the repository is unusable after a panic: %v", err)
	}
}

func TestCallbackCannotReenterTheRepository(t *testing.T) {
	f := newFixture(t)
	var inner error
	_, err := f.backup(context.Background(), coffer.BackupOptions{Progress: func(coffer.Progress) {
		if inner == nil {
			_, inner = f.repo.Snapshots(context.Background(), nil)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(inner, coffer.ErrInvalidArgument) {
		t.Fatalf("a call from a callback: %v", inner)
	}
}

func TestLocked(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	other, err := coffer.Open(ctx, f.location, password)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := other.SetLockWait(0); err != nil {
		t.Fatal(err)
	}
	holding, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	done := make(chan error)
	go func() {
		// The backup holds a shared lock while its callback waits.
		_, err := f.backup(ctx, coffer.BackupOptions{Progress: func(coffer.Progress) {
			once.Do(func() {
				close(holding)
				<-release
			})
		}})
		done <- err
	}()
	<-holding
	_, err = other.Prune(ctx, coffer.PruneOptions{})
	close(release)
	if !errors.Is(err, coffer.ErrLocked) {
		t.Fatalf("prune during a backup: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatalf("the backup holding the lock: %v", err)
	}
	if _, err := other.Prune(ctx, coffer.PruneOptions{}); err != nil {
		t.Fatalf("prune after the backup: %v", err)
	}
}

func TestForgetPruneCheck(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	var ids []string
	for i := 0; i < 3; i++ {
		res, err := f.backup(ctx, coffer.BackupOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, res.SnapshotID)
	}
	snaps, err := f.repo.Snapshots(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	decisions, err := coffer.EvaluateRetention(`{"keep_last": 2}`, snaps)
	if err != nil || len(decisions) != 3 {
		t.Fatalf("EvaluateRetention: %+v %v", decisions, err)
	}
	res, err := f.repo.Forget(ctx, coffer.ForgetOptions{Retention: &coffer.Retention{KeepLast: 1}})
	if err != nil {
		t.Fatalf("Forget: %v", err)
	}
	if len(res.Removed) != 2 {
		t.Fatalf("forget removed %v, want the two oldest of %v", res.Removed, ids)
	}
	left, _ := f.repo.Snapshots(ctx, nil)
	if len(left) != 1 || left[0].ID != ids[2] {
		t.Fatalf("left %+v, want %s", left, ids[2])
	}
	if _, err := f.repo.Prune(ctx, coffer.PruneOptions{}); err != nil {
		t.Fatalf("Prune: %v", err)
	}
	check, err := f.repo.Check(ctx, coffer.CheckOptions{ReadData: true})
	if err != nil || !check.OK || check.Snapshots != 1 {
		t.Fatalf("Check: %+v %v", check, err)
	}
	next, err := coffer.NextRun(`{"cron": "@daily"}`, time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	if err != nil || !next.Equal(time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("NextRun: %v %v", next, err)
	}
}

func TestKeys(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	id, err := f.repo.AddKey(ctx, "second", "agent", true)
	if err != nil || len(id) == 0 {
		t.Fatalf("AddKey: %q %v", id, err)
	}
	keys, err := f.repo.Keys(ctx)
	if err != nil || len(keys) != 2 {
		t.Fatalf("Keys: %+v %v", keys, err)
	}
	// Both slots may carry the same creation second: find the new one by id.
	for _, k := range keys {
		added := k.ID == id
		if k.Current == added || k.WriteOnly != added || (added && k.Label != "agent") {
			t.Fatalf("key %+v (added: %v)", k, added)
		}
	}
	wo, err := coffer.Open(ctx, f.location, "second")
	if err != nil {
		t.Fatal(err)
	}
	defer wo.Close()
	if _, err := wo.Snapshots(ctx, nil); !errors.Is(err, coffer.ErrPermissionDenied) {
		t.Fatalf("a write-only key lists snapshots: %v", err)
	}
}

func TestCorruptSnapshot(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.backup(ctx, coffer.BackupOptions{}); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(f.location, "snapshots", "*"))
	if len(files) != 1 {
		t.Fatalf("snapshot objects: %v", files)
	}
	data, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0x40
	if err := os.WriteFile(files[0], data, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = f.repo.Snapshots(ctx, nil)
	var ce *coffer.Error
	if !errors.Is(err, coffer.ErrCorrupt) || !errors.As(err, &ce) || !strings.Contains(ce.Message, "snapshots/") {
		t.Fatalf("a damaged snapshot: %v", err)
	}
}

func TestCheckProgressAndCancellation(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.backup(ctx, coffer.BackupOptions{}); err != nil {
		t.Fatal(err)
	}
	var reports []coffer.Progress
	res, err := f.repo.Check(ctx, coffer.CheckOptions{ReadData: true,
		Progress: func(p coffer.Progress) { reports = append(reports, p) }})
	if err != nil || !res.OK {
		t.Fatalf("Check: %+v %v", res, err)
	}
	if len(reports) == 0 {
		t.Fatal("no progress reports")
	}
	last := reports[len(reports)-1]
	if last.Phase != coffer.PhaseVerifying || !last.TotalsFinal || last.FilesDone != res.PacksRead ||
		last.BytesDone != res.BytesRead {
		t.Fatalf("last report %+v for result %+v", last, res)
	}

	cctx, cancel := context.WithCancel(ctx)
	_, err = f.repo.Check(cctx, coffer.CheckOptions{ReadData: true,
		Progress: func(coffer.Progress) { cancel() }})
	if !errors.Is(err, coffer.ErrCancelled) || !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled check: %v", err)
	}
	if res, err := f.repo.Check(ctx, coffer.CheckOptions{}); err != nil || !res.OK {
		t.Fatalf("check after a cancelled one: %+v %v", res, err)
	}
}

func TestRepairAndUnlockOnAHealthyRepository(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.backup(ctx, coffer.BackupOptions{}); err != nil {
		t.Fatal(err)
	}
	rep, err := f.repo.Repair(ctx, true)
	if err != nil || !rep.DryRun || len(rep.Repaired) != 0 || rep.PacksDamaged != 0 || rep.PacksRead == 0 {
		t.Fatalf("Repair: %+v %v", rep, err)
	}
	un, err := f.repo.Unlock(ctx, false)
	if err != nil || un.Removed != 0 || len(un.Locks) != 0 {
		t.Fatalf("Unlock: %+v %v", un, err)
	}
}
