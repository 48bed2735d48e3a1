#pragma once
// store: the database (numbered migrations) that holds sources' fetch state and the
// stories: a SQLite file (WAL mode), or a PostgreSQL database that several daemons may
// share. The only module that speaks SQL; sqlite3.h and libpq-fe.h stay in daemon/store/.
//
// Thread-safety: a Store is used by one thread at a time (the store writer). Another
// thread that wants to read opens its own Store on the same database (WAL lets it).

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "feedd/config.hpp"
#include "feedd/dedup.hpp"
#include "feedd/parse.hpp"
#include "feedd/status.hpp"
#include "feedd/time.hpp"

namespace feedd {

// What the store remembers of a source between fetches.
struct SourceState {
  std::string url;
  std::optional<std::string> title;       // the configured override
  std::optional<std::string> feed_title;  // what the feed calls itself
  std::optional<std::string> etag;
  std::optional<std::string> last_modified;
  std::optional<Timestamp> last_fetch;    // last attempt, successful or not
  std::optional<Timestamp> last_success;
  int http_status = 0;                    // of the last attempt
  int consecutive_failures = 0;
  std::optional<std::string> last_error;
  std::int64_t entries = 0;               // entries of this source stored

  // The name shown to people: configured title, else the feed's, else the URL.
  std::string display_name() const;
};

// What fetching learnt about a source beyond its health record (fetch and schedule own
// these; the configured URL stays the source's key whatever they say).
struct SourceHttpState {
  std::string url;                                // the configured URL
  std::optional<std::string> current_url;         // where two successive permanent redirects moved it
  std::optional<std::string> redirect_candidate;  // a permanent redirect seen on the last fetch only
  bool gone = false;                              // answered 410: not polled until its URL changes
  std::optional<std::string> body_hash;           // SHA-256 of the last 200 body that was parsed
  std::optional<Timestamp> next_fetch;            // as last scheduled by `feedd run`
};

// One source that carried a story.
struct StorySource {
  std::string url;
  std::string name;                       // SourceState::display_name()
  std::optional<std::string> entry_link;  // the link this source gave the story
  Timestamp first_seen;
  // Why this source's entry joined a story another source brought first: "same content
  // hash" or "near duplicate (score 0.93)". Empty for the origin.
  std::optional<std::string> merge_reason;
};

struct Story {
  std::int64_t id = 0;
  std::string uid;  // stable public id (same across restarts and updates), "urn:feedd:story:<hex>"
  std::string content_hash;
  std::optional<std::string> title;
  std::optional<std::string> link;
  std::optional<std::string> summary;  // sanitised HTML
  std::optional<std::string> content;  // sanitised HTML
  std::vector<std::string> authors;
  std::vector<std::string> categories;
  std::vector<Enclosure> enclosures;
  std::optional<Timestamp> published;
  Timestamp updated;     // last time its content changed (first_seen until then)
  Timestamp first_seen;  // when feedd first stored it
  Timestamp sort_time;   // its place in the feed: trusted published time, else first seen
  std::vector<StorySource> sources;  // every source that carried it; the origin first
};

// One successful (200) fetch of a source, parsed.
struct FetchedFeed {
  std::string source_url;
  int http_status = 200;
  std::optional<std::string> etag;
  std::optional<std::string> last_modified;
  ParsedFeed feed;
  // Either empty (the store computes what it needs) or one per feed.entries, in order:
  // near-duplicate prints computed ahead, off the store thread (a source's first fetch,
  // whose entries are all new to it).
  std::vector<dedup::NearPrint> near_prints;
};

// A place in the feed's order (sort_time, then id, newest first): a page "before" a
// cursor holds the stories strictly older than it, so the page stays the same while new
// stories arrive on top. Written "<sort_time unix seconds>-<story id>".
struct StoryCursor {
  std::int64_t sort_time = 0;
  std::int64_t id = 0;
  std::string to_string() const;
  static std::optional<StoryCursor> parse(std::string_view text);
  friend bool operator==(const StoryCursor&, const StoryCursor&) = default;
};

struct StoryQuery {
  std::size_t limit = 0;
  std::optional<StoryCursor> before;  // none: the newest page
  std::optional<std::string> tag;     // only stories carried by a source with this tag
};

struct StoryPage {
  std::vector<Story> stories;       // newest first, each with all its sources
  std::optional<StoryCursor> next;  // the cursor of the next older page, if there is one
};

struct PruneStats {
  int stories_removed = 0;
  int tombstones_added = 0;  // identities and hashes kept so the stories never return
};

struct ApplyStats {
  int new_stories = 0;
  int new_copies = 0;  // entries collapsed into a story already stored
  int near_copies = 0;  // of those, collapsed as near duplicates (the rest by content hash)
  int changed = 0;     // stories updated in place
  int unchanged = 0;
  bool changed_anything() const { return new_stories + new_copies + changed > 0; }
};

// The answer to one daemon's claim on a due source (Store::claim_sources).
struct SourceClaim {
  std::string url;
  bool claimed = false;
  // Claimed: the source's validators and body hash as stored now, which another daemon
  // may have moved since this one last fetched it.
  std::optional<std::string> etag;
  std::optional<std::string> last_modified;
  std::optional<std::string> body_hash;
  // Refused: the earliest moment a claim can succeed (the stored next fetch, the end of
  // the live lease, or of the host's hold), and the daemon holding the lease, if one does.
  Timestamp retry_at{};
  std::optional<std::string> holder;
};

// A live lease, for `feedd status`.
struct SourceLease {
  std::string url;
  std::string holder;
  Timestamp expires;
};

// Unix milliseconds: request spacing per host is finer than a second.
using MillisTimestamp = std::chrono::sys_time<std::chrono::milliseconds>;

struct ClaimRequest {
  std::string url;
  std::string host;  // lower case, with the port when the URL names one
};

struct ClaimLimits {
  std::chrono::seconds lease{120};
  std::chrono::milliseconds host_spacing{0};  // [daemon].host_delay
};

struct StoreOptions {
  // How long a write waits for another connection (or process) holding the write lock
  // before it fails with "database is locked". The failed write changes nothing.
  // PostgreSQL: the connection's lock_timeout (how long a statement waits for a lock).
  std::chrono::milliseconds busy_timeout{5000};
  // Reads every page at open (PRAGMA quick_check) and refuses a damaged file instead of
  // writing into it. The daemon's writer does this at start-up; it costs one read of the
  // whole file. PostgreSQL: nothing to do (the server checks its own pages).
  bool check_integrity = false;
  // SQLite's page cache (PostgreSQL: unused; the server's own settings). A cold pass inserts into indexes keyed by hashes, every
  // insert a random page: with SQLite's 2 MB default most pages were read back from the
  // file and dirty ones spilled to the log before the commit. It only fills as used.
  int cache_kib = 32 * 1024;
  // SQLite: the write-ahead log is copied into the file (checkpointed) on a thread and
  // connection of its own, not inside this connection's commits (store/wal_checkpointer.hpp).
  // The daemon's writer does this. PostgreSQL: unused (the server checkpoints).
  bool background_checkpoint = false;
};

// What a dump holds (Store::export_dump, Store::import_dump): rows per table, in the
// dump's order (sources, stories, entries, story_bands, pruned_entries, pruned_hashes).
struct DumpStats {
  int schema_version = 0;  // of the store the dump was written from
  std::vector<std::pair<std::string, std::int64_t>> rows;

