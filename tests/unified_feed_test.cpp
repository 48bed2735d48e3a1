// The unified feed end to end: sources fetched over loopback, stored, and published as
// files and over HTTP in three formats, per tag, in pages, with the [output] filter.

#include <catch2/catch.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>
#include <pugixml.hpp>

#include <thread>

#include "feedd/pipeline.hpp"
#include "support/fixture_server.hpp"
#include "support/sample_feeds.hpp"
#include "support/temp_dir.hpp"

using namespace feedd;
using namespace std::chrono_literals;

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;

test::FixtureServer::Handler documents() {
  return [](const test::FixtureRequest& r) -> test::FixtureResponse {
    if (r.target == "/science.xml") return {200, {{"Content-Type", "application/xml"}}, test::unrelated_rss("science", 4)};
    if (r.target == "/arts.xml") return {200, {{"Content-Type", "application/xml"}}, test::unrelated_rss("arts", 3)};
    return {404, {}, "no"};
  };
}

Config make_config(const test::TempDir& dir, const test::FixtureServer& server) {
  Config config;
  config.path = dir / "feeds.conf";
  config.daemon.database = dir / "feedd.db";
  config.daemon.output_dir = dir / "public";
  config.daemon.listen = "127.0.0.1:0";
  config.output.link = "http://127.0.0.1:8080/";
  config.output.max_entries = 3;
  config.output.exclude = "(?i)ARTS STORY 2";
  Source science;
  science.url = server.url("/science.xml");
  science.tags = {"science", "all news"};
  Source arts;
  arts.url = server.url("/arts.xml");
  arts.tags = {"all news"};
  config.sources = {science, arts};
  return config;
}

std::vector<std::string> atom_titles(const std::string& body, std::string* next = nullptr) {
  pugi::xml_document doc;
  REQUIRE(doc.load_string(body.c_str()));
  std::vector<std::string> titles;
  for (auto entry : doc.child("feed").children("entry")) titles.push_back(entry.child_value("title"));
  if (next) *next = doc.child("feed").find_child_by_attribute("link", "rel", "next").attribute("href").value();
  return titles;
}

http::response<http::string_body> get(std::uint16_t port, const std::string& target) {
  net::io_context io;
  beast::tcp_stream stream(io);
  stream.expires_after(5s);
  stream.connect({net::ip::make_address("127.0.0.1"), port});
  http::request<http::empty_body> request{http::verb::get, target, 11};
  request.set(http::field::host, "127.0.0.1");
  http::write(stream, request);
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  http::read(stream, buffer, response);
  return response;
}

}  // namespace

TEST_CASE("One pass writes the unified and per-tag feeds in three formats, filtered and paged", "[pipeline][unified]") {
  test::FixtureServer server(documents());
  test::TempDir dir;
  const Config config = make_config(dir, server);
  net::io_context io;
  Aggregator aggregator(io, config);
  REQUIRE(aggregator.open().is_ok());
  REQUIRE(aggregator.serve_http().is_ok());
  bool done = false;
  aggregator.run_once([&](const PassSummary&) {
    done = true;
    io.stop();
  });
  io.run_for(20s);
  REQUIRE(done);

  const auto out = dir / "public";
  for (const char* name : {"feed.atom", "feed.rss", "feed.json", "tags/science.atom", "tags/science.rss",
                           "tags/science.json", "tags/all%20news.atom"}) {
    INFO(name);
    CHECK(std::filesystem::exists(out / name));
  }
  // Six stories stored (arts story 2 filtered out), three per page.
  const std::string first = test::read_file(out / "feed.atom");
  std::string next;
  CHECK(atom_titles(first, &next).size() == 3);
  REQUIRE(next.rfind("http://127.0.0.1:8080/feed.atom?before=", 0) == 0);
  CHECK(atom_titles(test::read_file(out / "tags/science.atom")).size() == 3);
  const auto json = nlohmann::json::parse(test::read_file(out / "feed.json"));
  CHECK(json["items"].size() == 3);
  CHECK(json["next_url"].get<std::string>().rfind("http://127.0.0.1:8080/feed.json?before=", 0) == 0);

  // The pages over HTTP: the first from the cache, the next rendered on demand.
  std::thread client([&] {
    const auto page1 = get(aggregator.http_port(), "/feed.atom");
    CHECK(page1.result_int() == 200);
    CHECK(page1.body() == first);
    const std::string target = next.substr(std::string("http://127.0.0.1:8080").size());
    const auto page2 = get(aggregator.http_port(), target);
    CHECK(page2.result_int() == 200);
    std::string after;
    const auto titles2 = atom_titles(page2.body(), &after);
    CHECK(titles2.size() == 3);
    CHECK(after.empty());
    std::vector<std::string> all = atom_titles(first);
    all.insert(all.end(), titles2.begin(), titles2.end());
    std::sort(all.begin(), all.end());
    CHECK(std::adjacent_find(all.begin(), all.end()) == all.end());
    CHECK(std::find(all.begin(), all.end(), "arts story 2") == all.end());
    CHECK(get(aggregator.http_port(), "/tags/science.rss").result_int() == 200);
    CHECK(get(aggregator.http_port(), "/tags/nothing.rss").result_int() == 404);
    net::post(io, [&] { aggregator.stop([&] { io.stop(); }); });
  });
  io.restart();
  io.run_for(20s);
  client.join();
}

TEST_CASE("[output] include and exclude are read as regular expressions, and a broken one is an error at its line",
          "[config][unified]") {
  const ConfigResult good = parse_config("[output]\ninclude = \"(?i)climate\"\nexclude = \"sponsored\"\n", "feeds.conf");
  REQUIRE(good.ok());
  CHECK(good.config.output.include == "(?i)climate");
  CHECK(good.config.output.exclude == "sponsored");
  const ConfigResult bad = parse_config("[output]\nexclude = \"(unclosed\"\n", "feeds.conf");
  REQUIRE(bad.errors.size() == 1);
  CHECK(bad.errors[0].line == 2);
}
