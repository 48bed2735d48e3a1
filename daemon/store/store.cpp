#include "feedd/store.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <charconv>
#include <cstdio>
#include <limits>
#include <mutex>
#include <unordered_map>
#include <unordered_set>

#include "dedup/sha256.hpp"
#include "feedd/dedup.hpp"
#include "store/json_columns.hpp"
#include "store/migrations.hpp"
#include "store/sqlite.hpp"

namespace feedd {

std::string SourceState::display_name() const {
  if (title && !title->empty()) return *title;
  if (feed_title && !feed_title->empty()) return *feed_title;
  return url;
}

namespace {

using db::Statement;
using db::Transaction;

constexpr std::string_view kStoryUidPrefix = "urn:feedd:story:";

// Derived from where the story was first seen, never from its content, so it stays the
// same when the story is updated in place.
std::string story_uid(const std::string& source_url, const std::string& identity) {
  return std::string(kStoryUidPrefix) + dedup::sha256_hex(source_url + "\n" + identity).substr(0, 32);
}

// A published time is trusted for ordering unless it lies in the future: a feed that
// post-dates its items must not pin them to the top of the unified feed.
std::optional<Timestamp> trusted_published(const Entry& entry, Timestamp now) {
  if (entry.published && *entry.published <= now) return entry.published;
  return std::nullopt;
}

Status in_context(const std::string& doing, const Status& status) {
  return Status::database(doing + ": " + status.message());
}

std::int64_t sql_limit(std::size_t limit) {
  return static_cast<std::int64_t>(std::min<std::size_t>(limit, std::numeric_limits<std::int64_t>::max()));
}

// The columns every SourceState query selects, in read_source_state's order.
constexpr const char* kSourceStateColumns =
    "SELECT url, title, feed_title, etag, last_modified, last_fetch, last_success, http_status,"
    " consecutive_failures, last_error,"
    " (SELECT COUNT(*) FROM entries WHERE entries.source_id = sources.id) FROM sources";

SourceState read_source_state(const Statement& row) {
  SourceState state;
  state.url = row.column_text(0);
  state.title = row.column_optional_text(1);
  state.feed_title = row.column_optional_text(2);
  state.etag = row.column_optional_text(3);
  state.last_modified = row.column_optional_text(4);
  state.last_fetch = row.column_optional_time(5);
  state.last_success = row.column_optional_time(6);
  state.http_status = static_cast<int>(row.column_int64(7));
  state.consecutive_failures = static_cast<int>(row.column_int64(8));
  state.last_error = row.column_optional_text(9);
  state.entries = row.column_int64(10);
  return state;
}

// One page of stories, newest first, strictly older than the cursor (?2, ?3): a row-value
// comparison, so the index stories_newest_first seeks straight to the cursor.
// ?4 (NULL for all) keeps the stories carried by a source tagged so.
constexpr const char* kStoriesPageSql =
    "SELECT id, uid, content_hash, title, link, summary, content, authors, categories, enclosures,"
    " published, updated, first_seen, sort_time FROM stories"
    " WHERE (sort_time, id) < (?2, ?3)"
    "   AND (?4 IS NULL OR EXISTS (SELECT 1 FROM entries e JOIN sources s ON s.id = e.source_id,"
    "        json_each(s.tags) AS t WHERE e.story_id = stories.id AND t.value = ?4))"
    " ORDER BY sort_time DESC, id DESC LIMIT ?1";

// Every source of the stories whose ids are in the JSON array ?1, in one query. A source
// that carried one story under two identities is listed once (its earliest entry: SQLite
// takes the bare columns from the MIN() row). The origin first, then by when each source
// first carried it.
constexpr const char* kStorySourcesSql =
    "SELECT e.story_id, s.url, s.title, s.feed_title, e.entry_link, MIN(e.first_seen),"
    "       e.source_id = st.origin_source_id AS is_origin, e.merge_reason"
    " FROM stories st"
    " JOIN entries e ON e.story_id = st.id"
    " JOIN sources s ON s.id = e.source_id"
    " WHERE st.id IN (SELECT value FROM json_each(?1))"
    " GROUP BY e.story_id, e.source_id"
    " ORDER BY e.story_id, is_origin DESC, MIN(e.first_seen), e.source_id";

Story read_story(const Statement& row) {
  Story story;
  story.id = row.column_int64(0);
  story.uid = row.column_text(1);
  story.content_hash = row.column_text(2);
  story.title = row.column_optional_text(3);
  story.link = row.column_optional_text(4);
  story.summary = row.column_optional_text(5);
  story.content = row.column_optional_text(6);
  story.authors = db::strings_from_json(row.column_text(7));
  story.categories = db::strings_from_json(row.column_text(8));
  story.enclosures = db::enclosures_from_json(row.column_text(9));
  story.published = row.column_optional_time(10);
  story.updated = row.column_time(11);
  story.first_seen = row.column_time(12);
  story.sort_time = row.column_time(13);
  return story;
}

StorySource read_story_source(const Statement& row) {
  SourceState names;
  names.url = row.column_text(1);
  names.title = row.column_optional_text(2);
  names.feed_title = row.column_optional_text(3);
  StorySource source;
  source.url = names.url;
  source.name = names.display_name();
  source.entry_link = row.column_optional_text(4);
  source.first_seen = row.column_time(5);
  // The origin's own entry may carry a reason from an earlier story it once joined.
  if (row.column_int64(6) == 0) source.merge_reason = row.column_optional_text(7);
  return source;
}

// What the store holds for one (source, identity).
struct StoredEntry {
  std::string content_hash;
  std::int64_t story_id = 0;
  bool from_origin = false;  // the entry is its story's origin entry
};

constexpr const char* kSameHashReason = "same content hash";

std::string near_duplicate_reason(double score) {
  char text[48];
  std::snprintf(text, sizeof text, "near duplicate (score %.2f)", score);
  return text;
}

std::string ids_json(const std::vector<Story>& stories) {
  std::string json = "[";
  for (const Story& story : stories) {
    if (json.size() > 1) json += ',';
    json += std::to_string(story.id);
  }
  return json + "]";
}

template <typename Int>
std::string ints_json(const std::vector<Int>& values) {
  std::string json = "[";
  for (Int value : values) {
    if (json.size() > 1) json += ',';
    json += std::to_string(value);
  }
  return json + "]";
}

// "(?2, ?1), (?3, ?1), ...": one row per band key, the story id in ?1.
const std::string kInsertBandsSql = [] {
  std::string sql = "INSERT INTO story_bands(band_key, story_id) VALUES ";
  for (std::size_t i = 0; i < dedup::kBandKeys; ++i) sql += (i ? ", (?" : "(?") + std::to_string(i + 2) + ", ?1)";
  return sql;
}();

// The stories (first seen since ?1) sharing a band key with ?2 ... ?17. The ids first,
// then the texts: DISTINCT over the texts themselves would sort whole stories.
const std::string kNearCandidatesSql = [] {
  std::string sql =
      "SELECT s.id, s.title, COALESCE(s.content, s.summary, '') FROM stories s"
      " WHERE s.id IN (SELECT story_id FROM story_bands WHERE band_key IN (";
  for (std::size_t i = 0; i < dedup::kBandKeys; ++i) sql += (i ? ", ?" : "?") + std::to_string(i + 2);
  return sql + ")) AND s.first_seen >= ?1";
}();

}  // namespace

struct Store::Impl {
  Impl(std::filesystem::path file, db::DatabaseHandle handle, StoreOptions opts)
      : path(std::move(file)), db(std::move(handle)), statements(db.get()), options(opts) {}

