#include "feedd/service.hpp"

#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

namespace feedd {

struct ServiceNotifier::Impl : std::enable_shared_from_this<ServiceNotifier::Impl> {
  Impl(boost::asio::io_context& io, const Aggregator& a, std::chrono::seconds stall)
      : timer(io), aggregator(a), stall_after(stall) {}

  boost::asio::steady_timer timer;
  const Aggregator& aggregator;
  std::chrono::seconds stall_after;
  std::chrono::microseconds watchdog_period{0};
  std::uint64_t last_completed = 0;
  bool stopped = false;

  void tick() {
    const auto p = aggregator.progress();
    const auto now = std::chrono::steady_clock::now();
    // This handler running proves the loop turns; fetches in flight must also finish.
    const bool progressing = p.in_flight == 0 || p.completed != last_completed ||
                             now - p.last_completion < stall_after;
    last_completed = p.completed;
    const std::string status = "STATUS=" + std::to_string(p.completed) + " fetches done, " +
                               std::to_string(p.in_flight) + " in flight";
    if (progressing) {
      sd_notify(0, ("WATCHDOG=1\n" + status).c_str());
    } else {
      spdlog::error("no fetch has finished for {} s with {} in flight: not feeding the watchdog",
                    stall_after.count(), p.in_flight);
      sd_notify(0, status.c_str());
    }
    arm();
  }

  void arm() {
    if (stopped) return;
    timer.expires_after(watchdog_period);
    timer.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
      if (ec) return;
      if (auto self = weak.lock()) self->tick();
    });
  }
};

ServiceNotifier::ServiceNotifier(boost::asio::io_context& io, const Aggregator& aggregator,
                                 std::chrono::seconds stall_after)
    : impl_(std::make_shared<Impl>(io, aggregator, stall_after)) {}

ServiceNotifier::~ServiceNotifier() {
  impl_->stopped = true;
  impl_->timer.cancel();
}

void ServiceNotifier::set_stall_after(std::chrono::seconds stall_after) { impl_->stall_after = stall_after; }

void ServiceNotifier::ready(const std::string& status) { sd_notify(0, ("READY=1\nSTATUS=" + status).c_str()); }

void ServiceNotifier::reloading() {
  // RELOADING=1 wants MONOTONIC_USEC (systemd 253+) beside it; older systemd ignores it.
  const auto usec = std::chrono::duration_cast<std::chrono::microseconds>(
                        std::chrono::steady_clock::now().time_since_epoch())
                        .count();
  sd_notify(0, ("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec)).c_str());
}

void ServiceNotifier::stopping() {
  impl_->stopped = true;
  impl_->timer.cancel();
  sd_notify(0, "STOPPING=1");
}

void ServiceNotifier::start() {
  std::uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) {
    // No watchdog: STATUS lines every 30 s are still worth having in `systemctl status`.
    impl_->watchdog_period = std::chrono::seconds(30);
  } else {
    // Half the period, as sd_watchdog_enabled(3) advises, so one late tick is no restart.
    impl_->watchdog_period = std::chrono::microseconds(usec / 2);
  }
  impl_->arm();
}

}  // namespace feedd
