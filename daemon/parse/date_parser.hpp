#pragma once
// Dates as feeds write them, normalised to whole UTC seconds.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "feedd/time.hpp"

namespace feedd::parse {

// What a date reader found out: the instant (nullopt when the text is not a date we can
// read without guessing) and whether the writer left the zone out of a time of day.
struct DateReading {
  std::optional<Timestamp> time;
  bool zone_missing = false;  // "2020-03-09 08:00:00": read as UTC
};

// RFC 822 / 1123 / 2822 and their wild variants (no weekday, two-digit years, named and
// military zones, no seconds, extra spaces, "March 09,2020", lower case, "09-Mar-2020",
// AM/PM), RFC 3339 / ISO 8601 / W3C-DTF (year or year-month only, date only, no seconds,
// fractions, basic format 20200309T080000Z) and asctime ("Mon Mar  9 08:00:00 2020").
// Years outside 1..9999 are never read (year 0, 99999).
DateReading read_date(std::string_view text);

// read_date(text).time.
std::optional<Timestamp> parse_date(std::string_view text);

std::optional<Timestamp> parse_rfc822_date(std::string_view text);
std::optional<Timestamp> parse_iso8601_date(std::string_view text);

// Reads `text` as a field's date and names every problem in `warnings` under `label`
// ("entry 2"): unparseable (nullopt), no zone (read as UTC), before 1970 or more than a
// day after `now` (kept, flagged).
std::optional<Timestamp> read_field_date(std::string_view text, const std::string& label, Timestamp now,
                                         std::vector<std::string>& warnings);

}  // namespace feedd::parse
