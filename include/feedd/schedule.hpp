#pragma once
// schedule: when each source is fetched next. Pure bookkeeping with the time passed in,
// so tests never sleep: the event loop asks for what is due and says when a fetch ended.
//
// The next fetch of a source combines (README, "How often a source is fetched"):
//   its configured interval, scaled by how often it has really published lately (a fetch
//   with new stories brings the next one closer, one without pushes it out);
//   at least what the feed declares (RSS ttl, sy:updatePeriod) and what the HTTP answer
//   says (Cache-Control max-age, Expires);
//   bounded by the source's min_interval / max_interval, with ±10% jitter;
//   moved out of the feed's skipHours / skipDays;
// while a failing source backs off exponentially and a Retry-After holds every source of
// that host.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "feedd/config.hpp"
#include "feedd/time.hpp"

namespace feedd {

// What one fetch taught about its source.
struct FetchOutcome {
  bool success = true;
  bool gone = false;     // 410: the source is dropped from the schedule
  // Stories (or copies) this fetch added, 0 for a 304; nullopt when unknown, which
  // leaves the source's pace as it was.
  std::optional<int> new_stories;
  std::optional<std::chrono::seconds> retry_after;  // holds the whole host this long
  std::optional<std::chrono::seconds> fresh_for;    // Cache-Control max-age / Expires
  // From the document, when it was parsed (kept from the last parse otherwise).
  std::optional<std::chrono::seconds> declared_interval;  // ttl, sy:updatePeriod/Frequency
  std::optional<std::vector<int>> skip_hours;             // 0-23, UTC
  std::optional<std::vector<std::string>> skip_days;      // "Monday" ... "Sunday"
};

class Schedule {
 public:
  // `seed` makes the jitter reproducible in tests.
  explicit Schedule(std::uint64_t seed = std::random_device{}());

  // Replaces the set of scheduled sources (disabled ones are dropped). A source already
  // scheduled keeps its due time; a new one is due at its stored next fetch when the store
  // knows one, else one interval after its last fetch, but never before a random moment
  // in the first `start_spread` (default: 10 ms per source, between 10 s and the source's
  // interval), so that many sources do not all fire in the same second at start-up or
  // after a reload.
  void set_sources(const std::vector<Source>& sources, Timestamp now,
                   const std::map<std::string, Timestamp>& last_fetch_by_url,
                   std::optional<std::chrono::seconds> start_spread = std::nullopt,
                   const std::map<std::string, Timestamp>& next_fetch_by_url = {});

  // The sources due at `now`, earliest first; a source whose host is held by a
  // Retry-After waits. Each is then in flight and is not returned again until finished().
  std::vector<std::string> take_due(Timestamp now);

  // A fetch ended: reschedules the source as the header comment says.
  void finished(const std::string& url, Timestamp now, const FetchOutcome& outcome);
  void finished(const std::string& url, Timestamp now, bool success) {
    FetchOutcome outcome;
    outcome.success = success;
    finished(url, now, outcome);
  }

  // A source taken but not fetched (another daemon holds it, or fetched it lately: README,
  // "Several daemons, one database"): it is due again at `due`, its pace and failures as
  // they were.
  void refused(const std::string& url, Timestamp due);

  // The earliest moment a source not in flight may be taken; nullopt when there is none.
  std::optional<Timestamp> next_due() const;
  std::optional<Timestamp> due_time(const std::string& url) const;
  std::size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::chrono::seconds interval;
    std::chrono::seconds min_interval{0};  // 0: no bound
    std::chrono::seconds max_interval{0};  // 0: no bound
    std::string host;
    Timestamp due;
    int consecutive_failures = 0;
    bool in_flight = false;
    double pace = 1.0;  // multiplies interval: < 1 for a busy source, > 1 for a quiet one
    std::optional<std::chrono::seconds> declared_interval;
    std::vector<int> skip_hours;
    std::vector<int> skip_days;  // 0 = Sunday
  };
  std::chrono::seconds jittered(std::chrono::seconds base);
  std::chrono::seconds success_wait(Entry& entry, const FetchOutcome& outcome);
  Timestamp effective_due(const Entry& entry) const;

  std::map<std::string, Entry> entries_;
  std::map<std::string, Timestamp> host_held_until_;
  std::mt19937_64 random_;
};

// The first moment at or after `t` outside the skipped hours (UTC) and days (0 = Sunday);
// `t` itself when nothing is skipped or everything is.
Timestamp skip_forward(Timestamp t, const std::vector<int>& skip_hours, const std::vector<int>& skip_days);

}  // namespace feedd
