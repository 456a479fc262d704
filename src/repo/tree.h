// Trees: one per directory, stored as blobs of type kTree. A tree is a JSON
// document {"nodes": [...]} with nodes sorted by name; a directory node
// points at its subtree by blob ID, so unchanged directories deduplicate.
// Names, link targets and xattr names that are not valid UTF-8 are stored as
// base64 under "<field>_b64" so no file name is ever altered.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "base/bytes.h"
#include "base/id.h"

namespace coffer {

enum class NodeType { kFile, kDir, kSymlink, kFifo };

// A piece of file content: a blob, or a hole of `hole` zero bytes that is
// restored sparse.
struct ContentPart {
  Id blob;
  uint64_t hole = 0;  // nonzero: this part is a hole and `blob` is unused
  bool is_hole() const { return hole != 0; }
};

struct Xattr {
  std::string name;
  Bytes value;
  bool operator==(const Xattr&) const = default;
};

struct Node {
  std::string name;
  NodeType type = NodeType::kFile;
  uint32_t mode = 0;  // permission bits incl. setuid/setgid/sticky
  uint32_t uid = 0, gid = 0;
  std::string user, group;
  int64_t mtime_ns = 0, atime_ns = 0, ctime_ns = 0;
  uint64_t size = 0;
  uint64_t inode = 0, device = 0;
  uint64_t links = 1;
  std::vector<ContentPart> content;  // kFile
  std::optional<Id> subtree;         // kDir
  std::string link_target;           // kSymlink
  std::vector<Xattr> xattrs;         // user.* attributes, sorted by name
};

struct Tree {
  std::vector<Node> nodes;  // sorted by name, names unique
};

std::string_view NodeTypeName(NodeType type);

Bytes EncodeTree(const Tree& tree);
// DataLoss naming the problem when the document is malformed.
absl::StatusOr<Tree> DecodeTree(ByteView data);

}  // namespace coffer
