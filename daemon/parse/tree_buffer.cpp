#include "parse/tree_buffer.hpp"

#include <utility>

namespace feedd::parse {
namespace {

// Bigger documents are rare; a thread does not keep their memory after them.
constexpr size_t kLargestKept = 4 << 20;

thread_local std::string spare;

}  // namespace

TreeBuffer::TreeBuffer(std::string_view text) : bytes_(std::exchange(spare, std::string())) {
  bytes_.assign(text.data(), text.size());
}

TreeBuffer::~TreeBuffer() {
  if (bytes_.capacity() <= kLargestKept) spare = std::move(bytes_);
}

}  // namespace feedd::parse
