#include "pipeline/feed_renderer.hpp"

#include <set>

#include <spdlog/spdlog.h>

namespace feedd::pipeline {

std::string percent_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  return out;
}

FeedRenderer::FeedRenderer(const Config& config)
    : link_(config.output.link), output_dir_(config.daemon.output_dir),
      max_entries_(static_cast<std::size_t>(config.output.max_entries)) {
  if (!link_.empty() && link_.back() != '/') link_ += '/';
  feeds_.push_back(Feed{std::nullopt, "feed", config.output});
  std::set<std::string> tags;
  for (const Source& source : config.sources) tags.insert(source.tags.begin(), source.tags.end());
  for (const std::string& tag : tags) {
    Feed feed{tag, "tags/" + percent_encode(tag), config.output};
    feed.output.title = config.output.title + " \xE2\x80\x94 " + tag;
    feed.output.id = config.output.id + ":tag:" + percent_encode(tag);
    feeds_.push_back(std::move(feed));
  }
}

std::vector<std::string> FeedRenderer::paths() const {
  std::vector<std::string> out;
  for (const Feed& feed : feeds_) {
    for (OutputFormat format : kAllOutputFormats) out.push_back("/" + feed.base + "." + std::string(extension(format)));
  }
  return out;
}

std::optional<std::pair<const FeedRenderer::Feed*, OutputFormat>> FeedRenderer::find(std::string_view path) const {
  const std::size_t dot = path.rfind('.');
  if (path.empty() || path.front() != '/' || dot == std::string_view::npos) return std::nullopt;
  const auto format = format_for_extension(path.substr(dot + 1));
  if (!format) return std::nullopt;
  const std::string_view base = path.substr(1, dot - 1);
  for (const Feed& feed : feeds_) {
    if (feed.base == base) return std::make_pair(&feed, *format);
  }
  return std::nullopt;
}

Result<RenderedFeed> FeedRenderer::render(Store& store, const Feed& feed, OutputFormat format,
                                          std::optional<StoryCursor> before) const {
  StoryQuery query;
  query.limit = max_entries_;
  query.before = before;
  query.tag = feed.tag;
  auto page = store.stories_page(query);
  if (!page.ok()) return page.status();
  const std::string self = link_ + feed.base + "." + std::string(extension(format));
  FeedLinks links;
  links.self_url = before ? self + "?before=" + before->to_string() : self;
  if (page->next) links.next_url = self + "?before=" + page->next->to_string();
  return render_feed(format, feed.output, page->stories, links);
}

Result<std::vector<std::pair<std::string, RenderedFeed>>> FeedRenderer::render_first_pages(Store& store) const {
  std::vector<std::pair<std::string, RenderedFeed>> out;
  for (const Feed& feed : feeds_) {
    for (OutputFormat format : kAllOutputFormats) {
      auto rendered = render(store, feed, format, std::nullopt);
      if (!rendered.ok()) return rendered.status();
      const std::string name = feed.base + "." + std::string(extension(format));
      // A process killed mid-write left its temporary behind; the first write of each file
      // by this process clears them, so crashes never pile files up in output_dir.
      if (temporaries_cleared_.insert(name).second) {
        if (const std::size_t n = remove_abandoned_temporaries(output_dir_ / name)) {
          spdlog::info("{}: removed {} temporary file(s) an earlier run left", (output_dir_ / name).string(), n);
        }
      }
      if (Status s = write_file_atomically(output_dir_ / name, rendered->body); !s.is_ok()) {
        spdlog::error("{}", s.to_string());
      }
      out.emplace_back("/" + name, std::move(rendered).value());
    }
  }
  return out;
}

Result<std::optional<RenderedFeed>> FeedRenderer::render_page(Store& store, const PageRequest& page) const {
  const auto found = find(page.path);
  const auto cursor = StoryCursor::parse(page.cursor);
  if (!found || !cursor) return std::optional<RenderedFeed>();
  auto rendered = render(store, *found->first, found->second, cursor);
  if (!rendered.ok()) return rendered.status();
  return std::optional<RenderedFeed>(std::move(rendered).value());
}

}  // namespace feedd::pipeline
