#pragma once
// service: what feedd tells its service manager (systemd's sd_notify protocol): READY=1
// once it serves, STATUS= lines, WATCHDOG=1 only while fetches make progress, STOPPING=1.
// Without NOTIFY_SOCKET (not under systemd) every call does nothing.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>

#include "feedd/pipeline.hpp"
#include "feedd/status.hpp"

namespace feedd {

class ServiceNotifier {
 public:
  // `io` and `aggregator` must outlive the notifier. `stall_after`: fetches in flight with
  // none finished for this long mean the loop is stuck (curl's own timeouts end every
  // transfer well before), so the watchdog is no longer fed.
  ServiceNotifier(boost::asio::io_context& io, const Aggregator& aggregator, std::chrono::seconds stall_after);
  ~ServiceNotifier();

  // A reload changed the fetch timeout: the stall bound follows it.
  void set_stall_after(std::chrono::seconds stall_after);

  void ready(const std::string& status);
  void reloading();
  void stopping();
  // Starts feeding the watchdog (when WATCHDOG_USEC asks for it) and sending STATUS lines.
  void start();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// The listening socket systemd handed over (socket activation, feedd.socket: LISTEN_FDS and
// LISTEN_PID, sd_listen_fds(3)); nullopt when there is none. More than one socket, or one
// that is not a listening stream socket, is an error. The variables are unset, so that
// children never see them.
Result<std::optional<int>> passed_listen_socket();

}  // namespace feedd
