// URL canonicalisation for identity and matching, in one place. Two links that a reader
// would call "the same page" must compare equal: scheme and host are case-insensitive,
// default ports and fragments say nothing about the page, and tracking parameters are
// added per share, not per story.

#include <algorithm>
#include <array>
#include <cctype>
#include <string>
#include <string_view>
#include <vector>

#include "feedd/dedup.hpp"

namespace feedd::dedup {

namespace {

constexpr std::array<std::string_view, 14> kTrackingParameters = {
    "fbclid", "gclid", "dclid", "gclsrc", "msclkid", "yclid", "mc_cid", "mc_eid",
    "igshid", "_ga", "_gl", "ref_src", "cmpid", "ocid"};

bool is_tracking_parameter(std::string_view name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower.rfind("utm_", 0) == 0) return true;
  return std::find(kTrackingParameters.begin(), kTrackingParameters.end(), lower) != kTrackingParameters.end();
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string canonical_url(std::string_view raw) {
  std::string_view url = trim(raw);
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return std::string(url);
  const std::string scheme = lower(url.substr(0, scheme_end));
  if (scheme != "http" && scheme != "https") return std::string(url);

  std::string_view rest = url.substr(scheme_end + 3);
  if (const auto hash = rest.find('#'); hash != std::string_view::npos) rest = rest.substr(0, hash);
  const auto authority_end = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, authority_end);
  std::string_view path_and_query =
      authority_end == std::string_view::npos ? std::string_view{} : rest.substr(authority_end);

  // user-info is kept as written; only the host part is case-folded.
  std::string userinfo;
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    userinfo = std::string(authority.substr(0, at + 1));
    authority = authority.substr(at + 1);
  }
  std::string host = lower(authority);
  const std::string default_port = scheme == "http" ? ":80" : ":443";
  if (host.ends_with(default_port)) host.resize(host.size() - default_port.size());
  if (!host.empty() && host.back() == '.') host.pop_back();  // "example.org." is example.org

  std::string_view path = path_and_query.substr(0, path_and_query.find('?'));
  std::string_view query;
  if (const auto q = path_and_query.find('?'); q != std::string_view::npos) query = path_and_query.substr(q + 1);

  std::string out = scheme + "://" + userinfo + host;
  out += path.empty() ? std::string_view("/") : path;

  std::vector<std::string_view> kept;
  while (!query.empty()) {
    const auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;
    if (!is_tracking_parameter(pair.substr(0, pair.find('=')))) kept.push_back(pair);
  }
  for (std::size_t i = 0; i < kept.size(); ++i) {
    out += i == 0 ? '?' : '&';
    out += kept[i];
  }
  return out;
}

}  // namespace feedd::dedup
