#include <cstdio>

#include "feedd/report.hpp"

namespace feedd {

namespace {

// Redrawing a terminal line more often than this only costs CPU.
constexpr std::chrono::milliseconds kRedrawEvery{100};

int done_of(const PassSummary& s) { return s.fetched + s.not_modified + s.failed; }

std::string progress_line(const PassSummary& s, std::chrono::milliseconds elapsed) {
  const double seconds = std::max(0.001, static_cast<double>(elapsed.count()) / 1000.0);
  char line[160];
  std::snprintf(line, sizeof line, "%d/%d sources, %d errors, %.0f fetches/s", done_of(s), s.sources, s.failed,
                done_of(s) / seconds);
  return line;
}

}  // namespace

PassProgress::PassProgress(std::ostream& out, bool live, std::function<void(const std::string&)> log_line)
    : out_(out), live_(live), log_line_(std::move(log_line)) {}

void PassProgress::update(const PassSummary& so_far, std::chrono::milliseconds elapsed) {
  const int done = done_of(so_far);
  if (live_) {
    if (done < so_far.sources && elapsed - last_drawn_ < kRedrawEvery) return;
    last_drawn_ = elapsed;
    // \r and "erase to end of line": the new text may be shorter than the old.
    out_ << '\r' << progress_line(so_far, elapsed) << "\x1b[K" << std::flush;
    drawn_ = true;
    return;
  }
  if (so_far.sources == 0) return;
  const int tenths = done * 10 / so_far.sources;
  if (tenths <= tenths_printed_) return;
  tenths_printed_ = tenths;
  const std::string line = std::to_string(tenths * 10) + "%: " + progress_line(so_far, elapsed);
  if (log_line_) {
    log_line_(line);
  } else {
    out_ << line << '\n' << std::flush;
  }
}

void PassProgress::finish() {
  if (live_ && drawn_) out_ << "\r\x1b[K" << std::flush;
  drawn_ = false;
}

}  // namespace feedd
