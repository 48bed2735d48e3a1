#include "feedd/serve.hpp"

namespace feedd {

void FeedCache::put(std::string path, RenderedFeed feed) {
  // A new shared_ptr rather than an update in place: a response being written still holds
  // the previous render.
  feeds_.insert_or_assign(std::move(path), std::make_shared<const RenderedFeed>(std::move(feed)));
}

void FeedCache::put_page(std::string key, RenderedFeed feed) {
  // Crawlers walking deep into the archive must not grow the cache without bound; pages
  // are cheap to render again.
  if (pages_.size() >= kMaxPages) pages_.clear();
  pages_.insert_or_assign(std::move(key), std::make_shared<const RenderedFeed>(std::move(feed)));
}

void FeedCache::clear_pages() { pages_.clear(); }

std::shared_ptr<const RenderedFeed> FeedCache::get(std::string_view key) const {
  if (const auto it = feeds_.find(key); it != feeds_.end()) return it->second;
  if (const auto it = pages_.find(key); it != pages_.end()) return it->second;
  return nullptr;
}

std::optional<PageRequest> page_request(std::string_view target) {
  const std::size_t query = target.find('?');
  if (query == std::string_view::npos) return std::nullopt;
  std::string_view rest = target.substr(query + 1);
  rest = rest.substr(0, rest.find('#'));
  while (!rest.empty()) {
    const std::size_t amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    if (pair.substr(0, 7) == "before=") {
      return PageRequest{std::string(target.substr(0, query)), std::string(pair.substr(7))};
    }
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

std::string page_key(std::string_view path, std::string_view cursor) {
  return std::string(path) + "?before=" + std::string(cursor);
}

}  // namespace feedd