  std::int64_t count(std::string_view table) const;
  // "3 sources, 120 stories, 131 entries, 1920 story bands, 4 pruned entries, 4 pruned hashes"
  std::string to_string() const;
};

// `location` as logs and messages show it: a PostgreSQL URI without its password.
std::string database_display_name(const std::filesystem::path& location);

class Store {
 public:
  // Opens the database and brings its schema to the newest migration. `location` is a
  // SQLite file's path (created if needed), or a PostgreSQL connection URI
  // ("postgresql://user@host/dbname", is_postgres_location): the database must exist, and
  // the user needs CREATE on it for the migrations. Daemons opening one PostgreSQL database
  // at once migrate it once. Errors: Status::database with the backend's message and the
  // path (the URI without its password); a file that is not a database, or (with
  // check_integrity) one that is damaged, is refused and left as it is, never recreated.
  static Result<std::unique_ptr<Store>> open(const std::filesystem::path& location, StoreOptions options = {});
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Records the configured sources (URL, title override, tags). Sources no longer in the
  // list keep their rows and their stories.
  Status sync_sources(const std::vector<Source>& sources);

  // Everything one fetch changes, in one transaction: the entries (through dedup's rules:
  // one story per content hash, every source that carried it remembered, same identity
  // with new content updating the story) and the source's validators and health. Either
  // all of it is stored or none, so a stored validator never hides entries never stored.
  Result<ApplyStats> apply_fetch(const FetchedFeed& fetched, Timestamp now);

