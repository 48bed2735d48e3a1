#include "fetch/transfer.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cctype>
#include <string_view>

#include <curl/header.h>

#include "fetch/url_parts.hpp"

namespace feedd::fetch {
namespace {

constexpr const char* kAccept =
    "Accept: application/atom+xml, application/rss+xml, application/feed+json, application/xml;q=0.9, "
    "text/xml;q=0.9, */*;q=0.8";
constexpr long kMaxRedirects = 5;
// Header lines of all the answers of one transfer together. Far above any real server's,
// and a bound on what an endless stream of headers (or of 1xx answers) can make us hold.
constexpr std::size_t kMaxHeaderBytes = 256 * 1024;
// A validator is sent back as a request header on every later fetch: a longer one is a
// server's junk, not worth storing (real ETags are a few dozen bytes).
constexpr std::size_t kMaxValidator = 1024;
// What a message quotes of a server-chosen URL: enough to recognise it.
constexpr std::size_t kMaxQuotedUrl = 200;

std::string quoted_url(std::string_view url) {
  if (url.size() <= kMaxQuotedUrl) return std::string(url);
  return std::string(url.substr(0, kMaxQuotedUrl)) + "...";
}

// The operator wrote this address (or `localhost`) into feeds.conf: it and its redirects
// may stay in private space.
bool names_private_host(const std::string& url, const AddressPolicy& policy) {
  auto parts = split_url(url);
  if (!parts) return false;
  const std::string& host = parts->host;
  constexpr std::string_view kLocal = ".localhost";
  if (host == "localhost" || (host.size() > kLocal.size() && host.ends_with(kLocal))) return true;
  const AddressScope scope = policy.classify ? policy.classify(host) : classify_address(host);
  return scope != AddressScope::kPublic && scope != AddressScope::kInvalid;
}

bool is_https(std::string_view url) {
  constexpr std::string_view kScheme = "https:";
  if (url.size() < kScheme.size()) return false;
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(url[i])) != kScheme[i]) return false;
  }
  return true;
}

std::string numeric_address(const curl_sockaddr& address) {
  char text[INET6_ADDRSTRLEN] = {};
  if (address.family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&address.addr);
    inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
  } else if (address.family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&address.addr);
    inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
  }
  return text;
}

long as_ms(std::chrono::seconds s) { return static_cast<long>(std::chrono::milliseconds(s).count()); }

}  // namespace

Transfer::Transfer(FetchRequest req, std::function<void(FetchResult)> done, std::string host)
    : req_(std::move(req)), done_(std::move(done)), host_(std::move(host)) {}

Status Transfer::start() {
  started_ = std::chrono::steady_clock::now();
  may_reach_private_ = req_.address_policy.allow_private_networks || names_private_host(
      req_.address_policy.operator_url.empty() ? req_.url : req_.address_policy.operator_url, req_.address_policy);
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
  // The address policy: every new connection is checked before connect(), on the address
  // the resolver gave (so a second, different DNS answer is checked too), and every
  // reused one before a request goes out on it (a connection another source opened to a
  // private address must not serve this one's redirect).
  curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, &Transfer::on_open_socket);
  curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, this);
  curl_easy_setopt(e, CURLOPT_PREREQFUNCTION, &Transfer::on_request_ready);
  curl_easy_setopt(e, CURLOPT_PREREQDATA, this);
  // HTTP/2 where the server offers it (ALPN); an https transfer to a host that already has
  // a connection being set up waits for it and multiplexes rather than opening another.
  // Never for http: (no HTTP/2 without TLS here): curl would hold every transfer to that
  // host:port until the first answer, so one stalled server would stall them all.
  curl_easy_setopt(e, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
  if (is_https(req_.url)) {
    curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
  }
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
  t->header_bytes_ += n;
  if (t->header_bytes_ > kMaxHeaderBytes) {
    t->headers_too_large_ = true;
    return 0;  // curl aborts with CURLE_WRITE_ERROR
  }
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

AddressScope Transfer::scope_of(std::string_view numeric) const {
  return req_.address_policy.classify ? req_.address_policy.classify(numeric) : classify_address(numeric);
}

bool Transfer::refuses(const std::string& numeric) {
  if (may_reach_private_) return false;
  const AddressScope scope = scope_of(numeric);
  if (scope == AddressScope::kPublic) return false;
  const std::string what = std::string(address_scope_name(scope)) + " address " + (numeric.empty() ? "?" : numeric);
  if (hops_.empty()) {
    refusal_ = "connection to " + what + " refused";
  } else {
    char* target = nullptr;
    curl_easy_getinfo(easy_.get(), CURLINFO_EFFECTIVE_URL, &target);
    refusal_ = "redirect to " + what + (target ? " (" + quoted_url(target) + ")" : std::string()) + " refused";
  }
  refusal_ += " (allow_private_networks = false)";
  return true;
}

// Runs before curl creates the socket: returning CURL_SOCKET_BAD means no packet is ever
// sent to the address (curl tries the host's next address, else fails the transfer with
// CURLE_COULDNT_CONNECT).
curl_socket_t Transfer::on_open_socket(void* self, curlsocktype, curl_sockaddr* address) {
  auto* t = static_cast<Transfer*>(self);
  if (t->refuses(numeric_address(*address))) return CURL_SOCKET_BAD;
  return ::socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
}

// Runs once the connection is there (new or reused), before the request is written.
// CURL_PREREQFUNC_ABORT ends the transfer with CURLE_ABORTED_BY_CALLBACK.
int Transfer::on_request_ready(void* self, char* primary_ip, char*, int, int) {
  auto* t = static_cast<Transfer*>(self);
  return t->refuses(primary_ip ? primary_ip : "") ? CURL_PREREQFUNC_ABORT : CURL_PREREQFUNC_OK;
}

// A Location to another scheme ends the transfer with CURLE_UNSUPPORTED_PROTOCOL: name it.
std::optional<std::string> Transfer::refused_redirect_scheme() const {
  if (hops_.empty()) return std::nullopt;
  char* target = nullptr;
  curl_easy_getinfo(easy_.get(), CURLINFO_REDIRECT_URL, &target);
  if (!target) curl_easy_getinfo(easy_.get(), CURLINFO_EFFECTIVE_URL, &target);
  if (!target) return std::nullopt;
  return "redirect to " + quoted_url(target) + " refused: only http and https are followed";
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
  if (headers_too_large_) {
    result.status = Status::too_large("GET " + req_.url + ": response headers over the " +
                                      std::to_string(kMaxHeaderBytes) + "-byte limit");
    return result;
  }
  if (code != CURLE_OK && !refusal_.empty()) {
    result.status = Status::network("GET " + req_.url + ": " + refusal_);
    return result;
  }
  if (code == CURLE_UNSUPPORTED_PROTOCOL) {
    if (auto why = refused_redirect_scheme()) {
      result.status = Status::network("GET " + req_.url + ": " + *why);
      return result;
    }
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
  if (result.etag && result.etag->size() > kMaxValidator) result.etag.reset();
  if (result.last_modified && result.last_modified->size() > kMaxValidator) result.last_modified.reset();
  read_hints(result, http_status);

  if (http_status == 304) {
    result.not_modified = true;
    // A 304 may omit validators; the ones we sent still hold.
    if (!result.etag) result.etag = req_.etag;
    if (!result.last_modified) result.last_modified = req_.last_modified;
    return result;
  }
  if (http_status >= 300 && http_status <= 399 && !final_header("Location")) {
    // curl follows every redirect that has somewhere to go: this one had nowhere.
    result.status = Status::http("GET " + req_.url, static_cast<int>(http_status), "a redirect without Location");
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
