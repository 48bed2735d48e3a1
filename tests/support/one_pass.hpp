#pragma once
// One `feedd once`-style pass of the real Aggregator over `config`, in the test's thread.

#include <chrono>

#include "feedd/config.hpp"
#include "feedd/pipeline.hpp"

namespace feedd::test {

// Opens the store (the test fails if it cannot), runs every enabled source once, and
// returns the pass's summary. `limit` only bounds a pass that never ends.
PassSummary run_pass(const Config& config, std::chrono::seconds limit = std::chrono::seconds(60));

}  // namespace feedd::test
