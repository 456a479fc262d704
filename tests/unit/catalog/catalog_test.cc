#include <catch2/catch.hpp>
#include <filesystem>

#include "catalog/catalog.h"
#include "engine/backup.h"
#include "support/repo_fixture.h"
#include "support/temp_dir.h"
#include "support/tree_builder.h"

using namespace coffer;
namespace fs = std::filesystem;
using coffer::testing::WriteFile;

namespace {
struct Fixture {
  coffer::testing::TempDir tmp;
  std::unique_ptr<Repository> repo = coffer::testing::MustInit(NewLocalStore(tmp / "repo"));
  fs::path src = tmp / "src";

  Id Backup(std::vector<std::string> tags, std::string host = "alpha") {
    fs::create_directories(tmp / "cache");
    BackupOptions o;
    o.paths = {src.string()};
    o.tags = std::move(tags);
    o.host = std::move(host);
    o.cache_dir = tmp / "cache";
    auto r = RunBackup(*repo, o);
    REQUIRE(r.ok());
    return r->snapshot_id;
  }
};
}  // namespace

TEST_CASE("snapshot filters select by host, tag and path") {
  Fixture f;
  WriteFile(f.src / "a.txt", "a");
  Id s1 = f.Backup({"daily"}, "alpha");
  Id s2 = f.Backup({"daily", "db"}, "beta");
  SnapshotFilter by_host{{"beta"}, {}, {}};
  auto r = ListSnapshots(*f.repo, by_host);
  REQUIRE(r->size() == 1);
  CHECK(r->front().id == s2);
  SnapshotFilter by_tags{{}, {"daily"}, {}};
  CHECK(ListSnapshots(*f.repo, by_tags)->size() == 2);
  SnapshotFilter by_path{{}, {}, {f.src.string() + "/"}};
  CHECK(ListSnapshots(*f.repo, by_path)->size() == 2);
  SnapshotFilter none{{}, {"weekly"}, {}};
  CHECK(ListSnapshots(*f.repo, none)->empty());
  (void)s1;
}

TEST_CASE("ls lists a directory's children, or everything below it recursively") {
  Fixture f;
  WriteFile(f.src / "docs" / "a.txt", "a");
  WriteFile(f.src / "docs" / "sub" / "b.txt", "bb");
  f.Backup({});
  std::string docs = (f.src / "docs").string();
  auto flat = ListSnapshotTree(*f.repo, "latest", docs, false);
  REQUIRE(flat.ok());
  std::vector<std::string> paths;
  for (const auto& n : *flat) paths.push_back(n.path);
  CHECK(paths == std::vector<std::string>{docs, docs + "/a.txt", docs + "/sub"});
  auto deep = ListSnapshotTree(*f.repo, "latest", docs, true);
  REQUIRE(deep->size() == 4);
  CHECK(deep->back().path == docs + "/sub/b.txt");
  CHECK(deep->back().node.size == 2);
  CHECK(absl::IsNotFound(ListSnapshotTree(*f.repo, "latest", "/nope", false).status()));
}

TEST_CASE("find locates files across snapshots") {
  Fixture f;
  WriteFile(f.src / "report-2025.pdf", "1");
  f.Backup({});
  WriteFile(f.src / "sub" / "report-2026.pdf", "2");
  f.Backup({});
  auto matches = FindInSnapshots(*f.repo, "report-*.pdf", {});
  REQUIRE(matches.ok());
  CHECK(matches->size() == 3);  // 2025 in both snapshots, 2026 in the second
  auto by_path = FindInSnapshots(*f.repo, f.src.string() + "/sub", {});
  REQUIRE(by_path->size() == 1);
  CHECK(by_path->front().entry.node.type == NodeType::kDir);
}

TEST_CASE("stats report logical size, dedup and compression") {
  Fixture f;
  std::string text;
  for (int i = 0; i < 50000; ++i) text += "the same line again and again\n";
  WriteFile(f.src / "a.txt", text);
  WriteFile(f.src / "copy.txt", text);  // identical: deduplicated
  f.Backup({});
  f.Backup({});  // unchanged: everything deduplicated
  auto stats = ComputeStats(*f.repo, {});
  REQUIRE(stats.ok());
  CHECK(stats->snapshots == 2);
  CHECK(stats->files == 4);
  CHECK(stats->logical_bytes == 4 * text.size());
  CHECK(stats->unique_bytes <= text.size() + 4096);
  CHECK(stats->dedup_ratio > 3.5);
  CHECK(stats->compression_ratio > 5);
  CHECK(stats->repository_bytes > stats->stored_bytes);
}
