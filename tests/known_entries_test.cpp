// parse_feed's fast path: an entry the store has with the same raw hash is left out
// unread, and every entry that could read differently is read again.
#include "support/paths.hpp"
#include <catch2/catch.hpp>

#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "feedd/dedup.hpp"
#include "feedd/parse.hpp"
#include "feedd/pipeline.hpp"
#include "feedd/store.hpp"
#include "support/fixture_server.hpp"
#include "support/temp_dir.hpp"
#include "support/test_store.hpp"

namespace {

using feedd::Entry;
using feedd::KnownEntries;
using feedd::ParsedFeed;

bool identity_needs_content(const Entry& e) { return !e.id && !e.link && !e.title && !e.published && !e.updated; }

KnownEntries known_from(const ParsedFeed& feed) {
  KnownEntries known;
  for (const Entry& entry : feed.entries)
    if (!entry.raw_hash.empty()) known.emplace(feedd::dedup::entry_identity(entry), entry.raw_hash);
  return known;
}

ParsedFeed parse(std::string_view bytes, std::string_view url = "https://example.org/feed.xml") {
  auto parsed = feedd::parse_feed(bytes, {}, url);
  REQUIRE(parsed.ok());
  return std::move(parsed).value();
}

ParsedFeed parse_known(std::string_view bytes, const KnownEntries& known,
                       std::string_view url = "https://example.org/feed.xml") {
  auto parsed = feedd::parse_feed(bytes, {}, url, known);
  REQUIRE(parsed.ok());
  return std::move(parsed).value();
}

std::vector<std::string> ids_of(const ParsedFeed& feed) {
  std::vector<std::string> ids;
  for (const Entry& entry : feed.entries) ids.push_back(entry.id.value_or("?"));
  return ids;
}

const std::string kFeed = R"(<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel><title>News</title><link>https://example.org/</link>
<lastBuildDate>Mon, 30 Nov 2026 10:00:00 GMT</lastBuildDate>
<item><title>One</title><guid>urn:1</guid><link>/one</link><description>First &lt;b&gt;story&lt;/b&gt;.</description></item>
<item><title>Two</title><guid>urn:2</guid><link>/two</link><content:encoded><![CDATA[<p>Second story.</p>]]></content:encoded></item>
<item><title>Three</title><guid>urn:3</guid><link>/three</link><description>Third story.</description></item>
</channel></rss>)";

std::string replaced(std::string text, std::string_view from, std::string_view to) {
  const size_t at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("Every fixture's entries are left out when the store has them with the same raw hash", "[known-entries]") {
  const std::filesystem::path root = std::filesystem::path(::feedd::test::kTestDataDir) / "parse";
  size_t documents = 0, skipped = 0;
  for (const auto& file : std::filesystem::recursive_directory_iterator(root)) {
    if (!file.is_regular_file()) continue;
    const std::string bytes = feedd::test::read_file(file.path());
    INFO(std::filesystem::relative(file.path(), root).string());
    const auto full = feedd::parse_feed(bytes, {}, "https://fixture.example/feed.xml");
    if (!full.ok()) continue;
    const KnownEntries known = known_from(*full);
    const auto fast = feedd::parse_feed(bytes, {}, "https://fixture.example/feed.xml", known);
    REQUIRE(fast.ok());
    // What is left out is exactly what the known map has; what is read is parse_feed's.
    std::vector<std::string> expected_unchanged;
    std::vector<const Entry*> expected_read;
    for (const Entry& entry : full->entries) {
      const std::string identity = feedd::dedup::entry_identity(entry);
      const auto it = known.find(identity);
      if (!identity_needs_content(entry) && it != known.end() && it->second == entry.raw_hash)
        expected_unchanged.push_back(identity);
      else
        expected_read.push_back(&entry);
    }
    CHECK(fast->unchanged_identities == expected_unchanged);
    REQUIRE(fast->entries.size() == expected_read.size());
    for (size_t i = 0; i < expected_read.size(); ++i) {
      CHECK(fast->entries[i].content_hash == expected_read[i]->content_hash);
      CHECK(fast->entries[i].raw_hash == expected_read[i]->raw_hash);
    }
    CHECK(fast->feed.title == full->feed.title);
    skipped += fast->unchanged_identities.size();
    ++documents;
  }
  CHECK(documents >= 10);
  CHECK(skipped >= 20);
}

TEST_CASE("With nothing known, parse_feed's fast path reads every entry as parse_feed does", "[known-entries]") {
  const ParsedFeed full = parse(kFeed);
  const ParsedFeed fast = parse_known(kFeed, KnownEntries{{"urn:other", "0123"}});
  CHECK(fast.unchanged_identities.empty());
  REQUIRE(fast.entries.size() == 3);
  for (size_t i = 0; i < 3; ++i) {
    CHECK(fast.entries[i].content_hash == full.entries[i].content_hash);
    CHECK(fast.entries[i].summary == full.entries[i].summary);
    CHECK(fast.entries[i].content == full.entries[i].content);
    CHECK(fast.entries[i].raw_hash.size() == 32);
  }
}

TEST_CASE("An edit anywhere inside one entry makes only that entry be read again", "[known-entries]") {
  const KnownEntries known = known_from(parse(kFeed));
  // A new lastBuildDate and a new item on top: the known entries still read the same.
  const std::string refreshed = replaced(
      replaced(kFeed, "10:00:00 GMT", "11:00:00 GMT"), "<item>",
      "<item><title>Zero</title><guid>urn:0</guid><description>New.</description></item>\n<item>");
  ParsedFeed fast = parse_known(refreshed, known);
  CHECK(ids_of(fast) == std::vector<std::string>{"urn:0"});
  CHECK(fast.unchanged_identities == std::vector<std::string>{"urn:1", "urn:2", "urn:3"});

  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"Second story.", "Second story!"},  // body text
           {"<p>Second", "<p class=\"x\">Second"},  // markup only
           {"<title>Two</title>", "<title>Two!</title>"},  // title
           {"<link>/two</link>", "<link>/two</link><enclosure url=\"/a.mp3\" type=\"audio/mpeg\"/>"},
           {"<guid>urn:2</guid><link>/two</link>", "<guid>urn:2</guid> <link>/two</link>"},  // white space only
       }) {
    INFO(from << " -> " << to);
    fast = parse_known(replaced(kFeed, from, to), known);
    CHECK(ids_of(fast) == std::vector<std::string>{"urn:2"});
    CHECK(fast.unchanged_identities == std::vector<std::string>{"urn:1", "urn:3"});
  }
}

