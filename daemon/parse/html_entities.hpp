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

// Rewrites every reference to an HTML entity that XML does not predefine (&nbsp;) as a
// numeric reference (&#160;), outside CDATA sections, comments and processing
// instructions, so that an XML parser accepts it. Adds one warning per distinct entity
// ("line 12: undefined entity &nbsp; recovered"). References to unknown names are left
// alone. Line numbers are unchanged by the rewrite.
std::string recover_html_entities(std::string_view xml, std::vector<std::string>& warnings);

}  // namespace feedd::parse
