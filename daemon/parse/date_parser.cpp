#include "parse/date_parser.hpp"

#include <array>
#include <cctype>
#include <charconv>
#include <string>
#include <vector>

#include "parse/text.hpp"

namespace feedd::parse {
namespace {

using std::chrono::days;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

struct Zone {
  std::string_view name;
  int offset_minutes;
};

// RFC 822 section 5 zones and the abbreviations feeds commonly use. Ambiguous ones (IST,
// BST outside Britain, CST in China) take their most common meaning in feeds.
constexpr Zone kZones[] = {
    {"UT", 0},           {"UTC", 0},          {"GMT", 0},          {"Z", 0},           {"WET", 0},
    {"EST", -5 * 60},    {"EDT", -4 * 60},    {"CST", -6 * 60},    {"CDT", -5 * 60},   {"MST", -7 * 60},
    {"MDT", -6 * 60},    {"PST", -8 * 60},    {"PDT", -7 * 60},    {"AST", -4 * 60},   {"ADT", -3 * 60},
    {"ET", -5 * 60},     {"CT", -6 * 60},     {"MT", -7 * 60},     {"PT", -8 * 60},    {"AT", -4 * 60},
    {"AKST", -9 * 60},   {"AKDT", -8 * 60},   {"HST", -10 * 60},   {"NST", -210},      {"NDT", -150},
    {"BST", 60},         {"IST", 330},        {"CET", 60},         {"CEST", 120},      {"MET", 60},
    {"MEST", 120},       {"WEST", 60},        {"EET", 120},        {"EEST", 180},      {"MSK", 180},
    {"JST", 9 * 60},     {"KST", 9 * 60},     {"HKT", 8 * 60},     {"SGT", 8 * 60},    {"AWST", 8 * 60},
    {"ACST", 570},       {"AEST", 10 * 60},   {"AEDT", 11 * 60},   {"NZST", 12 * 60},  {"NZDT", 13 * 60}};

// Military single letters, read as RFC 822 wrote them (A = -1 ... M = -12, N = +1 ...
// Y = +12), which is also feedparser's reading. RFC 1123 notes the signs were meant the
// other way round; agreeing with the bulk of existing readers is the lesser evil.
std::optional<int> military_zone(std::string_view token) {
  if (token.size() != 1) return std::nullopt;
  const char c = static_cast<char>(std::toupper(static_cast<unsigned char>(token[0])));
  if (c == 'Z') return 0;
  if (c >= 'A' && c <= 'I') return -(c - 'A' + 1) * 60;
  if (c >= 'K' && c <= 'M') return -(c - 'K' + 10) * 60;
  if (c >= 'N' && c <= 'Y') return (c - 'N' + 1) * 60;
  return std::nullopt;
}

constexpr std::array<std::string_view, 12> kMonths = {"jan", "feb", "mar", "apr", "may", "jun",
                                                      "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr std::array<std::string_view, 7> kWeekdays = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

bool all_alpha(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!std::isalpha(static_cast<unsigned char>(c))) return false;
  return true;
}

std::optional<int> to_int(std::string_view s) {
  int value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return value;
}

// "Mar", "March", "mar." -> 1..12
std::optional<unsigned> month_number(std::string_view word) {
  if (word.size() < 3) return std::nullopt;
  const std::string lower = to_lower_ascii(word);
  for (size_t i = 0; i < kMonths.size(); ++i)
    if (lower.compare(0, 3, kMonths[i]) == 0) return static_cast<unsigned>(i + 1);
  return std::nullopt;
}

bool is_weekday(std::string_view word) {
  if (word.size() < 3) return false;
  const std::string lower = to_lower_ascii(word);
  for (std::string_view day : kWeekdays)
    if (lower.compare(0, 3, day) == 0) return true;
  return false;
}

std::optional<Timestamp> make_timestamp(int year, unsigned month, unsigned day, int h, int m, int s,
                                        int offset_minutes) {
  if (year < 1 || year > 9999) return std::nullopt;  // year 0, 99999: not a date
  const std::chrono::year_month_day ymd{std::chrono::year{year}, std::chrono::month{month}, std::chrono::day{day}};
  if (!ymd.ok() || h < 0 || h > 24 || m < 0 || m > 59 || s < 0 || s > 60) return std::nullopt;
  if (h == 24 && (m != 0 || s != 0)) return std::nullopt;
  return Timestamp{std::chrono::sys_days{ymd}} + hours{h} + minutes{m} + seconds{s} - minutes{offset_minutes};
}

// "+0100", "-05:00", "+01" -> minutes east of UTC.
std::optional<int> numeric_offset(std::string_view s) {
  if (s.size() < 3 || (s[0] != '+' && s[0] != '-')) return std::nullopt;
  const int sign = s[0] == '-' ? -1 : 1;
  std::string digits;
  for (char c : s.substr(1))
    if (c != ':') digits += c;
  if (!all_digits(digits) || (digits.size() != 2 && digits.size() != 4)) return std::nullopt;
  const int h = *to_int(std::string_view(digits).substr(0, 2));
  const int m = digits.size() == 4 ? *to_int(std::string_view(digits).substr(2)) : 0;
  if (h > 23 || m > 59) return std::nullopt;
  return sign * (h * 60 + m);
}

std::optional<int> zone_offset(std::string_view token) {
  if (auto numeric = numeric_offset(token)) return numeric;
  for (const Zone& zone : kZones)
    if (iequals(zone.name, token)) return zone.offset_minutes;
  if (auto military = military_zone(token)) return military;
  // "GMT+0100" and "UTC-05:00"
  if (token.size() > 3 && (iequals(token.substr(0, 3), "GMT") || iequals(token.substr(0, 3), "UTC")))
    return numeric_offset(token.substr(3));
  return std::nullopt;
}

// "08:00", "08:00:00" (fractions of a second dropped).
bool parse_clock(std::string_view token, int& h, int& m, int& s) {
  const size_t c1 = token.find(':');
  if (c1 == std::string_view::npos) return false;
  const size_t c2 = token.find(':', c1 + 1);
  auto hh = to_int(token.substr(0, c1));
  auto mm = to_int(token.substr(c1 + 1, c2 == std::string_view::npos ? std::string_view::npos : c2 - c1 - 1));
  std::optional<int> ss = 0;
  if (c2 != std::string_view::npos) {
    std::string_view sec = token.substr(c2 + 1);
    sec = sec.substr(0, sec.find_first_of(".,"));
    ss = to_int(sec);
  }
  if (!hh || !mm || !ss) return false;
  h = *hh;
  m = *mm;
  s = *ss;
  return true;
}

std::vector<std::string_view> tokenize(std::string_view text) {
  std::vector<std::string_view> tokens;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (std::isspace(static_cast<unsigned char>(text[i])) || text[i] == ',')) ++i;
    size_t j = i;
    while (j < text.size() && !std::isspace(static_cast<unsigned char>(text[j])) && text[j] != ',') ++j;
    if (j > i) tokens.push_back(text.substr(i, j - i));
    i = j;
  }
  return tokens;
}

