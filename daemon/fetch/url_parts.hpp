#pragma once
// The pieces of a source URL the fetcher needs before handing it to curl: its scheme
// (http, https or file), its host (the unit of the per-host limit) and, for file: URLs,
// the decoded local path.

#include <string>

#include "feedd/status.hpp"

namespace feedd::fetch {

struct UrlParts {
  std::string scheme;  // lower case
  std::string host;    // lower case; "" for file:
  std::string path;    // decoded; only for file:
};

// invalid_argument for text that is not a URL or has another scheme.
Result<UrlParts> split_url(const std::string& url);

}  // namespace feedd::fetch
