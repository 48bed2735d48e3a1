#include "support/growing_feeds.hpp"

#include <algorithm>
#include <array>

namespace feedd::test {

namespace {

constexpr std::array<const char*, 16> kWords = {"harbour", "lantern", "granite", "meadow", "copper",  "violin",
                                                "orchard", "glacier", "pepper",  "saddle", "thunder", "quill",
                                                "marble",  "falcon",  "cobalt",  "willow"};

// Text no other item shares, so no two items collapse into one story.
std::string words_for(const std::string& path, int n) {
  std::size_t h = std::hash<std::string>{}(path + "#" + std::to_string(n));
  std::string text;
  for (int i = 0; i < 8; ++i, h /= 16) text += std::string(kWords[h % 16]) + " ";
  return text + "number " + std::to_string(n) + " of " + path;
}

}  // namespace

std::string GrowingFeeds::guid(const std::string& path, int n) { return "growing:" + path + ":" + std::to_string(n); }

FixtureServer::Handler GrowingFeeds::handler() {
  return [this](const FixtureRequest& request) { return answer(request); };
}

void GrowingFeeds::publish(const std::string& path, int count) {
  std::lock_guard lock(mutex_);
  published_[path] += count;
}

int GrowingFeeds::published(const std::string& path) const {
  std::lock_guard lock(mutex_);
  auto it = published_.find(path);
  return it == published_.end() ? 0 : it->second;
}

FixtureResponse GrowingFeeds::answer(const FixtureRequest& request) {
  std::lock_guard lock(mutex_);
  const std::string path = request.target;
  FixtureResponse response;
  if (options_.max_delay.count() > 0) {
    seed_ = seed_ * 1103515245u + 12345u;
    response.delay = std::chrono::milliseconds((seed_ >> 8) % static_cast<unsigned>(options_.max_delay.count() + 1));
  }
  published_[path] += options_.per_fetch;  // each request finds something new
  const auto version_tag = [&] { return "\"v" + std::to_string(published_[path]) + "\""; };
  if (auto it = request.headers.find("if-none-match"); it != request.headers.end() && it->second == version_tag()) {
    response.status = 304;
    response.headers = {{"ETag", version_tag()}};
    return response;
  }
  response.headers = {{"Content-Type", "application/rss+xml"}, {"ETag", version_tag()}};
  response.body = document(path, published_[path]);
  return response;
}

std::string GrowingFeeds::document(const std::string& path, int newest) const {
  std::string xml =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>Growing " + path +
      "</title><link>http://127.0.0.1/</link><description>keeps publishing</description>\n";
  for (int n = newest; n >= std::max(1, newest - options_.window + 1); --n) {
    xml += "<item><title>" + path + " item " + std::to_string(n) + "</title><guid isPermaLink=\"false\">" +
           guid(path, n) + "</guid><link>http://127.0.0.1/story" + path + "/" + std::to_string(n) +
           "</link><description>" + words_for(path, n) + "</description></item>\n";
  }
  return xml + "</channel></rss>\n";
}

}  // namespace feedd::test
