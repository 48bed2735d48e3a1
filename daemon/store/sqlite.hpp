#pragma once
// Private to daemon/store/: the SQLite backend, the one place sqlite3 handles are wrapped
// (see connection.hpp for the contract). Every error leaves here as a Status::database
// naming the database file, what was being done and SQLite's own message.

#include <sqlite3.h>

#include <memory>
#include <string>
#include <string_view>

#include "store/connection.hpp"
#include "store/wal_checkpointer.hpp"

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

class SqliteStatement final : public Statement {
 public:
  SqliteStatement(sqlite3* db, StatementHandle stmt) : db_(db), stmt_(std::move(stmt)) {}
  using Statement::bind;
  Statement& bind(int index, std::int64_t value) override;
  Statement& bind(int index, std::string_view value) override;
  Statement& bind_null(int index) override;
  Result<bool> step() override;
  // Also ends the read a half-stepped SELECT holds, which in WAL mode would otherwise pin
  // this connection to an old snapshot.
  void reset() override;
  std::int64_t changes() const override { return changes_; }
  bool column_is_null(int index) const override;
  std::int64_t column_int64(int index) const override;
  std::string column_text(int index) const override;

 private:
  Statement& check_bind(int rc);
  std::string description() const;

  sqlite3* db_;
  StatementHandle stmt_;
  int bind_rc_ = SQLITE_OK;
  std::int64_t changes_ = 0;
};

class SqliteConnection final : public Connection {
 public:
  SqliteConnection(std::string file, DatabaseHandle db, StoreOptions options)
      : file_(std::move(file)), db_(std::move(db)), options_(options) {}

  Dialect dialect() const override { return Dialect::kSqlite; }
  const std::string& name() const override { return file_; }
  Result<std::unique_ptr<Statement>> prepare(std::string_view sql) override;
  Status exec(std::string_view sql) override;
  const char* begin_sql(TransactionMode mode) const override {
    return mode == TransactionMode::kWrite ? "BEGIN IMMEDIATE" : "BEGIN";
  }
  bool in_transaction() const override { return !sqlite3_get_autocommit(db_.get()); }
  bool transaction_failed() const override { return false; }
  Status check_integrity() override;
  Status vacuum() override;
  Result<std::string> durability() override;

  // WAL, synchronous=NORMAL, foreign keys, the page cache (see sqlite.cpp); checkpoints
  // on their own thread when the options ask for it.
  Status configure();
  sqlite3* handle() const { return db_.get(); }

 private:
  Status error(std::string_view doing) const;
  Result<std::int64_t> pragma_int(const char* sql);

  std::string file_;
  DatabaseHandle db_;
  StoreOptions options_;
  std::unique_ptr<WalCheckpointer> checkpointer_;  // declared after db_: stops before it closes
};

}  // namespace feedd::db
