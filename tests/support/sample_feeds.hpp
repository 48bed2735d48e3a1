#pragma once
// Feed documents built from tests/data/news-article.txt (a real syndicated article), the
// way two outlets publish the same story: once as published, in <p> paragraphs, and once
// re-marked-up (line breaks instead of paragraphs, other white space, curly quotes as
// numeric character references).

#include <string>

namespace feedd::test {

// The article's headline.
std::string article_title();
// RSS 2.0 with the article (in <p> paragraphs, content:encoded) and `extra_items` more.
std::string article_as_published_rss(int extra_items = 1);
// Atom 1.0 with the same article re-marked-up, under another id and link.
std::string article_re_marked_atom();
// RSS 2.0 with `count` unrelated stories titled "<prefix> story N".
std::string unrelated_rss(const std::string& prefix, int count);

}  // namespace feedd::test
