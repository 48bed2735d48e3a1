// The near-duplicate band index: each story's MinHash band keys (dedup::near_print), so
// that a new story is compared exactly only with the few stories sharing a band.
#include <string>
#include <vector>

#include "feedd/dedup.hpp"
#include "store/store_impl.hpp"

namespace feedd {

namespace {

// "(?2, ?1), (?3, ?1), ...": one row per band key, the story id in ?1.
const std::string kInsertBandsSql = [] {
  std::string sql = "INSERT INTO story_bands(band_key, story_id) VALUES ";
  for (std::size_t i = 0; i < dedup::kBandKeys; ++i) sql += (i ? ", (?" : "(?") + std::to_string(i + 2) + ", ?1)";
  return sql;
}();

// The stories (first seen since ?1) sharing a band key with ?2 ... ?17. The ids first,
// then the texts: DISTINCT over the texts themselves would sort whole stories.
const std::string kNearCandidatesSql = [] {
  std::string sql =
      "SELECT s.id, s.title, COALESCE(s.content, s.summary, '') FROM stories s"
      " WHERE s.id IN (SELECT story_id FROM story_bands WHERE band_key IN (";
  for (std::size_t i = 0; i < dedup::kBandKeys; ++i) sql += (i ? ", ?" : "?") + std::to_string(i + 2);
  return sql + ")) AND s.first_seen >= ?1";
}();

}  // namespace

Result<std::optional<std::pair<std::int64_t, double>>> Store::Impl::near_duplicate_of(
    const std::vector<std::int64_t>& keys, const std::vector<std::uint64_t>& shingles, Timestamp now) {
  using Found = std::optional<std::pair<std::int64_t, double>>;
  if (keys.empty()) return Found();
  // The band index gives the few stories sharing a band; only they are compared exactly.
  if (keys.size() != dedup::kBandKeys) return Status::invalid_argument("near-duplicate lookup: unexpected number of band keys");
  auto stmt = statement(kNearCandidatesSql);
  if (!stmt.ok()) return stmt.status();
  (*stmt)->bind(1, now - near_window);
  for (std::size_t i = 0; i < keys.size(); ++i) (*stmt)->bind(static_cast<int>(i) + 2, keys[i]);
  Found best;
  for (;;) {
    auto row = (*stmt)->step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    const auto theirs = dedup::shingles((*stmt)->column_text(1), (*stmt)->column_text(2));
    const dedup::Similarity similar = dedup::similarity(shingles, theirs);
    if (!similar.is_near_duplicate()) continue;
    if (!best || similar.score() > best->second) best = std::make_pair((*stmt)->column_int64(0), similar.score());
  }
  return best;
}

Status Store::Impl::store_band_keys(std::int64_t story_id, const std::vector<std::int64_t>& keys, bool replace) {
  if (replace) {
    auto clear = statement("DELETE FROM story_bands WHERE story_id = ?1");
    if (!clear.ok()) return clear.status();
    if (Status s = (*clear)->bind(1, story_id).run(); !s.is_ok()) return s;
  }
  if (keys.empty()) return Status::ok();
  // One statement of kBandKeys rows (every text long enough to judge has that many keys):
  // bound integers, no JSON to write and read back.
  if (keys.size() == dedup::kBandKeys) {
    auto insert = statement(kInsertBandsSql);
    if (!insert.ok()) return insert.status();
    (*insert)->bind(1, story_id);
    for (std::size_t i = 0; i < keys.size(); ++i) (*insert)->bind(static_cast<int>(i) + 2, keys[i]);
    return (*insert)->run();
  }
  // Fewer keys than a full print has (not made by dedup::near_print today): one row each.
  for (std::int64_t key : keys) {
    auto insert = statement("INSERT INTO story_bands(band_key, story_id) VALUES (?1, ?2)");
    if (!insert.ok()) return insert.status();
    if (Status s = (*insert)->bind(1, key).bind(2, story_id).run(); !s.is_ok()) return s;
  }
  return Status::ok();
}

}  // namespace feedd
