#include "support/one_pass.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/io_context.hpp>

namespace feedd::test {

PassSummary run_pass(const Config& config, std::chrono::seconds limit) {
  boost::asio::io_context io;
  Aggregator aggregator(io, config);
  REQUIRE(aggregator.open().to_string() == "ok");
  PassSummary summary;
  aggregator.run_once([&](const PassSummary& s) {
    summary = s;
    io.stop();
  });
  io.run_for(limit);
  return summary;
}

}  // namespace feedd::test
