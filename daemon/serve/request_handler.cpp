// handle_request: the HTTP semantics of serving cached feeds (RFC 9110 conditional
// requests), free of sockets so that tests can call it directly.

#include <cctype>
#include <optional>

#include "feedd/serve.hpp"
#include "feedd/time.hpp"

namespace feedd {

namespace {

using Headers = std::map<std::string, std::string>;

std::optional<std::string_view> header(const Headers& headers, std::string_view name) {
  const auto it = headers.find(std::string(name));
  if (it == headers.end()) return std::nullopt;
  return std::string_view(it->second);
}

std::string_view strip_weak(std::string_view tag) {
  if (tag.substr(0, 2) == "W/") tag.remove_prefix(2);
  return tag;
}

bool is_list_space(char c) { return c == ' ' || c == '\t' || c == ','; }

// If-None-Match uses the weak comparison (RFC 9110 13.1.2): W/"x" matches "x". The field
// is a list of entity tags or "*"; a quoted tag may itself contain commas.
bool none_match_matches(std::string_view field, std::string_view etag) {
  const std::string_view ours = strip_weak(etag);
  while (!field.empty()) {
    while (!field.empty() && is_list_space(field.front())) field.remove_prefix(1);
    if (field.empty()) break;
    if (field.front() == '*') return true;
    std::size_t begin = field.substr(0, 2) == "W/" ? 2 : 0;
    std::size_t end = 0;
    if (begin < field.size() && field[begin] == '"') {
      const std::size_t close = field.find('"', begin + 1);
      end = close == std::string_view::npos ? field.size() : close + 1;
    } else {
      end = std::min(field.find(','), field.size());
    }
    if (field.substr(begin, end - begin) == ours) return true;
    field.remove_prefix(end);
  }
  return false;
}

// Whether Accept-Encoding lists gzip (or "*") with a non-zero quality.
bool accepts_gzip(const RequestFields& fields) {
  const auto field = fields.accept_encoding;
  if (!field) return false;
  std::string_view rest = *field;
  while (!rest.empty()) {
    const std::size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    const std::size_t semicolon = item.find(';');
    std::string_view coding = item.substr(0, semicolon);
    while (!coding.empty() && (coding.back() == ' ' || coding.back() == '\t')) coding.remove_suffix(1);
    std::string lower(coding);
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower != "gzip" && lower != "x-gzip" && lower != "*") continue;
    if (semicolon == std::string_view::npos) return true;
    std::string_view params = item.substr(semicolon + 1);
    const std::size_t q = params.find("q=");
    if (q == std::string_view::npos) return true;
    // "q=0", "q=0.0", "q=0.000" refuse; anything else accepts.
    std::string_view value = params.substr(q + 2);
    value = value.substr(0, value.find_first_of(" \t;"));
    return value.find_first_not_of("0.") != std::string_view::npos;
  }
  return false;
}

bool not_modified(const RequestFields& fields, const RenderedFeed& feed) {
  // A client that sends both is trusted on its ETag alone (RFC 9110 13.2.2). Either
  // representation's tag names the same render, so either one validates.
  if (const auto if_none_match = fields.if_none_match) {
    return none_match_matches(*if_none_match, feed.etag) ||
           (!feed.gzip_etag.empty() && none_match_matches(*if_none_match, feed.gzip_etag));
  }
  if (const auto if_modified_since = fields.if_modified_since) {
    const std::optional<Timestamp> since = parse_http_date(*if_modified_since);
    return since && feed.last_modified <= *since;
  }
  return false;
}

HttpAnswer text_answer(int status, std::string body, bool head) {
  HttpAnswer answer;
  answer.status = status;
  answer.headers = {{"Content-Type", "text/plain; charset=utf-8"},
                    {"Content-Length", std::to_string(body.size())}};
  if (!head) answer.body = std::move(body);
  return answer;
}

// The Last-Modified value of the render answered last on this thread: most answers are
// for the same few renders, and formatting a date is most of a 304's own work.
const std::string& http_date_of(Timestamp time) {
  thread_local Timestamp formatted{};
  thread_local std::string text;
  if (time != formatted || text.empty()) {
    formatted = time;
    text = format_http_date(time);
  }
  return text;
}

HttpAnswer feed_answer(const std::shared_ptr<const RenderedFeed>& cached, const RequestFields& fields, bool head) {
  const RenderedFeed& feed = *cached;
  const bool gzip = !feed.gzip_body.empty() && accepts_gzip(fields);
  HttpAnswer answer;
  answer.headers.reserve(7);
  answer.headers = {{"ETag", gzip ? feed.gzip_etag : feed.etag},
                    {"Last-Modified", http_date_of(feed.last_modified)},
                    // Readers may keep a copy but must revalidate it: a conditional request
                    // costs us a 304 and them nothing.
                    {"Cache-Control", "no-cache"},
                    {"Vary", "Accept-Encoding"}};
  if (not_modified(fields, feed)) {
    answer.status = 304;
    return answer;
  }
  answer.status = 200;
  const std::string& body = gzip ? feed.gzip_body : feed.body;
  answer.headers.emplace_back("Content-Type", feed.content_type);
  if (gzip) answer.headers.emplace_back("Content-Encoding", "gzip");
  answer.headers.emplace_back("Content-Length", std::to_string(body.size()));
  if (!head) {
    answer.feed = cached;
    answer.gzip = gzip;
  }
  return answer;
}

}  // namespace

HttpAnswer handle_request(std::string_view method, std::string_view target, const Headers& headers,
                          const FeedCache& cache) {
  return handle_fields(method, target,
                       RequestFields{header(headers, "if-none-match"), header(headers, "if-modified-since"),
                                     header(headers, "accept-encoding")},
                       cache);
}

HttpAnswer handle_fields(std::string_view method, std::string_view target, const RequestFields& fields,
                          const FeedCache& cache) {
  const bool head = method == "HEAD";
  if (method != "GET" && !head) {
    HttpAnswer answer = text_answer(405, "method not allowed\n", false);
    answer.headers.emplace_back("Allow", "GET, HEAD");
    return answer;
  }
  const std::string_view path = target.substr(0, target.find_first_of("?#"));
  if (path == "/healthz") {
    const std::string problem = cache.health_problem();
    if (problem.empty()) return text_answer(200, "ok\n", head);
    HttpAnswer answer = text_answer(503, problem + "\n", head);
    answer.headers.emplace_back("Cache-Control", "no-store");
    return answer;
  }
  const std::optional<PageRequest> page = page_request(target);
  const std::shared_ptr<const RenderedFeed> feed = page ? cache.get(page_key(page->path, page->cursor)) : cache.get(path);
  if (!feed) return text_answer(404, "not found\n", head);
  return feed_answer(feed, fields, head);
}

std::string_view HttpAnswer::payload() const {
  if (!feed) return body;
  return gzip ? std::string_view(feed->gzip_body) : std::string_view(feed->body);
}

}  // namespace feedd
