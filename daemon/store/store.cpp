#include "feedd/store.hpp"

#include <algorithm>
#include <limits>
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

// How long a statement waits for another connection's write lock before giving up
// with SQLITE_BUSY. Readers never wait in WAL mode; this covers two writers.
constexpr int kBusyTimeoutMs = 5000;

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

// The newest stories; the same ordering (and LIMIT ?1) feeds kStorySourcesSql.
constexpr const char* kNewestStoriesSql =
    "SELECT id, uid, content_hash, title, link, summary, content, authors, categories, enclosures,"
    " published, updated, first_seen FROM stories ORDER BY sort_time DESC, id DESC LIMIT ?1";

// Every source of the newest ?1 stories in one query. A source that carried one story
// under two identities is listed once (its earliest entry: SQLite takes the bare columns
// from the MIN() row). The origin first, then by when each source first carried it.
constexpr const char* kStorySourcesSql =
    "SELECT e.story_id, s.url, s.title, s.feed_title, e.entry_link, MIN(e.first_seen),"
    "       e.source_id = st.origin_source_id AS is_origin"
    " FROM (SELECT id, origin_source_id FROM stories ORDER BY sort_time DESC, id DESC LIMIT ?1) AS st"
    " JOIN entries e ON e.story_id = st.id"
    " JOIN sources s ON s.id = e.source_id"
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
  return source;
}

// What the store holds for one (source, identity).
struct StoredEntry {
  std::string content_hash;
  std::int64_t story_id = 0;
};

}  // namespace

struct Store::Impl {
  Impl(std::filesystem::path file, db::DatabaseHandle handle)
      : path(std::move(file)), db(std::move(handle)), statements(db.get()) {}

  std::filesystem::path path;
  db::DatabaseHandle db;  // declared before `statements`: statements finalize first
  db::StatementCache statements;
  int schema_version = 0;

  Status configure();
  Result<std::int64_t> record_fetched_source(const FetchedFeed& fetched, Timestamp now);
  Result<std::optional<StoredEntry>> stored_entry(std::int64_t source_id, const std::string& identity);
  Result<std::optional<std::int64_t>> story_with_hash(const std::string& content_hash);
  Result<std::int64_t> insert_story(std::int64_t source_id, const std::string& source_url,
                                    const std::string& identity, const Entry& entry, Timestamp now);
  Status update_story(std::int64_t story_id, const Entry& entry, Timestamp now);
  Status insert_entry(std::int64_t source_id, const std::string& identity, std::int64_t story_id,
                      const Entry& entry, Timestamp now);
  Status repoint_entry(std::int64_t source_id, const std::string& identity, std::int64_t story_id,
                       const Entry& entry);
  Status apply_entry(std::int64_t source_id, const std::string& source_url, const std::string& identity,
                     const Entry& entry, Timestamp now, ApplyStats& stats);
  Status attach_sources(std::vector<Story>& stories, std::size_t limit);
};

