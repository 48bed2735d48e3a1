#include "fetch/response_hints.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace feedd::fetch {
namespace {

std::optional<std::int64_t> parse_seconds(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  if (text.empty()) return std::nullopt;
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc::result_out_of_range && end == text.data() + text.size()) return kMaxServerDelay.count();
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::chrono::seconds bounded(std::int64_t seconds) {
  return std::chrono::seconds(std::clamp<std::int64_t>(seconds, 0, kMaxServerDelay.count()));
}

// The instant an HTTP date is measured from: the server's own Date, else ours.
Timestamp reference_time(std::optional<std::string_view> date, Timestamp now) {
  if (date) {
    if (auto parsed = parse_http_date(*date)) return *parsed;
  }
  return now;
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::optional<std::chrono::seconds> parse_retry_after(std::string_view value, std::optional<std::string_view> date,
                                                      Timestamp now) {
  if (auto seconds = parse_seconds(value)) return bounded(*seconds);
  auto when = parse_http_date(value);
  if (!when) return std::nullopt;
  return bounded((*when - reference_time(date, now)).count());
}

std::optional<std::chrono::seconds> freshness(std::optional<std::string_view> cache_control,
                                              std::optional<std::string_view> expires,
                                              std::optional<std::string_view> date, Timestamp now) {
  if (cache_control) {
    const std::string directives = lower(*cache_control);
    if (directives.find("no-cache") != std::string::npos || directives.find("no-store") != std::string::npos) {
      return std::nullopt;
    }
    // "s-maxage" is for shared caches; feedd is a private one.
    for (std::size_t at = directives.find("max-age"); at != std::string::npos;
         at = directives.find("max-age", at + 1)) {
      if (at > 0 && directives[at - 1] == '-') continue;
      std::size_t eq = directives.find('=', at);
      if (eq == std::string::npos) break;
      std::size_t end = directives.find_first_of(",;", eq);
      std::string_view number = std::string_view(directives).substr(eq + 1, end == std::string::npos ? end : end - eq - 1);
      if (number.size() >= 2 && number.front() == '"' && number.back() == '"') number = number.substr(1, number.size() - 2);
      if (auto seconds = parse_seconds(number)) return bounded(*seconds);
      break;
    }
  }
  if (expires) {
    // An unreadable Expires (often "0" or "-1") means "already expired".
    auto when = parse_http_date(*expires);
    if (!when) return std::chrono::seconds(0);
    return bounded((*when - reference_time(date, now)).count());
  }
  return std::nullopt;
}

std::optional<std::string> permanent_redirect_target(const std::vector<Hop>& hops) {
  std::size_t i = 0;
  while (i + 1 < hops.size() && (hops[i].status == 301 || hops[i].status == 308)) ++i;
  if (i == 0) return std::nullopt;
  return hops[i].url;
}

}  // namespace feedd::fetch
