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

// RFC 822 section 5 zones. Military single letters are left out on purpose: RFC 1123
// notes their signs were specified backwards, so any reading of them is a guess.
constexpr Zone kZones[] = {{"UT", 0},         {"UTC", 0},        {"GMT", 0},        {"Z", 0},
                           {"EST", -5 * 60}, {"EDT", -4 * 60}, {"CST", -6 * 60}, {"CDT", -5 * 60},
                           {"MST", -7 * 60}, {"MDT", -6 * 60}, {"PST", -8 * 60}, {"PDT", -7 * 60}};

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
    sec = sec.substr(0, sec.find('.'));
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

std::optional<Timestamp> parse_rfc822_date(std::string_view text) {
  std::vector<std::string_view> tokens = tokenize(text);
  size_t i = 0;
  if (i < tokens.size() && all_alpha(tokens[i]) && is_weekday(tokens[i])) ++i;
  if (tokens.size() < i + 3) return std::nullopt;
  std::optional<unsigned> month;
  std::optional<int> day;
  // "09 Mar 2020" or "March 09 2020"
  if (all_digits(tokens[i])) {
    day = to_int(tokens[i]);
    month = month_number(tokens[i + 1]);
  } else {
    std::string_view word = tokens[i];
    if (word.back() == '.') word.remove_suffix(1);
    month = all_alpha(word) ? month_number(word) : std::nullopt;
    day = all_digits(tokens[i + 1]) ? to_int(tokens[i + 1]) : std::nullopt;
  }
  const std::string_view year_token = tokens[i + 2];
  const auto year = all_digits(year_token) ? to_int(year_token) : std::nullopt;
  if (!month || !day || !year || *day < 1) return std::nullopt;
  i += 3;
  int h = 0, m = 0, s = 0;
  if (i < tokens.size()) {
    if (!parse_clock(tokens[i], h, m, s)) return std::nullopt;
    ++i;
  }
  int offset = 0;
  if (i < tokens.size()) {
    const auto zone = zone_offset(tokens[i]);
    if (!zone) return std::nullopt;
    offset = *zone;
    ++i;
  }
  // A trailing "(PST)" comment is allowed by RFC 2822; anything else means we misread.
  if (i < tokens.size() && tokens[i].front() != '(') return std::nullopt;
  return make_timestamp(expand_year(*year, year_token.size()), *month, static_cast<unsigned>(*day), h, m, s,
                        offset);
}

std::optional<Timestamp> parse_iso8601_date(std::string_view text) {
  text = trim(text);
  // YYYY-MM-DD, or the basic form YYYYMMDD
  int year = 0, month = 0, day = 0;
  size_t pos = 0;
  if (text.size() >= 10 && text[4] == '-' && text[7] == '-') {
    const auto y = to_int(text.substr(0, 4)), mo = to_int(text.substr(5, 2)), d = to_int(text.substr(8, 2));
    if (!y || !mo || !d) return std::nullopt;
    year = *y, month = *mo, day = *d;
    pos = 10;
  } else if (text.size() >= 8 && all_digits(text.substr(0, 8))) {
    year = *to_int(text.substr(0, 4)), month = *to_int(text.substr(4, 2)), day = *to_int(text.substr(6, 2));
    pos = 8;
  } else {
    return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1) return std::nullopt;
  int h = 0, m = 0, s = 0, offset = 0;
  std::string_view rest = text.substr(pos);
  if (!rest.empty()) {
    if (rest[0] != 'T' && rest[0] != 't' && rest[0] != ' ') return std::nullopt;
    rest.remove_prefix(1);
    size_t zone_at = rest.find_first_of("Zz+-");
    const std::string_view clock = rest.substr(0, zone_at);
    const std::string_view zone = zone_at == std::string_view::npos ? std::string_view{} : rest.substr(zone_at);
    if (clock.find(':') != std::string_view::npos) {
      if (!parse_clock(trim(clock), h, m, s)) return std::nullopt;
    } else if (clock.size() >= 4 && all_digits(clock.substr(0, 4))) {  // basic form 080000
      h = *to_int(clock.substr(0, 2));
      m = *to_int(clock.substr(2, 2));
      if (clock.size() >= 6 && all_digits(clock.substr(4, 2))) s = *to_int(clock.substr(4, 2));
    } else {
      return std::nullopt;
    }
    if (!zone.empty()) {
      const auto z = zone_offset(trim(zone));
      if (!z) return std::nullopt;
      offset = *z;
    }
  }
  return make_timestamp(year, static_cast<unsigned>(month), static_cast<unsigned>(day), h, m, s, offset);
}

std::optional<Timestamp> parse_date(std::string_view text) {
  text = trim(text);
  if (text.empty()) return std::nullopt;
  if (std::isdigit(static_cast<unsigned char>(text[0])) && text.size() >= 8 &&
      std::isdigit(static_cast<unsigned char>(text[3]))) {
    if (auto t = parse_iso8601_date(text)) return t;
  }
  return parse_rfc822_date(text);
}

}  // namespace feedd::parse
