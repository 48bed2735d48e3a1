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
  static curl_socket_t on_open_socket(void* self, curlsocktype purpose, curl_sockaddr* address);
  static int on_request_ready(void* self, char* primary_ip, char* local_ip, int primary_port, int local_port);
  // Whether a connection to `numeric` breaks the address policy; notes why when it does.
  bool refuses(const std::string& numeric);
  AddressScope scope_of(std::string_view numeric) const;
  void read_hints(FetchResult& result, long http_status) const;
  std::optional<std::string> final_header(const char* name) const;
  Status transport_error(CURLcode code) const;
  std::optional<std::string> refused_redirect_scheme() const;

  FetchRequest req_;
  std::function<void(FetchResult)> done_;
  std::string host_;
  EasyPtr easy_;
  SlistPtr headers_;
  std::string body_;
  std::vector<Hop> hops_;  // every answer of the redirect chain, in order
  bool too_large_ = false;
  std::size_t header_bytes_ = 0;  // of every answer in the chain, against kMaxHeaderBytes
  bool headers_too_large_ = false;
  // Set in start(): the operator's URL itself names a private address (or the policy
  // allows them), so its connections may go anywhere.
  bool may_reach_private_ = false;
  std::string refusal_;  // why a connection was refused by the address policy, "" if none
  char error_[CURL_ERROR_SIZE] = {};
  std::chrono::steady_clock::time_point started_;
};

}  // namespace feedd::fetch
