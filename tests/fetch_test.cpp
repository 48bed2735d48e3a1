#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
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
