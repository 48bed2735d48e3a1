// scan_feed_keys must give, for every entry, exactly what parse_feed gives: the store
// compares its hashes with hashes parse_feed computed on an earlier fetch.
#include "support/paths.hpp"
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "feedd/parse.hpp"
#include "support/temp_dir.hpp"

namespace {

using feedd::EntryKey;
using feedd::ParsedFeed;

std::string describe(const std::optional<std::string>& value) { return value ? "'" + *value + "'" : "null"; }

// Compares the fast path with parse_feed on one document; `label` names it in failures.
void require_same_keys(const std::string& label, std::string_view bytes, std::string_view url = {},
                       std::string_view content_type = {}) {
  INFO(label);
  const auto full = feedd::parse_feed(bytes, content_type, url);
  const auto fast = feedd::scan_feed_keys(bytes, content_type, url);
  REQUIRE(full.ok() == fast.ok());
  if (!full.ok()) {
    REQUIRE(full.status().kind() == fast.status().kind());
    return;
  }
  REQUIRE(fast->size() == full->entries.size());
  for (size_t i = 0; i < fast->size(); ++i) {
    const feedd::Entry& entry = full->entries[i];
    const EntryKey& key = (*fast)[i];
    INFO("entry " << i + 1 << ": id " << describe(entry.id) << ", title " << describe(entry.title));
    CHECK(key.id == entry.id);
    CHECK(key.link == entry.link);
    CHECK(key.title == entry.title);
    CHECK(key.published == entry.published);
    CHECK(key.updated == entry.updated);
    CHECK(key.content_hash == entry.content_hash);
  }
}

std::string rss_with_description(std::string_view escaped_html) {
  return "<rss version=\"2.0\"><channel><title>t</title><link>https://example.org/</link>"
         "<item><title>One</title><guid>urn:1</guid><description>" +
         std::string(escaped_html) + "</description></item></channel></rss>";
}

std::string atom_with_content(std::string_view type, std::string_view content) {
  return "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>t</title><entry><id>urn:1</id><title>One</title>"
         "<content type=\"" +
         std::string(type) + "\">" + std::string(content) + "</content></entry></feed>";
}

std::string escape(std::string_view html) {
  std::string out;
  for (char c : html) {
    if (c == '&') out += "&amp;";
    else if (c == '<') out += "&lt;";
    else out += c;
  }
  return out;
}

}  // namespace

TEST_CASE("The fast path gives every fixture's entries the keys parse_feed gives them", "[fastpath]") {
  const std::filesystem::path root = std::filesystem::path(::feedd::test::kTestDataDir) / "parse";
  size_t documents = 0;
  for (const auto& file : std::filesystem::recursive_directory_iterator(root)) {
    if (!file.is_regular_file()) continue;
    const std::string bytes = feedd::test::read_file(file.path());
    const std::string name = std::filesystem::relative(file.path(), root).string();
    require_same_keys(name, bytes);
    require_same_keys(name + " fetched from a URL", bytes, "https://fixture.example/feeds/feed.xml");
    ++documents;
  }
  CHECK(documents >= 10);
}

// Each snippet is a body the tag-stripper either reads exactly or must hand to the
// sanitiser; either way the hash must not change.
TEST_CASE("The fast path hashes tricky HTML bodies exactly as parse_feed does", "[fastpath]") {
  const std::vector<std::string> bodies = {
      "plain words",
      "<p>First</p><p>Second</p>",
      "<p>a<b>b</b>c</p>",
      "a<br>b<br/>c<hr>d",
      "x<img src=\"a.png\">y<wbr>z",
      "<ul><li>one</li><li>two</li></ul>after",
      "<ol>\n <li>one</li>\n</ol>",
      "<p>a<div>b</div>c</p>d",
      "<p>a<p>b",
      "<li>loose item</li>next",
      "<ul><b>bold in a list</b><li>x</li></ul>",
      "<ul><ol><li>x</li></ol></ul>y",
      "<h1>a<li>b</li></h1>c",
      "<a href=\"x\">a<a href=\"y\">b</a>c</a>d",
      "<b>a<p>b</p>c</b>",
      "<span/>a<p/>b",
      "<p>x</b>y</p>z",
      "a<center>b</center>c",
      "a<script>var x = '<p>';</script>b",
      "<p>a</p><script>x = '</p>';</script><p>b</p>",
      "<p>a</p><SCRIPT type=\"text/javascript\">if (a < b) {}</Script ><p>b</p>",
      "<p>a</p><script>never closed",
      "<p>a</p><script>x</scriptx>y</script>z",
      "<p>a</p><style>p { color: red }</style>b",
      "<p>a</p><iframe src=\"https://video.example/1\" allowfullscreen></iframe><p>b</p>",
      "<p>a</p><iframe src=\"x\"> <p>inside</p> </iframe>b",
      "<p>a<iframe src=\"x\"></iframe>b</p>",
      "<ul><li>a<script>1</script></li></ul>",
      "<div><iframe></iframe>x</div>",
      "a<style>p { color: red }</style>b",
      "<!-- comment -->a<!-- <p> -->b",
      "AT&T and &amp; and &nbsp;space",
      "&eacute;t&eacute; &rsquo;quoted&rsquo; &AMP; &#233; &#xE9; &#0; &#x80; &#13; &#xD800; &#1114112;",
      "a < b and c > d",
      "<p title='a > b'>quoted gt</p>",
      "<p title=a>b</p><p class=\"x\" id=y data-z>c</p>",
      "<P>Upper</P><BR>case",
      "<p>\t\n  spaced \r\n out  </p>",
      "tab\tand\x01control",
      "<img src=\"javascript:alert(1)\">",
      "<img>",
      "<iframe src=\"https://x\"></iframe>",
      "<sup>2</sup> <b>y</b>",
      "x<img src=a> <b>y</b>",
      "<figure><img src=a><figcaption>cap</figcaption></figure>",
      "<pre>\nline\n  two</pre>",
      "<table><tr><td>a</td><td>b</td></tr></table>",
      "<div><div><div><div><div><div><div><div><div><div>deep</div></div></div></div></div></div></div></div></div></div>",
      "\xEF\xBF\xBE noncharacter",
      "bad \xC3( utf-8",
      "<p>unclosed <b>bold",
      "</p>stray end",
      "<unknown>x</unknown>y",
      "curly \xE2\x80\x9Cquotes\xE2\x80\x9D \xE2\x80\x94 dash\xE2\x80\xA6",
      "",
      "   ",
  };
  for (const std::string& body : bodies) {
    require_same_keys("RSS description: " + body, rss_with_description(escape(body)));
    require_same_keys("RSS CDATA description: " + body, rss_with_description("<![CDATA[" + body + "]]>"));
    require_same_keys("Atom html content: " + body, atom_with_content("html", escape(body)));
    require_same_keys("Atom text content: " + body, atom_with_content("text", escape(body)));
  }
}

