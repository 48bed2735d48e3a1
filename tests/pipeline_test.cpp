// The whole pipeline over real HTTP on loopback: fixture server -> libcurl -> parse ->
// dedup -> SQLite file -> Atom file and HTTP server.

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <mutex>

#include <boost/asio/io_context.hpp>
#include <pugixml.hpp>

#include "feedd/fetch.hpp"
#include "feedd/pipeline.hpp"
#include "feedd/store.hpp"
#include "support/fixture_server.hpp"
#include "support/one_pass.hpp"
#include "support/sample_feeds.hpp"
#include "support/temp_dir.hpp"

using namespace feedd;
using namespace std::chrono_literals;

namespace {

// Three publishers on one fixture server; each document has an ETag and Last-Modified and
// the server answers 304 to a matching If-None-Match unless told to ignore validators.
class Publishers {
 public:
  Publishers()
      : server_([this](const test::FixtureRequest& r) { return answer(r); }) {
    docs_["/wire.xml"] = test::article_as_published_rss(2);
    docs_["/digest.atom"] = test::article_re_marked_atom();
    docs_["/science.xml"] = test::unrelated_rss("science", 3);
  }

  std::string url(const std::string& path) const { return server_.url(path); }
  const test::FixtureServer& server() const { return server_; }
  std::atomic<bool> honour_validators{true};

 private:
  test::FixtureResponse answer(const test::FixtureRequest& r) {
    std::lock_guard lock(mutex_);
    auto it = docs_.find(r.target);
    if (it == docs_.end()) return {404, {}, "no such feed"};
    const std::string etag = "\"v1-" + std::to_string(it->second.size()) + "\"";
    auto inm = r.headers.find("if-none-match");
    if (honour_validators && inm != r.headers.end() && inm->second == etag) {
      return {304, {{"ETag", etag}}, ""};
    }
    return {200,
            {{"Content-Type", "application/xml"}, {"ETag", etag}, {"Last-Modified", "Tue, 10 Mar 2020 06:00:00 GMT"}},
            it->second};
  }

  std::mutex mutex_;
  std::map<std::string, std::string> docs_;
  test::FixtureServer server_;
};

Config make_config(const test::TempDir& dir, const Publishers& publishers) {
  Config config;
  config.path = dir / "feeds.conf";
  config.daemon.database = dir / "feedd.db";
  config.daemon.output_dir = dir / "public";
  config.daemon.listen = "127.0.0.1:0";
  config.output.link = "http://127.0.0.1:8080/";
  for (const char* path : {"/wire.xml", "/digest.atom", "/science.xml"}) {
    Source s;
    s.url = publishers.url(path);
    s.interval = 30min;
    config.sources.push_back(s);
  }
  config.sources[0].title = "Human Rights Wire (configured)";
  return config;
}

using test::run_pass;

struct AtomEntry {
  std::string id, title, source_id;
  std::vector<std::string> via;
};

std::vector<AtomEntry> read_atom(const std::filesystem::path& file) {
  pugi::xml_document doc;
  REQUIRE(doc.load_file(file.c_str()));
  std::vector<AtomEntry> entries;
  for (auto e : doc.child("feed").children("entry")) {
    AtomEntry entry{e.child_value("id"), e.child_value("title"), e.child("source").child_value("id"), {}};
    for (auto link : e.children("link")) {
      if (std::string(link.attribute("rel").value()) == "via") entry.via.push_back(link.attribute("href").value());
    }
    entries.push_back(entry);
  }
  return entries;
}

}  // namespace

TEST_CASE("A story carried by two sources appears once in the unified feed, naming both", "[pipeline]") {
  test::TempDir dir;
  Publishers publishers;
  const Config config = make_config(dir, publishers);

  const PassSummary first = run_pass(config);
  CHECK(first.sources == 3);
  CHECK(first.fetched == 3);
  CHECK(first.failed == 0);
  CHECK(first.new_stories == 1 + 2 + 3);  // the article, two wire briefs, three science stories
  CHECK(first.duplicates == 1);           // the digest's copy of the article

  const auto entries = read_atom(dir / "public/feed.atom");
  CHECK(entries.size() == 6);
  std::vector<AtomEntry> copies;
  for (const auto& e : entries) {
    if (e.title == test::article_title()) copies.push_back(e);
  }
  REQUIRE(copies.size() == 1);
  // Both fetches run at once, so either may be the origin (the first stored); the
  // other is named as a via link.
  std::vector<std::string> named = copies[0].via;
  named.push_back(copies[0].source_id);
  std::sort(named.begin(), named.end());
  CHECK(named == std::vector<std::string>{publishers.url("/digest.atom"), publishers.url("/wire.xml")});
}

