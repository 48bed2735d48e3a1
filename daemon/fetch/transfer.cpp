#include "fetch/transfer.hpp"

#include <cctype>
#include <string_view>

#include <curl/header.h>

namespace feedd::fetch {
namespace {

constexpr const char* kAccept =
    "Accept: application/atom+xml, application/rss+xml, application/feed+json, application/xml;q=0.9, "
    "text/xml;q=0.9, */*;q=0.8";
constexpr long kMaxRedirects = 5;

long as_ms(std::chrono::seconds s) { return static_cast<long>(std::chrono::milliseconds(s).count()); }

bool is_https(const std::string& url) {
  constexpr std::string_view kScheme = "https:";
  if (url.size() < kScheme.size()) return false;
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(url[i])) != kScheme[i]) return false;
  }
  return true;
}

}  // namespace

Transfer::Transfer(FetchRequest req, std::function<void(FetchResult)> done, std::string host)
    : req_(std::move(req)), done_(std::move(done)), host_(std::move(host)) {}

Status Transfer::start() {
  started_ = std::chrono::steady_clock::now();
  easy_.reset(curl_easy_init());
  if (!easy_) return Status::network("GET " + req_.url + ": curl_easy_init failed");
  CURL* e = easy_.get();

  curl_slist* list = nullptr;
  auto add_header = [&](const std::string& line) {
    if (curl_slist* grown = curl_slist_append(list, line.c_str())) list = grown;
  };
  add_header(kAccept);
  if (req_.etag) add_header("If-None-Match: " + *req_.etag);
  if (req_.last_modified) add_header("If-Modified-Since: " + *req_.last_modified);
  headers_.reset(list);

  curl_easy_setopt(e, CURLOPT_URL, req_.url.c_str());
  curl_easy_setopt(e, CURLOPT_PRIVATE, this);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, error_);
  // Signals would be delivered to whichever thread curl happens to run on (DNS timeouts).
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(e, CURLOPT_MAXREDIRS, kMaxRedirects);
  // A feed must never be able to send us to file:, ftp: or gopher: by a Location header.
  curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, as_ms(req_.connect_timeout));
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, as_ms(req_.timeout));
  curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, req_.low_speed_bytes);
  curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, static_cast<long>(req_.low_speed_time.count()));
  // "" offers every encoding this libcurl can undo; the write callback then sees decoded bytes.
  curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(e, CURLOPT_USERAGENT, req_.user_agent.c_str());
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers_.get());
  // Rejects early when Content-Length (the encoded size) is already over; the write
  // callback does the real check, since chunked and compressed bodies slip past this one.
  curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(req_.max_bytes));
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &Transfer::on_body);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, this);
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &Transfer::on_header);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, this);
  // HTTP/2 where the server offers it (ALPN); over TLS a transfer to a host that already
  // has a connection being set up waits for it and multiplexes rather than opening another.
  // Never over plain http: (HTTP/1.1 only under 2TLS): there curl would learn that the
  // connection cannot multiplex only from the first response, so one slow answer would
  // hold every other transfer to its host until it ends.
  curl_easy_setopt(e, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
  if (is_https(req_.url)) curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
  // Proxies come from http_proxy / https_proxy / no_proxy, which libcurl reads itself as
  // long as CURLOPT_PROXY is left unset: nothing here may set it.
  return Status::ok();
}

size_t Transfer::on_body(char* data, size_t size, size_t count, void* self) {
  auto* t = static_cast<Transfer*>(self);
  const size_t n = size * count;
  if (t->body_.size() + n > t->req_.max_bytes) {
    t->too_large_ = true;
    return 0;  // anything but n makes curl abort with CURLE_WRITE_ERROR
  }
  t->body_.append(data, n);
  return n;
}

