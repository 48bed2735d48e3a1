#pragma once
// What the command line shows people about fetching: the live progress of `feedd once`
// and the table of `feedd status`. Text only; the caller decides where it goes.

#include <chrono>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "feedd/config.hpp"
#include "feedd/pipeline.hpp"
#include "feedd/store.hpp"
#include "feedd/time.hpp"

namespace feedd {

// Progress of one `feedd once` pass. On a terminal (`live`) one line is redrawn in place
// ("done/total, errors, fetches/s"); elsewhere (a pipe, a log) one line is printed each
// time another tenth of the sources is done, so a cron mail stays short; those lines go to
// `log_line` when given (the daemon's log, so that journald gets them with a priority).
class PassProgress {
 public:
  // `out` must outlive the PassProgress.
  PassProgress(std::ostream& out, bool live, std::function<void(const std::string&)> log_line = {});

  // After each source; `elapsed` is the time since the pass started.
  void update(const PassSummary& so_far, std::chrono::milliseconds elapsed);
  // Clears the live line so that the final summary starts on a clean line.
  void finish();

 private:
  std::ostream& out_;
  bool live_;
  std::function<void(const std::string&)> log_line_;
  int tenths_printed_ = 0;
  std::chrono::milliseconds last_drawn_{-1000};
  bool drawn_ = false;
};

// The `feedd status` table: one line per configured source (its URL, last fetch, HTTP
// status, stories, consecutive failures, next fetch, and a note: where a permanent
// redirect moved it, gone, disabled, or the last error). `now` fills in "now" for a
// source never fetched.
std::string status_table(const Config& config, const std::vector<SourceState>& states,
                         const std::vector<SourceHttpState>& http_states, Timestamp now);

}  // namespace feedd
