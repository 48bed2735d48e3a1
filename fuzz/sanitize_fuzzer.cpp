// The HTML sanitiser and html_to_text on arbitrary markup. Besides crashes, leaks and
// sanitizer reports, it aborts when the output is not UTF-8 or still holds a <script.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "feedd/sanitize.hpp"
#include "parse/text.hpp"

namespace {

void fail(const char* what) {
  std::fprintf(stderr, "broken promise: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view html(reinterpret_cast<const char*>(data), size);
  const std::string safe = feedd::sanitize_html(html, "https://fuzz.example/a/b.html");
  if (!feedd::parse::is_valid_utf8(safe)) fail("sanitize_html output is not UTF-8");
  if (feedd::parse::to_lower_ascii(safe).find("<script") != std::string::npos) fail("a <script survived");
  const std::string text = feedd::html_to_text(html);
  if (!feedd::parse::is_valid_utf8(text)) fail("html_to_text output is not UTF-8");
  return 0;
}
