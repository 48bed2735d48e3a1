// The Store's front door: opening the database (a SQLite file or PostgreSQL), sources' health records, group commits,
// pruning and vacuum. The story rules are in story_writer.cpp, the feed's pages in
// story_reader.cpp, the near-duplicate index in band_index.cpp (store_impl.hpp).
#include "feedd/store.hpp"

#include <unordered_map>
#include <utility>

#include "store/json_columns.hpp"
#include "store/migrations.hpp"
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

Status Store::Impl::batch_still_open() const {
  // SQLite ended the batch's transaction itself after an error (SQLITE_FULL, an I/O
  // error): a write now would commit on its own, outside the batch its caller counts on.
  // PostgreSQL keeps it open but aborted after an error outside any savepoint.
  if (batch_open && (!db->in_transaction() || db->transaction_failed())) {
    return Status::database(db->name() + ": the group commit was rolled back by an earlier error");
  }
  return Status::ok();
}

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Store::~Store() = default;

std::string database_display_name(const std::filesystem::path& location) {
  return is_postgres_location(location.native()) ? db::without_password(location.native()) : location.string();
}

Result<std::unique_ptr<Store>> Store::open(const std::filesystem::path& location, StoreOptions options) {
  const std::string& text = location.native();
  auto connection = is_postgres_location(text) ? db::open_postgres(text, options) : db::open_sqlite(text, options);
  if (!connection.ok()) return connection.status();
  auto impl = std::make_unique<Impl>(std::move(connection).value(), options);
  // Errors from here on already name the database.
  auto version = db::migrate(*impl->db, &impl->schema_version_found);
  if (!version.ok()) return version.status();
  impl->schema_version = *version;
  return std::unique_ptr<Store>(new Store(std::move(impl)));
}

Status Store::sync_sources(const std::vector<Source>& sources) {
  const std::string doing = "recording configured sources";
  auto txn = impl_->begin(Transaction::Mode::kWrite);
  if (!txn.ok()) return in_context(doing, txn.status());
  // Only the rows that are missing or differ are written: an upsert locks its row even
  // when nothing changes, and a daemon starting beside others that are fetching (their
  // group commits and leases update the same rows, in another order) died of a deadlock
  // upserting all 10,000 of them in one transaction.
  std::unordered_map<std::string, std::pair<std::optional<std::string>, std::string>> stored;
  {
    auto read = impl_->statement("SELECT url, title, tags FROM sources");
    if (!read.ok()) return in_context(doing, read.status());
    for (;;) {
      auto row = (*read)->step();
      if (!row.ok()) return in_context(doing, row.status());
      if (!*row) break;
      stored.emplace((*read)->column_text(0),
                     std::make_pair((*read)->column_optional_text(1), (*read)->column_text(2)));
    }
  }
  for (const Source& source : sources) {
    const auto known = stored.find(source.url);
    if (known != stored.end() && known->second.first == source.title &&
        known->second.second == db::strings_to_json(source.tags)) {
      continue;
    }
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
  // Its own transaction (inside a batch, a savepoint): a failed write loses only itself.
  auto txn = impl_->begin(Transaction::Mode::kWrite);
  if (!txn.ok()) return in_context("recording 304 of " + source_url, txn.status());
  auto stmt = impl_->statement(
      "INSERT INTO sources(url, last_fetch, last_success, http_status) VALUES (?1, ?2, ?2, ?3)"
      " ON CONFLICT(url) DO UPDATE SET last_fetch = excluded.last_fetch, last_success = excluded.last_success,"
      "   http_status = excluded.http_status, consecutive_failures = 0, last_error = NULL");
  if (!stmt.ok()) return in_context("recording 304 of " + source_url, stmt.status());
  Status status = (*stmt)->bind(1, source_url).bind(2, now).bind(3, http_status).run();
  if (status.is_ok()) status = txn->commit();
  return status.is_ok() ? status : in_context("recording 304 of " + source_url, status);
}

Status Store::record_failure(const std::string& source_url, int http_status, const std::string& error,
                             Timestamp now) {
  if (Status s = impl_->batch_still_open(); !s.is_ok()) return in_context("recording failure of " + source_url, s);
  auto txn = impl_->begin(Transaction::Mode::kWrite);
  if (!txn.ok()) return in_context("recording failure of " + source_url, txn.status());
  auto stmt = impl_->statement(
      "INSERT INTO sources(url, last_fetch, http_status, consecutive_failures, last_error) VALUES (?1, ?2, ?3, 1, ?4)"
      " ON CONFLICT(url) DO UPDATE SET last_fetch = excluded.last_fetch, http_status = excluded.http_status,"
      "   consecutive_failures = sources.consecutive_failures + 1, last_error = excluded.last_error");
  if (!stmt.ok()) return in_context("recording failure of " + source_url, stmt.status());
  Status status = (*stmt)->bind(1, source_url).bind(2, now).bind(3, http_status).bind(4, error).run();
  if (status.is_ok()) status = txn->commit();
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
  impl_->band_filter_loaded = false;  // holds the keys of the old window's stories only
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
    // Tombstones first: the identity of every entry and every content hash of the old
    // stories, then the rows themselves (entries before stories: foreign keys).
    for (const char* sql : {
             "INSERT INTO pruned_entries(source_id, identity)"
             " SELECT e.source_id, e.identity FROM entries e JOIN stories s ON s.id = e.story_id WHERE s.first_seen < ?1"
             " ON CONFLICT DO NOTHING",
             "INSERT INTO pruned_hashes(content_hash)"
             " SELECT e.content_hash FROM entries e JOIN stories s ON s.id = e.story_id WHERE s.first_seen < ?1"
             " UNION SELECT content_hash FROM stories WHERE first_seen < ?1"
             " ON CONFLICT DO NOTHING",
         }) {
      auto stmt = impl_->statement(sql);
      if (!stmt.ok()) return in_context(doing, stmt.status());
      if (Status s = (*stmt)->bind(1, cutoff).run(); !s.is_ok()) return in_context(doing, s);
      stats.tombstones_added += static_cast<int>((*stmt)->changes());
    }
    if (Status s = impl_->drop_band_keys_before(cutoff); !s.is_ok()) return in_context(doing, s);
    for (const char* sql : {
             "DELETE FROM entries WHERE story_id IN (SELECT id FROM stories WHERE first_seen < ?1)",
             "DELETE FROM stories WHERE first_seen < ?1",
         }) {
      auto stmt = impl_->statement(sql);
      if (!stmt.ok()) return in_context(doing, stmt.status());
      if (Status s = (*stmt)->bind(1, cutoff).run(); !s.is_ok()) return in_context(doing, s);
    }
    if (Status s = impl_->count_change(); !s.is_ok()) return in_context(doing, s);
    if (Status s = txn->commit(); !s.is_ok()) return in_context(doing, s);
  }
  if (Status s = impl_->db->vacuum(); !s.is_ok()) return in_context(doing, s);
  return stats;
}

