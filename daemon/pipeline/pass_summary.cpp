#include <cstdio>

#include "feedd/pipeline.hpp"

namespace feedd {

std::string PassSummary::to_string() const {
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%.1f", static_cast<double>(elapsed.count()) / 1000.0);
  return std::to_string(sources) + " sources: " + std::to_string(fetched) + " fetched, " +
         std::to_string(not_modified) + " not modified, " + std::to_string(failed) + " failed; " +
         std::to_string(new_stories) + " new stories, " + std::to_string(duplicates) + " duplicates collapsed, " +
         std::to_string(updated) + " updated (" + seconds + " s)";
}

}  // namespace feedd
