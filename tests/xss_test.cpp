// The XSS battery (issue 7, promise 3): nothing that comes from a feed can run in a
// subscriber's reader. Every payload of tests/data/xss/ is injected into the titles,
// summaries, contents, links and enclosure URLs of RSS 2.0, Atom 1.0 and JSON Feed
// documents, served over loopback, run through the real pipeline (libcurl, parse, dedup,
// SQLite, render) into every output format, and through `feedd parse`. Each output is
// parsed as its format (pugixml, nlohmann) and the HTML inside it with libxml2's HTML
// parser, and everything a browser could execute is looked for.

#include <catch2/catch.hpp>

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>
#include <pugixml.hpp>

#include "feedd/parse.hpp"
#include "feedd/pipeline.hpp"
#include "feedd/render.hpp"
#include "feedd/sanitize.hpp"
#include "support/fixture_server.hpp"
#include "support/one_pass.hpp"
#include "support/paths.hpp"
#include "support/run_feedd.hpp"
#include "support/temp_dir.hpp"

using namespace feedd;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

// ------------------------------------------------------------------ the payloads

// tests/data/xss/README.md: one payload a line, '#' comments, a few backslash escapes.
std::string unescape(const std::string& line) {
  std::string out;
  for (size_t i = 0; i < line.size(); ++i) {
    if (line[i] != '\\' || i + 1 >= line.size()) {
      out += line[i];
      continue;
    }
    const std::string rest = line.substr(i + 1);
    if (rest[0] == 't') out += '\t', ++i;
    else if (rest[0] == 'n') out += '\n', ++i;
    else if (rest[0] == 'r') out += '\r', ++i;
    else if (rest[0] == '\\') out += '\\', ++i;
    else if (rest.rfind("x01", 0) == 0) out += '\x01', i += 3;
    else if (rest.rfind("x0b", 0) == 0) out += '\x0b', i += 3;
    else if (rest.rfind("u2028", 0) == 0) out += "\xE2\x80\xA8", i += 5;
    else if (rest.rfind("u2029", 0) == 0) out += "\xE2\x80\xA9", i += 5;
    else out += '\\';
  }
  return out;
}

std::vector<std::string> load_payloads(const std::string& name) {
  std::ifstream in(std::string(test::kTestDataDir) + "/xss/" + name);
  REQUIRE(in);
  std::vector<std::string> payloads;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    payloads.push_back(unescape(line));
  }
  return payloads;
}

struct Battery {
  std::vector<std::string> html = load_payloads("html.txt");
  std::vector<std::string> urls = load_payloads("urls.txt");
  const std::string& url_for(size_t i) const { return urls[i % urls.size()]; }
  // The payload's URL once more, inside the HTML, in every URL attribute we allow.
  std::string content_for(size_t i) const {
    const std::string& u = url_for(i);
    return html[i] + "<p><a href=\"" + u + "\">a</a><img src=\"" + u + "\" alt=\"i\"><video poster=\"" + u +
           "\" src=\"" + u + "\"></video><blockquote cite=\"" + u + "\">q</blockquote></p>";
  }
};

// ------------------------------------------------------------------ the documents

std::string xml_escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

