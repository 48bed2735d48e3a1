#include "fetch/file_source.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include <sys/stat.h>

#include "feedd/time.hpp"

namespace feedd::fetch {

FetchResult read_file_source(const FetchRequest& req, const std::string& path) {
  const auto started = std::chrono::steady_clock::now();
  FetchResult result;
  result.final_url = req.url;
  auto finish = [&](Status status) {
    result.status = std::move(status);
    result.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    return std::move(result);
  };

  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return finish(Status::io("read " + req.url + ": " + std::strerror(errno)));
  if (!S_ISREG(info.st_mode)) return finish(Status::io("read " + req.url + ": not a regular file"));
  // HTTP dates have whole seconds, so the stored validator compares equal to a fresh one.
  result.last_modified = format_http_date(Timestamp{std::chrono::seconds{info.st_mtime}});
  if (req.last_modified && *req.last_modified == *result.last_modified) {
    result.not_modified = true;
    return finish(Status::ok());
  }
  if (static_cast<std::uint64_t>(info.st_size) > req.max_bytes) {
    return finish(Status::too_large("read " + req.url + ": " + std::to_string(info.st_size) + " bytes, over the " +
                                    std::to_string(req.max_bytes) + "-byte limit"));
  }

  std::ifstream in(path, std::ios::binary);
  if (!in) return finish(Status::io("read " + req.url + ": " + std::strerror(errno)));
  result.body.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (in.bad()) {
    result.body.clear();
    return finish(Status::io("read " + req.url + ": read error"));
  }
  if (result.body.empty()) return finish(Status::parse("read " + req.url + ": the file is empty"));
  if (result.body.size() > req.max_bytes) {
    result.body.clear();
    return finish(Status::too_large("read " + req.url + ": over the " + std::to_string(req.max_bytes) +
                                    "-byte limit"));
  }
  return finish(Status::ok());
}

}  // namespace feedd::fetch
