// The rules of "What is a story" (ARCHITECTURE.md) as the store applies them, on a real
// SQLite file: identity, merges and their reasons, near duplicates, pages, tags, and
// retention with its tombstones.

#include "support/paths.hpp"
#include <sqlite3.h>

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "feedd/dedup.hpp"
#include "feedd/store.hpp"
#include "support/temp_dir.hpp"
#include "support/test_store.hpp"

using namespace feedd;
using namespace std::chrono_literals;

namespace {

const Timestamp kT0{std::chrono::seconds{1'700'000'000}};
const std::string kWorld = "https://world.example.org/rss.xml";
const std::string kWire = "https://wire.example.net/atom.xml";
const std::string kBlog = "https://blog.example.com/feed";

std::string article_paragraphs() {
  std::ifstream in(std::string(::feedd::test::kTestDataDir) + "/near_duplicates/articles/01-harbour-bridge.txt");
  std::string line;
  std::getline(in, line);  // title
  std::string html;
  while (std::getline(in, line)) html += "<p>" + line + "</p>";
  return html;
}

Entry entry(std::optional<std::string> id, std::string title, std::string html,
            std::optional<std::string> link = std::nullopt, std::optional<Timestamp> published = std::nullopt) {
  Entry e;
  e.id = std::move(id);
  e.title = std::move(title);
  e.link = std::move(link);
  e.content = std::move(html);
  e.published = published;
  e.content_hash = dedup::content_hash(*e.title, *e.content);
  return e;
}

FetchedFeed fetched(const std::string& url, std::vector<Entry> entries) {
  FetchedFeed result;
  result.source_url = url;
  result.feed.entries = std::move(entries);
  return result;
}

// On the backend the test run is for (support/test_store.hpp).
std::unique_ptr<Store> open_store(const std::filesystem::path& file) {
  auto store = Store::open(test::store_location(file));
  INFO(store.status().to_string());
  REQUIRE(store.ok());
  return std::move(store).value();
}

ApplyStats apply(Store& store, const FetchedFeed& feed, Timestamp now) {
  auto stats = store.apply_fetch(feed, now);
  INFO(stats.status().to_string());
  REQUIRE(stats.ok());
  return *stats;
}

std::vector<Story> all(Store& store) {
  auto stories = store.newest_stories(1000);
  REQUIRE(stories.ok());
  return *stories;
}

StoryPage page(Store& store, std::size_t limit, std::optional<StoryCursor> before = {},
               std::optional<std::string> tag = {}) {
  auto result = store.stories_page(StoryQuery{limit, before, std::move(tag)});
  INFO(result.status().to_string());
  REQUIRE(result.ok());
  return std::move(result).value();
}

std::string pragma(const std::filesystem::path& file, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(file.c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK);
  std::string value;
  if (sqlite3_step(stmt) == SQLITE_ROW) value = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return value;
}

}  // namespace

TEST_CASE("Without an id, the canonical link is the identity: a tracking parameter doesn't make a new story",
          "[store][stories]") {
  test::TempDir dir;
  auto store = open_store(dir / "feedd.db");
  apply(*store, fetched(kWorld, {entry(std::nullopt, "Bridge", "<p>Repairs approved.</p>",
                                       "https://world.example.org/bridge?utm_source=rss")}), kT0);
  // Later the feed changes the tracking parameters and the text: the same item, updated.
  const ApplyStats stats = apply(*store, fetched(kWorld, {entry(std::nullopt, "Bridge", "<p>Repairs approved today.</p>",
                                                              "HTTPS://World.Example.org:443/bridge?fbclid=x#top")}),
                                 kT0 + 1h);
  CHECK(stats.changed == 1);
  const auto stories = all(*store);
  REQUIRE(stories.size() == 1);
  CHECK(stories[0].summary == std::nullopt);
  CHECK(stories[0].content == "<p>Repairs approved today.</p>");
}

TEST_CASE("Without id or link, title and date are the identity", "[store][stories]") {
  test::TempDir dir;
  auto store = open_store(dir / "feedd.db");
  apply(*store, fetched(kWorld, {entry(std::nullopt, "Bridge", "<p>One.</p>", std::nullopt, kT0)}), kT0);
  CHECK(apply(*store, fetched(kWorld, {entry(std::nullopt, "Bridge", "<p>One, edited.</p>", std::nullopt, kT0)}),
              kT0 + 1h)
            .changed == 1);
  // Another date is another item.
  CHECK(apply(*store, fetched(kWorld, {entry(std::nullopt, "Bridge", "<p>Two.</p>", std::nullopt, kT0 + 24h)}),
              kT0 + 25h)
            .new_stories == 1);
  CHECK(all(*store).size() == 2);
}

TEST_CASE("A copy with the same content hash records why it was merged; the origin has no reason", "[store][stories]") {
  test::TempDir dir;
  auto store = open_store(dir / "feedd.db");
  apply(*store, fetched(kWorld, {entry("w1", "Bridge", "<p>Repairs approved.</p>")}), kT0);
  CHECK(apply(*store, fetched(kWire, {entry("x9", "BRIDGE", "Repairs  approved.")}), kT0 + 1h).new_copies == 1);
  const auto stories = all(*store);
  REQUIRE(stories.size() == 1);
  REQUIRE(stories[0].sources.size() == 2);
  CHECK(stories[0].sources[0].url == kWorld);
  CHECK_FALSE(stories[0].sources[0].merge_reason);
  CHECK(stories[0].sources[1].merge_reason == "same content hash");
}

TEST_CASE("A near copy with a changed byline and a credit line joins the story, with its score", "[store][stories]") {
  test::TempDir dir;
  auto store = open_store(dir / "feedd.db");
  const std::string original = article_paragraphs();
  std::string copy = original;
  copy.replace(copy.find("By Maria Lopez, City Desk"), 25, "By Agency Staff");
  copy += "<p>Source: Agency Wire</p>";
  apply(*store, fetched(kWorld, {entry("w1", "City council approves repairs to the old harbour bridge", original)}), kT0);
  const ApplyStats stats =
      apply(*store, fetched(kWire, {entry("x1", "City council approves repairs to old harbour bridge", copy)}), kT0 + 2h);
  CHECK(stats.new_copies == 1);
  CHECK(stats.new_stories == 0);
  const auto stories = all(*store);
  REQUIRE(stories.size() == 1);
  REQUIRE(stories[0].sources.size() == 2);
  REQUIRE(stories[0].sources[1].merge_reason);
  CHECK(stories[0].sources[1].merge_reason->rfind("near duplicate (score 0.", 0) == 0);
  // The copy's entry is known now: fetching it again changes nothing.
  CHECK(apply(*store, fetched(kWire, {entry("x1", "City council approves repairs to old harbour bridge", copy)}),
              kT0 + 3h)
            .unchanged == 1);
}

TEST_CASE("Near-duplicate prints made ahead (off the store thread) merge and index as the store's own",
          "[store][stories]") {
  test::TempDir dir;
  auto store = open_store(dir / "feedd.db");
  const std::string original = article_paragraphs();
  const std::string title = "City council approves repairs to the old harbour bridge";
  const std::string copy = original + "<p>Source: Agency Wire</p>";
  auto printed = [](FetchedFeed feed) {
    for (const Entry& e : feed.feed.entries) feed.near_prints.push_back(dedup::near_print(e));
    return feed;
  };
  // The origin indexed from its print made ahead; the first copy looked up with its own;
  // the second copy without prints (the store makes them): both join the origin.
  apply(*store, printed(fetched(kWorld, {entry("w1", title, original)})), kT0);
  CHECK(apply(*store, printed(fetched(kWire, {entry("x1", title, copy)})), kT0 + 1h).near_copies == 1);
  CHECK(apply(*store, fetched(kBlog, {entry("b1", title, copy + "<p>Shared by the blog</p>")}), kT0 + 2h)
            .near_copies == 1);
  // Prints that do not match the entries one for one are not used (nor trusted).
  FetchedFeed odd = fetched(kBlog, {entry("b2", "Another story", "<p>Nothing like the bridge at all.</p>")});
  odd.near_prints.push_back(dedup::near_print(entry("w1", title, original)));
  odd.near_prints.push_back(dedup::near_print(entry("w1", title, original)));
  CHECK(apply(*store, odd, kT0 + 3h).new_stories == 1);
  const auto stories = all(*store);
  REQUIRE(stories.size() == 2);
  CHECK(stories[1].sources.size() == 3);
}

TEST_CASE("Near copies stay apart when the option is off or when they are further apart than the window",
          "[store][stories]") {
  test::TempDir dir;
  auto store = open_store(dir / "feedd.db");
  const std::string original = article_paragraphs();
  const std::string copy = original + "<p>Source: Agency Wire</p>";
  const std::string title = "City council approves repairs to the old harbour bridge";
  SECTION("off") {
    store->set_near_duplicates(false);
    apply(*store, fetched(kWorld, {entry("w1", title, original)}), kT0);
    CHECK(apply(*store, fetched(kWire, {entry("x1", title, copy)}), kT0 + 1h).new_stories == 1);
  }
  SECTION("outside the window") {
    store->set_near_duplicates(true, 24h);
    apply(*store, fetched(kWorld, {entry("w1", title, original)}), kT0);
    CHECK(apply(*store, fetched(kWire, {entry("x1", title, copy)}), kT0 + 25h).new_stories == 1);
  }
  CHECK(all(*store).size() == 2);
}

TEST_CASE("A copy's own later edit doesn't rewrite the story its origin tells", "[store][stories]") {
  test::TempDir dir;
  auto store = open_store(dir / "feedd.db");
  apply(*store, fetched(kWorld, {entry("w1", "Bridge", "<p>Repairs approved.</p>")}), kT0);
  apply(*store, fetched(kWire, {entry("x1", "Bridge", "<p>Repairs approved.</p>")}), kT0 + 1h);
  apply(*store, fetched(kWire, {entry("x1", "Bridge", "<p>Repairs approved. Advertisement.</p>")}), kT0 + 2h);
  const auto stories = all(*store);
  REQUIRE(stories.size() == 1);
  CHECK(stories[0].content == "<p>Repairs approved.</p>");
  CHECK(stories[0].sources.size() == 2);
}

TEST_CASE("Pages follow one another by cursor and stay the same while new stories arrive", "[store][stories]") {
  test::TempDir dir;
  auto store = open_store(dir / "feedd.db");
  for (int i = 0; i < 5; ++i) {
    apply(*store, fetched(kWorld, {entry("s" + std::to_string(i), "Story " + std::to_string(i), "<p>Text " +
                                                                                                  std::to_string(i) + "</p>")}),
          kT0 + std::chrono::hours(i));
  }
  const StoryPage first = page(*store, 2);
  REQUIRE(first.stories.size() == 2);
  CHECK(first.stories[0].title == "Story 4");
  REQUIRE(first.next);
  const StoryPage second = page(*store, 2, first.next);
  REQUIRE(second.stories.size() == 2);
  CHECK(second.stories[0].title == "Story 2");
  CHECK(second.stories[1].title == "Story 1");

  // Two new stories on top: the page after the same cursor is unchanged.
  apply(*store, fetched(kWorld, {entry("n1", "New 1", "<p>n1</p>"), entry("n2", "New 2", "<p>n2</p>")}), kT0 + 10h);
  const StoryPage again = page(*store, 2, first.next);
  REQUIRE(again.stories.size() == 2);
  CHECK(again.stories[0].uid == second.stories[0].uid);
  CHECK(again.stories[1].uid == second.stories[1].uid);
  REQUIRE(again.next);
  const StoryPage last = page(*store, 2, again.next);
  REQUIRE(last.stories.size() == 1);
  CHECK(last.stories[0].title == "Story 0");
  CHECK_FALSE(last.next);

  const auto cursor = StoryCursor::parse(first.next->to_string());
  REQUIRE(cursor);
  CHECK(*cursor == *first.next);
  CHECK_FALSE(StoryCursor::parse("abc"));
  CHECK_FALSE(StoryCursor::parse("12-"));
  CHECK_FALSE(StoryCursor::parse("12-3x"));
}

TEST_CASE("A tag's page holds the stories of the sources with that tag", "[store][stories]") {
  test::TempDir dir;
  auto store = open_store(dir / "feedd.db");
  Source world;
  world.url = kWorld;
  world.tags = {"news", "world"};
  Source blog;
  blog.url = kBlog;
  blog.tags = {"tech"};
  REQUIRE(store->sync_sources({world, blog}).is_ok());
  apply(*store, fetched(kWorld, {entry("w1", "World story", "<p>w</p>")}), kT0);
  apply(*store, fetched(kBlog, {entry("b1", "Blog post", "<p>b</p>")}), kT0 + 1h);
  // A story the blog carries too belongs to "tech" as well.
  apply(*store, fetched(kBlog, {entry("b2", "World story", "<p>w</p>")}), kT0 + 2h);

  const StoryPage news = page(*store, 10, std::nullopt, "news");
  REQUIRE(news.stories.size() == 1);
  CHECK(news.stories[0].title == "World story");
  const StoryPage tech = page(*store, 10, std::nullopt, "tech");
  CHECK(tech.stories.size() == 2);
  CHECK(page(*store, 10, std::nullopt, "sports").stories.empty());
}

TEST_CASE("Pruned stories leave tombstones: still listed, they never come back as new", "[store][stories]") {
  test::TempDir dir;
  auto store = open_store(dir / "feedd.db");
  const FetchedFeed old_feed = fetched(kWorld, {entry("old", "Old story", "<p>old</p>")});
  apply(*store, old_feed, kT0);
  apply(*store, fetched(kWorld, {entry("new", "New story", "<p>new</p>")}), kT0 + 100 * 24h);

  auto pruned = store->prune(kT0 + 10 * 24h);
  REQUIRE(pruned.ok());
  CHECK(pruned->stories_removed == 1);
  CHECK(pruned->tombstones_added >= 2);
  REQUIRE(all(*store).size() == 1);

  // The source still lists it; another source carries the same text.
  CHECK(apply(*store, old_feed, kT0 + 101 * 24h).new_stories == 0);
  CHECK(apply(*store, fetched(kWire, {entry("copy", "Old story", "<p>old</p>")}), kT0 + 101 * 24h).new_stories == 0);
  const auto left = all(*store);
  REQUIRE(left.size() == 1);
  CHECK(left[0].title == "New story");
  // Nothing to prune: nothing removed.
  CHECK(store->prune(kT0 + 10 * 24h)->stories_removed == 0);
}

TEST_CASE("A new database file uses incremental auto-vacuum and pruning gives pages back", "[store][stories][sqlite]") {
  test::TempDir dir;
  const auto file = dir / "feedd.db";
  {
    auto store = open_store(file);
    std::vector<Entry> entries;
    const std::string filler(4000, 'x');
    for (int i = 0; i < 200; ++i) {
      entries.push_back(entry("e" + std::to_string(i), "Story " + std::to_string(i),
                              "<p>" + std::to_string(i) + filler + "</p>"));
    }
    apply(*store, fetched(kWorld, entries), kT0);
    REQUIRE(store->prune(kT0 + 1h)->stories_removed == 200);
  }
  CHECK(pragma(file, "PRAGMA auto_vacuum") == "2");
  CHECK(std::stoi(pragma(file, "PRAGMA freelist_count")) < 10);
  CHECK(std::stoi(pragma(file, "PRAGMA page_count")) < 100);
}
