#include <atomic>

#include "feedd/serve.hpp"

namespace feedd {

// Copy, change, publish: the HTTP threads may hold the previous snapshot (and the renders
// in it) for as long as they answer from it. Only one thread writes, so no change is lost
// between the copy and the store.
void FeedCache::put(std::string path, RenderedFeed feed) {
  auto next = std::make_shared<Snapshot>(*snapshot());
  next->feeds.insert_or_assign(std::move(path), std::make_shared<const RenderedFeed>(std::move(feed)));
  std::atomic_store(&snapshot_, std::shared_ptr<const Snapshot>(std::move(next)));
}

void FeedCache::set_health_problem(std::string problem) {
  auto next = std::make_shared<Snapshot>(*snapshot());
  next->health_problem = std::move(problem);
  std::atomic_store(&snapshot_, std::shared_ptr<const Snapshot>(std::move(next)));
}

void FeedCache::put_page(std::string key, RenderedFeed feed) {
  // Crawlers walking deep into the archive must not grow the cache without bound; pages
  // are cheap to render again.
  auto next = std::make_shared<Renders>();
  if (const auto current = pages(); current->size() < kMaxPages) *next = *current;
  next->insert_or_assign(std::move(key), std::make_shared<const RenderedFeed>(std::move(feed)));
  std::atomic_store(&pages_, std::shared_ptr<const Renders>(std::move(next)));
}

void FeedCache::clear_pages() { std::atomic_store(&pages_, std::make_shared<const Renders>()); }

std::shared_ptr<const FeedCache::Snapshot> FeedCache::snapshot() const { return std::atomic_load(&snapshot_); }

std::shared_ptr<const FeedCache::Renders> FeedCache::pages() const { return std::atomic_load(&pages_); }

std::shared_ptr<const RenderedFeed> FeedCache::get(std::string_view key) const {
  {
    const auto current = snapshot();
    if (const auto it = current->feeds.find(key); it != current->feeds.end()) return it->second;
  }
  const auto older = pages();
  if (const auto it = older->find(key); it != older->end()) return it->second;
  return nullptr;
}

std::string FeedCache::health_problem() const { return snapshot()->health_problem; }

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
