#pragma once
// The HTML status page served at "/": the same facts as `feedd status` for a person in a
// browser, with a small chart of stories per day. Pure: the Aggregator reads the store on
// its reader thread and hands the rows in. No JavaScript, no external assets.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "feedd/config.hpp"
#include "feedd/store.hpp"
#include "feedd/time.hpp"

namespace feedd {

struct StatusPageFacts {
  std::vector<SourceState> states;
  std::vector<SourceHttpState> http_states;
  std::vector<std::pair<Timestamp, std::int64_t>> stories_per_day;  // Store::stories_per_day
};

// Days the chart covers, today included.
inline constexpr int kStatusChartDays = 30;

std::string render_status_page(const Config& config, const StatusPageFacts& facts, Timestamp now);

}  // namespace feedd
