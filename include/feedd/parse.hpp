#pragma once
// parse: bytes of one fetched document -> ParsedFeed. A pure function: no I/O, no clock,
// safe to call from any thread. pugixml and the HTML parser stay inside daemon/parse/.
// The field rules are those of `feedd parse` (contracts/parse-json.md, repeated in README).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "feedd/status.hpp"
#include "feedd/time.hpp"

namespace feedd {

enum class FeedFormat { kRss090, kRss091, kRss092, kRss10, kRss20, kAtom03, kAtom10, kJsonFeed10, kJsonFeed11 };

// "rss2.0", "atom1.0", "jsonfeed1.1", ...
std::string_view format_name(FeedFormat format);

struct Enclosure {
  std::string url;  // absolute
  std::optional<std::string> type;
  std::optional<std::int64_t> length;
};

struct Entry {
  std::optional<std::string> id;  // guid / atom:id as written, trimmed
  std::optional<std::string> title;  // plain text
  std::optional<std::string> link;   // absolute
  std::optional<Timestamp> published;
  std::optional<Timestamp> updated;
  std::vector<std::string> authors;     // plain text
  std::optional<std::string> summary;   // sanitised HTML
  std::optional<std::string> content;   // sanitised HTML
  std::vector<std::string> categories;  // plain text
  std::vector<Enclosure> enclosures;
  std::string content_hash;  // dedup::content_hash of title + text
  // Hex XXH3-128 of the entry's element exactly as the document wrote it, together with
  // everything around it that changes how it reads (the document URL, the feed's link,
  // the names and attributes of its ancestors: namespaces, xml:base). Equal raw hashes
  // mean parse_feed reads the entry the same. Empty when there is none to give (JSON
  // Feed). Not in the parse JSON.
  std::string raw_hash;
};

struct FeedMeta {
  std::optional<std::string> title;
  std::optional<std::string> link;
  std::optional<std::string> description;
  std::optional<std::string> language;
  std::optional<Timestamp> updated;
  std::optional<std::string> image;
  std::optional<int> ttl_minutes;
  // For the scheduler; not in the parse JSON (schema 1). sy:updatePeriod divided by
  // sy:updateFrequency, in minutes; RSS skipHours (0-23, UTC) and skipDays ("Monday").
  std::optional<int> update_period_minutes;
  std::vector<int> skip_hours;
  std::vector<std::string> skip_days;
};

struct ParsedFeed {
  FeedFormat format = FeedFormat::kRss20;
  std::string encoding = "utf-8";  // what the bytes were decoded from, lower case
  FeedMeta feed;
  std::vector<Entry> entries;  // document order
  std::vector<std::string> warnings;
  // With parse_feed's `known` (below): the identities of the entries left out of
  // `entries` because `known` has them with the same raw hash, in document order.
  std::vector<std::string> unchanged_identities;
};

// What the store has of one source's entries: dedup::entry_identity -> Entry::raw_hash.
using KnownEntries = std::unordered_map<std::string, std::string>;

// Parses one document. `content_type` is the HTTP Content-Type (its charset takes part in
// encoding detection), `url` the address it came from (the last base for relative URLs).
// Errors: Status::not_a_feed (HTML page, empty input, unknown root) or Status::parse.
Result<ParsedFeed> parse_feed(std::string_view bytes, std::string_view content_type = {},
                              std::string_view url = {});

// The fast path for a document whose entries are mostly known: as parse_feed, except that
// an entry whose identity (dedup::entry_identity, found from its id, link, title and
// dates alone) is in `known` with the entry's raw hash is not read any further: its
// identity goes to `unchanged_identities` instead of an Entry to `entries`. Entries
// whose identity needs their content hash (no id, link, title or date) are always read.
// What is left in `entries` is exactly what parse_feed gives for those entries.
Result<ParsedFeed> parse_feed(std::string_view bytes, std::string_view content_type, std::string_view url,
                              const KnownEntries& known);

// The JSON document `feedd parse` prints (schema 1), pretty-printed with two spaces.
std::string to_parse_json(const ParsedFeed& feed);

}  // namespace feedd

namespace feedd {

// What the store needs to recognise an entry it may already have: the inputs of
// dedup::entry_identity and the content hash, each exactly as parse_feed gives them.
struct EntryKey {
  std::optional<std::string> id;
  std::optional<std::string> link;
  std::optional<std::string> title;
  std::optional<Timestamp> published;
  std::optional<Timestamp> updated;
  std::string content_hash;
};

// The fast path for a document whose entries are mostly known: one key per entry that
// parse_feed would return, in the same order, with the same values, but without
// sanitising HTML (the hash needs only its visible text). Same errors as parse_feed.
// Pure and thread-safe like parse_feed.
Result<std::vector<EntryKey>> scan_feed_keys(std::string_view bytes, std::string_view content_type = {},
                                             std::string_view url = {});

}  // namespace feedd