int expand_year(int year, size_t digits) {
  if (digits > 2) return year;
  return year < 50 ? 2000 + year : 1900 + year;  // RFC 2822 section 4.3
}

}  // namespace

namespace {

// "09-Mar-2020" -> "09", "Mar", "2020"; other tokens unchanged. Only day-month-year shapes
// are split, so a "-0500" zone stays whole.
void split_dashed_dates(std::vector<std::string_view>& tokens) {
  std::vector<std::string_view> out;
  for (std::string_view token : tokens) {
    const size_t d1 = token.find('-');
    const size_t d2 = d1 == std::string_view::npos ? d1 : token.find('-', d1 + 1);
    if (d1 != std::string_view::npos && d1 > 0 && d2 != std::string_view::npos &&
        all_alpha(token.substr(d1 + 1, d2 - d1 - 1)) && all_digits(token.substr(0, d1)) &&
        all_digits(token.substr(d2 + 1))) {
      out.push_back(token.substr(0, d1));
      out.push_back(token.substr(d1 + 1, d2 - d1 - 1));
      out.push_back(token.substr(d2 + 1));
    } else {
      out.push_back(token);
    }
  }
  tokens = std::move(out);
}

// The RFC 822 family and asctime: the parts are told apart by their shape, not their
// position (feeds reorder them), but each may occur once and anything unrecognised fails.
DateReading read_rfc822_like(std::string_view text) {
  std::vector<std::string_view> tokens = tokenize(text);
  split_dashed_dates(tokens);
  std::optional<unsigned> month;
  std::optional<int> day, year, offset;
  size_t year_digits = 0;
  int h = 0, m = 0, s = 0;
  bool has_clock = false;
  std::optional<bool> pm;
  for (size_t i = 0; i < tokens.size(); ++i) {
    std::string_view token = tokens[i];
    if (token.front() == '(') break;  // an RFC 2822 comment ends the date: "(PST)"
    if (token.size() > 1 && token.back() == '.') token.remove_suffix(1);
    if (all_alpha(token)) {
      if (!month && token.size() >= 3 && month_number(token) && !is_weekday(token)) {
        month = month_number(token);
      } else if (is_weekday(token) && !month && !day) {
        continue;
      } else if (iequals(token, "am") || iequals(token, "pm")) {
        if (pm || !has_clock) return {};
        pm = iequals(token, "pm");
      } else if (auto zone = zone_offset(token); zone && !offset && has_clock) {
        offset = zone;
      } else {
        return {};
      }
    } else if (token.find(':') != std::string_view::npos && !has_clock && token.front() != '+' &&
               token.front() != '-') {
      if (!parse_clock(token, h, m, s)) return {};
      has_clock = true;
    } else if (all_digits(token)) {
      if (!day && token.size() <= 2 && !year) {
        day = to_int(token);
      } else if (!year && (token.size() == 2 || token.size() == 4 || token.size() == 5)) {
        year = to_int(token);
        year_digits = token.size();
      } else if (!day && token.size() <= 2) {
        day = to_int(token);
      } else {
        return {};
      }
    } else if (auto zone = zone_offset(token); zone && !offset) {
      offset = zone;
    } else {
      return {};
    }
  }
  if (!month || !day || !year || *day < 1) return {};
  if (pm) {
    if (h < 1 || h > 12) return {};
    h = (h % 12) + (*pm ? 12 : 0);
  }
  DateReading reading;
  reading.time = make_timestamp(expand_year(*year, year_digits), *month, static_cast<unsigned>(*day), h, m, s,
                                offset.value_or(0));
  reading.zone_missing = reading.time && has_clock && !offset;
  return reading;
}

// ISO 8601 / RFC 3339 / W3C-DTF.
DateReading read_iso8601(std::string_view text) {
  text = trim(text);
  int year = 0, month = 1, day = 1;
  size_t pos = 0;
  if (text.size() >= 10 && text[4] == '-' && text[7] == '-') {
    const auto y = to_int(text.substr(0, 4)), mo = to_int(text.substr(5, 2)), d = to_int(text.substr(8, 2));
    if (!y || !mo || !d) return {};
    year = *y, month = *mo, day = *d;
    pos = 10;
  } else if (text.size() >= 8 && all_digits(text.substr(0, 8))) {
    year = *to_int(text.substr(0, 4)), month = *to_int(text.substr(4, 2)), day = *to_int(text.substr(6, 2));
    pos = 8;
  } else if (text.size() == 7 && text[4] == '-' && all_digits(text.substr(0, 4)) && all_digits(text.substr(5))) {
    year = *to_int(text.substr(0, 4)), month = *to_int(text.substr(5, 2));  // W3C-DTF "2020-03"
    pos = 7;
  } else if (text.size() == 4 && all_digits(text)) {
    year = *to_int(text);  // W3C-DTF "2020"
    pos = 4;
  } else {
    return {};
  }
  if (month < 1 || month > 12 || day < 1) return {};
  int h = 0, m = 0, s = 0, offset = 0;
  bool zone_missing = false;
  std::string_view rest = text.substr(pos);
  if (!rest.empty()) {
    if (pos < 8 || (rest[0] != 'T' && rest[0] != 't' && rest[0] != ' ')) return {};
    rest.remove_prefix(1);
    rest = trim(rest);
    const size_t zone_at = rest.find_first_of("Zz+- ");
    const std::string_view clock = rest.substr(0, zone_at);
    const std::string_view zone = zone_at == std::string_view::npos ? std::string_view{} : trim(rest.substr(zone_at));
    if (clock.find(':') != std::string_view::npos) {
      if (!parse_clock(clock, h, m, s)) return {};
    } else if (clock.size() >= 4 && all_digits(clock.substr(0, 4))) {  // basic form 080000
      h = *to_int(clock.substr(0, 2));
      m = *to_int(clock.substr(2, 2));
      if (clock.size() >= 6 && all_digits(clock.substr(4, 2))) s = *to_int(clock.substr(4, 2));
    } else {
      return {};
    }
    if (zone.empty()) {
      zone_missing = true;
    } else {
      const auto z = zone_offset(zone);
      if (!z) return {};
      offset = *z;
    }
  }
  DateReading reading;
  reading.time = make_timestamp(year, static_cast<unsigned>(month), static_cast<unsigned>(day), h, m, s, offset);
  reading.zone_missing = reading.time && zone_missing;
  return reading;
}

}  // namespace

