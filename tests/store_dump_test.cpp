// Moving a store: Store::export_dump / import_dump and the commands around them
// (`feedd migrate`, `feedd export`, `feedd import`), on real SQLite files.

#include <sqlite3.h>

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "feedd/dedup.hpp"
#include "feedd/render.hpp"
#include "feedd/store.hpp"
#include "support/paths.hpp"
#include "support/run_feedd.hpp"
#include "support/temp_dir.hpp"
#include "support/test_store.hpp"

using namespace feedd;
using namespace std::chrono_literals;

namespace {

using test::quoted;
using test::Ran;

const Timestamp kT0{std::chrono::seconds{1'700'000'000}};
const std::string kWorld = "https://world.example.org/rss.xml";
const std::string kWire = "https://wire.example.net/atom.xml";
const std::string kScience = "https://science.example.com/feed.json";

const std::string kLongText =
    "The harbour authority said on Tuesday that the new container terminal would open in the spring after "
    "two years of delays caused by flooding, a shortage of cranes and a long dispute over the dredging "
    "contract, which the city council finally settled last month with the port's largest operator.";

Entry make_entry(const std::string& source, const std::string& id, const std::string& title, const std::string& text,
                 std::optional<Timestamp> published = std::nullopt) {
  Entry entry;
  entry.id = id;
  entry.title = title;
  entry.link = source + "/" + id;
  entry.content = "<p>" + text + "</p>";
  entry.summary = "<p>" + title + "</p>";
  entry.published = published;
  entry.authors = {"Jia Puyu"};
  entry.categories = {"World", "Ports"};
  entry.enclosures = {Enclosure{source + "/" + id + ".mp3", "audio/mpeg", 1234}};
  entry.content_hash = dedup::content_hash(title, *entry.content);
  entry.raw_hash = "raw-" + id;
  return entry;
}

FetchedFeed fetched(const std::string& url, std::vector<Entry> entries, std::optional<std::string> etag = {}) {
  FetchedFeed result;
  result.source_url = url;
  result.etag = std::move(etag);
  result.last_modified = "Tue, 14 Nov 2023 22:13:20 GMT";
  result.feed.feed.title = "Feed of " + url;
  result.feed.entries = std::move(entries);
  return result;
}

Source configured(const std::string& url, std::optional<std::string> title, std::vector<std::string> tags) {
  Source source;
  source.url = url;
  source.title = std::move(title);
  source.tags = std::move(tags);
  return source;
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

// A store with everything a dump must carry: three sources (titles, tags, validators, a
// non-UTF-8 ETag, a failure, redirect state), stories several sources share, a near
// duplicate, an updated story, and pruned stories whose tombstones remain.
void fill(Store& store) {
  REQUIRE(store.sync_sources({configured(kWorld, "World desk", {"world", "news"}), configured(kWire, {}, {"news"}),
                              configured(kScience, {}, {"science"})})
              .is_ok());
  // Old stories of the science feed, pruned below: only their tombstones stay.
  apply(store, fetched(kScience, {make_entry(kScience, "s1", "Comet seen", "A comet was seen."),
                                  make_entry(kScience, "s2", "Eclipse", "An eclipse is due.")}),
        kT0 - 40 * 24h);
  std::vector<Entry> world;
  for (int i = 1; i <= 5; ++i) {
    world.push_back(make_entry(kWorld, "w" + std::to_string(i), "World story " + std::to_string(i),
                               "Body of world story " + std::to_string(i) + ".", kT0 - std::chrono::hours(10 - i)));
  }
  world.push_back(make_entry(kWorld, "harbour", "Harbour terminal to open in spring", kLongText + " By Jia Puyu."));
  CHECK(apply(store, fetched(kWorld, world, "\"w-1\""), kT0).new_stories == 6);
  // The wire carries w1 as it is (same content hash) and the harbour story with another
  // byline (a near duplicate).
  Entry shared = make_entry(kWire, "wire-w1", "World story 1", "Body of world story 1.");
  Entry near = make_entry(kWire, "wire-harbour", "Harbour terminal to open in spring", kLongText + " By Staff Reporter.");
  Entry own = make_entry(kWire, "wire-own", "Wire exclusive", "Only the wire has it.", kT0 - 30min);
  const ApplyStats wire = apply(store, fetched(kWire, {shared, near, own}, std::string("\"caf\xe9\"")), kT0 + 1h);
  CHECK(wire.new_copies == 2);
  CHECK(wire.near_copies == 1);
  CHECK(wire.new_stories == 1);
  // An edit of w3: the same story, updated in place.
  world[2] = make_entry(kWorld, "w3", "World story 3 (corrected)", "Corrected body of world story 3.",
                        world[2].published);
  CHECK(apply(store, fetched(kWorld, world, "\"w-2\""), kT0 + 2h).changed == 1);
  auto pruned = store.prune(kT0 - 10 * 24h);
  REQUIRE(pruned.ok());
  CHECK(pruned->stories_removed == 2);
  REQUIRE(store.record_failure(kScience, 503, "HTTP 503 (Service Unavailable)", kT0 + 3h).is_ok());
  SourceHttpState moved;
  moved.url = kWire;
  moved.current_url = "https://wire.example.net/new-atom.xml";
  moved.body_hash = "0123abcd";
  moved.next_fetch = kT0 + 4h;
  REQUIRE(store.save_source_http_state(moved).is_ok());
  // What several daemons share: a daemon run's change count and a host's Retry-After hold.
  REQUIRE(store.set_daemon_id("newsroom:4242:ab12", kT0).is_ok());
  REQUIRE(store.hold_host("wire.example.net", std::chrono::time_point_cast<std::chrono::milliseconds>(kT0 + 5h)).is_ok());
}

std::unique_ptr<Store> filled_store(const std::filesystem::path& file) {
  auto store = open_store(file);
  fill(*store);
  return store;
}

std::string dump_of(Store& store) {
  std::ostringstream out;
  auto stats = store.export_dump(out);
  INFO(stats.status().to_string());
  REQUIRE(stats.ok());
  return out.str();
}

Result<DumpStats> import_text(Store& store, const std::string& dump) {
  std::istringstream in(dump);
  return store.import_dump(in);
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& line : lines) text += line + "\n";
  return text;
}

// Every row of every table, read with SQLite directly (not through the Store), each row
// as "table|col=value|...": what an operator comparing the two files would see.
std::vector<std::string> rows_of(const std::filesystem::path& file) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  std::vector<std::string> tables;
  std::vector<std::string> rows;
  auto each = [&](const std::string& sql, auto on_row) {
    sqlite3_stmt* stmt = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK);
    while (sqlite3_step(stmt) == SQLITE_ROW) on_row(stmt);
    sqlite3_finalize(stmt);
  };
  each("SELECT name FROM sqlite_master WHERE type = 'table' AND name <> 'schema_migrations' ORDER BY name",
       [&](sqlite3_stmt* s) { tables.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(s, 0))); });
  for (const std::string& table : tables) {
    std::vector<std::string> table_rows;
    each("SELECT * FROM " + table, [&](sqlite3_stmt* s) {
      std::string row = table;
      for (int i = 0; i < sqlite3_column_count(s); ++i) {
        const char* value = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
        row += std::string("|") + sqlite3_column_name(s, i) + "=" + (value ? value : "NULL");
      }
      table_rows.push_back(row);
    });
    std::sort(table_rows.begin(), table_rows.end());
    rows.insert(rows.end(), table_rows.begin(), table_rows.end());
  }
  sqlite3_close(db);
  return rows;
}

