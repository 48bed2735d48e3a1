#pragma once
// Logging set-up for the feedd binary (spdlog). Under systemd (JOURNAL_STREAM set, i.e.
// standard error is the journal) every line starts with a syslog priority prefix "<N>" that
// journald turns into the entry's priority, and carries no timestamp of its own (the
// journal stamps each entry). Elsewhere lines are "2026-11-28 14:00:00.123 info message".

#include <optional>
#include <string>
#include <string_view>

namespace feedd {

// The syslog priority journald reads from a "<N>" prefix: trace and debug 7, info 6,
// warn 4, error 3, critical 2.
int journal_priority(std::string_view spdlog_level_name);

// Installs the default logger on standard error at `level` (trace … off).
// `journal` says whether standard error is the journal; nullopt asks the environment.
void set_up_logging(const std::string& level, std::optional<bool> journal = std::nullopt);

}  // namespace feedd
