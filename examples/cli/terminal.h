// Interaction with the terminal: SIGINT/SIGTERM turn into a cancel request,
// and a single progress line is redrawn on stderr.
#pragma once

#include <chrono>
#include <string>

#include "coffer/coffer.hpp"

namespace cli {

// Installs SIGINT/SIGTERM handlers that set a flag (a second signal kills
// the process the default way).
void InstallSignalHandlers();
bool Interrupted();

// Draws progress when stderr is a terminal and `enabled`; the callback it
// makes always honours Interrupted(), so Ctrl-C cancels cleanly even when
// nothing is drawn.
class ProgressLine {
 public:
  ProgressLine(bool enabled, std::string verb);
  ~ProgressLine();
  coffer::api::ProgressFn Callback();
  // Erases the line (before printing anything else on stderr).
  void Clear();

 private:
  void Draw(const coffer::api::Progress& p);

  bool enabled_;
  std::string verb_;
  std::chrono::steady_clock::time_point last_draw_{};
  bool drawn_ = false;
};

// The active progress line, if any, so warnings can clear it first.
void ClearActiveProgressLine();

}  // namespace cli
