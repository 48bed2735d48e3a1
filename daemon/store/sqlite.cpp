#include "store/sqlite.hpp"

#include <array>
#include <cstdlib>
#include <mutex>
#include <utility>

namespace feedd::db {

Statement& SqliteStatement::check_bind(int rc) {
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Statement& SqliteStatement::bind(int index, std::int64_t value) {
  return check_bind(sqlite3_bind_int64(stmt_.get(), index, value));
}

Statement& SqliteStatement::bind(int index, std::string_view value) {
  return check_bind(sqlite3_bind_text64(stmt_.get(), index, value.data(), value.size(), SQLITE_TRANSIENT,
                                        SQLITE_UTF8));
}

Statement& SqliteStatement::bind_null(int index) { return check_bind(sqlite3_bind_null(stmt_.get(), index)); }

std::string SqliteStatement::description() const {
  std::string_view sql = sqlite3_sql(stmt_.get());
  return std::string(sql.substr(0, 40));
}

namespace {
std::string file_name(sqlite3* db) {
  const char* name = sqlite3_db_filename(db, "main");
  return name && *name ? name : "(database)";
}
}  // namespace

Result<bool> SqliteStatement::step() {
  if (bind_rc_ != SQLITE_OK) {
    return Status::database(file_name(db_) + ": binding " + description() + ": " + sqlite3_errstr(bind_rc_));
  }
  const int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) {
    changes_ = sqlite3_changes64(db_);
    return false;
  }
  return Status::database(file_name(db_) + ": " + description() + ": " + sqlite3_errmsg(db_));
}

void SqliteStatement::reset() {
  sqlite3_reset(stmt_.get());
  sqlite3_clear_bindings(stmt_.get());
  bind_rc_ = SQLITE_OK;
}

bool SqliteStatement::column_is_null(int index) const {
  return sqlite3_column_type(stmt_.get(), index) == SQLITE_NULL;
}

std::int64_t SqliteStatement::column_int64(int index) const { return sqlite3_column_int64(stmt_.get(), index); }

std::string SqliteStatement::column_text(int index) const {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_.get(), index));
  if (!text) return {};
  return std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(stmt_.get(), index)));
}

Status SqliteConnection::error(std::string_view doing) const {
  return Status::database(file_name(db_.get()) + ": " + std::string(doing) + ": " + sqlite3_errmsg(db_.get()));
}

Result<std::unique_ptr<Statement>> SqliteConnection::prepare(std::string_view sql) {
  sqlite3_stmt* raw = nullptr;
  // SQLITE_PREPARE_PERSISTENT: these statements are cached for the connection's lifetime.
  const int rc = sqlite3_prepare_v3(db_.get(), sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                                    &raw, nullptr);
  StatementHandle stmt(raw);
  if (rc != SQLITE_OK) return error("preparing " + std::string(sql.substr(0, 40)));
  return std::unique_ptr<Statement>(new SqliteStatement(db_.get(), std::move(stmt)));
}

Status SqliteConnection::exec(std::string_view sql) {
  const std::string text(sql);
  char* message = nullptr;
  if (sqlite3_exec(db_.get(), text.c_str(), nullptr, nullptr, &message) == SQLITE_OK) return Status::ok();
  std::string reason = message ? message : sqlite3_errmsg(db_.get());
  sqlite3_free(message);
  return Status::database(file_name(db_.get()) + ": " + std::string(sql.substr(0, 40)) + ": " + reason);
}

Result<std::int64_t> SqliteConnection::pragma_int(const char* sql) {
  auto stmt = prepare(sql);
  if (!stmt.ok()) return stmt.status();
  auto row = (*stmt)->step();
  if (!row.ok()) return row.status();
  return *row ? (*stmt)->column_int64(0) : 0;
}

Status SqliteConnection::configure() {
  // Incremental auto-vacuum can only be chosen before the first table exists; files made
  // by an older feedd are converted by prune() the first time it frees much (see vacuum).
  {
    auto tables = pragma_int("SELECT COUNT(*) FROM sqlite_master");
    if (!tables.ok()) return tables.status();
    if (*tables == 0) {
      if (Status s = exec("PRAGMA auto_vacuum = INCREMENTAL"); !s.is_ok()) return s;
    }
  }
  // WAL: readers (the HTTP side's own connection) never block the writer, and a commit
  // is one append to the log. synchronous=NORMAL syncs the log only at checkpoints, not
  // at every commit: a killed process loses nothing committed, and a power loss can drop
  // the last few commits but never corrupts the file (SQLite's documented WAL guarantee).
  // Those lost commits are re-fetched next time: validators go in the same transaction.
  auto mode = prepare("PRAGMA journal_mode = WAL");
  if (!mode.ok()) return mode.status();
  auto row = (*mode)->step();
  if (!row.ok()) return row.status();
  const std::string journal = *row ? (*mode)->column_text(0) : "";
  if (journal != "wal") {
    return Status::database(file_ + ": cannot switch to WAL journal mode (got '" + journal + "')");
  }
  // Statement journals and transient sort indexes stay in memory: on disk (/var/tmp) they
  // cost a million small writes on a cold pass of 500 feeds (bench/fetch.sh).
  // The page cache: StoreOptions::cache_kib says why it is larger than SQLite's default.
  if (Status s = exec("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;"
                      " PRAGMA cache_size = -" + std::to_string(options_.cache_kib));
      !s.is_ok()) {
    return s;
  }
  if (options_.background_checkpoint) checkpointer_ = std::make_unique<WalCheckpointer>(db_.get(), file_);
  return Status::ok();
}

