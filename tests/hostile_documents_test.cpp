// Hostile documents (issue 7, promise 1): one document built to hurt never crashes the
// daemon, never makes it fetch anything, and costs bounded memory and time. Each is read
// through the parse entry point (what `feedd parse` runs), and a few through the real
// pipeline beside an honest source, whose stories must still arrive.

#include <catch2/catch.hpp>

#include <sys/resource.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>
#include <pugixml.hpp>

#include "feedd/parse.hpp"
#include "feedd/pipeline.hpp"
#include "feedd/sanitize.hpp"
#include "support/fixture_server.hpp"
#include "support/one_pass.hpp"
#include "support/paths.hpp"
#include "support/run_feedd.hpp"
#include "support/sample_feeds.hpp"
#include "support/temp_dir.hpp"

using namespace feedd;
using namespace std::chrono_literals;

namespace {

constexpr const char* kUrl = "https://feed.example/feed.xml";
constexpr const char* kBrokenItem = "<item><title>broken</b></item>";

std::string hostile(const std::string& name) {
  std::ifstream in(std::string(test::kTestDataDir) + "/hostile/" + name, std::ios::binary);
  REQUIRE(in);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

// The XXE documents with the fixture server's port, well-formed or (`broken`) with an
// item pugixml rejects, so that libxml2's recovering pass reads the document too.
std::string xxe(const std::string& name, std::uint16_t port, bool broken) {
  return replace_all(replace_all(hostile(name), "@PORT@", std::to_string(port)), "@BROKEN@",
                     broken ? kBrokenItem : "");
}

long max_rss_kib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

struct Timed {
  Result<ParsedFeed> parsed;
  std::chrono::milliseconds elapsed;
};

Timed timed_parse(const std::string& bytes) {
  const auto start = std::chrono::steady_clock::now();
  Result<ParsedFeed> parsed = parse_feed(bytes, "application/xml", kUrl);
  return {std::move(parsed),
          std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start)};
}

size_t largest_field(const ParsedFeed& feed) {
  size_t largest = feed.feed.title.value_or("").size();
  for (const Entry& e : feed.entries)
    largest = std::max({largest, e.title.value_or("").size(), e.summary.value_or("").size(),
                        e.content.value_or("").size()});
  return largest;
}

bool any_warning_contains(const ParsedFeed& feed, const std::string& text) {
  for (const std::string& w : feed.warnings)
    if (w.find(text) != std::string::npos) return true;
  return false;
}

std::string deep(const std::string& open, const std::string& close, int depth, const std::string& middle) {
  std::string out;
  out.reserve((open.size() + close.size()) * depth + middle.size());
  for (int i = 0; i < depth; ++i) out += open;
  out += middle;
  for (int i = 0; i < depth; ++i) out += close;
  return out;
}

std::string rss_items(const std::string& items) {
  return "<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel><title>Hostile</title><link>http://127.0.0.1/</link>" +
         items + "</channel></rss>\n";
}

}  // namespace

TEST_CASE("A billion laughs is never expanded and costs neither time nor memory", "[hostile-doc]") {
  for (const char* name : {"billion-laughs.xml", "billion-laughs-broken.xml"}) {
    INFO(name);
    const long rss_before = max_rss_kib();
    const Timed t = timed_parse(hostile(name));
    REQUIRE(t.parsed.ok());
    CHECK(t.elapsed < 5s);
    CHECK(max_rss_kib() - rss_before < 400 * 1024);
    // The references stay as written (or vanish): never a lol more than the document has.
    CHECK(largest_field(*t.parsed) < 1000);
    CHECK(t.parsed->feed.title.value_or("").find("lollol") == std::string::npos);
    REQUIRE(t.parsed->entries.size() >= 2);
    CHECK(t.parsed->entries[1].title == "Two");
    const std::string json = to_parse_json(*t.parsed);
    CHECK(json.find("lollol") == std::string::npos);
  }
}

TEST_CASE("A huge entity referenced many times (quadratic blow-up) is never expanded", "[hostile-doc]") {
  const std::string entity(100 * 1000, 'a');
  std::string references;
  for (int i = 0; i < 20000; ++i) references += "&big;";
  for (bool broken : {false, true}) {
    INFO((broken ? "broken" : "well-formed"));
    const std::string doc = "<?xml version=\"1.0\"?>\n<!DOCTYPE rss [<!ENTITY big \"" + entity +
                            "\">]>\n<rss version=\"2.0\"><channel><title>Q</title><item><guid>q</guid><title>" +
                            references + "</title><description>" + references + "</description></item>" +
                            (broken ? kBrokenItem : "") + "</channel></rss>\n";
    const long rss_before = max_rss_kib();
    const Timed t = timed_parse(doc);
    REQUIRE(t.parsed.ok());
    CHECK(t.elapsed < 5s);
    CHECK(max_rss_kib() - rss_before < 400 * 1024);
    REQUIRE(!t.parsed->entries.empty());
    // Expanded, the title alone would be 2 GB; the plain-text cap is 64 KiB.
    CHECK(largest_field(*t.parsed) <= 1 << 20);
    CHECK(t.parsed->entries[0].title.value_or("").find("aaaa") == std::string::npos);
  }
}

