#pragma once
// The HTML sanitiser and text extraction, built on libxml2's HTML parser (a real
// tokenizer and tree, never regular expressions). Pure and thread-safe.

#include <string>
#include <string_view>

namespace feedd {

// Returns a safe HTML fragment: only allow-listed elements and attributes survive; script,
// style, iframe, object, embed, form, meta, link, base and their content are dropped;
// event-handler attributes and style are removed; URLs are made absolute against
// `base_url` and kept only for http, https and mailto. Text is kept, markup of dropped
// but harmless elements is unwrapped.
std::string sanitize_html(std::string_view html, std::string_view base_url = {});

// Plain text of an HTML fragment: markup removed, entities decoded, block boundaries and
// <br> turned into spaces, white space collapsed and trimmed.
std::string html_to_text(std::string_view html);

}  // namespace feedd
