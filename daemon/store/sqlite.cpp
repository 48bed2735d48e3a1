#include "store/sqlite.hpp"

#include <utility>

namespace feedd::db {

namespace {
std::string file_name(sqlite3* db) {
  const char* name = sqlite3_db_filename(db, "main");
  return name && *name ? name : "(database)";
}
}  // namespace

Status error(sqlite3* db, std::string_view doing) {
  return Status::database(file_name(db) + ": " + std::string(doing) + ": " + sqlite3_errmsg(db));
}

Status exec(sqlite3* db, const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &message) == SQLITE_OK) return Status::ok();
  std::string text = message ? message : sqlite3_errmsg(db);
  sqlite3_free(message);
  std::string_view head(sql);
  return Status::database(file_name(db) + ": " + std::string(head.substr(0, 40)) + ": " + text);
}

Result<Statement> Statement::prepare(sqlite3* db, std::string_view sql) {
  sqlite3_stmt* raw = nullptr;
  // SQLITE_PREPARE_PERSISTENT: these statements are cached for the connection's lifetime.
  const int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                                    &raw, nullptr);
  StatementHandle stmt(raw);
  if (rc != SQLITE_OK) return error(db, "preparing " + std::string(sql.substr(0, 40)));
  return Statement(db, std::move(stmt));
}

Statement& Statement::check_bind(int rc) {
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Statement& Statement::bind(int index, std::int64_t value) {
  return check_bind(sqlite3_bind_int64(stmt_.get(), index, value));
}

Statement& Statement::bind(int index, std::string_view value) {
  return check_bind(sqlite3_bind_text64(stmt_.get(), index, value.data(), value.size(), SQLITE_TRANSIENT,
                                        SQLITE_UTF8));
}

Statement& Statement::bind(int index, const std::optional<std::string>& value) {
  return value ? bind(index, std::string_view(*value)) : bind_null(index);
}

Statement& Statement::bind(int index, Timestamp value) {
  return bind(index, std::int64_t{value.time_since_epoch().count()});
}

Statement& Statement::bind(int index, const std::optional<Timestamp>& value) {
  return value ? bind(index, *value) : bind_null(index);
}

Statement& Statement::bind_null(int index) { return check_bind(sqlite3_bind_null(stmt_.get(), index)); }

std::string Statement::description() const {
  std::string_view sql = sqlite3_sql(stmt_.get());
  return std::string(sql.substr(0, 40));
}

Result<bool> Statement::step() {
  if (bind_rc_ != SQLITE_OK) {
    return Status::database(file_name(db_) + ": binding " + description() + ": " + sqlite3_errstr(bind_rc_));
  }
  const int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return error(db_, description());
}

Status Statement::run() {
  for (;;) {
    auto row = step();
    if (!row.ok()) return row.status();
    if (!*row) return Status::ok();
  }
}

void Statement::reset() {
  sqlite3_reset(stmt_.get());
  sqlite3_clear_bindings(stmt_.get());
  bind_rc_ = SQLITE_OK;
}

bool Statement::column_is_null(int index) const {
  return sqlite3_column_type(stmt_.get(), index) == SQLITE_NULL;
}

std::int64_t Statement::column_int64(int index) const { return sqlite3_column_int64(stmt_.get(), index); }

std::string Statement::column_text(int index) const {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_.get(), index));
  if (!text) return {};
  return std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(stmt_.get(), index)));
}

std::optional<std::string> Statement::column_optional_text(int index) const {
  if (column_is_null(index)) return std::nullopt;
  return column_text(index);
}

Timestamp Statement::column_time(int index) const { return Timestamp{std::chrono::seconds{column_int64(index)}}; }

std::optional<Timestamp> Statement::column_optional_time(int index) const {
  if (column_is_null(index)) return std::nullopt;
  return column_time(index);
}

Result<StatementLease> StatementCache::get(std::string_view sql) {
  auto found = statements_.find(std::string(sql));
  if (found == statements_.end()) {
    auto stmt = Statement::prepare(db_, sql);
    if (!stmt.ok()) return stmt.status();
    found = statements_.emplace(std::string(sql), std::move(stmt).value()).first;
  }
  // A lease that ended early (an error mid-way) already reset it; reset anyway so a
  // statement is never handed out half-run.
  found->second.reset();
  return StatementLease(&found->second);
}

Result<Transaction> Transaction::begin(sqlite3* db, Mode mode) {
  const bool nested = !sqlite3_get_autocommit(db);
  Status status = exec(db, nested ? "SAVEPOINT nested" : mode == Mode::kWrite ? "BEGIN IMMEDIATE" : "BEGIN");
  if (!status.is_ok()) return status;
  return Transaction(db, nested);
}

Transaction::~Transaction() {
  // A failed COMMIT (or an error that already ended the transaction) leaves nothing to
  // roll back; ROLLBACK then fails harmlessly, so its result is ignored.
  if (!db_ || sqlite3_get_autocommit(db_)) return;
  if (nested_) {
    sqlite3_exec(db_, "ROLLBACK TO nested; RELEASE nested", nullptr, nullptr, nullptr);
  } else {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
}

Status Transaction::commit() {
  Status status = exec(db_, nested_ ? "RELEASE nested" : "COMMIT");
  // On failure (SQLITE_BUSY) the transaction is still open: the destructor rolls it back.
  if (status.is_ok()) db_ = nullptr;
  return status;
}

}  // namespace feedd::db