// Every page of a feed (two stories a page, following the cursors) in every format,
// rendered as the daemon renders them: body and ETag.
std::vector<std::string> feed_pages(Store& store, std::optional<std::string> tag) {
  std::vector<std::string> pages;
  OutputSettings output;
  std::optional<StoryCursor> before;
  for (int guard = 0; guard < 50; ++guard) {
    StoryQuery query;
    query.limit = 2;
    query.before = before;
    query.tag = tag;
    auto page = store.stories_page(query);
    REQUIRE(page.ok());
    FeedLinks links;
    links.self_url = "http://127.0.0.1:8080/feed" + (before ? "?before=" + before->to_string() : "");
    if (page->next) links.next_url = "http://127.0.0.1:8080/feed?before=" + page->next->to_string();
    for (OutputFormat format : kAllOutputFormats) {
      const RenderedFeed rendered = render_feed(format, output, page->stories, links);
      pages.push_back(rendered.etag + "\n" + rendered.body);
    }
    if (!page->next) return pages;
    before = page->next;
  }
  FAIL("the feed's pages never end");
  return pages;
}

std::filesystem::path config_for(const test::TempDir& dir, const std::string& name) {
  return test::write_file(dir / (name + ".conf"),
                          "[daemon]\nlisten = \"\"\ndatabase = \"" + (dir / (name + ".db")).string() + "\"\n");
}