TEST_CASE("A change around the entries that changes how they read makes every entry be read again", "[known-entries]") {
  const KnownEntries known = known_from(parse(kFeed));
  const std::vector<std::string> all = {"urn:1", "urn:2", "urn:3"};
  SECTION("the feed's link, the base of relative links") {
    CHECK(ids_of(parse_known(replaced(kFeed, "<link>https://example.org/</link>", "<link>https://example.net/</link>"),
                             known)) == all);
  }
  SECTION("the namespace a prefix stands for") {
    CHECK(ids_of(parse_known(replaced(kFeed, "http://purl.org/rss/1.0/modules/content/", "urn:not-content"),
                             known)) == all);
  }
  SECTION("an xml:base on the channel") {
    CHECK(ids_of(parse_known(replaced(kFeed, "<channel>", "<channel xml:base=\"https://cdn.example/\">"), known)) ==
          all);
  }
  SECTION("the address the document came from") {
    CHECK(ids_of(parse_known(kFeed, known, "https://example.org/other.xml")) == all);
  }
}

TEST_CASE("An entry with neither id, link, title nor date is always read", "[known-entries]") {
  const std::string feed =
      "<rss version=\"2.0\"><channel><title>t</title>"
      "<item><description>Only a body.</description></item></channel></rss>";
  const ParsedFeed full = parse(feed);
  REQUIRE(full.entries.size() == 1);
  const ParsedFeed fast = parse_known(feed, known_from(full));
  CHECK(fast.unchanged_identities.empty());
  CHECK(fast.entries.size() == 1);
}