  // Every entry of the source stored with a raw hash (identity -> Entry::raw_hash), for
  // parse_feed's `known`: what it leaves out, apply_fetch counts as unchanged.
  Result<KnownEntries> known_entries(const std::string& source_url);

  // A 304 (or unchanged file): only the source's health record moves.
  Status record_not_modified(const std::string& source_url, int http_status, Timestamp now);
  // A failed fetch: only the source's health record moves; its stories are untouched.
  Status record_failure(const std::string& source_url, int http_status, const std::string& error,
                        Timestamp now);

  Result<std::optional<SourceState>> source_state(const std::string& source_url);
  Result<std::vector<SourceState>> source_states();

  // The newest `limit` stories, newest first (by published, else first seen), each with
  // all its sources.
  Result<std::vector<Story>> newest_stories(std::size_t limit);
  Result<std::int64_t> story_count();
  // Stories first seen on each UTC day from `since` on: (midnight of the day, count),
  // oldest first, days without a story left out. For the status page's chart.
  Result<std::vector<std::pair<Timestamp, std::int64_t>>> stories_per_day(Timestamp since);

  // One page of the feed: `query.limit` stories, newest first, older than `query.before`.
  Result<StoryPage> stories_page(const StoryQuery& query);

  // Near-duplicate collapsing (ARCHITECTURE.md): when on (the default, window 7 days), a
  // new story whose text is a near copy of a story first seen within `window` before it
  // joins that story instead. Off: only identical content hashes collapse.
  void set_near_duplicates(bool on, std::chrono::seconds window = std::chrono::hours(24 * 7));

  // Removes the stories first seen before `cutoff` (a story's age counts from when feedd
  // stored it, so an old-dated item fetched today is not dropped at once), with
  // their entries; what identified them (each source's identity and each content hash)
  // stays as a tombstone, so a source that still lists the story never brings it back as
  // new. Then returns freed pages to the file system (incremental vacuum).
  Result<PruneStats> prune(Timestamp cutoff);

  // Group commit: everything stored between begin_batch() and commit_batch() is one SQLite
  // transaction, so pages that many fetches touch are written once. Each apply_fetch and
  // record_* inside it stays all-or-nothing (a savepoint); a crash before commit_batch()
  // loses the whole batch, never part of a fetch. commit_batch() rolls back on failure.
  // An error that makes SQLite roll the whole transaction back by itself (a full disk,
  // an I/O error) loses the batch: every later write of it fails without writing
  // anything, and commit_batch() reports the batch as lost, so no caller ever takes a
  // rolled-back fetch for a stored one.
  Status begin_batch();
  Status commit_batch();
  // Between begin_batch() and commit_batch(), even once the batch is lost.
  bool in_batch() const;

  // Saves every field of `state` for the source state.url (creating its row if needed).
  Status save_source_http_state(const SourceHttpState& state);
  // Every source's SourceHttpState, in the order the sources were first recorded.
  Result<std::vector<SourceHttpState>> source_http_states();

