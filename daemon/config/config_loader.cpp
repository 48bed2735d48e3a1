// feeds.conf -> Config. toml++ finds syntax errors (one per file: TOML can't be read past
// one); everything after that is checked here, and every problem is collected so that
// `check-config` shows all of them at once.

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <tuple>
#include <array>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>

#include <toml++/toml.h>

#include "config/did_you_mean.hpp"
#include "feedd/config.hpp"
#include "feedd/dedup.hpp"

namespace feedd {

std::string ConfigError::to_string() const {
  if (line == 0) return file + ": " + message;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message;
}

namespace {

constexpr std::array<std::string_view, 3> kTopKeys = {"daemon", "output", "feed"};
constexpr std::array<std::string_view, 17> kDaemonKeys = {
    "listen",     "database",  "output_dir", "interval",     "concurrency",  "per_host",   "timeout",
    "max_bytes",  "user_agent", "retention", "log_level",    "min_interval", "max_interval", "host_delay",
    "max_connections", "allow_private_networks", "lease_timeout"};
constexpr std::array<std::string_view, 7> kOutputKeys = {"title", "id", "link", "max_entries", "near_duplicates",
                                                          "include", "exclude"};
constexpr std::array<std::string_view, 11> kFeedKeys = {"url",          "title",        "tags",       "interval",
                                                        "enabled",      "include",      "exclude",    "min_interval",
                                                        "max_interval", "user_agent",   "allow_private_networks"};
constexpr std::array<std::string_view, 7> kLogLevels = {"trace", "debug", "info", "warn", "error", "critical", "off"};

// Walks one parsed document, checking as it converts; the first error of a key doesn't
// stop the others from being checked.
class Checker {
 public:
  Checker(std::string file, std::filesystem::path folder) : file_(std::move(file)), folder_(std::move(folder)) {}

  void error_at(const toml::source_region& where, std::string message) {
    errors_.push_back({file_, static_cast<int>(where.begin.line), static_cast<int>(where.begin.column),
                       std::move(message)});
  }

  template <std::size_t N>
  void refuse_unknown_keys(const toml::table& table, const std::array<std::string_view, N>& known,
                           std::string_view where) {
    for (auto&& [key, node] : table) {
      const std::string_view name = key.str();
      if (std::find(known.begin(), known.end(), name) != known.end()) continue;
      std::string message = "unknown key '" + std::string(name) + "'";
      if (!where.empty()) message += " in " + std::string(where);
      if (auto hint = config::closest_word(name, known)) message += " (did you mean '" + *hint + "'?)";
      error_at(key.source(), std::move(message));
    }
  }

  template <typename T>
  std::optional<T> get(const toml::table& table, std::string_view key, std::string_view type_name) {
    const toml::node* node = table.get(key);
    if (!node) return std::nullopt;
    if (auto value = node->value_exact<T>()) return value;
    error_at(node->source(), "'" + std::string(key) + "' must be " + std::string(type_name));
    return std::nullopt;
  }

  std::optional<std::string> get_string(const toml::table& t, std::string_view key) {
    return get<std::string>(t, key, "a string");
  }
  std::optional<bool> get_bool(const toml::table& t, std::string_view key) { return get<bool>(t, key, "true or false"); }

  std::optional<int> get_positive_int(const toml::table& t, std::string_view key, std::int64_t max) {
    auto value = get<std::int64_t>(t, key, "a whole number");
    if (!value) return std::nullopt;
    if (*value < 1 || *value > max) {
      error_at(t.get(key)->source(), "'" + std::string(key) + "' must be between 1 and " + std::to_string(max));
      return std::nullopt;
    }
    return static_cast<int>(*value);
  }

  // Both bounds of the adaptive schedule, checked against each other.
  void read_interval_bounds(const toml::table& t, std::chrono::seconds& min, std::chrono::seconds& max) {
    if (auto v = get_duration(t, "min_interval")) min = *v;
    if (auto v = get_duration(t, "max_interval")) max = *v;
    if (min > max) {
      const toml::node* at = t.get("max_interval") ? t.get("max_interval") : t.get("min_interval");
      if (at) error_at(at->source(), "'min_interval' must not be longer than 'max_interval'");
    }
  }

