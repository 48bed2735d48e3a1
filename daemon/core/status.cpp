#include "feedd/status.hpp"

namespace feedd {

namespace {
const char* kind_name(StatusKind kind) {
  switch (kind) {
    case StatusKind::kOk: return "ok";
    case StatusKind::kInvalidArgument: return "invalid argument";
    case StatusKind::kConfig: return "config";
    case StatusKind::kIo: return "io";
    case StatusKind::kNetwork: return "network";
    case StatusKind::kHttp: return "http";
    case StatusKind::kTooLarge: return "too large";
    case StatusKind::kParse: return "parse";
    case StatusKind::kNotAFeed: return "not a feed";
    case StatusKind::kDatabase: return "database";
  }
  return "error";
}
}  // namespace

std::string Status::to_string() const {
  if (is_ok()) return "ok";
  return std::string(kind_name(kind_)) + ": " + message_;
}

}  // namespace feedd
