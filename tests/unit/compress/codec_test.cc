#include <catch2/catch.hpp>

#include <random>
#include <string>

#include "base/byte_io.h"
#include "compress/codec.h"

using namespace coffer;

namespace {

constexpr size_t kLimit = 64 << 20;

Bytes RandomData(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Bytes out(n);
  for (auto& b : out) b = static_cast<uint8_t>(rng());
  return out;
}

// Text-like data: words from a small vocabulary, so every codec shrinks it.
Bytes CompressibleData(size_t n) {
  static const char* kWords[] = {"backup ", "chunk ", "coffer ", "pack ", "index ",
                                 "snapshot ", "restore ", "prune\n"};
  std::mt19937_64 rng(42);
  std::string s;
  while (s.size() < n) s += kWords[rng() % 8];
  s.resize(n);
  return ToBytes(s);
}

Codec PayloadCodec(const Bytes& payload) { return static_cast<Codec>(payload.at(0)); }

Bytes Payload(uint8_t codec, uint64_t raw_size, ByteView data) {
  ByteWriter w;
  w.U8(codec);
  w.Varint(raw_size);
  w.Raw(data);
  return w.Take();
}

void CheckDataLoss(const absl::StatusOr<Bytes>& result, std::string_view mentions) {
  INFO(result.status().ToString());
  REQUIRE_FALSE(result.ok());
  CHECK(result.status().code() == absl::StatusCode::kDataLoss);
  CHECK(std::string(result.status().message()).find(mentions) != std::string::npos);
}

}  // namespace

TEST_CASE("codec names round-trip") {
  for (Codec c : {Codec::kNone, Codec::kLz4, Codec::kZstd}) {
    CHECK(ParseCodecName(CodecName(c)) == c);
  }
  CHECK(CodecName(Codec::kZstd) == "zstd");
  CHECK_FALSE(ParseCodecName("gzip").has_value());
  CHECK_FALSE(ParseCodecName("").has_value());
}

TEST_CASE("compressible data round-trips and shrinks with every codec") {
  const Bytes raw = CompressibleData(1 << 20);
  const Compression variants[] = {{Codec::kLz4, 0}, {Codec::kZstd, 0}, {Codec::kZstd, 1},
                                  {Codec::kZstd, 19}, {Codec::kZstd, -5}};
  for (const Compression& c : variants) {
    INFO(CodecName(c.codec) << " level " << c.level);
    Bytes payload = CompressBlob(raw, c);
    CHECK(PayloadCodec(payload) == c.codec);
    CHECK(payload.size() < raw.size() / 2);
    auto back = DecompressBlob(payload, kLimit);
    REQUIRE(back.ok());
    CHECK(*back == raw);
  }
}

TEST_CASE("codec none stores the bytes after a short header") {
  const Bytes raw = CompressibleData(1000);
  Bytes payload = CompressBlob(raw, {Codec::kNone, 0});
  CHECK(PayloadCodec(payload) == Codec::kNone);
  CHECK(payload.size() == raw.size() + 3);  // codec byte + 2-byte varint
  auto back = DecompressBlob(payload, kLimit);
  REQUIRE(back.ok());
  CHECK(*back == raw);
}

TEST_CASE("random data falls back to none and still round-trips") {
  const Bytes raw = RandomData(256 << 10, 1);
  for (Codec c : {Codec::kLz4, Codec::kZstd}) {
    INFO(CodecName(c));
    Bytes payload = CompressBlob(raw, {c, 0});
    CHECK(PayloadCodec(payload) == Codec::kNone);
    CHECK(payload.size() <= raw.size() + 4);
    auto back = DecompressBlob(payload, kLimit);
    REQUIRE(back.ok());
    CHECK(*back == raw);
  }
}

TEST_CASE("empty and tiny blobs round-trip") {
  for (Codec c : {Codec::kNone, Codec::kLz4, Codec::kZstd}) {
    for (size_t n : {0, 1, 2, 17}) {
      INFO(CodecName(c) << " size " << n);
      const Bytes raw(n, 'a');
      Bytes payload = CompressBlob(raw, {c, 0});
      auto back = DecompressBlob(payload, kLimit);
      REQUIRE(back.ok());
      CHECK(*back == raw);
    }
  }
}

