// `feedd status` and the progress of `feedd once`, run as the built binary.

#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <cstdlib>
#include <sstream>

#include "support/fixture_server.hpp"
#include "support/run_feedd.hpp"
#include "support/sample_feeds.hpp"
#include "support/temp_dir.hpp"

using namespace feedd;

namespace {

using test::quoted;
using test::Ran;
using test::run_feedd;

// The table line of the source whose URL is exactly `url`.
std::string line_of(const std::string& table, const std::string& url) {
  std::istringstream lines(table);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(url + " ", 0) == 0) return line;
  }
  return {};
}

}  // namespace

TEST_CASE("feedd status lists every source with its fetch state, where it moved and whether it is gone",
          "[cli][status]") {
  test::TempDir dir;
  test::FixtureServer server([](const test::FixtureRequest& r) -> test::FixtureResponse {
    if (r.target == "/wire.xml") return {200, {}, test::article_as_published_rss(1)};
    if (r.target == "/old.xml") return {301, {{"Location", "/science.xml"}}, ""};
    if (r.target == "/science.xml") return {200, {}, test::unrelated_rss("science", 3)};
    if (r.target == "/retired.xml") return {410, {}, "gone"};
    return {404, {}, "not here"};
  });
  const std::string conf_text = "[daemon]\nlisten = \"\"\nhost_delay = \"0s\"\n"
                                "[[feed]]\nurl = \"" + server.url("/wire.xml") + "\"\n"
                                "[[feed]]\nurl = \"" + server.url("/old.xml") + "\"\n"
                                "[[feed]]\nurl = \"" + server.url("/retired.xml") + "\"\n"
                                "[[feed]]\nurl = \"" + server.url("/missing.xml") + "\"\n"
                                "[[feed]]\nurl = \"" + server.url("/off.xml") + "\"\nenabled = false\n";
  const auto conf = test::write_file(dir / "feeds.conf", conf_text);
  REQUIRE(run_feedd("once --config " + quoted(conf), dir).exit_code == 0);
  REQUIRE(run_feedd("once --config " + quoted(conf), dir).exit_code == 0);

  const Ran ran = run_feedd("status --config " + quoted(conf), dir);
  INFO(ran.out << ran.err);
  CHECK(ran.exit_code == 0);
  CHECK(ran.out.rfind("SOURCE", 0) == 0);
  const std::string wire = line_of(ran.out, server.url("/wire.xml"));
  CHECK(wire.find(" 200 ") != std::string::npos);
  CHECK(wire.find(" 2 ") != std::string::npos);  // two entries stored
  const std::string moved = line_of(ran.out, server.url("/old.xml"));
  CHECK(moved.find("moved permanently to " + server.url("/science.xml")) != std::string::npos);
  const std::string retired = line_of(ran.out, server.url("/retired.xml"));
  CHECK(retired.find(" 410 ") != std::string::npos);
  CHECK(retired.find("gone (410)") != std::string::npos);
  CHECK(retired.find(" never ") != std::string::npos);  // next fetch
  const std::string missing = line_of(ran.out, server.url("/missing.xml"));
  CHECK(missing.find(" 404 ") != std::string::npos);
  CHECK(missing.find(" 2 ") != std::string::npos);  // two failures in a row
  CHECK(line_of(ran.out, server.url("/off.xml")).find("disabled") != std::string::npos);
  // feeds.conf is left as the operator wrote it.
  CHECK(test::read_file(conf) == conf_text);
}

TEST_CASE("feedd once on a pipe prints a progress line per tenth of the sources, then the summary", "[cli][status]") {
  test::TempDir dir;
  test::FixtureServer server([](const test::FixtureRequest& r) -> test::FixtureResponse {
    return {200, {}, test::unrelated_rss(r.target.substr(1), 1)};
  });
  std::string conf_text = "[daemon]\nlisten = \"\"\nhost_delay = \"0s\"\n";
  for (int i = 0; i < 20; ++i) conf_text += "[[feed]]\nurl = \"" + server.url("/f" + std::to_string(i)) + "\"\n";
  const auto conf = test::write_file(dir / "feeds.conf", conf_text);
  const Ran ran = run_feedd("once --config " + quoted(conf), dir);
  INFO(ran.err);
  CHECK(ran.exit_code == 0);
  CHECK(ran.err.find("10%: 2/20 sources, 0 errors") != std::string::npos);
  CHECK(ran.err.find("100%: 20/20 sources, 0 errors") != std::string::npos);
  CHECK(ran.err.find('\r') == std::string::npos);  // no terminal redraws on a pipe
  CHECK(ran.out.find("20 sources: 20 fetched") != std::string::npos);
}