TEST_CASE("External entities, an external DTD, parameter entities and XInclude are never fetched or read",
          "[hostile-doc]") {
  test::FixtureServer server([](const test::FixtureRequest&) {
    return test::FixtureResponse{200, {{"Content-Type", "text/plain"}}, "FETCHED-SECRET"};
  });
  for (const char* name : {"external-entity-http.xml", "external-entity-file.xml", "external-dtd.xml",
                           "external-parameter-entity.xml", "xinclude.xml"}) {
    for (bool broken : {false, true}) {
      INFO(name << (broken ? " (broken, recovered)" : ""));
      const Timed t = timed_parse(xxe(name, server.port(), broken));
      REQUIRE(t.parsed.ok());
      const std::string json = to_parse_json(*t.parsed);
      CHECK(json.find("FETCHED-SECRET") == std::string::npos);
      CHECK(json.find("root:x:0:0") == std::string::npos);
      CHECK(json.find("/bin/") == std::string::npos);
      CHECK(json.find("file:///etc/passwd") == std::string::npos);
      CHECK(!t.parsed->entries.empty());
    }
  }
  CHECK(server.request_count("/entity") == 0);
  CHECK(server.requests().empty());
}

TEST_CASE("feedd parse reads an XXE document without fetching the entity and prints no file", "[hostile-doc]") {
  test::FixtureServer server([](const test::FixtureRequest&) {
    return test::FixtureResponse{200, {{"Content-Type", "text/plain"}}, "FETCHED-SECRET"};
  });
  test::TempDir dir;
  for (const char* name : {"external-entity-http.xml", "external-entity-file.xml", "xinclude.xml"}) {
    const auto file = test::write_file(dir / name, xxe(name, server.port(), true));
    const test::Ran ran = test::run_feedd("parse " + test::quoted(file) + " --url " + kUrl, dir);
    INFO(name << ": " << ran.err);
    CHECK(ran.exit_code == 0);
    CHECK(ran.out.find("FETCHED-SECRET") == std::string::npos);
    CHECK(ran.out.find("root:x:0:0") == std::string::npos);
    CHECK(ran.out.find("file:///etc/passwd") == std::string::npos);
  }
  CHECK(server.request_count("/entity") == 0);
}

TEST_CASE("100,000-deep nesting in XML, XHTML and escaped HTML parses in bounded time and output", "[hostile-doc]") {
  constexpr int kDepth = 100000;
  const std::string xml_nested = rss_items("<item><guid>deep-xml</guid><title>deep</title><description>" +
                                           deep("<i>", "</i>", kDepth, "bottom") + "</description></item>" +
                                           "<item><guid>after</guid><title>after</title></item>");
  const std::string html_nested = rss_items("<item><guid>deep-html</guid><title>deep</title><description>" +
                                            deep("&lt;i&gt;", "&lt;/i&gt;", kDepth, "bottom") +
                                            "</description></item><item><guid>after</guid><title>after</title></item>");
  const std::string unclosed = rss_items("<item><guid>deep-unclosed</guid><title>deep</title><description>" +
                                         deep("&lt;b&gt;&lt;i&gt;", "", kDepth / 2, "bottom") +
                                         "</description></item><item><guid>after</guid><title>after</title></item>");
  const std::string atom_xhtml =
      "<?xml version=\"1.0\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>Deep</title><id>urn:d</id>"
      "<entry><id>urn:d:1</id><title>deep</title><content type=\"xhtml\"><div xmlns=\"http://www.w3.org/1999/xhtml\">" +
      deep("<b>", "</b>", kDepth, "bottom") +
      "</div></content></entry><entry><id>urn:d:2</id><title>after</title></entry></feed>\n";
  const std::string elements = rss_items(deep("<x>", "</x>", kDepth, "") + "<item><guid>after</guid><title>after</title></item>");
  const std::string broken_deep = rss_items("<item><guid>deep-broken</guid><title>deep</title><description>" +
                                            deep("<i>", "</i>", kDepth, "bottom") + "</item>" +
                                            "<item><guid>after</guid><title>after</title></item>");
  for (const auto& [label, doc] : std::vector<std::pair<std::string, std::string>>{
           {"XML elements in a description", xml_nested},
           {"escaped HTML", html_nested},
           {"unclosed escaped HTML", unclosed},
           {"Atom XHTML content", atom_xhtml},
           {"unknown elements in the channel", elements},
           {"broken, recovered", broken_deep}}) {
    INFO(label);
    const Timed t = timed_parse(doc);
    CHECK(t.elapsed < 10s);
    if (!t.parsed.ok()) {
      // Refusing is allowed, with a reason; crashing or hanging is not.
      CHECK(!t.parsed.status().to_string().empty());
      continue;
    }
    // Every document stays under the 1 MiB cap of an HTML field, so all 100,000 levels reach
  // the sanitiser, which unwraps below its depth limit: at most 100 elements in the output.
    for (const Entry& e : t.parsed->entries) {
      for (const auto* field : {&e.summary, &e.content}) {
        if (!*field) continue;
        const std::string& html = **field;
        CHECK(html.size() < 2 * doc.size());
        size_t opened = 0;
        for (const char* tag : {"<i>", "<b>", "<span>"})
          for (size_t at = html.find(tag); at != std::string::npos; at = html.find(tag, at + 1)) ++opened;
        CHECK(opened <= 100);
        // Unwrapped, not dropped: the text at the bottom is still there.
        if (label != "unknown elements in the channel") CHECK(html.find("bottom") != std::string::npos);
      }
    }
    bool after_kept = false;
    for (const Entry& e : t.parsed->entries) after_kept = after_kept || e.title == "after";
    CHECK(after_kept);
  }
}

