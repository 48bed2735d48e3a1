// The near-duplicate band index: each story's MinHash band keys (dedup::near_print), so
// that a new story is compared exactly only with the few stories sharing a band.
//
// story_band_keys is one b-tree (a WITHOUT ROWID table whose primary key is the
// (band_key, story_id) pair): the lookup by key and the insert of a story's keys touch
// nothing else. It has no index by story, so a story's keys are also kept in its row
// (stories.band_keys, a JSON array) and its rows are removed by their keys.
#include <algorithm>
#include <charconv>
#include <limits>
#include <string>
#include <vector>

#include "feedd/dedup.hpp"
#include "store/store_impl.hpp"

namespace feedd {

using store_detail::Dialect;

namespace {

// "(?2, ?1), (?3, ?1), ...": one row per band key, the story id in ?1.
const std::string kInsertBandsSql = [] {
  std::string sql = "INSERT INTO story_band_keys(band_key, story_id) VALUES ";
  for (std::size_t i = 0; i < dedup::kBandKeys; ++i) sql += (i ? ", (?" : "(?") + std::to_string(i + 2) + ", ?1)";
  // Two bands of one story can give the same key (their minima repeat): one row holds it.
  return sql + " ON CONFLICT DO NOTHING";
}();

// ?2 ... ?17: the band keys, as the lookup and the delete bind them.
const std::string kKeyList = [] {
  std::string list = "(";
  for (std::size_t i = 0; i < dedup::kBandKeys; ++i) list += (i ? ", ?" : "?") + std::to_string(i + 2);
  return list + ")";
}();

// The stories sharing a band key with ?1 ... ?16: the ids alone (the index covers them);
// the texts of the few found are read one by one, inside the window (?2).
const std::string kNearCandidatesSql = [] {
  std::string sql = "SELECT story_id FROM story_band_keys WHERE band_key IN (";
  for (std::size_t i = 0; i < dedup::kBandKeys; ++i) sql += (i ? ", ?" : "?") + std::to_string(i + 1);
  return sql + ")";
}();
constexpr const char* kCandidateTextSql =
    "SELECT title, COALESCE(content, summary, '') FROM stories WHERE id = ?1 AND first_seen >= ?2";

// Pending keys written in sorted runs: kPairsPerInsert (key, story) pairs per statement.
constexpr std::size_t kPairsPerInsert = 64;
const std::string kInsertPairsSql = [] {
  std::string sql = "INSERT INTO story_band_keys(band_key, story_id) VALUES ";
  for (std::size_t i = 0; i < kPairsPerInsert; ++i) {
    sql += (i ? ", (?" : "(?") + std::to_string(2 * i + 1) + ", ?" + std::to_string(2 * i + 2) + ")";
  }
  return sql + " ON CONFLICT DO NOTHING";
}();

const std::string kDeleteBandsSql = "DELETE FROM story_band_keys WHERE story_id = ?1 AND band_key IN " + kKeyList;

// A story row's band keys, as band_keys_json wrote them (or the migration that filled
// them). Anything else (a hand-edited row) reads as no keys.
std::vector<std::int64_t> band_keys_from_json(std::string_view text) {
  std::vector<std::int64_t> keys;
  if (text.size() < 2 || text.front() != '[' || text.back() != ']') return keys;
  const char* at = text.data() + 1;
  const char* end = text.data() + text.size() - 1;
  while (at < end) {
    while (at < end && (*at == ',' || *at == ' ')) ++at;
    if (at == end) break;
    std::int64_t key = 0;
    const auto [next, error] = std::from_chars(at, end, key);
    if (error != std::errc()) return {};
    keys.push_back(key);
    at = next;
  }
  return keys;
}

}  // namespace

std::optional<std::string> store_detail::band_keys_json(const std::vector<std::int64_t>& keys) {
  if (keys.empty()) return std::nullopt;
  std::string json = "[";
  for (std::int64_t key : keys) {
    if (json.size() > 1) json += ',';
    json += std::to_string(key);
  }
  return json + "]";
}

Result<std::optional<std::pair<std::int64_t, double>>> Store::Impl::near_duplicate_of(
    const std::vector<std::int64_t>& keys, const std::vector<std::uint64_t>& shingles, Timestamp now) {
  using Found = std::optional<std::pair<std::int64_t, double>>;
  if (keys.empty()) return Found();
  // The band index gives the few stories sharing a band; only they are compared exactly.
  if (keys.size() != dedup::kBandKeys) return Status::invalid_argument("near-duplicate lookup: unexpected number of band keys");
  std::vector<std::int64_t> candidates;
  bool maybe_stored = true;
  if (dialect() == Dialect::kSqlite) {
    if (Status s = catch_up_band_filter(now); !s.is_ok()) return s;
    maybe_stored = std::any_of(keys.begin(), keys.end(), [this](std::int64_t key) { return band_filter.may_contain(key); });
  }
  if (maybe_stored) {
    auto stmt = statement(kNearCandidatesSql);
    if (!stmt.ok()) return stmt.status();
    for (std::size_t i = 0; i < keys.size(); ++i) (*stmt)->bind(static_cast<int>(i) + 1, keys[i]);
    for (;;) {
      auto row = (*stmt)->step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      candidates.push_back((*stmt)->column_int64(0));
    }
  }
  // The stories of the open group commit are not in the index yet: their keys wait in
  // pending_by_key.
  for (std::int64_t key : keys) {
    const auto [first, last] = pending_by_key.equal_range(key);
    for (auto it = first; it != last; ++it) candidates.push_back(it->second);
  }
  std::sort(candidates.begin(), candidates.end());
  candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
  Found best;
  for (std::int64_t story_id : candidates) {
    auto text = statement(kCandidateTextSql);
    if (!text.ok()) return text.status();
    (*text)->bind(1, story_id).bind(2, now - near_window);
    auto row = (*text)->step();
    if (!row.ok()) return row.status();
    if (!*row) continue;
    const dedup::Similarity similar =
        dedup::similarity(shingles, dedup::shingles((*text)->column_text(0), (*text)->column_text(1)));
    (*text)->reset();
    if (similar.is_near_duplicate() && (!best || similar.score() > best->second)) {
      best = std::make_pair(story_id, similar.score());
    }
  }
  return best;
}

Status Store::Impl::catch_up_band_filter(Timestamp now) {
  if (!band_filter_loaded || band_filter.full()) {
    // Only the stories inside the near window can be candidates: the filter needs
    // their keys alone, and room to grow into (twice as many keys, at least a million:
    // 1.5 MB), so that a cold pass of 10,000 feeds rebuilds it three times.
    auto count = statement("SELECT COUNT(*) FROM stories WHERE band_keys IS NOT NULL AND first_seen >= ?1");
    if (!count.ok()) return count.status();
    (*count)->bind(1, now - near_window);
    auto counted = (*count)->step();
    if (!counted.ok()) return counted.status();
    const std::int64_t stories = *counted ? (*count)->column_int64(0) : 0;
    (*count)->reset();
    band_filter.reset(std::max<std::size_t>(static_cast<std::size_t>(stories) * dedup::kBandKeys * 2, 1u << 20));
    auto read = statement("SELECT band_keys FROM stories WHERE band_keys IS NOT NULL AND first_seen >= ?1");
    if (!read.ok()) return read.status();
    (*read)->bind(1, now - near_window);
    for (;;) {
      auto row = (*read)->step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      for (std::int64_t key : band_keys_from_json((*read)->column_text(0))) band_filter.add(key);
    }
    band_filter_through = std::numeric_limits<std::int64_t>::max();  // lowered to the last id below
    band_filter_loaded = true;
  }
  // After a rollback the ids above the last one stored are given out again: stories with
  // those ids are new to the filter, whatever it saw before.
  auto last = statement("SELECT COALESCE(MAX(id), 0) FROM stories");
  if (!last.ok()) return last.status();
  auto last_row = (*last)->step();
  if (!last_row.ok()) return last_row.status();
  band_filter_through = std::min(band_filter_through, *last_row ? (*last)->column_int64(0) : 0);
  (*last)->reset();
  auto added = statement("SELECT id, band_keys FROM stories WHERE id > ?1 ORDER BY id");
  if (!added.ok()) return added.status();
  (*added)->bind(1, band_filter_through);
  for (;;) {
    auto row = (*added)->step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    band_filter_through = (*added)->column_int64(0);
    for (std::int64_t key : band_keys_from_json((*added)->column_text(1))) band_filter.add(key);
  }
  return Status::ok();
}

Status Store::Impl::insert_band_keys(std::int64_t story_id, const std::vector<std::int64_t>& keys) {
  if (keys.empty()) return Status::ok();
  // Every text long enough to judge has exactly kBandKeys keys: one statement of bound
  // integers for all of them.
  if (keys.size() != dedup::kBandKeys) return Status::invalid_argument("band index: unexpected number of band keys");
  if (batch_open) {
    for (std::int64_t key : keys) {
      pending_bands.push_back({key, story_id});
      pending_by_key.emplace(key, story_id);
    }
    return Status::ok();
  }
  auto insert = statement(kInsertBandsSql);
  if (!insert.ok()) return insert.status();
  (*insert)->bind(1, story_id);
  for (std::size_t i = 0; i < keys.size(); ++i) (*insert)->bind(static_cast<int>(i) + 2, keys[i]);
  return (*insert)->run();
}

Status Store::Impl::delete_band_keys(std::int64_t story_id, const std::vector<std::int64_t>& keys) {
  if (keys.empty()) return Status::ok();
  if (keys.size() != dedup::kBandKeys) {
    // Not written by this feedd: the rows are found by story, one pass over the index.
    auto clear = statement("DELETE FROM story_band_keys WHERE story_id = ?1");
    if (!clear.ok()) return clear.status();
    return (*clear)->bind(1, story_id).run();
  }
  auto clear = statement(kDeleteBandsSql);
  if (!clear.ok()) return clear.status();
  (*clear)->bind(1, story_id);
  for (std::size_t i = 0; i < keys.size(); ++i) (*clear)->bind(static_cast<int>(i) + 2, keys[i]);
  return (*clear)->run();
}

void Store::Impl::forget_pending_bands(std::size_t from, std::int64_t only_story) {
  auto forgotten = [only_story](const PendingBand& band) { return only_story == 0 || band.story_id == only_story; };
  for (std::size_t i = from; i < pending_bands.size(); ++i) {
    if (!forgotten(pending_bands[i])) continue;
    const auto [first, last] = pending_by_key.equal_range(pending_bands[i].key);
    for (auto it = first; it != last; ++it) {
      if (it->second == pending_bands[i].story_id) {
        pending_by_key.erase(it);
        break;
      }
    }
  }
  pending_bands.erase(std::remove_if(pending_bands.begin() + static_cast<std::ptrdiff_t>(from), pending_bands.end(),
                                     forgotten),
                      pending_bands.end());
}

Status Store::Impl::flush_pending_bands() {
  std::vector<PendingBand> bands = std::move(pending_bands);
  pending_bands.clear();
  pending_by_key.clear();
  // In key order: each page of the index is written once per group commit, and outside
  // the savepoint of any one fetch (pages changed inside a savepoint are copied first).
  std::sort(bands.begin(), bands.end(), [](const PendingBand& a, const PendingBand& b) {
    return a.key != b.key ? a.key < b.key : a.story_id < b.story_id;
  });
  std::size_t i = 0;
  for (; i + kPairsPerInsert <= bands.size(); i += kPairsPerInsert) {
    auto insert = statement(kInsertPairsSql);
    if (!insert.ok()) return insert.status();
    for (std::size_t j = 0; j < kPairsPerInsert; ++j) {
      (*insert)->bind(static_cast<int>(2 * j + 1), bands[i + j].key).bind(static_cast<int>(2 * j + 2), bands[i + j].story_id);
    }
    if (Status s = (*insert)->run(); !s.is_ok()) return s;
  }
  for (; i < bands.size(); ++i) {
    auto insert = statement("INSERT INTO story_band_keys(band_key, story_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING");
    if (!insert.ok()) return insert.status();
    if (Status s = (*insert)->bind(1, bands[i].key).bind(2, bands[i].story_id).run(); !s.is_ok()) return s;
  }
  return Status::ok();
}

void Store::Impl::drop_pending_bands() {
  pending_bands.clear();
  pending_by_key.clear();
}

Status Store::Impl::replace_band_keys(std::int64_t story_id, const std::vector<std::int64_t>& keys) {
  // A story stored earlier in the open group commit still has its keys pending: they
  // are the old ones now. The new ones go to the index at once (edits are rare).
  forget_pending_bands(0, story_id);
  auto old = statement("SELECT band_keys FROM stories WHERE id = ?1");
  if (!old.ok()) return old.status();
  (*old)->bind(1, story_id);
  auto row = (*old)->step();
  if (!row.ok()) return row.status();
  const std::vector<std::int64_t> old_keys = *row ? band_keys_from_json((*old)->column_text(0)) : std::vector<std::int64_t>();
  (*old)->reset();
  if (old_keys == keys) return Status::ok();
  if (Status s = delete_band_keys(story_id, old_keys); !s.is_ok()) return s;
  if (!keys.empty()) {
    if (keys.size() != dedup::kBandKeys) return Status::invalid_argument("band index: unexpected number of band keys");
    auto insert = statement(kInsertBandsSql);
    if (!insert.ok()) return insert.status();
    (*insert)->bind(1, story_id);
    for (std::size_t i = 0; i < keys.size(); ++i) (*insert)->bind(static_cast<int>(i) + 2, keys[i]);
    if (Status s = (*insert)->run(); !s.is_ok()) return s;
  }
  // An edited story's new keys: its id is not new, the catch-up would not see them.
  for (std::int64_t key : keys) band_filter.add(key);
  auto mark = statement("UPDATE stories SET band_keys = ?2 WHERE id = ?1");
  if (!mark.ok()) return mark.status();
  return (*mark)->bind(1, story_id).bind(2, store_detail::band_keys_json(keys)).run();
}

Status Store::Impl::drop_band_keys_before(Timestamp cutoff) {
  if (Status s = flush_pending_bands(); !s.is_ok()) return s;
  // The keys first, then the deletes: the SELECT is done before its table's rows change.
  std::vector<std::pair<std::int64_t, std::vector<std::int64_t>>> stories;
  {
    auto stmt = statement("SELECT id, band_keys FROM stories WHERE first_seen < ?1 AND band_keys IS NOT NULL");
    if (!stmt.ok()) return stmt.status();
    (*stmt)->bind(1, cutoff);
    for (;;) {
      auto row = (*stmt)->step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      stories.emplace_back((*stmt)->column_int64(0), band_keys_from_json((*stmt)->column_text(1)));
    }
  }
  for (const auto& [story_id, keys] : stories) {
    if (Status s = delete_band_keys(story_id, keys); !s.is_ok()) return s;
  }
  return Status::ok();
}

}  // namespace feedd
