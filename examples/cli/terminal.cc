#include "terminal.h"

#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdio>

#include "format.h"

namespace cli {
namespace {

volatile sig_atomic_t g_interrupted = 0;
ProgressLine* g_active = nullptr;

void OnSignal(int) { g_interrupted = 1; }

size_t TerminalWidth() {
  struct winsize ws;
  if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20) return ws.ws_col;
  return 80;
}

}  // namespace

void InstallSignalHandlers() {
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESETHAND;  // a second Ctrl-C ends the process at once
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

bool Interrupted() { return g_interrupted != 0; }

ProgressLine::ProgressLine(bool enabled, std::string verb)
    : enabled_(enabled && isatty(STDERR_FILENO)), verb_(std::move(verb)) {
  if (enabled_) g_active = this;
}

ProgressLine::~ProgressLine() {
  Clear();
  if (g_active == this) g_active = nullptr;
}

coffer::api::ProgressFn ProgressLine::Callback() {
  return [this](const coffer::api::Progress& p) {
    if (enabled_) Draw(p);
    return !Interrupted();
  };
}

void ProgressLine::Clear() {
  if (!drawn_) return;
  std::fputs("\r\033[K", stderr);
  std::fflush(stderr);
  drawn_ = false;
}

void ProgressLine::Draw(const coffer::api::Progress& p) {
  auto now = std::chrono::steady_clock::now();
  if (drawn_ && now - last_draw_ < std::chrono::milliseconds(200)) return;
  last_draw_ = now;

  std::string line = "[" + FormatClock(p.elapsed_seconds) + "] ";
  if (p.phase == COFFER_PHASE_SCANNING)
    line += "scanning ";
  else if (p.phase == COFFER_PHASE_FINISHING)
    line += "finishing ";
  else
    line += verb_ + " ";
  std::string total_mark = p.totals_final ? "" : "+";
  line +=
      std::to_string(p.files_done) + "/" + std::to_string(p.files_total) + total_mark + " files, ";
  line += FormatBytes(p.bytes_done) + "/" + FormatBytes(p.bytes_total) + total_mark;
  double rate = p.elapsed_seconds > 0 ? p.bytes_done / p.elapsed_seconds : 0;
  line += ", " + FormatRate(rate);
  if (p.totals_final && rate > 0 && p.bytes_total > p.bytes_done)
    line += ", ETA " + FormatClock((p.bytes_total - p.bytes_done) / rate);
  if (p.errors > 0) line += ", " + std::to_string(p.errors) + " errors";

  // The counters always fit; the path gets what is left, keeping its end
  // (the file name) and eliding its beginning.
  size_t width = TerminalWidth() - 1;
  if (!p.current_path.empty() && line.size() + 6 < width) {
    size_t room = width - line.size() - 2;
    std::string path = p.current_path;
    if (path.size() > room) path = "..." + path.substr(path.size() - (room - 3));
    line += "  " + path;
  }
  if (line.size() > width) line.resize(width);
  std::fprintf(stderr, "\r\033[K%s", line.c_str());
  std::fflush(stderr);
  drawn_ = true;
}

void ClearActiveProgressLine() {
  if (g_active != nullptr) g_active->Clear();
}

}  // namespace cli