  std::filesystem::path path;
  db::DatabaseHandle db;  // declared before `statements`: statements finalize first
  db::StatementCache statements;
  StoreOptions options;
  bool batch_open = false;  // between begin_batch() and commit_batch()
  int schema_version = 0;
  bool near_duplicates = true;
  std::chrono::seconds near_window = std::chrono::hours(24 * 7);

  Status configure();
  Status check_integrity();
  Status batch_still_open() const;
  Result<bool> is_tombstoned(std::int64_t source_id, const std::string& identity, const std::string& content_hash);
  Result<std::optional<std::pair<std::int64_t, double>>> near_duplicate_of(const std::vector<std::int64_t>& keys,
                                                                            const std::vector<std::uint64_t>& shingles,
                                                                            Timestamp now);
  Status store_band_keys(std::int64_t story_id, const std::vector<std::int64_t>& keys, bool replace);
  Status vacuum();
  Result<std::int64_t> record_fetched_source(const FetchedFeed& fetched, Timestamp now);
  Result<std::optional<StoredEntry>> stored_entry(std::int64_t source_id, const std::string& identity);
  Result<std::optional<std::int64_t>> story_with_hash(const std::string& content_hash);
  Result<std::int64_t> insert_story(std::int64_t source_id, const std::string& source_url,
                                    const std::string& identity, const Entry& entry, Timestamp now);
  Status update_story(std::int64_t story_id, const Entry& entry, Timestamp now);
  Status insert_entry(std::int64_t source_id, const std::string& identity, std::int64_t story_id,
                      const Entry& entry, Timestamp now, const std::optional<std::string>& merge_reason = {});
  Status repoint_entry(std::int64_t source_id, const std::string& identity, std::int64_t story_id,
                       const Entry& entry);
  Status note_raw_hash(std::int64_t source_id, const std::string& identity, const Entry& entry);
  Status apply_entry(std::int64_t source_id, const std::string& source_url, const std::string& identity,
                     const Entry& entry, const dedup::NearPrint* print, Timestamp now, ApplyStats& stats);
  Status attach_sources(std::vector<Story>& stories);
};

Status Store::Impl::configure() {
  // Incremental auto-vacuum can only be chosen before the first table exists; files made
  // by an older feedd are converted by prune() the first time it frees much (see vacuum).
  {
    auto tables = Statement::prepare(db.get(), "SELECT COUNT(*) FROM sqlite_master");
    if (!tables.ok()) return tables.status();
    auto row = tables->step();
    if (!row.ok()) return row.status();
    if (*row && tables->column_int64(0) == 0) {
      if (Status s = db::exec(db.get(), "PRAGMA auto_vacuum = INCREMENTAL"); !s.is_ok()) return s;
    }
  }
  // WAL: readers (the HTTP side's own connection) never block the writer, and a commit
  // is one append to the log. synchronous=NORMAL syncs the log only at checkpoints, not
  // at every commit: a killed process loses nothing committed, and a power loss can drop
  // the last few commits but never corrupts the file (SQLite's documented WAL guarantee).
  // Those lost commits are re-fetched next time: validators go in the same transaction.
  auto mode = Statement::prepare(db.get(), "PRAGMA journal_mode = WAL");
  if (!mode.ok()) return mode.status();
  auto row = mode->step();
  if (!row.ok()) return row.status();
  const std::string journal = *row ? mode->column_text(0) : "";
  if (journal != "wal") {
    return Status::database(path.string() + ": cannot switch to WAL journal mode (got '" + journal + "')");
  }
  // Statement journals and transient sort indexes stay in memory: on disk (/var/tmp) they
  // cost a million small writes on a cold pass of 500 feeds (bench/fetch.sh).
  // The page cache: StoreOptions::cache_kib says why it is larger than SQLite's default.
  const std::string pragmas = "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;"
                              " PRAGMA cache_size = -" + std::to_string(options.cache_kib);
  return db::exec(db.get(), pragmas.c_str());
}

Status Store::Impl::check_integrity() {
  // quick_check reads every page and checks each b-tree's structure (not the indexes
  // against their tables, which a damaged page breaks too): what a crash, a bad disk or a
  // stray write leaves. Its first rows say what is wrong; "ok" alone means nothing is.
  auto check = Statement::prepare(db.get(), "PRAGMA quick_check(3)");
  std::string problems;
  if (check.ok()) {
    for (;;) {
      auto row = check->step();
      if (!row.ok()) {
        problems = sqlite3_errmsg(db.get());
        break;
      }
      if (!*row) break;
      const std::string line = check->column_text(0);
      if (line == "ok") continue;
      problems += (problems.empty() ? "" : "; ") + line;
    }
  } else {
    problems = sqlite3_errmsg(db.get());
  }
  if (problems.empty()) return Status::ok();
  return Status::database(path.string() + ": the database is damaged (" + problems +
                          "); feedd will not write into it: restore it from a backup, or move it aside to start an "
                          "empty one");
}

Status Store::Impl::batch_still_open() const {
  // SQLite ended the batch's transaction itself after an error (SQLITE_FULL, an I/O
  // error): a write now would commit on its own, outside the batch its caller counts on.
  if (batch_open && sqlite3_get_autocommit(db.get())) {
    return Status::database(path.string() + ": the group commit was rolled back by an earlier error");
  }
  return Status::ok();
}

Result<std::int64_t> Store::Impl::record_fetched_source(const FetchedFeed& fetched, Timestamp now) {
  // A feed that stops sending its title keeps the one it had; validators are replaced
  // outright, since old ones the server no longer sends would only cause full fetches.
  auto stmt = statements.get(
      "INSERT INTO sources(url, feed_title, etag, last_modified, last_fetch, last_success, http_status,"
      "                    consecutive_failures, last_error)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, 0, NULL)"
      " ON CONFLICT(url) DO UPDATE SET feed_title = COALESCE(excluded.feed_title, feed_title),"
      "   etag = excluded.etag, last_modified = excluded.last_modified, last_fetch = excluded.last_fetch,"
      "   last_success = excluded.last_success, http_status = excluded.http_status,"
      "   consecutive_failures = 0, last_error = NULL"
      " RETURNING id");
  if (!stmt.ok()) return stmt.status();
  (*stmt)->bind(1, fetched.source_url)
      .bind(2, fetched.feed.feed.title)
      .bind(3, fetched.etag)
      .bind(4, fetched.last_modified)
      .bind(5, now)
      .bind(6, fetched.http_status);
  auto row = (*stmt)->step();
  if (!row.ok()) return row.status();
  return (*stmt)->column_int64(0);
}

Result<std::optional<StoredEntry>> Store::Impl::stored_entry(std::int64_t source_id, const std::string& identity) {
  auto stmt = statements.get(
      "SELECT e.content_hash, e.story_id, s.origin_source_id = e.source_id FROM entries e"
      " JOIN stories s ON s.id = e.story_id WHERE e.source_id = ?1 AND e.identity = ?2");
  if (!stmt.ok()) return stmt.status();
  (*stmt)->bind(1, source_id).bind(2, identity);
  auto row = (*stmt)->step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<StoredEntry>();
  return std::optional<StoredEntry>(
      StoredEntry{(*stmt)->column_text(0), (*stmt)->column_int64(1), (*stmt)->column_int64(2) != 0});
}

Result<std::optional<std::int64_t>> Store::Impl::story_with_hash(const std::string& content_hash) {
  auto stmt = statements.get("SELECT id FROM stories WHERE content_hash = ?1");
  if (!stmt.ok()) return stmt.status();
  (*stmt)->bind(1, content_hash);
  auto row = (*stmt)->step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<std::int64_t>();
  return std::optional<std::int64_t>((*stmt)->column_int64(0));
}

Result<std::int64_t> Store::Impl::insert_story(std::int64_t source_id, const std::string& source_url,
                                               const std::string& identity, const Entry& entry, Timestamp now) {
  auto stmt = statements.get(
      "INSERT INTO stories(uid, content_hash, title, link, summary, content, authors, categories, enclosures,"
      "                    published, updated, first_seen, sort_time, origin_source_id)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11, ?12, ?13) RETURNING id");
  if (!stmt.ok()) return stmt.status();
  (*stmt)->bind(1, story_uid(source_url, identity))
      .bind(2, entry.content_hash)
      .bind(3, entry.title)
      .bind(4, entry.link)
      .bind(5, entry.summary)
      .bind(6, entry.content)
      .bind(7, db::strings_to_json(entry.authors))
      .bind(8, db::strings_to_json(entry.categories))
      .bind(9, db::enclosures_to_json(entry.enclosures))
      .bind(10, entry.published)
      .bind(11, now)
      .bind(12, trusted_published(entry, now).value_or(now))
      .bind(13, source_id);
  auto row = (*stmt)->step();
  if (!row.ok()) return row.status();
  return (*stmt)->column_int64(0);
}

Status Store::Impl::update_story(std::int64_t story_id, const Entry& entry, Timestamp now) {
  // The uid, id, first_seen and origin stay: readers already know the story by them.
  // The sort position moves only when the entry now gives a trustworthy published time.
  auto stmt = statements.get(
      "UPDATE stories SET content_hash = ?2, title = ?3, link = ?4, summary = ?5, content = ?6, authors = ?7,"
      "   categories = ?8, enclosures = ?9, published = ?10, updated = ?11, sort_time = COALESCE(?12, sort_time)"
      " WHERE id = ?1");
  if (!stmt.ok()) return stmt.status();
  return (*stmt)
      ->bind(1, story_id)
      .bind(2, entry.content_hash)
      .bind(3, entry.title)
      .bind(4, entry.link)
      .bind(5, entry.summary)
      .bind(6, entry.content)
      .bind(7, db::strings_to_json(entry.authors))
      .bind(8, db::strings_to_json(entry.categories))
      .bind(9, db::enclosures_to_json(entry.enclosures))
      .bind(10, entry.published)
      .bind(11, now)
      .bind(12, trusted_published(entry, now))
      .run();
}

Status Store::Impl::insert_entry(std::int64_t source_id, const std::string& identity, std::int64_t story_id,
                                 const Entry& entry, Timestamp now, const std::optional<std::string>& merge_reason) {
  auto stmt = statements.get(
      "INSERT INTO entries(source_id, identity, story_id, content_hash, entry_link, first_seen, merge_reason,"
      " raw_hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, NULLIF(?8, ''))");
  if (!stmt.ok()) return stmt.status();
  return (*stmt)
      ->bind(1, source_id)
      .bind(2, identity)
      .bind(3, story_id)
      .bind(4, entry.content_hash)
      .bind(5, entry.link)
      .bind(6, now)
      .bind(7, merge_reason)
      .bind(8, entry.raw_hash)
      .run();
}

Result<bool> Store::Impl::is_tombstoned(std::int64_t source_id, const std::string& identity,
                                        const std::string& content_hash) {
  auto stmt = statements.get(
      "SELECT EXISTS (SELECT 1 FROM pruned_entries WHERE source_id = ?1 AND identity = ?2)"
      "    OR EXISTS (SELECT 1 FROM pruned_hashes WHERE content_hash = ?3)");
  if (!stmt.ok()) return stmt.status();
  (*stmt)->bind(1, source_id).bind(2, identity).bind(3, content_hash);
  auto row = (*stmt)->step();
  if (!row.ok()) return row.status();
  return (*stmt)->column_int64(0) != 0;
}

Result<std::optional<std::pair<std::int64_t, double>>> Store::Impl::near_duplicate_of(
    const std::vector<std::int64_t>& keys, const std::vector<std::uint64_t>& shingles, Timestamp now) {
  using Found = std::optional<std::pair<std::int64_t, double>>;
  if (keys.empty()) return Found();
  // The band index gives the few stories sharing a band; only they are compared exactly.
  if (keys.size() != dedup::kBandKeys) return Status::invalid_argument("near-duplicate lookup: unexpected number of band keys");
  auto stmt = statements.get(kNearCandidatesSql);
  if (!stmt.ok()) return stmt.status();
  (*stmt)->bind(1, now - near_window);
  for (std::size_t i = 0; i < keys.size(); ++i) (*stmt)->bind(static_cast<int>(i) + 2, keys[i]);
  Found best;
  for (;;) {
    auto row = (*stmt)->step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    const auto theirs = dedup::shingles((*stmt)->column_text(1), (*stmt)->column_text(2));
    const dedup::Similarity similar = dedup::similarity(shingles, theirs);
    if (!similar.is_near_duplicate()) continue;
    if (!best || similar.score() > best->second) best = std::make_pair((*stmt)->column_int64(0), similar.score());
  }
  return best;
}

Status Store::Impl::store_band_keys(std::int64_t story_id, const std::vector<std::int64_t>& keys, bool replace) {
  if (replace) {
    auto clear = statements.get("DELETE FROM story_bands WHERE story_id = ?1");
    if (!clear.ok()) return clear.status();
    if (Status s = (*clear)->bind(1, story_id).run(); !s.is_ok()) return s;
  }
  if (keys.empty()) return Status::ok();
  // One statement of kBandKeys rows (every text long enough to judge has that many keys):
  // bound integers, no JSON to write and read back.
  if (keys.size() == dedup::kBandKeys) {
    auto insert = statements.get(kInsertBandsSql);
    if (!insert.ok()) return insert.status();
    (*insert)->bind(1, story_id);
    for (std::size_t i = 0; i < keys.size(); ++i) (*insert)->bind(static_cast<int>(i) + 2, keys[i]);
    return (*insert)->run();
  }
  auto insert = statements.get(
      "INSERT INTO story_bands(band_key, story_id) SELECT value, ?2 FROM json_each(?1)");
  if (!insert.ok()) return insert.status();
  return (*insert)->bind(1, ints_json(keys)).bind(2, story_id).run();
}

Status Store::Impl::repoint_entry(std::int64_t source_id, const std::string& identity, std::int64_t story_id,
                                  const Entry& entry) {
  auto stmt = statements.get(
      "UPDATE entries SET story_id = ?3, content_hash = ?4, entry_link = ?5, raw_hash = NULLIF(?6, '')"
      " WHERE source_id = ?1 AND identity = ?2");
  if (!stmt.ok()) return stmt.status();
  return (*stmt)
      ->bind(1, source_id)
      .bind(2, identity)
      .bind(3, story_id)
      .bind(4, entry.content_hash)
      .bind(5, entry.link)
      .bind(6, entry.raw_hash)
      .run();
}

Status Store::Impl::note_raw_hash(std::int64_t source_id, const std::string& identity, const Entry& entry) {
  if (entry.raw_hash.empty()) return Status::ok();
  auto stmt = statements.get(
      "UPDATE entries SET raw_hash = ?3 WHERE source_id = ?1 AND identity = ?2 AND raw_hash IS NOT ?3");
  if (!stmt.ok()) return stmt.status();
  return (*stmt)->bind(1, source_id).bind(2, identity).bind(3, entry.raw_hash).run();
}

Status Store::Impl::apply_entry(std::int64_t source_id, const std::string& source_url, const std::string& identity,
                                const Entry& entry, const dedup::NearPrint* print, Timestamp now, ApplyStats& stats) {
  auto stored = stored_entry(source_id, identity);
  if (!stored.ok()) return stored.status();
  auto owner = story_with_hash(entry.content_hash);
  if (!owner.ok()) return owner.status();

  dedup::Known known;
  if (*stored) known.hash_for_identity = (*stored)->content_hash;
  known.hash_known = owner->has_value();

  const dedup::Decision decision = dedup::decide(entry.content_hash, known);
  if (decision == dedup::Decision::kNewStory || decision == dedup::Decision::kNewCopy) {
    // A story pruned for its age stays gone while its source (or any other) still lists it.
    auto pruned = is_tombstoned(source_id, identity, entry.content_hash);
    if (!pruned.ok()) return pruned.status();
    if (*pruned) {
      ++stats.unchanged;
      return Status::ok();
    }
  }
  switch (decision) {
    case dedup::Decision::kUnchanged:
      // Same content written differently (white space, attribute order): the next fetch
      // knows it by these bytes.
      ++stats.unchanged;
      return note_raw_hash(source_id, identity, entry);
    case dedup::Decision::kNewStory: {
      dedup::NearPrint computed;
      if (near_duplicates && !print) {
        computed = dedup::near_print(entry);
        print = &computed;
      }
      const std::vector<std::int64_t> no_keys;
      const std::vector<std::int64_t>& keys = near_duplicates ? print->band_keys : no_keys;
      if (near_duplicates) {
        auto similar = near_duplicate_of(keys, print->shingles, now);
        if (!similar.ok()) return similar.status();
        if (*similar) {
          ++stats.new_copies;
          ++stats.near_copies;
          return insert_entry(source_id, identity, (*similar)->first, entry, now,
                              near_duplicate_reason((*similar)->second));
        }
      }
      auto story_id = insert_story(source_id, source_url, identity, entry, now);
      if (!story_id.ok()) return story_id.status();
      ++stats.new_stories;
      if (!keys.empty()) {
        if (Status s = store_band_keys(*story_id, keys, /*replace=*/false); !s.is_ok()) return s;
      }
      return insert_entry(source_id, identity, *story_id, entry, now);
    }
    case dedup::Decision::kNewCopy:
      ++stats.new_copies;
      return insert_entry(source_id, identity, **owner, entry, now, std::string(kSameHashReason));
    case dedup::Decision::kChanged:
      break;
  }

  // Changed content. When another story already holds the new content (the entry was
  // edited into a copy of something stored), the entry joins that story instead of
  // breaking the one-story-per-hash rule; its old story keeps the text other sources may
  // still carry. Otherwise the entry's story is updated in place.
  if (*owner) {
    if (**owner == (*stored)->story_id) {
      ++stats.unchanged;  // its story already shows this content, via another source
    } else {
      ++stats.new_copies;
    }
    return repoint_entry(source_id, identity, **owner, entry);
  }
  // A copy's own edits (a near duplicate re-edited by its republisher) do not rewrite the
  // story its origin tells; the origin's edits do.
  if (!(*stored)->from_origin) {
    ++stats.unchanged;
    return repoint_entry(source_id, identity, (*stored)->story_id, entry);
  }
  Status status = update_story((*stored)->story_id, entry, now);
  if (!status.is_ok()) return status;
  ++stats.changed;
  if (near_duplicates) {
    const auto keys = print ? print->band_keys : dedup::near_print(entry).band_keys;
    if (Status s = store_band_keys((*stored)->story_id, keys, /*replace=*/true); !s.is_ok()) return s;
  }
  return repoint_entry(source_id, identity, (*stored)->story_id, entry);
}

Status Store::Impl::attach_sources(std::vector<Story>& stories) {
  std::unordered_map<std::int64_t, Story*> by_id;
  for (Story& story : stories) by_id.emplace(story.id, &story);
  auto stmt = statements.get(kStorySourcesSql);
  if (!stmt.ok()) return stmt.status();
  (*stmt)->bind(1, ids_json(stories));
  for (;;) {
    auto row = (*stmt)->step();
    if (!row.ok()) return row.status();
    if (!*row) return Status::ok();
    auto story = by_id.find((*stmt)->column_int64(0));
    if (story != by_id.end()) story->second->sources.push_back(read_story_source(**stmt));
  }
}

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Store::~Store() = default;

Result<std::unique_ptr<Store>> Store::open(const std::filesystem::path& file, StoreOptions options) {
  // SQLite's memory statistics (which feedd never reads) take a global mutex on every
  // allocation. Only possible before SQLite initialises; later it is refused, harmlessly.
  static std::once_flag no_memory_statistics;
  std::call_once(no_memory_statistics, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
  sqlite3* raw = nullptr;
  // NOMUTEX: a Store is used by one thread at a time (see store.hpp), so SQLite's
  // per-connection mutex would only cost.
  const int rc = sqlite3_open_v2(file.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                                 nullptr);
  db::DatabaseHandle handle(raw);  // SQLite hands out a handle even on failure
  if (rc != SQLITE_OK) {
    const char* message = raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    return Status::database(file.string() + ": cannot open: " + message);
  }
  auto impl = std::make_unique<Impl>(file, std::move(handle), options);
  sqlite3_busy_timeout(impl->db.get(), static_cast<int>(options.busy_timeout.count()));
  // Before anything writes: switching to WAL rewrites the header of whatever is there.
  if (options.check_integrity) {
    if (Status s = impl->check_integrity(); !s.is_ok()) return s;
  }
  // Errors from here on already name the file (db::error).
  Status status = impl->configure();
  if (!status.is_ok()) {
    const int code = sqlite3_errcode(impl->db.get());
    if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT) {
      return Status::database(file.string() + ": not a usable feedd database (" + sqlite3_errmsg(impl->db.get()) +
                              "); it is left as it is: restore it from a backup, or move it aside to start an empty one");
    }
    return status;
  }
  auto version = db::migrate(impl->db.get());
  if (!version.ok()) return version.status();
  impl->schema_version = *version;
  return std::unique_ptr<Store>(new Store(std::move(impl)));
}

Status Store::sync_sources(const std::vector<Source>& sources) {
  const std::string doing = "recording configured sources";
  auto txn = Transaction::begin(impl_->db.get(), Transaction::Mode::kWrite);
  if (!txn.ok()) return in_context(doing, txn.status());
  for (const Source& source : sources) {
    auto stmt = impl_->statements.get(
        "INSERT INTO sources(url, title, tags) VALUES (?1, ?2, ?3)"
        " ON CONFLICT(url) DO UPDATE SET title = excluded.title, tags = excluded.tags");
    if (!stmt.ok()) return in_context(doing, stmt.status());
    Status status = (*stmt)->bind(1, source.url).bind(2, source.title).bind(3, db::strings_to_json(source.tags)).run();
    if (!status.is_ok()) return in_context(doing, status);
  }
  Status status = txn->commit();
  return status.is_ok() ? status : in_context(doing, status);
}

Result<ApplyStats> Store::apply_fetch(const FetchedFeed& fetched, Timestamp now) {
  const std::string doing = "storing fetch of " + fetched.source_url;
  if (Status s = impl_->batch_still_open(); !s.is_ok()) return in_context(doing, s);
  // Everything below is one transaction: on any error the guard rolls back the entries
  // and the validators together, so a stored ETag never hides entries never stored.
  auto txn = Transaction::begin(impl_->db.get(), Transaction::Mode::kWrite);
  if (!txn.ok()) return in_context(doing, txn.status());
  auto source_id = impl_->record_fetched_source(fetched, now);
  if (!source_id.ok()) return in_context(doing, source_id.status());

  ApplyStats stats;
  // A feed that repeats an identity is describing one item twice: the first one wins
  // and the repeats are ignored (not counted).
  // Entries parse_feed left out as known and unchanged count as unchanged, and come first
  // in `seen` as they would have: a later repeat of their identity is still ignored.
  std::unordered_set<std::string> seen(fetched.feed.unchanged_identities.begin(),
                                       fetched.feed.unchanged_identities.end());
  stats.unchanged += static_cast<int>(seen.size());
  const auto& entries = fetched.feed.entries;
  const bool printed = fetched.near_prints.size() == entries.size();
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const Entry& entry = entries[i];
    std::string identity = dedup::entry_identity(entry);
    if (!seen.insert(identity).second) continue;
    Status status = impl_->apply_entry(*source_id, fetched.source_url, identity, entry,
                                       printed ? &fetched.near_prints[i] : nullptr, now, stats);
    if (!status.is_ok()) return in_context(doing, status);
  }
  Status status = txn->commit();
  if (!status.is_ok()) return in_context(doing, status);
  return stats;
}