std::optional<Timestamp> parse_rfc822_date(std::string_view text) { return read_rfc822_like(text).time; }

std::optional<Timestamp> parse_iso8601_date(std::string_view text) { return read_iso8601(text).time; }

DateReading read_date(std::string_view text) {
  text = trim(text);
  if (text.empty() || text.size() > 200) return {};
  if (std::isdigit(static_cast<unsigned char>(text[0])) && text.size() >= 4 &&
      std::isdigit(static_cast<unsigned char>(text[3]))) {
    if (DateReading reading = read_iso8601(text); reading.time) return reading;
  }
  return read_rfc822_like(text);
}

std::optional<Timestamp> parse_date(std::string_view text) { return read_date(text).time; }

std::optional<Timestamp> read_field_date(std::string_view text, const std::string& label, Timestamp now,
                                         std::vector<std::string>& warnings) {
  const DateReading reading = read_date(text);
  const std::string quoted = "'" + std::string(text.substr(0, 100)) + "'";
  if (!reading.time) {
    warnings.push_back(label + ": unparseable date " + quoted);
    return std::nullopt;
  }
  if (reading.zone_missing) warnings.push_back(label + ": date " + quoted + " has no time zone; read as UTC");
  if (*reading.time < Timestamp{}) {
    warnings.push_back(label + ": date " + quoted + " is before 1970; kept");
  } else if (*reading.time > now + std::chrono::hours(24)) {
    warnings.push_back(label + ": date " + quoted + " is in the future; kept");
  }
  return reading.time;
}

}  // namespace feedd::parse
