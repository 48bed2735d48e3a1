// The PostgreSQL backend (see connection.hpp for the contract): statements prepared once
// per connection (PQprepare, named; again after a reconnect), executed with text
// parameters, their rows read from the whole PGresult. The one place libpq is used.
#include <libpq-fe.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "parse/text.hpp"
#include "store/connection.hpp"

namespace feedd::db {

namespace {

struct FinishConnection {
  void operator()(PGconn* conn) const { PQfinish(conn); }
};
struct ClearResult {
  void operator()(PGresult* result) const { PQclear(result); }
};
using ConnectionHandle = std::unique_ptr<PGconn, FinishConnection>;
using ResultHandle = std::unique_ptr<PGresult, ClearResult>;

// libpq's messages end in a newline (and sometimes carry a DETAIL line): one line for logs.
std::string one_line(const char* message) {
  std::string text = message ? message : "";
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  for (char& c : text) {
    if (c == '\n') c = ' ';
  }
  return text.empty() ? "unknown error" : text;
}

bool succeeded(const PGresult* result) {
  const ExecStatusType status = PQresultStatus(result);
  return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
}

// ?N -> $N outside string literals, quoted identifiers and comments. `count` is set to the
// highest N (the number of parameters PQprepare is told of).
Result<std::string> to_dollar_parameters(std::string_view sql, int& count) {
  std::string out;
  out.reserve(sql.size());
  count = 0;
  for (std::size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (c == '\'' || c == '"') {
      const std::size_t end = sql.find(c, i + 1);  // '' inside a literal: two literals back to back
      if (end == std::string_view::npos) return Status::invalid_argument("unterminated quote in SQL");
      out.append(sql.substr(i, end - i + 1));
      i = end;
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      const std::size_t end = std::min(sql.find('\n', i), sql.size());
      out.append(sql.substr(i, end - i));
      i = end - 1;
    } else if (c == '?') {
      std::size_t j = i + 1;
      int number = 0;
      while (j < sql.size() && sql[j] >= '0' && sql[j] <= '9') number = number * 10 + (sql[j++] - '0');
      if (j == i + 1) return Status::invalid_argument("a bare ? in SQL: the store writes ?N");
      count = std::max(count, number);
      out += '$';
      out.append(sql.substr(i + 1, j - i - 1));
      i = j - 1;
    } else {
      out += c;
    }
  }
  return out;
}

class PostgresStatement;

// A lost connection (the server restarted, or the network cut it) is reset by the next
// command that finds it so, with the same conninfo; the server has then forgotten the
// session's settings and prepared statements: the settings are sent again at once, each
// statement is prepared again on its next run (it remembers the session it was prepared
// in). A connection lost inside the caller's transaction looks to the caller like an
// aborted transaction (in_transaction() and transaction_failed() both true) until it
// rolls back: nothing of it may be reported stored, and no later statement of it may run
// on its own in autocommit on the new connection.
class PostgresConnection final : public Connection {
 public:
  PostgresConnection(std::string name, ConnectionHandle conn, std::string settings)
      : name_(std::move(name)), conn_(std::move(conn)), settings_(std::move(settings)) {}

  Dialect dialect() const override { return Dialect::kPostgres; }
  const std::string& name() const override { return name_; }

  Result<std::unique_ptr<Statement>> prepare(std::string_view sql) override;
  Status exec(std::string_view sql) override;

  // Reads see one snapshot for the whole transaction (READ COMMITTED would give each
  // statement its own); writes stay READ COMMITTED, so that an INSERT … ON CONFLICT that
  // waited for another daemon's transaction then sees the row it committed.
  const char* begin_sql(TransactionMode mode) const override {
    return mode == TransactionMode::kWrite ? "BEGIN" : "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY";
  }
  bool in_transaction() const override {
    const PGTransactionStatusType status = PQtransactionStatus(conn_.get());
    return lost_transaction_ || status == PQTRANS_INTRANS || status == PQTRANS_INERROR || status == PQTRANS_ACTIVE;
  }
  bool transaction_failed() const override {
    return lost_transaction_ || PQtransactionStatus(conn_.get()) == PQTRANS_INERROR;
  }

