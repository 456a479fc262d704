#include "repo/tree.h"

#include "repo/json_int.h"

#include <nlohmann/json.hpp>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/base64.h"

namespace coffer {
namespace {

using nlohmann::json;
using json_int::Int;
using json_int::IntOr;


std::optional<std::string> GetName(const json& j, const char* field) {
  if (auto it = j.find(field); it != j.end()) return it->get<std::string>();
  if (auto it = j.find(std::string(field) + "_b64"); it != j.end()) {
    auto bytes = Base64Decode(it->get<std::string>());
    if (!bytes) return std::nullopt;
    return ToString(*bytes);
  }
  return std::string();
}

std::optional<NodeType> ParseNodeType(std::string_view s) {
  if (s == "file") return NodeType::kFile;
  if (s == "dir") return NodeType::kDir;
  if (s == "symlink") return NodeType::kSymlink;
  if (s == "fifo") return NodeType::kFifo;
  return std::nullopt;
}

}  // namespace

std::string_view NodeTypeName(NodeType type) {
  switch (type) {
    case NodeType::kFile: return "file";
    case NodeType::kDir: return "dir";
    case NodeType::kSymlink: return "symlink";
    case NodeType::kFifo: return "fifo";
  }
  return "unknown";
}

// EncodeTree is in tree_encode.cc.

absl::StatusOr<Tree> DecodeTree(ByteView data) {
  Tree tree;
  try {
    json doc = json::parse(AsChars(data));
    for (const json& j : doc.at("nodes")) {
      Node n;
      auto name = GetName(j, "name");
      auto type = ParseNodeType(j.at("type").get<std::string>());
      if (!name || name->empty() || !type) return absl::DataLossError("tree: node without name or type");
      n.name = *name;
      n.type = *type;
      n.mode = Int<uint32_t>(j.at("mode"));
      n.uid = Int<uint32_t>(j.at("uid"));
      n.gid = Int<uint32_t>(j.at("gid"));
      n.user = GetName(j, "user").value_or("");
      n.group = GetName(j, "group").value_or("");
      n.mtime_ns = Int<int64_t>(j.at("mtime_ns"));
      n.atime_ns = IntOr(j, "atime_ns", int64_t{0});
      n.ctime_ns = IntOr(j, "ctime_ns", int64_t{0});
      n.size = IntOr(j, "size", uint64_t{0});
      n.links = IntOr(j, "links", uint64_t{1});
      n.inode = IntOr(j, "inode", uint64_t{0});
      n.device = IntOr(j, "device", uint64_t{0});
      if (auto it = j.find("content"); it != j.end()) {
        for (const json& part : *it) {
          std::string s = part.get<std::string>();
          ContentPart p;
          if (s.rfind("hole:", 0) == 0) {
            std::string digits = s.substr(5);
            if (digits.empty() || digits.size() > 19 ||
                digits.find_first_not_of("0123456789") != std::string::npos)
              return absl::DataLossError("tree: malformed hole length");
            p.hole = std::stoull(digits);
            if (p.hole == 0) return absl::DataLossError("tree: empty hole");
          } else {
            auto id = Id::FromHex(s);
            if (!id) return absl::DataLossError("tree: malformed content id");
            p.blob = *id;
          }
          n.content.push_back(p);
        }
      }
      if (auto it = j.find("subtree"); it != j.end()) {
        auto id = Id::FromHex(it->get<std::string>());
        if (!id) return absl::DataLossError("tree: malformed subtree id");
        n.subtree = *id;
      }
      if (n.type == NodeType::kDir && !n.subtree) return absl::DataLossError("tree: directory without subtree");
      if (n.type == NodeType::kSymlink) n.link_target = GetName(j, "target").value_or("");
      if (auto it = j.find("xattrs"); it != j.end()) {
        for (const json& xj : *it) {
          auto xname = GetName(xj, "name");
          auto value = Base64Decode(xj.at("value").get<std::string>());
          if (!xname || !value) return absl::DataLossError("tree: malformed xattr");
          n.xattrs.push_back({*xname, *value});
        }
      }
      tree.nodes.push_back(std::move(n));
    }
  } catch (const std::exception& e) {
    return absl::DataLossError(absl::StrCat("tree: malformed: ", e.what()));
  }
  return tree;
}

}  // namespace coffer