// The newest schema version this build knows, as "4".
std::string newest_version() {
  test::TempDir dir;
  return std::to_string(open_store(dir / "probe.db")->schema_version());
}

Ran cli(const std::string& args, const test::TempDir& dir) {
  return test::run_shell(quoted(test::kFeeddBinary) + " " + args, dir);
}

}  // namespace

TEST_CASE("A store exported and imported into a fresh database holds the same rows, ids, uids and tombstones",
          "[store-dump]") {
  test::TempDir dir;
  auto source = filled_store(dir / "a.db");
  const std::string dump = dump_of(*source);
  auto target = open_store(dir / "b.db");
  auto imported = import_text(*target, dump);
  INFO(imported.status().to_string());
  REQUIRE(imported.ok());
  CHECK(imported->count("sources") == 3);
  CHECK(imported->count("stories") == 7);  // 9 stored, 2 pruned
  CHECK(imported->count("pruned_hashes") >= 2);
  CHECK(imported->count("story_band_keys") > 0);

  const auto rows = rows_of(dir / "a.db");
  CHECK(rows.size() > 20);
  CHECK(rows_of(dir / "b.db") == rows);

  auto before = source->source_states();
  auto after = target->source_states();
  REQUIRE(before.ok());
  REQUIRE(after.ok());
  REQUIRE(after->size() == 3);
  for (std::size_t i = 0; i < before->size(); ++i) {
    CHECK((*after)[i].etag == (*before)[i].etag);
    CHECK((*after)[i].last_modified == (*before)[i].last_modified);
    CHECK((*after)[i].last_error == (*before)[i].last_error);
    CHECK((*after)[i].entries == (*before)[i].entries);
  }
  CHECK((*after)[1].etag == std::string("\"caf\xe9\""));  // not UTF-8, byte for byte
  auto http_after = target->source_http_states();
  REQUIRE(http_after.ok());
  CHECK((*http_after)[1].current_url == "https://wire.example.net/new-atom.xml");
  CHECK((*http_after)[1].next_fetch == kT0 + 4h);
  auto known = target->known_entries(kWorld);
  REQUIRE(known.ok());
  CHECK(known->at("w2") == "raw-w2");
  // A second export of the imported store is the same dump, byte for byte.
  CHECK(dump_of(*target) == dump);
}

TEST_CASE("The unified and tag feeds rendered from an imported store are byte-identical, pages and ETags",
          "[store-dump]") {
  test::TempDir dir;
  auto source = filled_store(dir / "a.db");
  auto target = open_store(dir / "b.db");
  REQUIRE(import_text(*target, dump_of(*source)).ok());
  for (const std::optional<std::string>& tag : {std::optional<std::string>(), std::optional<std::string>("news"),
                                                 std::optional<std::string>("world")}) {
    INFO("tag " << tag.value_or("(unified)"));
    const auto pages = feed_pages(*source, tag);
    CHECK(pages.size() >= 6);  // several pages, so the cursors are exercised
    CHECK(feed_pages(*target, tag) == pages);
  }
}

