#include "format.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>

namespace cli {
namespace {

std::string Printf(const char* fmt, double value) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), fmt, value);
  return buf;
}

// Display width: counts UTF-8 code points, not bytes.
size_t Width(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

}  // namespace

std::string FormatBytes(uint64_t bytes) {
  static const char* const kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  if (bytes < 1024) return std::to_string(bytes) + " B";
  double v = static_cast<double>(bytes);
  int unit = 0;
  while (v >= 1024 && unit < 5) {
    v /= 1024;
    ++unit;
  }
  return Printf(v < 10 ? "%.2f" : v < 100 ? "%.1f" : "%.0f", v) + " " + kUnits[unit];
}

std::string FormatRate(double bytes_per_s) { return Printf("%.1f", bytes_per_s / 1e6) + " MB/s"; }

std::string FormatDuration(double seconds) {
  if (seconds < 60) return Printf(seconds < 10 ? "%.2f" : "%.1f", seconds) + " s";
  auto total = static_cast<long>(std::lround(seconds));
  char buf[32];
  if (total < 3600)
    std::snprintf(buf, sizeof(buf), "%ldm%02lds", total / 60, total % 60);
  else
    std::snprintf(buf, sizeof(buf), "%ldh%02ldm", total / 3600, (total / 60) % 60);
  return buf;
}

std::string FormatClock(double seconds) {
  auto total = static_cast<long>(seconds < 0 ? 0 : seconds);
  char buf[32];
  if (total >= 3600)
    std::snprintf(buf, sizeof(buf), "%ld:%02ld:%02ld", total / 3600, (total / 60) % 60, total % 60);
  else
    std::snprintf(buf, sizeof(buf), "%ld:%02ld", total / 60, total % 60);
  return buf;
}

std::string FormatRatio(double ratio) { return Printf("%.2f", ratio) + "x"; }

std::string FormatLocalTime(int64_t unix_nanos) {
  std::time_t t = static_cast<std::time_t>(unix_nanos / 1000000000);
  if (unix_nanos < 0 && unix_nanos % 1000000000 != 0) --t;
  struct tm local;
  localtime_r(&t, &local);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &local);
  return buf;
}

std::string FormatMode(const std::string& type, uint32_t mode) {
  std::string s(10, '-');
  if (type == "dir")
    s[0] = 'd';
  else if (type == "symlink")
    s[0] = 'l';
  else if (type == "fifo")
    s[0] = 'p';
  static const char kRwx[] = "rwxrwxrwx";
  for (int i = 0; i < 9; ++i)
    if (mode & (1u << (8 - i))) s[1 + i] = kRwx[i];
  auto special = [&s](size_t pos, bool set, char with_exec, char without_exec) {
    if (set) s[pos] = s[pos] == 'x' ? with_exec : without_exec;
  };
  special(3, mode & 04000, 's', 'S');
  special(6, mode & 02000, 's', 'S');
  special(9, mode & 01000, 't', 'T');
  return s;
}

Table::Table(std::vector<std::string> header, std::vector<bool> right)
    : header_(std::move(header)), right_(std::move(right)) {
  right_.resize(header_.size(), false);
}

void Table::Add(std::vector<std::string> row) {
  row.resize(header_.size());
  rows_.push_back(std::move(row));
}

std::string Table::Render() const {
  std::vector<size_t> widths(header_.size());
  for (size_t i = 0; i < header_.size(); ++i) widths[i] = Width(header_[i]);
  for (const auto& row : rows_)
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], Width(row[i]));
  auto render_row = [&](const std::vector<std::string>& row) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      std::string pad(widths[i] - Width(row[i]), ' ');
      bool last = i + 1 == row.size();
      line += right_[i] ? pad + row[i] : (last ? row[i] : row[i] + pad);
      if (!last) line += "  ";
    }
    return line + "\n";
  };
  std::string out = render_row(header_);
  size_t total = 0;
  for (size_t w : widths) total += w;
  out += std::string(total + 2 * (widths.size() - 1), '-') + "\n";
  for (const auto& row : rows_) out += render_row(row);
  return out;
}

}  // namespace cli
