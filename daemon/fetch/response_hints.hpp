#pragma once
// What an HTTP answer says beyond its body, read from header values: how long to wait
// before asking again (Retry-After), how long the answer stays fresh (Cache-Control,
// Expires), and where a permanent redirect points. Pure functions of their inputs.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "feedd/time.hpp"

namespace feedd::fetch {

// Nothing a server says makes feedd wait longer than this.
inline constexpr std::chrono::seconds kMaxServerDelay{24 * 3600};

// Retry-After as delta seconds ("120") or an HTTP date, bounded to [0, 24 h]. A date is
// measured against the answer's own Date header when there is one (so a skewed local
// clock does not matter), else against `now`. nullopt when unreadable.
std::optional<std::chrono::seconds> parse_retry_after(std::string_view value, std::optional<std::string_view> date,
                                                      Timestamp now);

// Cache-Control max-age, else Expires minus Date (or `now`), bounded to [0, 24 h].
// no-cache and no-store mean "nothing to say".
std::optional<std::chrono::seconds> freshness(std::optional<std::string_view> cache_control,
                                              std::optional<std::string_view> expires,
                                              std::optional<std::string_view> date, Timestamp now);

// One answer in a redirect chain: its status and the URL that was asked.
struct Hop {
  int status = 0;
  std::string url;
};

// The URL reached by the permanent redirects (301, 308) at the start of the chain, or
// nullopt when the chain does not start with one.
std::optional<std::string> permanent_redirect_target(const std::vector<Hop>& hops);

}  // namespace feedd::fetch
