// The one scan over a document's bytes before pugixml (parse/document_scan.hpp): its
// "needs no cleaning" lets parse_feed skip the cleaning pass, so it must never say so of
// a document the cleaner would change, and its UTF-8 answer decides how a document is
// decoded. Each kernel (AVX2, SSSE3, scalar) is held to the cleaner itself.
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "feedd/parse.hpp"
#include "parse/document_scan.hpp"
#include "parse/html_entities.hpp"
#include "parse/text.hpp"

namespace {

using feedd::parse::DocumentScan;
using feedd::parse::ScanKernel;

constexpr ScanKernel kKernels[] = {ScanKernel::kBest, ScanKernel::kAvx2, ScanKernel::kSsse3, ScanKernel::kScalar};

// What the cleaner does with `text`: true when it leaves it exactly as it is, silently.
bool cleaner_leaves_alone(std::string_view text) {
  std::vector<std::string> warnings;
  return !feedd::parse::clean_xml_text(text, warnings) && warnings.empty();
}

bool scan_says_clean(std::string_view text, ScanKernel kernel) {
  const DocumentScan scan = feedd::parse::scan_document(text, kernel);
  return scan.valid_utf8 && !scan.may_need_cleaning;
}

}  // namespace

TEST_CASE("The scan never calls clean a document the cleaner would change, whatever the kernel", "[document-scan]") {
  // Pieces that matter to the cleaner or to UTF-8, with ASCII runs of every length
  // between them so that each lands on every offset of a 16- and 32-byte block.
  const std::vector<std::string> pieces = {
      "<p>", "</p>", "&lt;", "&gt;", "&amp;", "&quot;", "&apos;", "&#8217;", "&#x201C;", "&#0;", "&#xD800;",
      "&#1114112;", "&nbsp;", "&eacute;", "&foo;", "& ", "&&", "&lt", "&#", "&", "<![CDATA[", "]]>", "<!--",
      "-->", "<?pi ", "?>", "<!DOCTYPE rss>", "\x01", "\x1B", "\t", "\r\n", "\xC3\xA9", "\xE2\x80\x9C",
      "\xF0\x9F\x98\x80", "\xFF", "\xC3", "\xED\xA0\x80"};
  std::mt19937 random(20261202);
  size_t clean = 0, changed = 0;
  for (int round = 0; round < 4000; ++round) {
    std::string text;
    const int count = 1 + static_cast<int>(random() % 40);
    for (int k = 0; k < count; ++k) {
      text.append(random() % 41, 'a');
      text += pieces[random() % pieces.size()];
    }
    INFO("document: " << text);
    const bool leaves_alone = cleaner_leaves_alone(text);
    changed += leaves_alone ? 0 : 1;
    for (ScanKernel kernel : kKernels) {
      INFO("kernel " << static_cast<int>(kernel));
      const DocumentScan scan = feedd::parse::scan_document(text, kernel);
      REQUIRE(scan.valid_utf8 == feedd::parse::is_valid_utf8(text));
      if (scan_says_clean(text, kernel)) REQUIRE(leaves_alone);
    }
    clean += scan_says_clean(text, ScanKernel::kBest) ? 1 : 0;
  }
  // Both answers are common, so neither side of the check is empty.
  CHECK(clean > 200);
  CHECK(changed > 200);
}

TEST_CASE("Every control character but tab, newline and carriage return makes the document be cleaned, at any offset",
          "[document-scan]") {
  // 0x19, 0x1A and 0x1D share their low four bits with the allowed three: the SIMD
  // kernels must tell them apart as the plain one does.
  for (int c = 0; c < 0x20; ++c) {
    const bool allowed = c == '\t' || c == '\n' || c == '\r';
    for (size_t offset = 0; offset < 70; ++offset) {
      std::string text(offset, 'a');
      text.push_back(static_cast<char>(c));
      text.append(80, 'a');
      INFO("byte " << c << " at " << offset);
      for (ScanKernel kernel : kKernels) {
        INFO("kernel " << static_cast<int>(kernel));
        CHECK(scan_says_clean(text, kernel) == allowed);
      }
    }
  }
}

TEST_CASE("The usual well-formed document needs no cleaning: escaped HTML, and HTML entities in CDATA",
          "[document-scan]") {
  const std::string feed =
      "<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel><title>T&amp;C</title>"
      "<item><description>&lt;p&gt;Caf\xC3\xA9 &quot;one&quot; &#8217;s&lt;/p&gt;</description>"
      "<content:encoded><![CDATA[<p>A&nbsp;B &amp;&amp; if (a && b)</p>]]></content:encoded>"
      "<!-- &nbsp; in a comment --></item></channel></rss>\n";
  for (ScanKernel kernel : kKernels) {
    INFO("kernel " << static_cast<int>(kernel));
    CHECK(scan_says_clean(feed, kernel));
    CHECK(cleaner_leaves_alone(feed));
  }
}

TEST_CASE("An HTML entity, a bare '&' or a control character outside CDATA makes the document be cleaned",
          "[document-scan]") {
  const std::string head = "<rss><channel><item><title>";
  const std::string tail = "</title><description><![CDATA[<p>x&nbsp;y</p>]]></description></item></channel></rss>";
  for (std::string_view problem : {"A&nbsp;B", "AT&T", "a & b", "x&#0;y", "bell\x07", "&unknown;", "end &"}) {
    const std::string text = head + std::string(problem) + tail;
    INFO(text);
    REQUIRE_FALSE(cleaner_leaves_alone(text));
    for (ScanKernel kernel : kKernels) CHECK_FALSE(scan_says_clean(text, kernel));
  }
  // Near the end of a document, where the 32-byte look-ahead does not reach.
  for (std::string_view end : {"&nbsp;", "&", "&lt", "\x02"}) {
    const std::string text = std::string(100, ' ') + "<a>x" + std::string(end);
    INFO(text);
    for (ScanKernel kernel : kKernels) CHECK_FALSE(scan_says_clean(text, kernel));
  }
}

TEST_CASE("A comment opened in junk before the XML declaration does not hide a bad reference from the cleaner",
          "[document-scan]") {
  // The junk's "<!--" is never closed: in the whole text every '&' after it is inside a
  // comment, but parse_feed reads from the declaration on, where it is not.
  const std::string bytes =
      "<!-- stray junk\n<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
      "<rss version=\"2.0\"><channel><title>A&nbsp;B</title><link>https://example.org/</link>"
      "<item><title>before&#0;after</title><guid>urn:1</guid></item></channel></rss>";
  const auto feed = feedd::parse_feed(bytes, {}, "https://example.org/feed.xml");
  REQUIRE(feed.ok());
  REQUIRE(feed->entries.size() == 1);
  CHECK(feed->entries[0].title == "before\xEF\xBF\xBD" "after");  // not cut at a NUL
  const auto& warnings = feed->warnings;
  CHECK(std::find(warnings.begin(), warnings.end(), "line 2: undefined entity &nbsp; recovered") != warnings.end());
}
