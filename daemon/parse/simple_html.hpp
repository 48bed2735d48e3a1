#pragma once
// An exact tag-stripper for the plain HTML most feeds carry: the visible text of `html`
// exactly as html_to_text gives it (and as html_to_text of its sanitised form gives it)
// before white space is collapsed, without libxml2. Anything it is not sure about
// (comments, unknown entities or elements, mis-nesting, where libxml2 would close or
// move elements, bad UTF-8) makes it return false, and the caller takes libxml2's way.
// The fuzz target and tests/fast_path_test.cpp hold it to libxml2's answers.

#include <string>
#include <string_view>

namespace feedd::parse {

// Appends the text to `out`; false (with `out` in any state) when unsure.
bool strip_simple_html(std::string_view html, std::string& out);

}  // namespace feedd::parse
