// classify_address: the address ranges allow_private_networks guards (RFC 1918, 6598,
// 3927, 4193, 4291, 6052, 3056). Text in, scope out: no sockets, no resolver.

#include <arpa/inet.h>

#include <array>
#include <cstdint>
#include <string>

#include "feedd/fetch.hpp"

namespace feedd {
namespace {

using Ipv4 = std::array<std::uint8_t, 4>;
using Ipv6 = std::array<std::uint8_t, 16>;

AddressScope classify_v4(const Ipv4& a) {
  if (a[0] == 0) return AddressScope::kUnspecified;  // 0.0.0.0/8: "this host" on Linux
  if (a[0] == 127) return AddressScope::kLoopback;
  if (a[0] == 10) return AddressScope::kPrivate;
  if (a[0] == 172 && (a[1] & 0xf0) == 16) return AddressScope::kPrivate;
  if (a[0] == 192 && a[1] == 168) return AddressScope::kPrivate;
  if (a[0] == 100 && (a[1] & 0xc0) == 64) return AddressScope::kPrivate;  // carrier-grade NAT
  if (a[0] == 169 && a[1] == 254) return AddressScope::kLinkLocal;
  if (a[0] >= 224) return AddressScope::kReserved;  // multicast, 240/4, broadcast
  return AddressScope::kPublic;
}

bool all_zero(const Ipv6& a, std::size_t from, std::size_t to) {
  for (std::size_t i = from; i < to; ++i) {
    if (a[i] != 0) return false;
  }
  return true;
}

Ipv4 v4_at(const Ipv6& a, std::size_t at) { return {a[at], a[at + 1], a[at + 2], a[at + 3]}; }

AddressScope classify_v6(const Ipv6& a) {
  if (all_zero(a, 0, 16)) return AddressScope::kUnspecified;
  if (all_zero(a, 0, 15) && a[15] == 1) return AddressScope::kLoopback;
  // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (the deprecated compatible form) reach a.b.c.d.
  if (all_zero(a, 0, 10) && a[10] == 0xff && a[11] == 0xff) return classify_v4(v4_at(a, 12));
  if (all_zero(a, 0, 12)) return classify_v4(v4_at(a, 12));
  // 64:ff9b::/96, the well-known NAT64 prefix, and 2002::/16, 6to4, embed an IPv4 address.
  if (a[0] == 0x00 && a[1] == 0x64 && a[2] == 0xff && a[3] == 0x9b && all_zero(a, 4, 12)) {
    return classify_v4(v4_at(a, 12));
  }
  if (a[0] == 0x20 && a[1] == 0x02) return classify_v4(v4_at(a, 2));
  if ((a[0] & 0xfe) == 0xfc) return AddressScope::kPrivate;                     // fc00::/7
  if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) return AddressScope::kLinkLocal;  // fe80::/10
  if (a[0] == 0xfe && (a[1] & 0xc0) == 0xc0) return AddressScope::kPrivate;    // fec0::/10 site-local
  if (a[0] == 0xff) return AddressScope::kReserved;                            // multicast
  return AddressScope::kPublic;
}

}  // namespace

AddressScope classify_address(std::string_view numeric) {
  if (numeric.size() >= 2 && numeric.front() == '[' && numeric.back() == ']') {
    numeric = numeric.substr(1, numeric.size() - 2);
  }
  // A zone ("fe80::1%eth0") names the interface, not the address.
  if (auto zone = numeric.find('%'); zone != std::string_view::npos) numeric = numeric.substr(0, zone);
  if (numeric.empty() || numeric.size() > 64) return AddressScope::kInvalid;
  const std::string text(numeric);
  // inet_pton, unlike inet_aton, takes only the dotted quad: "127.1" or "0x7f.0.0.1" are
  // not numeric addresses here (curl never hands those to a socket).
  Ipv4 v4{};
  if (inet_pton(AF_INET, text.c_str(), v4.data()) == 1) return classify_v4(v4);
  Ipv6 v6{};
  if (inet_pton(AF_INET6, text.c_str(), v6.data()) == 1) return classify_v6(v6);
  return AddressScope::kInvalid;
}

const char* address_scope_name(AddressScope scope) {
  switch (scope) {
    case AddressScope::kPublic: return "public";
    case AddressScope::kLoopback: return "loopback";
    case AddressScope::kPrivate: return "private";
    case AddressScope::kLinkLocal: return "link-local";
    case AddressScope::kUnspecified: return "unspecified";
    case AddressScope::kReserved: return "reserved";
    case AddressScope::kInvalid: return "invalid";
  }
  return "invalid";
}

}  // namespace feedd
