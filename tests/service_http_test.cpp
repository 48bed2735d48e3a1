// The operator's endpoints over real loopback: /opml, /healthz and /metrics, served by a
// running Aggregator and read with feedd's own Fetcher as the HTTP client.

#include <catch2/catch.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "feedd/fetch.hpp"
#include "feedd/metrics.hpp"
#include "feedd/opml.hpp"
#include "feedd/pipeline.hpp"
#include "feedd/serve.hpp"
#include "feedd/status_page.hpp"
#include "feedd/time.hpp"
#include "support/fixture_server.hpp"
#include "support/sample_feeds.hpp"
#include "support/temp_dir.hpp"

using namespace feedd;
using namespace std::chrono_literals;

namespace {

test::FixtureServer::Handler documents() {
  return [](const test::FixtureRequest& r) -> test::FixtureResponse {
    // The mirror carries the same bytes: its entries are copies of science's stories.
    if (r.target == "/science.xml" || r.target == "/mirror.xml") {
      return {200, {{"Content-Type", "application/xml"}}, test::unrelated_rss("science", 4)};
    }
    return {404, {}, "no"};
  };
}

Config make_config(const test::TempDir& dir, const test::FixtureServer& server) {
  Config config;
  config.path = dir / "feeds.conf";
  config.daemon.database = dir / "feedd.db";
  config.daemon.output_dir = dir / "public";
  config.daemon.listen = "127.0.0.1:0";
  config.output.near_duplicates = false;
  config.daemon.host_delay = std::chrono::seconds(0);  // all sources share the fixture's host
  Source science;
  science.url = server.url("/science.xml");
  science.title = "Science & <Things>";
  science.tags = {"science"};
  Source mirror;
  mirror.url = server.url("/mirror.xml");
  Source broken;
  broken.url = server.url("/missing.xml");
  Source off;
  off.url = server.url("/off.xml");
  off.enabled = false;
  config.sources = {science, mirror, broken, off};
  return config;
}

// Runs one pass of `aggregator`, then `client` on the io thread with a Fetcher; `client`
// calls the `finish` it is given when it is done.
void run_pass_then(boost::asio::io_context& io, Aggregator& aggregator,
                   const std::function<void(Fetcher&, std::function<void()>)>& client) {
  Fetcher fetcher(io, {});
  bool passed = false, finished = false;
  aggregator.run_once([&](const PassSummary&) {
    passed = true;
    client(fetcher, [&] {
      finished = true;
      aggregator.stop([&] { io.stop(); });
    });
  });
  io.run_for(20s);
  REQUIRE(passed);
  REQUIRE(finished);
}

std::string base_url(const Aggregator& aggregator) {
  return "http://127.0.0.1:" + std::to_string(aggregator.http_port());
}

// A strict reader of the Prometheus text exposition format 0.0.4: every sample belongs to
// a family announced by # HELP and # TYPE before it (histograms by _bucket, _sum and
// _count), names and label names are valid, label values quoted and escaped, values
// numbers, no sample twice.
struct Exposition {
  std::map<std::string, std::string> types;                  // family -> type
  std::map<std::string, double> samples;                     // "name{labels}" -> value
  std::vector<std::pair<std::string, std::string>> ordered;  // (name, labels) in order
};

Exposition parse_exposition(const std::string& text) {
  Exposition e;
  std::set<std::string> helped;
  static const std::regex help(R"(# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+))");
  static const std::regex type(R"(# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped))");
  static const std::regex sample(
      R"(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*)\})? (\S+))");
  REQUIRE(!text.empty());
  REQUIRE(text.back() == '\n');
  std::istringstream lines(text);
  std::string line;
  std::string current;
  while (std::getline(lines, line)) {
    INFO(line);
    std::smatch m;
    if (std::regex_match(line, m, help)) {
      CHECK(helped.insert(m[1]).second);
      current = m[1];
    } else if (std::regex_match(line, m, type)) {
      CHECK(m[1] == current);  // TYPE follows its HELP, before any sample
      CHECK(e.types.emplace(m[1], m[2]).second);
    } else {
      REQUIRE(std::regex_match(line, m, sample));
      const std::string name = m[1];
      REQUIRE(e.types.count(current) == 1);
      const std::string& t = e.types[current];
      if (t == "histogram") {
        CHECK((name == current + "_bucket" || name == current + "_sum" || name == current + "_count"));
      } else {
        CHECK(name == current);
      }
      if (t == "counter") CHECK(current.size() > 6);
      if (t == "counter") CHECK(current.substr(current.size() - 6) == "_total");
      const std::string value = m[4];
      std::size_t used = 0;
      const double v = value == "+Inf" ? INFINITY : std::stod(value, &used);
      if (value != "+Inf") CHECK(used == value.size());
      const std::string key = name + "{" + std::string(m[3]) + "}";
      CHECK(e.samples.emplace(key, v).second);
      e.ordered.emplace_back(name, m[3]);
    }
  }
  return e;
}

// Bucket counts never fall as `le` rises, +Inf is last and equals _count.
void check_histogram(const Exposition& e, const std::string& family) {
  static const std::regex le(R"re(le="([^"]+)")re");
  double previous_le = -INFINITY, previous_count = 0;
  bool saw_inf = false;
  for (const auto& [name, labels] : e.ordered) {
    if (name != family + "_bucket") continue;
    std::smatch m;
    REQUIRE(std::regex_search(labels, m, le));
    CHECK_FALSE(saw_inf);
    const double bound = m[1] == "+Inf" ? INFINITY : std::stod(m[1]);
    saw_inf = std::isinf(bound);
    CHECK(bound > previous_le);
    const double count = e.samples.at(name + "{" + labels + "}");
    CHECK(count >= previous_count);
    previous_le = bound;
    previous_count = count;
  }
  CHECK(saw_inf);
  CHECK(previous_count == e.samples.at(family + "_count{}"));
}

}  // namespace

TEST_CASE("/opml serves the configured sources as OPML 2.0 with an ETag and a 304, and a reload re-renders it",
          "[service][http]") {
  test::FixtureServer server(documents());
  test::TempDir dir;
  Config config = make_config(dir, server);
  boost::asio::io_context io;
  Aggregator aggregator(io, config);
  REQUIRE(aggregator.open().is_ok());
  REQUIRE(aggregator.serve_http().is_ok());
  const std::string url = base_url(aggregator) + "/opml";
  FetchResult first, revalidated, after_reload;
  FetchRequest again = FetchRequest::for_url(url);
  Fetcher client(io, {});
  client.fetch(FetchRequest::for_url(url), [&](FetchResult r) {
    first = std::move(r);
    again.etag = first.etag;
    client.fetch(again, [&](FetchResult r2) {
      revalidated = std::move(r2);
      Config next = config;
      Source added;
      added.url = "https://added.example/feed.xml";
      next.sources.push_back(added);
      aggregator.reload(next);
      client.fetch(again, [&](FetchResult r3) {
        after_reload = std::move(r3);
        io.stop();
      });
    });
  });
  io.run_for(10s);
  REQUIRE(first.http_status == 200);
  CHECK(first.content_type.find("text/x-opml") == 0);
  CHECK(first.body == write_opml(config));
  auto read = read_opml(first.body);
  REQUIRE(read.ok());
  CHECK(read->size() == 4);
  REQUIRE(first.etag.has_value());
  CHECK(revalidated.http_status == 304);
  CHECK(after_reload.http_status == 200);
  CHECK(after_reload.body.find("https://added.example/feed.xml") != std::string::npos);
}

// Makes the database files immutable (chattr +i) for as long as it lives: a fault that
// stops even root's writes through a connection already open (a read-only mode does not
// stop root). Needs CAP_LINUX_IMMUTABLE and a file system with the flag (ext4, xfs, btrfs).
class ImmutableFiles {
 public:
  explicit ImmutableFiles(std::vector<std::filesystem::path> files) : files_(std::move(files)) {
    for (const auto& file : files_) {
      if (!std::filesystem::exists(file)) continue;
      if (std::system(("chattr +i '" + file.string() + "' 2>/dev/null").c_str()) != 0) return;
      locked_.push_back(file);
    }
    ok_ = !locked_.empty();
  }
  ~ImmutableFiles() {
    for (const auto& file : locked_) (void)std::system(("chattr -i '" + file.string() + "'").c_str());
  }
  bool ok() const { return ok_; }

 private:
  std::vector<std::filesystem::path> files_, locked_;
  bool ok_ = false;
};

TEST_CASE("/healthz answers 503 with the reason while the database cannot be written, and 200 once it can",
          "[service][http]") {
  test::FixtureServer server(documents());
  test::TempDir dir;
  const Config config = make_config(dir, server);
  boost::asio::io_context io;
  // A clock a second further on at each reading, so that every health record of a pass
  // changes a row: SQLite skips writing a row rewritten with the same bytes, and a commit
  // with nothing to write succeeds even on an immutable file.
  auto ticks = std::make_shared<std::atomic<int>>(0);
  Aggregator aggregator(io, config, [ticks] { return Timestamp(std::chrono::seconds(1'700'000'000 + (*ticks)++)); });
  REQUIRE(aggregator.open().is_ok());
  REQUIRE(aggregator.serve_http().is_ok());
  Fetcher fetcher(io, {});
  const std::string url = base_url(aggregator) + "/healthz";
  FetchResult before, during, after;
  bool locked = false, done = false;
  std::optional<ImmutableFiles> fault;
  // Three passes: a healthy one, one with the database immutable, one after.
  aggregator.run_once([&](const PassSummary&) {
    fetcher.fetch(FetchRequest::for_url(url), [&](FetchResult r) {
      before = std::move(r);
      fault.emplace(std::vector<std::filesystem::path>{config.daemon.database, config.daemon.database.string() + "-wal"});
      locked = fault->ok();
      if (!locked) {
        io.stop();
        return;
      }
      aggregator.run_once([&](const PassSummary&) {
        fetcher.fetch(FetchRequest::for_url(url), [&](FetchResult r2) {
          during = std::move(r2);
          fault.reset();
          aggregator.run_once([&](const PassSummary&) {
            fetcher.fetch(FetchRequest::for_url(url), [&](FetchResult r3) {
              after = std::move(r3);
              done = true;
              aggregator.stop([&] { io.stop(); });
            });
          });
        });
      });
    });
  });
  io.run_for(30s);
  CHECK(before.http_status == 200);
  CHECK(before.body == "ok\n");
  if (!locked) {
    WARN("skipped the fault: chattr +i is not possible here (needs CAP_LINUX_IMMUTABLE on ext4/xfs/btrfs)");
    return;
  }
  REQUIRE(done);
  CHECK(during.http_status == 503);  // the Fetcher keeps no error body: the next test checks the reason
  CHECK(after.http_status == 200);
  CHECK(after.body == "ok\n");
}

TEST_CASE("/healthz gives the recorded problem as its 503 body", "[service][http]") {
  FeedCache cache;
  cache.set_health_problem("database not writable: database: disk I/O error");
  const HttpAnswer down = handle_request("GET", "/healthz", {}, cache);
  CHECK(down.status == 503);
  CHECK(down.body == "database not writable: database: disk I/O error\n");
  cache.set_health_problem("");
  const HttpAnswer up = handle_request("GET", "/healthz", {}, cache);
  CHECK(up.status == 200);
  CHECK(up.body == "ok\n");
}

TEST_CASE("/metrics after a pass is valid Prometheus text with the fetches, stories, duplicates and sources counted",
          "[service][http][metrics]") {
  test::FixtureServer server(documents());
  test::TempDir dir;
  boost::asio::io_context io;
  Aggregator aggregator(io, make_config(dir, server));
  REQUIRE(aggregator.open().is_ok());
  REQUIRE(aggregator.serve_http().is_ok());
  FetchResult scraped;
  run_pass_then(io, aggregator, [&](Fetcher& fetcher, std::function<void()> finish) {
    fetcher.fetch(FetchRequest::for_url(base_url(aggregator) + "/metrics"), [&, finish](FetchResult r) {
      scraped = std::move(r);
      finish();
    });
  });
  REQUIRE(scraped.http_status == 200);
  CHECK(scraped.content_type == "text/plain; version=0.0.4; charset=utf-8");
  const Exposition e = parse_exposition(scraped.body);
  CHECK(e.types.at("feedd_fetches_total") == "counter");
  CHECK(e.types.at("feedd_fetch_duration_seconds") == "histogram");
  CHECK(e.types.at("feedd_sources") == "gauge");
  CHECK(e.types.at("feedd_store_bytes") == "gauge");
  CHECK(e.types.at("feedd_fetches_in_flight") == "gauge");
  check_histogram(e, "feedd_fetch_duration_seconds");
  CHECK(e.samples.at(R"(feedd_fetches_total{result="fetched"})") == 2);
  CHECK(e.samples.at(R"(feedd_fetches_total{result="not_modified"})") == 0);
  CHECK(e.samples.at(R"(feedd_fetches_total{result="failed"})") == 1);
  CHECK(e.samples.at("feedd_fetch_duration_seconds_count{}") == 3);
  CHECK(e.samples.at("feedd_stories_total{}") == 4);
  CHECK(e.samples.at(R"(feedd_duplicates_collapsed_total{reason="same_content"})") == 4);
  CHECK(e.samples.at(R"(feedd_duplicates_collapsed_total{reason="near_duplicate"})") == 0);
  CHECK(e.samples.at(R"(feedd_sources{state="ok"})") == 2);
  CHECK(e.samples.at(R"(feedd_sources{state="failing"})") == 1);
  CHECK(e.samples.at(R"(feedd_sources{state="gone"})") == 0);
  CHECK(e.samples.at(R"(feedd_sources{state="disabled"})") == 1);
  CHECK(e.samples.at("feedd_store_bytes{}") > 0);
  CHECK(e.samples.at("feedd_fetches_in_flight{}") == 0);
}

TEST_CASE("The metrics histogram puts each duration in its bucket and +Inf counts them all", "[service][metrics]") {
  ServiceMetrics m;
  m.observe_fetch_duration(0.01);
  m.observe_fetch_duration(0.05);  // on a bound: le is "less or equal"
  m.observe_fetch_duration(3);
  m.observe_fetch_duration(500);
  const Exposition e = parse_exposition(render_metrics(m));
  check_histogram(e, "feedd_fetch_duration_seconds");
  CHECK(e.samples.at(R"(feedd_fetch_duration_seconds_bucket{le="0.05"})") == 2);
  CHECK(e.samples.at(R"(feedd_fetch_duration_seconds_bucket{le="5"})") == 3);
  CHECK(e.samples.at(R"(feedd_fetch_duration_seconds_bucket{le="+Inf"})") == 4);
  CHECK(e.samples.at("feedd_fetch_duration_seconds_count{}") == 4);
  CHECK(e.samples.at("feedd_fetch_duration_seconds_sum{}") == Approx(503.06));
}

TEST_CASE("The status page at / lists every source with its health, escaped, the chart and the feeds' links",
          "[service][http][status-page]") {
  test::FixtureServer server(documents());
  test::TempDir dir;
  const Config config = make_config(dir, server);
  boost::asio::io_context io;
  Aggregator aggregator(io, config);
  REQUIRE(aggregator.open().is_ok());
  REQUIRE(aggregator.serve_http().is_ok());
  FetchResult page;
  // The page is read from the store on the reader thread after the pass's render: ask
  // again (every 20 ms, a few seconds at most) until it shows the pass.
  boost::asio::steady_timer again(io);
  int tries = 0;
  run_pass_then(io, aggregator, [&](Fetcher& fetcher, std::function<void()> finish) {
    auto ask = std::make_shared<std::function<void()>>();
    *ask = [&, finish, ask] {
      fetcher.fetch(FetchRequest::for_url(base_url(aggregator) + "/"), [&, finish, ask](FetchResult r) {
        page = std::move(r);
        if (page.body.find("failing") != std::string::npos || ++tries > 200) {
          *ask = nullptr;  // breaks the cycle of the lambda holding itself
          finish();
          return;
        }
        again.expires_after(20ms);
        again.async_wait([ask](boost::system::error_code) {
          if (*ask) (*ask)();
        });
      });
    };
    (*ask)();
  });
  REQUIRE(page.http_status == 200);
  CHECK(page.content_type == "text/html; charset=utf-8");
  const std::string& html = page.body;
  CHECK(html.rfind("<!DOCTYPE html>\n<html lang=\"en\">", 0) == 0);
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("src=") == std::string::npos);  // no external assets
  // Every source, with its health; the title from the config escaped, never raw.
  CHECK(html.find("Science &amp; &lt;Things&gt;") != std::string::npos);
  CHECK(html.find("<Things>") == std::string::npos);
  for (const Source& source : config.sources) CHECK(html.find("href=\"" + source.url + "\"") != std::string::npos);
  CHECK(html.find("class=\"bad\">failing (1)</td>") != std::string::npos);
  CHECK(html.find("class=\"off\">disabled</td>") != std::string::npos);
  // Only the failing source has a last error shown.
  auto count = [&html](const std::string& what) {
    std::size_t n = 0;
    for (std::size_t at = html.find(what); at != std::string::npos; at = html.find(what, at + 1)) ++n;
    return n;
  };
  CHECK(count("<td class=\"err\">") == 4);
  CHECK(count("<td class=\"err\"></td>") == 3);
  CHECK(count("404") >= 1);
  // The chart: 30 bars, today's holding the pass's 4 stories (the mirror's entries are
  // copies of them).
  const std::size_t svg = html.find("<svg xmlns=\"http://www.w3.org/2000/svg\"");
  REQUIRE(svg != std::string::npos);
  std::size_t bars = 0;
  for (std::size_t at = html.find("<rect", svg); at != std::string::npos; at = html.find("<rect", at + 1)) ++bars;
  CHECK(bars == kStatusChartDays);
  CHECK(html.find(format_rfc3339(system_clock()()).substr(0, 10) + ": 4 stories") != std::string::npos);
  // The feeds' links.
  CHECK(html.find("href=\"/feed.atom\"") != std::string::npos);
  CHECK(html.find("href=\"/tags/science.atom\"") != std::string::npos);
  CHECK(html.find("href=\"/opml\"") != std::string::npos);
}

TEST_CASE("Headless Chromium renders the status page and takes its screenshot", "[service][http][status-page][chromium]") {
  if (std::system("command -v chromium >/dev/null 2>&1") != 0) {
    WARN("skipped: chromium is not installed (scripts/setup.sh installs it)");
    return;
  }
  test::FixtureServer server(documents());
  test::TempDir dir;
  boost::asio::io_context io;
  Aggregator aggregator(io, make_config(dir, server));
  REQUIRE(aggregator.open().is_ok());
  REQUIRE(aggregator.serve_http().is_ok());
  bool passed = false;
  aggregator.run_once([&](const PassSummary&) {
    passed = true;
    io.stop();
  });
  io.run_for(20s);
  REQUIRE(passed);

  // The browser runs while the io thread serves; the background-networking flags keep it
  // off the network (only 127.0.0.1 is asked for).
  const std::filesystem::path png = dir / "status.png";
  const std::filesystem::path dom = dir / "status.html";
  int browser = -1;
  std::thread client([&] {
    const std::string flags =
        " --headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update"
        " --disable-sync --disable-default-apps --no-first-run --no-default-browser-check --hide-scrollbars"
        " --window-size=1200,900 --user-data-dir='" +
        (dir / "profile").string() + "' ";
    const std::string url = base_url(aggregator) + "/";
    const int shot = std::system(("timeout 60 chromium" + flags + "--screenshot='" + png.string() + "' " + url +
                                  " >/dev/null 2>&1").c_str());
    const int dumped = std::system(
        ("timeout 60 chromium" + flags + "--dump-dom " + url + " >'" + dom.string() + "' 2>/dev/null").c_str());
    browser = shot == 0 && dumped == 0 ? 0 : 1;
    boost::asio::post(io, [&] { aggregator.stop([&] { io.stop(); }); });
  });
  io.restart();
  io.run_for(150s);
  client.join();
  REQUIRE(browser == 0);
  // A PNG (its signature) of some size, and the DOM as the browser built it: the table of
  // sources and the chart survived parsing.
  REQUIRE(std::filesystem::exists(png));
  const std::string image = test::read_file(png);
  CHECK(image.size() > 1000);
  CHECK(image.substr(0, 8) == std::string("\x89PNG\r\n\x1a\n", 8));
  const std::string parsed = test::read_file(dom);
  CHECK(parsed.find("<svg") != std::string::npos);
  CHECK(parsed.find("<rect") != std::string::npos);
  CHECK(parsed.find("<tbody>") != std::string::npos);
  CHECK(parsed.find("Science &amp; &lt;Things&gt;") != std::string::npos);
}