  std::optional<std::chrono::seconds> get_duration(const toml::table& t, std::string_view key, bool zero_ok = false) {
    const toml::node* node = t.get(key);
    if (!node) return std::nullopt;
    auto text = node->value_exact<std::string>();
    if (!text) {
      error_at(node->source(), "'" + std::string(key) + "' must be a duration string with a unit, e.g. \"30m\"");
      return std::nullopt;
    }
    auto parsed = parse_duration(*text);
    if (!parsed.ok()) {
      error_at(node->source(), "'" + std::string(key) + "': " + parsed.status().message());
      return std::nullopt;
    }
    if (parsed->count() == 0 && !zero_ok) {
      error_at(node->source(), "'" + std::string(key) + "' must be longer than 0s");
      return std::nullopt;
    }
    return *parsed;
  }

  std::optional<std::uint64_t> get_size(const toml::table& t, std::string_view key) {
    const toml::node* node = t.get(key);
    if (!node) return std::nullopt;
    auto text = node->value_exact<std::string>();
    if (!text) {
      error_at(node->source(), "'" + std::string(key) + "' must be a size string with a unit, e.g. \"16MiB\"");
      return std::nullopt;
    }
    auto parsed = parse_size(*text);
    if (!parsed.ok() || *parsed == 0) {
      error_at(node->source(), "'" + std::string(key) + "': " +
                                   (parsed.ok() ? std::string("must be larger than 0B") : parsed.status().message()));
      return std::nullopt;
    }
    return *parsed;
  }

  std::filesystem::path resolve_path(const std::string& written) const {
    std::filesystem::path p(written);
    return p.is_absolute() ? p.lexically_normal() : (folder_ / p).lexically_normal();
  }

  void read_daemon(const toml::table& t, DaemonSettings& d) {
    refuse_unknown_keys(t, kDaemonKeys, "[daemon]");
    if (auto v = get_string(t, "listen")) {
      if (!v->empty() && !valid_listen_address(*v)) {
        error_at(t.get("listen")->source(), "'listen' must be \"HOST:PORT\" (e.g. \"127.0.0.1:8080\") or \"\" for no HTTP");
      } else {
        d.listen = *v;
      }
    }
    if (auto v = get_string(t, "database")) d.database = is_postgres_location(*v) ? std::filesystem::path(*v) : resolve_path(*v);
    else d.database = resolve_path(d.database.string());
    if (auto v = get_string(t, "output_dir")) d.output_dir = resolve_path(*v);
    else d.output_dir = resolve_path(d.output_dir.string());
    if (auto v = get_duration(t, "interval")) d.interval = *v;
    if (auto v = get_positive_int(t, "concurrency", 100000)) d.concurrency = *v;
    if (auto v = get_positive_int(t, "per_host", 1000)) d.per_host = *v;
    if (auto v = get_positive_int(t, "max_connections", 100000)) d.max_connections = *v;
    if (auto v = get_duration(t, "timeout")) d.timeout = *v;
    if (auto v = get_size(t, "max_bytes")) d.max_bytes = *v;
    if (auto v = get_string(t, "user_agent")) d.user_agent = *v;
    if (auto v = get_duration(t, "retention")) d.retention = *v;
    read_interval_bounds(t, d.min_interval, d.max_interval);
    if (auto v = get_duration(t, "host_delay", /*zero_ok=*/true)) d.host_delay = *v;
    if (auto v = get_duration(t, "lease_timeout")) d.lease_timeout = *v;
    if (auto v = get_bool(t, "allow_private_networks")) d.allow_private_networks = *v;
    if (auto v = get_string(t, "log_level")) {
      if (std::find(kLogLevels.begin(), kLogLevels.end(), *v) == kLogLevels.end()) {
        error_at(t.get("log_level")->source(),
                 "'log_level' must be one of trace, debug, info, warn, error, critical, off");
      } else {
        d.log_level = *v;
      }
    }
  }

