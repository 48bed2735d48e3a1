// The built `feedd` binary, run as a user would run it.

#include "support/paths.hpp"
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <cstdlib>
#include <sstream>
#include <nlohmann/json.hpp>

#include "support/fixture_server.hpp"
#include "support/run_feedd.hpp"
#include "support/sample_feeds.hpp"
#include "support/temp_dir.hpp"

using namespace feedd;

using test::quoted;
using test::Ran;
using test::run_feedd;

TEST_CASE("feedd parse prints the contract's JSON for a feed file", "[cli]") {
  test::TempDir dir;
  const auto feed = test::write_file(dir / "wire.xml", test::article_as_published_rss(1));
  const Ran ran = run_feedd("parse " + quoted(feed) + " --url https://wire.example.org/feed.xml", dir);
  INFO(ran.err);
  REQUIRE(ran.exit_code == 0);
  const auto json = nlohmann::json::parse(ran.out);
  CHECK(json["schema"] == 1);
  CHECK(json["format"] == "rss2.0");
  CHECK(json["encoding"] == "utf-8");
  CHECK(json["feed"]["title"] == "Human Rights Wire");
  REQUIRE(json["entries"].size() == 2);
  CHECK(json["entries"][0]["title"] == test::article_title());
  CHECK(json["entries"][0]["published"] == "2020-03-09T08:00:00Z");
  CHECK(json["entries"][0]["content_hash"].get<std::string>().size() == 64);
  CHECK(json["warnings"].is_array());
}

TEST_CASE("feedd parse of something that is not a feed exits 1 with one line on stderr", "[cli]") {
  test::TempDir dir;
  const auto page = test::write_file(dir / "page.html", "<!DOCTYPE html><html><body><p>hello</p></body></html>");
  const Ran ran = run_feedd("parse " + quoted(page), dir);
  CHECK(ran.exit_code == 1);
  CHECK(ran.out.empty());
  CHECK(std::count(ran.err.begin(), ran.err.end(), '\n') == 1);
}

TEST_CASE("feedd parse without a file is a usage error", "[cli]") {
  test::TempDir dir;
  CHECK(run_feedd("parse", dir).exit_code == 2);
  CHECK(run_feedd("frobnicate", dir).exit_code == 2);
  CHECK(run_feedd("once --no-such-flag", dir).exit_code == 2);
}

TEST_CASE("feedd --help and --version answer and exit 0", "[cli]") {
  test::TempDir dir;
  const Ran help = run_feedd("--help", dir);
  CHECK(help.exit_code == 0);
  CHECK(help.out.find("check-config") != std::string::npos);
  const Ran version = run_feedd("--version", dir);
  CHECK(version.exit_code == 0);
  CHECK(version.out.rfind("feedd ", 0) == 0);
}

TEST_CASE("feedd check-config lists every error of a broken file and exits 1", "[cli]") {
  test::TempDir dir;
  const std::string conf = std::string(::feedd::test::kTestDataDir) + "/cli/broken.conf";
  const Ran ran = run_feedd("check-config --config " + conf, dir);
  CHECK(ran.exit_code == 1);
  CHECK(ran.err.find(conf + ":2:1: unknown key 'intervall' in [daemon] (did you mean 'interval'?)") != std::string::npos);
  CHECK(ran.err.find(conf + ":3:15: 'concurrency' must be a whole number") != std::string::npos);
  CHECK(ran.err.find(conf + ":8:1: duplicate source https://example.org/a.xml: already defined at line 5") !=
        std::string::npos);
}

TEST_CASE("feedd check-config accepts the shipped feeds.conf", "[cli]") {
  test::TempDir dir;
  const Ran ran = run_feedd("check-config --config " + std::string(::feedd::test::kSourceDir) + "/feeds.conf", dir);
  INFO(ran.err);
  CHECK(ran.exit_code == 0);
}

TEST_CASE("feedd run refuses to start on an invalid configuration", "[cli]") {
  test::TempDir dir;
  const Ran ran = run_feedd("run --config " + std::string(::feedd::test::kTestDataDir) + "/cli/broken.conf", dir);
  CHECK(ran.exit_code == 1);
  CHECK(ran.err.find("unknown key 'intervall'") != std::string::npos);
}

