// Fetch limits at run time: one slow answer holds no other transfer to its host, and
// Fetcher::set_limits (what a reload calls) applies to the requests that start next.

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "feedd/fetch.hpp"
#include "support/fixture_server.hpp"

using namespace feedd;
using namespace std::chrono_literals;

namespace {

test::FixtureServer::Handler answers_after(std::chrono::milliseconds slow) {
  return [slow](const test::FixtureRequest& req) {
    test::FixtureResponse res{200, {{"Content-Type", "text/plain"}}, "body of " + req.target};
    if (req.target == "/slow") res.delay = slow;
    if (req.target.rfind("/wait", 0) == 0) res.delay = 300ms;
    return res;
  };
}

}  // namespace

TEST_CASE("A slow answer on a plain http host does not hold the other transfers to that host", "[fetch_limits]") {
  test::FixtureServer server(answers_after(3s));
  boost::asio::io_context io;
  Fetcher fetcher(io, {});
  std::vector<std::string> finished;
  const auto started = std::chrono::steady_clock::now();
  std::chrono::steady_clock::duration fast_took{};
  fetcher.fetch(FetchRequest::for_url(server.url("/slow")), [&](FetchResult r) {
    finished.push_back(r.body);
    io.stop();
  });
  // The second request goes out while the first connection waits for its answer: it must
  // open its own connection instead of waiting to see whether the first can multiplex.
  fetcher.fetch(FetchRequest::for_url(server.url("/fast")), [&](FetchResult r) {
    finished.push_back(r.body);
    fast_took = std::chrono::steady_clock::now() - started;
  });
  io.run_for(10s);
  REQUIRE(finished == std::vector<std::string>{"body of /fast", "body of /slow"});
  CHECK(fast_took < 2s);
  CHECK(server.max_concurrent_requests() == 2);
}

TEST_CASE("Lower limits set at run time hold the queued requests; transfers in flight finish", "[fetch_limits]") {
  test::FixtureServer server(answers_after(0ms));
  boost::asio::io_context io;
  Fetcher fetcher(io, Fetcher::Limits{8, 8, 0ms});
  CHECK(fetcher.limits().per_host == 8);
  int done = 0;
  auto count = [&](FetchResult r) {
    CHECK(r.status.is_ok());
    if (++done == 6) io.stop();
  };
  for (int i = 0; i < 3; ++i) fetcher.fetch(FetchRequest::for_url(server.url("/wait" + std::to_string(i))), count);
  CHECK(fetcher.in_flight() == 3);
  io.run_for(100ms);  // the three requests are on the wire, their answers 300 ms away
  fetcher.set_limits(Fetcher::Limits{8, 1, 0ms});
  CHECK(fetcher.limits().per_host == 1);
  for (int i = 3; i < 6; ++i) fetcher.fetch(FetchRequest::for_url(server.url("/wait" + std::to_string(i))), count);
  // The three already started go on; the new ones wait until the host has none in flight.
  CHECK(fetcher.in_flight() == 3);
  CHECK(fetcher.queued() == 3);
  io.run_for(15s);
  CHECK(done == 6);
  CHECK(server.max_concurrent_requests() == 3);
}

TEST_CASE("Raising the limits at run time starts the queued requests at once", "[fetch_limits]") {
  test::FixtureServer server(answers_after(0ms));
  boost::asio::io_context io;
  Fetcher fetcher(io, Fetcher::Limits{1, 1, 0ms});
  int done = 0;
  for (int i = 0; i < 4; ++i) {
    fetcher.fetch(FetchRequest::for_url(server.url("/wait" + std::to_string(i))), [&](FetchResult) {
      if (++done == 4) io.stop();
    });
  }
  CHECK(fetcher.in_flight() == 1);
  fetcher.set_limits(Fetcher::Limits{4, 4, 0ms});
  CHECK(fetcher.in_flight() == 4);
  CHECK(fetcher.queued() == 0);
  io.run_for(15s);
  CHECK(done == 4);
  CHECK(server.max_concurrent_requests() == 4);
}

TEST_CASE("Dropping the queued requests leaves the transfers in flight and never calls the dropped back",
          "[fetch_limits]") {
  test::FixtureServer server(answers_after(0ms));
  boost::asio::io_context io;
  Fetcher fetcher(io, Fetcher::Limits{2, 2, 0ms});
  std::vector<std::string> finished;
  for (int i = 0; i < 5; ++i) {
    fetcher.fetch(FetchRequest::for_url(server.url("/wait" + std::to_string(i))),
                  [&](FetchResult r) { finished.push_back(r.body); });
  }
  CHECK(fetcher.drop_queued() == 3);
  CHECK(fetcher.queued() == 0);
  io.run_for(3s);
  CHECK(finished.size() == 2);
  CHECK(server.requests().size() == 2);
}
