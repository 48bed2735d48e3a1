#include "fetch/url_parts.hpp"

#include <algorithm>
#include <cctype>

#include "fetch/curl_handles.hpp"

namespace feedd::fetch {
namespace {

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

// curl_url_get hands out curl-allocated strings; copy and free them at once.
std::string get_part(CURLU* url, CURLUPart part, unsigned flags = 0) {
  char* text = nullptr;
  if (curl_url_get(url, part, &text, flags) != CURLUE_OK || text == nullptr) return {};
  std::string copy(text);
  curl_free(text);
  return copy;
}

}  // namespace

Result<UrlParts> split_url(const std::string& url) {
  ensure_curl_global_init();
  UrlPtr parsed(curl_url());
  if (!parsed) return Status::invalid_argument("out of memory parsing " + url);
  // Without CURLU_DEFAULT_SCHEME curl_url refuses "example.com/feed": we want that refusal.
  if (CURLUcode rc = curl_url_set(parsed.get(), CURLUPART_URL, url.c_str(), CURLU_NON_SUPPORT_SCHEME);
      rc != CURLUE_OK) {
    return Status::invalid_argument("not a URL: " + url + " (" + curl_url_strerror(rc) + ")");
  }
  UrlParts parts;
  parts.scheme = lower(get_part(parsed.get(), CURLUPART_SCHEME));
  if (parts.scheme == "file") {
    parts.path = get_part(parsed.get(), CURLUPART_PATH, CURLU_URLDECODE);
    return parts;
  }
  if (parts.scheme != "http" && parts.scheme != "https") {
    return Status::invalid_argument("unsupported scheme in " + url + ": only http, https and file are fetched");
  }
  parts.host = lower(get_part(parsed.get(), CURLUPART_HOST));
  if (parts.host.empty()) return Status::invalid_argument("no host in " + url);
  parts.server = parts.host;
  // Without CURLU_DEFAULT_PORT curl gives only a port the URL spells out.
  const std::string port = get_part(parsed.get(), CURLUPART_PORT);
  const bool default_port = (parts.scheme == "http" && port == "80") || (parts.scheme == "https" && port == "443");
  if (!port.empty() && !default_port) parts.server += ":" + port;
  return parts;
}

}  // namespace feedd::fetch
