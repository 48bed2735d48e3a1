#include "serve/http_exchange.hpp"

#include <boost/beast/http/error.hpp>

#include <algorithm>
#include <cctype>

namespace feedd::serve {

namespace http = boost::beast::http;

namespace {

// Boost 1.74's Beast speaks boost::string_view.
std::string_view to_std(boost::beast::string_view text) { return {text.data(), text.size()}; }

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
           return std::tolower(x) == std::tolower(y);
         });
}

// An answer to HEAD has the headers of the GET's and no body.
Refusal refusal(int status, std::string text, bool head = false) {
  HttpAnswer answer;
  answer.status = status;
  answer.headers = {{"Content-Type", "text/plain; charset=utf-8"}, {"Content-Length", std::to_string(text.size())}};
  if (!head) answer.body = std::move(text);
  return {std::move(answer)};
}

// Whether the request line ends in an HTTP version other than the two Beast reads
// ("HTTP/2.0", "HTTP/1.2"): that is 505, not a malformed request.
bool names_other_version(std::string_view unparsed) {
  const std::string_view line = unparsed.substr(0, unparsed.find_first_of("\r\n"));
  if (std::count(line.begin(), line.end(), ' ') != 2) return false;  // METHOD SP TARGET SP VERSION
  const std::string_view version = line.substr(line.rfind(' ') + 1);
  if (version.size() < 6 || version.substr(0, 5) != "HTTP/") return false;
  return std::all_of(version.begin() + 5, version.end(),
                     [](char c) { return c == '.' || std::isdigit(static_cast<unsigned char>(c)); });
}

}  // namespace

void apply_limits(RequestParser& parser, const HttpServerOptions& options) {
  parser.header_limit(options.header_limit);
  parser.body_limit(options.body_limit);
}

std::optional<Refusal> refusal_for(const boost::beast::error_code& ec, const RequestParser& parser,
                                   std::string_view unparsed) {
  if (!ec || ec == http::error::end_of_stream || ec == http::error::partial_message) return std::nullopt;
  if (ec == http::error::header_limit) {
    // The parser consumes each line it has read: no method yet means the request line
    // alone was too long.
    if (parser.get().method_string().empty()) return refusal(414, "request target too long\n");
    return refusal(431, "request header fields too large\n");
  }
  if (ec == http::error::body_limit) return refusal(413, "request body too large\n");
  if (ec == http::error::bad_version && names_other_version(unparsed)) {
    return refusal(505, "HTTP version not supported\n");
  }
  if (ec.category() == make_error_code(http::error::bad_target).category()) return refusal(400, "bad request\n");
  return std::nullopt;
}

std::optional<Refusal> answer_before_body(const RequestParser& parser, const FeedCache& cache) {
  const auto& request = parser.get();
  const bool head = request.method() == http::verb::head;
  if (request.version() != 10 && request.version() != 11) return refusal(505, "HTTP version not supported\n", head);
  const auto expect = request.find(http::field::expect);
  if (expect == request.end()) return std::nullopt;
  if (!iequals(to_std(expect->value()), "100-continue")) return refusal(417, "expectation not supported\n", head);
  if (parser.is_done() || request.version() == 10) return std::nullopt;  // no body to wait for
  return Refusal{answer_request(request, cache)};
}

std::string_view origin_form(std::string_view target) {
  const std::size_t scheme_end = target.find("://");
  if (target.empty() || target.front() == '/' || scheme_end == std::string_view::npos) return target;
  const std::string_view scheme = target.substr(0, scheme_end);
  if (!iequals(scheme, "http") && !iequals(scheme, "https")) return target;
  const std::string_view rest = target.substr(scheme_end + 3);
  const std::size_t path = rest.find_first_of("/?#");
  // "http://host" and "http://host?x" ask for "/" (RFC 9112 3.2.1).
  if (path == std::string_view::npos || rest[path] != '/') return "/";
  return rest.substr(path);
}

namespace {

// A field's value as sent; repeated fields (RFC 9110 5.3) joined into `joined`.
std::optional<std::string_view> field_value(const Request& request, http::field name, std::string& joined) {
  auto [it, end] = request.equal_range(name);
  if (it == end) return std::nullopt;
  const std::string_view first = to_std(it->value());
  if (++it == end) return first;
  joined = first;
  for (; it != end; ++it) joined.append(", ").append(to_std(it->value()));
  return joined;
}

}  // namespace

HttpAnswer answer_request(const Request& request, const FeedCache& cache) {
  std::string joined[3];
  const RequestFields fields{field_value(request, http::field::if_none_match, joined[0]),
                             field_value(request, http::field::if_modified_since, joined[1]),
                             field_value(request, http::field::accept_encoding, joined[2])};
  return handle_fields(to_std(request.method_string()), origin_form(to_std(request.target())), fields, cache);
}

}  // namespace feedd::serve
