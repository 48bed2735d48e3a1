#include "store/migrations.hpp"

#include <array>
#include <string>

#include "store/connection.hpp"

namespace feedd::db {

namespace {

// Migration N is kSqliteMigrations[N - 1] and kPostgresMigrations[N - 1]: the same tables,
// columns and meaning in each dialect. Append only, to both: a released migration never
// changes, because databases out there already record it as applied.
//
// Timestamps are INTEGER unix seconds. JSON columns hold arrays written by nlohmann-json.
// Entries deliberately have no ON DELETE CASCADE from stories: an entry row is what makes
// a source's item known, so that pruning a story must not make it come back as new.
constexpr std::array<const char*, 6> kSqliteMigrations = {
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
    // 5: several daemons sharing the file (README, "Several daemons, one database"): the
    // lease a daemon holds on a source while it fetches it, one row per daemon run that
    // counts its story changes (the others poll the sum to know when to render again),
    // and per host the earliest next request start and a Retry-After hold, in unix
    // milliseconds, that every daemon obeys.
    R"sql(
ALTER TABLE sources ADD COLUMN lease_holder TEXT;
ALTER TABLE sources ADD COLUMN lease_expires INTEGER;

CREATE TABLE daemons (
  id      TEXT PRIMARY KEY,
  started INTEGER NOT NULL,
  changes INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE hosts (
  host          TEXT PRIMARY KEY,
  next_start_ms INTEGER NOT NULL DEFAULT 0,
  held_until_ms INTEGER NOT NULL DEFAULT 0
);
)sql",
    // 6 (band index in one b-tree): story_bands was a rowid table with two indexes, three
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


// PostgreSQL's: BIGINT for timestamps, ids and band keys; identity columns where SQLite
// has INTEGER PRIMARY KEY; no WITHOUT ROWID. Same numbers, same meaning as above.
constexpr std::array<const char*, 6> kPostgresMigrations = {
    // 1: sources, stories, and the entries that tie each source's items to a story.
    R"sql(
CREATE TABLE sources (
  id                   BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  url                  TEXT NOT NULL UNIQUE,
  title                TEXT,
  tags                 TEXT NOT NULL DEFAULT '[]',
  feed_title           TEXT,
  etag                 TEXT,
  last_modified        TEXT,
  last_fetch           BIGINT,
  last_success         BIGINT,
  http_status          INTEGER NOT NULL DEFAULT 0,
  consecutive_failures INTEGER NOT NULL DEFAULT 0,
  last_error           TEXT
);

CREATE TABLE stories (
  id               BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  uid              TEXT NOT NULL UNIQUE,
  content_hash     TEXT NOT NULL UNIQUE,
  title            TEXT,
  link             TEXT,
  summary          TEXT,
  content          TEXT,
  authors          TEXT NOT NULL DEFAULT '[]',
  categories       TEXT NOT NULL DEFAULT '[]',
  enclosures       TEXT NOT NULL DEFAULT '[]',
  published        BIGINT,
  updated          BIGINT NOT NULL,
  first_seen       BIGINT NOT NULL,
  sort_time        BIGINT NOT NULL,
  origin_source_id BIGINT NOT NULL REFERENCES sources(id)
);
CREATE INDEX stories_newest_first ON stories(sort_time DESC, id DESC);

CREATE TABLE entries (
  source_id    BIGINT NOT NULL REFERENCES sources(id),
  identity     TEXT NOT NULL,
  story_id     BIGINT NOT NULL REFERENCES stories(id),
  content_hash TEXT NOT NULL,
  entry_link   TEXT,
  first_seen   BIGINT NOT NULL,
  PRIMARY KEY (source_id, identity)
);
CREATE INDEX entries_by_story ON entries(story_id, first_seen);
)sql",
    // 2: merge reasons, near-duplicate band keys, tombstones.
    R"sql(
ALTER TABLE entries ADD COLUMN merge_reason TEXT;

CREATE TABLE story_bands (
  band_key BIGINT NOT NULL,
  story_id BIGINT NOT NULL REFERENCES stories(id)
);
CREATE INDEX story_bands_by_key ON story_bands(band_key);
CREATE INDEX story_bands_by_story ON story_bands(story_id);

CREATE TABLE pruned_entries (
  source_id BIGINT NOT NULL REFERENCES sources(id),
  identity  TEXT NOT NULL,
  PRIMARY KEY (source_id, identity)
);
CREATE TABLE pruned_hashes (
  content_hash TEXT PRIMARY KEY
);
)sql",
    // 3: what fetching learnt about a source beyond its health.
    R"sql(
ALTER TABLE sources ADD COLUMN current_url TEXT;
ALTER TABLE sources ADD COLUMN redirect_candidate TEXT;
ALTER TABLE sources ADD COLUMN gone INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sources ADD COLUMN body_hash TEXT;
ALTER TABLE sources ADD COLUMN next_fetch BIGINT;
)sql",
    // 4: the raw hash of each entry as its source last wrote it.
    R"sql(
ALTER TABLE entries ADD COLUMN raw_hash TEXT;
)sql",
    // 5: several daemons sharing the database: leases, per-daemon change counts, hosts
    // (milliseconds, so BIGINT).
    R"sql(
