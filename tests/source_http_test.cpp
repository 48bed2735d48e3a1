// How the daemon treats what a publisher's server says about a source over several
// fetches: permanent and temporary redirects, 410 Gone, per-source User-Agent. The whole
// pipeline over loopback with a real SQLite file, as `feedd once` runs it.

#include <catch2/catch.hpp>

#include <atomic>
#include <mutex>

#include <boost/asio/io_context.hpp>

#include "feedd/config.hpp"
#include "feedd/dedup.hpp"
#include "feedd/pipeline.hpp"
#include "feedd/store.hpp"
#include "support/fixture_server.hpp"
#include "support/one_pass.hpp"
#include "support/sample_feeds.hpp"
#include "support/temp_dir.hpp"
#include "support/test_store.hpp"

using namespace feedd;
using namespace std::chrono_literals;

namespace {

// `/old` answers `status` towards `/new` (until `moved` is false); `/new` serves a feed;
// `/gone` answers 410; `/feed` serves a feed.
class Publisher {
 public:
  explicit Publisher(int redirect_status)
      : status_(redirect_status), server_([this](const test::FixtureRequest& r) { return answer(r); }) {}

  std::string url(const std::string& path) const { return server_.url(path); }
  const test::FixtureServer& server() const { return server_; }
  std::atomic<bool> moved{true};

 private:
  test::FixtureResponse answer(const test::FixtureRequest& r) {
    if (r.target == "/old" && moved) return {status_, {{"Location", "/new"}}, ""};
    if (r.target == "/gone") return {410, {}, "gone"};
    return {200, {{"Content-Type", "application/rss+xml"}}, test::unrelated_rss("item", 2)};
  }

  int status_;
  test::FixtureServer server_;
};

Config config_for(const test::TempDir& dir, const std::vector<std::string>& urls) {
  Config config;
  config.path = dir / "feeds.conf";
  config.daemon.database = dir / "feedd.db";
  config.daemon.output_dir = dir / "public";
  config.daemon.listen = "";
  config.daemon.host_delay = 0s;
  for (const std::string& url : urls) {
    Source s;
    s.url = url;
    s.interval = 30min;
    config.sources.push_back(s);
  }
  return config;
}

using test::run_pass;

SourceHttpState http_state(const test::TempDir& dir, const std::string& url) {
  auto store = Store::open(dir / "feedd.db");
  REQUIRE(store.ok());
  auto states = store.value()->source_http_states();
  REQUIRE(states.ok());
  for (const SourceHttpState& state : *states) {
    if (state.url == url) return state;
  }
  FAIL("no state for " << url);
  return {};
}

}  // namespace

TEST_CASE("A source moves to a permanent redirect's target only when two fetches in a row see it", "[source_http]") {
  for (int status : {301, 308}) {
    test::TempDir dir;
    Publisher publisher(status);
    const Config config = config_for(dir, {publisher.url("/old")});

    CHECK(run_pass(config).fetched == 1);
    CHECK_FALSE(http_state(dir, publisher.url("/old")).current_url.has_value());
    CHECK(http_state(dir, publisher.url("/old")).redirect_candidate == publisher.url("/new"));

    run_pass(config);
    CHECK(http_state(dir, publisher.url("/old")).current_url == publisher.url("/new"));
    CHECK(publisher.server().request_count("/old") == 2);

    // From now on the old address is not asked at all, also after a restart.
    run_pass(config);
    CHECK(publisher.server().request_count("/old") == 2);
    CHECK(publisher.server().request_count("/new") == 3);
  }
}

TEST_CASE("A permanent redirect seen once and then gone does not move the source", "[source_http]") {
  test::TempDir dir;
  Publisher publisher(301);
  const Config config = config_for(dir, {publisher.url("/old")});
  run_pass(config);
  publisher.moved = false;
  run_pass(config);
  publisher.moved = true;
  run_pass(config);
  const SourceHttpState state = http_state(dir, publisher.url("/old"));
  CHECK_FALSE(state.current_url.has_value());
  CHECK(state.redirect_candidate == publisher.url("/new"));
}