Status Store::Impl::configure() {
  sqlite3_busy_timeout(db.get(), kBusyTimeoutMs);
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
  return db::exec(db.get(), "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON");
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
  auto stmt = statements.get("SELECT content_hash, story_id FROM entries WHERE source_id = ?1 AND identity = ?2");
  if (!stmt.ok()) return stmt.status();
  (*stmt)->bind(1, source_id).bind(2, identity);
  auto row = (*stmt)->step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<StoredEntry>();
  return std::optional<StoredEntry>(StoredEntry{(*stmt)->column_text(0), (*stmt)->column_int64(1)});
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
                                 const Entry& entry, Timestamp now) {
  auto stmt = statements.get(
      "INSERT INTO entries(source_id, identity, story_id, content_hash, entry_link, first_seen)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  if (!stmt.ok()) return stmt.status();
  return (*stmt)
      ->bind(1, source_id)
      .bind(2, identity)
      .bind(3, story_id)
      .bind(4, entry.content_hash)
      .bind(5, entry.link)
      .bind(6, now)
      .run();
}

Status Store::Impl::repoint_entry(std::int64_t source_id, const std::string& identity, std::int64_t story_id,
                                  const Entry& entry) {
  auto stmt = statements.get(
      "UPDATE entries SET story_id = ?3, content_hash = ?4, entry_link = ?5 WHERE source_id = ?1 AND identity = ?2");
  if (!stmt.ok()) return stmt.status();
  return (*stmt)
      ->bind(1, source_id)
      .bind(2, identity)
      .bind(3, story_id)
      .bind(4, entry.content_hash)
      .bind(5, entry.link)
      .run();
}

Status Store::Impl::apply_entry(std::int64_t source_id, const std::string& source_url, const std::string& identity,
                                const Entry& entry, Timestamp now, ApplyStats& stats) {
  auto stored = stored_entry(source_id, identity);
  if (!stored.ok()) return stored.status();
  auto owner = story_with_hash(entry.content_hash);
  if (!owner.ok()) return owner.status();

  dedup::Known known;
  if (*stored) known.hash_for_identity = (*stored)->content_hash;
  known.hash_known = owner->has_value();

  switch (dedup::decide(entry.content_hash, known)) {
    case dedup::Decision::kUnchanged:
      ++stats.unchanged;
      return Status::ok();
    case dedup::Decision::kNewStory: {
      auto story_id = insert_story(source_id, source_url, identity, entry, now);
      if (!story_id.ok()) return story_id.status();
      ++stats.new_stories;
      return insert_entry(source_id, identity, *story_id, entry, now);
    }
    case dedup::Decision::kNewCopy:
      ++stats.new_copies;
      return insert_entry(source_id, identity, **owner, entry, now);
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
  Status status = update_story((*stored)->story_id, entry, now);
  if (!status.is_ok()) return status;
  ++stats.changed;
  return repoint_entry(source_id, identity, (*stored)->story_id, entry);
}

Status Store::Impl::attach_sources(std::vector<Story>& stories, std::size_t limit) {
  std::unordered_map<std::int64_t, Story*> by_id;
  for (Story& story : stories) by_id.emplace(story.id, &story);
  auto stmt = statements.get(kStorySourcesSql);
  if (!stmt.ok()) return stmt.status();
  (*stmt)->bind(1, sql_limit(limit));
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

Result<std::unique_ptr<Store>> Store::open(const std::filesystem::path& file) {
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
  auto impl = std::make_unique<Impl>(file, std::move(handle));
  // Errors from here on already name the file (db::error).
  Status status = impl->configure();
  if (!status.is_ok()) return status;
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
  // Everything below is one transaction: on any error the guard rolls back the entries
  // and the validators together, so a stored ETag never hides entries never stored.
  auto txn = Transaction::begin(impl_->db.get(), Transaction::Mode::kWrite);
  if (!txn.ok()) return in_context(doing, txn.status());
  auto source_id = impl_->record_fetched_source(fetched, now);
  if (!source_id.ok()) return in_context(doing, source_id.status());

  ApplyStats stats;
  // A feed that repeats an identity is describing one item twice: the first one wins
  // and the repeats are ignored (not counted).
  std::unordered_set<std::string> seen;
  for (const Entry& entry : fetched.feed.entries) {
    std::string identity = dedup::entry_identity(entry);
    if (!seen.insert(identity).second) continue;
    Status status = impl_->apply_entry(*source_id, fetched.source_url, identity, entry, now, stats);
    if (!status.is_ok()) return in_context(doing, status);
  }
  Status status = txn->commit();
  if (!status.is_ok()) return in_context(doing, status);
  return stats;
}

Status Store::record_not_modified(const std::string& source_url, int http_status, Timestamp now) {
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
  const std::string doing = "listing newest stories";
  std::vector<Story> stories;
  if (limit == 0) return stories;
  // One snapshot for both queries, so a writer on another connection can't slip a story
  // in between the stories and their sources.
  auto txn = Transaction::begin(impl_->db.get(), Transaction::Mode::kRead);
  if (!txn.ok()) return in_context(doing, txn.status());
  {
    auto stmt = impl_->statements.get(kNewestStoriesSql);
    if (!stmt.ok()) return in_context(doing, stmt.status());
    (*stmt)->bind(1, sql_limit(limit));
    for (;;) {
      auto row = (*stmt)->step();
      if (!row.ok()) return in_context(doing, row.status());
      if (!*row) break;
      stories.push_back(read_story(**stmt));
    }
  }
  Status status = impl_->attach_sources(stories, limit);
  if (!status.is_ok()) return in_context(doing, status);
  status = txn->commit();
  if (!status.is_ok()) return in_context(doing, status);
  return stories;
}

Result<std::int64_t> Store::story_count() {
  auto stmt = impl_->statements.get("SELECT COUNT(*) FROM stories");
  if (!stmt.ok()) return in_context("counting stories", stmt.status());
  auto row = (*stmt)->step();
  if (!row.ok()) return in_context("counting stories", row.status());
  return (*stmt)->column_int64(0);
}

int Store::schema_version() const { return impl_->schema_version; }

Status Store::save_source_http_state(const SourceHttpState& state) {
  const std::string doing = "recording fetch state of " + state.url;
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
