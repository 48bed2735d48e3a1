// Benchmarks of the story side (bench/README.md, "Stories and the unified feed"); not run
// by CI. Modes:
//   feedd_render_bench render N          render time per format for N stories
//   feedd_render_bench dedup             insert + near-duplicate lookup cost per story as
//                                        the store grows to 100,000 stories
//   feedd_render_bench serve DIR         render 200 stories into DIR/feed.atom, serve it
//                                        with feedd's HTTP server on 127.0.0.1:PORT (printed)
//                                        until stdin closes
// Stories are built from the articles in tests/data/near_duplicates/articles, each made
// unique by a serial number in its title and text.

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "feedd/dedup.hpp"
#include "feedd/render.hpp"
#include "feedd/serve.hpp"
#include "feedd/store.hpp"

using namespace feedd;
using SteadyClock = std::chrono::steady_clock;

namespace {

std::vector<std::pair<std::string, std::string>> articles() {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& file : std::filesystem::directory_iterator(FEEDD_SOURCE_DIR "/tests/data/near_duplicates/articles")) {
    std::ifstream in(file.path());
    std::string title, line, html;
    std::getline(in, title);
    while (std::getline(in, line)) html += "<p>" + line + "</p>";
    out.emplace_back(title, html);
  }
  return out;
}

// A distinct story per serial: words drawn (seeded by the serial) from the articles'
// vocabulary, five paragraphs of 40, so stories are as long as real ones and unrelated.
Entry make_entry(const std::vector<std::pair<std::string, std::string>>& base, int serial) {
  static const std::vector<std::string> vocabulary = [&] {
    std::vector<std::string> words;
    for (const auto& [title, html] : base) {
      std::istringstream in(html);
      std::string word;
      while (in >> word) {
        if (word.find('<') == std::string::npos) words.push_back(word);
      }
    }
    return words;
  }();
  std::uint64_t state = 0x9e3779b97f4a7c15ull * static_cast<std::uint64_t>(serial + 1);
  auto next_word = [&]() -> const std::string& {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return vocabulary[state % vocabulary.size()];
  };
  Entry e;
  e.id = "bench-" + std::to_string(serial);
  std::string title;
  for (int w = 0; w < 8; ++w) title += (w ? " " : "") + next_word();
  e.title = title;
  std::string html;
  for (int p = 0; p < 5; ++p) {
    html += "<p>";
    for (int w = 0; w < 40; ++w) html += (w ? " " : "") + next_word();
    html += ".</p>";
  }
  e.content = html;
  e.summary = "<p>" + title + "</p>";
  e.link = "https://news.example.org/" + *e.id;
  e.authors = {"Bench Desk"};
  e.categories = {"News"};
  e.content_hash = dedup::content_hash(*e.title, *e.content);
  return e;
}

std::unique_ptr<Store> fresh_store(const std::filesystem::path& file) {
  std::filesystem::remove(file);
  std::filesystem::remove(file.string() + "-wal");
  std::filesystem::remove(file.string() + "-shm");
  auto store = Store::open(file);
  if (!store.ok()) {
    std::cerr << store.status().to_string() << "\n";
    std::exit(1);
  }
  return std::move(store).value();
}

void fill(Store& store, int from, int to, Timestamp now, const std::vector<std::pair<std::string, std::string>>& base) {
  const int batch = 500;
  for (int start = from; start < to; start += batch) {
    FetchedFeed feed;
    feed.source_url = "https://source" + std::to_string(start % 7) + ".example.org/feed";
    for (int i = start; i < std::min(to, start + batch); ++i) feed.feed.entries.push_back(make_entry(base, i));
    if (!store.apply_fetch(feed, now).ok()) std::exit(1);
  }
}

double ms_since(SteadyClock::time_point start) {
  return std::chrono::duration<double, std::milli>(SteadyClock::now() - start).count();
}

