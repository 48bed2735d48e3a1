#pragma once
// `file:` sources: a local file read like a fetch, with its mtime as Last-Modified so an
// unchanged file is reported not_modified exactly like a 304.

#include <string>

#include "feedd/fetch.hpp"

namespace feedd::fetch {

// Reads `path` now (blocking: local files are small and this keeps the code simple);
// the caller posts the result so `done` never runs inside Fetcher::fetch().
FetchResult read_file_source(const FetchRequest& req, const std::string& path);

}  // namespace feedd::fetch
