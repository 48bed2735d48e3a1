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

auto daemon_fields(const DaemonSettings& d) {
  return std::tie(d.listen, d.database, d.output_dir, d.interval, d.concurrency, d.per_host, d.timeout,
                  d.max_bytes, d.user_agent, d.min_interval, d.max_interval, d.host_delay, d.retention,
                  d.log_level, d.allow_private_networks);
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
  diff.daemon_changed = daemon_fields(before.daemon) != daemon_fields(after.daemon);
  diff.output_changed = output_fields(before.output) != output_fields(after.output);
  return diff;
}

std::string ConfigDiff::to_string() const {
  if (empty()) return "nothing changed";
  std::string out = std::to_string(added.size()) + " sources added, " + std::to_string(removed.size()) +
                    " removed, " + std::to_string(changed.size()) + " changed";
  if (daemon_changed && output_changed) out += " ([daemon] and [output] changed)";
  else if (daemon_changed) out += " ([daemon] changed)";
  else if (output_changed) out += " ([output] changed)";
  return out;
}

}  // namespace feedd
