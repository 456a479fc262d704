// Tree encoding: the bytes must never change (a tree's id is their hash, and
// dedup of unchanged directories across backups and versions depends on it).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <random>

#include "absl/strings/str_cat.h"
#include "base/base64.h"
#include "repo/tree.h"

using namespace coffer;
using nlohmann::json;

namespace {

bool IsUtf8ByNlohmann(const std::string& s) {
  try {
    (void)json(s).dump();
    return true;
  } catch (const json::exception&) {
    return false;
  }
}

void PutName(json& j, const char* field, const std::string& value) {
  if (IsUtf8ByNlohmann(value)) {
    j[field] = value;
  } else {
    j[std::string(field) + "_b64"] = Base64Encode(AsBytes(value));
  }
}

// The encoding as the first version produced it: a JSON document dumped
// compactly. EncodeTree must match it byte for byte.
std::string ReferenceEncoding(const Tree& tree) {
  json nodes = json::array();
  for (const Node& n : tree.nodes) {
    json j;
    PutName(j, "name", n.name);
    j["type"] = NodeTypeName(n.type);
    j["mode"] = n.mode;
    j["uid"] = n.uid;
    j["gid"] = n.gid;
    if (!n.user.empty()) PutName(j, "user", n.user);
    if (!n.group.empty()) PutName(j, "group", n.group);
    j["mtime_ns"] = n.mtime_ns;
    j["atime_ns"] = n.atime_ns;
    j["ctime_ns"] = n.ctime_ns;
    if (n.type == NodeType::kFile) {
      j["size"] = n.size;
      json content = json::array();
      for (const ContentPart& p : n.content)
        content.push_back(p.is_hole() ? json(absl::StrCat("hole:", p.hole)) : json(p.blob.Hex()));
      j["content"] = std::move(content);
      if (n.links > 1) {
        j["links"] = n.links;
        j["inode"] = n.inode;
        j["device"] = n.device;
      }
    }
    if (n.subtree) j["subtree"] = n.subtree->Hex();
    if (n.type == NodeType::kSymlink) PutName(j, "target", n.link_target);
    if (!n.xattrs.empty()) {
      json xs = json::array();
      for (const Xattr& x : n.xattrs) {
        json xj;
        PutName(xj, "name", x.name);
        xj["value"] = Base64Encode(x.value);
        xs.push_back(std::move(xj));
      }
      j["xattrs"] = std::move(xs);
    }
    nodes.push_back(std::move(j));
  }
  return json{{"nodes", std::move(nodes)}}.dump();
}

Id RandomId(std::mt19937_64& rng) {
  Id id;
  for (auto& b : id.bytes) b = static_cast<uint8_t>(rng());
  return id;
}

// Names mixing plain text, every control character, quotes, backslashes,
// DEL, multi-byte UTF-8 and bytes that are not UTF-8 at all.
std::string RandomName(std::mt19937_64& rng) {
  static const std::vector<std::string> pieces = {
      "a", "report", ".hidden", " ", "\"", "\\", "/", "\x7f", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
      "\xff", "\xc3", "\xed\xa0\x80", "\xc0\xaf", "\xf4\x90\x80\x80", "\x01", "\x1f", "\b", "\f", "\n", "\r", "\t"};
  std::string s;
  size_t n = 1 + rng() % 6;
  for (size_t i = 0; i < n; ++i) s += pieces[rng() % pieces.size()];
  return s;
}

Node RandomNode(std::mt19937_64& rng) {
  Node n;
  n.name = RandomName(rng);
  n.type = static_cast<NodeType>(rng() % 4);
  n.mode = static_cast<uint32_t>(rng() % 07777 + 1);
  n.uid = static_cast<uint32_t>(rng());
  n.gid = static_cast<uint32_t>(rng() % 3 == 0 ? 0 : rng());
  if (rng() % 2) n.user = RandomName(rng);
  if (rng() % 2) n.group = RandomName(rng);
  n.mtime_ns = static_cast<int64_t>(rng());  // negative too: before 1970
  n.atime_ns = rng() % 5 == 0 ? INT64_MIN : static_cast<int64_t>(rng() >> 1);
  n.ctime_ns = rng() % 5 == 0 ? INT64_MAX : static_cast<int64_t>(rng() >> 3);
  n.size = rng() % 3 == 0 ? UINT64_MAX : rng() % 100000;
  n.inode = rng();
  n.device = rng();
  n.links = rng() % 3 == 0 ? 1 + rng() % 5 : 1;
  if (n.type == NodeType::kFile) {
    size_t parts = rng() % 5;
    for (size_t i = 0; i < parts; ++i)
      n.content.push_back(rng() % 4 == 0 ? ContentPart{Id{}, 1 + rng() % (1u << 30)} : ContentPart{RandomId(rng), 0});
  }
  if (n.type == NodeType::kDir && rng() % 4 != 0) n.subtree = RandomId(rng);
  if (n.type == NodeType::kSymlink) n.link_target = rng() % 5 == 0 ? "" : RandomName(rng);
  size_t xattrs = rng() % 4 == 0 ? 1 + rng() % 3 : 0;
  for (size_t i = 0; i < xattrs; ++i) {
    Bytes value(rng() % 40);
    for (auto& b : value) b = static_cast<uint8_t>(rng());
    n.xattrs.push_back({"user." + RandomName(rng), std::move(value)});
  }
  return n;
}

}  // namespace