Result<KnownEntries> Store::known_entries(const std::string& source_url) {
  auto stmt = impl_->statements.get(
      "SELECT e.identity, e.raw_hash FROM entries e JOIN sources s ON s.id = e.source_id"
      " WHERE s.url = ?1 AND e.raw_hash IS NOT NULL");
  if (!stmt.ok()) return in_context("reading known entries of " + source_url, stmt.status());
  (*stmt)->bind(1, source_url);
  KnownEntries known;
  for (;;) {
    auto row = (*stmt)->step();
    if (!row.ok()) return in_context("reading known entries of " + source_url, row.status());
    if (!*row) return known;
    known.emplace((*stmt)->column_text(0), (*stmt)->column_text(1));
  }
}

Status Store::record_not_modified(const std::string& source_url, int http_status, Timestamp now) {
  if (Status s = impl_->batch_still_open(); !s.is_ok()) return in_context("recording 304 of " + source_url, s);
  auto stmt = impl_->statements.get(
      "INSERT INTO sources(url, last_fetch, last_success, http_status) VALUES (?1, ?2, ?2, ?3)"
      " ON CONFLICT(url) DO UPDATE SET last_fetch = excluded.last_fetch, last_success = excluded.last_success,"
      "   http_status = excluded.http_status, consecutive_failures = 0, last_error = NULL");
  if (!stmt.ok()) return in_context("recording 304 of " + source_url, stmt.status());
  Status status = (*stmt)->bind(1, source_url).bind(2, now).bind(3, http_status).run();
  return status.is_ok() ? status : in_context("recording 304 of " + source_url, status);
}

