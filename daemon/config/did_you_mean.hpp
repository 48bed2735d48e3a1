#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace feedd::config {

// The known word closest to `word` by edit distance, when it is close enough that a
// person most likely meant it (a typo, not a different word).
std::optional<std::string> closest_word(std::string_view word, std::span<const std::string_view> known);

}  // namespace feedd::config