// A CDATA section holding `text`, split where the text itself says "]]>".
std::string cdata(std::string_view text) {
  std::string out = "<![CDATA[";
  for (size_t i = 0; i < text.size(); ++i) {
    if (text.substr(i, 3) == "]]>") {
      out += "]]]]><![CDATA[>";
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out + "]]>";
}

std::string rss_document(const Battery& b) {
  std::string doc = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
                    "<rss version=\"2.0\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\"><channel>"
                    "<title>RSS battery</title><link>http://127.0.0.1/</link><description>d</description>\n";
  for (size_t i = 0; i < b.html.size(); ++i) {
    doc += "<item><guid isPermaLink=\"false\">rss-" + std::to_string(i) + "</guid>";
    doc += "<title>rss " + std::to_string(i) + ": " + xml_escape(b.html[i]) + "</title>";
    doc += "<link>" + xml_escape(b.url_for(i)) + "</link>";
    doc += "<description>" + xml_escape(b.html[i]) + "</description>";
    doc += "<content:encoded>" + cdata(b.content_for(i)) + "</content:encoded>";
    doc += "<enclosure url=\"" + xml_escape(b.url_for(i + 1)) + "\" type=\"audio/mpeg\" length=\"1\"/>";
    doc += "<pubDate>Tue, 10 Mar 2020 06:00:00 GMT</pubDate></item>\n";
  }
  return doc + "</channel></rss>\n";
}

std::string atom_document(const Battery& b) {
  std::string doc = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">"
                    "<title>Atom battery</title><id>urn:xss:atom</id><updated>2020-03-10T06:00:00Z</updated>\n";
  for (size_t i = 0; i < b.html.size(); ++i) {
    doc += "<entry><id>urn:xss:atom:" + std::to_string(i) + "</id>";
    // Half the titles are type="html", half type="text": text that spells a tag.
    doc += std::string("<title type=\"") + (i % 2 ? "text" : "html") + "\">atom " + std::to_string(i) + ": " +
           xml_escape(b.html[i]) + "</title>";
    doc += "<link rel=\"alternate\" href=\"" + xml_escape(b.url_for(i)) + "\"/>";
    doc += "<link rel=\"enclosure\" type=\"audio/mpeg\" length=\"1\" href=\"" + xml_escape(b.url_for(i + 1)) + "\"/>";
    doc += "<summary type=\"html\">" + xml_escape(b.html[i]) + "</summary>";
    doc += "<content type=\"html\">" + xml_escape(b.content_for(i)) + "</content>";
    doc += "<updated>2020-03-10T06:00:00Z</updated></entry>\n";
  }
  return doc + "</feed>\n";
}

std::string json_feed_document(const Battery& b) {
  json items = json::array();
  for (size_t i = 0; i < b.html.size(); ++i) {
    items.push_back({{"id", "json-" + std::to_string(i)},
                     {"title", "json " + std::to_string(i) + ": " + b.html[i]},
                     {"url", b.url_for(i)},
                     {"summary", b.html[i]},
                     {"content_html", b.content_for(i)},
                     {"date_published", "2020-03-10T06:00:00Z"},
                     {"attachments", {{{"url", b.url_for(i + 1)}, {"mime_type", "audio/mpeg"}}}}});
  }
  json feed = {{"version", "https://jsonfeed.org/version/1.1"}, {"title", "JSON battery"}, {"items", items}};
  return feed.dump();
}

// ------------------------------------------------------------------ what may not survive

struct Findings {
  std::vector<std::string> problems;
  // "feed.atom link: URL with scheme javascript" -> how often: the shape of what was found.
  std::map<std::string, int> kinds;
  void add(const std::string& where, const std::string& what) {
    problems.push_back(where + ": " + what);
    const size_t close = where.rfind(']');
    const std::string field = close == std::string::npos ? "" : where.substr(close + 1);
    const std::string output = where.substr(0, where.find(' '));
    ++kinds[output + field + ": " + what.substr(0, what.find(':'))];
  }
};

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The scheme a browser would read: C0 controls and spaces stripped anywhere (stricter than
// WHATWG, which strips them only at the ends and tab/LF/CR inside), lower case.
std::string browser_scheme(std::string_view url) {
  std::string compact;
  for (char c : url)
    if (static_cast<unsigned char>(c) > 0x20) compact += c;
  compact = lower(compact);
  if (compact.empty() || !std::isalpha(static_cast<unsigned char>(compact[0]))) return {};
  for (size_t i = 1; i < compact.size(); ++i) {
    const char c = compact[i];
    if (c == ':') return compact.substr(0, i);
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') return {};
  }
  return {};
}

void check_url(Findings& f, const std::string& where, std::string_view url) {
  const std::string scheme = browser_scheme(url);
  if (!scheme.empty() && scheme != "http" && scheme != "https" && scheme != "mailto")
    f.add(where, "URL with scheme " + scheme + ": " + std::string(url));
}

constexpr std::string_view kForbiddenElements[] = {
    "script", "iframe", "frame",    "frameset", "object", "embed",   "applet", "form",   "input",
    "button", "select", "textarea", "meta",     "link",   "base",    "svg",    "math",   "style",
    "template", "noscript", "isindex", "keygen", "xml",   "import",  "bgsound", "xss",   "plaintext", "xmp"};

constexpr std::string_view kUrlAttributes[] = {
    "href",    "src",      "poster",     "action",   "formaction", "xlink:href", "cite",  "background",
    "lowsrc",  "dynsrc",   "data",       "codebase", "longdesc",   "usemap",     "icon",  "manifest",
    "profile", "ping",     "classid",    "archive",  "srcdoc"};

void check_style(Findings& f, const std::string& where, std::string_view style) {
  std::string compact;
  for (char c : lower(style))
    if (c != '\\' && !std::isspace(static_cast<unsigned char>(c))) compact += c;
  for (std::string_view bad : {"expression", "url(", "position", "behavior", "binding", "javascript", "@import"})
    if (compact.find(bad) != std::string::npos) f.add(where, "style with " + std::string(bad) + ": " + std::string(style));
}

std::string attribute_text(xmlAttr* attr) {
  std::unique_ptr<xmlChar, decltype(xmlFree)> value(xmlNodeGetContent(reinterpret_cast<xmlNode*>(attr)), xmlFree);
  return value ? reinterpret_cast<const char*>(value.get()) : "";
}

// Parses `html` as a <body> would hold it and walks every node.
struct HtmlDoc {
  explicit HtmlDoc(std::string_view html) {
    const std::string page = "<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body>" + std::string(html) +
                             "</body></html>";
    doc.reset(htmlReadMemory(page.data(), static_cast<int>(page.size()), nullptr, "UTF-8",
                             HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET));
  }
  xmlNode* body() const {
    xmlNode* root = doc ? xmlDocGetRootElement(doc.get()) : nullptr;
    for (xmlNode* n = root ? root->children : nullptr; n; n = n->next)
      if (n->type == XML_ELEMENT_NODE && std::string_view(reinterpret_cast<const char*>(n->name)) == "body") return n;
    return nullptr;
  }
  std::unique_ptr<xmlDoc, decltype(&xmlFreeDoc)> doc{nullptr, xmlFreeDoc};
};

void check_element(Findings& f, const std::string& where, xmlNode* node) {
  const std::string name = lower(reinterpret_cast<const char*>(node->name));
  if (std::find(std::begin(kForbiddenElements), std::end(kForbiddenElements), name) != std::end(kForbiddenElements) ||
      name.find(':') != std::string::npos)
    f.add(where, "element <" + name + ">");
  for (xmlAttr* attr = node->properties; attr; attr = attr->next) {
    std::string attr_name = lower(reinterpret_cast<const char*>(attr->name));
    if (attr->ns && attr->ns->prefix) attr_name = lower(reinterpret_cast<const char*>(attr->ns->prefix)) + ":" + attr_name;
    const std::string value = attribute_text(attr);
    if (attr_name.rfind("on", 0) == 0) f.add(where, "event handler " + attr_name + "=" + value);
    if (attr_name == "srcdoc") f.add(where, "srcdoc");
    if (attr_name == "style") check_style(f, where, value);
    if (std::find(std::begin(kUrlAttributes), std::end(kUrlAttributes), attr_name) != std::end(kUrlAttributes))
      check_url(f, where, value);
    if (attr_name == "srcset") {
      for (size_t at = 0; at <= value.size();) {
        const size_t comma = std::min(value.find(',', at), value.size());
        const std::string candidate = value.substr(at, comma - at);
        const size_t start = candidate.find_first_not_of(" \t\n\r");
        if (start != std::string::npos) check_url(f, where, candidate.substr(start, candidate.find(' ', start) - start));
        at = comma + 1;
      }
    }
  }
}

// Everything an HTML fragment could execute, found with libxml2's HTML parser. Entities in
// the serialised fragment must be those that every HTML parser reads alike (libxml2 2.9
// knows no HTML5 names such as &colon;, which a browser would decode).
void check_html(Findings& f, const std::string& where, std::string_view html) {
  for (size_t at = html.find('&'); at != std::string_view::npos; at = html.find('&', at + 1)) {
    const std::string_view rest = html.substr(at);
    const bool basic = rest.rfind("&amp;", 0) == 0 || rest.rfind("&lt;", 0) == 0 || rest.rfind("&gt;", 0) == 0 ||
                       rest.rfind("&quot;", 0) == 0 || rest.rfind("&#", 0) == 0;
    if (!basic) f.add(where, "entity a browser may read otherwise: " + std::string(rest.substr(0, 12)));
  }
  HtmlDoc doc(html);
  xmlNode* body = doc.body();
  if (!body) return;
  std::vector<xmlNode*> todo{body};
  while (!todo.empty()) {
    xmlNode* node = todo.back();
    todo.pop_back();
    if (node != body && node->type == XML_ELEMENT_NODE) check_element(f, where, node);
    for (xmlNode* child = node->children; child; child = child->next) todo.push_back(child);
  }
}

// A plain-text field: no markup at all, whether a reader shows it as text or as HTML.
void check_plain_text(Findings& f, const std::string& where, std::string_view text) {
  HtmlDoc doc(text);
  xmlNode* body = doc.body();
  if (!body) return;
  std::vector<xmlNode*> todo{body};
  while (!todo.empty()) {
    xmlNode* node = todo.back();
    todo.pop_back();
    if (node != body && node->type == XML_ELEMENT_NODE) {
      f.add(where, "markup <" + std::string(reinterpret_cast<const char*>(node->name)) + "> in plain text: " +
                       std::string(text.substr(0, 80)));
      return;
    }
    for (xmlNode* child = node->children; child; child = child->next) todo.push_back(child);
  }
}

// ------------------------------------------------------------------ each output format

size_t check_atom(Findings& f, const std::string& body) {
  pugi::xml_document doc;
  const pugi::xml_parse_result parsed = doc.load_buffer(body.data(), body.size());
  if (!parsed) {
    f.add("feed.atom", std::string("not well-formed: ") + parsed.description());
    return 0;
  }
  size_t entries = 0;
  for (pugi::xml_node entry : doc.child("feed").children("entry")) {
    ++entries;
    const std::string title = entry.child_value("title");
    const std::string where = "feed.atom [" + title.substr(0, 40) + "]";
    if (std::string_view(entry.child("title").attribute("type").value()) != "text") f.add(where, "title not type=text");
    if (entry.child("title").find_child([](pugi::xml_node n) { return n.type() == pugi::node_element; }))
      f.add(where, "element inside <title>");
    check_plain_text(f, where + " title", title);
    for (pugi::xml_node link : entry.children("link")) check_url(f, where + " link", link.attribute("href").value());
    for (const char* field : {"summary", "content"}) {
      pugi::xml_node node = entry.child(field);
      if (!node) continue;
      if (std::string_view(node.attribute("type").value()) != "html") f.add(where, std::string(field) + " not type=html");
      check_html(f, where + " " + field, node.child_value());
    }
  }
  return entries;
}

size_t check_rss(Findings& f, const std::string& body) {
  pugi::xml_document doc;
  const pugi::xml_parse_result parsed = doc.load_buffer(body.data(), body.size());
  if (!parsed) {
    f.add("feed.rss", std::string("not well-formed: ") + parsed.description());
    return 0;
  }
  size_t items = 0;
  for (pugi::xml_node item : doc.child("rss").child("channel").children("item")) {
    ++items;
    const std::string title = item.child_value("title");
    const std::string where = "feed.rss [" + title.substr(0, 40) + "]";
    check_plain_text(f, where + " title", title);
    check_url(f, where + " link", item.child_value("link"));
    check_url(f, where + " enclosure", item.child("enclosure").attribute("url").value());
    for (pugi::xml_node link : item.children("atom:link")) check_url(f, where + " atom:link", link.attribute("href").value());
    for (const char* field : {"description", "content:encoded"}) check_html(f, where + " " + field, item.child_value(field));
  }
  return items;
}

// Raw JSON text a reader might embed in a <script> element of its page.
void check_json_text(Findings& f, const std::string& where, const std::string& text, bool html_safe) {
  if (text.find("\xE2\x80\xA8") != std::string::npos || text.find("\xE2\x80\xA9") != std::string::npos)
    f.add(where, "raw U+2028/U+2029 (a line break to JavaScript before ES2019)");
  if (html_safe && lower(text).find("</script") != std::string::npos) f.add(where, "</script> in the JSON text");
  if (html_safe && text.find("<!--") != std::string::npos) f.add(where, "<!-- in the JSON text");
}

size_t check_json_feed(Findings& f, const std::string& body) {
  check_json_text(f, "feed.json", body, true);
  const json feed = json::parse(body, nullptr, false);
  if (feed.is_discarded()) {
    f.add("feed.json", "not JSON");
    return 0;
  }
  size_t items = 0;
  for (const json& item : feed.at("items")) {
    ++items;
    const std::string title = item.value("title", "");
    const std::string where = "feed.json [" + title.substr(0, 40) + "]";
    check_plain_text(f, where + " title", title);
    check_plain_text(f, where + " summary", item.value("summary", ""));
    check_url(f, where + " url", item.value("url", ""));
    check_html(f, where + " content_html", item.value("content_html", ""));
    for (const json& attachment : item.value("attachments", json::array()))
      check_url(f, where + " attachment", attachment.value("url", ""));
  }
  return items;
}

std::string string_or_empty(const json& value) { return value.is_string() ? value.get<std::string>() : ""; }

size_t check_parse_json(Findings& f, const std::string& where_doc, const std::string& text) {
  check_json_text(f, where_doc, text, false);
  const json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded()) {
    f.add(where_doc, "not JSON");
    return 0;
  }
  check_plain_text(f, where_doc + " feed.title", string_or_empty(doc["feed"]["title"]));
  check_url(f, where_doc + " feed.link", string_or_empty(doc["feed"]["link"]));
  size_t entries = 0;
  for (const json& entry : doc.at("entries")) {
    ++entries;
    const std::string title = string_or_empty(entry["title"]);
    const std::string where = where_doc + " [" + title.substr(0, 40) + "]";
    check_plain_text(f, where + " title", title);
    check_url(f, where + " link", string_or_empty(entry["link"]));
    check_html(f, where + " summary", string_or_empty(entry["summary"]));
    check_html(f, where + " content", string_or_empty(entry["content"]));
    for (const json& enclosure : entry.at("enclosures")) check_url(f, where + " enclosure", string_or_empty(enclosure["url"]));
  }
  return entries;
}

std::string report(const Findings& f) {
  std::string text = std::to_string(f.problems.size()) + " problem(s)";
  for (const auto& [kind, count] : f.kinds) text += "\n  " + std::to_string(count) + " x " + kind;
  for (size_t i = 0; i < f.problems.size() && i < 40; ++i) text += "\n  " + f.problems[i];
  return text;
}

// ------------------------------------------------------------------ the pipeline

class Publisher {
 public:
  explicit Publisher(const Battery& battery)
      : docs_{{"/battery.rss", rss_document(battery)},
              {"/battery.atom", atom_document(battery)},
              {"/battery.json", json_feed_document(battery)}},
        server_([this](const test::FixtureRequest& r) {
          auto it = docs_.find(r.target);
          if (it == docs_.end()) return test::FixtureResponse{404, {}, "no such feed"};
          const bool is_json = r.target.find(".json") != std::string::npos;
          return test::FixtureResponse{
              200, {{"Content-Type", is_json ? "application/feed+json" : "application/xml"}}, it->second};
        }) {}

  std::string url(const std::string& path) const { return server_.url(path); }
  const std::map<std::string, std::string>& docs() const { return docs_; }

 private:
  const std::map<std::string, std::string> docs_;
  test::FixtureServer server_;
};

Config battery_config(const test::TempDir& dir, const Publisher& publisher) {
  Config config;
  config.path = dir / "feeds.conf";
  config.daemon.database = dir / "feedd.db";
  config.daemon.output_dir = dir / "public";
  config.daemon.listen = "";
  config.daemon.host_delay = 0s;
  config.output.max_entries = 5000;
  // Each payload must reach the outputs on its own: no collapsing of look-alikes.
  config.output.near_duplicates = false;
  for (const char* path : {"/battery.rss", "/battery.atom", "/battery.json"}) {
    Source s;
    s.url = publisher.url(path);
    s.interval = 30min;
    config.sources.push_back(s);
  }
  return config;
}

using test::run_pass;

}  // namespace

TEST_CASE("The XSS battery holds over 100 HTML payloads and 40 URL payloads", "[xss]") {
  const Battery battery;
  CHECK(battery.html.size() >= 100);
  CHECK(battery.urls.size() >= 40);
  CHECK(std::find(battery.html.begin(), battery.html.end(), "<a href=\"jav\tascript:alert(17)\">x</a>") !=
        battery.html.end());
}

TEST_CASE("No XSS payload in RSS, Atom or JSON Feed survives into the unified Atom, RSS and JSON feeds", "[xss]") {
  const Battery battery;
  test::TempDir dir;
  Publisher publisher(battery);
  const Config config = battery_config(dir, publisher);
  const PassSummary summary = run_pass(config);
  REQUIRE(summary.fetched == 3);
  CHECK(summary.failed == 0);
  const size_t expected = 3 * battery.html.size();
  CHECK(summary.new_stories == static_cast<int>(expected));

  Findings findings;
  CHECK(check_atom(findings, test::read_file(dir / "public" / "feed.atom")) == expected);
  CHECK(check_rss(findings, test::read_file(dir / "public" / "feed.rss")) == expected);
  CHECK(check_json_feed(findings, test::read_file(dir / "public" / "feed.json")) == expected);
  INFO(report(findings));
  CHECK(findings.problems.empty());
}

TEST_CASE("No XSS payload survives into the JSON that feedd parse prints", "[xss]") {
  const Battery battery;
  test::TempDir dir;
  Findings findings;
  const std::pair<const char*, std::string> documents[] = {
      {"battery.rss", rss_document(battery)}, {"battery.atom", atom_document(battery)},
      {"battery.json", json_feed_document(battery)}};
  for (const auto& [name, text] : documents) {
    test::write_file(dir / name, text);
    const test::Ran ran =
        test::run_feedd("parse " + test::quoted(dir / name) + " --url https://feed.example/" + name, dir);
    INFO(name << ": " << ran.err);
    REQUIRE(ran.exit_code == 0);
    CHECK(check_parse_json(findings, name, ran.out) == battery.html.size());
  }
  INFO(report(findings));
  CHECK(findings.problems.empty());
}

TEST_CASE("The XSS checks find a script, an event handler, a javascript: URL and markup in a title", "[xss]") {
  // The battery is only as good as its eyes: each check must see what it looks for.
  Findings f;
  check_html(f, "a", "<p>ok</p><script>alert(1)</script>");
  check_html(f, "b", "<img src=\"https://ok.example/\" onerror=\"alert(1)\">");
  check_html(f, "c", "<a href=\" JaVa&#x09;script:alert(1)\">x</a>");
  check_html(f, "d", "<div style=\"position: fixed\">x</div>");
  check_html(f, "e", "<a href=\"javascript&colon;alert(1)\">x</a>");
  check_plain_text(f, "f", "a <b>bold</b> title");
  check_json_text(f, "g", "{\"x\":\"</script>\"}", true);
  REQUIRE(f.problems.size() == 7);
  Findings clean;
  check_html(clean, "ok", "<p><a href=\"https://ok.example/?a=1&amp;b=2\">x</a> 3 &lt; 4</p>");
  check_plain_text(clean, "ok", "3 < 4 & 5 > 2");
  CHECK(clean.problems.empty());
}

// ------------------------------------------------------------------ the holes the battery found

namespace {

bool has_warning(const ParsedFeed& feed, const std::string& text) {
  return std::any_of(feed.warnings.begin(), feed.warnings.end(),
                     [&](const std::string& w) { return w.find(text) != std::string::npos; });
}

}  // namespace

TEST_CASE("An entry link or enclosure URL with a javascript: or data: scheme is dropped, with a warning", "[xss]") {
  const std::string doc =
      "<rss version=\"2.0\"><channel><title>t</title>"
      "<item><title>a</title><link>java\tscript:alert(1)</link>"
      "<enclosure url=\" data:text/html,x\" type=\"text/html\" length=\"1\"/></item>"
      "<item><title>b</title><link>https://ok.example/b</link></item></channel></rss>";
  // No --url: nothing to resolve against, so the link is judged as written.
  const auto parsed = parse_feed(doc);
  REQUIRE(parsed.ok());
  CHECK(!parsed->entries[0].link);
  CHECK(parsed->entries[0].enclosures.empty());
  CHECK(has_warning(*parsed, "entry 1: <link> URL with scheme \"javascript\" dropped"));
  CHECK(has_warning(*parsed, "entry 1: <enclosure> URL with scheme \"data\" dropped"));
  CHECK(parsed->entries[1].link == "https://ok.example/b");
  // The warning names the scheme, never the URL: nothing of it reaches an output.
  CHECK(to_parse_json(*parsed).find("alert") == std::string::npos);
}

TEST_CASE("A relative link under a javascript: xml:base is dropped", "[xss]") {
  const std::string doc =
      "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:base=\"javascript:alert(1)//\"><title>t</title><id>f</id>"
      "<entry><id>1</id><title>a</title><link href=\"x\"/></entry></feed>";
  const auto parsed = parse_feed(doc, "", "https://feed.example/feed.xml");
  REQUIRE(parsed.ok());
  CHECK(!parsed->entries[0].link);
}

TEST_CASE("A JSON Feed item's javascript: url and attachment are dropped, with a warning", "[xss]") {
  const std::string doc = R"JSON({"version": "https://jsonfeed.org/version/1.1", "title": "t",
    "home_page_url": "javascript:alert(0)",
    "items": [{"id": "1", "url": "\u0001javascript:alert(1)", "content_text": "x",
               "attachments": [{"url": "vbscript:msgbox(1)", "mime_type": "audio/mpeg"}]}]})JSON";
  const auto parsed = parse_feed(doc, "", "https://feed.example/feed.json");
  REQUIRE(parsed.ok());
  CHECK(!parsed->feed.link);
  CHECK(!parsed->entries[0].link);
  CHECK(parsed->entries[0].enclosures.empty());
  CHECK(has_warning(*parsed, "entry 1: \"url\" URL with scheme \"javascript\" dropped"));
  CHECK(has_warning(*parsed, "feed: \"home_page_url\" URL with scheme \"javascript\" dropped"));
}

