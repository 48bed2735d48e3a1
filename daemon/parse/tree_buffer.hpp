#pragma once
// The buffer pugixml parses a document in. pugixml's load_buffer copies the text into a
// fresh allocation per document, and for a feed of 128 KB or more glibc serves that
// allocation with mmap: a page fault every 4 KB of it and an munmap after, each fetch.
// A TreeBuffer copies the text into a buffer its thread reuses, for load_buffer_inplace;
// the text itself stays as it was, which the raw entry hashes need (pugixml writes into
// the buffer it parses).

#include <cstddef>
#include <string>
#include <string_view>

namespace feedd::parse {

class TreeBuffer {
 public:
  // A copy of `text`; this thread's spare buffer when it has one (one TreeBuffer alive
  // per thread takes it, any other allocates its own).
  explicit TreeBuffer(std::string_view text);
  ~TreeBuffer();  // the buffer goes back to the thread, unless it grew too big to keep
  TreeBuffer(const TreeBuffer&) = delete;
  TreeBuffer& operator=(const TreeBuffer&) = delete;

  char* data() { return bytes_.data(); }
  size_t size() const { return bytes_.size(); }

 private:
  std::string bytes_;
};

}  // namespace feedd::parse
