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
// <br> turned into spaces, white space collapsed and trimmed. The content hash and the
// fast path depend on it: the text may still spell a tag ("&amp;lt;b&amp;gt;" is "<b>").
std::string html_to_text(std::string_view html);

// `text` (plain text) with every '<' that would open a tag (a letter, '/', '!' or '?'
// after it, closed or not) written as U+2039 '‹', so that a plain-text field (a title, an
// author) opens no tag in a reader that takes it for HTML; "3 < 4" is left alone.
std::string defuse_tags(std::string text);

}  // namespace feedd
