// What every rendered feed gets once per render, so that serving it costs no work: its
// validator and its gzip-compressed copy.

#include <zlib.h>

#include "feedd/render.hpp"
#include "render/etag.hpp"

namespace feedd {

namespace {

// gzip (RFC 1952) at level 6: the header's timestamp stays 0, so the same body always
// compresses to the same bytes.
std::string gzip(std::string_view body) {
  z_stream stream{};
  if (deflateInit2(&stream, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return {};
  std::string out(deflateBound(&stream, body.size()) + 32, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(body.data()));
  stream.avail_in = static_cast<uInt>(body.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  // Without a complete compressed copy the server simply sends the body uncompressed.
  return rc == Z_STREAM_END ? out : std::string();
}

}  // namespace

void finish_render(RenderedFeed& feed) {
  feed.etag = render::strong_etag(feed.body);
  feed.gzip_body = gzip(feed.body);
  if (!feed.gzip_body.empty()) {
    // A different representation needs a different strong validator (RFC 9110 8.8.3).
    feed.gzip_etag = feed.etag.substr(0, feed.etag.size() - 1) + "-gzip\"";
  }
}

}  // namespace feedd
