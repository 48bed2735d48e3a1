#include <catch2/catch.hpp>

#include "feedd/schedule.hpp"

using namespace feedd;
using namespace std::chrono_literals;

namespace {
Source source(std::string url, std::chrono::seconds interval = 30min, bool enabled = true) {
  Source s;
  s.url = std::move(url);
  s.interval = interval;
  s.enabled = enabled;
  return s;
}
const Timestamp kStart{std::chrono::sys_days{std::chrono::year{2026} / 11 / 28}};
}  // namespace

TEST_CASE("New sources are due at once, spread over the start window", "[schedule]") {
  Schedule schedule(42);
  std::vector<Source> sources;
  for (int i = 0; i < 100; ++i) sources.push_back(source("http://h/" + std::to_string(i)));
  schedule.set_sources(sources, kStart, {}, 10s);
  CHECK(schedule.take_due(kStart).size() < 100);  // not all in the first second
  CHECK(schedule.take_due(kStart + 9s).size() + schedule.take_due(kStart).size() > 0);
  const auto rest = schedule.take_due(kStart + 10s);
  CHECK(schedule.next_due() == std::nullopt);  // all 100 taken by the end of the window
  (void)rest;
}

TEST_CASE("Disabled sources are never due", "[schedule]") {
  Schedule schedule(1);
  schedule.set_sources({source("http://a/"), source("http://b/", 30min, false)}, kStart, {}, 1s);
  CHECK(schedule.take_due(kStart) == std::vector<std::string>{"http://a/"});
  CHECK(schedule.size() == 1);
}

TEST_CASE("A source fetched before a restart is due one interval after that fetch", "[schedule]") {
  Schedule schedule(1);
  schedule.set_sources({source("http://a/", 30min)}, kStart, {{"http://a/", kStart - 10min}}, 1s);
  CHECK(schedule.take_due(kStart).empty());
  CHECK(schedule.due_time("http://a/") == kStart + 20min);
}

TEST_CASE("A source in flight is not handed out twice", "[schedule]") {
  Schedule schedule(1);
  schedule.set_sources({source("http://a/")}, kStart, {}, 1s);
  CHECK(schedule.take_due(kStart).size() == 1);
  CHECK(schedule.take_due(kStart + 1h).empty());
}

TEST_CASE("After a success the next fetch comes one interval later, within 10% jitter", "[schedule]") {
  Schedule schedule(7);
  schedule.set_sources({source("http://a/", 100min)}, kStart, {}, 1s);
  schedule.take_due(kStart);
  schedule.finished("http://a/", kStart, true);
  const auto due = *schedule.due_time("http://a/");
  CHECK(due >= kStart + 90min);
  CHECK(due <= kStart + 110min);
}

TEST_CASE("Consecutive failures back off exponentially up to a day, and a success resets it", "[schedule]") {
  Schedule schedule(3);
  schedule.set_sources({source("http://a/", 1h)}, kStart, {}, 1s);
  Timestamp now = kStart;
  std::vector<std::chrono::seconds> waits;
  for (int i = 0; i < 8; ++i) {
    schedule.take_due(now);
    schedule.finished("http://a/", now, false);
    const auto due = *schedule.due_time("http://a/");
    waits.push_back(due - now);
    now = due;
  }
  CHECK(waits[0] <= 66min);
  CHECK(waits[1] >= 108min);  // 2h - 10%
  CHECK(waits[2] >= 216min);  // 4h - 10%
  CHECK(waits[7] <= std::chrono::seconds(24h) + std::chrono::seconds(24h) / 10);
  schedule.take_due(now);
  schedule.finished("http://a/", now, true);
  CHECK(*schedule.due_time("http://a/") - now <= 66min);
}

TEST_CASE("A reload keeps due times of kept sources and drops removed ones", "[schedule]") {
  Schedule schedule(1);
  schedule.set_sources({source("http://a/"), source("http://b/")}, kStart, {}, 1s);
  schedule.take_due(kStart);
  schedule.finished("http://a/", kStart, true);
  const auto a_due = schedule.due_time("http://a/");
  schedule.set_sources({source("http://a/"), source("http://c/")}, kStart + 1min, {}, 1s);
  CHECK(schedule.due_time("http://a/") == a_due);
  CHECK_FALSE(schedule.due_time("http://b/").has_value());
  CHECK(schedule.due_time("http://c/").has_value());
}

namespace {
Source bounded_source(std::string url, std::chrono::seconds interval, std::chrono::seconds min,
                      std::chrono::seconds max) {
  Source s = source(std::move(url), interval);
  s.min_interval = min;
  s.max_interval = max;
  return s;
}

// Fetches the one source due and reports `outcome`; returns how long until it is due again.
std::chrono::seconds fetch_once(Schedule& schedule, const std::string& url, Timestamp now,
                                const FetchOutcome& outcome) {
  REQUIRE(schedule.take_due(now) == std::vector<std::string>{url});
  schedule.finished(url, now, outcome);
  return *schedule.due_time(url) - now;
}

FetchOutcome with_news(int n) {
  FetchOutcome outcome;
  outcome.new_stories = n;
  return outcome;
}
}  // namespace