TEST_CASE("After an import a pruned story still does not come back and new stories get fresh ids", "[store-dump]") {
  test::TempDir dir;
  auto source = filled_store(dir / "a.db");
  auto target = open_store(dir / "b.db");
  REQUIRE(import_text(*target, dump_of(*source)).ok());
  const auto newest_before = target->newest_stories(100);
  REQUIRE(newest_before.ok());
  std::int64_t largest_id = 0;
  for (const Story& story : *newest_before) largest_id = std::max(largest_id, story.id);

  const FetchedFeed again = fetched(kScience, {make_entry(kScience, "s1", "Comet seen", "A comet was seen."),
                                               make_entry(kScience, "s3", "New moon", "A new moon was found.")});
  const ApplyStats stats = apply(*target, again, kT0 + 5h);
  CHECK(stats.new_stories == 1);  // s3 only: s1 was pruned and stays so
  auto newest = target->newest_stories(100);
  REQUIRE(newest.ok());
  REQUIRE(newest->size() == newest_before->size() + 1);
  bool found = false;
  for (const Story& story : *newest) {
    CHECK(story.title != std::optional<std::string>("Comet seen"));
    if (story.title == std::optional<std::string>("New moon")) {
      found = true;
      CHECK(story.id > largest_id);
    }
  }
  CHECK(found);
}

