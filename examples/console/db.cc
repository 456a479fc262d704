// SQLite access and the console's schema.
#include "db.h"

#include <stdexcept>

namespace console {
namespace {

// Every table the console keeps. Secrets are never stored: passwords as
// Argon2id hashes, session and agent credentials and enrollment tokens as
// keyed BLAKE2b hashes (they are long random strings, so a fast hash
// suffices). Repository passwords and cloud keys never reach the console.
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS settings(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sessions(
  token_hash TEXT PRIMARY KEY, csrf TEXT NOT NULL, created_ns INTEGER NOT NULL,
  expires_ns INTEGER NOT NULL, client TEXT);
CREATE TABLE IF NOT EXISTS enrollment_tokens(
  id INTEGER PRIMARY KEY, token_hash TEXT UNIQUE NOT NULL, label TEXT NOT NULL,
  policy_id INTEGER, created_ns INTEGER NOT NULL, expires_ns INTEGER NOT NULL,
  used_by_agent INTEGER);
CREATE TABLE IF NOT EXISTS policies(
  id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL, body TEXT NOT NULL,
  version INTEGER NOT NULL DEFAULT 1, updated_ns INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS agents(
  id INTEGER PRIMARY KEY, name TEXT NOT NULL, host TEXT NOT NULL DEFAULT '',
  version TEXT NOT NULL DEFAULT '', os TEXT NOT NULL DEFAULT '',
  credential_hash TEXT UNIQUE NOT NULL, policy_id INTEGER, enrolled_ns INTEGER NOT NULL,
  last_seen_ns INTEGER, revoked_ns INTEGER, repo_id TEXT, repository TEXT,
  policy_version_applied INTEGER);
CREATE TABLE IF NOT EXISTS jobs(
  id TEXT PRIMARY KEY, agent_id INTEGER NOT NULL, kind TEXT NOT NULL, state TEXT NOT NULL,
  trigger TEXT NOT NULL DEFAULT 'schedule', created_ns INTEGER NOT NULL,
  started_ns INTEGER, ended_ns INTEGER, progress TEXT, summary TEXT, error TEXT,
  snapshot_id TEXT, request TEXT);
CREATE INDEX IF NOT EXISTS jobs_by_time ON jobs(created_ns);
CREATE INDEX IF NOT EXISTS jobs_by_agent ON jobs(agent_id, created_ns);
CREATE TABLE IF NOT EXISTS storage_samples(
  id INTEGER PRIMARY KEY, agent_id INTEGER NOT NULL, time_ns INTEGER NOT NULL,
  repository TEXT, repo_id TEXT, snapshots INTEGER, logical_bytes INTEGER,
  unique_bytes INTEGER, stored_bytes INTEGER, repository_bytes INTEGER, dedup_ratio REAL);
CREATE INDEX IF NOT EXISTS samples_by_agent ON storage_samples(agent_id, time_ns);
)sql";

struct Statement {
  sqlite3_stmt* stmt = nullptr;
  ~Statement() { sqlite3_finalize(stmt); }
};

}  // namespace

Db::Db(const std::string& path) {
  if (sqlite3_open_v2(path.c_str(), &db_,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK) {
    std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw std::runtime_error("cannot open database " + path + ": " + message);
  }
  sqlite3_busy_timeout(db_, 5000);
  ExecUnlocked("PRAGMA journal_mode=WAL");
  ExecUnlocked("PRAGMA foreign_keys=ON");
  ExecUnlocked("PRAGMA secure_delete=ON");  // deleted sessions leave no traces in free pages
  CreateSchema();
}

Db::~Db() { sqlite3_close(db_); }

void Db::ExecUnlocked(const char* sql) {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) != SQLITE_OK) {
    std::string message = error ? error : "unknown error";
    sqlite3_free(error);
    throw std::runtime_error(std::string("database: ") + message);
  }
}

void Db::CreateSchema() {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  ExecUnlocked(kSchema);
}

namespace {

void Prepare(sqlite3* db, const std::string& sql, const std::vector<SqlValue>& params,
             Statement& st) {
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st.stmt, nullptr) != SQLITE_OK)
    throw std::runtime_error(std::string("database: ") + sqlite3_errmsg(db) + " in: " + sql);
  for (size_t i = 0; i < params.size(); ++i) {
    int index = static_cast<int>(i + 1);
    const SqlValue& v = params[i];
    int rc = SQLITE_OK;
    if (std::holds_alternative<std::nullptr_t>(v)) rc = sqlite3_bind_null(st.stmt, index);
    if (auto* n = std::get_if<int64_t>(&v)) rc = sqlite3_bind_int64(st.stmt, index, *n);
    if (auto* d = std::get_if<double>(&v)) rc = sqlite3_bind_double(st.stmt, index, *d);
    if (auto* s = std::get_if<std::string>(&v))
      rc = sqlite3_bind_text(st.stmt, index, s->data(), static_cast<int>(s->size()),
                             SQLITE_TRANSIENT);
    if (rc != SQLITE_OK) throw std::runtime_error(std::string("database: ") + sqlite3_errmsg(db));
  }
}

}  // namespace

int64_t Db::Exec(const std::string& sql, const std::vector<SqlValue>& params) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  Statement st;
  Prepare(db_, sql, params, st);
  int rc;
  while ((rc = sqlite3_step(st.stmt)) == SQLITE_ROW) {
  }
  if (rc != SQLITE_DONE) throw std::runtime_error(std::string("database: ") + sqlite3_errmsg(db_));
  return sqlite3_changes(db_);
}

nlohmann::json Db::Query(const std::string& sql, const std::vector<SqlValue>& params) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  Statement st;
  Prepare(db_, sql, params, st);
  nlohmann::json rows = nlohmann::json::array();
  int rc;
  while ((rc = sqlite3_step(st.stmt)) == SQLITE_ROW) {
    nlohmann::json row = nlohmann::json::object();
    int n = sqlite3_column_count(st.stmt);
    for (int c = 0; c < n; ++c) {
      const char* name = sqlite3_column_name(st.stmt, c);
      switch (sqlite3_column_type(st.stmt, c)) {
        case SQLITE_INTEGER:
          row[name] = static_cast<int64_t>(sqlite3_column_int64(st.stmt, c));
          break;
        case SQLITE_FLOAT:
          row[name] = sqlite3_column_double(st.stmt, c);
          break;
        case SQLITE_NULL:
          row[name] = nullptr;
          break;
        default:
          row[name] = std::string(reinterpret_cast<const char*>(sqlite3_column_text(st.stmt, c)),
                                  static_cast<size_t>(sqlite3_column_bytes(st.stmt, c)));
      }
    }
    rows.push_back(std::move(row));
  }
  if (rc != SQLITE_DONE) throw std::runtime_error(std::string("database: ") + sqlite3_errmsg(db_));
  return rows;
}

std::optional<nlohmann::json> Db::QueryOne(const std::string& sql,
                                           const std::vector<SqlValue>& params) {
  nlohmann::json rows = Query(sql, params);
  if (rows.empty()) return std::nullopt;
  return rows[0];
}

int64_t Db::LastInsertId() {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  return sqlite3_last_insert_rowid(db_);
}

std::optional<std::string> Db::Setting(const std::string& key) {
  auto row = QueryOne("SELECT value FROM settings WHERE key = ?", {key});
  if (!row) return std::nullopt;
  return (*row)["value"].get<std::string>();
}

void Db::SetSetting(const std::string& key, const std::string& value) {
  Exec(
      "INSERT INTO settings(key, value) VALUES(?, ?) "
      "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
      {key, value});
}

}  // namespace console