int Store::schema_version() const { return impl_->schema_version; }
int Store::schema_version_found() const { return impl_->schema_version_found; }

Result<std::string> Store::durability() { return impl_->db->durability(); }

Status Store::begin_batch() {
  impl_->drop_pending_bands();
  Status status = impl_->db->exec(impl_->db->begin_sql(db::TransactionMode::kWrite));
  impl_->batch_open = status.is_ok();
  return status.is_ok() ? status : in_context("starting a group commit", status);
}

Status Store::commit_batch() {
  const std::string doing = "committing a group of fetches";
  if (Status lost = impl_->batch_still_open(); !lost.is_ok()) {
    impl_->batch_open = false;
    impl_->drop_pending_bands();
    // PostgreSQL keeps an aborted transaction (or one its lost connection took) open until
    // told: left so, in_batch() would stay true and the next batch join it.
    if (impl_->db->in_transaction()) impl_->db->exec("ROLLBACK");
    return in_context(doing, lost);
  }
  impl_->batch_open = false;
  Status status = impl_->flush_pending_bands();
  if (status.is_ok()) status = impl_->db->exec("COMMIT");
  if (status.is_ok()) return status;
  if (impl_->db->in_transaction()) impl_->db->exec("ROLLBACK");
  return in_context(doing, status);
}

bool Store::in_batch() const { return impl_->batch_open || impl_->db->in_transaction(); }

Status Store::save_source_http_state(const SourceHttpState& state) {
  const std::string doing = "recording fetch state of " + state.url;
  if (Status s = impl_->batch_still_open(); !s.is_ok()) return in_context(doing, s);
  auto txn = impl_->begin(Transaction::Mode::kWrite);
  if (!txn.ok()) return in_context(doing, txn.status());
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
  if (status.is_ok()) status = txn->commit();
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
