#pragma once
// metrics: the daemon's counters in the Prometheus text exposition format 0.0.4, for
// `/metrics`. Pure: the Aggregator keeps the numbers on its io thread and renders them
// after each change; nothing here touches the database.

#include <array>
#include <cstdint>
#include <string>

namespace feedd {

struct ServiceMetrics {
  // Upper bounds (seconds) of the fetch duration histogram's buckets; +Inf is implied.
  static constexpr std::array<double, 10> kDurationBuckets{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};

  std::uint64_t fetched = 0;       // fetches that stored a new body
  std::uint64_t not_modified = 0;  // 304s and unchanged bodies
  std::uint64_t failed = 0;
  // Fetch durations: per bucket (not cumulative; the render sums them), beyond the last
  // bucket, their sum and count.
  std::array<std::uint64_t, kDurationBuckets.size()> duration_in_bucket{};
  std::uint64_t duration_beyond = 0;
  double duration_sum_seconds = 0;
  std::uint64_t duration_count = 0;
  std::uint64_t stories_stored = 0;      // new stories since start
  std::uint64_t same_content_copies = 0;  // entries collapsed by their content hash
  std::uint64_t near_copies = 0;          // entries collapsed as near duplicates
  int sources_ok = 0;
  int sources_failing = 0;
  int sources_gone = 0;
  int sources_disabled = 0;
  std::uint64_t store_bytes = 0;  // the database file and its WAL
  int in_flight = 0;

  void observe_fetch_duration(double seconds);
};

// The exposition text: # HELP and # TYPE for every family, then its samples.
std::string render_metrics(const ServiceMetrics& metrics);

}  // namespace feedd