TEST_CASE("A title that spells a tag in entities keeps its text but opens no tag", "[xss]") {
  const std::string doc =
      "<rss version=\"2.0\"><channel><title>&amp;lt;b&amp;gt;bold&amp;lt;/b&amp;gt; 3 &lt; 4, &lt;3</title>"
      "<item><title>&amp;lt;script&amp;gt;alert(1)&amp;lt;/script&amp;gt;</title></item></channel></rss>";
  const auto parsed = parse_feed(doc);
  REQUIRE(parsed.ok());
  CHECK(parsed->feed.title == "\xE2\x80\xB9" "b>bold\xE2\x80\xB9/b> 3 < 4, <3");
  CHECK(parsed->entries[0].title == "\xE2\x80\xB9script>alert(1)\xE2\x80\xB9/script>");
  const std::string atom =
      "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title type=\"text\">&lt;img src=x onerror=alert(1)&gt;</title>"
      "<id>f</id></feed>";
  const auto parsed_atom = parse_feed(atom);
  REQUIRE(parsed_atom.ok());
  CHECK(parsed_atom->feed.title == "\xE2\x80\xB9img src=x onerror=alert(1)>");
}

TEST_CASE("The unified JSON Feed escapes <, >, &, U+2028 and U+2029 and still reads the same", "[xss]") {
  Story story;
  story.uid = "urn:feedd:story:1";
  story.title = "a </script><!-- & \xE2\x80\xA8 \xE2\x80\xA9 b";
  story.content = "<p>x &amp; y</p>";
  OutputSettings settings;
  const RenderedFeed rendered = render_json_feed(settings, {story}, FeedLinks{"http://x/feed.json", std::nullopt});
  CHECK(rendered.body.find('<') == std::string::npos);
  CHECK(rendered.body.find('>') == std::string::npos);
  CHECK(rendered.body.find('&') == std::string::npos);
  CHECK(rendered.body.find("\xE2\x80\xA8") == std::string::npos);
  CHECK(rendered.body.find("\\u2028") != std::string::npos);
  const json feed = json::parse(rendered.body);
  CHECK(feed["items"][0]["title"] == *story.title);
  CHECK(feed["items"][0]["content_html"] == "<p>x &amp; y</p>");
}

TEST_CASE("feedd parse JSON writes U+2028 and U+2029 as escapes", "[xss]") {
  const auto parsed = parse_feed("<rss version=\"2.0\"><channel><title>a\xE2\x80\xA8z\xE2\x80\xA9</title></channel></rss>");
  REQUIRE(parsed.ok());
  const std::string text = to_parse_json(*parsed);
  CHECK(text.find("\xE2\x80\xA8") == std::string::npos);
  CHECK(text.find("\xE2\x80\xA9") == std::string::npos);
  CHECK(json::parse(text)["feed"]["title"] == "a\xE2\x80\xA8z\xE2\x80\xA9");
}
