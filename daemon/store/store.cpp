// The Store's front door: opening the file, sources' health records, group commits,
// pruning and vacuum. The story rules are in story_writer.cpp, the feed's pages in
// story_reader.cpp, the near-duplicate index in band_index.cpp (store_impl.hpp).
#include "feedd/store.hpp"

#include <array>
#include <cstdlib>
#include <mutex>

#include "store/json_columns.hpp"
#include "store/migrations.hpp"
#include "store/sqlite.hpp"
#include "store/store_impl.hpp"

namespace feedd {

std::string SourceState::display_name() const {
  if (title && !title->empty()) return *title;
  if (feed_title && !feed_title->empty()) return *feed_title;
  return url;
}

namespace {

using db::Statement;
using db::Transaction;
using store_detail::in_context;

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

}  // namespace

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
  auto txn = impl_->begin(Transaction::Mode::kWrite);
  if (!txn.ok()) return in_context(doing, txn.status());
  for (const Source& source : sources) {
    auto stmt = impl_->statement(
        "INSERT INTO sources(url, title, tags) VALUES (?1, ?2, ?3)"
        " ON CONFLICT(url) DO UPDATE SET title = excluded.title, tags = excluded.tags");
    if (!stmt.ok()) return in_context(doing, stmt.status());
    Status status = (*stmt)->bind(1, source.url).bind(2, source.title).bind(3, db::strings_to_json(source.tags)).run();
    if (!status.is_ok()) return in_context(doing, status);
  }
  Status status = txn->commit();
  return status.is_ok() ? status : in_context(doing, status);
}

Status Store::record_not_modified(const std::string& source_url, int http_status, Timestamp now) {
  if (Status s = impl_->batch_still_open(); !s.is_ok()) return in_context("recording 304 of " + source_url, s);
  auto stmt = impl_->statement(
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
  auto stmt = impl_->statement(
      "INSERT INTO sources(url, last_fetch, http_status, consecutive_failures, last_error) VALUES (?1, ?2, ?3, 1, ?4)"
      " ON CONFLICT(url) DO UPDATE SET last_fetch = excluded.last_fetch, http_status = excluded.http_status,"
      "   consecutive_failures = consecutive_failures + 1, last_error = excluded.last_error");
  if (!stmt.ok()) return in_context("recording failure of " + source_url, stmt.status());
  Status status = (*stmt)->bind(1, source_url).bind(2, now).bind(3, http_status).bind(4, error).run();
  return status.is_ok() ? status : in_context("recording failure of " + source_url, status);
}

Result<std::optional<SourceState>> Store::source_state(const std::string& source_url) {
  const std::string doing = "reading state of " + source_url;
  auto stmt = impl_->statement(std::string(kSourceStateColumns) + " WHERE url = ?1");
  if (!stmt.ok()) return in_context(doing, stmt.status());
  (*stmt)->bind(1, source_url);
  auto row = (*stmt)->step();
  if (!row.ok()) return in_context(doing, row.status());
  if (!*row) return std::optional<SourceState>();
  return std::optional<SourceState>(read_source_state(**stmt));
}

Result<std::vector<SourceState>> Store::source_states() {
  auto stmt = impl_->statement(std::string(kSourceStateColumns) + " ORDER BY id");
  if (!stmt.ok()) return in_context("reading source states", stmt.status());
  std::vector<SourceState> states;
  for (;;) {
    auto row = (*stmt)->step();
    if (!row.ok()) return in_context("reading source states", row.status());
    if (!*row) return states;
    states.push_back(read_source_state(**stmt));
  }
}

void Store::set_near_duplicates(bool on, std::chrono::seconds window) {
  impl_->near_duplicates = on;
  impl_->near_window = window;
}

Result<PruneStats> Store::prune(Timestamp cutoff) {
  const std::string doing = "pruning stories";
  PruneStats stats;
  {
    auto txn = impl_->begin(Transaction::Mode::kWrite);
    if (!txn.ok()) return in_context(doing, txn.status());
    auto count = impl_->statement("SELECT COUNT(*) FROM stories WHERE first_seen < ?1");
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
      auto stmt = impl_->statement(sql);
      if (!stmt.ok()) return in_context(doing, stmt.status());
      if (Status s = (*stmt)->bind(1, cutoff).run(); !s.is_ok()) return in_context(doing, s);
    }
    stats.tombstones_added = sqlite3_total_changes(impl_->db.get()) - before;
    if (Status s = impl_->drop_band_keys_before(cutoff); !s.is_ok()) return in_context(doing, s);
    for (const char* sql : {
             "DELETE FROM entries WHERE story_id IN (SELECT id FROM stories WHERE first_seen < ?1)",
             "DELETE FROM stories WHERE first_seen < ?1",
         }) {
      auto stmt = impl_->statement(sql);
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

Status Store::begin_batch() {
  impl_->drop_pending_bands();
  Status status = db::exec(impl_->db.get(), "BEGIN IMMEDIATE");
  impl_->batch_open = status.is_ok();
  return status.is_ok() ? status : in_context("starting a group commit", status);
}

Status Store::commit_batch() {
  const std::string doing = "committing a group of fetches";
  if (Status lost = impl_->batch_still_open(); !lost.is_ok()) {
    impl_->batch_open = false;
    impl_->drop_pending_bands();
    return in_context(doing, lost);
  }
  impl_->batch_open = false;
  Status status = impl_->flush_pending_bands();
  if (status.is_ok()) status = db::exec(impl_->db.get(), "COMMIT");
  if (status.is_ok()) return status;
  if (!sqlite3_get_autocommit(impl_->db.get())) db::exec(impl_->db.get(), "ROLLBACK");
  return in_context(doing, status);
}

bool Store::in_batch() const { return impl_->batch_open || !sqlite3_get_autocommit(impl_->db.get()); }

Status Store::save_source_http_state(const SourceHttpState& state) {
  const std::string doing = "recording fetch state of " + state.url;
  if (Status s = impl_->batch_still_open(); !s.is_ok()) return in_context(doing, s);
  auto stmt = impl_->statement(
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
  auto stmt = impl_->statement(
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
