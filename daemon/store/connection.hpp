#pragma once
// Private to daemon/store/: what the store needs of a database connection, whichever
// backend is underneath (sqlite.cpp: a SQLite file; postgres.cpp: PostgreSQL over libpq).
// The store's SQL is written once with ?N parameters; the PostgreSQL statement rewrites
// them to $N. Every error leaves here as a Status::database naming the database (the
// file, or the URI without its password), what was being done and the backend's message.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "feedd/status.hpp"
#include "feedd/store.hpp"
#include "feedd/time.hpp"

namespace feedd::db {

// Which SQL the connection speaks, for the few statements that must differ.
enum class Dialect { kSqlite, kPostgres };

// One prepared statement. Bind parameters are 1-based, columns 0-based. A bind that fails
// is remembered and reported by the next step().
class Statement {
 public:
  virtual ~Statement() = default;

  virtual Statement& bind(int index, std::int64_t value) = 0;
  virtual Statement& bind(int index, std::string_view value) = 0;
  virtual Statement& bind_null(int index) = 0;
  Statement& bind(int index, int value) { return bind(index, std::int64_t{value}); }
  Statement& bind(int index, const std::string& value) { return bind(index, std::string_view(value)); }
  Statement& bind(int index, const char* value) { return bind(index, std::string_view(value)); }
  Statement& bind(int index, const std::optional<std::string>& value) {
    return value ? bind(index, std::string_view(*value)) : bind_null(index);
  }
  Statement& bind(int index, Timestamp value) { return bind(index, std::int64_t{value.time_since_epoch().count()}); }
  Statement& bind(int index, const std::optional<Timestamp>& value) {
    return value ? bind(index, *value) : bind_null(index);
  }

  // true: a row is ready to read; false: the statement has finished.
  virtual Result<bool> step() = 0;
  // Steps to completion, for statements whose rows (if any) don't matter.
  Status run();
  // Ready to run again, with no bindings; ends whatever read the statement held.
  virtual void reset() = 0;
  // Rows inserted, updated or deleted by the statement's last run.
  virtual std::int64_t changes() const = 0;

  virtual bool column_is_null(int index) const = 0;
  // Integers; a PostgreSQL boolean reads as 1 or 0.
  virtual std::int64_t column_int64(int index) const = 0;
  virtual std::string column_text(int index) const = 0;  // "" for NULL
  std::optional<std::string> column_optional_text(int index) const {
    if (column_is_null(index)) return std::nullopt;
    return column_text(index);
  }
  Timestamp column_time(int index) const { return Timestamp{std::chrono::seconds{column_int64(index)}}; }
  std::optional<Timestamp> column_optional_time(int index) const {
    if (column_is_null(index)) return std::nullopt;
    return column_time(index);
  }
};

// A borrowed cached statement that is reset when the borrower is done with it.
class StatementLease {
 public:
  explicit StatementLease(Statement* stmt) : stmt_(stmt) {}
  StatementLease(StatementLease&& other) noexcept : stmt_(std::exchange(other.stmt_, nullptr)) {}
  StatementLease& operator=(StatementLease&&) = delete;
  ~StatementLease() {
    if (stmt_) stmt_->reset();
  }
  Statement* operator->() const { return stmt_; }
  Statement& operator*() const { return *stmt_; }

 private:
  Statement* stmt_;
};

enum class TransactionMode { kRead, kWrite };

// One open database connection: the parts of the store that differ between backends.
// Used by one thread at a time.
class Connection {
 public:
  virtual ~Connection() = default;

  virtual Dialect dialect() const = 0;
  // What errors call the database: the file, or the URI without its password.
  virtual const std::string& name() const = 0;

  // A statement for `sql` (?N parameters), prepared on this connection.
  virtual Result<std::unique_ptr<Statement>> prepare(std::string_view sql) = 0;
  // Runs SQL without parameters or results (one or more statements).
  virtual Status exec(std::string_view sql) = 0;

  // The statement that opens a transaction: writes take the write lock up front where the
  // backend has one (SQLite's BEGIN IMMEDIATE); reads see one snapshot throughout.
  virtual const char* begin_sql(TransactionMode mode) const = 0;
  // A transaction is open (possibly failed, see transaction_failed).
  virtual bool in_transaction() const = 0;
  // The open transaction hit an error outside any savepoint and can only be rolled back
  // (PostgreSQL's "current transaction is aborted"). SQLite never leaves one so.
  virtual bool transaction_failed() const = 0;

  // Refuses a damaged database (StoreOptions::check_integrity), where the backend can tell.
  virtual Status check_integrity() = 0;
  // After pruning: give freed space back where the backend needs telling.
  virtual Status vacuum() = 0;
  // The durability settings, for the start-up log: "WAL, synchronous=NORMAL".
  virtual Result<std::string> durability() = 0;
};

// Statements kept for the life of the connection, keyed by their SQL text. The connection
// must outlive the cache.
class StatementCache {
 public:
  explicit StatementCache(Connection& connection) : connection_(connection) {}
  // The statement for `sql`, prepared on first use, with no bindings.
  Result<StatementLease> get(std::string_view sql);

 private:
  Connection& connection_;
  std::unordered_map<std::string, std::unique_ptr<Statement>> statements_;
};

// BEGIN … COMMIT, rolled back on destruction unless committed (see Connection::begin_sql).
// Inside an open transaction (a group commit, Store::begin_batch) this is a SAVEPOINT: its
// commit releases it into the outer transaction, and dropping it uncommitted rolls back
// only its own changes (on PostgreSQL, also the error that aborted them, so the outer
// transaction goes on).
class Transaction {
 public:
  using Mode = TransactionMode;
  static Result<Transaction> begin(Connection& connection, Mode mode);
  Transaction(Transaction&& other) noexcept
      : connection_(std::exchange(other.connection_, nullptr)), nested_(other.nested_) {}
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();

  Status commit();

 private:
  Transaction(Connection* connection, bool nested) : connection_(connection), nested_(nested) {}
  Connection* connection_;  // null once committed or moved from
  bool nested_ = false;
};

// Opens a SQLite file (sqlite.cpp) or a PostgreSQL database from a libpq URI (postgres.cpp),
// configured after `options`, not yet migrated.
Result<std::unique_ptr<Connection>> open_sqlite(const std::string& file, const StoreOptions& options);
Result<std::unique_ptr<Connection>> open_postgres(const std::string& uri, const StoreOptions& options);

// "postgresql://user:secret@host/db" -> "postgresql://user@host/db"; a key=value string
// loses its password=… pair.
std::string without_password(std::string_view location);

}  // namespace feedd::db