TEST_CASE("The fast path hashes an entry whose content sanitises to nothing by its summary", "[fastpath]") {
  const std::string feed =
      "<rss version=\"2.0\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\"><channel><title>t</title>"
      "<item><title>One</title><description>The summary</description>"
      "<content:encoded>&lt;script&gt;x()&lt;/script&gt;</content:encoded></item>"
      "<item><title>Two</title><description>The summary</description>"
      "<content:encoded>&lt;img src=\"https://example.org/a.png\"&gt;</content:encoded></item>"
      "</channel></rss>";
  require_same_keys("script-only and image-only content", feed);
  const auto keys = feedd::scan_feed_keys(feed);
  REQUIRE(keys.ok());
  REQUIRE(keys->size() == 2);
  CHECK(keys->at(0).content_hash != keys->at(1).content_hash);
}

TEST_CASE("The fast path gives Atom xhtml content and RSS 1.0 items parse_feed's keys", "[fastpath]") {
  require_same_keys("xhtml", atom_with_content("xhtml",
                                               "<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>Hello <b>you</b></p>"
                                               "<p>two</p></div>"));
  require_same_keys("rss 1.0",
                    "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" "
                    "xmlns=\"http://purl.org/rss/1.0/\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\">"
                    "<channel rdf:about=\"https://example.org/\"><title>t</title><link>https://example.org/</link></channel>"
                    "<item rdf:about=\"https://example.org/1\"><title>One</title><link>/1</link>"
                    "<dc:date>2020-03-09T08:00:00Z</dc:date><description>&lt;p&gt;x&lt;/p&gt;</description></item>"
                    "</rdf:RDF>");
}

TEST_CASE("The fast path refuses what parse_feed refuses, for the same reason", "[fastpath]") {
  require_same_keys("html page", "<!DOCTYPE html><html><body><p>hi</p></body></html>");
  require_same_keys("empty", "   ");
  require_same_keys("unknown root", "<note><to>x</to></note>");
  require_same_keys("json feed", R"({"version": "https://jsonfeed.org/version/1.1", "title": "t",
                                     "items": [{"id": "1", "content_html": "<p>a</p>"}]})");
  const auto refused = feedd::scan_feed_keys("<!DOCTYPE html><rss version=\"2.0\"><channel></channel></rss>");
  const auto full = feedd::parse_feed("<!DOCTYPE html><rss version=\"2.0\"><channel></channel></rss>");
  CHECK(refused.ok() == full.ok());
}

// Found by fuzz/parse_fuzzer.cpp: the cleaning pass drops the NULs and makes this
// declaration well-formed, but parse_feed finds no end to it and refuses the document.
TEST_CASE("The fast path refuses a document whose XML declaration never ends, as parse_feed does", "[fastpath]") {
  using namespace std::string_literals;
  const std::string bytes =
      "<?xml version=\"1.0\" encoding=\"cp1253\"?\0\0\0\0\0\0\0\x04>\n<rss version=\"2.0\"><channel><title>"
      "\xC1\xE8\xDE\xED\xE1</title><item><title>\xC1\xE8\xDE\xED\xE1</title><guid>urn:1</guid></item></channel></rss>\n"s;
  require_same_keys("declaration with NULs", bytes);
}
