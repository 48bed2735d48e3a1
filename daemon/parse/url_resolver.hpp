#pragma once
// RFC 3986 reference resolution (section 5.2), enough for feeds: xml:base chains, links
// relative to the feed's page or its fetch address, URLs inside HTML.

#include <optional>
#include <string>
#include <string_view>

namespace feedd::parse {

// The scheme of `url` in lower case ("https"), or "" when `url` is a relative reference.
std::string url_scheme(std::string_view url);

// `reference` resolved against `base` (RFC 3986 5.2.2, strict: a reference with a scheme
// is taken as is). Surrounding white space is trimmed. When `base` has no scheme, the
// reference is returned unchanged (it cannot be made absolute).
std::string resolve_url(std::string_view base, std::string_view reference);

// `reference` as a browser reads a URL attribute (WHATWG's URL parser strips C0 controls
// and spaces at both ends and removes tab, LF and CR anywhere, so " jav\tascript:" means
// javascript:), made absolute against `base`. nullopt when the scheme it has, or takes
// from `base`, is not http, https or mailto, or when what comes before its first ':' is
// not a clean scheme (refused rather than interpreted). Entities must already be decoded.
std::optional<std::string> safe_url(std::string_view base, std::string_view reference);

// For a warning about a URL safe_url refused: `scheme "javascript"`, or `an unreadable
// scheme`; never the URL itself, so nothing of it reaches an output.
std::string refused_scheme(std::string_view reference);

}  // namespace feedd::parse
