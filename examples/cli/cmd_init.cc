// coffer init: creates a repository.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>
#include <optional>

#include "cli.h"
#include "format.h"
#include "password.h"

namespace cli {
namespace {

struct InitArgs {
  std::string compression;
  int compression_level = 0;
  uint32_t pack_size_mib = 0;
  uint32_t chunk_min_kib = 0, chunk_avg_kib = 0, chunk_max_kib = 0;
  KdfArgs kdf;
  std::string data_cipher;
  std::string label;
  std::string copy_keys_from;      // a mirror of this repository
  std::string from_password_file;  // its password
  uint32_t retention_days = 0;     // object lock
  std::string retention_mode = "governance";
};

int RunInit(const Globals& globals, const InitArgs& args) {
  std::string location = RepoLocation(globals);
  coffer::api::InitOptions options;
  if (!args.compression.empty()) options.compression(args.compression, args.compression_level);
  if (args.pack_size_mib != 0) options.pack_size(args.pack_size_mib << 20);
  if (args.chunk_min_kib || args.chunk_avg_kib || args.chunk_max_kib) {
    uint32_t min = args.chunk_min_kib ? args.chunk_min_kib * 1024 : coffer_default_chunk_min_size();
    uint32_t avg = args.chunk_avg_kib ? args.chunk_avg_kib * 1024 : coffer_default_chunk_avg_size();
    uint32_t max = args.chunk_max_kib ? args.chunk_max_kib * 1024 : coffer_default_chunk_max_size();
    options.chunker(min, avg, max);
  }
  if (args.kdf.given()) options.kdf(args.kdf.ops_limit(), args.kdf.mem_limit_bytes());
  if (!args.data_cipher.empty()) options.data_cipher(args.data_cipher);
  if (!args.label.empty()) options.key_label(args.label);
  if (!globals.mirror.empty()) options.mirror(globals.mirror);
  if (args.retention_days != 0) options.retention_lock(args.retention_days, args.retention_mode);

  std::optional<coffer::api::Repo> source;
  if (!args.copy_keys_from.empty()) {
    source.emplace(coffer::api::Repo::Open(args.copy_keys_from,
                                           SourceRepositoryPassword(args.from_password_file)));
    options.copy_keys_from(source->handle());
  }
  std::string password = RepositoryPassword(globals.password_file, /*confirm=*/true);
  coffer::api::Repo repo = coffer::api::Repo::Init(location, password, &options);
  if (source && !globals.json && !globals.quiet)
    std::printf("mirror of %s: same keys and chunking, packs copy without re-encryption\n",
                args.copy_keys_from.c_str());
  nlohmann::json info = ParseJson(repo.info());
  if (globals.json) {
    PrintJson(info);
  } else if (!globals.quiet) {
    std::printf("created coffer repository %s at %s\n",
                info["repo_id"].get<std::string>().substr(0, 8).c_str(), location.c_str());
    std::printf("  chunks %s / %s / %s, %s compression, %s packs, %s\n",
                FormatBytes(info["chunker"]["min_size"].get<uint64_t>()).c_str(),
                FormatBytes(info["chunker"]["avg_size"].get<uint64_t>()).c_str(),
                FormatBytes(info["chunker"]["max_size"].get<uint64_t>()).c_str(),
                info["compression"]["codec"].get<std::string>().c_str(),
                FormatBytes(info["pack_size"].get<uint64_t>()).c_str(),
                info["data_cipher"].get<std::string>().c_str());
    std::printf("Keep the password safe: without it the data cannot be recovered.\n");
  }
  return kExitOk;
}

}  // namespace

void AddInitCommand(CLI::App& app, const Globals& globals, Command& command) {
  auto args = std::make_shared<InitArgs>();
  CLI::App* sub = app.add_subcommand("init", "Create a new repository");
  sub->add_option("--compression", args->compression,
                  "Compression of new data: zstd (default, level 3), lz4 or none")
      ->check(CLI::IsMember({"lz4", "zstd", "none"}));
  sub->add_option("--compression-level", args->compression_level, "zstd level (0 = default)")
      ->check(CLI::Range(0, 22));
  sub->add_option("--pack-size", args->pack_size_mib, "Target pack size in MiB (default 4 on a local disk, 32 on S3, Azure, GCS and coffer-server)")
      ->check(CLI::Range(1, 1024));
  sub->add_option("--chunk-min", args->chunk_min_kib, "Minimum chunk size in KiB (default 512)");
  sub->add_option("--chunk-avg", args->chunk_avg_kib,
                  "Average chunk size in KiB, a power of two (default 1024)");
  sub->add_option("--chunk-max", args->chunk_max_kib, "Maximum chunk size in KiB (default 8192)");
  sub->add_option(
         "--data-cipher", args->data_cipher,
         "aes-256-gcm or xchacha20-poly1305 (default: AES-GCM when the CPU accelerates it)")
      ->check(CLI::IsMember({"aes-256-gcm", "xchacha20-poly1305"}));
  sub->add_option("--label", args->label, "Label of the first key");
  sub->add_option("--copy-keys-from", args->copy_keys_from,
                  "Make a mirror of repository SRC: share its keys and chunking, so `copy` "
                  "moves packs without re-encrypting (password: $COFFER_FROM_PASSWORD or "
                  "--from-password-file)");
  sub->add_option("--from-password-file", args->from_password_file,
                  "Read the password of --copy-keys-from from the first line of FILE");
  sub->add_option("--retention-lock", args->retention_days,
                  "Object lock: upload every object under retention for DAYS days (S3 Object "
                  "Lock, Azure immutability policy, GCS object retention; enable it on the "
                  "bucket first, see README)")
      ->check(CLI::Range(1, 36500));
  sub->add_option("--retention-mode", args->retention_mode,
                  "governance (default: privileged users may lift it) or compliance (nobody can)")
      ->check(CLI::IsMember({"governance", "compliance"}));
  AddKdfOptions(sub, args->kdf, "for the first key");
  sub->callback([&globals, &command, args] {
    command = [&globals, args] { return RunInit(globals, *args); };
  });
}

}  // namespace cli
