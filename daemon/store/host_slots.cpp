// Host politeness across daemons: the spacing between request starts to one host
// ([daemon].host_delay) and a host-wide Retry-After, kept in the hosts table so that
// every daemon sharing the database obeys them, not only the one that learnt them.

#include <algorithm>

#include "store/store_impl.hpp"

namespace feedd {

using store_detail::in_context;

namespace {

std::int64_t millis(MillisTimestamp t) { return t.time_since_epoch().count(); }

// Claims are asked again on whole seconds (the schedule's resolution): round up.
Timestamp second_at_or_after(std::int64_t ms) {
  return Timestamp(std::chrono::seconds((ms + 999) / 1000));
}

}  // namespace

Status Store::Impl::hold_back_for_hosts(const std::vector<ClaimRequest>& requests,
                                        std::map<std::string, SourceClaim>& answers, const std::string& daemon,
                                        MillisTimestamp now, std::chrono::milliseconds spacing) {
  struct HostRow {
    std::int64_t next_start = 0;
    std::int64_t held_until = 0;
    bool reserved = false;  // a claim of this call starts a request on it
  };
  std::map<std::string, HostRow> hosts;
  for (const ClaimRequest& request : requests) {
    SourceClaim& answer = answers[request.url];
    if (!answer.claimed || request.host.empty()) continue;
    auto [it, fresh] = hosts.try_emplace(request.host);
    HostRow& host = it->second;
    if (fresh) {
      auto read = statement("SELECT next_start_ms, held_until_ms FROM hosts WHERE host = ?1");
      if (!read.ok()) return read.status();
      (*read)->bind(1, request.host);
      auto row = (*read)->step();
      if (!row.ok()) return row.status();
      if (*row) host = {(*read)->column_int64(0), (*read)->column_int64(1), false};
    }
    const std::int64_t blocked_until =
        std::max(host.held_until, spacing.count() > 0 ? host.next_start : std::int64_t{0});
    if (blocked_until <= millis(now)) {
      if (spacing.count() > 0) {
        host.next_start = millis(now) + spacing.count();
        host.reserved = true;
      }
      continue;
    }
    answer.claimed = false;
    answer.retry_at = second_at_or_after(blocked_until);
    auto give_back = statement(
        "UPDATE sources SET lease_holder = NULL, lease_expires = NULL WHERE url = ?1 AND lease_holder = ?2");
    if (!give_back.ok()) return give_back.status();
    if (Status s = (*give_back)->bind(1, request.url).bind(2, daemon).run(); !s.is_ok()) return s;
  }
  for (const auto& [name, host] : hosts) {
    if (!host.reserved) continue;
    auto write = statement(
        "INSERT INTO hosts(host, next_start_ms) VALUES (?1, ?2)"
        " ON CONFLICT(host) DO UPDATE SET next_start_ms = excluded.next_start_ms");
    if (!write.ok()) return write.status();
    if (Status s = (*write)->bind(1, name).bind(2, host.next_start).run(); !s.is_ok()) return s;
  }
  return Status::ok();
}

Status Store::hold_host(const std::string& host, MillisTimestamp until) {
  const std::string doing = "holding requests to " + host;
  auto stmt = impl_->statement(
      "INSERT INTO hosts(host, held_until_ms) VALUES (?1, ?2)"
      " ON CONFLICT(host) DO UPDATE SET held_until_ms ="
      "   CASE WHEN hosts.held_until_ms > excluded.held_until_ms THEN hosts.held_until_ms"
      "   ELSE excluded.held_until_ms END");
  if (!stmt.ok()) return in_context(doing, stmt.status());
  Status status = (*stmt)->bind(1, host).bind(2, millis(until)).run();
  return status.is_ok() ? status : in_context(doing, status);
}

}  // namespace feedd
