// The change marker: one row per daemon run, moved only by that daemon and only in the
// transaction that changes stories, so no row is fought over; the other daemons compare
// the sum of the rows not theirs every second or two and render again when it moves.

#include "store/store_impl.hpp"

namespace feedd {

using store_detail::in_context;

Status Store::set_daemon_id(const std::string& daemon, Timestamp now) {
  const std::string doing = "registering daemon " + daemon;
  auto stmt = impl_->statement("INSERT INTO daemons(id, started) VALUES (?1, ?2) ON CONFLICT(id) DO NOTHING");
  if (!stmt.ok()) return in_context(doing, stmt.status());
  if (Status s = (*stmt)->bind(1, daemon).bind(2, now).run(); !s.is_ok()) return in_context(doing, s);
  impl_->daemon_id = daemon;
  return Status::ok();
}

Status Store::Impl::count_change() {
  if (daemon_id.empty()) return Status::ok();
  auto stmt = statement("UPDATE daemons SET changes = changes + 1 WHERE id = ?1");
  if (!stmt.ok()) return stmt.status();
  return (*stmt)->bind(1, daemon_id).run();
}

Result<std::int64_t> Store::changes_by_others(const std::string& daemon) {
  auto stmt = impl_->statement("SELECT COALESCE(SUM(changes), 0) FROM daemons WHERE id <> ?1");
  if (!stmt.ok()) return in_context("reading the change marker", stmt.status());
  (*stmt)->bind(1, daemon);
  auto row = (*stmt)->step();
  if (!row.ok()) return in_context("reading the change marker", row.status());
  return (*stmt)->column_int64(0);
}

}  // namespace feedd