ALTER TABLE sources ADD COLUMN lease_holder TEXT;
ALTER TABLE sources ADD COLUMN lease_expires BIGINT;

CREATE TABLE daemons (
  id      TEXT PRIMARY KEY,
  started BIGINT NOT NULL,
  changes BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE hosts (
  host          TEXT PRIMARY KEY,
  next_start_ms BIGINT NOT NULL DEFAULT 0,
  held_until_ms BIGINT NOT NULL DEFAULT 0
);
)sql",
    // 6: the band index in one b-tree (see SQLite's 6).
    R"sql(
CREATE TABLE story_band_keys (
  band_key BIGINT NOT NULL,
  story_id BIGINT NOT NULL,
  PRIMARY KEY (band_key, story_id)
);
INSERT INTO story_band_keys(band_key, story_id) SELECT band_key, story_id FROM story_bands ON CONFLICT DO NOTHING;
ALTER TABLE stories ADD COLUMN band_keys TEXT;
UPDATE stories SET band_keys = (SELECT '[' || string_agg(CAST(b.band_key AS TEXT), ',') || ']' FROM story_bands b
                                WHERE b.story_id = stories.id);
DROP TABLE story_bands;
)sql",
};
static_assert(kPostgresMigrations.size() == kSqliteMigrations.size(),
              "every migration is written for both backends, under the same number");

const char* migration_sql(Dialect dialect, int version) {
  return dialect == Dialect::kPostgres ? kPostgresMigrations[version - 1] : kSqliteMigrations[version - 1];
}

// Any constant of feedd's own: the lock that lets one daemon at a time migrate a database.
constexpr std::int64_t kMigrationLock = 0x66656564'64000001;  // "feedd", 1

Result<int> applied_version(Connection& db) {
  auto stmt = db.prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  if (!stmt.ok()) return stmt.status();
  auto row = (*stmt)->step();
  if (!row.ok()) return row.status();
  return static_cast<int>((*stmt)->column_int64(0));
}

Status apply(Connection& db, int version) {
  auto txn = Transaction::begin(db, Transaction::Mode::kWrite);
  if (!txn.ok()) return txn.status();
  // Another process may have migrated while we waited for the write lock.
  auto current = applied_version(db);
  if (!current.ok()) return current.status();
  if (*current >= version) return Status::ok();

  Status status = db.exec(migration_sql(db.dialect(), version));
  if (!status.is_ok()) return status;
  auto record = db.prepare(db.dialect() == Dialect::kPostgres
                               ? "INSERT INTO schema_migrations(version, applied_at)"
                                 " VALUES (?1, CAST(EXTRACT(EPOCH FROM now()) AS BIGINT))"
                               : "INSERT INTO schema_migrations(version, applied_at)"
                                 " VALUES (?1, CAST(strftime('%s', 'now') AS INTEGER))");
  if (!record.ok()) return record.status();
  status = (*record)->bind(1, version).run();
  if (!status.is_ok()) return status;
  return txn->commit();
}

Result<int> migrate_each(Connection& db, int* found) {
  Status status = db.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations ("
      " version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)");
  if (!status.is_ok()) return status;
  auto current = applied_version(db);
  if (!current.ok()) return current.status();
  if (found) *found = *current;
  if (*current > newest_schema_version()) {
    return Status::database(db.name() + ": schema version " + std::to_string(*current) +
                            " is newer than this feedd knows (" + std::to_string(newest_schema_version()) + ")");
  }
  for (int version = *current + 1; version <= newest_schema_version(); ++version) {
    status = apply(db, version);
    if (!status.is_ok()) return Status::database("migration " + std::to_string(version) + ": " + status.message());
  }
  return newest_schema_version();
}

}  // namespace

int newest_schema_version() { return static_cast<int>(kSqliteMigrations.size()); }

Result<int> migrate(Connection& db, int* found) {
  if (db.dialect() == Dialect::kSqlite) return migrate_each(db, found);
  // PostgreSQL: daemons starting at once on one database migrate one after the other,
  // the later ones finding nothing left to do. The whole run is one transaction holding
  // the lock (each migration a savepoint inside it): even CREATE TABLE IF NOT EXISTS
  // races with itself otherwise. DDL is transactional, so a failed run changes nothing.
  auto txn = Transaction::begin(db, Transaction::Mode::kWrite);
  if (!txn.ok()) return txn.status();
  if (Status s = db.exec("SELECT pg_advisory_xact_lock(" + std::to_string(kMigrationLock) + ")"); !s.is_ok()) {
    return s;
  }
  auto version = migrate_each(db, found);
  if (!version.ok()) return version.status();
  if (Status s = txn->commit(); !s.is_ok()) return s;
  return version;
}

}  // namespace feedd::db
