// write_file_atomically: write-to-temporary-and-rename, so that a web server or reader
// of the output folder never sees half a feed, even across a crash.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "feedd/serve.hpp"

namespace feedd {

namespace {

Status io_error(std::string_view what, const std::filesystem::path& path, int error) {
  return Status::io(std::string(what) + " " + path.string() + ": " + std::strerror(error));
}

Status write_all(int fd, std::string_view bytes, const std::filesystem::path& path) {
  while (!bytes.empty()) {
    const ssize_t written = ::write(fd, bytes.data(), bytes.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return io_error("write", path, errno);
    }
    bytes.remove_prefix(static_cast<std::size_t>(written));
  }
  return Status::ok();
}

// The rename is only durable once the folder's entry for it is on disk.
Status sync_folder(const std::filesystem::path& folder) {
  const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return io_error("open folder", folder, errno);
  const int rc = ::fsync(fd);
  const int error = errno;
  ::close(fd);
  if (rc != 0) return io_error("sync folder", folder, error);
  return Status::ok();
}

// Fills the temporary file; on success the file is complete, on disk and closed.
Status fill_temporary(int fd, std::string_view bytes, const std::filesystem::path& temporary) {
  if (Status status = write_all(fd, bytes, temporary); !status.is_ok()) return status;
  // mkstemp creates 0600; published feeds are for others to read.
  if (::fchmod(fd, 0644) != 0) return io_error("chmod", temporary, errno);
  if (::fsync(fd) != 0) return io_error("sync", temporary, errno);
  return Status::ok();
}

}  // namespace

Status write_file_atomically(const std::filesystem::path& path, std::string_view bytes) {
  const std::filesystem::path folder = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  std::error_code ec;
  std::filesystem::create_directories(folder, ec);
  if (ec) return Status::io("create folder " + folder.string() + ": " + ec.message());

  std::string temporary = (folder / ("." + path.filename().string() + ".tmp-XXXXXX")).string();
  const int fd = ::mkostemp(temporary.data(), O_CLOEXEC);
  if (fd < 0) return io_error("create temporary file in", folder, errno);

  Status status = fill_temporary(fd, bytes, temporary);
  if (::close(fd) != 0 && status.is_ok()) status = io_error("close", temporary, errno);
  if (status.is_ok() && ::rename(temporary.c_str(), path.c_str()) != 0) {
    status = io_error("rename " + temporary + " to", path, errno);
  }
  if (!status.is_ok()) {
    ::unlink(temporary.c_str());
    return status;
  }
  return sync_folder(folder);
}

std::size_t remove_abandoned_temporaries(const std::filesystem::path& path) {
  const std::filesystem::path folder = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  // mkostemp's template: the prefix, then exactly six characters.
  const std::string prefix = "." + path.filename().string() + ".tmp-";
  std::size_t removed = 0;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.size() != prefix.size() + 6 || !name.starts_with(prefix)) continue;
    if (!it->is_regular_file(ec) || ec) continue;
    std::error_code gone;
    if (std::filesystem::remove(it->path(), gone)) ++removed;
  }
  return removed;
}

}  // namespace feedd