TEST_CASE("A 10 MB title and a 10 MB description are cut, with warnings", "[hostile-doc]") {
  const std::string huge(10 * 1000 * 1000, 'x');
  const std::string doc = rss_items("<item><guid>huge</guid><title>" + huge + "</title><description>" + huge +
                                    "</description></item><item><guid>small</guid><title>small</title></item>");
  const Timed t = timed_parse(doc);
  REQUIRE(t.parsed.ok());
  CHECK(t.elapsed < 10s);
  REQUIRE(t.parsed->entries.size() == 2);
  CHECK(t.parsed->entries[0].title->size() <= 64 * 1024);
  CHECK(t.parsed->entries[0].summary->size() <= (1 << 20) + 16);
  CHECK(any_warning_contains(*t.parsed, "a text field of"));
  CHECK(any_warning_contains(*t.parsed, "cut to 1048576"));
  CHECK(t.parsed->entries[1].title == "small");
}

TEST_CASE("A feed of 100,000 entries is read in document order in bounded time", "[hostile-doc]") {
  std::string items;
  constexpr int kEntries = 100000;
  for (int i = 0; i < kEntries; ++i)
    items += "<item><guid>e" + std::to_string(i) + "</guid><title>entry " + std::to_string(i) + "</title></item>\n";
  const Timed t = timed_parse(rss_items(items));
  REQUIRE(t.parsed.ok());
  CHECK(t.elapsed < 15s);
  REQUIRE(t.parsed->entries.size() == kEntries);
  CHECK(t.parsed->entries.front().title == "entry 0");
  CHECK(t.parsed->entries.back().title == "entry 99999");
}

TEST_CASE("Fifty items under one id are all parsed, in document order", "[hostile-doc]") {
  const Timed t = timed_parse(hostile("duplicate-ids.xml"));
  REQUIRE(t.parsed.ok());
  REQUIRE(t.parsed->entries.size() == 50);
  for (const Entry& e : t.parsed->entries) CHECK(e.id == "same-id");
  CHECK(t.parsed->entries[49].title == "Copy 49");
}

TEST_CASE("Absurd dates are null or in range, each with a warning, never a crash", "[hostile-doc]") {
  const Timed t = timed_parse(hostile("absurd-dates.xml"));
  REQUIRE(t.parsed.ok());
  CHECK(t.elapsed < 5s);
  REQUIRE(t.parsed->entries.size() == 16);
  const Timestamp year_10000 = std::chrono::sys_days(std::chrono::year(10000) / 1 / 1);
  const Timestamp year_1 = std::chrono::sys_days(std::chrono::year(1) / 1 / 1);
  for (const Entry& e : t.parsed->entries) {
    for (const auto* date : {&e.published, &e.updated}) {
      if (!*date) continue;
      CHECK(**date < year_10000);
      CHECK(**date >= year_1);
    }
  }
  size_t date_warnings = 0;
  for (const std::string& w : t.parsed->warnings)
    if (w.find("date") != std::string::npos) ++date_warnings;
  CHECK(date_warnings >= 10);
  // Every date that is printed is RFC 3339 with four digits of year.
  const nlohmann::json json = nlohmann::json::parse(to_parse_json(*t.parsed));
  for (const auto& entry : json["entries"])
    for (const char* key : {"published", "updated"})
      if (entry[key].is_string()) CHECK(entry[key].get<std::string>().size() == 20);
}