Status Store::record_failure(const std::string& source_url, int http_status, const std::string& error,
                             Timestamp now) {
  if (Status s = impl_->batch_still_open(); !s.is_ok()) return in_context("recording failure of " + source_url, s);
  auto stmt = impl_->statements.get(
      "INSERT INTO sources(url, last_fetch, http_status, consecutive_failures, last_error) VALUES (?1, ?2, ?3, 1, ?4)"
      " ON CONFLICT(url) DO UPDATE SET last_fetch = excluded.last_fetch, http_status = excluded.http_status,"
      "   consecutive_failures = consecutive_failures + 1, last_error = excluded.last_error");
  if (!stmt.ok()) return in_context("recording failure of " + source_url, stmt.status());
  Status status = (*stmt)->bind(1, source_url).bind(2, now).bind(3, http_status).bind(4, error).run();
  return status.is_ok() ? status : in_context("recording failure of " + source_url, status);
}

Result<std::optional<SourceState>> Store::source_state(const std::string& source_url) {
  const std::string doing = "reading state of " + source_url;
  auto stmt = impl_->statements.get(std::string(kSourceStateColumns) + " WHERE url = ?1");
  if (!stmt.ok()) return in_context(doing, stmt.status());
  (*stmt)->bind(1, source_url);
  auto row = (*stmt)->step();
  if (!row.ok()) return in_context(doing, row.status());
  if (!*row) return std::optional<SourceState>();
  return std::optional<SourceState>(read_source_state(**stmt));
}

