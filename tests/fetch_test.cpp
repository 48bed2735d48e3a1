#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <sys/stat.h>

#include <boost/asio/io_context.hpp>

#include "feedd/fetch.hpp"
#include "feedd/time.hpp"
#include "support/fixture_server.hpp"
#include "support/temp_dir.hpp"

namespace {

using feedd::FetchRequest;
using feedd::FetchResult;
using feedd::Fetcher;
using feedd::StatusKind;
using feedd::test::FixtureRequest;
using feedd::test::FixtureResponse;
using feedd::test::FixtureServer;
using namespace std::chrono_literals;

FetchRequest request(std::string url) {
  FetchRequest req;
  req.url = std::move(url);
  req.timeout = 5s;
  req.connect_timeout = 2s;
  return req;
}

FixtureResponse ok(std::string body, std::vector<std::pair<std::string, std::string>> headers = {}) {
  FixtureResponse res;
  res.body = std::move(body);
  res.headers = std::move(headers);
  return res;
}

FixtureResponse redirect(std::string location) {
  FixtureResponse res;
  res.status = 302;
  res.headers = {{"Location", std::move(location)}, {"ETag", "\"redirect\""}};
  return res;
}

// One io_context and Fetcher; run() drives the loop until the expected callbacks ran.
struct Harness {
  explicit Harness(Fetcher::Limits limits = {}) : fetcher(std::make_unique<Fetcher>(io, limits)) {}

  void fetch(FetchRequest req) {
    fetcher->fetch(std::move(req), [this](FetchResult r) {
      results.push_back(std::move(r));
      if (results.size() == expected) io.stop();
    });
    ++expected;
  }

  // Stops as soon as every callback ran; the deadline only guards against a hang.
  void run() {
    io.restart();
    io.run_for(10s);
  }

  FetchResult get(FetchRequest req) {
    fetch(std::move(req));
    run();
    REQUIRE(results.size() == expected);
    return results.back();
  }

  boost::asio::io_context io;
  std::unique_ptr<Fetcher> fetcher;
  std::vector<FetchResult> results;
  std::size_t expected = 0;
};

}  // namespace

TEST_CASE("A 200 answer gives its body, content type and validators", "[fetch]") {
  FixtureServer server([](const FixtureRequest&) {
    return ok("<rss/>", {{"Content-Type", "application/rss+xml"},
                         {"ETag", "\"v1\""},
                         {"Last-Modified", "Mon, 09 Mar 2020 08:00:00 GMT"}});
  });
  Harness h;
  FetchRequest req = request(server.url("/feed.xml"));
  req.user_agent = "feedd-test/1";
  FetchResult r = h.get(req);

  CHECK(r.status.is_ok());
  CHECK(r.http_status == 200);
  CHECK_FALSE(r.not_modified);
  CHECK(r.body == "<rss/>");
  CHECK(r.content_type == "application/rss+xml");
  CHECK(r.etag == "\"v1\"");
  CHECK(r.last_modified == "Mon, 09 Mar 2020 08:00:00 GMT");
  CHECK(r.final_url == server.url("/feed.xml"));

  auto seen = server.requests();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].method == "GET");
  CHECK(seen[0].headers["user-agent"] == "feedd-test/1");
  CHECK(seen[0].headers["accept"].find("application/atom+xml") != std::string::npos);
  CHECK(seen[0].headers["accept"].find("application/feed+json") != std::string::npos);
  CHECK(seen[0].headers.count("if-none-match") == 0);
}

TEST_CASE("A fetch with stored validators sends them and a 304 is not modified", "[fetch]") {
  FixtureServer server([](const FixtureRequest& req) {
    auto inm = req.headers.find("if-none-match");
    auto ims = req.headers.find("if-modified-since");
    if (inm != req.headers.end() && inm->second == "\"v1\"" && ims != req.headers.end()) {
      FixtureResponse res;
      res.status = 304;
      res.headers = {{"ETag", "\"v1\""}};
      return res;
    }
    return ok("<feed/>", {{"ETag", "\"v1\""}, {"Last-Modified", "Mon, 09 Mar 2020 08:00:00 GMT"}});
  });
  Harness h;
  FetchResult first = h.get(request(server.url("/f")));
  REQUIRE(first.status.is_ok());

  FetchRequest again = request(server.url("/f"));
  again.etag = first.etag;
  again.last_modified = first.last_modified;
  FetchResult second = h.get(again);

  CHECK(second.status.is_ok());
  CHECK(second.not_modified);
  CHECK(second.http_status == 304);
  CHECK(second.body.empty());
  CHECK(second.etag == "\"v1\"");
  CHECK(second.last_modified == "Mon, 09 Mar 2020 08:00:00 GMT");
  auto seen = server.requests();
  REQUIRE(seen.size() == 2);
  CHECK(seen[1].headers["if-none-match"] == "\"v1\"");
  CHECK(seen[1].headers["if-modified-since"] == "Mon, 09 Mar 2020 08:00:00 GMT");
}