TEST_CASE("The store knows each entry by its raw hash and counts left-out entries as unchanged",
          "[known-entries][store]") {
  feedd::test::TempDir dir;
  auto store = feedd::Store::open(feedd::test::store_location(dir / "feedd.db"));
  REQUIRE(store.ok());
  const std::string url = "https://example.org/feed.xml";
  const auto apply = [&](ParsedFeed feed) {
    feedd::FetchedFeed fetched;
    fetched.source_url = url;
    fetched.feed = std::move(feed);
    auto stats = (*store)->apply_fetch(fetched, feedd::Timestamp(std::chrono::seconds(1'800'000'000)));
    REQUIRE(stats.ok());
    return *stats;
  };
  CHECK(apply(parse(kFeed)).new_stories == 3);
  auto known = (*store)->known_entries(url);
  REQUIRE(known.ok());
  CHECK(*known == known_from(parse(kFeed)));

  // Fetched again with one entry edited: one read and updated, two left out.
  const std::string edited = replaced(kFeed, "Third story.", "Third story, updated.");
  ParsedFeed fast = parse_known(edited, *known);
  CHECK(fast.entries.size() == 1);
  const feedd::ApplyStats stats = apply(std::move(fast));
  CHECK(stats.changed == 1);
  CHECK(stats.unchanged == 2);
  CHECK(stats.new_stories == 0);
  // The edit is what the store knows now: the next fetch of the same bytes reads nothing.
  known = (*store)->known_entries(url);
  REQUIRE(known.ok());
  CHECK(parse_known(edited, *known).entries.empty());
  CHECK((*store)->newest_stories(10)->size() == 3);
}

TEST_CASE("The daemon reads again only the entry edited since the last fetch, and updates its story", "[known-entries]") {
  using namespace std::chrono_literals;
  feedd::test::TempDir dir;
  std::mutex mutex;
  std::string document = kFeed;
  feedd::test::FixtureServer server([&](const feedd::test::FixtureRequest&) {
    std::lock_guard lock(mutex);
    return feedd::test::FixtureResponse{200, {{"Content-Type", "application/rss+xml"}}, document};
  });
  feedd::Config config;
  config.path = dir / "feeds.conf";
  config.daemon.database = dir / "feedd.db";
  config.daemon.output_dir = dir / "public";
  config.daemon.listen = "127.0.0.1:0";
  config.output.link = "http://127.0.0.1:8080/";
  feedd::Source source;
  source.url = server.url("/feed.xml");
  source.interval = 30min;
  config.sources.push_back(source);
  const auto run_pass = [&] {
    boost::asio::io_context io;
    feedd::Aggregator aggregator(io, config);
    REQUIRE(aggregator.open().to_string() == "ok");
    feedd::PassSummary summary;
    aggregator.run_once([&](const feedd::PassSummary& s) {
      summary = s;
      io.stop();
    });
    io.run_for(20s);
    return summary;
  };

  CHECK(run_pass().new_stories == 3);
  {
    std::lock_guard lock(mutex);
    document = replaced(replaced(kFeed, "10:00:00 GMT", "11:00:00 GMT"), "Third story.", "Third story, updated.");
  }
  const feedd::PassSummary second = run_pass();
  CHECK(second.fetched == 1);
  CHECK(second.new_stories == 0);
  CHECK(second.updated == 1);
  CHECK(feedd::test::read_file(dir / "public/feed.atom").find("Third story, updated.") != std::string::npos);
  // The store knows every entry as the new document writes it.
  auto store = feedd::Store::open(dir / "feedd.db");
  REQUIRE(store.ok());
  auto known = (*store)->known_entries(source.url);
  REQUIRE(known.ok());
  CHECK(parse_known(document, *known, source.url).unchanged_identities.size() == 3);
}

TEST_CASE("A known entry is left out whatever shape its id takes, under the identity parse_feed gives it",
          "[known-entries]") {
  // The usual id (one text node) is looked up in place; every other shape the slow way.
  // Either way the identity must be parse_feed's, or a known entry would be read again
  // (or, worse, an unknown one left out).
  const std::vector<std::pair<std::string, std::string>> items = {
      {"<guid>urn:plain</guid>", "urn:plain"},
      {"<guid>  urn:padded \n</guid>", "urn:padded"},
      {"<guid><![CDATA[urn:cdata]]></guid>", "urn:cdata"},
      {"<guid> <![CDATA[urn:cdata-spaced]]> </guid>", "urn:cdata-spaced"},
      {"<guid>urn:<b>nested</b></guid>", "urn:nested"},
      {"<guid></guid><dc:identifier>urn:second-row</dc:identifier>", "urn:second-row"},
      {"<guid>   </guid><guid>urn:second-guid</guid>", "urn:second-guid"},
      {"<guid>urn:caf\xC3\xA9</guid>", "urn:caf\xC3\xA9"},
      {"<guid>urn:bad\xFF</guid>", "urn:bad\xEF\xBF\xBD"},
      {"<link>https://example.org/only-link</link>", "https://example.org/only-link"},
  };
  std::string feed =
      "<rss version=\"2.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><channel><title>t</title>"
      "<link>https://example.org/</link>";
  for (const auto& [item, id] : items) feed += "<item><title>x</title>" + item + "</item>";
  feed += "</channel></rss>";
  const ParsedFeed full = parse(feed);
  REQUIRE(full.entries.size() == items.size());
  std::vector<std::string> identities;
  for (size_t i = 0; i < items.size(); ++i) {
    INFO(items[i].first);
    CHECK(feedd::dedup::entry_identity(full.entries[i]) == items[i].second);
    identities.push_back(feedd::dedup::entry_identity(full.entries[i]));
  }
  const ParsedFeed fast = parse_known(feed, known_from(full));
  CHECK(fast.entries.empty());
  CHECK(fast.unchanged_identities == identities);

  // Known under another raw hash: each entry is read, as parse_feed reads it.
  KnownEntries changed = known_from(full);
  for (auto& [identity, raw_hash] : changed) raw_hash = "changed";
  const ParsedFeed reread = parse_known(feed, changed);
  CHECK(reread.unchanged_identities.empty());
  REQUIRE(reread.entries.size() == items.size());
  for (size_t i = 0; i < items.size(); ++i) CHECK(reread.entries[i].id == full.entries[i].id);
}
