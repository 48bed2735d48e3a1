#pragma once
// fetch: HTTP(S) GETs through libcurl's multi interface, driven by a Boost.Asio
// io_context (curl_multi_socket_action on Asio sockets and timers), plus reads of local
// `file:` sources. No thread per transfer and no polling loop. curl.h stays inside
// daemon/fetch/.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>

#include "feedd/status.hpp"

namespace feedd {

// Where a numeric address leads. Everything but kPublic is what allow_private_networks
// guards: a feed on the internet must not be able to send feedd into the operator's own
// machine or networks.
enum class AddressScope {
  kPublic,
  kLoopback,     // 127.0.0.0/8, ::1
  kPrivate,      // 10/8, 172.16/12, 192.168/16, 100.64/10 (carrier NAT), fc00::/7, fec0::/10
  kLinkLocal,    // 169.254/16, fe80::/10
  kUnspecified,  // 0.0.0.0/8, :: (connecting to it reaches this host)
  kReserved,     // multicast, broadcast, 240/4, ff00::/8: never a feed server
  kInvalid,      // not a numeric address
};

// Classifies an IPv4 or IPv6 address written numerically ("10.0.0.1", "fe80::1%eth0",
// "[::1]"). IPv6 forms that carry an IPv4 address (v4-mapped ::ffff:a.b.c.d, v4-compatible
// ::a.b.c.d, NAT64 64:ff9b::/96, 6to4 2002::/16) take the scope of that address. Pure.
AddressScope classify_address(std::string_view numeric);
// "loopback", "private", "link-local", "unspecified", "reserved", "public", "invalid".
const char* address_scope_name(AddressScope scope);

// Which addresses a fetch may connect to. Checked on every connection curl opens (before
// connect(), on the resolved address, so a DNS answer that changes between two lookups
// cannot slip past) and on every connection it reuses, before a request is sent.
struct AddressPolicy {
  // false: a connection to any address not kPublic is refused, unless the operator's
  // URL names such an address (an IP literal, `localhost` or `*.localhost`): what the
  // operator wrote is trusted, together with its redirects inside private space.
  bool allow_private_networks = false;
  // The URL the operator wrote, when the request goes elsewhere (a source moved by
  // permanent redirects): only its host can make private addresses trusted. "": req.url.
  std::string operator_url;
  // A seam for tests (loopback only): how addresses are classified. Unset: classify_address.
  std::function<AddressScope(std::string_view numeric)> classify;
};

struct FetchRequest {
  // A GET of `url` with every other setting at its default.
  static FetchRequest for_url(std::string url) {
    FetchRequest request;
    request.url = std::move(url);
    return request;
  }

  std::string url;                           // http:, https: or file:
  std::optional<std::string> etag;           // sent as If-None-Match
  std::optional<std::string> last_modified;  // sent as If-Modified-Since
  std::chrono::seconds timeout{30};          // whole transfer
  std::chrono::seconds connect_timeout{10};
  // Abort when fewer than low_speed_bytes per second arrive for low_speed_time.
  long low_speed_bytes = 1;
  std::chrono::seconds low_speed_time{15};
  std::uint64_t max_bytes = 16ull << 20;  // counted on the decoded body
  std::string user_agent = "feedd/0.1";
  AddressPolicy address_policy;
};

struct FetchResult {
  // ok for 200 with a non-empty body and for 304; otherwise why the fetch failed
  // (network: also a connection the AddressPolicy refused and a redirect to a scheme other
  // than http/https; HTTP status; too large: the body over max_bytes or the headers over
  // 256 KiB; empty body; unreadable file).
  Status status;
  int http_status = 0;        // 0 for file: sources and transport failures
  bool not_modified = false;  // 304 (or an unchanged file)
  std::string body;           // decoded (gzip/deflate undone); empty when not_modified
  std::string content_type;   // the Content-Type header, "" when none
  // Validators to store for the next fetch; one over 1 KiB is dropped.
  std::optional<std::string> etag;
  std::optional<std::string> last_modified;
  std::string final_url;  // after redirects
  std::chrono::milliseconds elapsed{0};

  // Where a 301 or 308 at the start of the redirect chain points (after every permanent
  // hop in a row): the address the publisher says the feed has moved to for good. Unset
  // when the first answer was not a permanent redirect (302, 303 and 307 never set it).
  std::optional<std::string> permanent_redirect;
  // 429 and 503 only: the Retry-After header (delta seconds, or an HTTP date measured
  // against the response's Date header, else the local clock), bounded to [0, 24 h].
  std::optional<std::chrono::seconds> retry_after;
  // How long the answer says it stays fresh: Cache-Control max-age, else Expires minus
  // Date; unset when it says neither (or no-cache / no-store). Bounded to [0, 24 h].
  std::optional<std::chrono::seconds> fresh_for;
};

class Fetcher {
 public:
  struct Limits {
    int concurrency = 64;  // transfers in flight, all hosts together
    int per_host = 4;      // transfers in flight against one host
    // Least time between the starts of two requests to the same host (politeness);
    // a request that would start sooner waits in the queue without holding other hosts.
    std::chrono::milliseconds host_delay{0};
  };

  // `io` must outlive the Fetcher. All callbacks run on `io`'s thread.
  Fetcher(boost::asio::io_context& io, Limits limits);
  // Abandons transfers still in flight; their `done` callbacks never run.
  ~Fetcher();
  Fetcher(const Fetcher&) = delete;
  Fetcher& operator=(const Fetcher&) = delete;

  // Starts (or queues, past the limits) a fetch of req.url. `done` runs on the io_context
  // exactly once, unless the Fetcher is destroyed first. Must be called on the io thread.
  void fetch(FetchRequest req, std::function<void(FetchResult)> done);

  // Applies new limits at once (a reload): transfers in flight are never cut short; a lower
  // limit starts no new transfer until enough of them finish, a higher one starts queued
  // requests now. Must be called on the io thread.
  void set_limits(Limits limits);
  Limits limits() const;

  // Forgets the requests still waiting for a slot (stopping: only transfers already in
  // flight may finish); their `done` callbacks never run. Returns how many there were.
  std::size_t drop_queued();

  // Transfers started and not finished, and requests waiting for a slot.
  std::size_t in_flight() const;
  std::size_t queued() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace feedd