TEST_CASE("A gzip-encoded body arrives decoded", "[fetch]") {
  const std::string text(50'000, 'x');
  FixtureServer server([&](const FixtureRequest&) {
    FixtureResponse res = ok(text);
    res.gzip = true;
    return res;
  });
  Harness h;
  FetchResult r = h.get(request(server.url("/gz")));
  CHECK(r.status.is_ok());
  CHECK(r.body == text);
  CHECK(server.requests().at(0).headers["accept-encoding"].find("gzip") != std::string::npos);
}

TEST_CASE("Redirects are followed and the final URL and its validators are reported", "[fetch]") {
  FixtureServer server([](const FixtureRequest& req) {
    if (req.target == "/a") return redirect("/b");
    if (req.target == "/b") return redirect("/c");
    return ok("final", {{"ETag", "\"final\""}});
  });
  Harness h;
  FetchResult r = h.get(request(server.url("/a")));
  CHECK(r.status.is_ok());
  CHECK(r.body == "final");
  CHECK(r.final_url == server.url("/c"));
  CHECK(r.etag == "\"final\"");
  CHECK(server.requests().size() == 3);
}

TEST_CASE("More than five redirects fail", "[fetch]") {
  FixtureServer server([](const FixtureRequest& req) {
    int n = std::stoi(req.target.substr(2));
    return redirect("/r" + std::to_string(n + 1));
  });
  Harness h;
  FetchResult r = h.get(request(server.url("/r0")));
  CHECK(r.status.kind() == StatusKind::kNetwork);
  CHECK(r.status.message().find(server.url("/r0")) != std::string::npos);
  CHECK(r.body.empty());
  CHECK(server.requests().size() == 6);  // the request and five redirects, no more
}

TEST_CASE("A redirect to a scheme other than http or https is refused", "[fetch]") {
  const std::string target = GENERATE(std::string("file:///etc/passwd"), std::string("ftp://127.0.0.1/feed"));
  FixtureServer server([&](const FixtureRequest&) { return redirect(target); });
  Harness h;
  FetchResult r = h.get(request(server.url("/feed")));
  CHECK_FALSE(r.status.is_ok());
  CHECK(r.body.empty());
  CHECK(server.requests().size() == 1);
}

TEST_CASE("404 and 500 answers are HTTP errors carrying the status", "[fetch]") {
  const int status = GENERATE(404, 500);
  FixtureServer server([&](const FixtureRequest&) {
    FixtureResponse res = ok("nope");
    res.status = status;
    return res;
  });
  Harness h;
  FetchResult r = h.get(request(server.url("/feed")));
  CHECK(r.status.kind() == StatusKind::kHttp);
  CHECK(r.http_status == status);
  CHECK(r.status.message().find("HTTP " + std::to_string(status)) != std::string::npos);
  CHECK(r.body.empty());
}

TEST_CASE("A 200 with an empty body is an error, not an empty feed", "[fetch]") {
  FixtureServer server([](const FixtureRequest&) { return ok(""); });
  Harness h;
  FetchResult r = h.get(request(server.url("/empty")));
  CHECK_FALSE(r.status.is_ok());
  CHECK(r.http_status == 200);
}

TEST_CASE("A chunked body over max_bytes fails as too large", "[fetch]") {
  FixtureServer server([](const FixtureRequest&) {
    FixtureResponse res = ok(std::string(300'000, 'a'));
    res.chunked = true;
    return res;
  });
  Harness h;
  FetchRequest req = request(server.url("/big"));
  req.max_bytes = 100'000;
  FetchResult r = h.get(req);
  CHECK(r.status.kind() == StatusKind::kTooLarge);
  CHECK(r.body.empty());
}

TEST_CASE("A gzip body that inflates past max_bytes fails as too large", "[fetch]") {
  FixtureServer server([](const FixtureRequest&) {
    FixtureResponse res = ok(std::string(2'000'000, 'a'));  // a few kB on the wire
    res.gzip = true;
    return res;
  });
  Harness h;
  FetchRequest req = request(server.url("/bomb"));
  req.max_bytes = 100'000;
  FetchResult r = h.get(req);
  CHECK(r.status.kind() == StatusKind::kTooLarge);
  CHECK(r.body.empty());
}

TEST_CASE("A refused connection is a network error naming the URL", "[fetch]") {
  std::string url;
  {
    FixtureServer closed([](const FixtureRequest&) { return ok("x"); });
    url = closed.url("/feed");
  }
  Harness h;
  FetchResult r = h.get(request(url));
  CHECK(r.status.kind() == StatusKind::kNetwork);
  CHECK(r.status.message().find(url) != std::string::npos);
  CHECK(r.http_status == 0);
}

TEST_CASE("No more than per_host transfers run against one host at a time", "[fetch]") {
  FixtureServer server([](const FixtureRequest&) {
    FixtureResponse res = ok("slow");
    res.delay = 100ms;
    return res;
  });
  Harness h(Fetcher::Limits{64, 2});
  for (int i = 0; i < 6; ++i) h.fetch(request(server.url("/s" + std::to_string(i))));
  CHECK(h.fetcher->in_flight() == 2);
  CHECK(h.fetcher->queued() == 4);
  h.run();

  REQUIRE(h.results.size() == 6);
  for (const auto& r : h.results) CHECK(r.status.is_ok());
  CHECK(server.max_concurrent_requests() == 2);
  CHECK(h.fetcher->in_flight() == 0);
  CHECK(h.fetcher->queued() == 0);
}

TEST_CASE("No more than `concurrency` transfers run at once", "[fetch]") {
  FixtureServer server([](const FixtureRequest&) {
    FixtureResponse res = ok("slow");
    res.delay = 100ms;
    return res;
  });
  Harness h(Fetcher::Limits{3, 10});
  for (int i = 0; i < 7; ++i) h.fetch(request(server.url("/s" + std::to_string(i))));
  CHECK(h.fetcher->in_flight() == 3);
  CHECK(h.fetcher->queued() == 4);
  h.run();
  REQUIRE(h.results.size() == 7);
  CHECK(server.max_concurrent_requests() == 3);
}

TEST_CASE("A file: URL is read, and is not modified when its mtime is the stored Last-Modified", "[fetch]") {
  feedd::test::TempDir dir;
  auto path = feedd::test::write_file(dir / "feed.xml", "<rss>local</rss>");
  struct stat info {};
  REQUIRE(::stat(path.c_str(), &info) == 0);
  const std::string mtime = feedd::format_http_date(feedd::Timestamp{std::chrono::seconds{info.st_mtime}});

  Harness h;
  FetchResult first = h.get(request("file://" + path.string()));
  CHECK(first.status.is_ok());
  CHECK(first.body == "<rss>local</rss>");
  CHECK(first.http_status == 0);
  CHECK(first.last_modified == mtime);

  FetchRequest again = request("file://" + path.string());
  again.last_modified = first.last_modified;
  FetchResult second = h.get(again);
  CHECK(second.status.is_ok());
  CHECK(second.not_modified);
  CHECK(second.body.empty());
}

TEST_CASE("A missing file is an io error", "[fetch]") {
  feedd::test::TempDir dir;
  Harness h;
  FetchResult r = h.get(request("file://" + (dir / "absent.xml").string()));
  CHECK(r.status.kind() == StatusKind::kIo);
  CHECK(r.status.message().find("absent.xml") != std::string::npos);
}

TEST_CASE("The done callback never runs inside fetch()", "[fetch]") {
  feedd::test::TempDir dir;
  auto path = feedd::test::write_file(dir / "feed.xml", "<rss/>");
  Harness h;
  h.fetch(request("file://" + path.string()));
  h.fetch(request("gopher://example.com/feed"));
  CHECK(h.results.empty());
  h.run();
  REQUIRE(h.results.size() == 2);
  CHECK(h.results[0].status.is_ok());
  CHECK(h.results[1].status.kind() == StatusKind::kInvalidArgument);
}

TEST_CASE("Two hundred fetches each call back exactly once", "[fetch]") {
  FixtureServer server([](const FixtureRequest& req) { return ok("body of " + req.target); });
  boost::asio::io_context io;
  Fetcher fetcher(io, Fetcher::Limits{16, 8});
  constexpr int kCount = 200;
  std::vector<int> calls(kCount, 0);
  int finished = 0;
  int failed = 0;
  for (int i = 0; i < kCount; ++i) {
    fetcher.fetch(request(server.url("/" + std::to_string(i))), [&, i](FetchResult r) {
      ++calls[i];
      if (!r.status.is_ok() || r.body != "body of /" + std::to_string(i)) ++failed;
      if (++finished == kCount) io.stop();
    });
  }
  io.run_for(20s);
  CHECK(finished == kCount);
  CHECK(failed == 0);
  CHECK(std::count(calls.begin(), calls.end(), 1) == kCount);
  CHECK(fetcher.in_flight() == 0);
}

TEST_CASE("Destroying the Fetcher abandons its transfers without calling back", "[fetch]") {
  FixtureServer server([](const FixtureRequest&) {
    FixtureResponse res = ok("late");
    res.delay = 300ms;
    return res;
  });
  boost::asio::io_context io;
  int calls = 0;
  auto fetcher = std::make_unique<Fetcher>(io, Fetcher::Limits{});
  for (int i = 0; i < 3; ++i) fetcher->fetch(request(server.url("/slow")), [&](FetchResult) { ++calls; });
  io.run_for(100ms);  // requests are on the wire, answers not yet
  CHECK(fetcher->in_flight() == 3);
  fetcher.reset();
  io.restart();
  io.run_for(400ms);  // whatever Asio still had queued must not touch the dead Fetcher
  CHECK(calls == 0);
}

// ---- Redirects, Retry-After, freshness, spacing, timeouts (issue 4) ----

namespace {

FixtureResponse moved(int status, std::string location) {
  FixtureResponse res;
  res.status = status;
  res.headers = {{"Location", std::move(location)}};
  return res;
}

FixtureResponse answer(int status, std::vector<std::pair<std::string, std::string>> headers) {
  FixtureResponse res;
  res.status = status;
  res.headers = std::move(headers);
  res.body = "x";
  return res;
}

}  // namespace

TEST_CASE("A 301 at the start of the chain reports where the feed moved for good", "[fetch]") {
  FixtureServer server([](const FixtureRequest& req) {
    if (req.target == "/old") return moved(301, "/new");
    return ok("<rss/>");
  });
  Harness h;
  FetchResult r = h.get(request(server.url("/old")));
  CHECK(r.status.is_ok());
  CHECK(r.final_url == server.url("/new"));
  CHECK(r.permanent_redirect == server.url("/new"));
}

TEST_CASE("Permanent hops in a row are followed to the last one; a temporary hop after them stops the move",
          "[fetch]") {
  FixtureServer server([](const FixtureRequest& req) {
    if (req.target == "/a") return moved(308, "/b");
    if (req.target == "/b") return moved(301, "/c");
    if (req.target == "/c") return moved(302, "/d");
    return ok("<rss/>");
  });
  Harness h;
  FetchResult r = h.get(request(server.url("/a")));
  CHECK(r.final_url == server.url("/d"));
  CHECK(r.permanent_redirect == server.url("/c"));
}

TEST_CASE("302, 303 and 307 never report a permanent move", "[fetch]") {
  for (int status : {302, 303, 307}) {
    FixtureServer server([status](const FixtureRequest& req) {
      if (req.target == "/old") return moved(status, "/new");
      if (req.target == "/new") return moved(301, "/newer");  // a permanent hop later does not count
      return ok("<rss/>");
    });
    Harness h;
    FetchResult r = h.get(request(server.url("/old")));
    CHECK(r.status.is_ok());
    CHECK(r.final_url == server.url("/newer"));
    CHECK_FALSE(r.permanent_redirect.has_value());
  }
}

TEST_CASE("A 429 with Retry-After in seconds reports the wait", "[fetch]") {
  FixtureServer server([](const FixtureRequest&) { return answer(429, {{"Retry-After", "120"}}); });
  Harness h;
  FetchResult r = h.get(request(server.url("/feed")));
  CHECK(r.status.kind() == StatusKind::kHttp);
  CHECK(r.http_status == 429);
  CHECK(r.retry_after == 120s);
}

TEST_CASE("A 503 with Retry-After as an HTTP date is measured against the answer's Date", "[fetch]") {
  FixtureServer server([](const FixtureRequest&) {
    return answer(503, {{"Date", "Mon, 09 Mar 2020 08:00:00 GMT"}, {"Retry-After", "Mon, 09 Mar 2020 08:10:00 GMT"}});
  });
  Harness h;
  FetchResult r = h.get(request(server.url("/feed")));
  CHECK(r.http_status == 503);
  CHECK(r.retry_after == 600s);
}

TEST_CASE("Retry-After is bounded to 24 hours and ignored on other statuses", "[fetch]") {
  FixtureServer server([](const FixtureRequest& req) {
    if (req.target == "/long") return answer(429, {{"Retry-After", "9999999"}});
    return answer(500, {{"Retry-After", "60"}});
  });
  Harness h;
  CHECK(h.get(request(server.url("/long"))).retry_after == 24h);
  CHECK_FALSE(h.get(request(server.url("/other"))).retry_after.has_value());
}

TEST_CASE("Cache-Control max-age, else Expires minus Date, says how long an answer stays fresh", "[fetch]") {
  FixtureServer server([](const FixtureRequest& req) {
    if (req.target == "/max-age") return ok("<rss/>", {{"Cache-Control", "public, max-age=900"}});
    if (req.target == "/expires")
      return ok("<rss/>", {{"Date", "Mon, 09 Mar 2020 08:00:00 GMT"}, {"Expires", "Mon, 09 Mar 2020 09:00:00 GMT"}});
    if (req.target == "/no-cache") return ok("<rss/>", {{"Cache-Control", "no-cache"}});
    return ok("<rss/>");
  });
  Harness h;
  CHECK(h.get(request(server.url("/max-age"))).fresh_for == 900s);
  CHECK(h.get(request(server.url("/expires"))).fresh_for == 3600s);
  CHECK_FALSE(h.get(request(server.url("/no-cache"))).fresh_for.has_value());
  CHECK_FALSE(h.get(request(server.url("/plain"))).fresh_for.has_value());
}

TEST_CASE("Requests to one host start at least host_delay apart, as the server sees them", "[fetch]") {
  std::mutex mutex;
  std::vector<std::chrono::steady_clock::time_point> arrivals;
  FixtureServer server([&](const FixtureRequest&) {
    std::lock_guard lock(mutex);
    arrivals.push_back(std::chrono::steady_clock::now());
    return ok("<rss/>");
  });
  Harness h(Fetcher::Limits{64, 4, 150ms});
  for (int i = 0; i < 4; ++i) h.fetch(request(server.url("/f" + std::to_string(i))));
  h.run();
  REQUIRE(h.results.size() == 4);
  std::lock_guard lock(mutex);
  REQUIRE(arrivals.size() == 4);
  for (std::size_t i = 1; i < arrivals.size(); ++i) {
    // A little slack for the loopback trip: the fetcher spaces the starts, the server
    // notes the arrivals.
    CHECK(arrivals[i] - arrivals[i - 1] >= 140ms);
  }
}

TEST_CASE("host_delay does not hold back requests to other hosts", "[fetch]") {
  FixtureServer first([](const FixtureRequest&) { return ok("<rss/>"); });
  FixtureServer second([](const FixtureRequest&) { return ok("<rss/>"); });
  Harness h(Fetcher::Limits{64, 4, 2s});
  const auto started = std::chrono::steady_clock::now();
  h.fetch(request(first.url("/a")));
  h.fetch(request("http://localhost:" + std::to_string(second.port()) + "/b"));
  h.run();
  REQUIRE(h.results.size() == 2);
  CHECK(std::chrono::steady_clock::now() - started < 1500ms);
}

TEST_CASE("A slow server does not delay the fetches from another", "[fetch]") {
  FixtureServer slow([](const FixtureRequest&) {
    FixtureResponse res = ok("<rss/>");
    res.delay = 1500ms;
    return res;
  });
  FixtureServer fast([](const FixtureRequest&) { return ok("<rss/>"); });
  Harness h;
  std::vector<std::string> order;
  h.fetcher->fetch(request(slow.url("/slow")), [&](FetchResult r) {
    order.push_back(r.final_url);
    if (order.size() == 3) h.io.stop();
  });
  for (const char* path : {"/one", "/two"}) {
    h.fetcher->fetch(request(fast.url(path)), [&](FetchResult r) {
      order.push_back(r.final_url);
      if (order.size() == 3) h.io.stop();
    });
  }
  h.run();
  REQUIRE(order.size() == 3);
  CHECK(order.back() == slow.url("/slow"));
}

TEST_CASE("A transfer longer than the total timeout fails as a network error", "[fetch]") {
  FixtureServer server([](const FixtureRequest&) {
    FixtureResponse res = ok("<rss/>");
    res.delay = 3s;
    return res;
  });
  Harness h;
  FetchRequest req = request(server.url("/slow"));
  req.timeout = 1s;
  FetchResult r = h.get(req);
  CHECK(r.status.kind() == StatusKind::kNetwork);
  CHECK(r.elapsed < 2500ms);
}

TEST_CASE("A server that sends nothing for low_speed_time is abandoned", "[fetch]") {
  FixtureServer server([](const FixtureRequest&) {
    FixtureResponse res = ok("<rss/>");
    res.delay = 3s;
    return res;
  });
  Harness h;
  FetchRequest req = request(server.url("/stalled"));
  req.low_speed_time = 1s;
  FetchResult r = h.get(req);
  CHECK(r.status.kind() == StatusKind::kNetwork);
  CHECK(r.elapsed < 2500ms);
}