TEST_CASE("302, 303 and 307 never move a source, however often they are seen", "[source_http]") {
  for (int status : {302, 303, 307}) {
    test::TempDir dir;
    Publisher publisher(status);
    const Config config = config_for(dir, {publisher.url("/old")});
    for (int i = 0; i < 3; ++i) CHECK(run_pass(config).failed == 0);
    CHECK_FALSE(http_state(dir, publisher.url("/old")).current_url.has_value());
    CHECK(publisher.server().request_count("/old") == 3);
  }
}

TEST_CASE("A 410 source is not fetched again, even after a restart, until its URL changes", "[source_http]") {
  test::TempDir dir;
  Publisher publisher(301);
  const Config config = config_for(dir, {publisher.url("/gone"), publisher.url("/feed")});
  const PassSummary first = run_pass(config);
  CHECK(first.failed == 1);
  CHECK(http_state(dir, publisher.url("/gone")).gone);

  const PassSummary second = run_pass(config);  // a new Aggregator: as after a restart
  CHECK(second.sources == 1);
  CHECK(publisher.server().request_count("/gone") == 1);

  // The operator points the source somewhere else: a new URL is a new source.
  const Config changed = config_for(dir, {publisher.url("/gone?v=2"), publisher.url("/feed")});
  CHECK(run_pass(changed).sources == 2);
}

TEST_CASE("A source's own user_agent is sent instead of the daemon's", "[source_http]") {
  test::TempDir dir;
  Publisher publisher(301);
  Config config = config_for(dir, {publisher.url("/feed"), publisher.url("/feed?plain")});
  config.daemon.user_agent = "feedd-daemon/1";
  config.sources[0].user_agent = "Mozilla/5.0 (feedd)";
  run_pass(config);
  std::map<std::string, std::string> agent_by_target;
  for (const auto& r : publisher.server().requests()) agent_by_target[r.target] = r.headers.at("user-agent");
  CHECK(agent_by_target["/feed"] == "Mozilla/5.0 (feedd)");
  CHECK(agent_by_target["/feed?plain"] == "feedd-daemon/1");
}