Result<std::vector<SourceState>> Store::source_states() {
  auto stmt = impl_->statements.get(std::string(kSourceStateColumns) + " ORDER BY id");
  if (!stmt.ok()) return in_context("reading source states", stmt.status());
  std::vector<SourceState> states;
  for (;;) {
    auto row = (*stmt)->step();
    if (!row.ok()) return in_context("reading source states", row.status());
    if (!*row) return states;
    states.push_back(read_source_state(**stmt));
  }
}

Result<std::vector<Story>> Store::newest_stories(std::size_t limit) {
  StoryQuery query;
  query.limit = limit;
  auto page = stories_page(query);
  if (!page.ok()) return page.status();
  return std::move(page->stories);
}

Result<StoryPage> Store::stories_page(const StoryQuery& query) {
  const std::string doing = "listing stories";
  StoryPage page;
  if (query.limit == 0) return page;
  // One snapshot for both queries, so a writer on another connection can't slip a story
  // in between the stories and their sources.
  auto txn = Transaction::begin(impl_->db.get(), Transaction::Mode::kRead);
  if (!txn.ok()) return in_context(doing, txn.status());
  {
    auto stmt = impl_->statements.get(kStoriesPageSql);
    if (!stmt.ok()) return in_context(doing, stmt.status());
    const StoryCursor before = query.before.value_or(
        StoryCursor{std::numeric_limits<std::int64_t>::max(), std::numeric_limits<std::int64_t>::max()});
    // One more than asked: its presence says whether a next page exists.
    (*stmt)->bind(1, sql_limit(query.limit) == std::numeric_limits<std::int64_t>::max() ? sql_limit(query.limit)
                                                                                       : sql_limit(query.limit) + 1)
        .bind(2, before.sort_time)
        .bind(3, before.id)
        .bind(4, query.tag);
    for (;;) {
      auto row = (*stmt)->step();
      if (!row.ok()) return in_context(doing, row.status());
      if (!*row) break;
      page.stories.push_back(read_story(**stmt));
    }
  }
  if (page.stories.size() > query.limit) {
    page.stories.resize(query.limit);
    const Story& last = page.stories.back();
    page.next = StoryCursor{last.sort_time.time_since_epoch().count(), last.id};
  }
  Status status = impl_->attach_sources(page.stories);
  if (!status.is_ok()) return in_context(doing, status);
  status = txn->commit();
  if (!status.is_ok()) return in_context(doing, status);
  return page;
}