  // PostgreSQL checksums its pages itself (when the cluster was made with them) and has
  // no cheap whole-database check: nothing to do at open.
  Status check_integrity() override { return Status::ok(); }
  // Autovacuum gives dead rows' space back to the tables by itself.
  Status vacuum() override { return Status::ok(); }
  Result<std::string> durability() override;

  // Sends the session's settings (at open, and again after each reconnect).
  Status configure();

  // Sends one command (`send` returns its result) and returns its successful result.
  // A command that finds the connection lost outside a transaction resets it first. One
  // that loses it on the way is sent again on a new connection only if `repeatable` (it
  // changes nothing: BEGIN, PREPARE, a SELECT) and no transaction was open; else its
  // error says the connection was lost. `doing` heads the error.
  template <typename Send>
  Result<ResultHandle> run(const std::string& doing, bool repeatable, Send send);

  PGconn* handle() const { return conn_.get(); }
  // Moves on every reconnect: statements prepared in an earlier session are gone.
  std::uint64_t session() const { return session_; }
  int next_statement_number() { return ++prepared_; }

 private:
  // A usable connection, or why there is none now.
  Status usable();
  Status reconnect();
  void note_lost(const std::string& message, bool in_transaction);

  std::string name_;
  ConnectionHandle conn_;
  std::string settings_;
  int prepared_ = 0;
  std::uint64_t session_ = 0;
  bool lost_transaction_ = false;  // lost inside a transaction the caller has not rolled back
};

class PostgresStatement final : public Statement {
 public:
  PostgresStatement(PostgresConnection* connection, std::string name, std::string sql, std::string head, int params)
      : connection_(connection), name_(std::move(name)), sql_(std::move(sql)), head_(std::move(head)),
        values_(params), present_(params, false), prepared_in_(connection->session()),
        reads_only_(only_reads(sql_)) {}

  using Statement::bind;
  Statement& bind(int index, std::int64_t value) override { return set(index, std::to_string(value)); }
  // PostgreSQL's text holds UTF-8 without NUL only, and refuses the whole statement
  // otherwise. Everything parsed is valid already; what comes straight from a server's
  // headers (an ETag in Latin-1) is stored with U+FFFD in place of the bad bytes: that
  // source's next request then misses the server's 304, and its unchanged body costs a
  // hash, not a parse, instead of every store of the source failing.
  Statement& bind(int index, std::string_view value) override { return set(index, parse::to_valid_text(value)); }
  Statement& bind_null(int index) override {
    if (!valid(index)) return *this;
    present_[index - 1] = false;
    return *this;
  }

  Result<bool> step() override {
    if (!result_) {
      if (bind_error_ != 0) {
        return Status::database(connection_->name() + ": binding " + head_ + ": no parameter ?" +
                                std::to_string(bind_error_));
      }
      std::vector<const char*> pointers(values_.size());
      for (std::size_t i = 0; i < values_.size(); ++i) pointers[i] = present_[i] ? values_[i].c_str() : nullptr;
      auto result = connection_->run(head_, reads_only_, [&]() -> PGresult* {
        PGconn* conn = connection_->handle();
        if (prepared_in_ != connection_->session()) {  // the server forgot it: a reconnect
          ResultHandle prepared(PQprepare(conn, name_.c_str(), sql_.c_str(), static_cast<int>(values_.size()), nullptr));
          if (!prepared || !succeeded(prepared.get())) return prepared.release();
          prepared_in_ = connection_->session();
        }
        return PQexecPrepared(conn, name_.c_str(), static_cast<int>(pointers.size()), pointers.data(), nullptr,
                              nullptr, 0);
      });
      if (!result.ok()) return result.status();
      result_ = std::move(result).value();
      row_ = -1;
    }
    ++row_;
    return row_ < PQntuples(result_.get());
  }

  void reset() override {
    result_.reset();
    std::fill(present_.begin(), present_.end(), false);
    bind_error_ = 0;
    row_ = -1;
  }

  std::int64_t changes() const override {
    if (!result_) return 0;
    const char* tuples = PQcmdTuples(result_.get());
    return tuples && *tuples ? std::strtoll(tuples, nullptr, 10) : 0;
  }

