#include "store/connection.hpp"

namespace feedd::db {

Status Statement::run() {
  for (;;) {
    auto row = step();
    if (!row.ok()) return row.status();
    if (!*row) return Status::ok();
  }
}

Result<StatementLease> StatementCache::get(std::string_view sql) {
  auto found = statements_.find(std::string(sql));
  if (found == statements_.end()) {
    auto stmt = connection_.prepare(sql);
    if (!stmt.ok()) return stmt.status();
    found = statements_.emplace(std::string(sql), std::move(stmt).value()).first;
  }
  // A lease that ended early (an error mid-way) already reset it; reset anyway so a
  // statement is never handed out half-run.
  found->second->reset();
  return StatementLease(found->second.get());
}

Result<Transaction> Transaction::begin(Connection& connection, Mode mode) {
  const bool nested = connection.in_transaction();
  if (nested && connection.transaction_failed()) {
    return Status::database(connection.name() + ": the open transaction was aborted by an earlier error");
  }
  Status status = connection.exec(nested ? "SAVEPOINT nested" : connection.begin_sql(mode));
  if (!status.is_ok()) return status;
  return Transaction(&connection, nested);
}

Transaction::~Transaction() {
  // A failed COMMIT (or an error that already ended the transaction) leaves nothing to
  // roll back; ROLLBACK then fails harmlessly, so its result is ignored.
  if (!connection_ || !connection_->in_transaction()) return;
  if (nested_) {
    connection_->exec("ROLLBACK TO nested; RELEASE nested");
  } else {
    connection_->exec("ROLLBACK");
  }
}

Status Transaction::commit() {
  // PostgreSQL answers COMMIT of an aborted transaction with a rollback, not an error:
  // never report that as stored.
  if (connection_->transaction_failed()) {
    return Status::database(connection_->name() + ": the transaction was aborted by an earlier error");
  }
  Status status = connection_->exec(nested_ ? "RELEASE nested" : "COMMIT");
  // On failure (SQLITE_BUSY) the transaction is still open: the destructor rolls it back.
  if (status.is_ok()) connection_ = nullptr;
  return status;
}

std::string without_password(std::string_view location) {
  std::string text(location);
  const std::size_t scheme = text.find("://");
  if (scheme != std::string::npos) {
    const std::size_t start = scheme + 3;
    const std::size_t end = std::min(text.find_first_of("/?", start), text.size());
    const std::size_t at = text.rfind('@', end);
    if (at != std::string::npos && at >= start) {
      const std::size_t colon = text.find(':', start);
      if (colon != std::string::npos && colon < at) text.erase(colon, at - colon);
    }
  }
  // password=… as a URI query parameter or a key=value pair.
  for (std::size_t pos = text.find("password="); pos != std::string::npos; pos = text.find("password=", pos)) {
    const bool starts_word = pos == 0 || text[pos - 1] == '?' || text[pos - 1] == '&' || text[pos - 1] == ' ';
    if (!starts_word) {
      pos += 9;
      continue;
    }
    const std::size_t value_end = std::min(text.find_first_of("& ", pos), text.size());
    text.replace(pos, value_end - pos, "password=***");
    pos += 12;
  }
  return text;
}

}  // namespace feedd::db
