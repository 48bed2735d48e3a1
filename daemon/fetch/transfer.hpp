#pragma once
// One HTTP(S) GET as a curl easy handle: the options feedd always sets, the callbacks
// that collect the decoded body under its size limit, and the FetchResult built from
// how the transfer ended. Knows nothing about the multi handle or Asio.

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "feedd/fetch.hpp"
#include "fetch/curl_handles.hpp"
#include "fetch/response_hints.hpp"

namespace feedd::fetch {

class Transfer {
 public:
  // `host` is the per-host limit's key. Call start() before adding easy() to a multi.
  Transfer(FetchRequest req, std::function<void(FetchResult)> done, std::string host);
  Transfer(const Transfer&) = delete;
  Transfer& operator=(const Transfer&) = delete;

  // Builds the easy handle; an error means the transfer never started.
  Status start();
  CURL* easy() const { return easy_.get(); }
  const std::string& host() const { return host_; }
  const std::string& url() const { return req_.url; }

  // The result for curl's verdict on the finished transfer.
  FetchResult finish(CURLcode code);
  // Hands the done callback over (once), so it can run after the Transfer is gone.
  std::function<void(FetchResult)> take_done() { return std::move(done_); }

 private:
  static size_t on_body(char* data, size_t size, size_t count, void* self);
  static size_t on_header(char* data, size_t size, size_t count, void* self);
  void read_hints(FetchResult& result, long http_status) const;
  std::optional<std::string> final_header(const char* name) const;
  Status transport_error(CURLcode code) const;

  FetchRequest req_;
  std::function<void(FetchResult)> done_;
  std::string host_;
  EasyPtr easy_;
  SlistPtr headers_;
  std::string body_;
  std::vector<Hop> hops_;  // every answer of the redirect chain, in order
  bool too_large_ = false;
  char error_[CURL_ERROR_SIZE] = {};
  std::chrono::steady_clock::time_point started_;
};

}  // namespace feedd::fetch
