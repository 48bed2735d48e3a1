#pragma once
// Private to daemon/store/: the one place sqlite3 handles are wrapped. Every error leaves
// here as a Status::database naming the database file, what was being done and SQLite's
// own message, so the Store's front door only adds which operation failed.

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "feedd/status.hpp"
#include "feedd/time.hpp"

namespace feedd::db {

struct CloseDatabase {
  // close_v2: if a statement somehow outlives the connection, SQLite defers the close
  // instead of failing and leaking the handle.
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct FinalizeStatement {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using DatabaseHandle = std::unique_ptr<sqlite3, CloseDatabase>;
using StatementHandle = std::unique_ptr<sqlite3_stmt, FinalizeStatement>;

// "<file>: <doing>: <SQLite's message>"
Status error(sqlite3* db, std::string_view doing);

// Runs SQL without results (one or more statements).
Status exec(sqlite3* db, const char* sql);

// One compiled statement. Bind parameters are 1-based, columns 0-based, as in SQLite.
// A bind that fails is remembered and reported by the next step().
class Statement {
 public:
  Statement() = default;
  static Result<Statement> prepare(sqlite3* db, std::string_view sql);

  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, int value) { return bind(index, std::int64_t{value}); }
  Statement& bind(int index, std::string_view value);
  Statement& bind(int index, const std::string& value) { return bind(index, std::string_view(value)); }
  Statement& bind(int index, const char* value) { return bind(index, std::string_view(value)); }
  Statement& bind(int index, const std::optional<std::string>& value);
  Statement& bind(int index, Timestamp value);
  Statement& bind(int index, const std::optional<Timestamp>& value);
  Statement& bind_null(int index);

  // true: a row is ready to read; false: the statement has finished.
  Result<bool> step();
  // Steps to completion, for statements whose rows (if any) don't matter.
  Status run();
  // Ready to run again, with no bindings. Also ends the read a half-stepped SELECT holds,
  // which in WAL mode would otherwise pin this connection to an old snapshot.
  void reset();

  bool column_is_null(int index) const;
  std::int64_t column_int64(int index) const;
  std::string column_text(int index) const;  // "" for NULL
  std::optional<std::string> column_optional_text(int index) const;
  Timestamp column_time(int index) const;
  std::optional<Timestamp> column_optional_time(int index) const;

 private:
  Statement(sqlite3* db, StatementHandle stmt) : db_(db), stmt_(std::move(stmt)) {}
  Statement& check_bind(int rc);
  std::string description() const;

  sqlite3* db_ = nullptr;
  StatementHandle stmt_;
  int bind_rc_ = SQLITE_OK;
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

// Prepared statements kept for the life of the connection, keyed by their SQL text.
// The connection must outlive the cache.
class StatementCache {
 public:
  explicit StatementCache(sqlite3* db) : db_(db) {}
  // The statement for `sql`, compiled on first use, with no bindings.
  Result<StatementLease> get(std::string_view sql);

 private:
  sqlite3* db_;
  std::unordered_map<std::string, Statement> statements_;
};

// BEGIN … COMMIT, rolled back on destruction unless committed. Writes begin IMMEDIATE so
// the write lock is taken (or the busy timeout spent) up front rather than failing with
// SQLITE_BUSY halfway through; reads begin DEFERRED and see one snapshot throughout.
class Transaction {
 public:
  enum class Mode { kRead, kWrite };
  static Result<Transaction> begin(sqlite3* db, Mode mode);
  // Inside an open transaction (a group commit, Store::begin_batch) this is a SAVEPOINT:
  // its commit releases it into the outer transaction, and dropping it uncommitted rolls
  // back only its own changes.
  Transaction(Transaction&& other) noexcept
      : db_(std::exchange(other.db_, nullptr)), nested_(other.nested_) {}
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();

  Status commit();

 private:
  Transaction(sqlite3* db, bool nested) : db_(db), nested_(nested) {}
  sqlite3* db_;  // null once committed or moved from
  bool nested_ = false;
};

}  // namespace feedd::db
