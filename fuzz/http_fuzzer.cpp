// HTTP request handling on arbitrary bytes, as the server's sessions do it: Beast's
// request parser with the server's limits (HttpServerOptions' defaults), fed in chunks of
// a size the first byte picks, each message then judged on its header section
// (answer_before_body) and answered by handle_request from a cache holding a small feed,
// its gzip copy and an older page; pipelined requests follow one another until the bytes
// or the parser give out. Each answer is serialized as the server would send it. Any
// crash, leak, sanitizer report or broken promise aborts.
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/span_body.hpp>
#include <boost/beast/http/write.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "feedd/serve.hpp"
#include "serve/http_exchange.hpp"

namespace {

namespace beast = boost::beast;
namespace http = beast::http;

void fail(const char* what) {
  std::fprintf(stderr, "broken promise: %s\n", what);
  std::abort();
}

feedd::RenderedFeed small_feed(std::string body) {
  feedd::RenderedFeed feed;
  feed.body = std::move(body);
  feed.content_type = "application/atom+xml; charset=utf-8";
  feed.etag = "\"0123456789abcdef0123456789abcdef\"";
  feed.gzip_body = std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 10) + "not really deflated";
  feed.gzip_etag = "\"0123456789abcdef0123456789abcdef-gzip\"";
  feed.last_modified = feedd::Timestamp{std::chrono::sys_days{std::chrono::year{2024} / 3 / 10}};
  return feed;
}

const feedd::FeedCache& cache() {
  static const feedd::FeedCache* const cache = [] {
    auto* c = new feedd::FeedCache;
    c->put("/feed.atom", small_feed("<?xml version=\"1.0\"?><feed xmlns=\"http://www.w3.org/2005/Atom\"/>"));
    c->put("/tags/news.rss", small_feed("<rss version=\"2.0\"><channel/></rss>"));
    c->put_page(feedd::page_key("/feed.atom", "1700000000-5"), small_feed("<feed/>"));
    return c;
  }();
  return *cache;
}

std::string_view header_of(const feedd::HttpAnswer& answer, std::string_view name) {
  for (const auto& [key, value] : answer.headers) {
    if (key == name) return value;
  }
  return {};
}

// What every answer promises, then its bytes as the server sends them.
void check_and_serialize(const feedd::HttpAnswer& answer, unsigned version, bool keep_alive, bool head) {
  if (answer.status < 200 || answer.status > 599) fail("status out of range");
  const std::string_view payload = answer.payload();
  if ((head || answer.status == 304) && !payload.empty()) fail("a body on HEAD or 304");
  if (answer.status != 304 && !head && header_of(answer, "Content-Length") != std::to_string(payload.size())) {
    fail("Content-Length differs from the body");
  }
  if (answer.status == 405 && header_of(answer, "Allow") != "GET, HEAD") fail("405 without Allow");
  http::response<http::span_body<const char>> response;
  response.version(version);
  response.result(static_cast<unsigned>(answer.status));
  for (const auto& [name, value] : answer.headers) response.set(name, value);
  response.keep_alive(keep_alive);
  response.body() = http::span_body<const char>::value_type(payload.data(), payload.size());
  http::response_serializer<http::span_body<const char>> serializer(response);
  beast::error_code ec;
  std::size_t written = 0;
  while (!serializer.is_done()) {
    serializer.next(ec, [&](beast::error_code&, const auto& buffers) {
      const std::size_t n = beast::buffer_bytes(buffers);
      written += n;
      serializer.consume(n);
    });
    if (ec) fail("serializing an answer failed");
  }
  if (written < payload.size()) fail("serialized answer shorter than its body");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // 0: all bytes at once, as one read; else reads of that many bytes, as a slow client.
  const std::size_t chunk = data[0];
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  const feedd::HttpServerOptions options;
  std::string buffered;  // what was read and not yet parsed, like the session's flat_buffer
  for (int message = 0; message < 64; ++message) {
    feedd::serve::RequestParser parser;
    feedd::serve::apply_limits(parser, options);
    parser.eager(false);
    bool judged_header = false;
    beast::error_code ec;
    while (!parser.is_done()) {
      if (buffered.empty() || ec == http::error::need_more) {
        if (rest.empty()) break;  // the client went quiet: the server would time out
        const std::size_t n = chunk == 0 ? rest.size() : std::min(chunk, rest.size());
        buffered.append(rest.substr(0, n));
        rest.remove_prefix(n);
      }
      ec = {};
      const std::size_t used = parser.put(boost::asio::buffer(buffered.data(), buffered.size()), ec);
      buffered.erase(0, used);
      if (ec == http::error::need_more) continue;
      if (ec) {
        const auto refusal = feedd::serve::refusal_for(ec, parser, buffered);
        if (!refusal) fail("a parse error without an answer");
        const int status = refusal->answer.status;
        if ((status < 400 || status > 499) && status != 505) fail("a parse error answered with neither 4xx nor 505");
        check_and_serialize(refusal->answer, 11, false, false);
        return 0;  // the server closes after a refusal
      }
      if (parser.is_header_done() && !judged_header) {
        judged_header = true;
        if (const auto refusal = feedd::serve::answer_before_body(parser, cache())) {
          check_and_serialize(refusal->answer, 11, false, parser.get().method() == http::verb::head);
          return 0;
        }
        parser.eager(true);
      }
    }
    if (!parser.is_done()) return 0;
    const auto& request = parser.get();
    const feedd::HttpAnswer answer = feedd::serve::answer_request(request, cache());
    check_and_serialize(answer, request.version(), request.keep_alive(), request.method() == http::verb::head);
    if (!request.keep_alive()) return 0;
  }
  return 0;
}
