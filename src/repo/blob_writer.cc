#include "repo/blob_writer.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "compress/codec.h"
#include "repo/object_kind.h"

namespace coffer {
namespace {
// An index object is written after this many packs, so an interrupted
// backup's uploaded packs are reusable by the next one.
constexpr size_t kPacksPerIndexObject = 32;
constexpr size_t kBlobsPerIndexObject = 1u << 20;
// Larger per-thread payload buffers are freed after use (a maximal chunk is
// rare; an average one is 1 MiB).
constexpr size_t kMaxKeptPayload = size_t{2} << 20;
int TypeSlot(BlobType type) { return type == BlobType::kTree ? 1 : 0; }
}  // namespace

namespace {
int UploadThreads(Repository& repo, int requested) {
  return std::max(requested > 0 ? requested : repo.store().ParallelWrites(), 1);
}
// A pack ends at the first blob that takes it past the target size, so it
// can exceed the target by one blob (at most a maximal chunk).
size_t PackCapacity(Repository& repo) {
  return size_t{repo.config().pack_size} + repo.chunker().params().max_size + (size_t{64} << 10);
}
}  // namespace

BlobWriter::BlobWriter(Repository& repo, int upload_threads)
    : repo_(repo),
      inline_uploads_(upload_threads == 0 && repo.store().ParallelWrites() == 1),
      // Enough for every pack in flight (uploading, queued, open) to find one.
      pack_buffers_(static_cast<size_t>(UploadThreads(repo, upload_threads)) + 3, 2 * PackCapacity(repo)),
      deferred_mark_(repo.store().DeferredMark()),
      uploads_(std::make_unique<WorkQueue>(UploadThreads(repo, upload_threads), 1)) {}
BlobWriter::~BlobWriter() = default;

bool BlobWriter::Known(const Id& id) {
  if (repo_.index().Has(id)) return true;
  std::lock_guard<std::mutex> guard(mu_);
  return pending_.contains(id);
}

bool BlobWriter::KnownAll(std::span<const Id> ids) {
  constexpr size_t kBatch = 256;
  bool found[kBatch];
  for (size_t start = 0; start < ids.size(); start += kBatch) {
    std::span<const Id> batch = ids.subspan(start, std::min(kBatch, ids.size() - start));
    repo_.index().HasMany(batch, found);
    // What the index lacks may still be pending in this writer.
    for (size_t i = 0; i < batch.size(); ++i) {
      if (found[i]) continue;
      std::lock_guard<std::mutex> guard(mu_);
      if (!pending_.contains(batch[i])) return false;
    }
  }
  return true;
}

absl::StatusOr<bool> BlobWriter::Save(BlobType type, const Id& id, ByteView plaintext) {
  if (repo_.index().Has(id)) return false;
  {
    std::lock_guard<std::mutex> guard(mu_);
    COFFER_RETURN_IF_ERROR(error_);
    if (!pending_.insert(id).second) return false;
  }
  // Trees are small JSON and compress well whatever the data codec is.
  Compression compression = type == BlobType::kTree ? Compression{Codec::kZstd, 3} : repo_.config().compression;
  // Reused per thread (see CompressBlobInto); a rare huge one is not kept.
  thread_local Bytes payload;
  CompressBlobInto(plaintext, compression, payload);

  std::unique_ptr<PackBuilder> full;
  {
    std::lock_guard<std::mutex> guard(mu_);
    COFFER_RETURN_IF_ERROR(error_);
    auto& pack = open_pack_[TypeSlot(type)];
    if (!pack) pack = NewPack();
    size_t before = pack->size();
    pack->Add(type, id, payload, static_cast<uint32_t>(plaintext.size()));
    stats_.blobs_added++;
    stats_.bytes_added += plaintext.size();
    stats_.bytes_added_stored += pack->size() - before;
    if (pack->size() >= repo_.config().pack_size || pack->blob_count() >= kMaxBlobsPerPack / 4)
      full = std::move(pack);
  }
  if (payload.capacity() > kMaxKeptPayload) Bytes().swap(payload);
  if (full) {
    if (!inline_uploads_) {
      QueueUpload(std::move(full));
    } else if (absl::Status s = UploadPack(*full); !s.ok()) {
      return s;
    }
  }
  return true;
}

std::unique_ptr<PackBuilder> BlobWriter::NewPack() {
  return std::make_unique<PackBuilder>(repo_.config().data_cipher, repo_.keys().public_key,
                                       pack_buffers_.Take(), PackCapacity(repo_));
}

void BlobWriter::QueueUpload(std::unique_ptr<PackBuilder> pack) {
  std::shared_ptr<PackBuilder> shared(std::move(pack));
  uploads_->Submit([this, shared] { (void)UploadPack(*shared); });
}

absl::Status BlobWriter::UploadPack(PackBuilder& pack) {
  {
    // After a failure nothing more is uploaded: the backup is failing anyway.
    std::lock_guard<std::mutex> guard(mu_);
    COFFER_RETURN_IF_ERROR(error_);
  }
  std::vector<PackedBlob> blobs = pack.blobs();
  Bytes bytes = pack.Finish();
  // Deferred: the store may finish it in the background (a local disk's
  // fsync); WriteIndexObject waits for that before naming the pack.
  auto pack_id = repo_.PutContentAddressedDeferred(&PackName, bytes);
  pack_buffers_.Give(std::move(bytes));
  IndexObject full;
  {
    std::lock_guard<std::mutex> guard(mu_);
    if (!pack_id.ok()) {
      if (error_.ok()) error_ = Annotate(pack_id.status(), "uploading a pack");
      return error_;
    }
    stats_.packs_written++;
    unwritten_blobs_ += blobs.size();
    unwritten_index_.packs.push_back({*pack_id, std::move(blobs)});
    // Bounded by pack count and by entries, so index objects stay far below
    // the size readers accept.
    if (unwritten_index_.packs.size() < kPacksPerIndexObject && unwritten_blobs_ < kBlobsPerIndexObject)
      return absl::OkStatus();
    full = std::exchange(unwritten_index_, IndexObject{});
    unwritten_blobs_ = 0;
  }
  // Written outside the lock: a slow request here must not stall Save on
  // every worker.
  return WriteIndexObject(std::move(full));
}

absl::Status BlobWriter::WriteIndexObject(IndexObject index) {
  if (index.packs.empty()) return absl::OkStatus();
  // The packs it names must be durable first (crash-safety invariant).
  absl::Status packs_stored = repo_.store().WaitDeferred(deferred_mark_);
  if (!packs_stored.ok()) {
    std::lock_guard<std::mutex> guard(mu_);
    if (error_.ok()) error_ = Annotate(packs_stored, "uploading a pack");
    return error_;
  }
  auto id = repo_.PutContentAddressed(&IndexName, EncryptIndexObject(index, repo_.keys().index_key));
  std::lock_guard<std::mutex> guard(mu_);
  if (!id.ok()) {
    if (error_.ok()) error_ = Annotate(id.status(), "writing an index object");
    return error_;
  }
  for (auto& pack : index.packs) indexed_.packs.push_back(std::move(pack));
  indexed_ids_.push_back(*id);
  return absl::OkStatus();
}

absl::Status BlobWriter::Flush() {
  for (auto& slot : open_pack_) {
    std::unique_ptr<PackBuilder> pack;
    {
      std::lock_guard<std::mutex> guard(mu_);
      COFFER_RETURN_IF_ERROR(error_);
      pack = std::move(slot);
    }
    if (pack && pack->blob_count() > 0) QueueUpload(std::move(pack));
  }
  uploads_->Wait();  // and with the uploads, the index objects they write
  IndexObject rest;
  {
    std::lock_guard<std::mutex> guard(mu_);
    COFFER_RETURN_IF_ERROR(error_);
    rest = std::exchange(unwritten_index_, IndexObject{});
    unwritten_blobs_ = 0;
  }
  COFFER_RETURN_IF_ERROR(WriteIndexObject(std::move(rest)));
  std::lock_guard<std::mutex> guard(mu_);
  // Every pack is written: the recycled pack storage is freed before the
  // index grows, so the two do not add up to the peak (a later pack takes
  // fresh storage).
  pack_buffers_.Clear();
  // Make everything written so far visible to readers in this process.
  // REQUIRES (documented): no Save runs concurrently with Flush.
  repo_.AddToIndex(indexed_, indexed_ids_);
  indexed_ = IndexObject{};
  indexed_ids_.clear();
  // The repository's index now answers for every saved blob.
  absl::flat_hash_set<Id>().swap(pending_);
  return absl::OkStatus();
}

BlobWriterStats BlobWriter::stats() {
  std::lock_guard<std::mutex> guard(mu_);
  return stats_;
}

}  // namespace coffer