  void read_output(const toml::table& t, OutputSettings& o) {
    refuse_unknown_keys(t, kOutputKeys, "[output]");
    if (auto v = get_string(t, "title")) o.title = *v;
    if (auto v = get_string(t, "id")) o.id = *v;
    if (auto v = get_string(t, "link")) o.link = *v;
    if (auto v = get_positive_int(t, "max_entries", 100000)) o.max_entries = *v;
    if (auto v = get_bool(t, "near_duplicates")) o.near_duplicates = *v;
    o.include = get_regex(t, "include");
    o.exclude = get_regex(t, "exclude");
  }

  std::optional<Source> read_feed(const toml::table& t, const DaemonSettings& d) {
    refuse_unknown_keys(t, kFeedKeys, "[[feed]]");
    Source s;
    s.line = static_cast<int>(t.source().begin.line);
    s.interval = d.interval;
    s.min_interval = d.min_interval;
    s.max_interval = d.max_interval;
    s.user_agent = d.user_agent;
    s.allow_private_networks = d.allow_private_networks;
    bool ok = true;
    const toml::node* url_node = t.get("url");
    auto url = get_string(t, "url");
    if (!url_node) {
      error_at(t.source(), "[[feed]] has no 'url'");
      ok = false;
    } else if (url) {
      auto resolved = resolve_source_url(*url);
      if (!resolved.ok()) {
        error_at(url_node->source(), resolved.status().message());
        ok = false;
      } else {
        s.url = *resolved;
      }
    } else {
      ok = false;
    }
    if (auto v = get_string(t, "title")) s.title = *v;
    if (const toml::node* tags = t.get("tags")) {
      const toml::array* list = tags->as_array();
      if (!list) {
        error_at(tags->source(), "'tags' must be a list of strings, e.g. [\"world\"]");
      } else {
        for (const toml::node& tag : *list) {
          auto name = tag.value_exact<std::string>();
          if (!name || name->empty() || name->find_first_of("/\\ ?#.") != std::string::npos) {
            error_at(tag.source(), "a tag must be a non-empty string without '/', '\\', '.', '?', '#' or spaces");
          } else {
            s.tags.push_back(*name);
          }
        }
      }
    }
    if (auto v = get_duration(t, "interval")) s.interval = *v;
    if (auto v = get_bool(t, "enabled")) s.enabled = *v;
    read_interval_bounds(t, s.min_interval, s.max_interval);
    if (auto v = get_string(t, "user_agent")) s.user_agent = *v;
    if (auto v = get_bool(t, "allow_private_networks")) s.allow_private_networks = *v;
    s.include = get_regex(t, "include");
    s.exclude = get_regex(t, "exclude");
    if (!ok) return std::nullopt;
    return s;
  }

  std::optional<std::string> get_regex(const toml::table& t, std::string_view key) {
    auto pattern = get_string(t, key);
    if (!pattern) return std::nullopt;
    std::string body = *pattern;
    auto flags = std::regex::ECMAScript;
    if (body.rfind("(?i)", 0) == 0) {
      body.erase(0, 4);
      flags |= std::regex::icase;
    }
    try {
      std::regex compiled(body, flags);
    } catch (const std::regex_error& e) {
      error_at(t.get(key)->source(), "'" + std::string(key) + "' is not a valid regular expression: " + e.what());
      return std::nullopt;
    }
    return pattern;
  }

  Result<std::string> resolve_source_url(const std::string& written) const {
    if (written.empty()) return Status::config("'url' is empty");
    const auto colon = written.find(':');
    const bool has_scheme = colon != std::string::npos && colon > 1 &&
                            std::all_of(written.begin(), written.begin() + static_cast<long>(colon), [](char c) {
                              return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
                            });
    if (!has_scheme) return "file://" + resolve_path(written).string();
    std::string scheme = written.substr(0, colon);
    std::transform(scheme.begin(), scheme.end(), scheme.begin(), [](unsigned char c) { return std::tolower(c); });
    if (scheme == "http" || scheme == "https") {
      if (written.compare(colon, 3, "://") != 0 || written.size() <= colon + 3) {
        return Status::config("'url' " + written + " has no host");
      }
      return written;
    }
    if (scheme == "file") {
      std::string path = written.substr(colon + 1);
      if (path.rfind("//", 0) == 0) path.erase(0, 2);  // file:///abs -> /abs; file://host/... unsupported
      if (path.empty()) return Status::config("'url' " + written + " names no file");
      return "file://" + resolve_path(path).string();
    }
    return Status::config("'url' scheme '" + scheme + "' is not supported: use http, https, file or a path");
  }

