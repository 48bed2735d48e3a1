#pragma once
// feeds.conf: TOML read with toml++, validated into a Config. Pure: no I/O except
// load_config(), which reads the file. Every problem found is reported, each with the
// file, line and column a person needs to fix it.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "feedd/status.hpp"

namespace feedd {

// One [[feed]] table.
struct Source {
  // As the operator wrote it for http(s); for a local file, a "file://" URL of the absolute
  // path (relative paths are resolved against the folder of feeds.conf).
  std::string url;
  std::optional<std::string> title;  // overrides the feed's own title
  std::vector<std::string> tags;
  std::chrono::seconds interval{0};  // [daemon].interval unless set
  // Bounds on the adaptive schedule ([daemon] values unless set per source).
  std::chrono::seconds min_interval{0};
  std::chrono::seconds max_interval{0};
  std::string user_agent;  // [daemon].user_agent unless set
  // May a fetch of this source connect to loopback, private or link-local addresses it
  // did not name itself (a redirect, a host name resolving there)? [daemon] value unless set.
  bool allow_private_networks = false;
  bool enabled = true;
  std::optional<std::string> include;  // ECMAScript regex on title + text; "(?i)" prefix = ignore case
  std::optional<std::string> exclude;
  int line = 0;  // where the table starts in feeds.conf, for messages

  bool is_local_file() const { return url.rfind("file:", 0) == 0; }
};

struct DaemonSettings {
  std::string listen = "127.0.0.1:8080";  // "" turns HTTP off
  // HTTP connections open at once; at the cap a new one closes the longest-waiting idle one.
  int max_connections = 512;
  // A SQLite file (relative: to the config's folder), or a PostgreSQL connection URI
  // ("postgresql://user@host/dbname", see is_postgres_location), kept as written.
  std::filesystem::path database = "feedd.db";
  std::filesystem::path output_dir = "public";
  std::chrono::seconds interval{30 * 60};
  int concurrency = 64;
  int per_host = 4;
  std::chrono::seconds timeout{30};
  std::uint64_t max_bytes = 16ull << 20;
  std::string user_agent = "feedd/0.1";
  // The adaptive schedule never polls a source more often than min_interval nor less
  // often than max_interval (failures' backoff and a server's Retry-After aside).
  std::chrono::seconds min_interval{5 * 60};
  std::chrono::seconds max_interval{24 * 3600};
  // Least time between the starts of two requests to the same host.
  std::chrono::seconds host_delay{1};
  // How long a daemon's claim on a source it is fetching holds when the daemon dies
  // before releasing it (README, "Several daemons, one database"); 0: four times `timeout`.
  std::chrono::seconds lease_timeout{0};
  // The default of every source's allow_private_networks.
  bool allow_private_networks = false;
  std::chrono::seconds retention{90 * 24 * 3600};
  std::string log_level = "info";
};

struct OutputSettings {
  std::string title = "Unified news";
  std::string id = "urn:feedd:unified";
  std::string link = "http://127.0.0.1:8080/";
  int max_entries = 200;
  bool near_duplicates = true;
  // Like a source's include / exclude, applied to the entries of every source.
  std::optional<std::string> include;
  std::optional<std::string> exclude;
};

struct Config {
  std::filesystem::path path;  // the file it came from ("" when parsed from text alone)
  DaemonSettings daemon;
  OutputSettings output;
  std::vector<Source> sources;
};

struct ConfigError {
  std::string file;
  int line = 0;    // 1-based; 0 when the problem has no position (unreadable file)
  int column = 0;  // 1-based
  std::string message;

  // "feeds.conf:12:5: unknown key 'intervall' in [[feed]] (did you mean 'interval'?)"
  std::string to_string() const;
};

struct ConfigResult {
  Config config;                    // meaningful only when errors is empty
  std::vector<ConfigError> errors;  // every problem in the file, in file order
  bool ok() const { return errors.empty(); }
};

// `database` names a PostgreSQL database: it starts "postgresql://" or "postgres://"
// (a libpq connection URI). Anything else is a SQLite file's path.
bool is_postgres_location(std::string_view location);

// Parses feeds.conf text. `path` names the file in messages and anchors relative paths
// (database, output_dir, local sources) to its folder.
ConfigResult parse_config(std::string_view text, const std::filesystem::path& path);

// Reads and parses the file; an unreadable file is one error without a position.
ConfigResult load_config(const std::filesystem::path& path);

// "90s", "15m", "2h", "90d" -> seconds. Errors name the accepted units.
Result<std::chrono::seconds> parse_duration(std::string_view text);
// "512B", "64KiB", "16MiB", "1GiB" -> bytes.
Result<std::uint64_t> parse_size(std::string_view text);

// The config path a command uses when --config is not given: ./feeds.conf, then
// /etc/feedd/feeds.conf.
std::filesystem::path default_config_path();

}  // namespace feedd
