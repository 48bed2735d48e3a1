// render_metrics: Prometheus text exposition 0.0.4 (names and units by the Prometheus
// conventions: counters end in _total, durations are in seconds, sizes in bytes).

#include "feedd/metrics.hpp"

#include <cstdio>
#include <cstdlib>

namespace feedd {

namespace {

// The shortest %g text that reads back as the same double ("0.05", not
// "0.050000000000000003"), as Prometheus' own clients print bucket bounds; %g never
// prints a locale comma (the daemon never calls setlocale).
std::string number(double value) {
  char buffer[32];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buffer, sizeof buffer, "%.*g", precision, value);
    if (std::strtod(buffer, nullptr) == value) break;
  }
  return buffer;
}

void family(std::string& out, const char* name, const char* type, const char* help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

void sample(std::string& out, const std::string& name, const std::string& labels, const std::string& value) {
  out += name;
  if (!labels.empty()) out += "{" + labels + "}";
  out += ' ';
  out += value;
  out += '\n';
}

}  // namespace

void ServiceMetrics::observe_fetch_duration(double seconds) {
  std::size_t i = 0;
  while (i < kDurationBuckets.size() && seconds > kDurationBuckets[i]) ++i;
  if (i < kDurationBuckets.size()) {
    ++duration_in_bucket[i];
  } else {
    ++duration_beyond;
  }
  duration_sum_seconds += seconds;
  ++duration_count;
}

std::string render_metrics(const ServiceMetrics& m) {
  std::string out;
  family(out, "feedd_fetches_total", "counter", "Fetches finished since start, by result.");
  sample(out, "feedd_fetches_total", "result=\"fetched\"", std::to_string(m.fetched));
  sample(out, "feedd_fetches_total", "result=\"not_modified\"", std::to_string(m.not_modified));
  sample(out, "feedd_fetches_total", "result=\"failed\"", std::to_string(m.failed));

  family(out, "feedd_fetch_duration_seconds", "histogram", "Time from request to the whole answer, per fetch.");
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < ServiceMetrics::kDurationBuckets.size(); ++i) {
    cumulative += m.duration_in_bucket[i];
    sample(out, "feedd_fetch_duration_seconds_bucket", "le=\"" + number(ServiceMetrics::kDurationBuckets[i]) + "\"",
           std::to_string(cumulative));
  }
  sample(out, "feedd_fetch_duration_seconds_bucket", "le=\"+Inf\"", std::to_string(cumulative + m.duration_beyond));
  sample(out, "feedd_fetch_duration_seconds_sum", "", number(m.duration_sum_seconds));
  sample(out, "feedd_fetch_duration_seconds_count", "", std::to_string(m.duration_count));

  family(out, "feedd_stories_total", "counter", "New stories stored since start.");
  sample(out, "feedd_stories_total", "", std::to_string(m.stories_stored));

  family(out, "feedd_duplicates_collapsed_total", "counter",
         "Entries collapsed into a story already stored since start, by why they matched.");
  sample(out, "feedd_duplicates_collapsed_total", "reason=\"same_content\"", std::to_string(m.same_content_copies));
  sample(out, "feedd_duplicates_collapsed_total", "reason=\"near_duplicate\"", std::to_string(m.near_copies));

  family(out, "feedd_sources", "gauge", "Configured sources, by state.");
  sample(out, "feedd_sources", "state=\"ok\"", std::to_string(m.sources_ok));
  sample(out, "feedd_sources", "state=\"failing\"", std::to_string(m.sources_failing));
  sample(out, "feedd_sources", "state=\"gone\"", std::to_string(m.sources_gone));
  sample(out, "feedd_sources", "state=\"disabled\"", std::to_string(m.sources_disabled));

  family(out, "feedd_store_bytes", "gauge", "Size of the SQLite database file and its write-ahead log.");
  sample(out, "feedd_store_bytes", "", std::to_string(m.store_bytes));

  family(out, "feedd_fetches_in_flight", "gauge", "Fetches started and not yet stored.");
  sample(out, "feedd_fetches_in_flight", "", std::to_string(m.in_flight));
  return out;
}

}  // namespace feedd
