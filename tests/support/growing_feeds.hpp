#pragma once
// Feeds that keep publishing, for tests that crash or fault a running daemon: each path
// ("/feed/3.xml") is its own feed whose items are numbered 1, 2, … and whose newest
// `window` items are listed. Each version has its own ETag; a request whose If-None-Match
// names the current version gets a 304, so a client that stored a validator without the
// items it came with would miss them.

#include <chrono>
#include <map>
#include <mutex>
#include <string>

#include "support/fixture_server.hpp"

namespace feedd::test {

class GrowingFeeds {
 public:
  struct Options {
    int per_fetch = 0;     // items published before answering each request; 0: only publish()
    int window = 30;       // newest items listed
    std::chrono::milliseconds max_delay{0};  // each answer waits a random time up to this
  };
  explicit GrowingFeeds(Options options) : options_(options) {}

  // The handler to give FixtureServer; it must not outlive this object.
  FixtureServer::Handler handler();
  // Publishes `count` more items on `path`.
  void publish(const std::string& path, int count);
  // Items published so far on `path`.
  int published(const std::string& path) const;
  // The guid of item `n` of `path`: what the daemon stores as the entry's identity.
  static std::string guid(const std::string& path, int n);
  // The RSS document `path` serves once `newest` items are published.
  std::string document(const std::string& path, int newest) const;

 private:
  FixtureResponse answer(const FixtureRequest& request);

  Options options_;
  mutable std::mutex mutex_;
  std::map<std::string, int> published_;
  unsigned seed_ = 12345;
};

}  // namespace feedd::test