TEST_CASE("A second pass sends the stored validators and stores nothing new on 304", "[pipeline]") {
  test::TempDir dir;
  Publishers publishers;
  const Config config = make_config(dir, publishers);
  run_pass(config);
  const auto before = test::read_file(dir / "public/feed.atom");

  const PassSummary second = run_pass(config);  // a new Aggregator: validators come from the database
  CHECK(second.not_modified == 3);
  CHECK(second.fetched == 0);
  CHECK(second.new_stories == 0);
  const auto requests = publishers.server().requests();
  int conditional = 0;
  for (const auto& r : requests) conditional += r.headers.count("if-none-match") ? 1 : 0;
  CHECK(conditional == 3);
  CHECK(test::read_file(dir / "public/feed.atom") == before);
}

TEST_CASE("A restart keeps every story and adds nothing when the sources have not changed", "[pipeline]") {
  test::TempDir dir;
  Publishers publishers;
  const Config config = make_config(dir, publishers);
  run_pass(config);
  const auto ids_before = read_atom(dir / "public/feed.atom");

  publishers.honour_validators = false;  // a server that ignores validators sends everything again
  const PassSummary again = run_pass(config);
  // The same bytes again: their hash matches the one stored, so they are not even parsed.
  CHECK(again.not_modified == 3);
  CHECK(again.new_stories == 0);
  CHECK(again.duplicates == 0);
  CHECK(again.updated == 0);

  auto store = Store::open(dir / "feedd.db");
  REQUIRE(store.ok());
  CHECK(store.value()->story_count().value() == 6);
  const auto ids_after = read_atom(dir / "public/feed.atom");
  REQUIRE(ids_after.size() == ids_before.size());
  for (std::size_t i = 0; i < ids_after.size(); ++i) CHECK(ids_after[i].id == ids_before[i].id);
}

TEST_CASE("A failing source is recorded and does not stop the others", "[pipeline]") {
  test::TempDir dir;
  Publishers publishers;
  Config config = make_config(dir, publishers);
  Source missing;
  missing.url = publishers.url("/gone.xml");
  missing.interval = 30min;
  config.sources.push_back(missing);

  const PassSummary summary = run_pass(config);
  CHECK(summary.fetched == 3);
  CHECK(summary.failed == 1);
  auto store = Store::open(dir / "feedd.db");
  REQUIRE(store.ok());
  auto state = store.value()->source_state(missing.url);
  REQUIRE(state.ok());
  REQUIRE(state->has_value());
  CHECK((*state)->consecutive_failures == 1);
  CHECK((*state)->http_status == 404);
}

TEST_CASE("The unified feed is served over HTTP with an ETag and a 304 for it", "[pipeline]") {
  test::TempDir dir;
  Publishers publishers;
  const Config config = make_config(dir, publishers);
  run_pass(config);

  boost::asio::io_context io;
  Aggregator aggregator(io, config);
  REQUIRE(aggregator.open().is_ok());
  REQUIRE(aggregator.serve_http().is_ok());
  REQUIRE(aggregator.http_port() != 0);
  Fetcher client(io, {});
  const std::string url = "http://127.0.0.1:" + std::to_string(aggregator.http_port()) + "/feed.atom";
  FetchResult full, revalidated;
  client.fetch(FetchRequest::for_url(url), [&](FetchResult r) {
    full = std::move(r);
    FetchRequest again = FetchRequest::for_url(url);
    again.etag = full.etag;
    client.fetch(again, [&](FetchResult r2) {
      revalidated = std::move(r2);
      io.stop();
    });
  });
  io.run_for(10s);
  CHECK(full.status.to_string() == "ok");
  CHECK(full.http_status == 200);
  CHECK(full.body == test::read_file(dir / "public/feed.atom"));
  REQUIRE(full.etag.has_value());
  CHECK(revalidated.http_status == 304);
  CHECK(revalidated.not_modified);
}
