#pragma once
// schedule: when each source is fetched next. Pure bookkeeping with the time passed in,
// so tests never sleep: the event loop asks for what is due and says when a fetch ended.

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

class Schedule {
 public:
  // `seed` makes the jitter reproducible in tests.
  explicit Schedule(std::uint64_t seed = std::random_device{}());

  // Replaces the set of scheduled sources (disabled ones are dropped). A source already
  // scheduled keeps its due time; a new one is due at last_fetch + interval when the store
  // knows when it was last fetched, else at once, spread over the first `start_spread` so
  // that many sources do not all fire in the same second.
  void set_sources(const std::vector<Source>& sources, Timestamp now,
                   const std::map<std::string, Timestamp>& last_fetch_by_url,
                   std::chrono::seconds start_spread = std::chrono::seconds(10));

  // The sources due at `now`, earliest first. Each is then in flight and is not returned
  // again until finished() is called for it.
  std::vector<std::string> take_due(Timestamp now);

  // A fetch ended. Success: next due after the interval, with ±10% jitter. Failure:
  // the interval doubles with each consecutive failure (capped at 24 h), so a broken
  // source is retried less and less often but never given up.
  void finished(const std::string& url, Timestamp now, bool success);

  // The earliest due time of a source not in flight; nullopt when there is none.
  std::optional<Timestamp> next_due() const;
  std::optional<Timestamp> due_time(const std::string& url) const;
  std::size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::chrono::seconds interval;
    Timestamp due;
    int consecutive_failures = 0;
    bool in_flight = false;
  };
  std::chrono::seconds jittered(std::chrono::seconds base);

  std::map<std::string, Entry> entries_;
  std::mt19937_64 random_;
};

}  // namespace feedd
