#pragma once
// Private to daemon/store/: the Store's state, shared by the files that implement it
// (store.cpp: opening, health records, batches, pruning; story_writer.cpp: the rules that
// turn entries into stories; band_index.cpp: the near-duplicate index; story_reader.cpp:
// pages of the unified feed). Code outside Impl reaches the database only through
// statement() and begin(), so that the connection underneath can change.

#include <chrono>
#include <cstdint>
#include <memory>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "feedd/dedup.hpp"
#include "feedd/store.hpp"
#include "store/band_filter.hpp"
#include "store/connection.hpp"

namespace feedd {

namespace store_detail {

// Which SQL the connection speaks, for the few statements that must differ (most are
// written once, in the subset SQLite and PostgreSQL share: ?N parameters, ON CONFLICT,
// RETURNING, IS DISTINCT FROM, CAST for parameters whose type the context leaves open,
// columns of the upsert's own row qualified by the table's name).
using Dialect = db::Dialect;

inline Status in_context(const std::string& doing, const Status& status) {
  return Status::database(doing + ": " + status.message());
}

inline std::int64_t sql_limit(std::size_t limit) {
  return static_cast<std::int64_t>(std::min<std::size_t>(limit, std::numeric_limits<std::int64_t>::max()));
}

// A story row's band keys (stories.band_keys): a JSON array, NULL for none.
std::optional<std::string> band_keys_json(const std::vector<std::int64_t>& keys);

// What the store holds for one (source, identity).
struct StoredEntry {
  std::string content_hash;
  std::int64_t story_id = 0;
  bool from_origin = false;  // the entry is its story's origin entry
};

}  // namespace store_detail

struct Store::Impl {
  Impl(std::unique_ptr<db::Connection> connection, StoreOptions opts)
      : db(std::move(connection)), statements(*db), options(opts) {}

  std::unique_ptr<db::Connection> db;  // declared before `statements`: statements go first
  db::StatementCache statements;
  StoreOptions options;
  bool batch_open = false;  // between begin_batch() and commit_batch()
  int schema_version = 0;
  int schema_version_found = 0;  // before open() migrated
  bool near_duplicates = true;
  std::chrono::seconds near_window = std::chrono::hours(24 * 7);
  std::string daemon_id;  // set_daemon_id(): whose change count moves with the stories

  // Counts one change of the stories for daemon_id (when set), inside the caller's
  // transaction (change_marker.cpp).
  Status count_change();
  // Inside claim_sources' transaction: gives back the claims whose host is held by a
  // Retry-After or was claimed less than `spacing` ago, and reserves the next start of
  // each host a claim stands for (host_slots.cpp).
  Status hold_back_for_hosts(const std::vector<ClaimRequest>& requests, std::map<std::string, SourceClaim>& answers,
                             const std::string& daemon, MillisTimestamp now, std::chrono::milliseconds spacing);

  // A cached statement for `sql` (prepared on first use) and a transaction: the only ways
  // in to the database for the code outside this struct.
  Result<db::StatementLease> statement(std::string_view sql) { return statements.get(sql); }
  Result<db::Transaction> begin(db::Transaction::Mode mode) { return db::Transaction::begin(*db, mode); }

  store_detail::Dialect dialect() const { return db->dialect(); }

  Status batch_still_open() const;
  Result<bool> is_tombstoned(std::int64_t source_id, const std::string& identity, const std::string& content_hash);
  Result<std::optional<std::pair<std::int64_t, double>>> near_duplicate_of(const std::vector<std::int64_t>& keys,
                                                                            const std::vector<std::uint64_t>& shingles,
                                                                            Timestamp now);
  // The band index (band_index.cpp). A new story's keys are written with its row
  // (insert_story) and inserted here; replace_band_keys swaps a story's keys, row and
  // index; drop_band_keys_before removes the keys of the stories first seen before
  // `cutoff` from the index (before prune deletes them).
  Status insert_band_keys(std::int64_t story_id, const std::vector<std::int64_t>& keys);
  Status delete_band_keys(std::int64_t story_id, const std::vector<std::int64_t>& keys);
  Status replace_band_keys(std::int64_t story_id, const std::vector<std::int64_t>& keys);
  Status drop_band_keys_before(Timestamp cutoff);

  // Inside a group commit a new story's keys wait here (near_duplicate_of looks here
  // too) and go to the index, in key order, when the batch commits (flush_pending_bands,
  // before COMMIT). A fetch whose savepoint rolls back forgets the keys it added
  // (forget_pending_bands from the size at its start); a batch that ends otherwise drops
  // them all.
  struct PendingBand {
    std::int64_t key = 0;
    std::int64_t story_id = 0;
  };
  // SQLite only (band_filter.hpp): the band keys of the stories up to id
  // band_filter_through, caught up before each lookup with the stories added since (by
  // this connection or, committed before its write lock was taken, by another daemon:
  // SQLite commits its writers one after the other, so ids are committed in order).
  // Not for PostgreSQL, where daemons commit side by side and a lower id can be
  // committed after a higher one: the filter would miss it for good.
  store_detail::BandFilter band_filter;
  bool band_filter_loaded = false;  // false: rebuilt (from the near window's stories) at the next lookup
  std::int64_t band_filter_through = 0;
  Status catch_up_band_filter(Timestamp now);
  std::vector<PendingBand> pending_bands;
  std::unordered_multimap<std::int64_t, std::int64_t> pending_by_key;  // key -> story id
  // `only_story` 0: every pending key from index `from` on; else only that story's.
  void forget_pending_bands(std::size_t from, std::int64_t only_story = 0);
  Status flush_pending_bands();
  void drop_pending_bands();
  Result<std::int64_t> record_fetched_source(const FetchedFeed& fetched, Timestamp now);
  Result<std::optional<store_detail::StoredEntry>> stored_entry(std::int64_t source_id, const std::string& identity);
  Result<std::optional<std::int64_t>> story_with_hash(const std::string& content_hash);
  // The new story's id; none when a story with its content hash (or uid) is there already,
  // stored by another connection since story_with_hash() looked.
  Result<std::optional<std::int64_t>> insert_story(std::int64_t source_id, const std::string& source_url,
                                                   const std::string& identity, const Entry& entry,
                                                   const std::vector<std::int64_t>& band_keys, Timestamp now);
  Status update_story(std::int64_t story_id, const Entry& entry, Timestamp now);
  Status insert_entry(std::int64_t source_id, const std::string& identity, std::int64_t story_id,
                      const Entry& entry, Timestamp now, const std::optional<std::string>& merge_reason = {});
  Status repoint_entry(std::int64_t source_id, const std::string& identity, std::int64_t story_id,
                       const Entry& entry);
  Status note_raw_hash(std::int64_t source_id, const std::string& identity, const Entry& entry);
  Status apply_entry(std::int64_t source_id, const std::string& source_url, const std::string& identity,
                     const Entry& entry, const dedup::NearPrint* print, Timestamp now, ApplyStats& stats);
  Status attach_sources(std::vector<Story>& stories);
};

}  // namespace feedd
