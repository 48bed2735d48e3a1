#include "support/paths.hpp"
#include "support/sample_feeds.hpp"

#include <sstream>
#include <vector>

#include "support/temp_dir.hpp"

namespace feedd::test {

namespace {

std::vector<std::string> article_lines() {
  std::istringstream in(read_file(std::string(::feedd::test::kTestDataDir) + "/news-article.txt"));
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::vector<std::string> article_paragraphs() {
  auto lines = article_lines();
  std::vector<std::string> paragraphs;
  for (std::size_t i = 4; i < lines.size(); ++i) {
    if (!lines[i].empty() && lines[i].rfind("By:", 0) != 0) paragraphs.push_back(lines[i]);
  }
  return paragraphs;
}

std::string escape_xml(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      default: out += c;
    }
  }
  return out;
}

// Curly quotes as numeric character references, as some CMSs write them.
std::string curly_quotes_as_references(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text.compare(i, 3, "\xE2\x80\x9C") == 0) { out += "&#8220;"; i += 2; }
    else if (text.compare(i, 3, "\xE2\x80\x9D") == 0) { out += "&#8221;"; i += 2; }
    else if (text.compare(i, 3, "\xE2\x80\x99") == 0) { out += "&#x2019;"; i += 2; }
    else out += text[i];
  }
  return out;
}

}  // namespace

std::string article_title() {
  auto lines = article_lines();
  return lines.at(2);
}

std::string article_as_published_rss(int extra_items) {
  std::string html;
  for (const auto& p : article_paragraphs()) html += "<p>" + p + "</p>\n";
  std::string out =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<rss version=\"2.0\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\">\n"
      "<channel><title>Human Rights Wire</title><link>https://wire.example.org/</link>\n"
      "<description>World desk</description>\n"
      "<item><title>" + escape_xml(article_title()) + "</title>\n"
      "<link>https://wire.example.org/2020/03/09/cooperation</link>\n"
      "<guid isPermaLink=\"false\">wire-0042</guid>\n"
      "<pubDate>Mon, 09 Mar 2020 08:00:00 GMT</pubDate>\n"
      "<content:encoded><![CDATA[" + html + "]]></content:encoded></item>\n";
  for (int i = 1; i <= extra_items; ++i) {
    out += "<item><title>Wire brief " + std::to_string(i) + "</title><guid>wire-brief-" + std::to_string(i) +
           "</guid><pubDate>Sun, 08 Mar 2020 0" + std::to_string(i % 10) +
           ":00:00 GMT</pubDate><description>&lt;p&gt;Brief number " + std::to_string(i) +
           " from the wire.&lt;/p&gt;</description></item>\n";
  }
  return out + "</channel></rss>\n";
}

std::string article_re_marked_atom() {
  std::string html;
  for (const auto& p : article_paragraphs()) html += "  " + curly_quotes_as_references(escape_xml(p)) + "<br>\r\n";
  return "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
         "<feed xmlns=\"http://www.w3.org/2005/Atom\">\n"
         "<title>Rights Digest</title><id>urn:test:digest</id>\n"
         "<link href=\"https://digest.example.net/\"/><updated>2020-03-10T06:00:00Z</updated>\n"
         "<entry><title>  " + escape_xml(article_title()) + "  </title>\n"
         "<id>tag:digest.example.net,2020:88</id>\n"
         "<link href=\"https://digest.example.net/2020/03/10/88\"/>\n"
         "<updated>2020-03-10T06:00:00Z</updated>\n"
         "<content type=\"html\">" + escape_xml(html) + "</content></entry>\n"
         "</feed>\n";
}

std::string unrelated_rss(const std::string& prefix, int count) {
  std::string out =
      "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>" + prefix +
      " Notes</title><link>https://" + prefix + ".example.com/</link><description>d</description>\n";
  for (int i = 1; i <= count; ++i) {
    const std::string n = std::to_string(i);
    out += "<item><title>" + prefix + " story " + n + "</title><link>https://" + prefix + ".example.com/" + n +
           "</link><pubDate>Tue, 10 Mar 2020 1" + std::to_string(i % 10) + ":00:00 GMT</pubDate>"
           "<description>Text of " + prefix + " story " + n + ".</description></item>\n";
  }
  return out + "</channel></rss>\n";
}

}  // namespace feedd::test
