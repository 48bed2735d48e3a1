#pragma once
// The pieces of a source URL the fetcher needs before handing it to curl: its scheme
// (http, https or file), its server (the unit of every per-host limit) and, for file:
// URLs, the decoded local path.

#include <string>

#include "feedd/status.hpp"

namespace feedd::fetch {

struct UrlParts {
  std::string scheme;  // lower case
  std::string host;    // lower case; "" for file:
  // The host and, when the URL names one other than the scheme's default, ":port": the
  // unit of politeness (per_host, host_delay, Retry-After holds), in this process and in
  // the database the daemons share. Two ports are two servers, as curl's connection
  // limits count them; http://a/ and http://a:80/ are one.
  std::string server;
  std::string path;    // decoded; only for file:
};

// invalid_argument for text that is not a URL or has another scheme.
Result<UrlParts> split_url(const std::string& url);

}  // namespace feedd::fetch