TEST_CASE("Hostile sources in the pipeline leave the daemon up and the honest source's stories arrive",
          "[hostile-doc]") {
  std::map<std::string, std::string> docs;
  test::FixtureServer server([&docs](const test::FixtureRequest& r) {
    auto it = docs.find(r.target);
    if (it == docs.end()) return test::FixtureResponse{200, {{"Content-Type", "text/plain"}}, "FETCHED-SECRET"};
    return test::FixtureResponse{200, {{"Content-Type", "application/xml"}}, it->second};
  });
  docs["/laughs.xml"] = hostile("billion-laughs-broken.xml");
  docs["/xxe.xml"] = xxe("external-entity-http.xml", server.port(), true);
  docs["/xxe-file.xml"] = xxe("external-entity-file.xml", server.port(), false);
  docs["/deep.xml"] = rss_items("<item><guid>deep</guid><title>deep</title><description>" +
                                deep("&lt;div&gt;", "&lt;/div&gt;", 100000, "bottom") + "</description></item>");
  docs["/huge-title.xml"] =
      rss_items("<item><guid>huge</guid><title>" + std::string(10 * 1000 * 1000, 't') + "</title></item>");
  docs["/duplicates.xml"] = hostile("duplicate-ids.xml");
  docs["/dates.xml"] = hostile("absurd-dates.xml");
  docs["/honest.xml"] = test::unrelated_rss("honest", 3);

  test::TempDir dir;
  Config config;
  config.path = dir / "feeds.conf";
  config.daemon.database = dir / "feedd.db";
  config.daemon.output_dir = dir / "public";
  config.daemon.listen = "";
  config.daemon.host_delay = 0s;
  config.output.max_entries = 1000;
  for (const auto& [path, doc] : docs) {
    Source s;
    s.url = server.url(path);
    config.sources.push_back(s);
  }
  const auto start = std::chrono::steady_clock::now();
  const PassSummary summary = test::run_pass(config);
  CHECK(std::chrono::steady_clock::now() - start < 30s);
  CHECK(summary.sources == static_cast<int>(docs.size()));
  CHECK(summary.fetched == static_cast<int>(docs.size()));
  CHECK(server.request_count("/entity") == 0);

  const std::string atom = test::read_file(dir / "public" / "feed.atom");
  pugi::xml_document doc;
  REQUIRE(doc.load_string(atom.c_str()));
  std::vector<std::string> titles;
  size_t duplicates = 0;
  for (pugi::xml_node entry : doc.child("feed").children("entry")) {
    const std::string title = entry.child_value("title");
    titles.push_back(title);
    if (title.rfind("Copy ", 0) == 0) ++duplicates;
    CHECK(title.size() <= 64 * 1024);
  }
  for (int i = 1; i <= 3; ++i)
    CHECK(std::find(titles.begin(), titles.end(), "honest story " + std::to_string(i)) != titles.end());
  // One identity is one story, whatever the source repeats.
  CHECK(duplicates == 1);
  CHECK(atom.find("FETCHED-SECRET") == std::string::npos);
  CHECK(atom.find("root:x:0:0") == std::string::npos);
  CHECK(atom.find("lollol") == std::string::npos);
  for (const char* file : {"feed.rss", "feed.json"}) {
    const std::string text = test::read_file(dir / "public" / file);
    CHECK(!text.empty());
    CHECK(text.find("root:x:0:0") == std::string::npos);
    CHECK(text.find("FETCHED-SECRET") == std::string::npos);
  }
}

TEST_CASE("HTML nested deeper than libxml2's 256 levels keeps the text inside and after it", "[hostile-doc]") {
  // libxml2's HTML parser stops at 256 open elements; the text below and after was lost.
  const std::string html = "<p>intro</p>" + deep("<b>", "</b>", 300, "bottom") + "<p>after</p>";
  const std::string clean = sanitize_html(html);
  CHECK(clean.find("bottom") != std::string::npos);
  CHECK(clean.rfind("<p>after</p>") == clean.size() - 12);
  CHECK(html_to_text(html) == "intro bottom after");
  // A document that only looks deep by the simple count (many unclosed <p>) is untouched.
  std::string paragraphs;
  for (int i = 0; i < 150; ++i) paragraphs += "<p>" + std::to_string(i);
  CHECK(sanitize_html(paragraphs).find("<p>149") != std::string::npos);
}
