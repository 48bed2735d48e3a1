#pragma once
// The validator every rendered answer carries.

#include <string>
#include <string_view>

namespace feedd::render {

// A strong entity tag for `body`: "\"<first 32 hex digits of SHA-256>\"". 128 bits are
// plenty to tell two renders apart, and the tag stays short in every request.
std::string strong_etag(std::string_view body);

}  // namespace feedd::render
