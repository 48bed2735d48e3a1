#include <catch2/catch.hpp>

#include "feedd/dedup.hpp"

using namespace feedd;
using namespace feedd::dedup;

TEST_CASE("Copies that differ only in markup, white space, entities and quotes hash alike", "[dedup]") {
  const std::string as_published =
      "<p>The UN \xE2\x80\x9C" "Call to Action\xE2\x80\x9D was issued.</p>"
      "\n<p>It names  seven areas.</p>";
  const std::string re_marked = "The UN &#8220;Call to Action&#8221; was issued.<br/>\r\nIt names seven areas.";
  CHECK(content_hash("Cooperation urged", as_published) == content_hash("Cooperation urged", re_marked));
  CHECK(content_hash("Cooperation urged", as_published) == content_hash("COOPERATION  URGED", as_published));
  CHECK(content_hash("Cooperation urged", "It said \"yes\"") == content_hash("Cooperation urged", "It said \xE2\x80\x9C" "yes\xE2\x80\x9D"));
}

TEST_CASE("A changed word makes a different content hash", "[dedup]") {
  CHECK(content_hash("Title", "<p>It names seven areas.</p>") != content_hash("Title", "<p>It names eight areas.</p>"));
  CHECK(content_hash("Title A", "same text") != content_hash("Title B", "same text"));
}

TEST_CASE("Words moved between title and text make a different story", "[dedup]") {
  CHECK(content_hash("a b", "c") != content_hash("a", "b c"));
}

TEST_CASE("Text normalisation folds case, typographic punctuation and white space", "[dedup]") {
  CHECK(normalise_text("  Hello\xC2\xA0 W\xC3\x96RLD \xE2\x80\x94 it\xE2\x80\x99s\t\xE2\x80\xA6 ") ==
        "hello w\xC3\xB6rld - it's ...");
  CHECK(normalise_text("\xD0\x9C\xD0\x98\xD0\xA0") == "\xD0\xBC\xD0\xB8\xD1\x80");  // МИР -> мир
  CHECK(normalise_text("bad \xFF byte") == "bad \xEF\xBF\xBD byte");
}

TEST_CASE("Canonical URLs drop what does not name the page", "[dedup]") {
  CHECK(canonical_url("HTTPS://Example.ORG:443/a/b?utm_source=x&id=7&fbclid=abc#top") ==
        "https://example.org/a/b?id=7");
  CHECK(canonical_url("http://example.org:80") == "http://example.org/");
  CHECK(canonical_url("http://example.org:8080/x") == "http://example.org:8080/x");
  CHECK(canonical_url("http://example.org/x?utm_medium=rss") == "http://example.org/x");
  CHECK(canonical_url("http://example.org/Path/Case") == "http://example.org/Path/Case");
  CHECK(canonical_url("urn:uuid:1234") == "urn:uuid:1234");
}

TEST_CASE("Entry identity is the id, else the canonical link, else a hash of title and date", "[dedup]") {
  Entry e;
  e.id = "tag:example.org,2020:1";
  e.link = "https://example.org/a?utm_source=rss";
  CHECK(entry_identity(e) == "tag:example.org,2020:1");
  e.id.reset();
  CHECK(entry_identity(e) == "https://example.org/a");
  e.link.reset();
  e.title = "A title";
  e.published = parse_http_date("Mon, 09 Mar 2020 08:00:00 GMT");
  const auto by_title_and_date = entry_identity(e);
  CHECK(by_title_and_date.rfind("hash:", 0) == 0);
  e.published = parse_http_date("Tue, 10 Mar 2020 08:00:00 GMT");
  CHECK(entry_identity(e) != by_title_and_date);
}

TEST_CASE("Decisions follow identity first, then content hash", "[dedup]") {
  CHECK(decide("h1", Known{"h1", true}) == Decision::kUnchanged);
  CHECK(decide("h2", Known{"h1", false}) == Decision::kChanged);
  CHECK(decide("h1", Known{std::nullopt, true}) == Decision::kNewCopy);
  CHECK(decide("h1", Known{std::nullopt, false}) == Decision::kNewStory);
}