TEST_CASE("Every table and column of the schema is in the dump", "[store-dump]") {
  test::TempDir dir;
  auto source = filled_store(dir / "a.db");
  const auto lines = lines_of(dump_of(*source));
  std::map<std::string, std::set<std::string>> dumped;
  for (std::size_t i = 1; i + 1 < lines.size(); ++i) {
    const auto line = nlohmann::json::parse(lines[i]);
    for (const auto& [column, value] : line["row"].items()) dumped[line["table"].get<std::string>()].insert(column);
  }
  std::map<std::string, std::set<std::string>> schema;
  for (const std::string& row : rows_of(dir / "a.db")) {
    std::istringstream fields(row);
    std::string table, field;
    std::getline(fields, table, '|');
    while (std::getline(fields, field, '|')) schema[table].insert(field.substr(0, field.find('=')));
  }
  // rows_of only names tables that have rows: every one has, in this store.
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2((dir / "a.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name <> 'schema_migrations'",
                             -1, &stmt, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
  CHECK(static_cast<std::size_t>(sqlite3_column_int64(stmt, 0)) == schema.size());
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  CHECK(dumped == schema);
}

TEST_CASE("A dump is refused by a store that already holds sources, and the store is unchanged", "[store-dump]") {
  test::TempDir dir;
  auto source = filled_store(dir / "a.db");
  const std::string dump = dump_of(*source);
  {
    auto target = open_store(dir / "b.db");
    REQUIRE(target->sync_sources({configured("https://other.example/feed.xml", "Other", {})}).is_ok());
  }
  const auto rows = rows_of(dir / "b.db");
  auto target = open_store(dir / "b.db");
  auto imported = import_text(*target, dump);
  REQUIRE_FALSE(imported.ok());
  CHECK(imported.status().kind() == StatusKind::kInvalidArgument);
  CHECK_THAT(imported.status().message(), Catch::Contains("is not empty (it holds 1 sources)") &&
                                              Catch::Contains("nothing was imported"));
  CHECK(rows_of(dir / "b.db") == rows);
  // Imported once, a second import of the same dump is refused the same way.
  auto fresh = open_store(dir / "c.db");
  REQUIRE(import_text(*fresh, dump).ok());
  auto twice = import_text(*fresh, dump);
  REQUIRE_FALSE(twice.ok());
  CHECK_THAT(twice.status().message(), Catch::Contains("3 sources, 7 stories"));
}

TEST_CASE("A truncated or damaged dump is refused with its line number and nothing is imported", "[store-dump]") {
  test::TempDir dir;
  auto source = filled_store(dir / "a.db");
  const auto lines = lines_of(dump_of(*source));
  REQUIRE(lines.size() > 10);
  auto target = open_store(dir / "b.db");
  const auto empty_rows = rows_of(dir / "b.db");

  auto refused = [&](const std::string& dump) {
    auto imported = import_text(*target, dump);
    REQUIRE_FALSE(imported.ok());
    CHECK(rows_of(dir / "b.db") == empty_rows);
    return imported.status().message();
  };
  SECTION("cut at the end of a line: the missing trailer is named") {
    std::vector<std::string> cut(lines.begin(), lines.begin() + 8);
    CHECK_THAT(refused(joined(cut)), Catch::StartsWith("line 8: the dump ends here without its trailer"));
  }
  SECTION("cut in the middle of a line") {
    std::vector<std::string> cut(lines.begin(), lines.begin() + 9);
    cut.back().resize(cut.back().size() / 2);
    CHECK_THAT(refused(joined(cut)), Catch::StartsWith("line 9: damaged (not JSON"));
  }
  SECTION("a damaged line in the middle") {
    auto damaged = lines;
    damaged[5] = "{\"table\":\"stories\",\"row\":{\"id\":\"seven\"}}";
    CHECK_THAT(refused(joined(damaged)), Catch::StartsWith("line 6: stories.id is not a 64-bit integer"));
  }
  SECTION("the last row left out: the counts no longer match") {
    auto short_one = lines;
    short_one.erase(short_one.end() - 2);
    CHECK_THAT(refused(joined(short_one)), Catch::StartsWith("line " + std::to_string(lines.size() - 1) +
                                                             ": hosts: the header counts"));
  }
  SECTION("a story left out: the first entry that refers to it is refused") {
    auto short_one = lines;
    short_one.erase(short_one.begin() + 4);  // sources on lines 2-4, stories from line 5
    CHECK_THAT(refused(joined(short_one)), Catch::Contains("FOREIGN KEY constraint failed"));
  }
  SECTION("an empty file") { CHECK_THAT(refused(""), Catch::StartsWith("the dump is empty")); }
  SECTION("not a dump at all") {
    CHECK_THAT(refused("<?xml version=\"1.0\"?>\n"), Catch::StartsWith("line 1: damaged (not JSON"));
    CHECK_THAT(refused("{\"version\": \"https://jsonfeed.org/version/1.1\"}\n"),
               Catch::StartsWith("line 1: not a feedd dump"));
    CHECK_THAT(refused("{\"format\": 1}\n"), Catch::StartsWith("line 1: damaged ("));
  }
  // The same store takes the whole dump afterwards: the failed imports left nothing behind.
  REQUIRE(import_text(*target, joined(lines)).ok());
}

TEST_CASE("A dump from a newer schema is refused and nothing is imported", "[store-dump]") {
  test::TempDir dir;
  auto source = filled_store(dir / "a.db");
  auto lines = lines_of(dump_of(*source));
  auto header = nlohmann::json::parse(lines[0]);
  header["schema_version"] = source->schema_version() + 1;
  header["feedd_version"] = "9.9.9";
  lines[0] = header.dump();
  auto target = open_store(dir / "b.db");
  auto imported = import_text(*target, joined(lines));
  REQUIRE_FALSE(imported.ok());
  CHECK_THAT(imported.status().message(),
             Catch::Contains("schema version " + std::to_string(source->schema_version() + 1) +
                             " (written by feedd 9.9.9), newer than this feedd knows"));
  CHECK(target->story_count().value() == 0);
  CHECK(target->source_states().value().empty());
}

TEST_CASE("A dump from an older schema is imported with the newer columns at their defaults", "[store-dump]") {
  test::TempDir dir;
  auto source = filled_store(dir / "a.db");
  auto lines = lines_of(dump_of(*source));
  // As feedd wrote it at schema version 2: sources without migration 3's columns,
  // entries without migration 4's raw_hash.
  for (std::size_t i = 0; i + 1 < lines.size(); ++i) {
    auto line = nlohmann::ordered_json::parse(lines[i]);
    if (i == 0) line["schema_version"] = 2;
    if (line.value("table", "") == "sources") {
      for (const char* column : {"current_url", "redirect_candidate", "gone", "body_hash", "next_fetch"}) {
        line["row"].erase(column);
      }
    }
    if (line.value("table", "") == "entries") line["row"].erase("raw_hash");
    lines[i] = line.dump();
  }
  auto target = open_store(dir / "b.db");
  auto imported = import_text(*target, joined(lines));
  INFO(imported.status().to_string());
  REQUIRE(imported.ok());
  CHECK(imported->schema_version == 2);
  CHECK(target->story_count().value() == source->story_count().value());
  const auto http = target->source_http_states().value();
  REQUIRE(http.size() == 3);
  CHECK(http[1].current_url == std::nullopt);
  CHECK(http[1].gone == false);
  CHECK(target->known_entries(kWorld).value().empty());  // no raw hashes before version 4
  CHECK(feed_pages(*target, std::nullopt) == feed_pages(*source, std::nullopt));
}

TEST_CASE("feedd export piped into feedd import moves the whole store", "[store-dump][cli]") {
  test::TempDir dir;
  const auto a = config_for(dir, "a");
  const auto b = config_for(dir, "b");
  filled_store(dir / "a.db");
  // In a subshell: run_shell's redirections then apply to the pipe as a whole.
  const Ran ran = test::run_shell("(" + quoted(test::kFeeddBinary) + " export --config " + quoted(a) + " 2>" +
                                      quoted(dir / "export.err") + " | " + quoted(test::kFeeddBinary) +
                                      " import --config " + quoted(b) + " -)",
                                  dir);
  INFO(ran.out << ran.err << test::read_file(dir / "export.err"));
  CHECK(ran.exit_code == 0);
  CHECK_THAT(test::read_file(dir / "export.err"), Catch::StartsWith("feedd: exported 3 sources, 7 stories"));
  CHECK_THAT(ran.out, Catch::StartsWith("imported 3 sources, 7 stories"));
  CHECK(rows_of(dir / "b.db") == rows_of(dir / "a.db"));

  // Into a store that now holds them: refused, exit 1, one clear line.
  const Ran again = cli("export --config " + quoted(a) + " --output " + quoted(dir / "store.jsonl"), dir);
  CHECK(again.exit_code == 0);
  CHECK_THAT(again.out, Catch::Contains("to " + (dir / "store.jsonl").string()));
  const Ran refused = cli("import --config " + quoted(b) + " " + quoted(dir / "store.jsonl"), dir);
  CHECK(refused.exit_code == 1);
  CHECK_THAT(refused.err, Catch::Contains("is not empty") && Catch::Contains("nothing was imported"));
  CHECK(cli("import --config " + quoted(b), dir).exit_code == 2);
}

TEST_CASE("feedd export of a database that does not exist fails instead of exporting an empty store",
          "[store-dump][cli]") {
  test::TempDir dir;
  const auto conf = config_for(dir, "missing");
  const Ran ran = cli("export --config " + quoted(conf) + " --output " + quoted(dir / "dump.jsonl"), dir);
  CHECK(ran.exit_code == 1);
  CHECK_THAT(ran.err, Catch::Contains((dir / "missing.db").string() + ": no such database"));
  CHECK_FALSE(std::filesystem::exists(dir / "missing.db"));
  CHECK_FALSE(std::filesystem::exists(dir / "dump.jsonl"));
}

TEST_CASE("feedd import names the line of a truncated dump and exits 1", "[store-dump][cli]") {
  test::TempDir dir;
  const auto a = config_for(dir, "a");
  const auto b = config_for(dir, "b");
  filled_store(dir / "a.db");
  REQUIRE(cli("export --config " + quoted(a) + " --output " + quoted(dir / "full.jsonl"), dir).exit_code == 0);
  const auto lines = lines_of(test::read_file(dir / "full.jsonl"));
  test::write_file(dir / "cut.jsonl", joined({lines.begin(), lines.end() - 3}));
  const Ran ran = cli("import --config " + quoted(b) + " " + quoted(dir / "cut.jsonl"), dir);
  CHECK(ran.exit_code == 1);
  CHECK_THAT(ran.err, Catch::Contains("line " + std::to_string(lines.size() - 3) +
                                      ": the dump ends here without its trailer (it is truncated); nothing was imported"));
  auto target = open_store(dir / "b.db");
  CHECK(target->story_count().value() == 0);
}

TEST_CASE("feedd migrate brings a version-2 database to the newest schema and keeps its stories",
          "[store-dump][cli]") {
  test::TempDir dir;
  const auto conf = config_for(dir, "old");
  {
    // The schema as feedd wrote it at version 2 (migrations 1 and 2), with one story.
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open((dir / "old.db").c_str(), &db) == SQLITE_OK);
    const char* schema = R"sql(
CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL);
INSERT INTO schema_migrations VALUES (1, 1690000000), (2, 1690000000);
CREATE TABLE sources (id INTEGER PRIMARY KEY, url TEXT NOT NULL UNIQUE, title TEXT, tags TEXT NOT NULL DEFAULT '[]',
  feed_title TEXT, etag TEXT, last_modified TEXT, last_fetch INTEGER, last_success INTEGER,
  http_status INTEGER NOT NULL DEFAULT 0, consecutive_failures INTEGER NOT NULL DEFAULT 0, last_error TEXT);
CREATE TABLE stories (id INTEGER PRIMARY KEY, uid TEXT NOT NULL UNIQUE, content_hash TEXT NOT NULL UNIQUE, title TEXT,
  link TEXT, summary TEXT, content TEXT, authors TEXT NOT NULL DEFAULT '[]', categories TEXT NOT NULL DEFAULT '[]',
  enclosures TEXT NOT NULL DEFAULT '[]', published INTEGER, updated INTEGER NOT NULL, first_seen INTEGER NOT NULL,
  sort_time INTEGER NOT NULL, origin_source_id INTEGER NOT NULL REFERENCES sources(id));
CREATE INDEX stories_newest_first ON stories(sort_time DESC, id DESC);
CREATE TABLE entries (source_id INTEGER NOT NULL REFERENCES sources(id), identity TEXT NOT NULL,
  story_id INTEGER NOT NULL REFERENCES stories(id), content_hash TEXT NOT NULL, entry_link TEXT,
  first_seen INTEGER NOT NULL, PRIMARY KEY (source_id, identity)) WITHOUT ROWID;
CREATE INDEX entries_by_story ON entries(story_id, first_seen);
ALTER TABLE entries ADD COLUMN merge_reason TEXT;
CREATE TABLE story_bands (band_key INTEGER NOT NULL, story_id INTEGER NOT NULL REFERENCES stories(id));
CREATE INDEX story_bands_by_key ON story_bands(band_key);
CREATE INDEX story_bands_by_story ON story_bands(story_id);
CREATE TABLE pruned_entries (source_id INTEGER NOT NULL REFERENCES sources(id), identity TEXT NOT NULL,
  PRIMARY KEY (source_id, identity)) WITHOUT ROWID;
CREATE TABLE pruned_hashes (content_hash TEXT PRIMARY KEY) WITHOUT ROWID;
INSERT INTO sources(id, url, etag) VALUES (1, 'https://world.example.org/rss.xml', '"v2"');
INSERT INTO stories(id, uid, content_hash, title, updated, first_seen, sort_time, origin_source_id)
  VALUES (1, 'urn:feedd:story:00ff', 'hash-1', 'Kept across the migration', 1690000000, 1690000000, 1690000000, 1);
INSERT INTO entries(source_id, identity, story_id, content_hash, first_seen) VALUES (1, 'g1', 1, 'hash-1', 1690000000);
)sql";
    char* error = nullptr;
    REQUIRE(sqlite3_exec(db, schema, nullptr, nullptr, &error) == SQLITE_OK);
    sqlite3_close(db);
  }
  const Ran ran = cli("migrate --config " + quoted(conf), dir);
  INFO(ran.out << ran.err);
  CHECK(ran.exit_code == 0);
  CHECK(ran.out == (dir / "old.db").string() + ": schema at version " + newest_version() + " (migrated from 2)\n");
  const Ran again = cli("migrate --config " + quoted(conf), dir);
  CHECK(again.exit_code == 0);
  CHECK(again.out == (dir / "old.db").string() + ": already at version " + newest_version() + "\n");

  auto store = open_store(dir / "old.db");
  CHECK(std::to_string(store->schema_version_found()) == newest_version());
  auto stories = store->newest_stories(10);
  REQUIRE(stories.ok());
  REQUIRE(stories->size() == 1);
  CHECK(stories->front().uid == "urn:feedd:story:00ff");
  CHECK(store->source_http_states().value().front().gone == false);  // a column migration 3 added
  CHECK(store->source_state(kWorld).value()->etag == "\"v2\"");
}