TEST_CASE("feedd once fetches from a server, writes the unified feed and prints a summary", "[cli]") {
  test::TempDir dir;
  test::FixtureServer server([](const test::FixtureRequest& r) -> test::FixtureResponse {
    if (r.target == "/wire.xml") return {200, {{"ETag", "\"w1\""}}, test::article_as_published_rss(1)};
    if (r.target == "/digest.atom") return {200, {}, test::article_re_marked_atom()};
    return {404, {}, "not here"};
  });
  const auto conf = test::write_file(dir / "feeds.conf", "[daemon]\nlisten = \"\"\n"
                                                         "[[feed]]\nurl = \"" + server.url("/wire.xml") + "\"\n"
                                                         "[[feed]]\nurl = \"" + server.url("/digest.atom") + "\"\n"
                                                         "[[feed]]\nurl = \"" + server.url("/missing.xml") + "\"\n");
  // What a run killed while writing its output would have left.
  test::write_file(dir / "public" / ".feed.atom.tmp-Q7x2Lp", "<feed><title>half");
  const Ran ran = run_feedd("once --config " + quoted(conf), dir);
  INFO(ran.err);
  CHECK(ran.exit_code == 0);
  CHECK_FALSE(std::filesystem::exists(dir / "public" / ".feed.atom.tmp-Q7x2Lp"));
  CHECK(ran.out.find("3 sources: 2 fetched, 0 not modified, 1 failed; 2 new stories, 1 duplicates collapsed") !=
        std::string::npos);
  CHECK(ran.err.find("missing.xml: http: GET " + server.url("/missing.xml") + ": HTTP 404") != std::string::npos);
  const std::string atom = test::read_file(dir / "public/feed.atom");
  CHECK(atom.find(test::article_title()) != std::string::npos);
  CHECK(std::filesystem::exists(dir / "feedd.db"));
}

TEST_CASE("feedd run stops cleanly with exit 0 on SIGTERM", "[cli]") {
  test::TempDir dir;
  const auto feed = test::write_file(dir / "a.xml", test::unrelated_rss("local", 2));
  const auto conf = test::write_file(dir / "feeds.conf", "[daemon]\nlisten = \"127.0.0.1:0\"\n[[feed]]\nurl = \"a.xml\"\n");
  const std::string command = "(" + std::string(::feedd::test::kFeeddBinary) + " run --config " + quoted(conf) + " 2>" +
                              (dir / "err.txt").string() + " & pid=$!; " +
                              "for i in $(seq 100); do [ -s " + (dir / "public/feed.atom").string() +
                              " ] && grep -q 'local story 2' " + (dir / "public/feed.atom").string() +
                              " && break; sleep 0.1; done; kill -TERM $pid; wait $pid)";
  const int status = std::system(command.c_str());
  INFO(test::read_file(dir / "err.txt"));
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(test::read_file(dir / "err.txt").find("stopped") != std::string::npos);
  CHECK(test::read_file(dir / "public/feed.atom").find("local story 2") != std::string::npos);
}

TEST_CASE("feedd import-opml prints feeds.conf tables and fails on an unreadable file", "[cli]") {
  test::TempDir dir;
  const Ran ran = run_feedd("import-opml " + std::string(::feedd::test::kTestDataDir) + "/opml/reader-export.opml", dir);
  CHECK(ran.exit_code == 0);
  CHECK(ran.out.find("[[feed]]\nurl   = \"https://science.example.com/rss\"") != std::string::npos);
  const auto conf = test::write_file(dir / "feeds.conf", ran.out);
  CHECK(run_feedd("check-config --config " + quoted(conf), dir).exit_code == 0);
  const Ran missing = run_feedd("import-opml " + quoted(dir / "nope.opml"), dir);
  CHECK(missing.exit_code == 1);
  CHECK(missing.err.find("cannot read") != std::string::npos);
}

TEST_CASE("feedd export-opml prints the configured sources as OPML 2.0", "[cli]") {
  test::TempDir dir;
  const Ran ran = run_feedd("export-opml --config " + std::string(::feedd::test::kSourceDir) + "/feeds.conf", dir);
  CHECK(ran.exit_code == 0);
  CHECK(ran.out.find("<opml version=\"2.0\">") != std::string::npos);
  CHECK(ran.out.find("xmlUrl=\"https://feeds.bbci.co.uk/news/world/rss.xml\"") != std::string::npos);
}

TEST_CASE("Under systemd every log line carries a journal priority prefix and no timestamp", "[cli]") {
  test::TempDir dir;
  test::write_file(dir / "a.xml", test::unrelated_rss("local", 1));
  const auto conf = test::write_file(dir / "feeds.conf", "[daemon]\nlisten = \"\"\n[[feed]]\nurl = \"a.xml\"\n"
                                                         "[[feed]]\nurl = \"missing.xml\"\n");
  const Ran ran = run_feedd("once --config " + quoted(conf), dir, "JOURNAL_STREAM=8:12345");
  CHECK(ran.exit_code == 0);
  CHECK(ran.err.find("<6>file://") != std::string::npos);  // info: the stored source
  CHECK(ran.err.find("<4>file://") != std::string::npos);  // warning: the missing file
  std::istringstream lines(ran.err);
  for (std::string line; std::getline(lines, line);) {
    INFO(line);
    CHECK(line.size() > 3);
    CHECK(line[0] == '<');
    CHECK(line.find("2026-") == std::string::npos);
  }
}
