#pragma once
// RFC 3986 reference resolution (section 5.2), enough for feeds: xml:base chains, links
// relative to the feed's page or its fetch address, URLs inside HTML.

#include <string>
#include <string_view>

namespace feedd::parse {

// The scheme of `url` in lower case ("https"), or "" when `url` is a relative reference.
std::string url_scheme(std::string_view url);

// `reference` resolved against `base` (RFC 3986 5.2.2, strict: a reference with a scheme
// is taken as is). Surrounding white space is trimmed. When `base` has no scheme, the
// reference is returned unchanged (it cannot be made absolute).
std::string resolve_url(std::string_view base, std::string_view reference);

}  // namespace feedd::parse
