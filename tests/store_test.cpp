#include <sqlite3.h>

#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

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

Entry make_entry(const std::string& id, const std::string& title, const std::string& text,
                 std::optional<Timestamp> published = std::nullopt) {
  Entry entry;
  entry.id = id;
  entry.title = title;
  entry.link = "https://world.example.org/" + id;
  entry.content = "<p>" + text + "</p>";
  entry.published = published;
  entry.authors = {"Jia Puyu"};
  entry.categories = {"World"};
  entry.enclosures = {Enclosure{"https://world.example.org/" + id + ".mp3", "audio/mpeg", 1234}};
  entry.content_hash = dedup::content_hash(title, *entry.content);
  return entry;
}

FetchedFeed fetched(const std::string& url, std::vector<Entry> entries, std::optional<std::string> etag = {}) {
  FetchedFeed result;
  result.source_url = url;
  result.etag = std::move(etag);
  result.feed.feed.title = url == kWorld ? "World News" : "Wire Service";
  result.feed.entries = std::move(entries);
  return result;
}

Source configured(const std::string& url, std::optional<std::string> title = {},
                  std::vector<std::string> tags = {}) {
  Source source;
  source.url = url;
  source.title = std::move(title);
  source.tags = std::move(tags);
  return source;
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

std::vector<Story> newest(Store& store, std::size_t limit = 100) {
  auto stories = store.newest_stories(limit);
  INFO(stories.status().to_string());
  REQUIRE(stories.ok());
  return *stories;
}

SourceState state_of(Store& store, const std::string& url) {
  auto state = store.source_state(url);
  REQUIRE(state.ok());
  REQUIRE(state->has_value());
  return **state;
}

// A second, raw connection to the same file: to look at what is on disk and to inject
// faults the shipped code has no reason to offer.
class RawConnection {
 public:
  explicit RawConnection(const std::filesystem::path& file) {
    REQUIRE(sqlite3_open(file.c_str(), &db_) == SQLITE_OK);
  }
  ~RawConnection() { sqlite3_close(db_); }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  void exec(const std::string& sql) {
    char* message = nullptr;
    const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message);
    INFO((message ? message : ""));
    sqlite3_free(message);
    REQUIRE(rc == SQLITE_OK);
  }
  // The first column of the first row, as text.
  std::string text(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    REQUIRE(sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK);
    std::string value;
    if (sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0)) {
      value = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    }
    sqlite3_finalize(stmt);
    return value;
  }

 private:
  sqlite3* db_ = nullptr;
};

}  // namespace

TEST_CASE("A new database is created at the newest schema version and reopening keeps its stories", "[store][sqlite]") {
  test::TempDir dir;
  const auto file = dir / "feedd.db";
  std::string uid;
  int version = 0;
  {
    auto store = open_store(file);
    version = store->schema_version();
    CHECK(version >= 1);
    apply(*store, fetched(kWorld, {make_entry("a1", "Talks resume", "Delegates met.")}), kT0);
    uid = newest(*store).at(0).uid;
  }
  RawConnection raw(file);
  const std::string first_applied = raw.text("SELECT group_concat(applied_at) FROM schema_migrations");

  auto store = open_store(file);
  CHECK(store->schema_version() == version);
  CHECK(*store->story_count() == 1);
  CHECK(newest(*store).at(0).uid == uid);
  // Migrations ran once: one row per version, with their first timestamps.
  CHECK(raw.text("SELECT COUNT(*) FROM schema_migrations") == std::to_string(version));
  CHECK(raw.text("SELECT group_concat(applied_at) FROM schema_migrations") == first_applied);
}

TEST_CASE("The database file is in WAL journal mode", "[store][sqlite]") {
  test::TempDir dir;
  auto store = open_store(dir / "feedd.db");
  RawConnection raw(dir / "feedd.db");
  CHECK(raw.text("PRAGMA journal_mode") == "wal");
}