namespace {
FetchedFeed one_entry_feed(const std::string& url, const std::string& id) {
  Entry entry;
  entry.id = id;
  entry.title = "Story " + id;
  entry.content = "<p>Text of story " + id + " for the group commit test.</p>";
  entry.content_hash = dedup::content_hash(*entry.title, *entry.content);
  FetchedFeed fetched;
  fetched.source_url = url;
  fetched.etag = "\"" + id + "\"";
  fetched.feed.entries.push_back(entry);
  return fetched;
}
const Timestamp kNow{std::chrono::seconds{1'700'000'000}};
}  // namespace

TEST_CASE("Fetches stored in one group commit are all visible to another connection only after it",
          "[source_http][store]") {
  test::TempDir dir;
  auto writer = Store::open(test::store_location(dir / "feedd.db"));
  REQUIRE(writer.ok());
  auto reader = Store::open(test::store_location(dir / "feedd.db"));
  REQUIRE(reader.ok());
  Store& store = *writer.value();

  REQUIRE(store.begin_batch().is_ok());
  CHECK(store.in_batch());
  REQUIRE(store.apply_fetch(one_entry_feed("http://a.example/feed", "a1"), kNow).ok());
  REQUIRE(store.apply_fetch(one_entry_feed("http://b.example/feed", "b1"), kNow).ok());
  CHECK(store.story_count().value() == 2);             // the writer sees its own batch
  CHECK(reader.value()->story_count().value() == 0);   // nobody else does yet
  REQUIRE(store.commit_batch().is_ok());
  CHECK_FALSE(store.in_batch());
  CHECK(reader.value()->story_count().value() == 2);
  CHECK(reader.value()->source_state("http://b.example/feed").value()->etag == "\"b1\"");
}

TEST_CASE("A batch that is never committed leaves nothing behind, not part of a fetch", "[source_http][store]") {
  test::TempDir dir;
  {
    auto opened = Store::open(test::store_location(dir / "feedd.db"));
    REQUIRE(opened.ok());
    Store& store = *opened.value();
    REQUIRE(store.begin_batch().is_ok());
    REQUIRE(store.apply_fetch(one_entry_feed("http://a.example/feed", "a1"), kNow).ok());
    // Closed without commit_batch(): as after a crash.
  }
  auto reopened = Store::open(test::store_location(dir / "feedd.db"));
  REQUIRE(reopened.ok());
  CHECK(reopened.value()->story_count().value() == 0);
  auto state = reopened.value()->source_state("http://a.example/feed");
  REQUIRE(state.ok());
  CHECK((!state.value() || !state.value()->etag));  // no validator hiding an entry never stored
}

TEST_CASE("feedd run schedules the next fetch no sooner than the feed's ttl and sy:updatePeriod", "[source_http]") {
  test::TempDir dir;
  test::FixtureServer server([](const test::FixtureRequest& r) -> test::FixtureResponse {
    const std::string period = r.target == "/hourly" ? "hourly" : "daily";
    return {200,
            {{"Content-Type", "application/rss+xml"}},
            "<rss version=\"2.0\" xmlns:sy=\"http://purl.org/rss/1.0/modules/syndication/\"><channel>"
            "<title>t</title><ttl>120</ttl><sy:updatePeriod>" + period + "</sy:updatePeriod>"
            "<item><guid>a</guid><title>A story</title><description>Some text.</description></item>"
            "</channel></rss>"};
  });
  Config config = config_for(dir, {server.url("/hourly"), server.url("/daily")});
  for (Source& s : config.sources) s.interval = 1s;  // due within the first second
  const Timestamp t0 = kNow;
  boost::asio::io_context io;
  {
    Aggregator aggregator(io, config, [t0] { return t0; });
    REQUIRE(aggregator.open().is_ok());
    aggregator.start_polling();
    // Until both schedules are stored (committed), not for a fixed time: under load the
    // first fetches may take longer than a second or two.
    const auto both_scheduled = [&] {
      return http_state(dir, server.url("/hourly")).next_fetch && http_state(dir, server.url("/daily")).next_fetch;
    };
    for (int i = 0; i < 100 && !both_scheduled(); ++i) io.run_for(100ms);
    aggregator.stop([&io] { io.stop(); });
    io.restart();
    io.run_for(5s);
  }
  // In minutes after t0, so that a failure prints the schedule it found.
  const auto minutes_after_t0 = [&](const std::string& path) {
    const auto next = http_state(dir, server.url(path)).next_fetch;
    REQUIRE(next.has_value());
    return std::chrono::duration_cast<std::chrono::minutes>(*next - t0).count();
  };
  const auto hourly = minutes_after_t0("/hourly");
  CHECK(hourly >= 108);  // ttl 120 min (the longer) less 10% jitter
  CHECK(hourly <= 132);
  const auto daily = minutes_after_t0("/daily");
  CHECK(daily >= 24 * 60 - 24 * 6);
}

TEST_CASE("Per-source min_interval, max_interval and user_agent override [daemon]'s; host_delay may be 0s",
          "[source_http][config]") {
  const ConfigResult parsed = parse_config(R"toml(
[daemon]
min_interval = "10m"
max_interval = "12h"
host_delay = "0s"
user_agent = "feedd-test/1"
[[feed]]
url = "https://a.example/feed"
[[feed]]
url = "https://b.example/feed"
min_interval = "1m"
max_interval = "2h"
user_agent = "Mozilla/5.0 (compatible)"
)toml", "feeds.conf");
  REQUIRE(parsed.ok());
  const Config& config = parsed.config;
  CHECK(config.daemon.host_delay == 0s);
  CHECK(config.sources[0].min_interval == 10min);
  CHECK(config.sources[0].max_interval == 12h);
  CHECK(config.sources[0].user_agent == "feedd-test/1");
  CHECK(config.sources[1].min_interval == 1min);
  CHECK(config.sources[1].max_interval == 2h);
  CHECK(config.sources[1].user_agent == "Mozilla/5.0 (compatible)");
  CHECK(parse_config("", "feeds.conf").config.daemon.host_delay == 1s);
}

TEST_CASE("A min_interval longer than max_interval is an error with its line", "[source_http][config]") {
  const ConfigResult parsed = parse_config("[[feed]]\nurl = \"https://a.example/\"\nmin_interval = \"2h\"\n"
                                           "max_interval = \"1h\"\n",
                                           "feeds.conf");
  REQUIRE(parsed.errors.size() == 1);
  CHECK(parsed.errors[0].to_string() == "feeds.conf:4:16: 'min_interval' must not be longer than 'max_interval'");
}