void Store::set_near_duplicates(bool on, std::chrono::seconds window) {
  impl_->near_duplicates = on;
  impl_->near_window = window;
}

Result<PruneStats> Store::prune(Timestamp cutoff) {
  const std::string doing = "pruning stories";
  PruneStats stats;
  {
    auto txn = Transaction::begin(impl_->db.get(), Transaction::Mode::kWrite);
    if (!txn.ok()) return in_context(doing, txn.status());
    auto count = impl_->statements.get("SELECT COUNT(*) FROM stories WHERE first_seen < ?1");
    if (!count.ok()) return in_context(doing, count.status());
    (*count)->bind(1, cutoff);
    auto row = (*count)->step();
    if (!row.ok()) return in_context(doing, row.status());
    stats.stories_removed = static_cast<int>((*count)->column_int64(0));
    if (stats.stories_removed == 0) return stats;
    const int before = sqlite3_total_changes(impl_->db.get());
    // Tombstones first: the identity of every entry and every content hash of the old
    // stories, then the rows themselves (entries before stories: foreign keys).
    for (const char* sql : {
             "INSERT OR IGNORE INTO pruned_entries(source_id, identity)"
             " SELECT e.source_id, e.identity FROM entries e JOIN stories s ON s.id = e.story_id WHERE s.first_seen < ?1",
             "INSERT OR IGNORE INTO pruned_hashes(content_hash)"
             " SELECT e.content_hash FROM entries e JOIN stories s ON s.id = e.story_id WHERE s.first_seen < ?1"
             " UNION SELECT content_hash FROM stories WHERE first_seen < ?1",
         }) {
      auto stmt = impl_->statements.get(sql);
      if (!stmt.ok()) return in_context(doing, stmt.status());
      if (Status s = (*stmt)->bind(1, cutoff).run(); !s.is_ok()) return in_context(doing, s);
    }
    stats.tombstones_added = sqlite3_total_changes(impl_->db.get()) - before;
    for (const char* sql : {
             "DELETE FROM entries WHERE story_id IN (SELECT id FROM stories WHERE first_seen < ?1)",
             "DELETE FROM story_bands WHERE story_id IN (SELECT id FROM stories WHERE first_seen < ?1)",
             "DELETE FROM stories WHERE first_seen < ?1",
         }) {
      auto stmt = impl_->statements.get(sql);
      if (!stmt.ok()) return in_context(doing, stmt.status());
      if (Status s = (*stmt)->bind(1, cutoff).run(); !s.is_ok()) return in_context(doing, s);
    }
    if (Status s = txn->commit(); !s.is_ok()) return in_context(doing, s);
  }
  if (Status s = impl_->vacuum(); !s.is_ok()) return in_context(doing, s);
  return stats;
}

