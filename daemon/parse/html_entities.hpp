#pragma once
// HTML named character references, for documents that use them in XML without declaring
// them (&nbsp; in an RSS title is the classic case).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace feedd::parse {

// The code point of an HTML 4 named entity ("eacute" -> U+00E9); nullopt if unknown.
std::optional<char32_t> html_entity_code_point(std::string_view name);

// The cleaning pass that runs before pugixml, on UTF-8 text. Outside CDATA sections,
// comments and processing instructions it rewrites
//   - references to HTML entities XML does not predefine (&nbsp;) as numeric ones (&#160;),
//   - a bare '&' and a reference to an unknown name (&foo;) as "&amp;",
//   - numeric references to NUL, surrogates, other characters XML forbids, or past
//     U+10FFFF as &#xFFFD; (pugixml would write a NUL and cut the value there),
// and everywhere it drops the C0 control characters XML forbids. Each kind of problem is
// named in `warnings` once (with the line of its first occurrence; line numbers are
// unchanged by the rewrite). nullopt when nothing needed changing: the common
// well-formed document is not copied.
std::optional<std::string> clean_xml_text(std::string_view xml, std::vector<std::string>& warnings);

// The length of the reference at the start of `text` when clean_xml_text keeps it as it
// is outside CDATA, comments and processing instructions: one of the five XML predefines
// (&lt; &gt; &amp; &quot; &apos;) or a numeric reference to a character XML allows.
// 0 for anything it would rewrite (a bare '&', &nbsp;, &#0;) and for text not opening
// with '&'.
size_t kept_reference_length(std::string_view text);

}  // namespace feedd::parse
