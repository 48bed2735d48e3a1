#pragma once
// Dates as feeds write them, normalised to whole UTC seconds.

#include <optional>
#include <string_view>

#include "feedd/time.hpp"

namespace feedd::parse {

// RFC 822 / 1123 / 2822 ("Mon, 09 Mar 2020 08:00:00 +0100", no weekday, no seconds,
// two-digit years, named US zones), RFC 3339 / ISO 8601 ("2020-03-09T08:00:00.5+01:00",
// date only, space instead of T) and "March 09,2020". nullopt when the text is none of
// these: a date is never guessed. A missing zone is read as UTC.
std::optional<Timestamp> parse_date(std::string_view text);

std::optional<Timestamp> parse_rfc822_date(std::string_view text);
std::optional<Timestamp> parse_iso8601_date(std::string_view text);

}  // namespace feedd::parse
