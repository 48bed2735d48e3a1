#include "feedd/serve.hpp"

namespace feedd {

void FeedCache::put(std::string path, RenderedFeed feed) {
  // A new shared_ptr rather than an update in place: a response being written still holds
  // the previous render.
  feeds_.insert_or_assign(std::move(path), std::make_shared<const RenderedFeed>(std::move(feed)));
}

std::shared_ptr<const RenderedFeed> FeedCache::get(std::string_view path) const {
  const auto it = feeds_.find(path);
  return it == feeds_.end() ? nullptr : it->second;
}

}  // namespace feedd
