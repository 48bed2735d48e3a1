#pragma once
// Text helpers shared by the renderers.

#include <string>
#include <string_view>
#include <vector>

#include "feedd/store.hpp"

namespace feedd::render {

// `text` as XML 1.0 can carry it: invalid UTF-8 sequences become U+FFFD, and the
// characters XML forbids (C0 controls other than tab, LF and CR; U+FFFE, U+FFFF) are
// dropped. A single stray byte from a source must never make the unified feed unparsable.
std::string xml_safe(std::string_view text);

// `text` with &, <, > and " escaped, for HTML text and attribute values.
std::string escape_html(std::string_view text);

// The namespace of feedd's own extension attributes and elements in Atom and RSS.
inline constexpr const char* kFeeddNamespace = "https://feedd.invalid/ns/1";

// The newest `updated` among the stories (the epoch when there are none).
Timestamp newest_update(const std::vector<Story>& stories);

// Feed readers rarely show <source> or rel="via", so when several feeds carried a story
// their names also go into the text a person reads: "<p>Also published by: ...</p>".
std::string sources_note_html(const Story& story);

}  // namespace feedd::render
