#pragma once
// Expected failures as values. A Status is either ok or an error with a kind and a
// message written for a person ("GET https://x/feed: HTTP 503"). Result<T> holds a value
// or the Status that explains why there is none. Neither throws.

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace feedd {

enum class StatusKind {
  kOk,
  kInvalidArgument,  // a caller's mistake: bad flag, bad value
  kConfig,           // feeds.conf is wrong
  kIo,               // a local file could not be read or written
  kNetwork,          // DNS, connect, TLS, timeout, reset
  kHttp,             // the server answered with an error status
  kTooLarge,         // a body or field over its limit
  kParse,            // a document is broken beyond recovery
  kNotAFeed,         // a document is not RSS, Atom or JSON Feed at all
  kDatabase,         // SQLite refused
};

class Status {
 public:
  Status() = default;  // ok

  static Status ok() { return {}; }
  static Status invalid_argument(std::string message) { return {StatusKind::kInvalidArgument, std::move(message)}; }
  static Status config(std::string message) { return {StatusKind::kConfig, std::move(message)}; }
  static Status io(std::string message) { return {StatusKind::kIo, std::move(message)}; }
  static Status network(std::string message) { return {StatusKind::kNetwork, std::move(message)}; }
  static Status http(std::string_view url, int http_status) {
    return {StatusKind::kHttp, std::string(url) + ": HTTP " + std::to_string(http_status)};
  }
  // "GET https://x/feed: HTTP 302 (a redirect without Location)"
  static Status http(std::string_view url, int http_status, std::string_view detail) {
    return {StatusKind::kHttp, std::string(url) + ": HTTP " + std::to_string(http_status) + " (" +
                                   std::string(detail) + ")"};
  }
  static Status too_large(std::string message) { return {StatusKind::kTooLarge, std::move(message)}; }
  static Status parse(std::string message) { return {StatusKind::kParse, std::move(message)}; }
  static Status not_a_feed(std::string message) { return {StatusKind::kNotAFeed, std::move(message)}; }
  static Status database(std::string message) { return {StatusKind::kDatabase, std::move(message)}; }

  bool is_ok() const { return kind_ == StatusKind::kOk; }
  StatusKind kind() const { return kind_; }
  const std::string& message() const { return message_; }

  // "network: connect to 127.0.0.1:9 refused"; "ok" when ok.
  std::string to_string() const;

 private:
  Status(StatusKind kind, std::string message) : kind_(kind), message_(std::move(message)) {}

  StatusKind kind_ = StatusKind::kOk;
  std::string message_;
};

// A value or the Status explaining its absence. Accessing value() of an error is a bug
// (asserted), so callers check ok() first.
template <typename T>
class Result {
 public:
  Result(T value) : state_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : state_(std::move(status)) {  // NOLINT: implicit by design
    assert(!std::get<Status>(state_).is_ok() && "a Result built from a Status must be an error");
  }

  bool ok() const { return std::holds_alternative<T>(state_); }
  explicit operator bool() const { return ok(); }

  T& value() & { assert(ok()); return std::get<T>(state_); }
  const T& value() const& { assert(ok()); return std::get<T>(state_); }
  T&& value() && { assert(ok()); return std::get<T>(std::move(state_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  // The error; Status::ok() when there is a value.
  Status status() const { return ok() ? Status::ok() : std::get<Status>(state_); }

 private:
  std::variant<T, Status> state_;
};

}  // namespace feedd
