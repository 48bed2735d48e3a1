// Retry-After holds a whole host, end to end: the real binary against three fixture
// servers (three hosts: the schedule keys a host by host:port), with a Retry-After of a
// few seconds so the test waits only that long.

#include <catch2/catch.hpp>

#include <signal.h>

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "feedd/time.hpp"
#include "support/feedd_process.hpp"
#include "support/fixture_server.hpp"
#include "support/sample_feeds.hpp"
#include "support/temp_dir.hpp"

using namespace feedd;
using namespace std::chrono_literals;
using SteadyTime = std::chrono::steady_clock::time_point;

namespace {

constexpr int kFeedsPerHost = 3;
// Each refusal's Retry-After. Its middle four seconds are longer than the schedule's
// worst gap between two polls of a one-second source (whole-second due times, a poll
// timer of 1 to 1.5 s: up to 3 s), so the other host is seen fetched during the hold.
constexpr std::chrono::seconds kHold{6};

// One host: /feed/N.xml, each answer a new story (so the schedule keeps polling every
// min_interval); the first request of /feed/0.xml gets `refusal` instead, when given.
struct Host {
  explicit Host(std::string name, std::function<test::FixtureResponse()> refusal = {})
      : server([this, name, refusal](const test::FixtureRequest& req) {
          std::lock_guard lock(mutex);
          const SteadyTime now = std::chrono::steady_clock::now();
          arrivals[req.target].push_back(now);
          if (refusal && !refused_at && req.target == "/feed/0.xml") {
            refused_at = now;
            return refusal();
          }
          const int n = ++answered;
          return test::FixtureResponse{200, {{"Content-Type", "application/rss+xml"}},
                                       test::unrelated_rss(name + "-" + std::to_string(n), 1)};
        }) {}

  std::string feeds() const {
    std::string tables;
    for (int n = 0; n < kFeedsPerHost; ++n) tables += "[[feed]]\nurl = \"" + server.url(path(n)) + "\"\n";
    return tables;
  }
  static std::string path(int n) { return "/feed/" + std::to_string(n) + ".xml"; }
  std::vector<SteadyTime> arrivals_of(int n) const {
    std::lock_guard lock(mutex);
    auto it = arrivals.find(path(n));
    return it == arrivals.end() ? std::vector<SteadyTime>{} : it->second;
  }
  std::optional<SteadyTime> refused() const {
    std::lock_guard lock(mutex);
    return refused_at;
  }

  mutable std::mutex mutex;
  std::map<std::string, std::vector<SteadyTime>> arrivals;
  std::optional<SteadyTime> refused_at;
  int answered = 0;
  test::FixtureServer server;
};

// Every source of `host` asked again only once the hold ended (at least `hold` minus the
// schedule's one-second granularity after the refusal) and, after it, again within a few
// seconds; each source's first request is the round that was already in flight.
void check_held(const Host& host, std::chrono::seconds hold) {
  REQUIRE(host.refused());
  const SteadyTime refused = *host.refused();
  for (int n = 0; n < kFeedsPerHost; ++n) {
    const auto arrivals = host.arrivals_of(n);
    INFO("source " << n);
    REQUIRE(arrivals.size() >= 2);
    CHECK(arrivals[1] - refused >= hold - 1s);
    CHECK(arrivals[1] - refused <= hold + 4s);
  }
}

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

}  // namespace

TEST_CASE("A 429 or 503 with Retry-After on one source holds every source of that host while other hosts are fetched",
          "[retry_after]") {
  Host too_many("many", [] {
    return test::FixtureResponse{429, {{"Retry-After", std::to_string(kHold.count())}}, "slow down"};
  });
  // The HTTP-date form, measured against the answer's own Date.
  Host unavailable("unavailable", [] {
    const Timestamp now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    return test::FixtureResponse{503,
                                 {{"Date", format_http_date(now)}, {"Retry-After", format_http_date(now + kHold)}},
                                 "maintenance"};
  });
  Host other("other");
  test::TempDir dir;
  const auto conf = test::write_file(
      dir / "feeds.conf",
      "[daemon]\nlisten = \"\"\ninterval = \"1s\"\nmin_interval = \"1s\"\nhost_delay = \"0s\"\nper_host = 8\n" +
          too_many.feeds() + unavailable.feeds() + other.feeds());
  test::FeeddProcess feedd({"run", "--config", conf.string()}, {}, dir / "stderr.txt");

  // Until every held source has been asked again after its hold.
  const bool resumed = wait_until(
      [&] {
        for (const Host* host : {&too_many, &unavailable}) {
          for (int n = 0; n < kFeedsPerHost; ++n) {
            if (host->arrivals_of(n).size() < 2) return false;
          }
        }
        return true;
      },
      30s);
  feedd.signal(SIGTERM);
  const auto status = feedd.wait_exit(15s);
  const std::string log = feedd.log();
  INFO(log);
  CHECK(resumed);
  check_held(too_many, kHold);
  check_held(unavailable, kHold);
  // Meanwhile the other host's sources kept their one-second pace. Another port of the
  // same 127.0.0.1 is another server: held neither here nor in the database. The window
  // starts a second after the refusals, past the first round that was already in flight.
  const SteadyTime refused = std::min(*too_many.refused(), *unavailable.refused());
  for (int n = 0; n < kFeedsPerHost; ++n) {
    int during_hold = 0;
    for (SteadyTime t : other.arrivals_of(n)) during_hold += (t > refused + 1s && t < refused + kHold - 1s) ? 1 : 0;
    INFO("other source " << n);
    CHECK(during_hold >= 1);
  }
  CHECK(log.find("host asks to wait " + std::to_string(kHold.count()) + " s") != std::string::npos);
  REQUIRE(status.has_value());
  CHECK(*status == 0);
}