Status SqliteConnection::check_integrity() {
  // quick_check reads every page and checks each b-tree's structure (not the indexes
  // against their tables, which a damaged page breaks too): what a crash, a bad disk or a
  // stray write leaves. Its first rows say what is wrong; "ok" alone means nothing is.
  auto check = prepare("PRAGMA quick_check(3)");
  std::string problems;
  if (check.ok()) {
    for (;;) {
      auto row = (*check)->step();
      if (!row.ok()) {
        problems = sqlite3_errmsg(db_.get());
        break;
      }
      if (!*row) break;
      const std::string line = (*check)->column_text(0);
      if (line == "ok") continue;
      problems += (problems.empty() ? "" : "; ") + line;
    }
  } else {
    problems = sqlite3_errmsg(db_.get());
  }
  if (problems.empty()) return Status::ok();
  return Status::database(file_ + ": the database is damaged (" + problems +
                          "); feedd will not write into it: restore it from a backup, or move it aside to start an "
                          "empty one");
}

Status SqliteConnection::vacuum() {
  auto mode = pragma_int("PRAGMA auto_vacuum");
  if (!mode.ok()) return mode.status();
  if (*mode == 2) return exec("PRAGMA incremental_vacuum");
  // A file made before feedd chose incremental auto-vacuum (or by another tool): its free
  // pages are reused by new stories, so it does not grow past its peak; once half of it is
  // free, one VACUUM (atomic, a rewrite of the file) converts it for good.
  auto free_pages = pragma_int("PRAGMA freelist_count");
  auto pages = pragma_int("PRAGMA page_count");
  if (!free_pages.ok()) return free_pages.status();
  if (!pages.ok()) return pages.status();
  if (*free_pages * 2 < *pages) return Status::ok();
  return exec("PRAGMA auto_vacuum = INCREMENTAL; VACUUM");
}

Result<std::string> SqliteConnection::durability() {
  auto read = [this](const char* sql) -> Result<std::string> {
    auto stmt = prepare(sql);
    if (!stmt.ok()) return stmt.status();
    auto row = (*stmt)->step();
    if (!row.ok()) return row.status();
    return *row ? (*stmt)->column_text(0) : std::string();
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

Result<std::unique_ptr<Connection>> open_sqlite(const std::string& file, const StoreOptions& options) {
  // SQLite's memory statistics (which feedd never reads) take a global mutex on every
  // allocation. Only possible before SQLite initialises; later it is refused, harmlessly.
  static std::once_flag no_memory_statistics;
  std::call_once(no_memory_statistics, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
  sqlite3* raw = nullptr;
  // NOMUTEX: a Store is used by one thread at a time (see store.hpp), so SQLite's
  // per-connection mutex would only cost.
  const int rc = sqlite3_open_v2(file.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                                 nullptr);
  DatabaseHandle handle(raw);  // SQLite hands out a handle even on failure
  if (rc != SQLITE_OK) {
    const char* message = raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    return Status::database(file + ": cannot open: " + message);
  }
  auto connection = std::make_unique<SqliteConnection>(file, std::move(handle), options);
  sqlite3_busy_timeout(connection->handle(), static_cast<int>(options.busy_timeout.count()));
  // Before anything writes: switching to WAL rewrites the header of whatever is there.
  if (options.check_integrity) {
    if (Status s = connection->check_integrity(); !s.is_ok()) return s;
  }
  // Errors from here on already name the file.
  Status status = connection->configure();
  if (!status.is_ok()) {
    const int code = sqlite3_errcode(connection->handle());
    if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT) {
      return Status::database(file + ": not a usable feedd database (" + sqlite3_errmsg(connection->handle()) +
                              "); it is left as it is: restore it from a backup, or move it aside to start an empty one");
    }
    return status;
  }
  return std::unique_ptr<Connection>(std::move(connection));
}

}  // namespace feedd::db
