// Leases on sources, for several daemons sharing one database (README, "Several daemons,
// one database"). A claim is its own short write transaction: inside a group commit it
// would stay invisible to the other daemons until that commit, and hold the write lock.

#include <algorithm>
#include <map>

#include "store/store_impl.hpp"

namespace feedd {

using store_detail::Dialect;
using store_detail::in_context;

namespace {

// URLs per statement: 10,000 due sources cost a few hundred statements, not 10,000, and
// each statement keeps one cached form (unused places are bound to NULL, which no url
// equals).
constexpr int kClaimChunk = 32;
constexpr int kFirstUrlParameter = 4;

// "?first, ?first+1, ...": kClaimChunk places. PostgreSQL refuses a statement that skips
// a parameter number (it cannot tell the skipped one's type), so each list starts right
// after the statement's other parameters.
std::string url_list(int first = kFirstUrlParameter) {
  std::string list;
  for (int i = 0; i < kClaimChunk; ++i) {
    if (i > 0) list += ", ";
    list += "?" + std::to_string(first + i);
  }
  return list;
}

// ?1 daemon, ?2 lease expiry, ?3 now. A lease of one's own may be taken again (a fetch
// that never reported back); an expired one of anybody's is free.
const std::string& claim_sql(Dialect dialect) {
  static const std::string kClaimable =
      " AND (lease_holder IS NULL OR lease_expires <= ?3 OR lease_holder = ?1)"
      " AND (next_fetch IS NULL OR next_fetch <= ?3)";
  static const std::string kSqlite =
      "UPDATE sources SET lease_holder = ?1, lease_expires = ?2 WHERE url IN (" + url_list() + ")" + kClaimable +
      " RETURNING url, etag, last_modified, body_hash";
  // PostgreSQL: rows another daemon's transaction has locked (claiming or storing them
  // right now) are skipped rather than waited for; they are refused and asked again.
  static const std::string kPostgres =
      "UPDATE sources SET lease_holder = ?1, lease_expires = ?2 WHERE id IN (SELECT id FROM sources WHERE url IN (" +
      url_list() + ")" + kClaimable + " FOR UPDATE SKIP LOCKED) RETURNING url, etag, last_modified, body_hash";
  return dialect == Dialect::kPostgres ? kPostgres : kSqlite;
}

const std::string& refused_sql() {
  static const std::string kSql =
      "SELECT url, next_fetch, lease_holder, lease_expires FROM sources WHERE url IN (" + url_list(1) + ")";
  return kSql;
}

void bind_chunk(db::Statement& stmt, const std::vector<std::string>& urls, std::size_t from,
                int first = kFirstUrlParameter) {
  for (int i = 0; i < kClaimChunk; ++i) {
    const std::size_t at = from + static_cast<std::size_t>(i);
    if (at < urls.size()) {
      stmt.bind(first + i, urls[at]);
    } else {
      stmt.bind_null(first + i);
    }
  }
}

}  // namespace

Result<std::vector<SourceClaim>> Store::claim_sources(const std::vector<ClaimRequest>& requests,
                                                      const std::string& daemon, MillisTimestamp now_ms,
                                                      const ClaimLimits& limits) {
  const std::string doing = "claiming " + std::to_string(requests.size()) + " due sources";
  const Timestamp now = std::chrono::floor<std::chrono::seconds>(now_ms);
  std::vector<std::string> urls;
  urls.reserve(requests.size());
  std::map<std::string, SourceClaim> answers;
  for (const ClaimRequest& request : requests) {
    urls.push_back(request.url);
    answers[request.url].url = request.url;
  }
  auto txn = impl_->begin(db::Transaction::Mode::kWrite);
  if (!txn.ok()) return in_context(doing, txn.status());
  for (std::size_t from = 0; from < urls.size(); from += kClaimChunk) {
    auto claim = impl_->statement(claim_sql(impl_->dialect()));
    if (!claim.ok()) return in_context(doing, claim.status());
    (*claim)->bind(1, daemon).bind(2, now + limits.lease).bind(3, now);
    bind_chunk(**claim, urls, from);
    for (;;) {
      auto row = (*claim)->step();
      if (!row.ok()) return in_context(doing, row.status());
      if (!*row) break;
      SourceClaim& answer = answers[(*claim)->column_text(0)];
      answer.claimed = true;
      answer.etag = (*claim)->column_optional_text(1);
      answer.last_modified = (*claim)->column_optional_text(2);
      answer.body_hash = (*claim)->column_optional_text(3);
    }
  }
  // Why the others were refused, and when to ask again. A url with no row at all is not
  // the store's to arbitrate: claimed.
  std::map<std::string, bool> known;
  for (std::size_t from = 0; from < urls.size(); from += kClaimChunk) {
    auto read = impl_->statement(refused_sql());
    if (!read.ok()) return in_context(doing, read.status());
    bind_chunk(**read, urls, from, /*first=*/1);
    for (;;) {
      auto row = (*read)->step();
      if (!row.ok()) return in_context(doing, row.status());
      if (!*row) break;
      SourceClaim& answer = answers[(*read)->column_text(0)];
      known[answer.url] = true;
      if (answer.claimed) continue;
      Timestamp retry = now + std::chrono::seconds(1);
      if (auto next = (*read)->column_optional_time(1)) retry = std::max(retry, *next);
      auto holder = (*read)->column_optional_text(2);
      auto expires = (*read)->column_optional_time(3);
      if (holder && expires && *expires > now && *holder != daemon) {
        answer.holder = holder;
        retry = std::max(retry, *expires);
      }
      answer.retry_at = retry;
    }
  }
  for (const std::string& url : urls) {
    if (!known.count(url)) answers[url].claimed = true;
  }
  if (Status s = impl_->hold_back_for_hosts(requests, answers, daemon, now_ms, limits.host_spacing); !s.is_ok()) {
    return in_context(doing, s);
  }
  if (Status s = txn->commit(); !s.is_ok()) return in_context(doing, s);
  std::vector<SourceClaim> claims;
  claims.reserve(requests.size());
  for (const std::string& url : urls) claims.push_back(answers[url]);
  return claims;
}

Status Store::release_source(const std::string& url, const std::string& daemon, std::optional<Timestamp> next_fetch) {
  const std::string doing = "releasing the lease on " + url;
  auto stmt = impl_->statement(
      "UPDATE sources SET lease_holder = NULL, lease_expires = NULL, next_fetch = COALESCE(?3, next_fetch)"
      " WHERE url = ?1 AND lease_holder = ?2");
  if (!stmt.ok()) return in_context(doing, stmt.status());
  Status status = (*stmt)->bind(1, url).bind(2, daemon).bind(3, next_fetch).run();
  return status.is_ok() ? status : in_context(doing, status);
}

Status Store::release_sources(const std::vector<Release>& releases, const std::string& daemon) {
  const std::string doing = "releasing " + std::to_string(releases.size()) + " leases";
  auto txn = impl_->begin(db::Transaction::Mode::kWrite);
  if (!txn.ok()) return in_context(doing, txn.status());
  for (const Release& release : releases) {
    if (Status s = release_source(release.url, daemon, release.next_fetch); !s.is_ok()) return s;
  }
  Status status = txn->commit();
  return status.is_ok() ? status : in_context(doing, status);
}

Status Store::release_all(const std::string& daemon) {
  const std::string doing = "releasing the leases of " + daemon;
  auto stmt = impl_->statement("UPDATE sources SET lease_holder = NULL, lease_expires = NULL WHERE lease_holder = ?1");
  if (!stmt.ok()) return in_context(doing, stmt.status());
  Status status = (*stmt)->bind(1, daemon).run();
  return status.is_ok() ? status : in_context(doing, status);
}

Result<std::vector<SourceLease>> Store::live_leases(Timestamp now) {
  const std::string doing = "reading leases";
  auto stmt = impl_->statement(
      "SELECT url, lease_holder, lease_expires FROM sources WHERE lease_holder IS NOT NULL AND lease_expires > ?1"
      " ORDER BY id");
  if (!stmt.ok()) return in_context(doing, stmt.status());
  (*stmt)->bind(1, now);
  std::vector<SourceLease> leases;
  for (;;) {
    auto row = (*stmt)->step();
    if (!row.ok()) return in_context(doing, row.status());
    if (!*row) return leases;
    leases.push_back({(*stmt)->column_text(0), (*stmt)->column_text(1), (*stmt)->column_time(2)});
  }
}

}  // namespace feedd
