// The unified feed checked by tools feedd does not share code with: the Atom output
// against RFC 4287's RELAX NG schema with xmllint, all three formats read back by
// python3-feedparser (Debian's /usr/bin/python3) without errors (JSON
// Feed: see kFeedparserScript), and by feedd's own parse_feed (round trip: the same
// stories, the same ids). The stories go through a real Store first, so merges, merge
// reasons, markup, enclosures and non-ASCII text all reach the renderers.

#include "support/paths.hpp"
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <array>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "feedd/dedup.hpp"
#include "feedd/parse.hpp"
#include "feedd/render.hpp"
#include "feedd/store.hpp"
#include "support/temp_dir.hpp"

using namespace feedd;
using namespace std::chrono_literals;

namespace {

const Timestamp kT0{std::chrono::seconds{1'700'000'000}};

std::string run(const std::string& command, int& exit_code) {
  std::string output;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  REQUIRE(pipe);
  std::array<char, 4096> buffer{};
  while (std::size_t n = fread(buffer.data(), 1, buffer.size(), pipe)) output.append(buffer.data(), n);
  const int status = pclose(pipe);
  exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return output;
}

Entry article_entry(const std::filesystem::path& file, const std::string& id) {
  std::ifstream in(file);
  std::string title;
  std::getline(in, title);
  std::string html;
  std::string line;
  while (std::getline(in, line)) html += "<p>" + line + "</p>";
  Entry entry;
  entry.id = id;
  entry.title = title;
  entry.link = "https://news.example.org/" + id;
  entry.content = html;
  entry.summary = "<p>" + title + " &amp; more: \xE2\x80\x9Cquoted\xE2\x80\x9D, caf\xC3\xA9, <b>bold</b></p>";
  entry.authors = {"Desk \xC3\x89" "dition"};
  entry.categories = {"News", "R&D"};
  entry.enclosures = {Enclosure{"https://news.example.org/" + id + ".mp3", "audio/mpeg", 4096}};
  entry.published = kT0 - 1h;
  entry.content_hash = dedup::content_hash(title, html);
  return entry;
}

// Eight stories, one of them carried by three sources (a same-hash copy and a near
// copy), one untitled, on a real store; pages of three.
std::vector<Story> stored_stories(const std::filesystem::path& db, std::optional<StoryCursor>& next) {
  auto store = Store::open(db);
  REQUIRE(store.ok());
  const std::filesystem::path articles = std::filesystem::path(::feedd::test::kTestDataDir) / "near_duplicates" / "articles";
  std::vector<Entry> entries;
  int n = 0;
  for (const auto& file : std::filesystem::directory_iterator(articles)) {
    if (n == 7) break;
    entries.push_back(article_entry(file.path(), "story-" + std::to_string(++n)));
  }
  Entry untitled;
  untitled.id = "untitled";
  untitled.summary = "<p>No title here.</p>";
  untitled.content_hash = dedup::content_hash("", *untitled.summary);
  entries.push_back(untitled);
  FetchedFeed origin;
  origin.source_url = "https://news.example.org/feed.xml";
  origin.feed.feed.title = "Example News";
  origin.feed.entries = entries;
  REQUIRE((*store)->apply_fetch(origin, kT0).ok());

  FetchedFeed copies;
  copies.source_url = "https://wire.example.net/atom";
  copies.feed.feed.title = "Wire <Service>";
  Entry same = entries[0];
  same.id = "wire-1";
  Entry near = entries[1];
  near.id = "wire-2";
  *near.content += "<p>Source: Example News</p>";
  near.content_hash = dedup::content_hash(*near.title, *near.content);
  copies.feed.entries = {same, near};
  auto applied = (*store)->apply_fetch(copies, kT0 + 1h);
  REQUIRE(applied.ok());
  CHECK(applied->new_copies == 2);

  auto page = (*store)->stories_page(StoryQuery{3, std::nullopt, std::nullopt});
  REQUIRE(page.ok());
  next = page->next;
  auto everything = (*store)->stories_page(StoryQuery{100, std::nullopt, std::nullopt});
  REQUIRE(everything.ok());
  return everything->stories;
}

std::vector<std::string> uids(const std::vector<Story>& stories) {
  std::vector<std::string> out;
  for (const Story& story : stories) out.push_back(story.uid);
  return out;
}

OutputSettings output() {
  OutputSettings settings;
  // "<...>" in an RSS title is ambiguous (readers differ on whether it is markup), so
  // the round trip uses a title with only an ampersand.
  settings.title = "Unified & news \xE2\x80\x94 today";
  settings.id = "urn:feedd:validity";
  settings.link = "http://127.0.0.1:8080/";
  return settings;
}

// Debian's python3-feedparser (6.0.10) reads Atom and RSS but not JSON Feed (added in
// feedparser 6.1), so a JSON Feed is checked by Python's json module against the JSON
// Feed 1.1 rules a reader relies on instead: version, title, and every item with a
// string id and content_html or content_text.
constexpr const char* kFeedparserScript =
    "import json, sys, feedparser\n"
    "path = sys.argv[1]\n"
    "if path.endswith('.json'):\n"
    "    d = json.load(open(path, encoding='utf-8'))\n"
    "    problems = []\n"
    "    if d.get('version') != 'https://jsonfeed.org/version/1.1': problems.append('version')\n"
    "    if not isinstance(d.get('title'), str): problems.append('title')\n"
    "    for item in d['items']:\n"
    "        if not isinstance(item.get('id'), str): problems.append('item id')\n"
    "        if 'content_html' not in item and 'content_text' not in item: problems.append('item content')\n"
    "    print(json.dumps({'bozo': bool(problems), 'error': ', '.join(problems),\n"
    "                      'ids': [i['id'] for i in d['items']], 'titles': [i.get('title', '') for i in d['items']]}))\n"
    "else:\n"
    "    d = feedparser.parse(path)\n"
    "    print(json.dumps({'bozo': bool(d.bozo), 'error': str(d.get('bozo_exception', '')),\n"
    "                      'ids': [e.get('id') for e in d.entries], 'titles': [e.get('title', '') for e in d.entries]}))\n";

}  // namespace

TEST_CASE("The unified feed validates against RFC 4287's schema and reads back in feedparser and parse_feed",
          "[render][validity]") {
  test::TempDir dir;
  std::optional<StoryCursor> next;
  const std::vector<Story> stories = stored_stories(dir / "feedd.db", next);
  REQUIRE(stories.size() == 8);
  REQUIRE(next);
  const std::string script = test::write_file(dir / "read.py", kFeedparserScript).string();

  for (OutputFormat format : kAllOutputFormats) {
    const std::string ext(extension(format));
    DYNAMIC_SECTION("format " << ext) {
      const FeedLinks links{"http://127.0.0.1:8080/feed." + ext,
                            "http://127.0.0.1:8080/feed." + ext + "?before=" + next->to_string()};
      const RenderedFeed rendered = render_feed(format, output(), stories, links);
      const auto file = test::write_file(dir / ("feed." + ext), rendered.body);
      int code = 0;

      if (format == OutputFormat::kAtom) {
        const std::string out =
            run("xmllint --noout --relaxng " + std::string(::feedd::test::kTestDataDir) + "/schemas/atom.rng " + file.string(), code);
        INFO(out);
        CHECK(code == 0);
      }

      const std::string out = run("/usr/bin/python3 " + script + " " + file.string(), code);
      INFO(out);
      REQUIRE(code == 0);
      const auto read = nlohmann::json::parse(out);
      CHECK_FALSE(read["bozo"].get<bool>());
      REQUIRE(read["ids"].get<std::vector<std::string>>() == uids(stories));
      CHECK(read["titles"][1] == stories[1].title.value_or(""));

      auto parsed = parse_feed(rendered.body, rendered.content_type, links.self_url);
      INFO(parsed.status().to_string());
      REQUIRE(parsed.ok());
      std::vector<std::string> ids;
      for (const Entry& entry : parsed->entries) ids.push_back(entry.id.value_or(""));
      CHECK(ids == uids(stories));
      for (std::size_t i = 0; i < stories.size(); ++i) {
        if (stories[i].title) CHECK(parsed->entries[i].title == stories[i].title);
        CHECK(parsed->entries[i].link == stories[i].link);
      }
      CHECK(parsed->feed.title == output().title);
    }
  }
}