TEST_CASE("hostile payloads are rejected with DataLoss") {
  const Bytes raw = CompressibleData(100000);
  const Bytes lz4 = CompressBlob(raw, {Codec::kLz4, 0});
  const Bytes zstd = CompressBlob(raw, {Codec::kZstd, 0});
  REQUIRE(PayloadCodec(lz4) == Codec::kLz4);
  REQUIRE(PayloadCodec(zstd) == Codec::kZstd);

  SECTION("empty payload") { CheckDataLoss(DecompressBlob(Bytes{}, kLimit), "empty"); }
  SECTION("truncated varint") {
    CheckDataLoss(DecompressBlob(Bytes{0, 0x80}, kLimit), "raw length");
    CheckDataLoss(DecompressBlob(Bytes{1}, kLimit), "raw length");
  }
  SECTION("unknown codec") {
    CheckDataLoss(DecompressBlob(Payload(3, 1, Bytes{'x'}), kLimit), "unknown codec 3");
    CheckDataLoss(DecompressBlob(Payload(0xff, 0, {}), kLimit), "unknown codec");
  }
  SECTION("declared length above the limit") {
    CheckDataLoss(DecompressBlob(Payload(2, uint64_t{1} << 40, Bytes{1, 2, 3}), kLimit),
                  "exceeds the limit");
    CheckDataLoss(DecompressBlob(zstd, raw.size() - 1), "exceeds the limit");
    CheckDataLoss(DecompressBlob(Payload(1, ~uint64_t{0}, {}), ~size_t{0} - 1),
                  "exceeds the limit");
  }
  SECTION("a tiny payload declaring more than its codec can expand to") {
    // Refused before any allocation of the declared size.
    CheckDataLoss(DecompressBlob(Payload(1, 32u << 20, Bytes{1, 2, 3, 4, 5, 6}), kLimit),
                  "more than lz4 can expand");
    CheckDataLoss(DecompressBlob(Payload(2, 32u << 20, Bytes{1, 2, 3, 4, 5, 6}), kLimit),
                  "more than zstd can expand");
    // Highly compressible data still round-trips near the bounds.
    const Bytes zeros(8 << 20, 0);
    for (Codec codec : {Codec::kLz4, Codec::kZstd}) {
      auto back = DecompressBlob(CompressBlob(zeros, {codec, 0}), kLimit);
      REQUIRE(back.ok());
      CHECK(*back == zeros);
    }
  }
  SECTION("uncompressed length mismatch") {
    CheckDataLoss(DecompressBlob(Payload(0, 5, Bytes{1, 2, 3}), kLimit), "declares 5");
    CheckDataLoss(DecompressBlob(Payload(0, 2, Bytes{1, 2, 3}), kLimit), "declares 2");
  }
  SECTION("truncated compressed data") {
    for (const Bytes* p : {&lz4, &zstd}) {
      Bytes cut(p->begin(), p->end() - 10);
      CheckDataLoss(DecompressBlob(cut, kLimit), "malformed");
    }
  }
  SECTION("declared length differs from the decompressed length") {
    for (const Bytes* p : {&lz4, &zstd}) {
      ByteReader r(*p);
      uint8_t codec = *r.U8();
      r.Varint();
      ByteView body = ByteView(*p).subspan(r.position());
      CheckDataLoss(DecompressBlob(Payload(codec, raw.size() + 1, body), kLimit), "malformed");
      CheckDataLoss(DecompressBlob(Payload(codec, raw.size() - 1, body), kLimit), "malformed");
    }
  }
  SECTION("garbage codec data") {
    const Bytes junk = RandomData(5000, 9);
    CheckDataLoss(DecompressBlob(Payload(1, 100000, junk), kLimit), "lz4");
    CheckDataLoss(DecompressBlob(Payload(2, 100000, junk), kLimit), "zstd");
  }
  SECTION("trailing bytes after the compressed data") {
    for (const Bytes* p : {&lz4, &zstd}) {
      Bytes extra = *p;
      extra.push_back(0);
      CheckDataLoss(DecompressBlob(extra, kLimit), "malformed");
    }
  }
}
