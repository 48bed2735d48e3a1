#include "pipeline/entry_filter.hpp"

#include "feedd/sanitize.hpp"

namespace feedd::pipeline {

namespace {
std::optional<std::regex> compile(const std::optional<std::string>& pattern) {
  if (!pattern) return std::nullopt;
  std::string body = *pattern;
  auto flags = std::regex::ECMAScript | std::regex::optimize;
  if (body.rfind("(?i)", 0) == 0) {
    body.erase(0, 4);
    flags |= std::regex::icase;
  }
  return std::regex(body, flags);
}
}  // namespace

EntryFilter::EntryFilter(const Source& source) : include_(compile(source.include)), exclude_(compile(source.exclude)) {}
EntryFilter::EntryFilter(const OutputSettings& output)
    : include_(compile(output.include)), exclude_(compile(output.exclude)) {}

bool EntryFilter::keeps(const Entry& entry) const {
  if (empty()) return true;
  std::string text = entry.title.value_or("");
  text += '\n';
  text += html_to_text(entry.content ? *entry.content : entry.summary.value_or(""));
  if (include_ && !std::regex_search(text, *include_)) return false;
  if (exclude_ && std::regex_search(text, *exclude_)) return false;
  return true;
}

}  // namespace feedd::pipeline
