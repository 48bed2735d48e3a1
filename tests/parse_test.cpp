#include "support/paths.hpp"
#include <catch2/catch.hpp>
#include <iconv.h>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "feedd/dedup.hpp"
#include "feedd/parse.hpp"
#include "parse/date_parser.hpp"
#include "parse/text.hpp"
#include "parse/url_resolver.hpp"
#include "support/temp_dir.hpp"

namespace {

using feedd::Entry;
using feedd::FeedFormat;
using feedd::ParsedFeed;
using feedd::StatusKind;

std::string fixture(const std::string& name) {
  const std::string text = feedd::test::read_file(std::string(::feedd::test::kTestDataDir) + "/parse/" + name);
  REQUIRE_FALSE(text.empty());
  return text;
}

ParsedFeed parse_fixture(const std::string& name, std::string_view url = {}, std::string_view content_type = {}) {
  auto result = feedd::parse_feed(fixture(name), content_type, url);
  INFO(result.status().to_string());
  REQUIRE(result.ok());
  return std::move(result).value();
}

std::string rfc3339(const std::optional<feedd::Timestamp>& t) {
  return t ? feedd::format_rfc3339(*t) : std::string("null");
}

std::string date(std::string_view text) { return rfc3339(feedd::parse::parse_date(text)); }

bool has_warning(const ParsedFeed& feed, std::string_view text) {
  for (const std::string& warning : feed.warnings)
    if (warning == text) return true;
  return false;
}

}  // namespace

TEST_CASE("RSS 2.0 channel elements map to the feed fields", "[parse]") {
  const ParsedFeed feed = parse_fixture("rss2-full-field-mapping.xml");
  CHECK(feed.format == FeedFormat::kRss20);
  CHECK(feed.encoding == "utf-8");
  CHECK(feed.feed.title == "Example News & Views");
  CHECK(feed.feed.link == "https://example.org/");
  CHECK(feed.feed.description == "All the news that fits");
  CHECK(feed.feed.language == "en-gb");
  CHECK(rfc3339(feed.feed.updated) == "2020-03-09T08:00:00Z");
  CHECK(feed.feed.image == "https://example.org/logo.png");
  CHECK(feed.feed.ttl_minutes == 60);
  CHECK(feed.warnings.empty());
}

TEST_CASE("RSS 2.0 item elements map to the entry fields", "[parse]") {
  const ParsedFeed feed = parse_fixture("rss2-full-field-mapping.xml");
  REQUIRE(feed.entries.size() == 2);
  const Entry& first = feed.entries[0];
  CHECK(first.id == "tag:example.org,2020:1");
  CHECK(first.title == "Cooperation urged to promote global human rights development");
  CHECK(first.link == "https://example.org/a/1");
  CHECK(rfc3339(first.published) == "2020-03-09T08:00:00Z");
  CHECK_FALSE(first.updated);
  CHECK(first.authors == std::vector<std::string>{"Jia Puyu", "Second Author"});
  CHECK(first.categories == std::vector<std::string>{"World", "Human rights"});
  CHECK(first.summary == "<p>The 43rd session opened in <a href=\"https://example.org/geneva\">Geneva</a>.</p>");
  CHECK_FALSE(first.content);
  REQUIRE(first.enclosures.size() == 2);
  CHECK(first.enclosures[0].url == "https://example.org/a.mp3");
  CHECK(first.enclosures[0].type == "audio/mpeg");
  CHECK(first.enclosures[0].length == 1234);
  CHECK(first.enclosures[1].url == "https://example.org/b.jpg");
  CHECK_FALSE(first.enclosures[1].length);
  CHECK(first.content_hash == feedd::dedup::content_hash(*first.title, *first.summary));

  const Entry& second = feed.entries[1];
  CHECK(second.id == "https://example.org/a/2");
  CHECK(second.link == "https://example.org/a/2");  // a guid that is a permalink
  CHECK(rfc3339(second.published) == "2020-03-10T10:30:00Z");  // dc:date stands in for pubDate
  CHECK(second.summary == "Plain words only.");
  CHECK(second.authors.empty());
}

TEST_CASE("RSS content:encoded is the content and description the summary", "[parse]") {
  const ParsedFeed feed = parse_fixture("rss2-content-encoded-beats-description.xml");
  REQUIRE(feed.entries.size() == 1);
  const Entry& entry = feed.entries[0];
  CHECK(entry.content == "<p>The <em>full</em> article text.</p>");
  CHECK(entry.summary == "A short teaser.");
  CHECK(entry.content_hash == feedd::dedup::content_hash("Full text", *entry.content));
}

TEST_CASE("Atom 1.0 feed elements map to the feed fields", "[parse]") {
  const ParsedFeed feed = parse_fixture("atom1-full-field-mapping.xml");
  CHECK(feed.format == FeedFormat::kAtom10);
  // Plain text that would open a tag in a reader taking it for HTML has that '<' as '‹'.
  CHECK(feed.feed.title == "Atom \u2039Example> Feed");
  CHECK(feed.feed.link == "https://example.com/");
  CHECK(feed.feed.description == "A subtitle");
  CHECK(feed.feed.language == "fr");
  CHECK(rfc3339(feed.feed.updated) == "2020-03-09T08:00:00Z");
  CHECK(feed.feed.image == "https://example.com/logo.png");
  CHECK_FALSE(feed.feed.ttl_minutes);
}

TEST_CASE("Atom 1.0 entry elements map to the entry fields", "[parse]") {
  const ParsedFeed feed = parse_fixture("atom1-full-field-mapping.xml");
  REQUIRE(feed.entries.size() == 3);
  const Entry& entry = feed.entries[0];
  CHECK(entry.id == "urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a");
  CHECK(entry.title == "Text \u2039content> entry");
  CHECK(entry.link == "https://example.com/2020/text");
  CHECK(rfc3339(entry.published) == "2020-03-09T07:00:00Z");
  CHECK(rfc3339(entry.updated) == "2020-03-10T08:00:00Z");
  CHECK(entry.authors == std::vector<std::string>{"Ada Lovelace", "Charles Babbage"});
  CHECK(entry.categories == std::vector<std::string>{"Science", "history"});
  REQUIRE(entry.enclosures.size() == 1);
  CHECK(entry.enclosures[0].url == "https://example.com/text.mp3");
  CHECK(entry.enclosures[0].length == 4321);
  CHECK(entry.content_hash == feedd::dedup::content_hash(*entry.title, *entry.content));
}

