#include "parse/url_resolver.hpp"

#include <algorithm>
#include <cctype>
#include <optional>

#include "parse/text.hpp"

namespace feedd::parse {
namespace {

struct UriParts {
  std::string scheme;  // without ':'
  std::optional<std::string> authority;
  std::string path;
  std::optional<std::string> query;
  std::optional<std::string> fragment;
};

size_t scheme_length(std::string_view url) {
  if (url.empty() || !std::isalpha(static_cast<unsigned char>(url[0]))) return 0;
  for (size_t i = 1; i < url.size(); ++i) {
    const auto c = static_cast<unsigned char>(url[i]);
    if (c == ':') return i;
    if (!std::isalnum(c) && c != '+' && c != '-' && c != '.') return 0;
  }
  return 0;
}

// RFC 3986 appendix B, by hand.
UriParts split(std::string_view s) {
  UriParts u;
  if (const size_t n = scheme_length(s); n > 0) {
    u.scheme = to_lower_ascii(s.substr(0, n));
    s.remove_prefix(n + 1);
  }
  if (const size_t hash = s.find('#'); hash != std::string_view::npos) {
    u.fragment = std::string(s.substr(hash + 1));
    s = s.substr(0, hash);
  }
  if (const size_t q = s.find('?'); q != std::string_view::npos) {
    u.query = std::string(s.substr(q + 1));
    s = s.substr(0, q);
  }
  if (s.substr(0, 2) == "//") {
    s.remove_prefix(2);
    const size_t slash = s.find('/');
    u.authority = std::string(s.substr(0, slash));
    s = slash == std::string_view::npos ? std::string_view{} : s.substr(slash);
  }
  u.path = std::string(s);
  return u;
}

// RFC 3986 5.2.4.
std::string remove_dot_segments(std::string_view in) {
  std::string out;
  while (!in.empty()) {
    if (in.substr(0, 3) == "../") {
      in.remove_prefix(3);
    } else if (in.substr(0, 2) == "./") {
      in.remove_prefix(2);
    } else if (in.substr(0, 3) == "/./") {
      in.remove_prefix(2);
    } else if (in == "/.") {
      in = "/";
    } else if (in.substr(0, 4) == "/../" || in == "/..") {
      in = in.size() == 3 ? std::string_view("/") : in.substr(3);
      const size_t last = out.rfind('/');
      out.erase(last == std::string::npos ? 0 : last);
    } else if (in == "." || in == "..") {
      in = {};
    } else {
      const size_t next = in.find('/', in[0] == '/' ? 1 : 0);
      out.append(in.substr(0, next));
      in = next == std::string_view::npos ? std::string_view{} : in.substr(next);
    }
  }
  return out;
}

std::string merge(const UriParts& base, std::string_view ref_path) {
  if (base.authority && base.path.empty()) return "/" + std::string(ref_path);
  const size_t last = base.path.rfind('/');
  if (last == std::string::npos) return std::string(ref_path);
  return base.path.substr(0, last + 1) + std::string(ref_path);
}

std::string recompose(const UriParts& u) {
  std::string out = u.scheme + ":";
  if (u.authority) out += "//" + *u.authority;
  out += u.path;
  if (u.query) out += "?" + *u.query;
  if (u.fragment) out += "#" + *u.fragment;
  return out;
}

}  // namespace

std::string url_scheme(std::string_view url) {
  url = trim(url);
  const size_t n = scheme_length(url);
  return n == 0 ? std::string() : to_lower_ascii(url.substr(0, n));
}

std::string resolve_url(std::string_view base_text, std::string_view reference) {
  reference = trim(reference);
  base_text = trim(base_text);
  const UriParts ref = split(reference);
  if (!ref.scheme.empty()) {
    UriParts t = ref;
    t.path = remove_dot_segments(ref.path);
    return recompose(t);
  }
  const UriParts base = split(base_text);
  if (base.scheme.empty()) return std::string(reference);
  UriParts t;
  t.scheme = base.scheme;
  t.fragment = ref.fragment;
  if (ref.authority) {
    t.authority = ref.authority;
    t.path = remove_dot_segments(ref.path);
    t.query = ref.query;
  } else {
    t.authority = base.authority;
    if (ref.path.empty()) {
      t.path = base.path;
      t.query = ref.query ? ref.query : base.query;
    } else {
      t.path = remove_dot_segments(ref.path[0] == '/' ? ref.path : merge(base, ref.path));
      t.query = ref.query;
    }
  }
  return recompose(t);
}

namespace {

constexpr std::string_view kSafeSchemes[] = {"http", "https", "mailto"};

bool is_safe_scheme(std::string_view scheme) {
  for (std::string_view safe : kSafeSchemes)
    if (scheme == safe) return true;
  return false;
}

// What a browser keeps of an attribute value before it parses it as a URL.
std::string browser_view(std::string_view raw) {
  std::string value;
  value.reserve(raw.size());
  for (char c : raw)
    if (c != '\t' && c != '\n' && c != '\r') value += c;
  const auto is_c0_or_space = [](char c) { return static_cast<unsigned char>(c) <= 0x20; };
  while (!value.empty() && is_c0_or_space(value.back())) value.pop_back();
  value.erase(value.begin(), std::find_if_not(value.begin(), value.end(), is_c0_or_space));
  return value;
}

}  // namespace

std::optional<std::string> safe_url(std::string_view base, std::string_view reference) {
  const std::string value = browser_view(reference);
  const size_t delimiter = value.find_first_of(":/?#");
  if (delimiter != std::string::npos && value[delimiter] == ':') {
    const std::string scheme = url_scheme(value);
    if (scheme.empty() || !is_safe_scheme(scheme)) return std::nullopt;
    return scheme == "mailto" ? value : resolve_url({}, value);
  }
  std::string resolved = resolve_url(base, value);
  const std::string scheme = url_scheme(resolved);
  if (!scheme.empty() && !is_safe_scheme(scheme)) return std::nullopt;
  return resolved;
}

std::string refused_scheme(std::string_view reference) {
  const std::string value = browser_view(reference);
  const size_t delimiter = value.find_first_of(":/?#");
  const std::string scheme = delimiter != std::string::npos && value[delimiter] == ':' ? url_scheme(value) : "";
  return scheme.empty() ? "an unreadable scheme" : "scheme \"" + scheme + "\"";
}

}  // namespace feedd::parse
