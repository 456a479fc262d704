// Writes new blobs into packs and packs into the store, then indexes them.
//
// Crash-safety invariant (docs/FORMAT.md): a pack is uploaded and durable
// (Store::WaitDeferred) before any index object names it, and Flush returns
// only after every saved blob is in an uploaded pack named by an uploaded
// index object. Callers write a snapshot only after Flush succeeds.
//
// Thread-safe: Save may be called from many threads at once; compression and
// encryption run on the calling thread, outside the locks.
//
// Full packs are uploaded by a pool of upload threads, several at once, so
// one slow request to a cloud store does not stall the pipeline; at most
// `upload_threads` packs are in flight and a few more queued (Save blocks
// while the queue is full: the back-pressure that bounds memory). On a store
// that takes one write at a time (a local disk) the worker that fills a pack
// writes it itself, so fewer packs are held in memory.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "base/buffer_pool.h"
#include "base/work_queue.h"
#include "repo/index.h"
#include "repo/pack.h"
#include "repo/repository.h"

namespace coffer {

struct BlobWriterStats {
  uint64_t blobs_added = 0;
  uint64_t bytes_added = 0;         // plaintext
  uint64_t bytes_added_stored = 0;  // encrypted envelopes
  uint64_t packs_written = 0;
};

class BlobWriter {
 public:
  // upload_threads 0: as many as the store says pay off (Store::ParallelWrites).
  explicit BlobWriter(Repository& repo, int upload_threads = 0);
  ~BlobWriter();

  // Stores `plaintext` under `id` unless the repository (index) or this
  // writer already has it. Returns true when the blob was new. A failed
  // upload makes this and every later call fail.
  absl::StatusOr<bool> Save(BlobType type, const Id& id, ByteView plaintext);
  // True when the blob exists in the index or was saved by this writer.
  bool Known(const Id& id);
  // True when every blob is Known: one batched index lookup (Index::HasMany).
  bool KnownAll(std::span<const Id> ids);

  // Uploads partly filled packs and writes the index object(s), then adds
  // them to the repository's in-memory index. Frees the recycled pack
  // storage once the packs are written (later packs take fresh storage).
  // REQUIRES: no Save runs concurrently.
  absl::Status Flush();

  BlobWriterStats stats();

 private:
  // Hands a full pack to the upload pool (blocks while the pool is busy).
  void QueueUpload(std::unique_ptr<PackBuilder> pack);
  absl::Status UploadPack(PackBuilder& pack);
  // Encrypts and stores `index` (outside mu_), then records it as indexed.
  absl::Status WriteIndexObject(IndexObject index);
  std::unique_ptr<PackBuilder> NewPack();

  Repository& repo_;
  // A store that takes one write at a time (a local disk): the worker that
  // fills a pack writes it, outside the lock, while the others go on. The
  // CPU is busy either way; a queue would only hold more packs in memory.
  const bool inline_uploads_;
  std::mutex mu_;  // guards everything below
  absl::flat_hash_set<Id> pending_;
  std::unique_ptr<PackBuilder> open_pack_[2];  // one per blob type: trees pack together
  IndexObject unwritten_index_;  // uploaded packs not yet in an index object
  size_t unwritten_blobs_ = 0;
  IndexObject indexed_;          // indexed on the store, not yet in repo_.index()
  std::vector<Id> indexed_ids_;  // the index objects that hold indexed_
  BlobWriterStats stats_;
  absl::Status error_;
  // Finished packs' storage, reused by new packs (see BufferPool).
  BufferPool pack_buffers_;
  // This writer's packs are the store's deferred writes from here on.
  const uint64_t deferred_mark_;
  // Last member: destroyed first, so queued uploads finish while the state
  // they update still exists.
  std::unique_ptr<WorkQueue> uploads_;
};

}  // namespace coffer