TEST_CASE("Atom text content is escaped into HTML", "[parse]") {
  const Entry entry = parse_fixture("atom1-full-field-mapping.xml").entries.at(0);
  CHECK(entry.summary == "1 &lt; 2 &amp; 3 &gt; 2");
  CHECK(entry.content == "Plain text with &lt;b&gt;not bold&lt;/b&gt;");
}

TEST_CASE("Atom html content is unescaped and sanitised", "[parse]") {
  const Entry entry = parse_fixture("atom1-full-field-mapping.xml").entries.at(1);
  CHECK(entry.title == "HTML entry");
  CHECK(entry.link == "https://example.com/2020/html");
  CHECK(entry.content == "<p>Escaped <strong>HTML</strong></p>");
  CHECK_FALSE(entry.published);
}

TEST_CASE("Atom xhtml content is the inner markup of its div", "[parse]") {
  const Entry entry = parse_fixture("atom1-full-field-mapping.xml").entries.at(2);
  CHECK(entry.title == "XHTML entry");
  CHECK(entry.content == "<p>Inline <b>XHTML</b> <i>content</i></p>");
}

TEST_CASE("An entry without a guid has a null id", "[parse]") {
  const ParsedFeed feed = parse_fixture("rss2-entry-without-guid.xml");
  REQUIRE(feed.entries.size() == 1);
  CHECK_FALSE(feed.entries[0].id);
  CHECK(feed.entries[0].link == "https://example.net/post");
}

TEST_CASE("Relative links are resolved against nested xml:base", "[parse]") {
  const ParsedFeed feed = parse_fixture("atom1-relative-links-xml-base.xml", "https://fetched.example/feed");
  CHECK(feed.feed.link == "https://base.example/blog/");
  REQUIRE(feed.entries.size() == 2);
  CHECK(feed.entries[0].link == "https://base.example/blog/posts/first.html");
  CHECK(feed.entries[0].content ==
        "<p><img src=\"https://base.example/blog/posts/img/photo.jpg\" alt=\"photo\"> "
        "<a href=\"https://base.example/blog/about\">about</a></p>");
  CHECK(feed.entries[1].link == "https://other.example/y/second.html");
}

TEST_CASE("Relative links are resolved against the feed link and then the fetch URL", "[parse]") {
  const ParsedFeed feed = parse_fixture("rss2-relative-links.xml", "https://site.example/feeds/rss.xml");
  CHECK(feed.feed.link == "https://site.example/news/");
  CHECK(feed.feed.image == "https://site.example/news/logo.png");
  REQUIRE(feed.entries.size() == 1);
  const Entry& entry = feed.entries[0];
  CHECK(entry.link == "https://site.example/news/2020/story.html");
  CHECK(entry.summary == "<img src=\"https://site.example/news/pic.jpg\">");
  REQUIRE(entry.enclosures.size() == 1);
  CHECK(entry.enclosures[0].url == "https://site.example/news/media/clip.mp3");
}

TEST_CASE("RFC 822 date variants are read as UTC", "[parse]") {
  CHECK(date("Mon, 09 Mar 2020 08:00:00 GMT") == "2020-03-09T08:00:00Z");
  CHECK(date("Mon, 09 Mar 2020 08:00:00 +0100") == "2020-03-09T07:00:00Z");
  CHECK(date("Mon, 9 Mar 2020 08:00:00 -0530") == "2020-03-09T13:30:00Z");
  CHECK(date("09 Mar 2020 08:00:00 UT") == "2020-03-09T08:00:00Z");
  CHECK(date("Mon, 09 Mar 2020 08:00 EST") == "2020-03-09T13:00:00Z");
  CHECK(date("Mon, 09 Mar 2020 08:00:00 EDT") == "2020-03-09T12:00:00Z");
  CHECK(date("Mon, 09 Mar 2020 08:00:00 CST") == "2020-03-09T14:00:00Z");
  CHECK(date("Mon, 09 Mar 2020 08:00:00 MDT") == "2020-03-09T14:00:00Z");
  CHECK(date("Mon, 09 Mar 2020 08:00:00 PST") == "2020-03-09T16:00:00Z");
  CHECK(date("Mon, 09 Mar 20 08:00:00 Z") == "2020-03-09T08:00:00Z");
  CHECK(date("Thu, 01 Jan 98 00:00:00 GMT") == "1998-01-01T00:00:00Z");
  CHECK(date("Mon, 09 Mar 2020 08:00:00") == "2020-03-09T08:00:00Z");
  CHECK(date("Mon, 09 Mar 2020 08:00:00 -0800 (PST)") == "2020-03-09T16:00:00Z");
  CHECK(date("Sun, 31 Dec 2023 23:30:00 -0100") == "2024-01-01T00:30:00Z");
  CHECK(date("March 09,2020") == "2020-03-09T00:00:00Z");
  CHECK(date("March 9, 2020") == "2020-03-09T00:00:00Z");
}

TEST_CASE("RFC 3339 date variants are read as UTC", "[parse]") {
  CHECK(date("2020-03-09T08:00:00Z") == "2020-03-09T08:00:00Z");
  CHECK(date("2020-03-09T08:00:00.123456Z") == "2020-03-09T08:00:00Z");
  CHECK(date("2020-03-09T08:00:00+01:00") == "2020-03-09T07:00:00Z");
  CHECK(date("2020-03-09T08:00:00-0500") == "2020-03-09T13:00:00Z");
  CHECK(date("2020-03-09t08:00:00z") == "2020-03-09T08:00:00Z");
  CHECK(date("2020-03-09 08:00:00") == "2020-03-09T08:00:00Z");
  CHECK(date("2020-03-09T08:00Z") == "2020-03-09T08:00:00Z");
  CHECK(date("2020-03-09") == "2020-03-09T00:00:00Z");
  CHECK(date("20200309T080000Z") == "2020-03-09T08:00:00Z");
}

