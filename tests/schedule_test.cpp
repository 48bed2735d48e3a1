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
