#include "store/migrations.hpp"

#include <array>
#include <string>

#include "store/sqlite.hpp"

namespace feedd::db {

namespace {

// Migration N is kMigrations[N - 1]. Append only: a released migration never changes,
// because files out there already record it as applied.
//
// Timestamps are INTEGER unix seconds. JSON columns hold arrays written by nlohmann-json.
// Entries deliberately have no ON DELETE CASCADE from stories: an entry row is what makes
// a source's item known, so that pruning a story must not make it come back as new.
constexpr std::array<const char*, 5> kMigrations = {
    // 1: sources, stories, and the entries that tie each source's items to a story.
    R"sql(
CREATE TABLE sources (
  id                   INTEGER PRIMARY KEY,
  url                  TEXT NOT NULL UNIQUE,
  title                TEXT,
  tags                 TEXT NOT NULL DEFAULT '[]',
  feed_title           TEXT,
  etag                 TEXT,
  last_modified        TEXT,
  last_fetch           INTEGER,
  last_success         INTEGER,
  http_status          INTEGER NOT NULL DEFAULT 0,
  consecutive_failures INTEGER NOT NULL DEFAULT 0,
  last_error           TEXT
);

CREATE TABLE stories (
  id               INTEGER PRIMARY KEY,
  uid              TEXT NOT NULL UNIQUE,
  content_hash     TEXT NOT NULL UNIQUE,
  title            TEXT,
  link             TEXT,
  summary          TEXT,
  content          TEXT,
  authors          TEXT NOT NULL DEFAULT '[]',
  categories       TEXT NOT NULL DEFAULT '[]',
  enclosures       TEXT NOT NULL DEFAULT '[]',
  published        INTEGER,
  updated          INTEGER NOT NULL,
  first_seen       INTEGER NOT NULL,
  sort_time        INTEGER NOT NULL,
  origin_source_id INTEGER NOT NULL REFERENCES sources(id)
);
CREATE INDEX stories_newest_first ON stories(sort_time DESC, id DESC);

CREATE TABLE entries (
  source_id    INTEGER NOT NULL REFERENCES sources(id),
  identity     TEXT NOT NULL,
  story_id     INTEGER NOT NULL REFERENCES stories(id),
  content_hash TEXT NOT NULL,
  entry_link   TEXT,
  first_seen   INTEGER NOT NULL,
  PRIMARY KEY (source_id, identity)
) WITHOUT ROWID;
CREATE INDEX entries_by_story ON entries(story_id, first_seen);
)sql",
    // 2: why each copy joined its story, near-duplicate band keys, and the tombstones
    // that pruned stories leave behind (see Store::prune).
    R"sql(
ALTER TABLE entries ADD COLUMN merge_reason TEXT;

CREATE TABLE story_bands (
  band_key INTEGER NOT NULL,
  story_id INTEGER NOT NULL REFERENCES stories(id)
);
CREATE INDEX story_bands_by_key ON story_bands(band_key);
CREATE INDEX story_bands_by_story ON story_bands(story_id);

CREATE TABLE pruned_entries (
  source_id INTEGER NOT NULL REFERENCES sources(id),
  identity  TEXT NOT NULL,
  PRIMARY KEY (source_id, identity)
) WITHOUT ROWID;
CREATE TABLE pruned_hashes (
  content_hash TEXT PRIMARY KEY
) WITHOUT ROWID;
)sql",
    // 3: what fetching learnt about a source beyond its health: where a permanent
    // redirect moved it, whether it is gone (410), the hash of its last body, and when
    // the daemon means to fetch it next (for `feedd status`).
    R"sql(
ALTER TABLE sources ADD COLUMN current_url TEXT;
ALTER TABLE sources ADD COLUMN redirect_candidate TEXT;
ALTER TABLE sources ADD COLUMN gone INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sources ADD COLUMN body_hash TEXT;
ALTER TABLE sources ADD COLUMN next_fetch INTEGER;
)sql",
    // 4: the raw hash of each entry as its source last wrote it (Entry::raw_hash), so
    // that an entry fetched again unchanged is recognised without reading its HTML.
    // NULL for entries stored before, and for JSON Feed entries.
    R"sql(
ALTER TABLE entries ADD COLUMN raw_hash TEXT;
)sql",
    // 5 (band index in one b-tree): story_bands was a rowid table with two indexes, three
    // b-trees written for each of a new story's 16 band keys. story_band_keys is one
    // (its primary key); the keys of each story are also kept in its row, as a JSON
    // array, to remove its index rows by their keys (there is no index by story). No
    // foreign key: deleting a story would then scan the whole index for its rows.
    R"sql(
CREATE TABLE story_band_keys (
  band_key INTEGER NOT NULL,
  story_id INTEGER NOT NULL,
  PRIMARY KEY (band_key, story_id)
) WITHOUT ROWID;
INSERT INTO story_band_keys(band_key, story_id) SELECT band_key, story_id FROM story_bands WHERE true
  ON CONFLICT DO NOTHING;
ALTER TABLE stories ADD COLUMN band_keys TEXT;
UPDATE stories SET band_keys = (SELECT '[' || group_concat(b.band_key, ',') || ']' FROM story_bands b
                                WHERE b.story_id = stories.id);
DROP TABLE story_bands;
)sql",
};

Result<int> applied_version(sqlite3* db) {
  auto stmt = Statement::prepare(db, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  if (!stmt.ok()) return stmt.status();
  auto row = stmt->step();
  if (!row.ok()) return row.status();
  return static_cast<int>(stmt->column_int64(0));
}

Status apply(sqlite3* db, int version) {
  auto txn = Transaction::begin(db, Transaction::Mode::kWrite);
  if (!txn.ok()) return txn.status();
  // Another process may have migrated while we waited for the write lock.
  auto current = applied_version(db);
  if (!current.ok()) return current.status();
  if (*current >= version) return Status::ok();

  Status status = exec(db, kMigrations[version - 1]);
  if (!status.is_ok()) return status;
  auto record = Statement::prepare(
      db, "INSERT INTO schema_migrations(version, applied_at) VALUES (?1, CAST(strftime('%s', 'now') AS INTEGER))");
  if (!record.ok()) return record.status();
  status = record->bind(1, version).run();
  if (!status.is_ok()) return status;
  return txn->commit();
}

}  // namespace

int newest_schema_version() { return static_cast<int>(kMigrations.size()); }

Result<int> migrate(sqlite3* db) {
  Status status = exec(db,
                       "CREATE TABLE IF NOT EXISTS schema_migrations ("
                       " version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)");
  if (!status.is_ok()) return status;
  auto current = applied_version(db);
  if (!current.ok()) return current.status();
  if (*current > newest_schema_version()) {
    return Status::database(std::string(sqlite3_db_filename(db, "main")) + ": schema version " +
                            std::to_string(*current) + " is newer than this feedd knows (" +
                            std::to_string(newest_schema_version()) + ")");
  }
  for (int version = *current + 1; version <= newest_schema_version(); ++version) {
    status = apply(db, version);
    if (!status.is_ok()) return Status::database("migration " + std::to_string(version) + ": " + status.message());
  }
  return newest_schema_version();
}

}  // namespace feedd::db