TEST_CASE("One entry stored becomes one story with its source", "[store]") {
  test::TempDir dir;
  auto store = open_store(dir / "feedd.db");
  const auto published = kT0 - 2h;
  const auto stats = apply(*store, fetched(kWorld, {make_entry("a1", "Talks resume", "Delegates met.", published)}), kT0);
  CHECK(stats.new_stories == 1);
  CHECK(stats.changed_anything());

  const auto stories = newest(*store);
  REQUIRE(stories.size() == 1);
  const Story& story = stories[0];
  CHECK(story.uid.rfind("urn:feedd:story:", 0) == 0);
  CHECK(story.uid.size() == std::string("urn:feedd:story:").size() + 32);
  CHECK(story.title == "Talks resume");
  CHECK(story.link == "https://world.example.org/a1");
  CHECK(story.content == "<p>Delegates met.</p>");
  CHECK(story.authors == std::vector<std::string>{"Jia Puyu"});
  CHECK(story.categories == std::vector<std::string>{"World"});
  REQUIRE(story.enclosures.size() == 1);
  CHECK(story.enclosures[0].url == "https://world.example.org/a1.mp3");
  CHECK(story.enclosures[0].type == "audio/mpeg");
  CHECK(story.enclosures[0].length == 1234);
  CHECK(story.published == published);
  CHECK(story.first_seen == kT0);
  CHECK(story.updated == kT0);
  REQUIRE(story.sources.size() == 1);
  CHECK(story.sources[0].url == kWorld);
  CHECK(story.sources[0].name == "World News");
  CHECK(story.sources[0].entry_link == "https://world.example.org/a1");
  CHECK(*store->story_count() == 1);
  CHECK(state_of(*store, kWorld).entries == 1);
}

TEST_CASE("The same content from a second source collapses into one story listing both, origin first", "[store]") {
  test::TempDir dir;
  auto store = open_store(dir / "feedd.db");
  // Configured in the other order, so "origin first" can't come from row order.
  REQUIRE(store->sync_sources({configured(kWire), configured(kWorld, "The World Desk")}).is_ok());

  apply(*store, fetched(kWorld, {make_entry("a1", "Talks resume", "Delegates met.")}), kT0);
  Entry copy = make_entry("wire-77", "Talks resume", "Delegates met.");
  copy.link = "https://wire.example.net/77";
  const auto stats = apply(*store, fetched(kWire, {copy}), kT0 + 1h);
  CHECK(stats.new_copies == 1);
  CHECK(stats.new_stories == 0);

  CHECK(*store->story_count() == 1);
  const auto stories = newest(*store);
  REQUIRE(stories.size() == 1);
  REQUIRE(stories[0].sources.size() == 2);
  CHECK(stories[0].sources[0].url == kWorld);
  CHECK(stories[0].sources[0].name == "The World Desk");
  CHECK(stories[0].sources[0].first_seen == kT0);
  CHECK(stories[0].sources[1].url == kWire);
  CHECK(stories[0].sources[1].name == "Wire Service");
  CHECK(stories[0].sources[1].entry_link == "https://wire.example.net/77");
  CHECK(stories[0].sources[1].first_seen == kT0 + 1h);
  CHECK(stories[0].link == "https://world.example.org/a1");  // the story keeps its origin's
}

TEST_CASE("The same identity with changed content updates the story in place", "[store]") {
  test::TempDir dir;
  auto store = open_store(dir / "feedd.db");
  apply(*store, fetched(kWorld, {make_entry("a1", "Talks resume", "Delegates met.")}), kT0);
  const Story before = newest(*store).at(0);

  const auto stats = apply(*store, fetched(kWorld, {make_entry("a1", "Talks resume in Geneva", "Delegates met.")}),
                           kT0 + 1h);
  CHECK(stats.changed == 1);
  CHECK(stats.new_stories == 0);

  CHECK(*store->story_count() == 1);
  const Story after = newest(*store).at(0);
  CHECK(after.id == before.id);
  CHECK(after.uid == before.uid);
  CHECK(after.title == "Talks resume in Geneva");
  CHECK(after.content_hash != before.content_hash);
  CHECK(after.updated == kT0 + 1h);
  CHECK(after.first_seen == kT0);
  CHECK(state_of(*store, kWorld).entries == 1);
}

TEST_CASE("An unchanged entry applied again changes nothing", "[store]") {
  test::TempDir dir;
  auto store = open_store(dir / "feedd.db");
  const auto feed = fetched(kWorld, {make_entry("a1", "Talks resume", "Delegates met.")});
  apply(*store, feed, kT0);
  const auto stats = apply(*store, feed, kT0 + 1h);
  CHECK(stats.unchanged == 1);
  CHECK_FALSE(stats.changed_anything());
  const Story story = newest(*store).at(0);
  CHECK(story.updated == kT0);
  CHECK(story.sources.size() == 1);
  CHECK(*store->story_count() == 1);
}

TEST_CASE("An identity repeated inside one fetch keeps its first entry", "[store]") {
  test::TempDir dir;
  auto store = open_store(dir / "feedd.db");
  const auto stats = apply(*store,
                           fetched(kWorld, {make_entry("a1", "First version", "Text one."),
                                            make_entry("a1", "Second version", "Text two.")}),
                           kT0);
  CHECK(stats.new_stories == 1);
  CHECK(stats.changed == 0);
  CHECK(newest(*store).at(0).title == "First version");
}