  static bool valid_listen_address(const std::string& address) {
    const auto colon = address.rfind(':');
    if (colon == std::string::npos || colon + 1 >= address.size()) return false;
    const std::string port = address.substr(colon + 1);
    if (port.size() > 5 || !std::all_of(port.begin(), port.end(), ::isdigit)) return false;
    return std::stoi(port) <= 65535;
  }

  std::vector<ConfigError> take_errors() { return std::move(errors_); }

 private:
  std::string file_;
  std::filesystem::path folder_;
  std::vector<ConfigError> errors_;
};

std::string url_key(const std::string& url) {
  return url.rfind("file://", 0) == 0 ? url : dedup::canonical_url(url);
}

}  // namespace

bool is_postgres_location(std::string_view location) {
  return location.starts_with("postgresql://") || location.starts_with("postgres://");
}

ConfigResult parse_config(std::string_view text, const std::filesystem::path& path) {
  ConfigResult result;
  result.config.path = path;
  const std::string file = path.empty() ? std::string("feeds.conf") : path.string();
  std::filesystem::path folder = path.empty() ? std::filesystem::current_path() : std::filesystem::absolute(path).parent_path();

  toml::table root;
  try {
    root = toml::parse(text, file);
  } catch (const toml::parse_error& e) {
    result.errors.push_back({file, static_cast<int>(e.source().begin.line), static_cast<int>(e.source().begin.column),
                             std::string(e.description())});
    return result;
  }

  Checker check(file, folder);
  check.refuse_unknown_keys(root, kTopKeys, "");
  Config& config = result.config;

  if (const toml::node* daemon = root.get("daemon")) {
    if (const toml::table* t = daemon->as_table()) check.read_daemon(*t, config.daemon);
    else check.error_at(daemon->source(), "'daemon' must be a table: [daemon]");
  } else {
    check.read_daemon(toml::table{}, config.daemon);
  }
  if (const toml::node* output = root.get("output")) {
    if (const toml::table* t = output->as_table()) check.read_output(*t, config.output);
    else check.error_at(output->source(), "'output' must be a table: [output]");
  }
  if (const toml::node* feeds = root.get("feed")) {
    const toml::array* list = feeds->as_array();
    if (!list || !list->is_array_of_tables()) {
      check.error_at(feeds->source(), "'feed' must be written as [[feed]] tables");
    } else {
      std::map<std::string, int> first_line_of_url;
      for (const toml::node& node : *list) {
        auto source = check.read_feed(*node.as_table(), config.daemon);
        if (!source) continue;
        auto [it, inserted] = first_line_of_url.emplace(url_key(source->url), source->line);
        if (!inserted) {
          check.error_at(node.source(), "duplicate source " + source->url + ": already defined at line " +
                                            std::to_string(it->second));
          continue;
        }
        config.sources.push_back(std::move(*source));
      }
    }
  }
  result.errors = check.take_errors();
  std::stable_sort(result.errors.begin(), result.errors.end(), [](const ConfigError& a, const ConfigError& b) {
    return std::tie(a.line, a.column) < std::tie(b.line, b.column);
  });
  return result;
}

ConfigResult load_config(const std::filesystem::path& path) {
  const auto unreadable = [&path](int error) {
    ConfigResult result;
    result.config.path = path;
    result.errors.push_back({path.string(), 0, 0, std::string("cannot read the file: ") + std::strerror(error)});
    return result;
  };
  // A folder opens like a file and reads as nothing: an empty, valid config with no
  // sources, which a reload would take as "remove every source".
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return unreadable(EISDIR);
  std::ifstream in(path, std::ios::binary);
  if (!in) return unreadable(errno);
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return unreadable(errno ? errno : EIO);
  return parse_config(text.str(), path);
}

std::filesystem::path default_config_path() {
  std::error_code ec;
  if (std::filesystem::exists("feeds.conf", ec)) return "feeds.conf";
  return "/etc/feedd/feeds.conf";
}

}  // namespace feedd
