#include "feedd/schedule.hpp"

#include <algorithm>

namespace feedd {

namespace {
constexpr std::chrono::seconds kMaxBackoff{24 * 3600};
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
                           std::chrono::seconds start_spread) {
  std::map<std::string, Entry> next;
  std::uniform_int_distribution<std::int64_t> spread(0, std::max<std::int64_t>(0, start_spread.count() - 1));
  for (const Source& source : sources) {
    if (!source.enabled) continue;
    if (auto old = entries_.find(source.url); old != entries_.end()) {
      Entry kept = old->second;
      kept.interval = source.interval;
      next.emplace(source.url, kept);
      continue;
    }
    Entry fresh{source.interval, now, 0, false};
    if (auto last = last_fetch_by_url.find(source.url); last != last_fetch_by_url.end()) {
      fresh.due = std::max(now, last->second + source.interval);
    } else {
      fresh.due = now + std::chrono::seconds(spread(random_));
    }
    next.emplace(source.url, fresh);
  }
  entries_ = std::move(next);
}

std::vector<std::string> Schedule::take_due(Timestamp now) {
  std::vector<std::pair<Timestamp, std::string>> due;
  for (auto& [url, entry] : entries_) {
    if (!entry.in_flight && entry.due <= now) due.emplace_back(entry.due, url);
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

void Schedule::finished(const std::string& url, Timestamp now, bool success) {
  auto it = entries_.find(url);
  if (it == entries_.end()) return;  // removed by a reload while in flight
  Entry& entry = it->second;
  entry.in_flight = false;
  if (success) {
    entry.consecutive_failures = 0;
    entry.due = now + jittered(entry.interval);
    return;
  }
  entry.consecutive_failures = std::min(entry.consecutive_failures + 1, 30);
  auto wait = entry.interval;
  for (int i = 1; i < entry.consecutive_failures && wait < kMaxBackoff; ++i) wait *= 2;
  entry.due = now + jittered(std::min(wait, kMaxBackoff));
}

std::optional<Timestamp> Schedule::next_due() const {
  std::optional<Timestamp> earliest;
  for (const auto& [url, entry] : entries_) {
    if (!entry.in_flight && (!earliest || entry.due < *earliest)) earliest = entry.due;
  }
  return earliest;
}

std::optional<Timestamp> Schedule::due_time(const std::string& url) const {
  auto it = entries_.find(url);
  if (it == entries_.end()) return std::nullopt;
  return it->second.due;
}

}  // namespace feedd
