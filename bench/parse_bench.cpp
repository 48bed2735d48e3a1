// Parse throughput on an in-memory corpus, single thread: (a) parse_feed with
// sanitising, (b) the fast path scan_feed_keys, (c) a bare pugixml parse of the same
// bytes. Prints one JSON object per mode (bench/parse.sh turns them into a table), and
// checks on the way that the fast path's hashes are parse_feed's.
// Usage: feedd_parse_bench CORPUS_DIR [MIN_SECONDS [MODE]]   (MODE: one of pugixml, fast,
// full, to profile that one alone without the check)
#include <pugixml.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "feedd/parse.hpp"

namespace {

struct Document {
  std::string name;
  std::string bytes;
};

std::vector<Document> load_corpus(const std::filesystem::path& dir) {
  std::vector<Document> corpus;
  for (const auto& file : std::filesystem::directory_iterator(dir)) {
    if (!file.is_regular_file()) continue;
    std::ifstream in(file.path(), std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    corpus.push_back({file.path().filename().string(), text.str()});
  }
  std::sort(corpus.begin(), corpus.end(), [](const Document& a, const Document& b) { return a.name < b.name; });
  return corpus;
}

// Runs `one` over the whole corpus as many times as it takes to fill `min_seconds`
// (at least once); `one` returns the entries it found.
template <typename Fn>
nlohmann::json measure(const char* mode, const std::vector<Document>& corpus, double min_seconds, Fn one) {
  size_t bytes = 0, entries = 0, passes = 0;
  const auto start = std::chrono::steady_clock::now();
  double seconds = 0;
  do {
    for (const Document& document : corpus) {
      entries += one(document);
      bytes += document.bytes.size();
    }
    ++passes;
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  } while (seconds < min_seconds);
  return {{"mode", mode},        {"bytes", bytes},   {"entries", entries},
          {"seconds", seconds},  {"passes", passes}, {"mb_per_s", bytes / seconds / 1e6},
          {"entries_per_s", entries / seconds}};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: feedd_parse_bench CORPUS_DIR [MIN_SECONDS]\n";
    return 2;
  }
  const double min_seconds = argc > 2 ? std::stod(argv[2]) : 3.0;
  const std::vector<Document> corpus = load_corpus(argv[1]);
  const std::string url = "https://bench.example/feed.xml";
  const std::string only = argc > 3 ? argv[3] : "";
  const auto wanted = [&](std::string_view mode) { return only.empty() || only == mode; };

  // The fast path is only worth having if it is exact: check every entry first.
  size_t checked = 0, mismatches = 0, failures = 0;
  for (const Document& document : only.empty() ? corpus : std::vector<Document>{}) {
    const auto full = feedd::parse_feed(document.bytes, {}, url);
    const auto fast = feedd::scan_feed_keys(document.bytes, {}, url);
    if (!full.ok() || !fast.ok() || fast->size() != full->entries.size()) {
      ++failures;
      std::cerr << document.name << ": " << (full.ok() ? fast.status().to_string() : full.status().to_string())
                << "\n";
      continue;
    }
    for (size_t i = 0; i < fast->size(); ++i, ++checked)
      if ((*fast)[i].content_hash != full->entries[i].content_hash || (*fast)[i].id != full->entries[i].id)
        ++mismatches;
  }
  if (only.empty())
    std::cout << nlohmann::json{{"mode", "check"}, {"documents", corpus.size()}, {"entries", checked},
                              {"mismatches", mismatches}, {"failures", failures}}
            << "\n";

  if (wanted("pugixml"))
    std::cout << measure("pugixml", corpus, min_seconds, [](const Document& d) {
    pugi::xml_document doc;
    doc.load_buffer(d.bytes.data(), d.bytes.size(), pugi::parse_default | pugi::parse_ws_pcdata,
                    pugi::encoding_utf8);
    size_t items = 0;
    // Counting entries is part of any real use of the tree; it is a cheap walk.
    for (pugi::xml_node container : {doc.document_element(), doc.document_element().child("channel")})
      for (pugi::xml_node child : container.children())
        if (std::string_view name = child.name(); name == "item" || name == "entry") ++items;
    return items;
  }) << "\n";
  if (wanted("fast"))
    std::cout << measure("fast", corpus, min_seconds, [&](const Document& d) {
    auto keys = feedd::scan_feed_keys(d.bytes, {}, url);
    return keys.ok() ? keys->size() : 0;
  }) << "\n";
  if (wanted("full"))
    std::cout << measure("full", corpus, min_seconds, [&](const Document& d) {
    auto feed = feedd::parse_feed(d.bytes, {}, url);
    return feed.ok() ? feed->entries.size() : 0;
  }) << "\n";
  return mismatches == 0 && failures == 0 ? 0 : 1;
}
