// Human-readable formatting for the command line's output.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cli {

std::string FormatBytes(uint64_t bytes);     // "1.5 GiB"
std::string FormatRate(double bytes_per_s);  // "123.4 MB/s"
std::string FormatDuration(double seconds);  // "0.42 s", "3m05s", "2h01m"
std::string FormatClock(double seconds);     // "1:02:03" / "2:03"
std::string FormatRatio(double ratio);       // "2.35x"
// Local time "2026-03-01 12:00:00" for Unix nanoseconds.
std::string FormatLocalTime(int64_t unix_nanos);
// "drwxr-xr-x" from a node type name ("dir") and permission bits.
std::string FormatMode(const std::string& type, uint32_t mode);

// A table with left-aligned columns (right-aligned where `right` is set),
// two spaces apart, with a header row and a rule under it.
class Table {
 public:
  explicit Table(std::vector<std::string> header, std::vector<bool> right = {});
  void Add(std::vector<std::string> row);
  std::string Render() const;
  bool empty() const { return rows_.empty(); }

 private:
  std::vector<std::string> header_;
  std::vector<bool> right_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace cli
