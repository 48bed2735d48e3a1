#pragma once
// What a reload changes: sources added, removed and changed between two Configs, and
// whether settings outside [[feed]] changed. Pure.

#include <string>
#include <vector>

#include "feedd/config.hpp"

namespace feedd {

struct ConfigDiff {
  std::vector<std::string> added;    // URLs, in the new file's order
  std::vector<std::string> removed;  // URLs, in the old file's order
  std::vector<std::string> changed;  // same URL, some other key differs
  bool daemon_changed = false;       // anything in [daemon]
  std::vector<std::string> daemon_keys;  // which [daemon] keys changed, in the README's order
  bool output_changed = false;       // anything in [output]

  bool empty() const {
    return added.empty() && removed.empty() && changed.empty() && !daemon_changed && !output_changed;
  }
  // "2 sources added, 1 removed, 1 changed ([output] changed)",
  // "0 sources added, 0 removed, 0 changed ([daemon] changed: per_host, host_delay)";
  // "nothing changed".
  std::string to_string() const;
};

ConfigDiff diff_configs(const Config& before, const Config& after);

}  // namespace feedd