int render_mode(int count) {
  const auto base = articles();
  const auto dir = std::filesystem::temp_directory_path() / "feedd-render-bench";
  std::filesystem::create_directories(dir);
  auto store = fresh_store(dir / "bench.db");
  fill(*store, 0, count, Timestamp{std::chrono::seconds{1'700'000'000}}, base);
  auto start = SteadyClock::now();
  auto page = store->stories_page(StoryQuery{static_cast<std::size_t>(count), std::nullopt, std::nullopt});
  const double read_ms = ms_since(start);
  OutputSettings output;
  for (OutputFormat format : kAllOutputFormats) {
    const int rounds = count <= 1000 ? 20 : 3;
    RenderedFeed rendered;
    start = SteadyClock::now();
    for (int i = 0; i < rounds; ++i) rendered = render_feed(format, output, page->stories, {"http://x/feed", std::nullopt});
    std::printf("render %-4s %6d stories: %8.2f ms per render (incl. ETag and gzip copy), %7.0f KiB, gzip %6.0f KiB;"
                " store read %.2f ms\n",
                std::string(extension(format)).c_str(), count, ms_since(start) / rounds, rendered.body.size() / 1024.0,
                rendered.gzip_body.size() / 1024.0, read_ms);
  }
  return 0;
}

int dedup_mode() {
  const auto base = articles();
  const auto dir = std::filesystem::temp_directory_path() / "feedd-render-bench";
  std::filesystem::create_directories(dir);
  auto store = fresh_store(dir / "dedup.db");
  const Timestamp now{std::chrono::seconds{1'700'000'000}};
  int stored = 0;
  for (int size : {1000, 10000, 100000}) {
    fill(*store, stored, size, now, base);
    stored = size;
    // 1000 new stories and 1000 near copies of stored ones, each in its own fetch, timed.
    const int probe = 1000;
    auto start = SteadyClock::now();
    fill(*store, 10'000'000 + size, 10'000'000 + size + probe, now, base);
    const double new_us = ms_since(start) * 1000 / probe;
    FetchedFeed copies;
    copies.source_url = "https://copies.example.net/feed";
    for (int i = 0; i < probe; ++i) {
      Entry e = make_entry(base, (i * 97) % size);
      e.id = "copy-" + std::to_string(size) + "-" + std::to_string(i);
      *e.content += "<p>Source: Bench Wire</p>";
      e.content_hash = dedup::content_hash(*e.title, *e.content);
      copies.feed.entries.push_back(e);
    }
    start = SteadyClock::now();
    auto applied = store->apply_fetch(copies, now);
    const double copy_us = ms_since(start) * 1000 / probe;
    std::printf("dedup at %6d stored stories: %6.1f us per new story, %6.1f us per near copy (%d of %d merged)\n",
                size, new_us, copy_us, applied.ok() ? applied->new_copies : -1, probe);
  }
  return 0;
}

int serve_mode(const std::filesystem::path& dir) {
  const auto base = articles();
  auto store = fresh_store(dir / "serve.db");
  fill(*store, 0, 200, Timestamp{std::chrono::seconds{1'700'000'000}}, base);
  auto page = store->stories_page(StoryQuery{200, std::nullopt, std::nullopt});
  RenderedFeed atom = render_atom(OutputSettings{}, page->stories, FeedLinks{"http://127.0.0.1/feed.atom", std::nullopt});
  if (!write_file_atomically(dir / "feed.atom", atom.body).is_ok()) return 1;
  boost::asio::io_context io;
  FeedCache cache;
  const std::string etag = atom.etag;
  cache.put("/feed.atom", std::move(atom));
  HttpServer server(io, cache);
  if (!server.listen("127.0.0.1:0").is_ok()) return 1;
  std::printf("%u %s\n", server.port(), etag.c_str());
  std::fflush(stdout);
  std::thread stopper([&] {
    std::string line;
    std::getline(std::cin, line);
    server.stop();
  });
  io.run();
  stopper.join();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "render" && argc > 2) return render_mode(std::stoi(argv[2]));
  if (mode == "dedup") return dedup_mode();
  if (mode == "serve" && argc > 2) return serve_mode(argv[2]);
  std::fprintf(stderr, "usage: feedd_render_bench render N | dedup | serve DIR\n");
  return 2;
}
