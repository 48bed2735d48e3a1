// The rules of ARCHITECTURE.md's "What is a story", applied to one fetch: identity within
// a source, one story per content hash, near duplicates, updates in place, tombstones.
#include <cstdio>
#include <unordered_set>

#include "dedup/sha256.hpp"
#include "feedd/dedup.hpp"
#include "feedd/store.hpp"
#include "store/json_columns.hpp"
#include "store/store_impl.hpp"

namespace feedd {

namespace {

using store_detail::in_context;
using store_detail::StoredEntry;

constexpr std::string_view kStoryUidPrefix = "urn:feedd:story:";

// Derived from where the story was first seen, never from its content, so it stays the
// same when the story is updated in place.
std::string story_uid(const std::string& source_url, const std::string& identity) {
  return std::string(kStoryUidPrefix) + dedup::sha256_hex(source_url + "\n" + identity).substr(0, 32);
}

// A published time is trusted for ordering unless it lies in the future: a feed that
// post-dates its items must not pin them to the top of the unified feed.
std::optional<Timestamp> trusted_published(const Entry& entry, Timestamp now) {
  if (entry.published && *entry.published <= now) return entry.published;
  return std::nullopt;
}

constexpr const char* kSameHashReason = "same content hash";

std::string near_duplicate_reason(double score) {
  char text[48];
  std::snprintf(text, sizeof text, "near duplicate (score %.2f)", score);
  return text;
}

}  // namespace

Result<std::int64_t> Store::Impl::record_fetched_source(const FetchedFeed& fetched, Timestamp now) {
  // A feed that stops sending its title keeps the one it had; validators are replaced
  // outright, since old ones the server no longer sends would only cause full fetches.
  auto stmt = statement(
      "INSERT INTO sources(url, feed_title, etag, last_modified, last_fetch, last_success, http_status,"
      "                    consecutive_failures, last_error)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, 0, NULL)"
      " ON CONFLICT(url) DO UPDATE SET feed_title = COALESCE(excluded.feed_title, sources.feed_title),"
      "   etag = excluded.etag, last_modified = excluded.last_modified, last_fetch = excluded.last_fetch,"
      "   last_success = excluded.last_success, http_status = excluded.http_status,"
      "   consecutive_failures = 0, last_error = NULL"
      " RETURNING id");
  if (!stmt.ok()) return stmt.status();
  (*stmt)->bind(1, fetched.source_url)
      .bind(2, fetched.feed.feed.title)
      .bind(3, fetched.etag)
      .bind(4, fetched.last_modified)
      .bind(5, now)
      .bind(6, fetched.http_status);
  auto row = (*stmt)->step();
  if (!row.ok()) return row.status();
  return (*stmt)->column_int64(0);
}

Result<std::optional<StoredEntry>> Store::Impl::stored_entry(std::int64_t source_id, const std::string& identity) {
  auto stmt = statement(
      "SELECT e.content_hash, e.story_id, s.origin_source_id = e.source_id FROM entries e"
      " JOIN stories s ON s.id = e.story_id WHERE e.source_id = ?1 AND e.identity = ?2");
  if (!stmt.ok()) return stmt.status();
  (*stmt)->bind(1, source_id).bind(2, identity);
  auto row = (*stmt)->step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<StoredEntry>();
  return std::optional<StoredEntry>(
      StoredEntry{(*stmt)->column_text(0), (*stmt)->column_int64(1), (*stmt)->column_int64(2) != 0});
}

Result<std::optional<std::int64_t>> Store::Impl::story_with_hash(const std::string& content_hash) {
  auto stmt = statement("SELECT id FROM stories WHERE content_hash = ?1");
  if (!stmt.ok()) return stmt.status();
  (*stmt)->bind(1, content_hash);
  auto row = (*stmt)->step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<std::int64_t>();
  return std::optional<std::int64_t>((*stmt)->column_int64(0));
}

Result<std::optional<std::int64_t>> Store::Impl::insert_story(std::int64_t source_id, const std::string& source_url,
                                                              const std::string& identity, const Entry& entry,
                                                              const std::vector<std::int64_t>& band_keys, Timestamp now) {
  auto stmt = statement(
      "INSERT INTO stories(uid, content_hash, title, link, summary, content, authors, categories, enclosures,"
      "                    published, updated, first_seen, sort_time, origin_source_id, band_keys)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11, ?12, ?13, ?14)"
      " ON CONFLICT DO NOTHING RETURNING id");
  if (!stmt.ok()) return stmt.status();
  (*stmt)->bind(1, story_uid(source_url, identity))
      .bind(2, entry.content_hash)
      .bind(3, entry.title)
      .bind(4, entry.link)
      .bind(5, entry.summary)
      .bind(6, entry.content)
      .bind(7, db::strings_to_json(entry.authors))
      .bind(8, db::strings_to_json(entry.categories))
      .bind(9, db::enclosures_to_json(entry.enclosures))
      .bind(10, entry.published)
      .bind(11, now)
      .bind(12, trusted_published(entry, now).value_or(now))
      .bind(13, source_id)
      .bind(14, store_detail::band_keys_json(band_keys));
  auto row = (*stmt)->step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<std::int64_t>();
  return std::optional<std::int64_t>((*stmt)->column_int64(0));
}

Status Store::Impl::update_story(std::int64_t story_id, const Entry& entry, Timestamp now) {
  // The uid, id, first_seen and origin stay: readers already know the story by them.
  // The sort position moves only when the entry now gives a trustworthy published time.
  auto stmt = statement(
      "UPDATE stories SET content_hash = ?2, title = ?3, link = ?4, summary = ?5, content = ?6, authors = ?7,"
      "   categories = ?8, enclosures = ?9, published = ?10, updated = ?11, sort_time = COALESCE(?12, sort_time)"
      " WHERE id = ?1");
  if (!stmt.ok()) return stmt.status();
  return (*stmt)
      ->bind(1, story_id)
      .bind(2, entry.content_hash)
      .bind(3, entry.title)
      .bind(4, entry.link)
      .bind(5, entry.summary)
      .bind(6, entry.content)
      .bind(7, db::strings_to_json(entry.authors))
      .bind(8, db::strings_to_json(entry.categories))
      .bind(9, db::enclosures_to_json(entry.enclosures))
      .bind(10, entry.published)
      .bind(11, now)
      .bind(12, trusted_published(entry, now))
      .run();
}

Status Store::Impl::insert_entry(std::int64_t source_id, const std::string& identity, std::int64_t story_id,
                                 const Entry& entry, Timestamp now, const std::optional<std::string>& merge_reason) {
  auto stmt = statement(
      "INSERT INTO entries(source_id, identity, story_id, content_hash, entry_link, first_seen, merge_reason,"
      " raw_hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, NULLIF(?8, ''))"
      " ON CONFLICT DO NOTHING");
  if (!stmt.ok()) return stmt.status();
  return (*stmt)
      ->bind(1, source_id)
      .bind(2, identity)
      .bind(3, story_id)
      .bind(4, entry.content_hash)
      .bind(5, entry.link)
      .bind(6, now)
      .bind(7, merge_reason)
      .bind(8, entry.raw_hash)
      .run();
}

Result<bool> Store::Impl::is_tombstoned(std::int64_t source_id, const std::string& identity,
                                        const std::string& content_hash) {
  auto stmt = statement(
      "SELECT EXISTS (SELECT 1 FROM pruned_entries WHERE source_id = ?1 AND identity = ?2)"
      "    OR EXISTS (SELECT 1 FROM pruned_hashes WHERE content_hash = ?3)");
  if (!stmt.ok()) return stmt.status();
  (*stmt)->bind(1, source_id).bind(2, identity).bind(3, content_hash);
  auto row = (*stmt)->step();
  if (!row.ok()) return row.status();
  return (*stmt)->column_int64(0) != 0;
}

Status Store::Impl::repoint_entry(std::int64_t source_id, const std::string& identity, std::int64_t story_id,
                                  const Entry& entry) {
  auto stmt = statement(
      "UPDATE entries SET story_id = ?3, content_hash = ?4, entry_link = ?5, raw_hash = NULLIF(?6, '')"
      " WHERE source_id = ?1 AND identity = ?2");
  if (!stmt.ok()) return stmt.status();
  return (*stmt)
      ->bind(1, source_id)
      .bind(2, identity)
      .bind(3, story_id)
      .bind(4, entry.content_hash)
      .bind(5, entry.link)
      .bind(6, entry.raw_hash)
      .run();
}

Status Store::Impl::note_raw_hash(std::int64_t source_id, const std::string& identity, const Entry& entry) {
  if (entry.raw_hash.empty()) return Status::ok();
  auto stmt = statement(
      "UPDATE entries SET raw_hash = ?3 WHERE source_id = ?1 AND identity = ?2 AND raw_hash IS DISTINCT FROM ?3");
  if (!stmt.ok()) return stmt.status();
  return (*stmt)->bind(1, source_id).bind(2, identity).bind(3, entry.raw_hash).run();
}

Status Store::Impl::apply_entry(std::int64_t source_id, const std::string& source_url, const std::string& identity,
                                const Entry& entry, const dedup::NearPrint* print, Timestamp now, ApplyStats& stats) {
  auto stored = stored_entry(source_id, identity);
  if (!stored.ok()) return stored.status();
  auto owner = story_with_hash(entry.content_hash);
  if (!owner.ok()) return owner.status();

  dedup::Known known;
  if (*stored) known.hash_for_identity = (*stored)->content_hash;
  known.hash_known = owner->has_value();

  const dedup::Decision decision = dedup::decide(entry.content_hash, known);
  if (decision == dedup::Decision::kNewStory || decision == dedup::Decision::kNewCopy) {
    // A story pruned for its age stays gone while its source (or any other) still lists it.
    auto pruned = is_tombstoned(source_id, identity, entry.content_hash);
    if (!pruned.ok()) return pruned.status();
    if (*pruned) {
      ++stats.unchanged;
      return Status::ok();
    }
  }
  switch (decision) {
    case dedup::Decision::kUnchanged:
      // Same content written differently (white space, attribute order): the next fetch
      // knows it by these bytes.
      ++stats.unchanged;
      return note_raw_hash(source_id, identity, entry);
    case dedup::Decision::kNewStory: {
      dedup::NearPrint computed;
      if (near_duplicates && !print) {
        computed = dedup::near_print(entry);
        print = &computed;
      }
      const std::vector<std::int64_t> no_keys;
      const std::vector<std::int64_t>& keys = near_duplicates ? print->band_keys : no_keys;
      if (near_duplicates) {
        auto similar = near_duplicate_of(keys, print->shingles, now);
        if (!similar.ok()) return similar.status();
        if (*similar) {
          ++stats.new_copies;
          ++stats.near_copies;
          return insert_entry(source_id, identity, (*similar)->first, entry, now,
                              near_duplicate_reason((*similar)->second));
        }
      }
      auto story_id = insert_story(source_id, source_url, identity, entry, keys, now);
      if (!story_id.ok()) return story_id.status();
      if (!*story_id) {
        // Another daemon on the same PostgreSQL database stored this content (or this
        // source's item) since story_with_hash() looked, and committed while this insert
        // waited for it: the entry joins that story, as a copy found a moment earlier would.
        auto stored_now = story_with_hash(entry.content_hash);
        if (!stored_now.ok()) return stored_now.status();
        if (!*stored_now) {
          return Status::database("story " + identity + " was stored under another content by another daemon at the "
                                  "same moment; the next fetch stores it");
        }
        ++stats.new_copies;
        return insert_entry(source_id, identity, **stored_now, entry, now, std::string(kSameHashReason));
      }
      ++stats.new_stories;
      if (Status s = insert_band_keys(**story_id, keys); !s.is_ok()) return s;
      return insert_entry(source_id, identity, **story_id, entry, now);
    }
    case dedup::Decision::kNewCopy:
      ++stats.new_copies;
      return insert_entry(source_id, identity, **owner, entry, now, std::string(kSameHashReason));
    case dedup::Decision::kChanged:
      break;
  }

  // Changed content. When another story already holds the new content (the entry was
  // edited into a copy of something stored), the entry joins that story instead of
  // breaking the one-story-per-hash rule; its old story keeps the text other sources may
  // still carry. Otherwise the entry's story is updated in place.
  if (*owner) {
    if (**owner == (*stored)->story_id) {
      ++stats.unchanged;  // its story already shows this content, via another source
    } else {
      ++stats.new_copies;
    }
    return repoint_entry(source_id, identity, **owner, entry);
  }
  // A copy's own edits (a near duplicate re-edited by its republisher) do not rewrite the
  // story its origin tells; the origin's edits do.
  if (!(*stored)->from_origin) {
    ++stats.unchanged;
    return repoint_entry(source_id, identity, (*stored)->story_id, entry);
  }
  Status status = update_story((*stored)->story_id, entry, now);
  if (!status.is_ok()) return status;
  ++stats.changed;
  if (near_duplicates) {
    const auto keys = print ? print->band_keys : dedup::near_print(entry).band_keys;
    if (Status s = replace_band_keys((*stored)->story_id, keys); !s.is_ok()) return s;
  }
  return repoint_entry(source_id, identity, (*stored)->story_id, entry);
}

Result<ApplyStats> Store::apply_fetch(const FetchedFeed& fetched, Timestamp now) {
  const std::string doing = "storing fetch of " + fetched.source_url;
  if (Status s = impl_->batch_still_open(); !s.is_ok()) return in_context(doing, s);
  // Everything below is one transaction: on any error the guard rolls back the entries
  // and the validators together, so a stored ETag never hides entries never stored.
  auto txn = impl_->begin(db::Transaction::Mode::kWrite);
  if (!txn.ok()) return in_context(doing, txn.status());
  // On any error the savepoint rolls back this fetch's stories: their pending band keys go too.
  struct ForgetOnError {
    Store::Impl& impl;
    std::size_t from;
    bool done = false;
    ~ForgetOnError() {
      if (!done) impl.forget_pending_bands(from);
    }
  } pending_guard{*impl_, impl_->pending_bands.size()};
  auto source_id = impl_->record_fetched_source(fetched, now);
  if (!source_id.ok()) return in_context(doing, source_id.status());

  ApplyStats stats;
  // A feed that repeats an identity is describing one item twice: the first one wins
  // and the repeats are ignored (not counted).
  // Entries parse_feed left out as known and unchanged count as unchanged, and come first
  // in `seen` as they would have: a later repeat of their identity is still ignored.
  std::unordered_set<std::string> seen(fetched.feed.unchanged_identities.begin(),
                                       fetched.feed.unchanged_identities.end());
  stats.unchanged += static_cast<int>(seen.size());
  const auto& entries = fetched.feed.entries;
  const bool printed = fetched.near_prints.size() == entries.size();
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const Entry& entry = entries[i];
    std::string identity = dedup::entry_identity(entry);
    if (!seen.insert(identity).second) continue;
    Status status = impl_->apply_entry(*source_id, fetched.source_url, identity, entry,
                                       printed ? &fetched.near_prints[i] : nullptr, now, stats);
    if (!status.is_ok()) return in_context(doing, status);
  }
  if (stats.changed_anything()) {
    if (Status s = impl_->count_change(); !s.is_ok()) return in_context(doing, s);
  }
  Status status = txn->commit();
  if (!status.is_ok()) return in_context(doing, status);
  pending_guard.done = true;
  return stats;
}

Result<KnownEntries> Store::known_entries(const std::string& source_url) {
  auto stmt = impl_->statement(
      "SELECT e.identity, e.raw_hash FROM entries e JOIN sources s ON s.id = e.source_id"
      " WHERE s.url = ?1 AND e.raw_hash IS NOT NULL");
  if (!stmt.ok()) return in_context("reading known entries of " + source_url, stmt.status());
  (*stmt)->bind(1, source_url);
  KnownEntries known;
  for (;;) {
    auto row = (*stmt)->step();
    if (!row.ok()) return in_context("reading known entries of " + source_url, row.status());
    if (!*row) return known;
    known.emplace((*stmt)->column_text(0), (*stmt)->column_text(1));
  }
}

}  // namespace feedd
