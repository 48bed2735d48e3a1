#include <catch2/catch.hpp>

#include "feedd/logging.hpp"
#include "feedd/status.hpp"
#include "feedd/time.hpp"

using namespace feedd;

TEST_CASE("A Result built from an error Status reports that Status", "[core]") {
  Result<int> r = Status::http("https://example.org/feed", 503);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().kind() == StatusKind::kHttp);
  CHECK(r.status().to_string() == "http: https://example.org/feed: HTTP 503");
}

TEST_CASE("HTTP dates round-trip through IMF-fixdate", "[core]") {
  const auto t = parse_http_date("Mon, 09 Mar 2020 08:00:00 GMT");
  REQUIRE(t);
  CHECK(format_rfc3339(*t) == "2020-03-09T08:00:00Z");
  CHECK(format_http_date(*t) == "Mon, 09 Mar 2020 08:00:00 GMT");
  CHECK(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT").has_value());
  CHECK(parse_http_date("Sun Nov  6 08:49:37 1994").has_value());
  CHECK_FALSE(parse_http_date("yesterday").has_value());
}

TEST_CASE("Log levels map to the syslog priorities journald reads", "[core]") {
  CHECK(journal_priority("critical") == 2);
  CHECK(journal_priority("error") == 3);
  CHECK(journal_priority("warning") == 4);
  CHECK(journal_priority("info") == 6);
  CHECK(journal_priority("debug") == 7);
  CHECK(journal_priority("trace") == 7);
}
