#include "support/paths.hpp"
#include <catch2/catch.hpp>

#include "feedd/config.hpp"
#include "feedd/opml.hpp"
#include "support/temp_dir.hpp"

using namespace feedd;

TEST_CASE("OPML outlines become feeds with folder names and categories as tags", "[opml]") {
  auto feeds = read_opml(test::read_file(std::string(::feedd::test::kTestDataDir) + "/opml/reader-export.opml"));
  REQUIRE(feeds.ok());
  REQUIRE(feeds->size() == 3);  // the repeated BBC outline is taken once
  CHECK((*feeds)[0].url == "https://feeds.bbci.co.uk/news/world/rss.xml");
  CHECK((*feeds)[0].title == "BBC World");
  CHECK((*feeds)[0].tags == std::vector<std::string>{"world-news"});
  CHECK((*feeds)[1].title == "Euro \"Desk\"");
  CHECK((*feeds)[1].tags == std::vector<std::string>{"world-news", "europe"});
  CHECK((*feeds)[2].tags == std::vector<std::string>{"space", "tech"});
}

TEST_CASE("Imported [[feed]] tables are a valid feeds.conf with the same sources", "[opml]") {
  auto feeds = read_opml(test::read_file(std::string(::feedd::test::kTestDataDir) + "/opml/reader-export.opml"));
  REQUIRE(feeds.ok());
  const auto config = parse_config(to_feed_tables(*feeds), "feeds.conf");
  REQUIRE(config.ok());
  REQUIRE(config.config.sources.size() == 3);
  CHECK(config.config.sources[1].title == "Euro \"Desk\"");
  CHECK(config.config.sources[1].tags == std::vector<std::string>{"world-news", "europe"});
}

TEST_CASE("Export then import gives back every source with its title and tags", "[opml]") {
  const auto original = parse_config(R"(
[output]
title = "Mine & yours"
[[feed]]
url = "https://a.example/rss?x=1&y=2"
title = "A <b> \"quoted\""
tags = ["world", "news"]
[[feed]]
url = "https://b.example/atom"
)",
                                     "/etc/feedd/feeds.conf");
  REQUIRE(original.ok());
  const std::string opml = write_opml(original.config);
  auto back = read_opml(opml);
  REQUIRE(back.ok());
  REQUIRE(back->size() == 2);
  CHECK((*back)[0].url == "https://a.example/rss?x=1&y=2");
  CHECK((*back)[0].title == "A <b> \"quoted\"");
  CHECK((*back)[0].tags == std::vector<std::string>{"world", "news"});
  CHECK((*back)[1].url == "https://b.example/atom");
  CHECK_FALSE((*back)[1].title.has_value());  // exported with the URL as its text, read back as no title
  CHECK(opml.find("<title>Mine &amp; yours</title>") != std::string::npos);
}

TEST_CASE("A document that is not OPML is refused with a reason", "[opml]") {
  CHECK(read_opml("<rss version=\"2.0\"/>").status().kind() == StatusKind::kParse);
  CHECK(read_opml("not xml <").status().kind() == StatusKind::kParse);
}
