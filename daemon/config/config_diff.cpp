#include "feedd/config_diff.hpp"

#include <map>
#include <tuple>

namespace feedd {

namespace {

// Everything an operator can write in a [[feed]] table; `line` is where, not what.
auto source_fields(const Source& s) {
  return std::tie(s.url, s.title, s.tags, s.interval, s.min_interval, s.max_interval, s.user_agent, s.enabled,
                  s.include, s.exclude, s.allow_private_networks);
}

// The names of the [daemon] keys whose values differ, in the README's order.
std::vector<std::string> changed_daemon_keys(const DaemonSettings& a, const DaemonSettings& b) {
  std::vector<std::string> keys;
  auto check = [&keys](const char* key, const auto& x, const auto& y) {
    if (x != y) keys.emplace_back(key);
  };
  check("listen", a.listen, b.listen);
  check("database", a.database, b.database);
  check("output_dir", a.output_dir, b.output_dir);
  check("interval", a.interval, b.interval);
  check("concurrency", a.concurrency, b.concurrency);
  check("per_host", a.per_host, b.per_host);
  check("timeout", a.timeout, b.timeout);
  check("max_bytes", a.max_bytes, b.max_bytes);
  check("user_agent", a.user_agent, b.user_agent);
  check("min_interval", a.min_interval, b.min_interval);
  check("max_interval", a.max_interval, b.max_interval);
  check("host_delay", a.host_delay, b.host_delay);
  check("lease_timeout", a.lease_timeout, b.lease_timeout);
  check("retention", a.retention, b.retention);
  check("log_level", a.log_level, b.log_level);
  check("max_connections", a.max_connections, b.max_connections);
  check("allow_private_networks", a.allow_private_networks, b.allow_private_networks);
  return keys;
}

auto output_fields(const OutputSettings& o) {
  return std::tie(o.title, o.id, o.link, o.max_entries, o.near_duplicates, o.include, o.exclude);
}

}  // namespace

ConfigDiff diff_configs(const Config& before, const Config& after) {
  ConfigDiff diff;
  std::map<std::string, const Source*> old_by_url;
  for (const Source& s : before.sources) old_by_url.emplace(s.url, &s);
  std::map<std::string, const Source*> new_by_url;
  for (const Source& s : after.sources) {
    new_by_url.emplace(s.url, &s);
    auto old = old_by_url.find(s.url);
    if (old == old_by_url.end()) diff.added.push_back(s.url);
    else if (source_fields(*old->second) != source_fields(s)) diff.changed.push_back(s.url);
  }
  for (const Source& s : before.sources) {
    if (!new_by_url.count(s.url)) diff.removed.push_back(s.url);
  }
  diff.daemon_keys = changed_daemon_keys(before.daemon, after.daemon);
  diff.daemon_changed = !diff.daemon_keys.empty();
  diff.output_changed = output_fields(before.output) != output_fields(after.output);
  return diff;
}

std::string ConfigDiff::to_string() const {
  if (empty()) return "nothing changed";
  std::string out = std::to_string(added.size()) + " sources added, " + std::to_string(removed.size()) +
                    " removed, " + std::to_string(changed.size()) + " changed";
  std::string keys;
  for (const std::string& key : daemon_keys) keys += (keys.empty() ? ": " : ", ") + key;
  if (daemon_changed && output_changed) out += " ([daemon] changed" + keys + "; [output] changed)";
  else if (daemon_changed) out += " ([daemon] changed" + keys + ")";
  else if (output_changed) out += " ([output] changed)";
  return out;
}

}  // namespace feedd
