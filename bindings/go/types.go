package coffer

import "time"

// RepoInfo describes a repository (coffer_repo_info).
type RepoInfo struct {
	Location      string    `json:"location"`
	RepoID        string    `json:"repo_id"`
	FormatVersion int       `json:"format_version"`
	Created       time.Time `json:"created"`
	Chunker       struct {
		Algorithm string `json:"algorithm"`
		MinSize   uint32 `json:"min_size"`
		AvgSize   uint32 `json:"avg_size"`
		MaxSize   uint32 `json:"max_size"`
	} `json:"chunker"`
	DataCipher  string `json:"data_cipher"`
	Compression struct {
		Codec string `json:"codec"`
		Level int    `json:"level"`
	} `json:"compression"`
	PackSize  uint32 `json:"pack_size"`
	KeyID     string `json:"key_id"`
	WriteOnly bool   `json:"write_only"`
}

// BackupSummary counts what a backup did.
type BackupSummary struct {
	FilesNew         uint64  `json:"files_new"`
	FilesChanged     uint64  `json:"files_changed"`
	FilesUnchanged   uint64  `json:"files_unchanged"`
	Dirs             uint64  `json:"dirs"`
	OtherEntries     uint64  `json:"other_entries"`
	BytesRead        uint64  `json:"bytes_read"`
	BytesTotal       uint64  `json:"bytes_total"`
	BlobsAdded       uint64  `json:"blobs_added"`
	BytesAdded       uint64  `json:"bytes_added"`
	BytesAddedStored uint64  `json:"bytes_added_stored"`
	Errors           uint64  `json:"errors"`
	DurationSeconds  float64 `json:"duration_seconds"`
}

// FileError is a file a backup could not read.
type FileError struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}

// BackupResult is the snapshot a backup wrote.
type BackupResult struct {
	SnapshotID string        `json:"snapshot_id"`
	ShortID    string        `json:"short_id"`
	Time       time.Time     `json:"time"`
	TimeNS     int64         `json:"time_ns"`
	Host       string        `json:"host"`
	Paths      []string      `json:"paths"`
	Tags       []string      `json:"tags"`
	Partial    bool          `json:"partial"`
	Summary    BackupSummary `json:"summary"`
	Errors     []FileError   `json:"errors"`
}

// RestoreResult counts what a restore wrote.
type RestoreResult struct {
	SnapshotID      string  `json:"snapshot_id"`
	Files           uint64  `json:"files"`
	Dirs            uint64  `json:"dirs"`
	Symlinks        uint64  `json:"symlinks"`
	Other           uint64  `json:"other"`
	Bytes           uint64  `json:"bytes"`
	Errors          uint64  `json:"errors"`
	DurationSeconds float64 `json:"duration_seconds"`
}

// Snapshot is one snapshot of the repository.
type Snapshot struct {
	ID             string        `json:"id"`
	ShortID        string        `json:"short_id"`
	Time           time.Time     `json:"time"`
	TimeNS         int64         `json:"time_ns"`
	Host           string        `json:"host"`
	User           string        `json:"user"`
	Paths          []string      `json:"paths"`
	Tags           []string      `json:"tags"`
	Parent         *string       `json:"parent"`
	Tree           string        `json:"tree"`
	Partial        bool          `json:"partial"`
	Summary        BackupSummary `json:"summary"`
	Errors         []FileError   `json:"errors"`
	ProgramVersion string        `json:"program_version"`
}

// Node is an entry of a snapshot's tree.
type Node struct {
	Path       string    `json:"path"`
	Name       string    `json:"name"`
	Type       string    `json:"type"` // "file", "dir", "symlink", "fifo"
	Mode       uint32    `json:"mode"` // permission bits
	UID        uint32    `json:"uid"`
	GID        uint32    `json:"gid"`
	User       string    `json:"user"`
	Group      string    `json:"group"`
	Size       uint64    `json:"size"`
	MTimeNS    int64     `json:"mtime_ns"`
	MTime      time.Time `json:"mtime"`
	LinkTarget string    `json:"link_target,omitempty"`
}

// Match is a node found by Find.
type Match struct {
	SnapshotID     string    `json:"snapshot_id"`
	SnapshotTime   time.Time `json:"snapshot_time"`
	SnapshotTimeNS int64     `json:"snapshot_time_ns"`
	Path           string    `json:"path"`
	Type           string    `json:"type"`
	Size           uint64    `json:"size"`
	MTimeNS        int64     `json:"mtime_ns"`
}

// Stats are statistics over snapshots.
type Stats struct {
	Snapshots        uint64  `json:"snapshots"`
	Files            uint64  `json:"files"`
	Dirs             uint64  `json:"dirs"`
	LogicalBytes     uint64  `json:"logical_bytes"`
	UniqueBlobs      uint64  `json:"unique_blobs"`
	UniqueBytes      uint64  `json:"unique_bytes"`
	StoredBytes      uint64  `json:"stored_bytes"`
	RepositoryBytes  uint64  `json:"repository_bytes"`
	DedupRatio       float64 `json:"dedup_ratio"`
	CompressionRatio float64 `json:"compression_ratio"`
}

// Filter selects snapshots: any of Hosts, all of Tags, all of Paths.
type Filter struct {
	Hosts []string `json:"hosts,omitempty"`
	Tags  []string `json:"tags,omitempty"`
	Paths []string `json:"paths,omitempty"`
}

// Key is a key slot.
type Key struct {
	ID        string    `json:"id"`
	ShortID   string    `json:"short_id"`
	Host      string    `json:"host"`
	User      string    `json:"user"`
	Label     string    `json:"label"`
	Created   time.Time `json:"created"`
	WriteOnly bool      `json:"write_only"`
	Current   bool      `json:"current"`
}
