// render_status_page: one self-contained HTML5 document (inline CSS and SVG), every text
// from a feed or the config escaped, since feed titles and error messages come from
// strangers.

#include "feedd/status_page.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

namespace feedd {

namespace {

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

// A tag as it appears in a path ("all news" -> "all%20news"), as the server expects it.
std::string path_segment(std::string_view tag) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : tag) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string when(const std::optional<Timestamp>& t) { return t ? format_rfc3339(*t) : "-"; }

// ok / not modified / failing / gone / disabled / not fetched yet, and its CSS class.
std::pair<std::string, std::string> health(const Source& source, const SourceState* state,
                                           const SourceHttpState* http) {
  if (!source.enabled) return {"disabled", "off"};
  if (http && http->gone) return {"gone", "bad"};
  if (!state || !state->last_fetch) return {"not fetched yet", "off"};
  if (state->consecutive_failures > 0) {
    return {"failing (" + std::to_string(state->consecutive_failures) + ")", "bad"};
  }
  if (state->http_status == 304) return {"not modified", "ok"};
  return {"ok", "ok"};
}

std::string chart(const StatusPageFacts& facts, Timestamp now) {
  constexpr int kBar = 12, kHeight = 80, kLabels = 16;
  const auto today = std::chrono::floor<std::chrono::days>(now);
  const auto first = today - std::chrono::days(kStatusChartDays - 1);
  std::map<std::int64_t, std::int64_t> per_day;  // day number -> stories
  for (const auto& [day, count] : facts.stories_per_day) {
    per_day[std::chrono::floor<std::chrono::days>(day).time_since_epoch().count()] += count;
  }
  std::int64_t most = 1;
  for (const auto& [day, count] : per_day) most = std::max(most, count);
  const int width = kStatusChartDays * kBar;
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(width) + "\" height=\"" +
                    std::to_string(kHeight + kLabels) + "\" viewBox=\"0 0 " + std::to_string(width) + " " +
                    std::to_string(kHeight + kLabels) +
                    "\" role=\"img\" aria-label=\"Stories per day over the last 30 days\">\n";
  std::int64_t total = 0;
  for (int i = 0; i < kStatusChartDays; ++i) {
    const auto day = first + std::chrono::days(i);
    const auto it = per_day.find(day.time_since_epoch().count());
    const std::int64_t count = it == per_day.end() ? 0 : it->second;
    total += count;
    const int height = static_cast<int>(count * kHeight / most);
    const std::string date = format_rfc3339(Timestamp(day)).substr(0, 10);
    svg += "<rect x=\"" + std::to_string(i * kBar + 1) + "\" y=\"" + std::to_string(kHeight - height) +
           "\" width=\"" + std::to_string(kBar - 2) + "\" height=\"" + std::to_string(height) +
           "\"><title>" + date + ": " + std::to_string(count) + " stories</title></rect>\n";
  }
  svg += "<line x1=\"0\" y1=\"" + std::to_string(kHeight) + ".5\" x2=\"" + std::to_string(width) + "\" y2=\"" +
         std::to_string(kHeight) + ".5\" stroke=\"#888\"/>\n";
  svg += "<text x=\"0\" y=\"" + std::to_string(kHeight + kLabels - 3) + "\">" +
         format_rfc3339(Timestamp(first)).substr(0, 10) + "</text>\n";
  svg += "<text x=\"" + std::to_string(width) + "\" y=\"" + std::to_string(kHeight + kLabels - 3) +
         "\" text-anchor=\"end\">" + format_rfc3339(Timestamp(today)).substr(0, 10) + "</text>\n</svg>\n";
  return "<p>" + std::to_string(total) + " new stories in the last " + std::to_string(kStatusChartDays) +
         " days (the tallest bar: " + std::to_string(most) + ").</p>\n" + svg;
}

}  // namespace

std::string render_status_page(const Config& config, const StatusPageFacts& facts, Timestamp now) {
  std::map<std::string, const SourceState*> state_of;
  for (const SourceState& s : facts.states) state_of[s.url] = &s;
  std::map<std::string, const SourceHttpState*> http_of;
  for (const SourceHttpState& s : facts.http_states) http_of[s.url] = &s;

  const std::string title = escape(config.output.title);
  std::string html =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>feedd: " +
      title +
      "</title>\n<style>\n"
      "body{font:15px/1.4 system-ui,sans-serif;margin:1.5em auto;max-width:72em;padding:0 1em;color:#222}\n"
      "table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.3em .5em;"
      "border-bottom:1px solid #ddd;vertical-align:top}td.n{text-align:right}\n"
      ".ok{color:#176c2c}.bad{color:#b00020;font-weight:bold}.off{color:#777}\n"
      "td.t{white-space:nowrap}svg rect{fill:#3a6ea5}svg text{font-size:11px;fill:#555}td.err{font-size:90%;word-break:break-word}\n"
      "</style>\n</head>\n<body>\n<h1>" +
      title + "</h1>\n<p>Generated " + format_rfc3339(now) + ".</p>\n";

  html += "<h2>Feeds</h2>\n<ul>\n<li>All sources: <a href=\"/feed.atom\">Atom</a>, <a href=\"/feed.rss\">RSS</a>, "
          "<a href=\"/feed.json\">JSON Feed</a></li>\n";
  std::set<std::string> tags;
  for (const Source& source : config.sources) tags.insert(source.tags.begin(), source.tags.end());
  for (const std::string& tag : tags) {
    const std::string base = "/tags/" + escape(path_segment(tag));
    html += "<li>Tag " + escape(tag) + ": <a href=\"" + base + ".atom\">Atom</a>, <a href=\"" + base +
            ".rss\">RSS</a>, <a href=\"" + base + ".json\">JSON Feed</a></li>\n";
  }
  html += "<li><a href=\"/opml\">The sources as OPML</a>, <a href=\"/metrics\">metrics</a>, "
          "<a href=\"/healthz\">health</a></li>\n</ul>\n";

  html += "<h2>Stories per day</h2>\n" + chart(facts, now);

  html += "<h2>Sources</h2>\n<table>\n<thead><tr><th>Source</th><th>Health</th><th>Last fetch</th>"
          "<th>Next fetch</th><th>Entries</th><th>Last error</th></tr></thead>\n<tbody>\n";
  for (const Source& source : config.sources) {
    const auto s = state_of.find(source.url);
    const SourceState* state = s == state_of.end() ? nullptr : s->second;
    const auto h = http_of.find(source.url);
    const SourceHttpState* http = h == http_of.end() ? nullptr : h->second;
    const std::string name = state ? state->display_name() : (source.title ? *source.title : source.url);
    const auto [label, css] = health(source, state, http);
    std::string next = "-";
    if (source.enabled && !(http && http->gone)) next = http && http->next_fetch ? format_rfc3339(*http->next_fetch) : "-";
    const std::string error = state && state->consecutive_failures > 0 && state->last_error ? *state->last_error : "";
    html += "<tr><td><a href=\"" + escape(source.url) + "\">" + escape(name) + "</a></td><td class=\"" + css + "\">" +
            escape(label) + "</td><td class=\"t\">" + when(state ? state->last_fetch : std::nullopt) + "</td><td class=\"t\">" + next +
            "</td><td class=\"n\">" + std::to_string(state ? state->entries : 0) + "</td><td class=\"err\">" +
            escape(error) + "</td></tr>\n";
  }
  html += "</tbody>\n</table>\n</body>\n</html>\n";
  return html;
}

}  // namespace feedd
