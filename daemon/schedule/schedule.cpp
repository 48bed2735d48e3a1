#include "feedd/schedule.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include "fetch/url_parts.hpp"

namespace feedd {

namespace {

constexpr std::chrono::seconds kMaxBackoff{24 * 3600};
// How far one fetch moves a source's pace: three fetches in a row with news roughly
// halve the interval; four quiet ones in a row roughly double it.
constexpr double kBusier = 0.8;
constexpr double kQuieter = 1.2;
constexpr double kMinPace = 0.25;
constexpr double kMaxPace = 4.0;

// The fetcher's and the shared database's unit of politeness, so that a Retry-After
// holds here exactly what it holds there.
std::string host_of(const std::string& url) {
  auto parts = fetch::split_url(url);
  return parts.ok() ? parts->server : std::string();
}

std::vector<int> day_numbers(const std::vector<std::string>& names) {
  static constexpr std::array<std::string_view, 7> kDays = {"sunday",   "monday", "tuesday", "wednesday",
                                                            "thursday", "friday", "saturday"};
  std::vector<int> days;
  for (std::string name : names) {
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (int d = 0; d < 7; ++d) {
      if (name == kDays[d]) days.push_back(d);
    }
  }
  return days;
}

std::chrono::seconds bounded(std::chrono::seconds wait, std::chrono::seconds min, std::chrono::seconds max) {
  if (min.count() > 0) wait = std::max(wait, min);
  if (max.count() > 0) wait = std::min(wait, max);
  return wait;
}

}  // namespace

Timestamp skip_forward(Timestamp t, const std::vector<int>& skip_hours, const std::vector<int>& skip_days) {
  auto skipped = [&](Timestamp at) {
    const auto day = std::chrono::floor<std::chrono::days>(at);
    const int hour = static_cast<int>(std::chrono::duration_cast<std::chrono::hours>(at - day).count());
    const int weekday = static_cast<int>(std::chrono::weekday(day).c_encoding());
    return std::find(skip_hours.begin(), skip_hours.end(), hour) != skip_hours.end() ||
           std::find(skip_days.begin(), skip_days.end(), weekday) != skip_days.end();
  };
  // A week of hours covers every combination; if all of it is skipped, the feed's wish
  // cannot be honoured and is ignored.
  Timestamp at = t;
  for (int i = 0; i < 7 * 24 + 1; ++i) {
    if (!skipped(at)) return at;
    at = std::chrono::floor<std::chrono::hours>(at) + std::chrono::hours(1);
  }
  return t;
}

Schedule::Schedule(std::uint64_t seed) : random_(seed) {}

std::chrono::seconds Schedule::jittered(std::chrono::seconds base) {
  // ±10%: enough to keep sources that started together from staying in lockstep.
  const auto spread = base.count() / 10;
  if (spread == 0) return base;
  std::uniform_int_distribution<std::int64_t> pick(-spread, spread);
  return base + std::chrono::seconds(pick(random_));
}

void Schedule::set_sources(const std::vector<Source>& sources, Timestamp now,
                           const std::map<std::string, Timestamp>& last_fetch_by_url,
                           std::optional<std::chrono::seconds> start_spread,
                           const std::map<std::string, Timestamp>& next_fetch_by_url) {
  std::map<std::string, Entry> next;
  const auto default_spread = std::chrono::seconds(std::max<std::int64_t>(10, static_cast<std::int64_t>(sources.size()) / 100));
  for (const Source& source : sources) {
    if (!source.enabled) continue;
    if (auto old = entries_.find(source.url); old != entries_.end()) {
      Entry kept = old->second;
      kept.interval = source.interval;
      kept.min_interval = source.min_interval;
      kept.max_interval = source.max_interval;
      next.emplace(source.url, kept);
      continue;
    }
    Entry fresh;
    fresh.interval = source.interval;
    fresh.min_interval = source.min_interval;
    fresh.max_interval = source.max_interval;
    fresh.host = host_of(source.url);
    auto spread = start_spread.value_or(std::min(default_spread, std::max(source.interval, std::chrono::seconds(1))));
    std::uniform_int_distribution<std::int64_t> pick(0, std::max<std::int64_t>(0, spread.count() - 1));
    fresh.due = now + std::chrono::seconds(pick(random_));
    if (auto known = next_fetch_by_url.find(source.url); known != next_fetch_by_url.end()) {
      fresh.due = std::max(fresh.due, known->second);
    } else if (auto last = last_fetch_by_url.find(source.url); last != last_fetch_by_url.end()) {
      fresh.due = std::max(fresh.due, last->second + source.interval);
    }
    next.emplace(source.url, fresh);
  }
  entries_ = std::move(next);
}

Timestamp Schedule::effective_due(const Entry& entry) const {
  if (auto held = host_held_until_.find(entry.host); held != host_held_until_.end()) {
    return std::max(entry.due, held->second);
  }
  return entry.due;
}

std::vector<std::string> Schedule::take_due(Timestamp now) {
  std::erase_if(host_held_until_, [now](const auto& kv) { return kv.second <= now; });
  std::vector<std::pair<Timestamp, std::string>> due;
  for (auto& [url, entry] : entries_) {
    if (!entry.in_flight && effective_due(entry) <= now) due.emplace_back(entry.due, url);
  }
  std::sort(due.begin(), due.end());
  std::vector<std::string> urls;
  urls.reserve(due.size());
  for (auto& [when, url] : due) {
    entries_[url].in_flight = true;
    urls.push_back(std::move(url));
  }
  return urls;
}

std::chrono::seconds Schedule::success_wait(Entry& entry, const FetchOutcome& outcome) {
  if (outcome.new_stories) {
    entry.pace = std::clamp(entry.pace * (*outcome.new_stories > 0 ? kBusier : kQuieter), kMinPace, kMaxPace);
  }
  if (outcome.declared_interval) entry.declared_interval = outcome.declared_interval;
  if (outcome.skip_hours) entry.skip_hours = *outcome.skip_hours;
  if (outcome.skip_days) entry.skip_days = day_numbers(*outcome.skip_days);

  auto wait = std::chrono::seconds(static_cast<std::int64_t>(static_cast<double>(entry.interval.count()) * entry.pace));
  // What the publisher asks for is a floor: polling sooner only costs them.
  if (entry.declared_interval) wait = std::max(wait, *entry.declared_interval);
  if (outcome.fresh_for) wait = std::max(wait, *outcome.fresh_for);
  return bounded(jittered(wait), entry.min_interval, entry.max_interval);
}

void Schedule::finished(const std::string& url, Timestamp now, const FetchOutcome& outcome) {
  auto it = entries_.find(url);
  if (it == entries_.end()) return;  // removed by a reload while in flight
  Entry& entry = it->second;
  entry.in_flight = false;
  if (outcome.gone) {
    entries_.erase(it);
    return;
  }
  if (outcome.retry_after) {
    Timestamp& held = host_held_until_[entry.host];
    held = std::max(held, now + *outcome.retry_after);
  }
  if (outcome.success) {
    entry.consecutive_failures = 0;
    entry.due = now + success_wait(entry, outcome);
    if (entry.max_interval.count() > 0) {
      entry.due = std::min(skip_forward(entry.due, entry.skip_hours, entry.skip_days), now + entry.max_interval);
    } else {
      entry.due = skip_forward(entry.due, entry.skip_hours, entry.skip_days);
    }
    return;
  }
  entry.consecutive_failures = std::min(entry.consecutive_failures + 1, 30);
  auto wait = entry.interval;
  for (int i = 1; i < entry.consecutive_failures && wait < kMaxBackoff; ++i) wait *= 2;
  entry.due = now + jittered(std::min(wait, kMaxBackoff));
  if (outcome.retry_after) entry.due = std::max(entry.due, now + *outcome.retry_after);
}

void Schedule::refused(const std::string& url, Timestamp due) {
  auto it = entries_.find(url);
  if (it == entries_.end()) return;
  it->second.in_flight = false;
  it->second.due = due;
}

std::optional<Timestamp> Schedule::next_due() const {
  std::optional<Timestamp> earliest;
  for (const auto& [url, entry] : entries_) {
    if (entry.in_flight) continue;
    const Timestamp due = effective_due(entry);
    if (!earliest || due < *earliest) earliest = due;
  }
  return earliest;
}

std::optional<Timestamp> Schedule::due_time(const std::string& url) const {
  auto it = entries_.find(url);
  if (it == entries_.end()) return std::nullopt;
  return effective_due(it->second);
}

}  // namespace feedd