TEST_CASE("Impossible or foreign dates are not guessed", "[parse]") {
  CHECK(date("") == "null");
  CHECK(date("yesterday") == "null");
  CHECK(date("2020-02-30T00:00:00Z") == "null");
  CHECK(date("2020-13-01") == "null");
  CHECK(date("Mon, 32 Mar 2020 08:00:00 GMT") == "null");
  CHECK(date("Mon, 09 Mar 2020 25:00:00 GMT") == "null");
  CHECK(date("Mon, 09 Mar 2020 08:00:00 XYZ") == "null");
}

TEST_CASE("An unparseable date is null and warned about", "[parse]") {
  const ParsedFeed feed = parse_fixture("rss2-unparseable-date.xml");
  REQUIRE(feed.entries.size() == 2);
  CHECK(rfc3339(feed.entries[0].published) == "2020-03-10T18:00:00Z");
  CHECK_FALSE(feed.entries[1].published);
  CHECK(has_warning(feed, "entry 2: unparseable date 'sometime last week'"));
}

TEST_CASE("Undefined HTML entities are recovered with a warning", "[parse]") {
  const ParsedFeed feed = parse_fixture("rss2-undefined-html-entities.xml");
  CHECK(feed.feed.title == "Caf\u00e9 news");
  REQUIRE(feed.entries.size() == 1);
  CHECK(feed.entries[0].title == "Hello world \u2014 it\u2019s here");
  CHECK(feed.entries[0].summary == "<p>CDATA keeps \u00a0 as HTML</p>");
  CHECK(has_warning(feed, "line 4: undefined entity &eacute; recovered"));
  CHECK(has_warning(feed, "line 8: undefined entity &nbsp; recovered"));
  CHECK(feed.warnings.size() == 4);  // eacute, nbsp, mdash, rsquo: CDATA is left alone
}

TEST_CASE("A title with a bare less-than sign keeps its words", "[parse]") {
  const auto result = feedd::parse_feed(
      "<rss version=\"2.0\"><channel><title>if a&lt;b then</title>"
      "<item><title><![CDATA[<b>Bold</b>   title]]></title></item></channel></rss>");
  REQUIRE(result.ok());
  // "<b then" would open a tag in a page that shows the title as HTML: its '<' is '‹'.
  CHECK(result->feed.title == "if a\u2039b then");
  REQUIRE(result->entries.size() == 1);
  CHECK(result->entries[0].title == "Bold title");
}

TEST_CASE("An HTML page is not a feed", "[parse]") {
  const auto result = feedd::parse_feed(fixture("html-page.html"), "text/html", "https://example.org/");
  REQUIRE_FALSE(result.ok());
  CHECK(result.status().kind() == StatusKind::kNotAFeed);
  CHECK(result.status().message() == "an HTML page, not a feed");
}

