// classify_address over every range allow_private_networks guards, and their edges.

#include <catch2/catch.hpp>

#include <string>
#include <utility>
#include <vector>

#include "feedd/config.hpp"
#include "feedd/fetch.hpp"

using feedd::AddressScope;
using feedd::address_scope_name;
using feedd::classify_address;

namespace {

void check_all(const std::vector<std::pair<std::string, AddressScope>>& table) {
  for (const auto& [text, scope] : table) {
    INFO(text << " is " << address_scope_name(classify_address(text)) << ", expected " << address_scope_name(scope));
    CHECK(classify_address(text) == scope);
  }
}

constexpr auto kPublic = AddressScope::kPublic;
constexpr auto kLoopback = AddressScope::kLoopback;
constexpr auto kPrivate = AddressScope::kPrivate;
constexpr auto kLinkLocal = AddressScope::kLinkLocal;
constexpr auto kUnspecified = AddressScope::kUnspecified;
constexpr auto kReserved = AddressScope::kReserved;
constexpr auto kInvalid = AddressScope::kInvalid;

}  // namespace

TEST_CASE("IPv4 ranges are classified up to their first and last address", "[address-policy]") {
  check_all({
      {"127.0.0.1", kLoopback},       {"127.0.0.0", kLoopback},       {"127.255.255.255", kLoopback},
      {"126.255.255.255", kPublic},   {"128.0.0.0", kPublic},
      {"10.0.0.0", kPrivate},         {"10.255.255.255", kPrivate},   {"9.255.255.255", kPublic},
      {"11.0.0.0", kPublic},
      {"172.16.0.0", kPrivate},       {"172.31.255.255", kPrivate},   {"172.15.255.255", kPublic},
      {"172.32.0.0", kPublic},
      {"192.168.0.0", kPrivate},      {"192.168.255.255", kPrivate},  {"192.167.255.255", kPublic},
      {"192.169.0.0", kPublic},
      {"169.254.0.0", kLinkLocal},    {"169.254.169.254", kLinkLocal}, {"169.254.255.255", kLinkLocal},
      {"169.253.255.255", kPublic},   {"169.255.0.0", kPublic},
      {"100.64.0.0", kPrivate},       {"100.127.255.255", kPrivate},  {"100.63.255.255", kPublic},
      {"100.128.0.0", kPublic},
      {"0.0.0.0", kUnspecified},      {"0.255.255.255", kUnspecified}, {"1.0.0.0", kPublic},
      {"224.0.0.1", kReserved},       {"239.255.255.255", kReserved}, {"240.0.0.1", kReserved},
      {"255.255.255.255", kReserved}, {"223.255.255.255", kPublic},
      {"8.8.8.8", kPublic},           {"93.184.216.34", kPublic},
  });
}

TEST_CASE("IPv6 ranges are classified up to their edges", "[address-policy]") {
  check_all({
      {"::1", kLoopback},          {"::", kUnspecified},           {"0:0:0:0:0:0:0:1", kLoopback},
      {"fc00::", kPrivate},        {"fc00::1", kPrivate},          {"fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", kPrivate},
      {"fbff:ffff::", kPublic},    {"fe00::", kPublic},
      {"fe80::", kLinkLocal},      {"fe80::1", kLinkLocal},        {"febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", kLinkLocal},
      {"fe7f:ffff::", kPublic},    {"fec0::1", kPrivate},          {"ff02::1", kReserved},
      {"2001:db8::1", kPublic},    {"2606:4700:4700::1111", kPublic},
  });
}

TEST_CASE("IPv6 forms that carry an IPv4 address take its scope", "[address-policy]") {
  check_all({
      {"::ffff:127.0.0.1", kLoopback},  {"::ffff:7f00:1", kLoopback},     {"::ffff:10.0.0.1", kPrivate},
      {"::ffff:172.16.0.1", kPrivate},  {"::ffff:192.168.1.1", kPrivate}, {"::ffff:169.254.169.254", kLinkLocal},
      {"::ffff:0.0.0.0", kUnspecified}, {"::ffff:8.8.8.8", kPublic},      {"::127.0.0.1", kLoopback},
      {"::10.1.2.3", kPrivate},         {"64:ff9b::10.0.0.1", kPrivate},  {"64:ff9b::8.8.8.8", kPublic},
      {"2002:a00:1::", kPrivate},       {"2002:7f00:1::1", kLoopback},    {"2002:808:808::", kPublic},
  });
}

TEST_CASE("Brackets and zones are read past; anything not a numeric address is invalid", "[address-policy]") {
  check_all({
      {"[::1]", kLoopback},    {"[fe80::1%eth0]", kLinkLocal}, {"fe80::1%2", kLinkLocal},
      {"", kInvalid},          {"localhost", kInvalid},        {"example.org", kInvalid},
      {"127.1", kInvalid},     {"0x7f.0.0.1", kInvalid},       {"1.2.3.4.5", kInvalid},
      {"::ffff:999.0.0.1", kInvalid}, {"[]", kInvalid},        {"10.0.0.1 ", kInvalid},
  });
  CHECK(std::string(address_scope_name(AddressScope::kLinkLocal)) == "link-local");
}

TEST_CASE("allow_private_networks is read from [daemon] and can be set per [[feed]]", "[address-policy][config]") {
  const auto parsed = feedd::parse_config(R"([daemon]
allow_private_networks = true
[[feed]]
url = "https://a.example/rss"
[[feed]]
url = "https://b.example/rss"
allow_private_networks = false
)",
                                          "/tmp/feeds.conf");
  REQUIRE(parsed.ok());
  CHECK(parsed.config.daemon.allow_private_networks);
  CHECK(parsed.config.sources.at(0).allow_private_networks);
  CHECK_FALSE(parsed.config.sources.at(1).allow_private_networks);

  const auto plain = feedd::parse_config("[[feed]]\nurl = \"https://a.example/rss\"\n", "/tmp/feeds.conf");
  REQUIRE(plain.ok());
  CHECK_FALSE(plain.config.sources.at(0).allow_private_networks);  // off unless the operator says so

  const auto wrong = feedd::parse_config("[[feed]]\nurl = \"https://a.example/rss\"\nallow_private_networks = \"yes\"\n",
                                         "/tmp/feeds.conf");
  REQUIRE(wrong.errors.size() == 1);
  CHECK(wrong.errors[0].to_string().find("feeds.conf:3:") != std::string::npos);
  CHECK(wrong.errors[0].message.find("allow_private_networks") != std::string::npos);
}
