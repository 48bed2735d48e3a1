#include <catch2/catch.hpp>

#include <pugixml.hpp>
#include <nlohmann/json.hpp>
#include <zlib.h>

#include <string>
#include <vector>

#include "feedd/render.hpp"

namespace feedd {
namespace {

using namespace std::chrono_literals;

Timestamp at(int day, int hour = 0) {
  return Timestamp{std::chrono::sys_days{std::chrono::year{2024} / 3 / day}} + std::chrono::hours{hour};
}

StorySource source(std::string url, std::string name, std::optional<std::string> entry_link = std::nullopt) {
  return StorySource{std::move(url), std::move(name), std::move(entry_link), at(1), std::nullopt};
}

// The newer story was carried by two feeds; the older one by one, with no title or author.
std::vector<Story> two_stories() {
  Story shared;
  shared.uid = "urn:feedd:story:aaaa";
  shared.title = "Rust 2.0 released";
  shared.link = "https://news.example/rust-2";
  shared.summary = "<p>Short.</p>";
  shared.content = "<p>The long text.</p>";
  shared.authors = {"Ada"};
  shared.categories = {"rust", "releases"};
  shared.enclosures = {Enclosure{"https://news.example/talk.mp3", "audio/mpeg", 12345}};
  shared.published = at(10, 8);
  shared.updated = at(10, 9);
  shared.sources = {source("https://news.example/feed.xml", "Example News"),
                    source("https://blog.example/atom", "Example Blog", "https://blog.example/rust")};

  Story lone;
  lone.uid = "urn:feedd:story:bbbb";
  lone.link = "https://other.example/post";
  lone.summary = "<p>Untitled post.</p>";
  lone.updated = at(11, 0);  // updated later than the first story, though published earlier
  lone.sources = {source("https://other.example/rss", "Other Site")};
  return {shared, lone};
}

OutputSettings output() {
  OutputSettings settings;
  settings.title = "My unified news";
  settings.id = "urn:feedd:test";
  settings.link = "http://127.0.0.1:8080/";
  return settings;
}

pugi::xml_node child_with(pugi::xml_node parent, const char* name, const char* attribute, const char* value) {
  return parent.find_child_by_attribute(name, attribute, value);
}

}  // namespace

TEST_CASE("Atom feed of two stories keeps their ids, titles, order and the newest update", "[render]") {
  const RenderedFeed rendered = render_atom(output(), two_stories(), "http://127.0.0.1:8080/feed.atom");
  pugi::xml_document doc;
  const pugi::xml_parse_result parsed = doc.load_string(rendered.body.c_str());
  REQUIRE(parsed);
  CHECK(rendered.body.rfind("<?xml version=\"1.0\" encoding=\"utf-8\"?>", 0) == 0);

  const pugi::xml_node feed = doc.child("feed");
  CHECK(std::string(feed.attribute("xmlns").value()) == "http://www.w3.org/2005/Atom");
  CHECK(std::string(feed.child_value("id")) == "urn:feedd:test");
  CHECK(std::string(feed.child_value("title")) == "My unified news");
  CHECK(std::string(feed.child_value("updated")) == "2024-03-11T00:00:00Z");
  CHECK(std::string(child_with(feed, "link", "rel", "alternate").attribute("href").value()) == "http://127.0.0.1:8080/");
  const pugi::xml_node self = child_with(feed, "link", "rel", "self");
  CHECK(std::string(self.attribute("href").value()) == "http://127.0.0.1:8080/feed.atom");
  CHECK(std::string(self.attribute("type").value()) == "application/atom+xml");
  CHECK(std::string(feed.child("generator").attribute("version").value()) == FEEDD_VERSION);

  const pugi::xml_node first = feed.child("entry");
  const pugi::xml_node second = first.next_sibling("entry");
  REQUIRE(second);
  CHECK_FALSE(second.next_sibling("entry"));
  CHECK(std::string(first.child_value("id")) == "urn:feedd:story:aaaa");
  CHECK(std::string(first.child_value("title")) == "Rust 2.0 released");
  CHECK(std::string(first.child_value("published")) == "2024-03-10T08:00:00Z");
  CHECK(std::string(first.child_value("updated")) == "2024-03-10T09:00:00Z");
  CHECK(std::string(child_with(first, "link", "rel", "alternate").attribute("href").value()) ==
        "https://news.example/rust-2");
  CHECK(std::string(second.child_value("id")) == "urn:feedd:story:bbbb");
  CHECK(std::string(second.child_value("title")) == "(untitled)");
  CHECK_FALSE(second.child("published"));

  const pugi::xml_node origin = first.child("source");
  CHECK(std::string(origin.child_value("id")) == "https://news.example/feed.xml");
  CHECK(std::string(origin.child_value("title")) == "Example News");
  CHECK(std::string(child_with(origin, "link", "rel", "self").attribute("href").value()) ==
        "https://news.example/feed.xml");
  const pugi::xml_node via = child_with(first, "link", "rel", "via");
  CHECK(std::string(via.attribute("href").value()) == "https://blog.example/atom");
  CHECK(std::string(via.attribute("title").value()) == "Example Blog");
  CHECK_FALSE(child_with(second, "link", "rel", "via"));
  CHECK(std::string(second.child("source").child_value("title")) == "Other Site");

  CHECK(rendered.last_modified == at(11, 0));
  CHECK(rendered.content_type == "application/atom+xml; charset=utf-8");
}

TEST_CASE("A story carried by several feeds names every one of them in its text", "[render]") {
  const RenderedFeed rendered = render_atom(output(), two_stories(), "http://x/feed.atom");
  pugi::xml_document doc;
  REQUIRE(doc.load_string(rendered.body.c_str()));
  const pugi::xml_node first = doc.child("feed").child("entry");
  const pugi::xml_node content = first.child("content");
  CHECK(std::string(content.attribute("type").value()) == "html");
  CHECK(std::string(content.text().get()) ==
        "<p>The long text.</p><p>Also published by: <a href=\"https://news.example/feed.xml\">Example News</a>, "
        "<a href=\"https://blog.example/rust\">Example Blog</a></p>");
  CHECK(std::string(first.child("summary").text().get()) == "<p>Short.</p>");
  // A story from one feed only gets no such line.
  CHECK(std::string(first.next_sibling("entry").child("summary").text().get()) == "<p>Untitled post.</p>");
}

TEST_CASE("Entry without content gets the sources line in its summary", "[render]") {
  std::vector<Story> stories = two_stories();
  stories[0].content.reset();
  const RenderedFeed rendered = render_atom(output(), stories, "http://x/feed.atom");
  pugi::xml_document doc;
  REQUIRE(doc.load_string(rendered.body.c_str()));
  const pugi::xml_node entry = doc.child("feed").child("entry");
  CHECK_FALSE(entry.child("content"));
  CHECK(std::string(entry.child("summary").text().get()).find("<p>Short.</p><p>Also published by: ") == 0);
}

TEST_CASE("Entry keeps its authors, categories and enclosures, and falls back to its origin as author",
          "[render]") {
  const RenderedFeed rendered = render_atom(output(), two_stories(), "http://x/feed.atom");
  pugi::xml_document doc;
  REQUIRE(doc.load_string(rendered.body.c_str()));
  const pugi::xml_node first = doc.child("feed").child("entry");
  CHECK(std::string(first.child("author").child_value("name")) == "Ada");
  CHECK(std::string(first.child("category").attribute("term").value()) == "rust");
  CHECK(std::string(first.child("category").next_sibling("category").attribute("term").value()) == "releases");
  const pugi::xml_node enclosure = child_with(first, "link", "rel", "enclosure");
  CHECK(std::string(enclosure.attribute("href").value()) == "https://news.example/talk.mp3");
  CHECK(std::string(enclosure.attribute("type").value()) == "audio/mpeg");
  CHECK(std::string(enclosure.attribute("length").value()) == "12345");
  CHECK(std::string(first.next_sibling("entry").child("author").child_value("name")) == "Other Site");
}

TEST_CASE("Same stories render to the same bytes and ETag, a changed story to another ETag", "[render]") {
  const RenderedFeed a = render_atom(output(), two_stories(), "http://x/feed.atom");
  const RenderedFeed b = render_atom(output(), two_stories(), "http://x/feed.atom");
  CHECK(a.body == b.body);
  CHECK(a.etag == b.etag);
  REQUIRE(a.etag.size() == 34);
  CHECK(a.etag.front() == '"');
  CHECK(a.etag.back() == '"');
  CHECK(a.etag.find_first_not_of("0123456789abcdef", 1) == 33);

  std::vector<Story> changed = two_stories();
  changed[1].title = "Now it has a title";
  CHECK(render_atom(output(), changed, "http://x/feed.atom").etag != a.etag);
}

TEST_CASE("Markup characters, quotes and non-ASCII text are escaped and read back unchanged", "[render]") {
  const std::string title = "Fish & Chips <b>\"quoted\"</b> 'single' café – 東京 🐟";
  std::vector<Story> stories = two_stories();
  stories[0].title = title;
  stories[0].content = "<p>a &amp; b &lt; c</p>";
  stories[0].sources[1].name = "Tom & \"Jerry\" <3";
  stories[0].categories = {"a&b \"c\""};
  const RenderedFeed rendered = render_atom(output(), stories, "http://x/feed.atom?a=1&b=2");
  CHECK(rendered.body.find("Fish &amp; Chips &lt;b&gt;") != std::string::npos);

  pugi::xml_document doc;
  REQUIRE(doc.load_string(rendered.body.c_str()));
  const pugi::xml_node feed = doc.child("feed");
  const pugi::xml_node entry = feed.child("entry");
  CHECK(std::string(entry.child_value("title")) == title);
  CHECK(std::string(child_with(feed, "link", "rel", "self").attribute("href").value()) ==
        "http://x/feed.atom?a=1&b=2");
  CHECK(std::string(child_with(entry, "link", "rel", "via").attribute("title").value()) == "Tom & \"Jerry\" <3");
  CHECK(std::string(entry.child("category").attribute("term").value()) == "a&b \"c\"");
  // The source's name is HTML-escaped inside the HTML, then XML-escaped like the rest.
  CHECK(std::string(entry.child("content").text().get()).find(">Tom &amp; &quot;Jerry&quot; &lt;3</a>") !=
        std::string::npos);
}

TEST_CASE("Control characters and broken UTF-8 from a source never make the feed unparsable", "[render]") {
  std::vector<Story> stories = two_stories();
  stories[0].title = std::string("bell\x07 here, stray \xff byte, cut \xe6\x9d");
  const RenderedFeed rendered = render_atom(output(), stories, "http://x/feed.atom");
  pugi::xml_document doc;
  REQUIRE(doc.load_string(rendered.body.c_str()));
  CHECK(std::string(doc.child("feed").child("entry").child_value("title")) ==
        "bell here, stray \xEF\xBF\xBD byte, cut \xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST_CASE("Feed without stories is still a valid Atom document dated 1970", "[render]") {
  const RenderedFeed rendered = render_atom(output(), {}, "http://x/feed.atom");
  pugi::xml_document doc;
  REQUIRE(doc.load_string(rendered.body.c_str()));
  const pugi::xml_node feed = doc.child("feed");
  CHECK(std::string(feed.child_value("id")) == "urn:feedd:test");
  CHECK(std::string(feed.child_value("updated")) == "1970-01-01T00:00:00Z");
  // RFC 4287: a feed whose entries may lack authors names one itself.
  CHECK(std::string(feed.child("author").child_value("name")) == "feedd");
  CHECK_FALSE(feed.child("entry"));
  CHECK(rendered.last_modified == Timestamp{});
  CHECK(rendered.etag.size() == 34);
}

}  // namespace feedd

namespace feedd {
namespace {

std::vector<Story> two_stories_with_reason() {
  std::vector<Story> stories = two_stories();
  stories[0].sort_time = at(10, 8);
  stories[1].sort_time = at(9, 0);
  stories[0].sources[1].merge_reason = "near duplicate (score 0.93)";
  return stories;
}

const FeedLinks kPagedLinks{"http://x/feed.rss", "http://x/feed.rss?before=1710000000-7"};

}  // namespace

TEST_CASE("RSS names each item's origin in <source url> and the other sources as atom:link via", "[render]") {
  const RenderedFeed rendered = render_rss(output(), two_stories_with_reason(), kPagedLinks);
  pugi::xml_document doc;
  REQUIRE(doc.load_string(rendered.body.c_str()));
  const pugi::xml_node rss = doc.child("rss");
  CHECK(std::string(rss.attribute("version").value()) == "2.0");
  const pugi::xml_node channel = rss.child("channel");
  CHECK(std::string(channel.child_value("title")) == "My unified news");
  CHECK(std::string(channel.child_value("link")) == "http://127.0.0.1:8080/");
  CHECK(std::string(child_with(channel, "atom:link", "rel", "self").attribute("href").value()) == "http://x/feed.rss");
  CHECK(std::string(child_with(channel, "atom:link", "rel", "next").attribute("href").value()) ==
        "http://x/feed.rss?before=1710000000-7");
  CHECK(std::string(channel.child_value("lastBuildDate")) == "Mon, 11 Mar 2024 00:00:00 GMT");

  const pugi::xml_node item = channel.child("item");
  CHECK(std::string(item.child_value("guid")) == "urn:feedd:story:aaaa");
  CHECK(std::string(item.child("guid").attribute("isPermaLink").value()) == "false");
  CHECK(std::string(item.child_value("pubDate")) == "Sun, 10 Mar 2024 08:00:00 GMT");
  CHECK(std::string(item.child_value("source")) == "Example News");
  CHECK(std::string(item.child("source").attribute("url").value()) == "https://news.example/feed.xml");
  const pugi::xml_node via = child_with(item, "atom:link", "rel", "via");
  CHECK(std::string(via.attribute("href").value()) == "https://blog.example/atom");
  CHECK(std::string(via.attribute("feedd:merged").value()) == "near duplicate (score 0.93)");
  CHECK(std::string(item.child_value("content:encoded")).find("Example Blog") != std::string::npos);
  CHECK(std::string(item.child("enclosure").attribute("length").value()) == "12345");
  CHECK(rendered.content_type == "application/rss+xml; charset=utf-8");
}

TEST_CASE("JSON Feed 1.1 lists every source in _feedd and links the next page", "[render]") {
  const RenderedFeed rendered = render_json_feed(output(), two_stories_with_reason(),
                                                 FeedLinks{"http://x/feed.json", "http://x/feed.json?before=5-1"});
  const auto feed = nlohmann::json::parse(rendered.body);
  CHECK(feed["version"] == "https://jsonfeed.org/version/1.1");
  CHECK(feed["feed_url"] == "http://x/feed.json");
  CHECK(feed["next_url"] == "http://x/feed.json?before=5-1");
  REQUIRE(feed["items"].size() == 2);
  const auto& item = feed["items"][0];
  CHECK(item["id"] == "urn:feedd:story:aaaa");
  CHECK(item["date_published"] == "2024-03-10T08:00:00Z");
  CHECK(item["authors"][0]["name"] == "Ada");
  CHECK(item["attachments"][0]["mime_type"] == "audio/mpeg");
  const auto& sources = item["_feedd"]["sources"];
  REQUIRE(sources.size() == 2);
  CHECK(sources[0]["url"] == "https://news.example/feed.xml");
  CHECK_FALSE(sources[0].contains("merge_reason"));
  CHECK(sources[1]["entry_url"] == "https://blog.example/rust");
  CHECK(sources[1]["merge_reason"] == "near duplicate (score 0.93)");
  CHECK(feed["items"][1]["content_html"] == "<p>Untitled post.</p>");
  CHECK(rendered.content_type == "application/feed+json; charset=utf-8");
}

TEST_CASE("Atom links the next page, and the last page links none", "[render]") {
  const RenderedFeed paged = render_atom(output(), two_stories(), FeedLinks{"http://x/feed.atom", "http://x/n"});
  CHECK(paged.body.find("<link rel=\"next\" href=\"http://x/n\"") != std::string::npos);
  const RenderedFeed last = render_atom(output(), two_stories(), FeedLinks{"http://x/feed.atom", std::nullopt});
  CHECK(last.body.find("rel=\"next\"") == std::string::npos);
}

TEST_CASE("Every render carries a gzip copy that inflates to its body, with its own ETag", "[render]") {
  for (OutputFormat format : kAllOutputFormats) {
    const RenderedFeed rendered = render_feed(format, output(), two_stories(), FeedLinks{"http://x/f", std::nullopt});
    REQUIRE_FALSE(rendered.gzip_body.empty());
    CHECK(rendered.gzip_body.size() < rendered.body.size());
    CHECK(rendered.gzip_etag != rendered.etag);
    std::string inflated(rendered.body.size() + 16, '\0');
    z_stream stream{};
    REQUIRE(inflateInit2(&stream, 15 + 16) == Z_OK);
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(rendered.gzip_body.data()));
    stream.avail_in = static_cast<uInt>(rendered.gzip_body.size());
    stream.next_out = reinterpret_cast<Bytef*>(inflated.data());
    stream.avail_out = static_cast<uInt>(inflated.size());
    CHECK(inflate(&stream, Z_FINISH) == Z_STREAM_END);
    inflated.resize(stream.total_out);
    inflateEnd(&stream);
    CHECK(inflated == rendered.body);
  }
}

}  // namespace feedd