TEST_CASE("Validators, feed title and fetch health are stored and read back", "[store]") {
  test::TempDir dir;
  const auto file = dir / "feedd.db";
  {
    auto store = open_store(file);
    auto feed = fetched(kWorld, {make_entry("a1", "Talks resume", "Delegates met.")}, "\"v1\"");
    feed.last_modified = "Mon, 09 Mar 2020 08:00:00 GMT";
    apply(*store, feed, kT0);
  }
  auto store = open_store(file);
  const SourceState state = state_of(*store, kWorld);
  CHECK(state.etag == "\"v1\"");
  CHECK(state.last_modified == "Mon, 09 Mar 2020 08:00:00 GMT");
  CHECK(state.feed_title == "World News");
  CHECK_FALSE(state.title.has_value());
  CHECK(state.display_name() == "World News");
  CHECK(state.http_status == 200);
  CHECK(state.last_fetch == kT0);
  CHECK(state.last_success == kT0);
  CHECK(state.consecutive_failures == 0);
  CHECK(state.entries == 1);

  auto unknown = store->source_state("https://nowhere.example/");
  REQUIRE(unknown.ok());
  CHECK_FALSE(unknown->has_value());
}

TEST_CASE("A failure counts against the source and keeps its stories; a later success resets the count",
          "[store]") {
  test::TempDir dir;
  auto store = open_store(dir / "feedd.db");
  apply(*store, fetched(kWorld, {make_entry("a1", "Talks resume", "Delegates met.")}, "\"v1\""), kT0);

  REQUIRE(store->record_failure(kWorld, 503, "GET https://world.example.org/rss.xml: HTTP 503", kT0 + 1h).is_ok());
  REQUIRE(store->record_failure(kWorld, 0, "connect refused", kT0 + 2h).is_ok());
  SourceState state = state_of(*store, kWorld);
  CHECK(state.consecutive_failures == 2);
  CHECK(state.last_error == "connect refused");
  CHECK(state.last_fetch == kT0 + 2h);
  CHECK(state.last_success == kT0);
  CHECK(state.etag == "\"v1\"");
  CHECK(*store->story_count() == 1);

  REQUIRE(store->record_not_modified(kWorld, 304, kT0 + 3h).is_ok());
  state = state_of(*store, kWorld);
  CHECK(state.consecutive_failures == 0);
  CHECK_FALSE(state.last_error.has_value());
  CHECK(state.http_status == 304);
  CHECK(state.last_success == kT0 + 3h);

  REQUIRE(store->record_failure(kWorld, 500, "HTTP 500", kT0 + 4h).is_ok());
  apply(*store, fetched(kWorld, {make_entry("a1", "Talks resume", "Delegates met.")}), kT0 + 5h);
  CHECK(state_of(*store, kWorld).consecutive_failures == 0);
}

TEST_CASE("Health of a source never fetched before is recorded all the same", "[store]") {
  test::TempDir dir;
  auto store = open_store(dir / "feedd.db");
  REQUIRE(store->record_failure(kWire, 404, "HTTP 404", kT0).is_ok());
  CHECK(state_of(*store, kWire).consecutive_failures == 1);
  CHECK(state_of(*store, kWire).display_name() == kWire);
  auto states = store->source_states();
  REQUIRE(states.ok());
  CHECK(states->size() == 1);
}

