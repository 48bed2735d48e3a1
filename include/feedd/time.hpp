#pragma once
// Instants as whole UTC seconds, and the few text forms feedd reads and writes.

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace feedd {

using Timestamp = std::chrono::sys_seconds;

// The wall clock, injected so that effectful modules can be tested without sleeping.
using Clock = std::function<Timestamp()>;
Clock system_clock();

// "2020-03-09T08:00:00Z"
std::string format_rfc3339(Timestamp t);
// "Mon, 09 Mar 2020 08:00:00 GMT" (RFC 9110 IMF-fixdate)
std::string format_http_date(Timestamp t);
// Reads IMF-fixdate (and the RFC 850 / asctime forms HTTP/1.1 still allows).
std::optional<Timestamp> parse_http_date(std::string_view text);

}  // namespace feedd