  bool column_is_null(int index) const override { return !readable(index) || PQgetisnull(result_.get(), row_, index); }

  std::int64_t column_int64(int index) const override {
    if (column_is_null(index)) return 0;
    const char* text = PQgetvalue(result_.get(), row_, index);
    if (text[0] == 't' && text[1] == '\0') return 1;
    if (text[0] == 'f' && text[1] == '\0') return 0;
    return std::strtoll(text, nullptr, 10);
  }

  std::string column_text(int index) const override {
    if (column_is_null(index)) return {};
    return std::string(PQgetvalue(result_.get(), row_, index),
                       static_cast<std::size_t>(PQgetlength(result_.get(), row_, index)));
  }

 private:
  // Only a plain SELECT is sent again after a lost connection: a write in autocommit may
  // have been committed before the connection went.
  static bool only_reads(const std::string& sql) {
    const std::size_t start = sql.find_first_not_of(" \n\t(");
    return start != std::string::npos && sql.compare(start, 6, "SELECT") == 0 &&
           sql.find("FOR UPDATE") == std::string::npos && sql.find("pg_advisory") == std::string::npos && sql.find("setval(") == std::string::npos;
  }
  bool valid(int index) {
    if (index >= 1 && index <= static_cast<int>(values_.size())) return true;
    if (bind_error_ == 0) bind_error_ = index;
    return false;
  }
  Statement& set(int index, std::string value) {
    if (!valid(index)) return *this;
    values_[index - 1] = std::move(value);
    present_[index - 1] = true;
    return *this;
  }
  bool readable(int index) const {
    return result_ && row_ >= 0 && row_ < PQntuples(result_.get()) && index >= 0 && index < PQnfields(result_.get());
  }

