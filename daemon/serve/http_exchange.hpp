#pragma once
// The parts of one HTTP/1.x exchange that need no socket: the parser's limits, what a
// parse error is answered with, what a request's header section alone decides (version,
// Expect), and the request-to-answer step. The Session does the I/O around these; the
// fuzz target (fuzz/http_fuzzer.cpp) drives them with raw bytes.

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <optional>

#include "feedd/serve.hpp"

namespace feedd::serve {

using RequestParser = boost::beast::http::request_parser<boost::beast::http::string_body>;
using Request = boost::beast::http::request<boost::beast::http::string_body>;

// A fresh parser for one request, with the server's header and body limits.
void apply_limits(RequestParser& parser, const HttpServerOptions& options);

// An answer after which the connection is closed (its framing can no longer be trusted,
// or the body was never read).
struct Refusal {
  HttpAnswer answer;
};

// The answer to a failed parse: 414 or 431 past the header limit (414 when the request
// line alone did not fit), 413 past the body limit, 505 for a request line naming another
// HTTP version, 400 for anything else malformed.
// nullopt for errors that are not the client's request (end of stream, timeout, reset):
// those get no answer. `parser` is the one that failed, `unparsed` what was read and not
// consumed by it.
std::optional<Refusal> refusal_for(const boost::beast::error_code& ec, const RequestParser& parser,
                                   std::string_view unparsed);

// What the header section alone decides, before any body is read: 505 for a version other
// than HTTP/1.0 and 1.1, 417 for an expectation other than 100-continue, and, for
// "Expect: 100-continue" with a body to follow, the final answer at once (RFC 9110 10.1.1
// allows it: no answer here depends on the body), so that the body is never waited for.
// nullopt: read the body (if any) and answer normally.
std::optional<Refusal> answer_before_body(const RequestParser& parser, const FeedCache& cache);

// handle_request() for a parsed request. An absolute-form target ("http://host/feed.atom",
// RFC 9112 3.2.2) is answered for its path.
HttpAnswer answer_request(const Request& request, const FeedCache& cache);

// The path and query of a request target: itself in origin form, the part after the
// authority in absolute form ("" when that is empty: "/").
std::string_view origin_form(std::string_view target);

}  // namespace feedd::serve