TEST_CASE("feedd migrate refuses a database from a newer feedd and exits 1", "[store-dump][cli]") {
  test::TempDir dir;
  const auto conf = config_for(dir, "new");
  CHECK(cli("migrate --config " + quoted(conf), dir).out ==
        (dir / "new.db").string() + ": schema created at version " + newest_version() + "\n");
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open((dir / "new.db").c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db, "INSERT INTO schema_migrations VALUES (99, 0)", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
  const Ran ran = cli("migrate --config " + quoted(conf), dir);
  CHECK(ran.exit_code == 1);
  CHECK_THAT(ran.err, Catch::Contains("schema version 99 is newer than this feedd knows (" + newest_version() + ")"));
}

TEST_CASE("A store moved from SQLite to PostgreSQL and back serves the same feeds and keeps its tombstones",
          "[store-dump][postgres]") {
  test::TempDir dir;
  auto sqlite = filled_store(dir / "a.db");
  const test::TestDatabase database;
  auto postgres = Store::open(database.uri());
  INFO(postgres.status().to_string());
  REQUIRE(postgres.ok());
  auto moved = import_text(**postgres, dump_of(*sqlite));
  INFO(moved.status().to_string());
  REQUIRE(moved.ok());
  CHECK(moved->count("stories") == 7);
  for (const std::optional<std::string>& tag : {std::optional<std::string>(), std::optional<std::string>("news")}) {
    INFO("tag " << tag.value_or("(unified)"));
    CHECK(feed_pages(**postgres, tag) == feed_pages(*sqlite, tag));
  }
  // A pruned story stays pruned on PostgreSQL, and new stories get ids after the moved ones.
  const ApplyStats again = apply(**postgres, fetched(kScience, {make_entry(kScience, "s1", "Comet seen",
                                                                           "A comet was seen.")}),
                                 kT0 + 6h);
  CHECK(again.new_stories == 0);
  const ApplyStats fresh =
      apply(**postgres, fetched(kScience, {make_entry(kScience, "s9", "Aurora tonight", "Look north.")}), kT0 + 6h);
  CHECK(fresh.new_stories == 1);
  // And back: a new SQLite file from PostgreSQL's dump serves what PostgreSQL serves.
  auto back = open_store(dir / "back.db");
  REQUIRE(import_text(*back, dump_of(**postgres)).ok());
  CHECK(feed_pages(*back, std::nullopt) == feed_pages(**postgres, std::nullopt));
  CHECK(*back->story_count() == 8);
}
