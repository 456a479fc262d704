// Blob payload: [codec: u8][raw length: varint (LEB128)][codec data].
// kNone carries the raw bytes; kLz4 a single LZ4 block (no frame); kZstd one
// or more zstd frames. The raw length is written first so a reader can refuse
// a decompression bomb before allocating anything.
#include "compress/codec.h"

#include <lz4.h>
#include <zstd.h>

#include <algorithm>
#include <limits>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "base/byte_io.h"

namespace coffer {
namespace {

constexpr int kZstdDefaultLevel = 3;

struct ZstdCCtxFree {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};
struct ZstdDCtxFree {
  void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
};

// Contexts are reused per thread: creating one costs more than compressing a
// small blob, and a context may not be shared between threads.
ZSTD_CCtx* ThreadCCtx() {
  thread_local std::unique_ptr<ZSTD_CCtx, ZstdCCtxFree> ctx(ZSTD_createCCtx());
  return ctx.get();
}
ZSTD_DCtx* ThreadDCtx() {
  thread_local std::unique_ptr<ZSTD_DCtx, ZstdDCtxFree> ctx(ZSTD_createDCtx());
  return ctx.get();
}

void PutHeader(Codec codec, size_t raw_size, Bytes& out) {
  ByteWriter w;
  w.U8(static_cast<uint8_t>(codec));
  w.Varint(raw_size);
  out.assign(w.bytes().begin(), w.bytes().end());
}

// Replaces `out`'s contents, keeping its capacity.
void WithHeader(Codec codec, size_t raw_size, ByteView data, Bytes& out) {
  PutHeader(codec, raw_size, out);
  out.insert(out.end(), data.begin(), data.end());
}

// Codecs write into a per-thread buffer that keeps its size, so the output
// bound (about a chunk) is not zero-filled and page-faulted in again for
// every blob; only the compressed bytes are copied out.
// Allocated with default initialisation: pages a codec never writes (the
// bound is far above a compressible blob's output) are never touched, so
// they cost no resident memory.
MutableByteView ThreadScratch(size_t size) {
  thread_local std::unique_ptr<uint8_t[]> scratch;
  thread_local size_t capacity = 0;
  if (capacity < size) {
    scratch.reset(new uint8_t[size]);
    capacity = size;
  }
  return MutableByteView(scratch.get(), size);
}

// Each returns the compressed bytes (in the thread's scratch buffer), or an
// empty view when the codec cannot make the data smaller or fails; the caller
// then stores the data raw.
ByteView CompressLz4(ByteView raw) {
  if (raw.size() < 2 || raw.size() > static_cast<size_t>(LZ4_MAX_INPUT_SIZE)) return {};
  // Only a result strictly smaller than the input is worth keeping.
  const int capacity = static_cast<int>(raw.size()) - 1;
  MutableByteView dst = ThreadScratch(static_cast<size_t>(capacity));
  const int n = LZ4_compress_default(reinterpret_cast<const char*>(raw.data()),
                                     reinterpret_cast<char*>(dst.data()),
                                     static_cast<int>(raw.size()), capacity);
  if (n <= 0) return {};
  return ByteView(dst.data(), static_cast<size_t>(n));
}

ByteView CompressZstd(ByteView raw, int level) {
  if (raw.size() < 2) return {};
  ZSTD_CCtx* ctx = ThreadCCtx();
  if (ctx == nullptr) return {};
  if (level == 0) level = kZstdDefaultLevel;
  level = std::clamp(level, ZSTD_minCLevel(), ZSTD_maxCLevel());
  MutableByteView dst = ThreadScratch(raw.size() - 1);
  const size_t n = ZSTD_compressCCtx(ctx, dst.data(), dst.size(), raw.data(), raw.size(), level);
  // Too small a buffer is an error (dstSize_tooSmall): the data did not shrink.
  if (ZSTD_isError(n)) return {};
  return ByteView(dst.data(), n);
}

absl::Status Malformed(const std::string& what) {
  return absl::DataLossError(absl::StrCat("malformed compressed blob: ", what));
}

}  // namespace

std::string_view CodecName(Codec codec) {
  switch (codec) {
    case Codec::kNone:
      return "none";
    case Codec::kLz4:
      return "lz4";
    case Codec::kZstd:
      return "zstd";
  }
  return "unknown";
}

std::optional<Codec> ParseCodecName(std::string_view name) {
  for (Codec c : {Codec::kNone, Codec::kLz4, Codec::kZstd}) {
    if (name == CodecName(c)) return c;
  }
  return std::nullopt;
}

void CompressBlobInto(ByteView raw, const Compression& compression, Bytes& out) {
  ByteView compressed;
  switch (compression.codec) {
    case Codec::kLz4:
      compressed = CompressLz4(raw);
      break;
    case Codec::kZstd:
      compressed = CompressZstd(raw, compression.level);
      break;
    case Codec::kNone:
      break;
  }
  if (compressed.empty()) {
    WithHeader(Codec::kNone, raw.size(), raw, out);
  } else {
    WithHeader(compression.codec, raw.size(), compressed, out);
  }
}

Bytes CompressBlob(ByteView raw, const Compression& compression) {
  Bytes out;
  CompressBlobInto(raw, compression, out);
  return out;
}

absl::StatusOr<Bytes> DecompressBlob(ByteView payload, size_t max_raw_size) {
  ByteReader r(payload);
  const std::optional<uint8_t> codec_byte = r.U8();
  if (!codec_byte) return Malformed("empty payload");
  const std::optional<uint64_t> raw_size = r.Varint();
  if (!raw_size) return Malformed("truncated or invalid raw length");
  if (*raw_size > max_raw_size) {
    return Malformed(absl::StrCat("declared raw length ", *raw_size, " exceeds the limit of ",
                                  max_raw_size, " bytes"));
  }
  const ByteView data = payload.subspan(r.position());
  const size_t n = static_cast<size_t>(*raw_size);

  switch (*codec_byte) {
    case static_cast<uint8_t>(Codec::kNone): {
      if (data.size() != n) {
        return Malformed(absl::StrCat("uncompressed blob holds ", data.size(),
                                      " bytes but declares ", n));
      }
      return Bytes(data.begin(), data.end());
    }
    case static_cast<uint8_t>(Codec::kLz4): {
      if (n > static_cast<size_t>(std::numeric_limits<int>::max()) ||
          data.size() > static_cast<size_t>(std::numeric_limits<int>::max())) {
        return Malformed("lz4 block too large");
      }
      // An LZ4 block expands at most about 255-fold (a length byte of 255
      // adds 255 bytes of match), so a larger declaration is a lie; refusing
      // it keeps a tiny hostile payload from allocating gigabytes.
      if (n > data.size() * 255 + 64)
        return Malformed(absl::StrCat("declared raw length ", n, " is more than lz4 can expand ",
                                      data.size(), " bytes to"));
      Bytes out(n);
      char spare;  // LZ4 wants a valid pointer even for an empty output
      char* dst = n == 0 ? &spare : reinterpret_cast<char*>(out.data());
      const int got = LZ4_decompress_safe(reinterpret_cast<const char*>(data.data()), dst,
                                          static_cast<int>(data.size()), static_cast<int>(n));
      if (got < 0) return Malformed("corrupt lz4 data");
      if (static_cast<size_t>(got) != n) {
        return Malformed(absl::StrCat("lz4 data decompressed to ", got, " bytes, expected ", n));
      }
      return out;
    }
    case static_cast<uint8_t>(Codec::kZstd): {
      ZSTD_DCtx* ctx = ThreadDCtx();
      if (ctx == nullptr) return absl::ResourceExhaustedError("out of memory decompressing blob");
      // A zstd block expands at most to 128 KiB from 4 bytes (an RLE block),
      // so bound the declaration before allocating; frames we write also
      // carry their content size, which must agree.
      if (n > data.size() * 32768 + 131072)
        return Malformed(absl::StrCat("declared raw length ", n, " is more than zstd can expand ",
                                      data.size(), " bytes to"));
      const unsigned long long frame_size = ZSTD_getFrameContentSize(data.data(), data.size());
      if (frame_size != ZSTD_CONTENTSIZE_UNKNOWN && frame_size != n)
        return Malformed(frame_size == ZSTD_CONTENTSIZE_ERROR
                             ? std::string("corrupt zstd frame header")
                             : absl::StrCat("zstd frame holds ", frame_size, " bytes but the blob declares ", n));
      Bytes out(n);
      uint8_t spare;
      uint8_t* dst = n == 0 ? &spare : out.data();
      const size_t got = ZSTD_decompressDCtx(ctx, dst, n, data.data(), data.size());
      if (ZSTD_isError(got)) {
        return Malformed(absl::StrCat("corrupt zstd data (", ZSTD_getErrorName(got), ")"));
      }
      if (got != n) {
        return Malformed(absl::StrCat("zstd data decompressed to ", got, " bytes, expected ", n));
      }
      return out;
    }
    default:
      return Malformed(absl::StrCat("unknown codec ", static_cast<int>(*codec_byte)));
  }
}

}  // namespace coffer