Status Store::Impl::vacuum() {
  auto pragma_value = [this](const char* sql) -> Result<std::int64_t> {
    auto stmt = Statement::prepare(db.get(), sql);
    if (!stmt.ok()) return stmt.status();
    auto row = stmt->step();
    if (!row.ok()) return row.status();
    return *row ? stmt->column_int64(0) : 0;
  };
  auto mode = pragma_value("PRAGMA auto_vacuum");
  if (!mode.ok()) return mode.status();
  if (*mode == 2) return db::exec(db.get(), "PRAGMA incremental_vacuum");
  // A file made before feedd chose incremental auto-vacuum (or by another tool): its free
  // pages are reused by new stories, so it does not grow past its peak; once half of it is
  // free, one VACUUM (atomic, a rewrite of the file) converts it for good.
  auto free_pages = pragma_value("PRAGMA freelist_count");
  auto pages = pragma_value("PRAGMA page_count");
  if (!free_pages.ok()) return free_pages.status();
  if (!pages.ok()) return pages.status();
  if (*free_pages * 2 < *pages) return Status::ok();
  return db::exec(db.get(), "PRAGMA auto_vacuum = INCREMENTAL; VACUUM");
}

Result<std::int64_t> Store::story_count() {
  auto stmt = impl_->statements.get("SELECT COUNT(*) FROM stories");
  if (!stmt.ok()) return in_context("counting stories", stmt.status());
  auto row = (*stmt)->step();
  if (!row.ok()) return in_context("counting stories", row.status());
  return (*stmt)->column_int64(0);
}

