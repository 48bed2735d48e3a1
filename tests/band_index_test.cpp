// The near-duplicate band index on a real SQLite file: one b-tree (story_band_keys) whose
// rows leave with their story's text (an edit, a prune), and files made before it
// (story_bands) keep finding near copies of the stories they hold after the migration.

#include "support/paths.hpp"
#include <sqlite3.h>

#include <catch2/catch.hpp>

#include <fstream>
#include <string>
#include <vector>

#include "feedd/dedup.hpp"
#include "feedd/store.hpp"
#include "support/temp_dir.hpp"

using namespace feedd;
using namespace std::chrono_literals;

namespace {

const Timestamp kT0{std::chrono::seconds{1'700'000'000}};
const std::string kWorld = "https://world.example.org/rss.xml";
const std::string kWire = "https://wire.example.net/atom.xml";
std::string kBlog() { return "https://blog.example.com/feed"; }

// An article of the labelled near-duplicate set as HTML paragraphs, and its title.
std::pair<std::string, std::string> article(const std::string& name) {
  std::ifstream in(std::string(::feedd::test::kTestDataDir) + "/near_duplicates/articles/" + name);
  REQUIRE(in);
  std::string title;
  std::getline(in, title);
  std::string html;
  for (std::string line; std::getline(in, line);) html += "<p>" + line + "</p>";
  return {title, html};
}

Entry entry(const std::string& id, const std::string& title, const std::string& html) {
  Entry e;
  e.id = id;
  e.title = title;
  e.content = html;
  e.content_hash = dedup::content_hash(title, html);
  return e;
}

FetchedFeed fetched(const std::string& url, std::vector<Entry> entries) {
  FetchedFeed result;
  result.source_url = url;
  result.feed.entries = std::move(entries);
  return result;
}

std::unique_ptr<Store> open_store(const std::filesystem::path& file) {
  auto store = Store::open(file);
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

// A second connection to the file, to look at the index and to turn the file back into
// what an older feedd wrote.
class Raw {
 public:
  explicit Raw(const std::filesystem::path& file) { REQUIRE(sqlite3_open(file.c_str(), &db_) == SQLITE_OK); }
  ~Raw() { sqlite3_close(db_); }
  Raw(const Raw&) = delete;
  Raw& operator=(const Raw&) = delete;
  void exec(const std::string& sql) {
    char* message = nullptr;
    const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message);
    INFO((message ? message : ""));
    sqlite3_free(message);
    REQUIRE(rc == SQLITE_OK);
  }
  std::int64_t number(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    REQUIRE(sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK);
    std::int64_t value = -1;
    if (sqlite3_step(stmt) == SQLITE_ROW) value = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    return value;
  }

 private:
  sqlite3* db_ = nullptr;
};

// A fault the shipped code has no reason to offer: an entry "boom" cannot be stored, so
// the fetch carrying it fails after its other entries were written, and rolls back.
void refuse_entry_boom(const std::filesystem::path& file) {
  Raw(file).exec(
      "CREATE TRIGGER refuse_boom BEFORE INSERT ON entries WHEN NEW.identity = 'boom'"
      " BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;");
}

std::int64_t index_rows(const std::filesystem::path& file) { return Raw(file).number("SELECT COUNT(*) FROM story_band_keys"); }

}  // namespace

TEST_CASE("Each new story long enough to judge puts its 16 band keys in the index, and a short one none",
          "[store][bands]") {
  test::TempDir dir;
  const auto file = dir / "feedd.db";
  auto store = open_store(file);
  const auto [title, html] = article("01-harbour-bridge.txt");
  apply(*store, fetched(kWorld, {entry("w1", title, html), entry("w2", "Short", "<p>Too short to judge.</p>")}), kT0);
  CHECK(index_rows(file) == static_cast<std::int64_t>(dedup::kBandKeys));
  CHECK(Raw(file).number("SELECT COUNT(DISTINCT story_id) FROM story_band_keys") == 1);
}

TEST_CASE("An origin's edit moves its story's band keys: copies of the new text join it, of the old text no longer",
          "[store][bands]") {
  test::TempDir dir;
  const auto file = dir / "feedd.db";
  auto store = open_store(file);
  const auto [title, bridge] = article("01-harbour-bridge.txt");
  const auto [other_title, drought] = article("02-drought-farmers.txt");
  apply(*store, fetched(kWorld, {entry("w1", title, bridge)}), kT0);
  // The origin rewrites the entry into a different article: the story is updated in place.
  REQUIRE(apply(*store, fetched(kWorld, {entry("w1", other_title, drought)}), kT0 + 1h).changed == 1);
  CHECK(index_rows(file) == static_cast<std::int64_t>(dedup::kBandKeys));

  const auto near_copy = apply(*store, fetched(kWire, {entry("x1", other_title, drought + "<p>Source: Wire</p>")}),
                               kT0 + 2h);
  CHECK(near_copy.near_copies == 1);
  const auto old_copy = apply(*store, fetched(kWire, {entry("x2", title, bridge + "<p>Source: Wire</p>")}), kT0 + 3h);
  CHECK(old_copy.near_copies == 0);
  CHECK(old_copy.new_stories == 1);
  CHECK(index_rows(file) == 2 * static_cast<std::int64_t>(dedup::kBandKeys));
}

TEST_CASE("Pruning a story removes its band keys from the index and keeps the others'", "[store][bands]") {
  test::TempDir dir;
  const auto file = dir / "feedd.db";
  auto store = open_store(file);
  const auto [title, bridge] = article("01-harbour-bridge.txt");
  const auto [other_title, drought] = article("02-drought-farmers.txt");
  apply(*store, fetched(kWorld, {entry("w1", title, bridge)}), kT0);
  apply(*store, fetched(kWorld, {entry("w2", other_title, drought)}), kT0 + 100 * 24h);
  REQUIRE(index_rows(file) == 2 * static_cast<std::int64_t>(dedup::kBandKeys));

  REQUIRE(store->prune(kT0 + 10 * 24h)->stories_removed == 1);
  CHECK(index_rows(file) == static_cast<std::int64_t>(dedup::kBandKeys));
  CHECK(Raw(file).number("SELECT COUNT(*) FROM story_band_keys b LEFT JOIN stories s ON s.id = b.story_id"
                         " WHERE s.id IS NULL") == 0);
  // The story left keeps its near copies.
  CHECK(apply(*store, fetched(kWire, {entry("x1", other_title, drought + "<p>Source: Wire</p>")}), kT0 + 101 * 24h)
            .near_copies == 1);
}

TEST_CASE("A file written before the one-b-tree index keeps its stories' near copies and their prune after migrating",
          "[store][bands]") {
  test::TempDir dir;
  const auto file = dir / "feedd.db";
  const auto [title, bridge] = article("01-harbour-bridge.txt");
  const auto [other_title, drought] = article("02-drought-farmers.txt");
  int version = 0;
  {
    auto store = open_store(file);
    version = store->schema_version();
    apply(*store, fetched(kWorld, {entry("w1", title, bridge)}), kT0);
    apply(*store, fetched(kWorld, {entry("w2", other_title, drought)}), kT0 + 100 * 24h);
  }
  {
    // What feedd wrote before: a rowid table with an index by key and one by story, no
    // keys in the story rows, and the migration not applied.
    Raw raw(file);
    raw.exec(
        "CREATE TABLE story_bands (band_key INTEGER NOT NULL, story_id INTEGER NOT NULL REFERENCES stories(id));"
        "CREATE INDEX story_bands_by_key ON story_bands(band_key);"
        "CREATE INDEX story_bands_by_story ON story_bands(story_id);"
        "INSERT INTO story_bands(band_key, story_id) SELECT band_key, story_id FROM story_band_keys;"
        "DROP TABLE story_band_keys;"
        "ALTER TABLE stories DROP COLUMN band_keys;"
        "DELETE FROM schema_migrations WHERE version = " + std::to_string(version) + ";");
    REQUIRE(raw.number("SELECT COUNT(*) FROM story_bands") == 2 * static_cast<std::int64_t>(dedup::kBandKeys));
  }
  auto store = open_store(file);
  CHECK(store->schema_version() == version);
  CHECK(index_rows(file) == 2 * static_cast<std::int64_t>(dedup::kBandKeys));
  CHECK(Raw(file).number("SELECT COUNT(*) FROM sqlite_schema WHERE name = 'story_bands'") == 0);
  // Both stories are found by their migrated keys...
  CHECK(apply(*store, fetched(kWire, {entry("x1", other_title, drought + "<p>Source: Wire</p>")}), kT0 + 100 * 24h)
            .near_copies == 1);
  // ... and the pruned one takes its migrated keys with it.
  REQUIRE(store->prune(kT0 + 10 * 24h)->stories_removed == 1);
  CHECK(index_rows(file) == static_cast<std::int64_t>(dedup::kBandKeys));
}

TEST_CASE("Inside one group commit a near copy finds the origin stored just before it, and the index holds both after",
          "[store][bands]") {
  test::TempDir dir;
  const auto file = dir / "feedd.db";
  auto store = open_store(file);
  const auto [title, bridge] = article("01-harbour-bridge.txt");
  const auto [other_title, drought] = article("02-drought-farmers.txt");
  REQUIRE(store->begin_batch().is_ok());
  apply(*store, fetched(kWorld, {entry("w1", title, bridge)}), kT0);
  CHECK(apply(*store, fetched(kWire, {entry("x1", title, bridge + "<p>Source: Wire</p>")}), kT0 + 1s).near_copies == 1);
  apply(*store, fetched(kWire, {entry("x2", other_title, drought)}), kT0 + 2s);
  REQUIRE(store->commit_batch().is_ok());
  CHECK(index_rows(file) == 2 * static_cast<std::int64_t>(dedup::kBandKeys));
  // And after the commit, from the index.
  CHECK(apply(*store, fetched(kBlog(), {entry("b1", other_title, drought + "<p>Via the blog</p>")}), kT0 + 1h)
            .near_copies == 1);
}

TEST_CASE("A fetch that fails inside a group commit leaves none of its band keys; the others' are written",
          "[store][bands]") {
  test::TempDir dir;
  const auto file = dir / "feedd.db";
  auto store = open_store(file);
  const auto [title, bridge] = article("01-harbour-bridge.txt");
  const auto [other_title, drought] = article("02-drought-farmers.txt");
  const auto [third_title, library] = article("03-library-archive.txt");
  refuse_entry_boom(file);
  REQUIRE(store->begin_batch().is_ok());
  apply(*store, fetched(kWorld, {entry("w1", title, bridge)}), kT0);
  // The drought story is stored, then the fetch fails at "boom": all of it is rolled back.
  CHECK_FALSE(store->apply_fetch(fetched(kWire, {entry("x1", other_title, drought), entry("boom", "Boom", library)}),
                                 kT0 + 1s)
                  .ok());
  // The next story takes the rolled-back story's id; a copy of the rolled-back text is no near copy of it.
  apply(*store, fetched(kWire, {entry("x2", third_title, library)}), kT0 + 2s);
  CHECK(apply(*store, fetched(kBlog(), {entry("b1", other_title, drought + "<p>Via the blog</p>")}), kT0 + 3s)
            .near_copies == 0);
  REQUIRE(store->commit_batch().is_ok());
  CHECK(index_rows(file) == 3 * static_cast<std::int64_t>(dedup::kBandKeys));
  CHECK(Raw(file).number("SELECT COUNT(*) FROM stories") == 3);
  CHECK(Raw(file).number("SELECT COUNT(*) FROM story_band_keys b LEFT JOIN stories s ON s.id = b.story_id"
                         " WHERE s.id IS NULL OR instr(s.band_keys, CAST(b.band_key AS TEXT)) = 0") == 0);
}

TEST_CASE("A story edited by its origin in the group commit that stored it keeps only its new keys", "[store][bands]") {
  test::TempDir dir;
  const auto file = dir / "feedd.db";
  auto store = open_store(file);
  const auto [title, bridge] = article("01-harbour-bridge.txt");
  const auto [other_title, drought] = article("02-drought-farmers.txt");
  REQUIRE(store->begin_batch().is_ok());
  apply(*store, fetched(kWorld, {entry("w1", title, bridge)}), kT0);
  REQUIRE(apply(*store, fetched(kWorld, {entry("w1", other_title, drought)}), kT0 + 1s).changed == 1);
  CHECK(apply(*store, fetched(kWire, {entry("x1", title, bridge + "<p>Source: Wire</p>")}), kT0 + 2s).near_copies == 0);
  REQUIRE(store->commit_batch().is_ok());
  // The edited story's new keys and the new story's: the old keys were never written.
  CHECK(index_rows(file) == 2 * static_cast<std::int64_t>(dedup::kBandKeys));
  CHECK(Raw(file).number("SELECT COUNT(*) FROM story_band_keys b JOIN stories s ON s.id = b.story_id"
                         " WHERE instr(s.band_keys, CAST(b.band_key AS TEXT)) = 0") == 0);
}

TEST_CASE("Band keys are those earlier versions stored, so stories indexed before an upgrade are still found",
          "[dedup][bands]") {
  // The keys of this article as feedd has computed them since band keys were introduced
  // (computed again on every build, whichever vector path the CPU takes).
  const std::vector<std::int64_t> expected = {-7579316992793696775, 512227095160829584, 3991705301541460292, 4026438387872837041, 2265315881788721502, 2302675800710307329, 6726641582014758574, -8760441135047920247, -3042156222882258468, 7854904211296434724, 398465200774814285, -8531428020554628399, 7447938028508320616, 2694037308109872664, 640036575811656006, -3927971032336181244};
  const auto [title, html] = article("01-harbour-bridge.txt");
  const auto shingles = dedup::shingles(title, html);
  CHECK(shingles.size() == 174);
  CHECK(dedup::lsh_band_keys(shingles) == expected);
  CHECK(dedup::near_print(entry("w1", title, html)).band_keys == expected);
}

TEST_CASE("A near copy finds the origin another daemon stored in the same file after this one last looked",
          "[store][bands][shared-store]") {
  test::TempDir dir;
  const auto file = dir / "feedd.db";
  auto mine = open_store(file);
  auto theirs = open_store(file);
  const auto [title, bridge] = article("01-harbour-bridge.txt");
  const auto [other_title, drought] = article("02-drought-farmers.txt");
  // This daemon has looked up (and so knows) the stories stored so far...
  apply(*mine, fetched(kWorld, {entry("w1", other_title, drought)}), kT0);
  // ...then the other daemon stores a story, and a copy of it reaches this one.
  apply(*theirs, fetched(kWire, {entry("x1", title, bridge)}), kT0 + 1s);
  const ApplyStats stats = apply(*mine, fetched(kBlog(), {entry("b1", title, bridge + "<p>Via the blog</p>")}), kT0 + 2s);
  CHECK(stats.near_copies == 1);
  CHECK(stats.new_stories == 0);
  CHECK(Raw(file).number("SELECT COUNT(*) FROM stories") == 2);
}

TEST_CASE("After a rolled-back fetch, the story that takes its id is still found by its near copies",
          "[store][bands]") {
  test::TempDir dir;
  const auto file = dir / "feedd.db";
  auto store = open_store(file);
  const auto [title, bridge] = article("01-harbour-bridge.txt");
  const auto [other_title, drought] = article("02-drought-farmers.txt");
  const auto [third_title, library] = article("03-library-archive.txt");
  refuse_entry_boom(file);
  apply(*store, fetched(kWorld, {entry("w1", title, bridge)}), kT0);
  // Outside a group commit too: the drought story (id 2) is stored, then rolled back.
  CHECK_FALSE(store->apply_fetch(fetched(kWire, {entry("x1", other_title, drought), entry("boom", "Boom", bridge)}),
                                 kT0 + 1s)
                  .ok());
  apply(*store, fetched(kWire, {entry("x2", third_title, library)}), kT0 + 2s);  // takes id 2
  CHECK(Raw(file).number("SELECT MAX(id) FROM stories") == 2);
  CHECK(apply(*store, fetched(kBlog(), {entry("b1", third_title, library + "<p>Via the blog</p>")}), kT0 + 3s)
            .near_copies == 1);
  CHECK(apply(*store, fetched(kBlog(), {entry("b2", other_title, drought + "<p>Via the blog</p>")}), kT0 + 4s)
            .near_copies == 0);
}
