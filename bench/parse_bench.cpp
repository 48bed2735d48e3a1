// Parse throughput on an in-memory corpus, single thread: (a) parse_feed with
// sanitising, (b) the fast path: parse_feed given the store's known entries (identity ->
// raw hash, all of them, as when a feed is fetched again with its entries unchanged),
// (c) scan_feed_keys (identity and content hash of every entry), (d) a bare pugixml parse
// of the same bytes. Prints one JSON object per mode (bench/parse.sh turns them into a
// table), and checks on the way that the fast paths agree with parse_feed.
// Usage: feedd_parse_bench CORPUS_DIR [MIN_SECONDS [MODE]]   (MODE: one of pugixml, fast,
// keys, full, to profile that one alone without the check)
#include <pugixml.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "feedd/dedup.hpp"
#include "feedd/parse.hpp"

namespace {

struct Document {
  std::string name;
  std::string bytes;
  feedd::KnownEntries known;  // what the store has after storing parse_feed's entries
};

feedd::KnownEntries known_from(const feedd::ParsedFeed& feed) {
  feedd::KnownEntries known;
  for (const feedd::Entry& entry : feed.entries)
    if (!entry.raw_hash.empty()) known.emplace(feedd::dedup::entry_identity(entry), entry.raw_hash);
  return known;
}

bool identity_needs_content(const feedd::Entry& e) {
  return !e.id && !e.link && !e.title && !e.published && !e.updated;
}

std::vector<Document> load_corpus(const std::filesystem::path& dir) {
  std::vector<Document> corpus;
  for (const auto& file : std::filesystem::directory_iterator(dir)) {
    if (!file.is_regular_file()) continue;
    std::ifstream in(file.path(), std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    corpus.push_back({file.path().filename().string(), text.str(), {}});
  }
  std::sort(corpus.begin(), corpus.end(), [](const Document& a, const Document& b) { return a.name < b.name; });
  return corpus;
}

// CPU time of this process: on a machine shared with other builds, wall time measures
// the others too (feedparser_bench.py and sfeed in parse.sh are timed the same way).
double cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

// Runs `one` over the whole corpus as many times as it takes to fill `min_seconds`
// (at least once); `one` returns the entries it found.
template <typename Fn>
nlohmann::json measure(const char* mode, const std::vector<Document>& corpus, double min_seconds, Fn one) {
  size_t bytes = 0, entries = 0, passes = 0;
  const double start = cpu_seconds();
  double seconds = 0;
  do {
    for (const Document& document : corpus) {
      entries += one(document);
      bytes += document.bytes.size();
    }
    ++passes;
    seconds = cpu_seconds() - start;
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
  std::vector<Document> corpus = load_corpus(argv[1]);
  const std::string url = "https://bench.example/feed.xml";
  const std::string only = argc > 3 ? argv[3] : "";
  const auto wanted = [&](std::string_view mode) { return only.empty() || only == mode; };

  // The fast paths are only worth having if they are exact: check every entry first.
  // scan_feed_keys: the same identity fields and content hash as parse_feed. parse_feed
  // with known entries: every entry known with its raw hash is left out, and nothing
  // else; with every raw hash known wrong (each entry changed), every entry is read and
  // is parse_feed's.
  size_t checked = 0, mismatches = 0, known_mismatches = 0, failures = 0, left_out = 0;
  for (Document& document : corpus) {
    const auto full = feedd::parse_feed(document.bytes, {}, url);
    if (!full.ok()) {
      ++failures;
      std::cerr << document.name << ": " << full.status().to_string() << "\n";
      continue;
    }
    document.known = known_from(*full);
    if (!only.empty()) continue;
    const auto keys = feedd::scan_feed_keys(document.bytes, {}, url);
    const auto fast = feedd::parse_feed(document.bytes, {}, url, document.known);
    feedd::KnownEntries wrong = document.known;
    for (auto& [identity, raw_hash] : wrong) raw_hash = "changed";
    const auto changed = feedd::parse_feed(document.bytes, {}, url, wrong);
    if (!keys.ok() || keys->size() != full->entries.size() || !fast.ok() || !changed.ok()) {
      ++failures;
      std::cerr << document.name << ": the fast paths fail or disagree on the number of entries\n";
      continue;
    }
    std::vector<std::string> unchanged;
    for (size_t i = 0; i < keys->size(); ++i, ++checked) {
      const feedd::Entry& entry = full->entries[i];
      if ((*keys)[i].content_hash != entry.content_hash || (*keys)[i].id != entry.id) ++mismatches;
      const std::string identity = feedd::dedup::entry_identity(entry);
      const auto it = document.known.find(identity);
      if (!identity_needs_content(entry) && it != document.known.end() && it->second == entry.raw_hash)
        unchanged.push_back(identity);
      if (i >= changed->entries.size() || changed->entries[i].content_hash != entry.content_hash ||
          changed->entries[i].raw_hash != entry.raw_hash)
        ++known_mismatches;
    }
    if (fast->unchanged_identities != unchanged || !changed->unchanged_identities.empty() ||
        fast->entries.size() + unchanged.size() != full->entries.size() ||
        changed->entries.size() != full->entries.size())
      ++known_mismatches;
    left_out += fast->unchanged_identities.size();
  }
  if (only.empty())
    std::cout << nlohmann::json{{"mode", "check"},          {"documents", corpus.size()},
                                {"entries", checked},        {"mismatches", mismatches},
                                {"known_mismatches", known_mismatches}, {"left_out", left_out},
                                {"failures", failures}}
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
    auto feed = feedd::parse_feed(d.bytes, {}, url, d.known);
    return feed.ok() ? feed->entries.size() + feed->unchanged_identities.size() : 0;
  }) << "\n";
  if (wanted("keys"))
    std::cout << measure("keys", corpus, min_seconds, [&](const Document& d) {
    auto keys = feedd::scan_feed_keys(d.bytes, {}, url);
    return keys.ok() ? keys->size() : 0;
  }) << "\n";
  if (wanted("full"))
    std::cout << measure("full", corpus, min_seconds, [&](const Document& d) {
    auto feed = feedd::parse_feed(d.bytes, {}, url);
    return feed.ok() ? feed->entries.size() : 0;
  }) << "\n";
  return mismatches == 0 && known_mismatches == 0 && failures == 0 ? 0 : 1;
}
