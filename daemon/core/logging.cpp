#include "feedd/logging.hpp"

#include <cstdlib>
#include <memory>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace feedd {

int journal_priority(std::string_view level) {
  if (level == "critical") return 2;
  if (level == "error") return 3;
  if (level == "warning" || level == "warn") return 4;
  if (level == "info") return 6;
  return 7;
}

namespace {

// "%*" in the pattern: the "<N>" prefix of sd-daemon(3), from the message's level.
class JournalPriorityFlag : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
    const auto name = spdlog::level::to_string_view(msg.level);
    const std::string prefix = "<" + std::to_string(journal_priority(std::string_view(name.data(), name.size()))) + ">";
    dest.append(prefix.data(), prefix.data() + prefix.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<JournalPriorityFlag>(); }
};

}  // namespace

void set_up_logging(const std::string& level, std::optional<bool> journal) {
  const bool to_journal = journal.value_or(std::getenv("JOURNAL_STREAM") != nullptr);
  auto logger = spdlog::get("feedd");
  if (!logger) logger = to_journal ? spdlog::stderr_logger_mt("feedd") : spdlog::stderr_color_mt("feedd");
  spdlog::set_default_logger(logger);
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  if (to_journal) {
    formatter->add_flag<JournalPriorityFlag>('*').set_pattern("%*%v");
  } else {
    formatter->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
  }
  logger->set_formatter(std::move(formatter));
  spdlog::set_level(spdlog::level::from_str(level));
}

}  // namespace feedd