  // Several daemons, one database (README): each `feedd run` is a daemon with an id of
  // its own ("host:pid:random"). Before fetching due sources it claims them. A claim on a
  // source succeeds only when no other daemon holds a live lease on it, its stored
  // next_fetch is not after `now`, its host is not held by a Retry-After, and (with a
  // host spacing) no request to its host was claimed less than the spacing ago; the
  // daemon then holds the lease until `now + lease` or until it releases it. Claims are
  // short autocommitted writes of their own (one transaction for all of `requests`), never
  // part of a batch: run them on a Store of their own. Each request gets one SourceClaim,
  // in order; a url the store does not know is claimed without a lease.
  Result<std::vector<SourceClaim>> claim_sources(const std::vector<ClaimRequest>& requests, const std::string& daemon,
                                                 MillisTimestamp now, const ClaimLimits& limits);
  // Ends this daemon's lease on the source once its fetch is stored, recording when the
  // source is due next (kept as it was when nullopt). A lease since taken over by another
  // daemon (this one's had expired) is left alone.
  Status release_source(const std::string& url, const std::string& daemon, std::optional<Timestamp> next_fetch);
  // release_source for many, in one transaction.
  struct Release {
    std::string url;
    std::optional<Timestamp> next_fetch;
  };
  Status release_sources(const std::vector<Release>& releases, const std::string& daemon);
  // Ends every lease the daemon holds (a clean stop).
  Status release_all(const std::string& daemon);
  // The leases that have not expired at `now`, by source URL.
  Result<std::vector<SourceLease>> live_leases(Timestamp now);

  // Holds every request to `host`, of every daemon, until `until` (a Retry-After).
  Status hold_host(const std::string& host, MillisTimestamp until);

  // The change marker: a daemon's id given here has a row counting the apply_fetch and
  // prune calls of this Store that changed stories, counted in the same transaction as
  // the change. The daemon is registered at once (`now` is its start).
  Status set_daemon_id(const std::string& daemon, Timestamp now);
  // The sum of the other daemons' counts: when it moves, they stored stories this daemon
  // has not rendered yet. Cheap (one row per daemon run ever started on the file).
  Result<std::int64_t> changes_by_others(const std::string& daemon);

  // Number of the newest migration applied.
  int schema_version() const;
  // The version open() found the file at, before migrating it (0: a new database).
  int schema_version_found() const;

  // Writes the whole store to `out` as a backend-neutral dump (JSON Lines, README "Moving a
  // store"): a header with the format, the schema version and the rows per table, one line
  // per row of every table in dependency order with its ids as stored, then a trailer with
  // the counts again, so a truncated dump is detected. Read in one snapshot (a read
  // transaction), one row at a time: never the whole store in memory. Errors:
  // Status::database (reading), Status::io (`out` failed; what was written is incomplete).
  Result<DumpStats> export_dump(std::ostream& out);

  // Loads a dump written by export_dump into this store, which must be empty (no row in any
  // table of the dump: a store with sources or stories is refused and left unchanged). All
  // or nothing, in one transaction: the header and trailer are checked, a dump from a newer
  // schema (or dump format) than this feedd knows is refused, the rows of each table must
  // match both counts, and a damaged line is reported with its line number ("line 7: ...").
  // Afterwards the store holds the same rows with the same ids, uids, validators and
  // tombstones. Errors: Status::parse (the dump), Status::invalid_argument (a non-empty
  // store, a newer schema), Status::database.
  Result<DumpStats> import_dump(std::istream& in);

  // The connection's durability settings as the database reports them, for the start-up
  // log: "WAL, synchronous=NORMAL" (README, "What is never lost"), or
  // "PostgreSQL 15.18, synchronous_commit=on".
  // PostgreSQL: a story several daemons store at the same moment is stored once (unique
  // keys and ON CONFLICT: the later insert waits for the earlier transaction, then joins
  // its story), and a deadlock between two daemons' batches fails one fetch, not a batch.
  Result<std::string> durability();

 private:
  struct Impl;
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace feedd
