#pragma once
// store: the SQLite file (WAL mode, numbered migrations) that holds sources' fetch state
// and the stories. The only module that speaks SQL; sqlite3.h stays in daemon/store/.
//
// Thread-safety: a Store is used by one thread at a time (the store writer). Another
// thread that wants to read opens its own Store on the same file (WAL lets it).

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "feedd/config.hpp"
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
  std::vector<StorySource> sources;  // every source that carried it; the origin first
};

// One successful (200) fetch of a source, parsed.
struct FetchedFeed {
  std::string source_url;
  int http_status = 200;
  std::optional<std::string> etag;
  std::optional<std::string> last_modified;
  ParsedFeed feed;
};

struct ApplyStats {
  int new_stories = 0;
  int new_copies = 0;  // entries collapsed into a story already stored
  int changed = 0;     // stories updated in place
  int unchanged = 0;
  bool changed_anything() const { return new_stories + new_copies + changed > 0; }
};

class Store {
 public:
  // Opens (creating if needed) the database file and brings its schema to the newest
  // migration. Errors: Status::database with SQLite's message and the path.
  static Result<std::unique_ptr<Store>> open(const std::filesystem::path& file);
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

  // Saves every field of `state` for the source state.url (creating its row if needed).
  Status save_source_http_state(const SourceHttpState& state);
  // Every source's SourceHttpState, in the order the sources were first recorded.
  Result<std::vector<SourceHttpState>> source_http_states();

  // Number of the newest migration applied.
  int schema_version() const;

 private:
  struct Impl;
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace feedd
