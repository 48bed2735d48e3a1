#pragma once
// Text helpers shared by the renderers.

#include <string>
#include <string_view>

namespace feedd::render {

// `text` as XML 1.0 can carry it: invalid UTF-8 sequences become U+FFFD, and the
// characters XML forbids (C0 controls other than tab, LF and CR; U+FFFE, U+FFFF) are
// dropped. A single stray byte from a source must never make the unified feed unparsable.
std::string xml_safe(std::string_view text);

// `text` with &, <, > and " escaped, for HTML text and attribute values.
std::string escape_html(std::string_view text);

}  // namespace feedd::render
