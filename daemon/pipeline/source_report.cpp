#include <algorithm>
#include <map>

#include "feedd/report.hpp"

namespace feedd {

namespace {

constexpr std::chrono::seconds kMaxBackoff{24 * 3600};

// When `feedd run` will fetch the source next: what it last scheduled, else what the
// schedule's rules give from the last fetch (an interval after it, doubled per failure).
std::string next_fetch_text(const Source& source, const SourceState* state, const SourceHttpState* http,
                            Timestamp now) {
  if (!source.enabled) return "-";
  if (http && http->gone) return "never";
  if (http && http->next_fetch) return format_rfc3339(*http->next_fetch);
  if (!state || !state->last_fetch) return "now";
  auto wait = source.interval;
  for (int i = 1; i < state->consecutive_failures && wait < kMaxBackoff; ++i) wait *= 2;
  return format_rfc3339(std::max(now, *state->last_fetch + std::min(wait, kMaxBackoff)));
}

std::string note_text(const Source& source, const SourceState* state, const SourceHttpState* http) {
  std::string note;
  auto add = [&note](const std::string& part) { note += (note.empty() ? "" : "; ") + part; };
  if (!source.enabled) add("disabled");
  if (http && http->gone) add("gone (410): not polled until its url changes");
  if (http && http->current_url) add("moved permanently to " + *http->current_url);
  if (state && state->consecutive_failures > 0 && state->last_error) add(*state->last_error);
  return note;
}

}  // namespace

std::string status_table(const Config& config, const std::vector<SourceState>& states,
                         const std::vector<SourceHttpState>& http_states, Timestamp now) {
  std::map<std::string, const SourceState*> state_of;
  for (const SourceState& s : states) state_of[s.url] = &s;
  std::map<std::string, const SourceHttpState*> http_of;
  for (const SourceHttpState& s : http_states) http_of[s.url] = &s;

  std::vector<std::vector<std::string>> rows;
  rows.push_back({"SOURCE", "LAST FETCH", "HTTP", "STORIES", "FAILURES", "NEXT FETCH", "NOTE"});
  for (const Source& source : config.sources) {
    auto found_state = state_of.find(source.url);
    const SourceState* state = found_state == state_of.end() ? nullptr : found_state->second;
    auto found_http = http_of.find(source.url);
    const SourceHttpState* http = found_http == http_of.end() ? nullptr : found_http->second;
    rows.push_back({source.url,
                    state && state->last_fetch ? format_rfc3339(*state->last_fetch) : "never",
                    state && state->http_status ? std::to_string(state->http_status) : "-",
                    std::to_string(state ? state->entries : 0),
                    std::to_string(state ? state->consecutive_failures : 0),
                    next_fetch_text(source, state, http, now),
                    note_text(source, state, http)});
  }
  std::vector<std::size_t> width(rows[0].size(), 0);
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  std::string text;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(width[i] - row[i].size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    text += line + '\n';
  }
  return text;
}

}  // namespace feedd