TEST_CASE("Empty input, plain text and binary garbage are not feeds", "[parse]") {
  for (std::string_view input : {std::string_view(""), std::string_view(" \n\t"),
                                 std::string_view("this is not a feed at all"),
                                 std::string_view("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16)}) {
    const auto result = feedd::parse_feed(input);
    REQUIRE_FALSE(result.ok());
    CHECK(result.status().kind() == StatusKind::kNotAFeed);
  }
}

TEST_CASE("A document with an unknown root element is not a feed", "[parse]") {
  const auto result = feedd::parse_feed("<?xml version=\"1.0\"?><opml version=\"2.0\"><body/></opml>");
  REQUIRE_FALSE(result.ok());
  CHECK(result.status().kind() == StatusKind::kNotAFeed);
  CHECK(result.status().message() == "unknown root element <opml>");
}

TEST_CASE("A feed with an unclosed item is recovered with a warning naming the position", "[parse]") {
  const ParsedFeed feed = parse_fixture("rss2-not-well-formed.xml");
  CHECK(feed.feed.title == "Broken");
  REQUIRE(feed.entries.size() == 1);
  CHECK(feed.entries[0].title == "Unclosed item");
  REQUIRE(feed.warnings.size() == 1);
  CHECK_THAT(feed.warnings[0], Catch::Contains("line 7") && Catch::Contains("recovered"));
}

TEST_CASE("A truncated feed keeps the entries before the cut", "[parse]") {
  const auto result = feedd::parse_feed(
      "<rss version=\"2.0\"><channel><title>T</title><item><title>one</title></item>"
      "<item><title>two</title></item><item><title>thr");
  REQUIRE(result.ok());
  REQUIRE(result->entries.size() >= 2);
  CHECK(result->entries[0].title == "one");
  CHECK(result->entries[1].title == "two");
  CHECK_FALSE(result->warnings.empty());
}

TEST_CASE("Markup that is not XML at all is a parse error", "[parse]") {
  const auto result = feedd::parse_feed("<<<>>>");
  REQUIRE_FALSE(result.ok());
}

TEST_CASE("An ISO-8859-1 document is decoded to UTF-8", "[parse]") {
  const ParsedFeed feed = parse_fixture("rss2-iso-8859-1.xml");
  CHECK(feed.encoding == "windows-1252");  // the label browsers read ISO-8859-1 as
  CHECK(feed.feed.title == "Caf\u00e9 \u00abLatin\u00bb");
  CHECK(feed.feed.description == "Na\u00efve \u20ac prices");  // 0x80 read as windows-1252
  REQUIRE(feed.entries.size() == 1);
  CHECK(feed.entries[0].title == "\u00c9t\u00e9");
}

TEST_CASE("The HTTP charset overrides the XML declaration", "[parse]") {
  const ParsedFeed feed = parse_fixture("rss2-iso-8859-1.xml", {}, "application/rss+xml; charset=Windows-1252");
  CHECK(feed.encoding == "windows-1252");
  CHECK(feed.feed.title == "Caf\u00e9 \u00abLatin\u00bb");
}

TEST_CASE("A UTF-8 byte order mark is skipped", "[parse]") {
  const auto result = feedd::parse_feed("\xEF\xBB\xBF" + fixture("rss2-entry-without-guid.xml"));
  REQUIRE(result.ok());
  CHECK(result->feed.title == "No ids");
}

TEST_CASE("A UTF-16 document with a byte order mark is decoded to UTF-8", "[parse]") {
  const std::string utf8 =
      "<?xml version=\"1.0\" encoding=\"UTF-16\"?><rss version=\"2.0\"><channel><title>t\u00e9\u20ac</title>"
      "</channel></rss>";
  std::string utf16 = "\xFF\xFE";
  for (char32_t cp : std::u32string{U"<?xml version=\"1.0\" encoding=\"UTF-16\"?><rss version=\"2.0\">"
                                    U"<channel><title>t\u00e9\u20ac</title></channel></rss>"}) {
    utf16 += static_cast<char>(cp & 0xFF);
    utf16 += static_cast<char>(cp >> 8);
  }
  const auto result = feedd::parse_feed(utf16);
  REQUIRE(result.ok());
  CHECK(result->encoding == "utf-16le");
  CHECK(result->feed.title == "t\u00e9\u20ac");
  const auto mislabelled = feedd::parse_feed(utf8);  // says UTF-16, is UTF-8
  CHECK(mislabelled->feed.title == "t\u00e9\u20ac");
  CHECK(mislabelled->warnings.empty());
}

TEST_CASE("Invalid bytes in a UTF-8 document become U+FFFD with a warning", "[parse]") {
  const auto result = feedd::parse_feed(
      "<rss version=\"2.0\"><channel><title>caf\xC3\xA9 bad \xC3\x28 byte</title></channel></rss>");
  REQUIRE(result.ok());
  CHECK(result->encoding == "utf-8");
  CHECK(result->feed.title == "caf\u00e9 bad \uFFFD( byte");
  CHECK(result->warnings == std::vector<std::string>{"1 invalid utf-8 byte sequence(s) replaced with U+FFFD"});
}

TEST_CASE("A document declared UTF-8 that is really windows-1252 is read as windows-1252", "[parse]") {
  const auto result = feedd::parse_feed(
      "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel>"
      "<title>\x93" "Caf\xE9\x94 \x80</title></channel></rss>");
  REQUIRE(result.ok());
  CHECK(result->encoding == "windows-1252");
  CHECK(result->feed.title == "\u201cCaf\u00e9\u201d \u20ac");
  CHECK(result->warnings == std::vector<std::string>{"document declared utf-8 but is not; read as windows-1252"});
}

TEST_CASE("Character references to surrogates never produce invalid UTF-8", "[parse]") {
  const auto result = feedd::parse_feed(
      "<rss version=\"2.0\"><channel><title>x&#xD800;y</title><item><title>&#xDFFF;</title></item>"
      "</channel></rss>");
  REQUIRE(result.ok());
  CHECK(feedd::parse::is_valid_utf8(*result->feed.title));
  CHECK(feedd::parse::is_valid_utf8(feedd::to_parse_json(*result)));
}

TEST_CASE("RSS 1.0 channel, image and items are read", "[parse]") {
  const ParsedFeed feed = parse_fixture("rss1-rdf-basics.xml");
  CHECK(feed.format == FeedFormat::kRss10);
  CHECK(feed.feed.title == "RDF Site");
  CHECK(feed.feed.language == "de");
  CHECK(feed.feed.image == "https://rdf.example/logo.gif");
  REQUIRE(feed.entries.size() == 1);
  CHECK(feed.entries[0].id == "https://rdf.example/1");
  CHECK(feed.entries[0].link == "https://rdf.example/1");
  CHECK(rfc3339(feed.entries[0].published) == "2020-03-09T00:00:00Z");
  CHECK(feed.entries[0].authors == std::vector<std::string>{"Rudi"});
  CHECK(feed.entries[0].categories == std::vector<std::string>{"Semantics"});
}

TEST_CASE("RSS versions are told apart by the version attribute", "[parse]") {
  const auto format_of = [](std::string_view version) {
    const std::string doc = "<rss version=\"" + std::string(version) + "\"><channel><title>t</title></channel></rss>";
    auto result = feedd::parse_feed(doc);
    REQUIRE(result.ok());
    return std::string(feedd::format_name(result->format));
  };
  CHECK(format_of("0.91") == "rss0.91");
  CHECK(format_of("0.92") == "rss0.92");
  CHECK(format_of("0.94") == "rss2.0");
  CHECK(format_of("2.0") == "rss2.0");
}

TEST_CASE("RSS 2.0 in Userland's namespace is still RSS 2.0", "[parse]") {
  const auto result = feedd::parse_feed(
      "<rss version=\"2.0\" xmlns=\"http://backend.userland.com/rss2\"><channel><title>t</title>"
      "<item><title>i</title></item></channel></rss>");
  REQUIRE(result.ok());
  CHECK(result->format == FeedFormat::kRss20);
  REQUIRE(result->entries.size() == 1);
  CHECK(result->entries[0].title == "i");
}

TEST_CASE("Atom 0.3 elements map like their Atom 1.0 successors", "[parse]") {
  const ParsedFeed feed = parse_fixture("atom03-basics.xml");
  CHECK(feed.format == FeedFormat::kAtom03);
  CHECK(feed.feed.description == "A draft-era feed");
  CHECK(rfc3339(feed.feed.updated) == "2004-01-01T00:00:00Z");
  REQUIRE(feed.entries.size() == 1);
  CHECK(feed.entries[0].link == "https://old.example/1");
  CHECK(rfc3339(feed.entries[0].published) == "2004-01-01T00:00:00Z");
  CHECK(feed.entries[0].content == "<p>Escaped body</p>");
}

TEST_CASE("JSON Feed 1.1 items map to entries", "[parse]") {
  const ParsedFeed feed = parse_fixture("jsonfeed-1.1-basics.json", "https://json.example/feed.json");
  CHECK(feed.format == FeedFormat::kJsonFeed11);
  CHECK(feed.feed.title == "JSON Example");
  CHECK(feed.feed.image == "https://json.example/icon.png");
  REQUIRE(feed.entries.size() == 2);
  const Entry& first = feed.entries[0];
  CHECK(first.id == "1");
  CHECK(first.link == "https://json.example/posts/1");
  CHECK(first.content == "<p>Hi there</p>");
  CHECK(first.summary == "Hi there");
  CHECK(rfc3339(first.published) == "2020-03-09T13:00:00Z");
  CHECK(first.authors == std::vector<std::string>{"Jay Son"});
  CHECK(first.categories == std::vector<std::string>{"json", "feeds"});
  REQUIRE(first.enclosures.size() == 1);
  CHECK(first.enclosures[0].url == "https://json.example/a.mp3");
  CHECK(first.enclosures[0].length == 77);
  CHECK(feed.entries[1].id == "2");
  CHECK(feed.entries[1].content == "Text &lt;only&gt;");
}

TEST_CASE("JSON without a jsonfeed.org version is not a feed", "[parse]") {
  const auto result = feedd::parse_feed(R"({"title": "just json"})");
  REQUIRE_FALSE(result.ok());
  CHECK(result.status().kind() == StatusKind::kNotAFeed);
}

TEST_CASE("A news article with a loose date parses into one clean entry", "[parse]") {
  const ParsedFeed feed = parse_fixture("rss2-news-article-loose-date.xml");
  REQUIRE(feed.entries.size() == 1);
  const Entry& entry = feed.entries[0];
  CHECK(entry.link == "http://www.chinahumanrights.org/html/2020/WORLD_0309/15000.html");
  CHECK(rfc3339(entry.published) == "2020-03-09T00:00:00Z");
  CHECK_THAT(*entry.summary, Catch::StartsWith("<p>March 9,2020 -- The United Nations Human Rights Council"));
  CHECK(feed.warnings.empty());
}

TEST_CASE("The parse JSON has exactly the contract's keys in order", "[parse]") {
  const ParsedFeed feed = parse_fixture("rss2-entry-without-guid.xml");
  const auto json = nlohmann::ordered_json::parse(feedd::to_parse_json(feed));
  const auto keys = [](const nlohmann::ordered_json& object) {
    std::vector<std::string> out;
    for (const auto& item : object.items()) out.push_back(item.key());
    return out;
  };
  CHECK(keys(json) == std::vector<std::string>{"schema", "format", "encoding", "feed", "entries", "warnings"});
  CHECK(keys(json["feed"]) ==
        std::vector<std::string>{"title", "link", "description", "language", "updated", "image", "ttl_minutes"});
  REQUIRE(json["entries"].size() == 1);
  const auto& entry = json["entries"][0];
  CHECK(keys(entry) == std::vector<std::string>{"id", "title", "link", "published", "updated", "authors", "summary",
                                                "content", "categories", "enclosures", "content_hash"});
  CHECK(json["schema"] == 1);
  CHECK(json["format"] == "rss2.0");
  CHECK(json["feed"]["language"].is_null());
  CHECK(json["feed"]["ttl_minutes"].is_null());
  CHECK(entry["id"].is_null());
  CHECK(entry["published"].is_null());
  CHECK(entry["authors"] == nlohmann::ordered_json::array());
  CHECK(entry["enclosures"] == nlohmann::ordered_json::array());
  CHECK(json["warnings"] == nlohmann::ordered_json::array());
}

TEST_CASE("The parse JSON writes dates as RFC 3339 and unknown enclosure lengths as null", "[parse]") {
  const ParsedFeed feed = parse_fixture("rss2-full-field-mapping.xml");
  const std::string text = feedd::to_parse_json(feed);
  const auto json = nlohmann::json::parse(text);
  CHECK(json["feed"]["updated"] == "2020-03-09T08:00:00Z");
  CHECK(json["entries"][0]["enclosures"][0]["length"] == 1234);
  CHECK(json["entries"][0]["enclosures"][1]["length"].is_null());
  CHECK(json["entries"][0]["enclosures"][1]["type"] == "image/jpeg");
  CHECK_THAT(text, Catch::StartsWith("{\n  \"schema\": 1,\n  \"format\": \"rss2.0\""));
}

TEST_CASE("References resolve as in RFC 3986's examples", "[parse]") {
  using feedd::parse::resolve_url;
  const std::string base = "http://a/b/c/d;p?q";
  const std::pair<const char*, const char*> cases[] = {
      {"g:h", "g:h"},           {"g", "http://a/b/c/g"},         {"./g", "http://a/b/c/g"},
      {"g/", "http://a/b/c/g/"}, {"/g", "http://a/g"},            {"//g", "http://g"},
      {"?y", "http://a/b/c/d;p?y"}, {"g?y", "http://a/b/c/g?y"},  {"#s", "http://a/b/c/d;p?q#s"},
      {"g#s", "http://a/b/c/g#s"}, {";x", "http://a/b/c/;x"},     {"", "http://a/b/c/d;p?q"},
      {".", "http://a/b/c/"},   {"./", "http://a/b/c/"},           {"..", "http://a/b/"},
      {"../g", "http://a/b/g"}, {"../..", "http://a/"},            {"../../g", "http://a/g"},
      {"../../../g", "http://a/g"}, {"/./g", "http://a/g"},        {"/../g", "http://a/g"},
      {"g.", "http://a/b/c/g."}, {"..g", "http://a/b/c/..g"},     {"./../g", "http://a/b/g"},
      {"g/./h", "http://a/b/c/g/h"}, {"g/../h", "http://a/b/c/h"}, {"g;x=1/../y", "http://a/b/c/y"},
  };
  for (const auto& [reference, expected] : cases) {
    INFO(reference);
    CHECK(resolve_url(base, reference) == expected);
  }
  CHECK(resolve_url("https://example.org", "a") == "https://example.org/a");
  CHECK(resolve_url("", "relative/only") == "relative/only");
  CHECK(resolve_url("https://x.example/", "  HTTPS://Y.example/p  ") == "https://Y.example/p");
}

namespace {

// `utf8` transcoded to `encoding` with glibc iconv, as a server in that locale would send it.
std::string encode_as(const std::string& utf8, const char* encoding) {
  iconv_t cd = iconv_open(encoding, "UTF-8");
  REQUIRE(cd != reinterpret_cast<iconv_t>(-1));
  std::string out(utf8.size() * 4 + 16, '\0');
  char* in = const_cast<char*>(utf8.data());
  size_t in_left = utf8.size();
  char* dst = out.data();
  size_t out_left = out.size();
  REQUIRE(iconv(cd, &in, &in_left, &dst, &out_left) != static_cast<size_t>(-1));
  iconv(cd, nullptr, nullptr, &dst, &out_left);
  iconv_close(cd);
  out.resize(out.size() - out_left);
  return out;
}

std::string rss_with_title(const std::string& declaration, const std::string& title) {
  return declaration + "<rss version=\"2.0\"><channel><title>" + title + "</title></channel></rss>";
}

}  // namespace

TEST_CASE("Legacy encodings are transcoded under the label browsers give them", "[parse]") {
  struct Case {
    const char* label;
    const char* iconv_name;
    const char* title;
    const char* reported;
  };
  const Case cases[] = {
      {"gb2312", "GBK", "\u65b0\u534e\u793e\u5317\u4eac\u7535", "gb18030"},
      {"GBK", "GBK", "\u4eba\u6c11\u65e5\u62a5", "gb18030"},
      {"gb18030", "GB18030", "\u4e2d\u6587 \U00020000", "gb18030"},
      {"big5", "BIG5-HKSCS", "\u4e2d\u592e\u793e", "big5-hkscs"},
      {"Shift_JIS", "CP932", "\u65e5\u672c\u8a9e\u30cb\u30e5\u30fc\u30b9\uff5e", "cp932"},
      {"euc-jp", "EUC-JP", "\u65e5\u672c\u8a9e", "euc-jp"},
      {"iso-2022-jp", "ISO-2022-JP", "\u65e5\u672c\u8a9e", "iso-2022-jp"},
      {"euc-kr", "CP949", "\ud55c\uad6d\uc5b4 \ub274\uc2a4", "cp949"},
      {"koi8-r", "KOI8-R", "\u041d\u043e\u0432\u043e\u0441\u0442\u0438", "koi8-r"},
      {"koi8-u", "KOI8-U", "\u0407\u0436\u0430", "koi8-u"},
      {"iso-8859-2", "ISO-8859-2", "\u017b\u00f3\u0142w", "iso-8859-2"},
      {"ISO-8859-7", "ISO-8859-7", "\u0395\u03bb\u03bb\u03ac\u03b4\u03b1", "iso-8859-7"},
      {"iso-8859-15", "ISO-8859-15", "\u20ac \u0153", "iso-8859-15"},
      {"windows-1251", "CP1251", "\u041c\u043e\u0441\u043a\u0432\u0430", "windows-1251"},
      {"cp1250", "CP1250", "\u0160koda", "windows-1250"},
      {"windows-1256", "CP1256", "\u0639\u0631\u0628\u064a", "windows-1256"},
  };
  for (const Case& c : cases) {
    INFO(c.label);
    const std::string declaration = std::string("<?xml version=\"1.0\" encoding=\"") + c.label + "\"?>";
    const auto result = feedd::parse_feed(encode_as(rss_with_title(declaration, c.title), c.iconv_name));
    REQUIRE(result.ok());
    CHECK(result->encoding == c.reported);
    CHECK(result->feed.title == c.title);
    CHECK(result->warnings.empty());
  }
}

TEST_CASE("UTF-16 and UTF-32 are read in both byte orders with and without a byte order mark", "[parse]") {
  const std::string doc = rss_with_title("<?xml version=\"1.0\"?>", "\u00e9\u4e2d\U0001F600");
  const std::pair<const char*, const char*> cases[] = {
      {"UTF-16LE", "utf-16le"}, {"UTF-16BE", "utf-16be"}, {"UTF-32LE", "utf-32le"}, {"UTF-32BE", "utf-32be"}};
  for (const auto& [name, reported] : cases) {
    INFO(name);
    const std::string bare = encode_as(doc, name);
    const std::string with_bom = encode_as("\uFEFF" + doc, name);
    for (const std::string& bytes : {bare, with_bom}) {
      const auto result = feedd::parse_feed(bytes);
      REQUIRE(result.ok());
      CHECK(result->encoding == reported);
      CHECK(result->feed.title == "\u00e9\u4e2d\U0001F600");
    }
  }
}

TEST_CASE("The HTTP charset maps legacy labels too", "[parse]") {
  const auto result = feedd::parse_feed(encode_as(rss_with_title("", "\u65b0\u95fb"), "GBK"), "text/xml; charset=GB2312");
  REQUIRE(result.ok());
  CHECK(result->encoding == "gb18030");
  CHECK(result->feed.title == "\u65b0\u95fb");
}

TEST_CASE("GBK bytes declared as UTF-8 are recovered as GB18030 with a warning", "[parse]") {
  const std::string title = "\u65b0\u534e\u793e\u5317\u4eac\u7535\u4eca\u5929\u7684\u65b0\u95fb";
  const auto result = feedd::parse_feed(
      encode_as(rss_with_title("<?xml version=\"1.0\" encoding=\"utf-8\"?>", title), "GBK"));
  REQUIRE(result.ok());
  CHECK(result->encoding == "gb18030");
  CHECK(result->feed.title == title);
  CHECK(result->warnings == std::vector<std::string>{"document declared utf-8 but is not; read as gb18030"});
}

TEST_CASE("A byte order mark beats a declaration that disagrees, with a warning", "[parse]") {
  const auto result =
      feedd::parse_feed("\xEF\xBB\xBF" + rss_with_title("<?xml version=\"1.0\" encoding=\"iso-8859-1\"?>", "caf\u00e9"));
  REQUIRE(result.ok());
  CHECK(result->encoding == "utf-8");
  CHECK(result->feed.title == "caf\u00e9");
  CHECK(result->warnings ==
        std::vector<std::string>{"byte order mark says utf-8, the declaration says 'iso-8859-1'; the byte order mark wins"});
}

TEST_CASE("An unknown declared encoding is ignored with a warning and the bytes detected", "[parse]") {
  const auto result = feedd::parse_feed(rss_with_title("<?xml version=\"1.0\" encoding=\"x-made-up\"?>", "caf\u00e9"));
  REQUIRE(result.ok());
  CHECK(result->encoding == "utf-8");
  CHECK(result->feed.title == "caf\u00e9");
  CHECK(result->warnings == std::vector<std::string>{"unknown declared encoding 'x-made-up' ignored"});
}

TEST_CASE("References to NUL, surrogates or past U+10FFFF neither truncate nor corrupt a value", "[parse]") {
  const auto result = feedd::parse_feed(rss_with_title("", "a&#0;b&#xD800;c&#x110000;d&#99999999999999999999;e"));
  REQUIRE(result.ok());
  CHECK(result->feed.title == "a\uFFFDb\uFFFDc\uFFFDd\uFFFDe");
  REQUIRE(result->warnings.size() == 1);
  CHECK_THAT(result->warnings[0], Catch::Contains("&#0;"));
}

TEST_CASE("Junk before the XML declaration, control characters and bare ampersands are warned about", "[parse]") {
  const auto result = feedd::parse_feed("\n<br />\nWarning: PHP notice\n" +
                                        rss_with_title("<?xml version=\"1.0\"?>", "Tom & Jerry\x01 &foo; AT&T"));
  REQUIRE(result.ok());
  CHECK(result->feed.title == "Tom & Jerry &foo; AT&T");
  CHECK(result->warnings == std::vector<std::string>{"27 byte(s) of junk before the XML declaration dropped",
                                                     "1 control character(s) removed",
                                                     "line 1: 3 bare '&' escaped"});
}

TEST_CASE("Wild RFC 822 variants are read without guessing", "[parse]") {
  CHECK(date("mon, 09 mar 2020 08:00:00 gmt") == "2020-03-09T08:00:00Z");
  CHECK(date("Mon,09 Mar 2020 08:00:00 GMT") == "2020-03-09T08:00:00Z");
  CHECK(date("Mon,  9  Mar   2020   08:00:00   GMT") == "2020-03-09T08:00:00Z");
  CHECK(date("Monday, 09 March 2020 08:00:00 GMT") == "2020-03-09T08:00:00Z");
  CHECK(date("Mon, 09 Mar 2020 08:00:00 +01:00") == "2020-03-09T07:00:00Z");
  CHECK(date("Mon, 09 Mar 2020 08:00:00 GMT+0100") == "2020-03-09T07:00:00Z");
  CHECK(date("09-Mar-2020 08:00:00 GMT") == "2020-03-09T08:00:00Z");
  CHECK(date("Mar 9 2020 8:00 PM EST") == "2020-03-10T01:00:00Z");
  CHECK(date("Mon, 09 Mar 2020 08:00:00 CET") == "2020-03-09T07:00:00Z");
  CHECK(date("Mon, 09 Mar 2020 08:00:00 JST") == "2020-03-08T23:00:00Z");
}

TEST_CASE("Military zones are read as RFC 822 wrote them", "[parse]") {
  CHECK(date("Mon, 09 Mar 2020 08:00:00 Z") == "2020-03-09T08:00:00Z");
  CHECK(date("Mon, 09 Mar 2020 08:00:00 A") == "2020-03-09T09:00:00Z");
  CHECK(date("Mon, 09 Mar 2020 08:00:00 N") == "2020-03-09T07:00:00Z");
  CHECK(date("Mon, 09 Mar 2020 08:00:00 M") == "2020-03-09T20:00:00Z");
  CHECK(date("Mon, 09 Mar 2020 08:00:00 Y") == "2020-03-08T20:00:00Z");
  CHECK(date("Mon, 09 Mar 2020 08:00:00 J") == "null");
}

TEST_CASE("asctime and ISO 8601 basic and reduced forms are read", "[parse]") {
  CHECK(date("Mon Mar  9 08:00:00 2020") == "2020-03-09T08:00:00Z");
  CHECK(date("Mon Mar 09 08:00:00 UTC 2020") == "2020-03-09T08:00:00Z");
  CHECK(date("20200309T0800Z") == "2020-03-09T08:00:00Z");
  CHECK(date("20200309T080000+0100") == "2020-03-09T07:00:00Z");
  CHECK(date("20200309") == "2020-03-09T00:00:00Z");
  CHECK(date("2020-03") == "2020-03-01T00:00:00Z");
  CHECK(date("2020") == "2020-01-01T00:00:00Z");
  CHECK(date("2020-03-09T08:00:00,5Z") == "2020-03-09T08:00:00Z");
}

TEST_CASE("Years 0 and 99999 and absurdly long numbers are not dates", "[parse]") {
  CHECK(date("0000-01-01T00:00:00Z") == "null");
  CHECK(date("99999-01-01T00:00:00Z") == "null");
  CHECK(date("Mon, 09 Mar 99999 08:00:00 GMT") == "null");
  CHECK(date("Mon, 09 Mar 0 08:00:00 GMT") == "null");
  CHECK(date("Mon, 09 Mar 2020 99999999999999999999:00:00 GMT") == "null");
  CHECK(date("99999999999999999999-01-01") == "null");
}

TEST_CASE("A date without a zone, before 1970 or far in the future is kept with a warning", "[parse]") {
  const auto result = feedd::parse_feed(
      "<rss version=\"2.0\"><channel><title>t</title>"
      "<item><title>a</title><pubDate>2020-03-09 08:00:00</pubDate></item>"
      "<item><title>b</title><pubDate>Thu, 01 Jan 1925 00:00:00 GMT</pubDate></item>"
      "<item><title>c</title><pubDate>Fri, 01 Jan 2100 00:00:00 GMT</pubDate></item>"
      "<item><title>d</title><pubDate>Mon, 09 Mar 99999 08:00:00 GMT</pubDate></item>"
      "</channel></rss>");
  REQUIRE(result.ok());
  REQUIRE(result->entries.size() == 4);
  CHECK(rfc3339(result->entries[0].published) == "2020-03-09T08:00:00Z");
  CHECK(rfc3339(result->entries[1].published) == "1925-01-01T00:00:00Z");
  CHECK(rfc3339(result->entries[2].published) == "2100-01-01T00:00:00Z");
  CHECK(rfc3339(result->entries[3].published) == "null");
  CHECK(result->warnings == std::vector<std::string>{
                                "entry 1: date '2020-03-09 08:00:00' has no time zone; read as UTC",
                                "entry 2: date 'Thu, 01 Jan 1925 00:00:00 GMT' is before 1970; kept",
                                "entry 3: date 'Fri, 01 Jan 2100 00:00:00 GMT' is in the future; kept",
                                "entry 4: unparseable date 'Mon, 09 Mar 99999 08:00:00 GMT'"});
}

TEST_CASE("Podcast, Media RSS, FeedBurner and Dublin Core elements fill the entry fields", "[parse]") {
  const ParsedFeed feed = parse_fixture("rss2-namespaces.xml");
  CHECK(feed.feed.description == "All about <3 things");
  CHECK(feed.feed.image == "https://pod.example/art.jpg");
  REQUIRE(feed.entries.size() == 2);
  const Entry& first = feed.entries[0];
  CHECK(first.link == "https://pod.example/episodes/1");  // origLink beats FeedBurner's redirector
  CHECK(first.authors == std::vector<std::string>{"Ann Host", "Bob Guest"});
  CHECK(rfc3339(first.published) == "2020-03-09T08:00:00Z");
  CHECK(first.categories == std::vector<std::string>{"Science"});
  CHECK(first.summary == "Plain text &amp; more");
  REQUIRE(first.enclosures.size() == 2);  // the mp3 once, then the ogg from the media:group
  CHECK(first.enclosures[0].url == "https://pod.example/1.mp3");
  CHECK(first.enclosures[1].url == "https://pod.example/1.ogg");
  CHECK(first.enclosures[1].length == 900);
  const Entry& second = feed.entries[1];
  CHECK(second.title == "Only media");
  CHECK(second.summary == "<b>bold</b>");
  CHECK(second.link == "https://pod.example/2.html");  // the HTML alternate beats the JSON one
  CHECK(feed.warnings.empty());
}

TEST_CASE("Syndication and skip elements are kept for the scheduler", "[parse]") {
  const ParsedFeed feed = parse_fixture("rss2-namespaces.xml");
  CHECK(feed.feed.update_period_minutes == 30);
  CHECK(feed.feed.skip_hours == std::vector<int>{0, 1});
  CHECK(feed.feed.skip_days == std::vector<std::string>{"Saturday", "Sunday"});
}

TEST_CASE("Atom content with src is the link when there is no alternate", "[parse]") {
  const auto result = feedd::parse_feed(
      "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>t</title><entry><id>x</id><title>a</title>"
      "<content type=\"video/mp4\" src=\"/v.mp4\"/></entry></feed>",
      {}, "https://site.example/feed");
  REQUIRE(result.ok());
  REQUIRE(result->entries.size() == 1);
  CHECK(result->entries[0].link == "https://site.example/v.mp4");
  CHECK_FALSE(result->entries[0].content);
}

TEST_CASE("Huge fields are cut with a warning and stay valid UTF-8", "[parse]") {
  std::string huge_title;
  while (huge_title.size() < 100 * 1024) huge_title += "\u00e9t\u00e9 ";
  std::string huge_body;
  while (huge_body.size() < 2 * 1024 * 1024) huge_body += "&lt;p&gt;caf\u00e9 au lait&lt;/p&gt;";
  const auto result = feedd::parse_feed("<rss version=\"2.0\"><channel><title>t</title><item><title>" + huge_title +
                                        "</title><description>" + huge_body + "</description></item></channel></rss>");
  REQUIRE(result.ok());
  REQUIRE(result->entries.size() == 1);
  CHECK(result->entries[0].title->size() <= 64 * 1024);
  CHECK(result->entries[0].summary->size() <= 1100 * 1024);
  CHECK(result->entries[0].summary->substr(result->entries[0].summary->size() - 4) == "</p>");
  REQUIRE(result->warnings.size() == 2);
  CHECK_THAT(result->warnings[0], Catch::StartsWith("entry 1: <description> of "));
  CHECK_THAT(result->warnings[1], Catch::StartsWith("a text field of "));
  const std::string json = feedd::to_parse_json(*result);
  CHECK(json.find("\\ufffd") == std::string::npos);
}

TEST_CASE("Deeply nested markup is neither a crash nor unbounded", "[parse]") {
  std::string deep = "<rss version=\"2.0\"><channel><title>t</title><item><title>x</title><description>";
  for (int i = 0; i < 100000; ++i) deep += "<b>";
  deep += "deep</description></item></channel></rss>";
  const auto result = feedd::parse_feed(deep);
  if (result.ok()) {
    CHECK(result->feed.title == "t");
  } else {
    CHECK(result.status().kind() == StatusKind::kParse);
  }
}

TEST_CASE("A NUL in a JSON Feed string becomes U+FFFD instead of cutting the value", "[parse]") {
  const auto result = feedd::parse_feed(
      R"({"version":"https://jsonfeed.org/version/1.1","title":"a\u0000b","items":[{"id":"1","title":"x\u0000y"}]})");
  REQUIRE(result.ok());
  CHECK(result->feed.title == "a\uFFFDb");
  REQUIRE(result->entries.size() == 1);
  CHECK(result->entries[0].title == "x\uFFFDy");
}
