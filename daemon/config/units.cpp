#include <charconv>
#include <string>
#include <string_view>

#include "feedd/config.hpp"

namespace feedd {

namespace {
// Splits "15m" into 15 and "m"; false when there is no leading whole number.
bool split_number(std::string_view text, std::uint64_t& number, std::string_view& unit) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, number);
  if (ec != std::errc{} || ptr == text.data()) return false;
  unit = std::string_view(ptr, static_cast<std::size_t>(end - ptr));
  while (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
  return true;
}
}  // namespace

Result<std::chrono::seconds> parse_duration(std::string_view text) {
  std::uint64_t n = 0;
  std::string_view unit;
  const std::string shown = "'" + std::string(text) + "'";
  if (!split_number(text, n, unit)) {
    return Status::config("invalid duration " + shown + ": expected a whole number and a unit (s, m, h, d), e.g. \"30m\"");
  }
  std::uint64_t factor = 0;
  if (unit == "s") factor = 1;
  else if (unit == "m") factor = 60;
  else if (unit == "h") factor = 3600;
  else if (unit == "d") factor = 86400;
  else return Status::config("invalid duration " + shown + ": unit must be s, m, h or d");
  // Ten years is far beyond any sensible interval and keeps every later sum from overflowing.
  if (n > 10ull * 365 * 86400 / factor) return Status::config("duration " + shown + " is too long");
  return std::chrono::seconds(static_cast<std::int64_t>(n * factor));
}

Result<std::uint64_t> parse_size(std::string_view text) {
  std::uint64_t n = 0;
  std::string_view unit;
  const std::string shown = "'" + std::string(text) + "'";
  if (!split_number(text, n, unit)) {
    return Status::config("invalid size " + shown + ": expected a whole number and a unit (B, KiB, MiB, GiB), e.g. \"16MiB\"");
  }
  unsigned shift = 0;
  if (unit == "B") shift = 0;
  else if (unit == "KiB") shift = 10;
  else if (unit == "MiB") shift = 20;
  else if (unit == "GiB") shift = 30;
  else return Status::config("invalid size " + shown + ": unit must be B, KiB, MiB or GiB");
  if (n > (1ull << 40) >> shift) return Status::config("size " + shown + " is too large");
  return n << shift;
}

}  // namespace feedd