TEST_CASE("tree encoding matches the original JSON document byte for byte") {
  std::mt19937_64 rng(20261127);
  for (int round = 0; round < 2000; ++round) {
    Tree tree;
    size_t nodes = rng() % 6;
    for (size_t i = 0; i < nodes; ++i) tree.nodes.push_back(RandomNode(rng));
    Bytes encoded = EncodeTree(tree);
    std::string expected = ReferenceEncoding(tree);
    INFO("round " << round);
    REQUIRE(ToString(encoded) == expected);
  }
}

TEST_CASE("tree encoding of a known tree is fixed") {
  // Pinned bytes: a change here changes every tree id, and with it every
  // existing repository's dedup of unchanged directories.
  Tree tree;
  Node dir;
  dir.name = "docs";
  dir.type = NodeType::kDir;
  dir.mode = 0755;
  dir.mtime_ns = 1700000000000000000;
  dir.subtree = Id{};
  Node file;
  file.name = "a\"b\n\xff";
  file.mode = 0644;
  file.uid = 1000;
  file.gid = 1000;
  file.user = "ann";
  file.mtime_ns = -5;
  file.size = 3;
  file.content = {ContentPart{Id{}, 0}, ContentPart{Id{}, 4096}};
  file.xattrs = {Xattr{"user.k", Bytes{'v'}}};
  tree.nodes = {dir, file};
  std::string zero(64, '0');
  CHECK(ToString(EncodeTree(tree)) ==
        absl::StrCat(R"({"nodes":[{"atime_ns":0,"ctime_ns":0,"gid":0,"mode":493,"mtime_ns":1700000000000000000,)",
                     R"("name":"docs","subtree":")", zero, R"(","type":"dir","uid":0},)",
                     R"({"atime_ns":0,"content":[")", zero, R"(","hole:4096"],"ctime_ns":0,"gid":1000,)",
                     R"("mode":420,"mtime_ns":-5,"name_b64":"YSJiCv8=","size":3,"type":"file","uid":1000,)",
                     R"("user":"ann","xattrs":[{"name":"user.k","value":"dg=="}]}]})"));
}

TEST_CASE("an encoded tree decodes to the same nodes") {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 300; ++round) {
    Tree tree;
    for (size_t i = 0, n = 1 + rng() % 5; i < n; ++i) {
      Node node = RandomNode(rng);
      node.name += std::to_string(i);  // unique names
      if (node.type == NodeType::kDir && !node.subtree) node.subtree = Id{};  // as decoding requires
      tree.nodes.push_back(std::move(node));
    }
    auto decoded = DecodeTree(EncodeTree(tree));
    INFO(decoded.status().ToString());
    REQUIRE(decoded.ok());
    REQUIRE(decoded->nodes.size() == tree.nodes.size());
    // Re-encoding what was decoded gives the same bytes: nothing was lost.
    CHECK(EncodeTree(*decoded) == EncodeTree(tree));
  }
}
