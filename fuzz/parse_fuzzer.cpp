// The parse entry point on arbitrary bytes: parse_feed, the JSON `feedd parse` prints,
// and the fast path, which must agree with parse_feed on every key (the store compares
// hashes from both), and the known-entry path: with every entry known by its raw hash,
// parse_feed leaves out exactly those whose identity it can tell without the content
// hash, and reads the others as parse_feed does. The first byte picks a Content-Type so that charset labels are
// fuzzed too. The document scan (parse/document_scan.hpp) must, under every kernel, agree
// with is_valid_utf8 and never call clean what the cleaner would change, since parse_feed
// then skips the cleaner. Any crash, leak, sanitizer report or broken promise aborts.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "feedd/dedup.hpp"
#include "feedd/parse.hpp"
#include "parse/document_scan.hpp"
#include "parse/html_entities.hpp"
#include "parse/text.hpp"

namespace {

constexpr std::string_view kContentTypes[] = {
    "", "application/rss+xml", "application/atom+xml; charset=utf-8", "text/xml; charset=iso-8859-1",
    "text/xml; charset=gb2312", "application/xml; charset=shift_jis", "text/xml; charset=utf-16",
    "application/feed+json"};

void fail(const char* what) {
  std::fprintf(stderr, "broken promise: %s\n", what);
  std::abort();
}

void require_utf8(std::string_view text, const char* what) {
  if (!feedd::parse::is_valid_utf8(text)) fail(what);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view content_type = kContentTypes[data[0] % std::size(kContentTypes)];
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::string_view url = "https://fuzz.example/feeds/feed.xml";

  std::vector<std::string> warnings;
  const bool cleaner_leaves_alone = !feedd::parse::clean_xml_text(bytes, warnings) && warnings.empty();
  for (const auto kernel : {feedd::parse::ScanKernel::kAvx2, feedd::parse::ScanKernel::kSsse3,
                            feedd::parse::ScanKernel::kScalar}) {
    const feedd::parse::DocumentScan scan = feedd::parse::scan_document(bytes, kernel);
    if (scan.valid_utf8 != feedd::parse::is_valid_utf8(bytes)) fail("the document scan's UTF-8 answer is wrong");
    if (scan.valid_utf8 && !scan.may_need_cleaning && !cleaner_leaves_alone)
      fail("the document scan calls clean a document the cleaner changes");
  }

  const auto parsed = feedd::parse_feed(bytes, content_type, url);
  const auto keys = feedd::scan_feed_keys(bytes, content_type, url);
  if (parsed.ok() != keys.ok()) fail("scan_feed_keys and parse_feed disagree on success");
  if (!parsed.ok()) return 0;
  require_utf8(feedd::to_parse_json(*parsed), "to_parse_json output is not UTF-8");
  if (keys->size() != parsed->entries.size()) fail("scan_feed_keys found another number of entries");
  for (std::size_t i = 0; i < keys->size(); ++i) {
    const feedd::Entry& entry = parsed->entries[i];
    const feedd::EntryKey& key = (*keys)[i];
    if (key.content_hash != entry.content_hash) fail("content_hash differs between scan_feed_keys and parse_feed");
    if (key.id != entry.id || key.link != entry.link || key.title != entry.title) fail("identity fields differ");
    if (key.published != entry.published || key.updated != entry.updated) fail("dates differ");
  }

  feedd::KnownEntries known;
  for (const feedd::Entry& entry : parsed->entries)
    if (!entry.raw_hash.empty()) known.emplace(feedd::dedup::entry_identity(entry), entry.raw_hash);
  const auto fast = feedd::parse_feed(bytes, content_type, url, known);
  if (!fast.ok()) fail("parse_feed with known entries fails where parse_feed does not");
  std::size_t read = 0, unchanged = 0;
  for (const feedd::Entry& entry : parsed->entries) {
    const bool needs_content = !entry.id && !entry.link && !entry.title && !entry.published && !entry.updated;
    const auto it = known.find(feedd::dedup::entry_identity(entry));
    if (!needs_content && it != known.end() && it->second == entry.raw_hash) {
      if (unchanged >= fast->unchanged_identities.size() || fast->unchanged_identities[unchanged] != it->first)
        fail("a known entry was not left out as unchanged");
      ++unchanged;
    } else {
      if (read >= fast->entries.size() || fast->entries[read].content_hash != entry.content_hash)
        fail("an entry read with known entries differs from parse_feed's");
      ++read;
    }
  }
  if (read != fast->entries.size() || unchanged != fast->unchanged_identities.size())
    fail("parse_feed with known entries left out or read other entries");
  return 0;
}