TEST_CASE("A Retry-After holds every source of that host, not only the one that got it", "[schedule]") {
  Schedule schedule(3);
  schedule.set_sources({source("http://busy.example/a"), source("http://busy.example/b"), source("http://other.example/c")},
                       kStart, {}, 1s);
  REQUIRE(schedule.take_due(kStart).size() == 3);
  schedule.finished("http://other.example/c", kStart, true);
  FetchOutcome throttled;
  throttled.success = false;
  throttled.retry_after = 2h;
  schedule.finished("http://busy.example/a", kStart, throttled);
  schedule.finished("http://busy.example/b", kStart, true);  // succeeded before the 429 arrived

  CHECK(*schedule.due_time("http://busy.example/a") >= kStart + 2h);
  CHECK(*schedule.due_time("http://busy.example/b") >= kStart + 2h);
  CHECK(*schedule.due_time("http://other.example/c") < kStart + 2h);
  CHECK(schedule.take_due(kStart + 1h) == std::vector<std::string>{"http://other.example/c"});
  CHECK(schedule.take_due(kStart + 2h + 1s).size() == 2);
}

TEST_CASE("A busy source is fetched sooner and a quiet one later, within min and max interval", "[schedule]") {
  Schedule schedule(5);
  schedule.set_sources({bounded_source("http://a/", 60min, 20min, 3h)}, kStart, {}, 1s);
  Timestamp now = kStart;
  std::chrono::seconds wait{0};
  for (int i = 0; i < 3; ++i) {
    wait = fetch_once(schedule, "http://a/", now, with_news(5));
    now += wait;
  }
  CHECK(wait < 45min);   // three fetches with news: about 0.8^3 of the hour
  for (int i = 0; i < 20; ++i) {
    wait = fetch_once(schedule, "http://a/", now, with_news(5));
    now += wait;
  }
  CHECK(wait >= 20min);  // never below min_interval
  for (int i = 0; i < 30; ++i) {
    wait = fetch_once(schedule, "http://a/", now, with_news(0));
    now += wait;
  }
  CHECK(wait > 2h);      // quiet: pushed out...
  CHECK(wait <= 3h);     // ...but never past max_interval
}

TEST_CASE("What the feed declares (ttl) and the answer's freshness are floors on the interval", "[schedule]") {
  Schedule schedule(9);
  schedule.set_sources({bounded_source("http://a/", 15min, 5min, 24h)}, kStart, {}, 1s);
  FetchOutcome declared;
  declared.declared_interval = 2h;
  CHECK(fetch_once(schedule, "http://a/", kStart, declared) >= 2h - 12min);
  Timestamp now = *schedule.due_time("http://a/");
  // Learnt once, kept: a 304 brings no document but the ttl still holds.
  CHECK(fetch_once(schedule, "http://a/", now, FetchOutcome{}) >= 2h - 12min);
  now = *schedule.due_time("http://a/");
  FetchOutcome fresh;
  fresh.fresh_for = 5h;
  CHECK(fetch_once(schedule, "http://a/", now, fresh) >= 5h - 30min);
}

TEST_CASE("max_interval bounds even what the feed declares", "[schedule]") {
  Schedule schedule(9);
  schedule.set_sources({bounded_source("http://a/", 15min, 5min, 1h)}, kStart, {}, 1s);
  FetchOutcome declared;
  declared.declared_interval = 6h;
  CHECK(fetch_once(schedule, "http://a/", kStart, declared) <= 1h);
}

TEST_CASE("A fetch never falls in the feed's skipHours or skipDays", "[schedule]") {
  // kStart is Saturday 2026-11-28 00:00 UTC.
  Schedule schedule(11);
  schedule.set_sources({source("http://a/", 60min)}, kStart, {}, 1s);
  FetchOutcome skipping;
  skipping.skip_hours = std::vector<int>{0, 1, 2, 3, 4, 5, 6};
  const auto wait = fetch_once(schedule, "http://a/", kStart, skipping);
  CHECK(wait >= 7h);
  CHECK(wait < 8h);

  Schedule weekly(11);
  weekly.set_sources({source("http://b/", 60min)}, kStart, {}, 1s);
  FetchOutcome weekend;
  weekend.skip_days = std::vector<std::string>{"Saturday", "Sunday"};
  CHECK(fetch_once(weekly, "http://b/", kStart, weekend) == 48h);  // Monday 00:00
}

TEST_CASE("skip_forward ignores a feed that skips every hour", "[schedule]") {
  std::vector<int> all(24);
  for (int h = 0; h < 24; ++h) all[h] = h;
  CHECK(skip_forward(kStart + 90min, all, {}) == kStart + 90min);
  CHECK(skip_forward(kStart + 90min, {1}, {}) == kStart + 2h);
}

TEST_CASE("Ten thousand new sources are spread over a hundred seconds, not the first second", "[schedule]") {
  Schedule schedule(13);
  std::vector<Source> sources;
  for (int i = 0; i < 10000; ++i) sources.push_back(source("http://h" + std::to_string(i % 50) + "/" + std::to_string(i)));
  schedule.set_sources(sources, kStart, {});
  CHECK(schedule.take_due(kStart).size() < 200);
  CHECK(schedule.take_due(kStart + 50s).size() > 3000);
  schedule.take_due(kStart + 100s);
  CHECK(schedule.next_due() == std::nullopt);
}

TEST_CASE("A stored next fetch survives a restart", "[schedule]") {
  Schedule schedule(1);
  schedule.set_sources({source("http://a/", 30min)}, kStart, {{"http://a/", kStart - 10min}}, 1s,
                       {{"http://a/", kStart + 3h}});
  CHECK(schedule.due_time("http://a/") == kStart + 3h);
}

TEST_CASE("A gone source leaves the schedule", "[schedule]") {
  Schedule schedule(1);
  schedule.set_sources({source("http://a/")}, kStart, {}, 1s);
  schedule.take_due(kStart);
  FetchOutcome gone;
  gone.success = false;
  gone.gone = true;
  schedule.finished("http://a/", kStart, gone);
  CHECK(schedule.size() == 0);
  CHECK(schedule.next_due() == std::nullopt);
}
