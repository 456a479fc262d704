// The console's state: one SQLite file. A thin wrapper that binds
// parameters (never string-pastes values into SQL) and serialises access
// from the HTTP threads with one mutex.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace console {

// A value bound to a `?` placeholder.
using SqlValue = std::variant<std::nullptr_t, int64_t, double, std::string>;

class Db {
 public:
  // Opens (creating when missing) the database and brings its schema up to date.
  explicit Db(const std::string& path);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  // Runs one statement; returns the number of rows changed.
  int64_t Exec(const std::string& sql, const std::vector<SqlValue>& params = {});
  // Runs a query; each row is a JSON object keyed by column name (integers,
  // reals, text, null).
  nlohmann::json Query(const std::string& sql, const std::vector<SqlValue>& params = {});
  // The first row, if any.
  std::optional<nlohmann::json> QueryOne(const std::string& sql,
                                         const std::vector<SqlValue>& params = {});
  int64_t LastInsertId();

  // Runs `body` in a transaction (committed when it returns, rolled back on
  // an exception).
  template <typename Body>
  auto Transaction(Body&& body) {
    std::lock_guard<std::recursive_mutex> lock(mutex_);
    ExecUnlocked("BEGIN IMMEDIATE");
    try {
      auto result = body();
      ExecUnlocked("COMMIT");
      return result;
    } catch (...) {
      ExecUnlocked("ROLLBACK");
      throw;
    }
  }

  // Settings: a small key/value table.
  std::optional<std::string> Setting(const std::string& key);
  void SetSetting(const std::string& key, const std::string& value);

 private:
  void ExecUnlocked(const char* sql);
  void CreateSchema();

  sqlite3* db_ = nullptr;
  std::recursive_mutex mutex_;
};

}  // namespace console