Result<std::vector<std::pair<Timestamp, std::int64_t>>> Store::stories_per_day(Timestamp since) {
  auto stmt = impl_->statements.get(
      "SELECT first_seen / 86400, COUNT(*) FROM stories WHERE first_seen >= ?1 GROUP BY 1 ORDER BY 1");
  if (!stmt.ok()) return in_context("counting stories per day", stmt.status());
  (*stmt)->bind(1, since);
  std::vector<std::pair<Timestamp, std::int64_t>> days;
  while (true) {
    auto row = (*stmt)->step();
    if (!row.ok()) return in_context("counting stories per day", row.status());
    if (!*row) break;
    days.emplace_back(Timestamp(std::chrono::seconds((*stmt)->column_int64(0) * 86400)), (*stmt)->column_int64(1));
  }
  return days;
}

int Store::schema_version() const { return impl_->schema_version; }

Result<std::string> Store::durability() {
  auto read = [this](const char* sql) -> Result<std::string> {
    auto stmt = Statement::prepare(impl_->db.get(), sql);
    if (!stmt.ok()) return stmt.status();
    auto row = stmt->step();
    if (!row.ok()) return row.status();
    return *row ? stmt->column_text(0) : std::string();
  };
  auto journal = read("PRAGMA journal_mode");
  if (!journal.ok()) return journal.status();
  auto sync = read("PRAGMA synchronous");
  if (!sync.ok()) return sync.status();
  static constexpr std::array<const char*, 4> kSyncNames = {"OFF", "NORMAL", "FULL", "EXTRA"};
  const int level = std::atoi(sync->c_str());
  const std::string sync_name = level >= 0 && level < 4 ? kSyncNames[level] : *sync;
  std::string mode = *journal == "wal" ? "WAL" : *journal;
  return mode + ", synchronous=" + sync_name;
}

std::string StoryCursor::to_string() const { return std::to_string(sort_time) + "-" + std::to_string(id); }

std::optional<StoryCursor> StoryCursor::parse(std::string_view text) {
  // sort_time may be negative (a story dated before 1970), so the separator is the last '-'.
  const std::size_t dash = text.rfind('-');
  if (dash == std::string_view::npos || dash == 0) return std::nullopt;
  StoryCursor cursor;
  const auto read = [](std::string_view digits, std::int64_t& out) {
    if (digits.empty()) return false;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), out);
    return ec == std::errc() && end == digits.data() + digits.size();
  };
  if (!read(text.substr(0, dash), cursor.sort_time) || !read(text.substr(dash + 1), cursor.id)) return std::nullopt;
  return cursor;
}

Status Store::begin_batch() {
  Status status = db::exec(impl_->db.get(), "BEGIN IMMEDIATE");
  impl_->batch_open = status.is_ok();
  return status.is_ok() ? status : in_context("starting a group commit", status);
}

Status Store::commit_batch() {
  const std::string doing = "committing a group of fetches";
  if (Status lost = impl_->batch_still_open(); !lost.is_ok()) {
    impl_->batch_open = false;
    return in_context(doing, lost);
  }
  impl_->batch_open = false;
  Status status = db::exec(impl_->db.get(), "COMMIT");
  if (status.is_ok()) return status;
  if (!sqlite3_get_autocommit(impl_->db.get())) db::exec(impl_->db.get(), "ROLLBACK");
  return in_context(doing, status);
}

bool Store::in_batch() const { return impl_->batch_open || !sqlite3_get_autocommit(impl_->db.get()); }

Status Store::save_source_http_state(const SourceHttpState& state) {
  const std::string doing = "recording fetch state of " + state.url;
  if (Status s = impl_->batch_still_open(); !s.is_ok()) return in_context(doing, s);
  auto stmt = impl_->statements.get(
      "INSERT INTO sources(url, current_url, redirect_candidate, gone, body_hash, next_fetch)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
      " ON CONFLICT(url) DO UPDATE SET current_url = excluded.current_url,"
      "   redirect_candidate = excluded.redirect_candidate, gone = excluded.gone,"
      "   body_hash = excluded.body_hash, next_fetch = excluded.next_fetch");
  if (!stmt.ok()) return in_context(doing, stmt.status());
  Status status = (*stmt)
                      ->bind(1, state.url)
                      .bind(2, state.current_url)
                      .bind(3, state.redirect_candidate)
                      .bind(4, state.gone ? 1 : 0)
                      .bind(5, state.body_hash)
                      .bind(6, state.next_fetch)
                      .run();
  return status.is_ok() ? status : in_context(doing, status);
}

Result<std::vector<SourceHttpState>> Store::source_http_states() {
  auto stmt = impl_->statements.get(
      "SELECT url, current_url, redirect_candidate, gone, body_hash, next_fetch FROM sources ORDER BY id");
  if (!stmt.ok()) return in_context("reading sources' fetch state", stmt.status());
  std::vector<SourceHttpState> states;
  for (;;) {
    auto row = (*stmt)->step();
    if (!row.ok()) return in_context("reading sources' fetch state", row.status());
    if (!*row) return states;
    SourceHttpState state;
    state.url = (*stmt)->column_text(0);
    state.current_url = (*stmt)->column_optional_text(1);
    state.redirect_candidate = (*stmt)->column_optional_text(2);
    state.gone = (*stmt)->column_int64(3) != 0;
    state.body_hash = (*stmt)->column_optional_text(4);
    state.next_fetch = (*stmt)->column_optional_time(5);
    states.push_back(std::move(state));
  }
}

}  // namespace feedd