TEST_CASE("A fetch that fails half-way stores nothing, not even its validators", "[store][sqlite]") {
  test::TempDir dir;
  const auto file = dir / "feedd.db";
  auto store = open_store(file);
  apply(*store, fetched(kWorld, {make_entry("a1", "Talks resume", "Delegates met.")}, "\"v1\""), kT0);

  // The second new story of the next fetch is refused by the database.
  RawConnection raw(file);
  raw.exec(
      "CREATE TRIGGER refuse_poison BEFORE INSERT ON stories WHEN NEW.title = 'Poison'"
      " BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
  const auto feed = fetched(kWorld,
                            {make_entry("a2", "Ceasefire holds", "Quiet night."), make_entry("a3", "Poison", "x")},
                            "\"v2\"");
  auto result = store->apply_fetch(feed, kT0 + 1h);
  REQUIRE_FALSE(result.ok());
  CHECK(result.status().kind() == StatusKind::kDatabase);
  CHECK_THAT(result.status().message(), Catch::Contains("injected failure") && Catch::Contains(kWorld));

  CHECK(*store->story_count() == 1);
  const SourceState state = state_of(*store, kWorld);
  CHECK(state.etag == "\"v1\"");
  CHECK(state.last_fetch == kT0);
  CHECK(state.entries == 1);

  // Nothing half-stored is left behind: once the fault is gone both stories are new.
  raw.exec("DROP TRIGGER refuse_poison");
  const auto stats = apply(*store, feed, kT0 + 2h);
  CHECK(stats.new_stories == 2);
  CHECK(state_of(*store, kWorld).etag == "\"v2\"");
}

TEST_CASE("A file that is not a database gives a database error naming it", "[store][sqlite]") {
  test::TempDir dir;
  const auto file = test::write_file(dir / "feeds.conf", "[daemon]\nlisten = \"127.0.0.1:8080\"\n" +
                                                             std::string(2000, '#') + "\n");
  auto store = Store::open(file);
  REQUIRE_FALSE(store.ok());
  CHECK(store.status().kind() == StatusKind::kDatabase);
  CHECK_THAT(store.status().message(), Catch::Contains(file.string()) && Catch::Contains("not a database"));
}

TEST_CASE("A database path in a missing folder gives a database error naming it", "[store][sqlite]") {
  test::TempDir dir;
  const auto file = dir / "missing" / "feedd.db";
  auto store = Store::open(file);
  REQUIRE_FALSE(store.ok());
  CHECK(store.status().kind() == StatusKind::kDatabase);
  CHECK_THAT(store.status().message(), Catch::Contains(file.string()) && Catch::Contains("unable to open"));
}

TEST_CASE("A database written by a newer feedd is refused rather than guessed at", "[store][sqlite]") {
  test::TempDir dir;
  const auto file = dir / "feedd.db";
  open_store(file);
  RawConnection(file).exec("INSERT INTO schema_migrations(version, applied_at) VALUES (999, 0)");
  auto store = Store::open(file);
  REQUIRE_FALSE(store.ok());
  CHECK(store.status().kind() == StatusKind::kDatabase);
  CHECK_THAT(store.status().message(), Catch::Contains("schema version 999"));
}

TEST_CASE("Newest stories come newest first and no more than the limit", "[store]") {
  test::TempDir dir;
  auto store = open_store(dir / "feedd.db");
  apply(*store,
        fetched(kWorld, {make_entry("old", "Oldest", "one", kT0 - 3h), make_entry("new", "Newest", "two", kT0 - 1h),
                         make_entry("mid", "Middle", "three", kT0 - 2h)}),
        kT0);
  apply(*store, fetched(kWire, {make_entry("undated", "Undated", "four")}), kT0 - 90min);

  auto all = newest(*store);
  REQUIRE(all.size() == 4);
  CHECK(all[0].title == "Newest");
  CHECK(all[1].title == "Undated");  // no date: sorted at first sight
  CHECK(all[2].title == "Middle");
  CHECK(all[3].title == "Oldest");

  auto two = newest(*store, 2);
  REQUIRE(two.size() == 2);
  CHECK(two[0].title == "Newest");
  CHECK(two[1].title == "Undated");
  CHECK(two[1].sources.size() == 1);
  CHECK(newest(*store, 0).empty());
}

TEST_CASE("A future-dated entry sorts at its first-seen time", "[store]") {
  test::TempDir dir;
  auto store = open_store(dir / "feedd.db");
  apply(*store, fetched(kWorld, {make_entry("future", "From the future", "one", kT0 + 240h)}), kT0);
  apply(*store, fetched(kWire, {make_entry("recent", "Recent", "two", kT0 + 30min)}), kT0 + 1h);

  const auto stories = newest(*store);
  REQUIRE(stories.size() == 2);
  CHECK(stories[0].title == "Recent");
  CHECK(stories[1].title == "From the future");
  CHECK(stories[1].published == kT0 + 240h);  // kept as written, only not trusted for order
}

TEST_CASE("Configured sources are recorded and sources left out of the config keep their stories", "[store]") {
  test::TempDir dir;
  auto store = open_store(dir / "feedd.db");
  REQUIRE(store->sync_sources({configured(kWorld, "World", {"news"}), configured(kWire)})
              .is_ok());
  apply(*store, fetched(kWire, {make_entry("w1", "Wire story", "text")}), kT0);
  REQUIRE(store->sync_sources({configured(kWorld, "World Desk")}).is_ok());

  auto states = store->source_states();
  REQUIRE(states.ok());
  REQUIRE(states->size() == 2);
  CHECK((*states)[0].display_name() == "World Desk");
  CHECK((*states)[1].url == kWire);
  CHECK((*states)[1].entries == 1);
  CHECK(*store->story_count() == 1);
}
