// coffer_backup: C options → BackupOptions.
#include "engine/backup.h"

#include "capi/error.h"
#include "capi/handles.h"
#include "capi/json_views.h"
#include "capi/output.h"

using coffer::capi::Fail;
using coffer::capi::Guard;

namespace coffer::capi {
namespace {

StreamSource MakeStreamSource(const CofferStream& stream) {
  StreamSource source;
  source.path = stream.path;
  coffer_read_fn read = stream.read;
  void* user = stream.user;
  std::string path = stream.path;
  source.read = [read, user, path](MutableByteView buffer) -> absl::StatusOr<size_t> {
    int64_t n = read(user, buffer.data(), buffer.size());
    if (n < 0)
      return absl::UnavailableError(
          Cat("stream ", path, ": the read callback reported an error (", n, ")"));
    if (static_cast<uint64_t>(n) > buffer.size())
      return absl::InvalidArgumentError(Cat("stream ", path, ": the read callback returned ", n,
                                            " bytes for a buffer of ", buffer.size()));
    return static_cast<size_t>(n);
  };
  return source;
}

BackupOptions ToBackupOptions(const coffer_backup_options& c) {
  BackupOptions o;
  o.paths = c.paths;
  o.includes = c.includes;
  o.excludes = c.excludes;
  o.tags = c.tags;
  o.host = c.host;
  if (c.cache_dir) o.cache_dir = std::filesystem::path(*c.cache_dir);
  o.use_files_cache = c.files_cache;
  o.one_file_system = c.one_file_system;
  o.threads = c.threads;
  for (const CofferStream& s : c.streams) o.streams.push_back(MakeStreamSource(s));
  o.progress = MakeProgressFn(c.callbacks);
  o.warning = MakeWarningFn(c.callbacks);
  return o;
}

}  // namespace
}  // namespace coffer::capi

extern "C" COFFER_API coffer_status coffer_backup(coffer_repo* repo,
                                                  const coffer_backup_options* opts,
                                                  char** result_json, coffer_error** err) {
  COFFER_CAPI_ENTRY;
  return Guard(err, [&]() -> coffer_status {
    if (result_json != nullptr) *result_json = nullptr;
    COFFER_CAPI_LEASE(repo);
    COFFER_CAPI_REQUIRE(opts);
    if (opts->paths.empty() && opts->streams.empty())
      return Fail(err, COFFER_ERROR_INVALID_ARGUMENT, "backup: no path or stream to back up");
    // RunBackup holds a shared lock while it runs and reads the current
    // index first, so data any host stored already is not uploaded again.
    auto result = coffer::RunBackup(*repo->repo, coffer::capi::ToBackupOptions(*opts));
    if (!result.ok()) return Fail(err, result.status());
    return coffer::capi::ReturnJson(
        coffer::capi::BackupResultJson(result->snapshot_id, result->snapshot), result_json);
  });
}
