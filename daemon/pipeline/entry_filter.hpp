#pragma once
// A source's include / exclude regular expressions, compiled once.

#include <optional>
#include <regex>
#include <string>

#include "feedd/config.hpp"
#include "feedd/parse.hpp"

namespace feedd::pipeline {

class EntryFilter {
 public:
  // The patterns were validated by config; "(?i)" at the start means ignore case.
  explicit EntryFilter(const Source& source);
  // The [output] filter, applied to every source's entries.
  explicit EntryFilter(const OutputSettings& output);

  // Whether the entry passes: matches `include` (when set) and not `exclude` (when set),
  // on its title and the plain text of its content or summary.
  bool keeps(const Entry& entry) const;
  bool empty() const { return !include_ && !exclude_; }

 private:
  std::optional<std::regex> include_;
  std::optional<std::regex> exclude_;
};

}  // namespace feedd::pipeline