// Called for every header line of every answer in the chain, the status line first:
// enough to know which hop answered what (curl keeps only the last one's code).
size_t Transfer::on_header(char* data, size_t size, size_t count, void* self) {
  auto* t = static_cast<Transfer*>(self);
  const size_t n = size * count;
  std::string_view line(data, n);
  if (line.size() > 12 && line.substr(0, 5) == "HTTP/") {
    const auto space = line.find(' ');
    int status = 0;
    for (std::size_t i = space + 1; i < line.size() && i < space + 4; ++i) {
      if (line[i] < '0' || line[i] > '9') break;
      status = status * 10 + (line[i] - '0');
    }
    char* asked = nullptr;
    curl_easy_getinfo(t->easy_.get(), CURLINFO_EFFECTIVE_URL, &asked);
    std::string url = asked ? asked : t->req_.url;
    // An interim answer (100 Continue, a proxy's CONNECT 200) is followed by the real one
    // for the same URL: keep only the last.
    if (!t->hops_.empty() && t->hops_.back().url == url) {
      t->hops_.back().status = status;
    } else {
      t->hops_.push_back(Hop{status, std::move(url)});
    }
  }
  return n;
}

// Headers of the last response only (request -1): a redirect's ETag must not be stored as
// the feed's validator.
std::optional<std::string> Transfer::final_header(const char* name) const {
  curl_header* header = nullptr;
  if (curl_easy_header(easy_.get(), name, 0, CURLH_HEADER, -1, &header) != CURLHE_OK || !header) return std::nullopt;
  return std::string(header->value);
}

void Transfer::read_hints(FetchResult& result, long http_status) const {
  result.permanent_redirect = permanent_redirect_target(hops_);
  const Timestamp now = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  const auto date = final_header("Date");
  const auto as_view = [](const std::optional<std::string>& s) {
    return s ? std::optional<std::string_view>(*s) : std::nullopt;
  };
  if (http_status == 429 || http_status == 503) {
    if (auto value = final_header("Retry-After")) result.retry_after = parse_retry_after(*value, as_view(date), now);
  }
  const auto cache_control = final_header("Cache-Control");
  const auto expires = final_header("Expires");
  result.fresh_for = freshness(as_view(cache_control), as_view(expires), as_view(date), now);
}

Status Transfer::transport_error(CURLcode code) const {
  std::string why = error_[0] != '\0' ? std::string(error_) : std::string(curl_easy_strerror(code));
  return Status::network("GET " + req_.url + ": " + why);
}

FetchResult Transfer::finish(CURLcode code) {
  FetchResult result;
  result.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started_);
  CURL* e = easy_.get();
  char* effective = nullptr;
  curl_easy_getinfo(e, CURLINFO_EFFECTIVE_URL, &effective);
  result.final_url = effective ? effective : req_.url;
  long http_status = 0;
  curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &http_status);

  if (too_large_ || code == CURLE_FILESIZE_EXCEEDED) {
    result.http_status = static_cast<int>(http_status);
    result.status = Status::too_large("GET " + req_.url + ": body over the " + std::to_string(req_.max_bytes) +
                                      "-byte limit");
    return result;
  }
  if (code != CURLE_OK) {
    result.status = transport_error(code);
    return result;
  }

  result.http_status = static_cast<int>(http_status);
  char* content_type = nullptr;
  curl_easy_getinfo(e, CURLINFO_CONTENT_TYPE, &content_type);
  if (content_type) result.content_type = content_type;
  result.etag = final_header("ETag");
  result.last_modified = final_header("Last-Modified");
  read_hints(result, http_status);

  if (http_status == 304) {
    result.not_modified = true;
    // A 304 may omit validators; the ones we sent still hold.
    if (!result.etag) result.etag = req_.etag;
    if (!result.last_modified) result.last_modified = req_.last_modified;
    return result;
  }
  if (http_status < 200 || http_status > 299) {
    result.status = Status::http("GET " + req_.url, static_cast<int>(http_status));
    return result;
  }
  if (body_.empty()) {
    // An empty feed document is never valid; treating it as "no entries" would hide a
    // broken server behind a healthy-looking source.
    result.status = Status::parse("GET " + req_.url + ": HTTP " + std::to_string(http_status) + " with an empty body");
    return result;
  }
  result.body = std::move(body_);
  return result;
}

}  // namespace feedd::fetch
