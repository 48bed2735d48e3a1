#include <sys/socket.h>

#include <cstring>
#include <string>

#include <systemd/sd-daemon.h>

#include "feedd/service.hpp"

namespace feedd {

Result<std::optional<int>> passed_listen_socket() {
  const int count = sd_listen_fds(1);
  if (count < 0) return Status::invalid_argument(std::string("socket activation: ") + std::strerror(-count));
  if (count == 0) return std::optional<int>{};
  if (count > 1) {
    return Status::invalid_argument("socket activation: " + std::to_string(count) +
                                    " sockets passed; feedd listens on one (one ListenStream= in feedd.socket)");
  }
  const int fd = SD_LISTEN_FDS_START;
  if (sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1) <= 0) {
    return Status::invalid_argument("socket activation: descriptor " + std::to_string(fd) +
                                    " is not a listening stream socket");
  }
  return std::optional<int>{fd};
}

}  // namespace feedd
