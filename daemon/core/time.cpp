#include "feedd/time.hpp"

#include <array>
#include <cctype>
#include <cstdio>
#include <ctime>

namespace feedd {

Clock system_clock() {
  return [] { return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()); };
}

std::string format_rfc3339(Timestamp t) {
  const auto day = std::chrono::floor<std::chrono::days>(t);
  const std::chrono::year_month_day ymd{day};
  const std::chrono::hh_mm_ss hms{t - day};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02ld:%02ld:%02ldZ", int(ymd.year()), unsigned(ymd.month()),
                unsigned(ymd.day()), long(hms.hours().count()), long(hms.minutes().count()),
                long(hms.seconds().count()));
  return buf;
}

namespace {
constexpr std::array<const char*, 7> kWeekdays = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

int month_index(std::string_view name) {
  for (size_t i = 0; i < kMonths.size(); ++i) {
    if (name.size() >= 3 && std::toupper(static_cast<unsigned char>(name[0])) == kMonths[i][0] &&
        std::tolower(static_cast<unsigned char>(name[1])) == kMonths[i][1] &&
        std::tolower(static_cast<unsigned char>(name[2])) == kMonths[i][2])
      return static_cast<int>(i);
  }
  return -1;
}

std::optional<Timestamp> make_time(int y, int mon, int d, int h, int mi, int s) {
  if (mon < 0 || mon > 11 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{unsigned(mon + 1)},
                                        std::chrono::day{unsigned(d)}};
  if (!ymd.ok()) return std::nullopt;
  return Timestamp{std::chrono::sys_days{ymd}} + std::chrono::hours{h} + std::chrono::minutes{mi} +
         std::chrono::seconds{s};
}
}  // namespace

std::string format_http_date(Timestamp t) {
  const auto day = std::chrono::floor<std::chrono::days>(t);
  const std::chrono::year_month_day ymd{day};
  const std::chrono::weekday wd{day};
  const std::chrono::hh_mm_ss hms{t - day};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02u %s %04d %02ld:%02ld:%02ld GMT", kWeekdays[wd.c_encoding()],
                unsigned(ymd.day()), kMonths[unsigned(ymd.month()) - 1], int(ymd.year()), long(hms.hours().count()),
                long(hms.minutes().count()), long(hms.seconds().count()));
  return buf;
}

std::optional<Timestamp> parse_http_date(std::string_view text) {
  const std::string s(text);
  char wd[16] = {}, mon[16] = {};
  int d = 0, y = 0, h = 0, mi = 0, sec = 0;
  // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
  if (std::sscanf(s.c_str(), "%15[A-Za-z], %d %15[A-Za-z] %d %d:%d:%d", wd, &d, mon, &y, &h, &mi, &sec) == 7)
    return make_time(y, month_index(mon), d, h, mi, sec);
  // RFC 850: Sunday, 06-Nov-94 08:49:37 GMT
  if (std::sscanf(s.c_str(), "%15[A-Za-z], %d-%15[A-Za-z]-%d %d:%d:%d", wd, &d, mon, &y, &h, &mi, &sec) == 7)
    return make_time(y < 70 ? y + 2000 : (y < 100 ? y + 1900 : y), month_index(mon), d, h, mi, sec);
  // asctime: Sun Nov  6 08:49:37 1994
  if (std::sscanf(s.c_str(), "%15[A-Za-z] %15[A-Za-z] %d %d:%d:%d %d", wd, mon, &d, &h, &mi, &sec, &y) == 7)
    return make_time(y, month_index(mon), d, h, mi, sec);
  return std::nullopt;
}

}  // namespace feedd
