#pragma once
// service: what feedd tells its service manager (systemd's sd_notify protocol): READY=1
// once it serves, STATUS= lines, WATCHDOG=1 only while fetches make progress, STOPPING=1.
// Without NOTIFY_SOCKET (not under systemd) every call does nothing.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>

#include "feedd/pipeline.hpp"

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

}  // namespace feedd
