// parse_config on arbitrary text: it reports errors, it never crashes, and every error
// names a position inside the text it was given.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "feedd/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const feedd::ConfigResult result = feedd::parse_config(text, "/fuzz/feeds.conf");
  for (const feedd::ConfigError& error : result.errors) {
    if (error.line < 0 || error.column < 0 || error.message.empty()) {
      std::fprintf(stderr, "broken promise: error without a message or with a negative position\n");
      std::abort();
    }
    (void)error.to_string();
  }
  return 0;
}
