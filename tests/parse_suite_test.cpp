// The fixture suite: every document in tests/data/parse/suite/ goes through parse_feed and
// to_parse_json, the code path of `feedd parse`, and must give exactly its reviewed
// NAME.expected.json (or, for documents that are not feeds, the reason in
// NAME.expected.error). scripts/update-parse-fixtures.sh rewrites the expected files for
// review; tests/data/parse/generate_suite.py writes the documents and checks the key
// facts of each expected file.
#include "support/paths.hpp"
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "feedd/parse.hpp"
#include "support/temp_dir.hpp"

namespace {

namespace fs = std::filesystem;

constexpr const char* kSuiteUrl = "https://feed.example/feed.xml";

bool ends_with(const std::string& text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::vector<fs::path> suite_documents() {
  std::vector<fs::path> documents;
  for (const auto& file : fs::directory_iterator(fs::path(::feedd::test::kTestDataDir) / "parse" / "suite")) {
    const std::string name = file.path().filename().string();
    if (ends_with(name, ".expected.json") || ends_with(name, ".expected.error") || ends_with(name, ".content-type"))
      continue;
    documents.push_back(file.path());
  }
  std::sort(documents.begin(), documents.end());
  return documents;
}

std::string without_trailing_newline(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

// The first line where `actual` and `expected` differ, both shown, for a readable failure.
std::string first_difference(const std::string& actual, const std::string& expected) {
  std::istringstream a(actual), e(expected);
  std::string line_a, line_e;
  for (int line = 1;; ++line) {
    const bool more_a = static_cast<bool>(std::getline(a, line_a));
    const bool more_e = static_cast<bool>(std::getline(e, line_e));
    if (!more_a && !more_e) return "no difference";
    if (!more_a || !more_e || line_a != line_e)
      return "line " + std::to_string(line) + "\n  expected: " + (more_e ? line_e : "<end>") +
             "\n  actual:   " + (more_a ? line_a : "<end>");
  }
}

}  // namespace

TEST_CASE("Every suite document parses to its reviewed expected output", "[parse-suite]") {
  const std::vector<fs::path> documents = suite_documents();
  REQUIRE(documents.size() >= 300);
  size_t mismatches = 0;
  for (const fs::path& document : documents) {
    fs::path stem = document;
    stem.replace_extension();
    const std::string bytes = feedd::test::read_file(document.string());
    const fs::path content_type_file = stem.string() + ".content-type";
    const std::string content_type =
        fs::exists(content_type_file) ? without_trailing_newline(feedd::test::read_file(content_type_file.string())) : "";
    const auto parsed = feedd::parse_feed(bytes, content_type, kSuiteUrl);
    const fs::path expected_error = stem.string() + ".expected.error";
    std::string actual, expected;
    if (fs::exists(expected_error)) {
      expected = without_trailing_newline(feedd::test::read_file(expected_error.string()));
      actual = parsed ? "a feed, not an error" : parsed.status().to_string();
    } else {
      expected = without_trailing_newline(feedd::test::read_file(stem.string() + ".expected.json"));
      actual = parsed ? feedd::to_parse_json(*parsed) : "error: " + parsed.status().to_string();
    }
    if (actual != expected) {
      ++mismatches;
      UNSCOPED_INFO(document.filename().string() << ": " << first_difference(actual, expected));
    }
  }
  CHECK(mismatches == 0);
}