  PostgresConnection* connection_;  // outlives its statements
  std::string name_;
  std::string sql_;   // with $N parameters, to prepare again after a reconnect
  std::string head_;  // the SQL's first words, for errors
  std::vector<std::string> values_;
  std::vector<bool> present_;
  std::uint64_t prepared_in_;  // the connection's session() when prepared
  bool reads_only_;
  int bind_error_ = 0;
  ResultHandle result_;
  int row_ = -1;
};

template <typename Send>
Result<ResultHandle> PostgresConnection::run(const std::string& doing, bool repeatable, Send send) {
  for (bool first = true;; first = false) {
    if (Status s = usable(); !s.is_ok()) return Status::database(name_ + ": " + doing + ": " + s.message());
    const bool was_in_transaction = in_transaction();
    ResultHandle result(send());
    if (result && succeeded(result.get())) return result;
    const std::string message = one_line(result ? PQresultErrorMessage(result.get()) : PQerrorMessage(conn_.get()));
    if (PQstatus(conn_.get()) == CONNECTION_OK) return Status::database(name_ + ": " + doing + ": " + message);
    note_lost(message, was_in_transaction);
    if (!first || !repeatable || was_in_transaction) {
      return Status::database(name_ + ": " + doing + ": connection lost: " + message);
    }
  }
}

Status PostgresConnection::usable() {
  if (lost_transaction_) {
    return Status::database("the connection was lost during the open transaction; the server rolled it back");
  }
  if (PQstatus(conn_.get()) == CONNECTION_OK) return Status::ok();
  return reconnect();
}

void PostgresConnection::note_lost(const std::string& message, bool in_transaction) {
  if (in_transaction) lost_transaction_ = true;
  spdlog::warn("database {}: connection lost ({}){}; reconnecting", name_, message,
               in_transaction ? ", with the transaction in progress: nothing of it is stored" : "");
}

Status PostgresConnection::reconnect() {
  // PQreset connects again with the same conninfo, on the same PGconn (the statements'
  // handle stays valid), and keeps the notice processor.
  PQreset(conn_.get());
  if (PQstatus(conn_.get()) != CONNECTION_OK) {
    return Status::database("cannot reconnect: " + one_line(PQerrorMessage(conn_.get())));
  }
  ++session_;
  if (Status s = configure(); !s.is_ok()) return s;
  spdlog::info("database {}: reconnected", name_);
  return Status::ok();
}

Status PostgresConnection::configure() {
  ResultHandle result(PQexec(conn_.get(), settings_.c_str()));
  if (result && succeeded(result.get())) return Status::ok();
  return Status::database(name_ + ": " + settings_.substr(0, 40) + ": " +
                          one_line(result ? PQresultErrorMessage(result.get()) : PQerrorMessage(conn_.get())));
}

Result<std::unique_ptr<Statement>> PostgresConnection::prepare(std::string_view sql) {
  int count = 0;
  auto rewritten = to_dollar_parameters(sql, count);
  const std::string head(sql.substr(0, 40));
  if (!rewritten.ok()) return Status::database(name_ + ": preparing " + head + ": " + rewritten.status().message());
  std::string statement_name = "feedd_" + std::to_string(next_statement_number());
  // PREPARE changes nothing but this session: outside a transaction, sent again once.
  auto prepared = run("preparing " + head, !in_transaction(), [&] {
    return PQprepare(conn_.get(), statement_name.c_str(), rewritten->c_str(), count, nullptr);
  });
  if (!prepared.ok()) return prepared.status();
  return std::unique_ptr<Statement>(
      new PostgresStatement(this, std::move(statement_name), std::move(rewritten).value(), head, count));
}

Status PostgresConnection::exec(std::string_view sql) {
  const std::string text(sql);
  if (lost_transaction_ && text == "ROLLBACK") {  // what the server did already
    lost_transaction_ = false;
    return Status::ok();
  }
  // A BEGIN outside a transaction changes nothing if the connection drops under it.
  const bool repeatable =
      !in_transaction() && (text == begin_sql(TransactionMode::kWrite) || text == begin_sql(TransactionMode::kRead));
  auto result = run(text.substr(0, 40), repeatable, [&] { return PQexec(conn_.get(), text.c_str()); });
  return result.ok() ? Status::ok() : result.status();
}

Result<std::string> PostgresConnection::durability() {
  auto show = [this](const std::string& sql) -> Result<std::string> {
    auto result = run(sql, !in_transaction(), [&] { return PQexec(conn_.get(), sql.c_str()); });
    if (!result.ok()) return result.status();
    if (PQntuples(result->get()) < 1) return Status::database(name_ + ": " + sql + ": no row");
    return std::string(PQgetvalue(result->get(), 0, 0));
  };
  auto version = show("SHOW server_version");
  if (!version.ok()) return version.status();
  auto sync = show("SHOW synchronous_commit");
  if (!sync.ok()) return sync.status();
  // "15.14 (Debian 15.14-0+deb12u1)": the number is enough.
  const std::string number = version->substr(0, version->find(' '));
  return "PostgreSQL " + number + ", synchronous_commit=" + *sync;
}

void ignore_notice(void*, const char*) {}

}  // namespace

Result<std::unique_ptr<Connection>> open_postgres(const std::string& uri, const StoreOptions& options) {
  const std::string name = without_password(uri);
  ConnectionHandle conn(PQconnectdb(uri.c_str()));
  if (!conn) return Status::database(name + ": cannot connect: out of memory");
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    return Status::database(name + ": cannot connect: " + one_line(PQerrorMessage(conn.get())));
  }
  // NOTICEs ("relation already exists, skipping") would go to stderr.
  PQsetNoticeProcessor(conn.get(), ignore_notice, nullptr);
  // busy_timeout means what SQLite's does: how long a write waits for a lock another
  // connection holds before it fails (and changes nothing). Timestamps are stored as
  // integers, so the session's time zone does not matter.
  // 0 would mean "wait for ever" to PostgreSQL, "do not wait" to SQLite.
  const auto lock_wait = std::max<std::int64_t>(1, options.busy_timeout.count());
  std::string settings = "SET lock_timeout = " + std::to_string(lock_wait) + "; SET client_min_messages = warning";
  auto connection = std::make_unique<PostgresConnection>(name, std::move(conn), std::move(settings));
  if (Status s = connection->configure(); !s.is_ok()) return s;
  return std::unique_ptr<Connection>(std::move(connection));
}

}  // namespace feedd::db
