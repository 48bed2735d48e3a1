// Hostile servers (issue 7): sources that drip, stall, lie about lengths, reset, bomb,
// loop, redirect where they must not, or serve junk. Each fetch must end within its
// limits with a clear error in the log and in `feedd status`, the source's earlier stories
// must stay, and the good sources must keep being fetched meanwhile. Everything runs on
// loopback: raw-TCP scripts (support/raw_server) for the framing a real HTTP library
// would not write, the Beast fixture server for the good sources, the real pipeline on a
// real SQLite file, then the real `feedd status`.

#include <catch2/catch.hpp>

#include <sys/resource.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <map>
#include <optional>
#include <mutex>
#include <sstream>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "feedd/config.hpp"
#include "feedd/fetch.hpp"
#include "feedd/pipeline.hpp"
#include "feedd/store.hpp"
#include "support/fixture_server.hpp"
#include "support/raw_server.hpp"
#include "support/run_feedd.hpp"
#include "support/sample_feeds.hpp"
#include "support/temp_dir.hpp"

using namespace feedd;
using namespace std::chrono_literals;
using test::http_head;
using test::RawConnection;
using test::RawServer;

namespace {

// ---- documents and encodings ----

// `windowBits` 15 + 16 writes gzip, 15 zlib (what HTTP calls deflate).
std::string compress(const std::string& data, int window_bits) {
  z_stream z{};
  REQUIRE(deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, window_bits, 9, Z_DEFAULT_STRATEGY) == Z_OK);
  std::string out(deflateBound(&z, data.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  REQUIRE(deflate(&z, Z_FINISH) == Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}
std::string gzip(const std::string& data) { return compress(data, 15 + 16); }
std::string zlib_deflate(const std::string& data) { return compress(data, 15); }

// A 16 MiB document of zeros, a few kB on the wire: past any max_bytes a test sets.
const std::string& zeros() {
  static const std::string bytes(16u << 20, '\0');
  return bytes;
}

std::string utf16(const std::string& ascii, bool little_endian) {
  std::string out;
  for (char c : ascii) {
    if (little_endian) {
      out += c;
      out += '\0';
    } else {
      out += '\0';
      out += c;
    }
  }
  return out;
}

std::string rss_with(const std::string& title) {
  return "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title>"
         "<item><guid>doc-1</guid><title>" + title + "</title><description>Text.</description></item>"
         "</channel></rss>";
}

// ---- the hostile server's scripts ----

std::string ok_head(std::size_t length, const std::string& more = "") {
  return http_head(200, "Content-Type: application/rss+xml\r\nContent-Length: " + std::to_string(length) +
                            "\r\nConnection: close\r\n" + more);
}

void send_document(RawConnection& c, const std::string& body, const std::string& more = "") {
  c.send(ok_head(body.size(), more) + body);
}

void redirect(RawConnection& c, int status, const std::string& location) {
  c.send(http_head(status, "Location: " + location + "\r\nContent-Length: 0\r\nConnection: close\r\n"));
}

void keep_sending(RawConnection& c, const std::string& piece) {
  while (c.send(piece)) {
  }
}

// A name from a path ("/gzip-bomb" -> "gzip-bomb"): the prefix of the source's stories.
std::string name_of(const std::string& path) { return path.substr(1); }

struct HostileCase {
  std::string path;
  // What the source's last error (log, store, `feedd status`) must say; "" when the
  // fetch is expected to succeed with what the document holds.
  std::string error;
  std::function<void(RawConnection&)> script;
};

std::vector<HostileCase> hostile_cases(const std::function<std::string(const std::string&)>& self_url) {
  const std::string gzip_bomb = gzip(zeros());
  const std::string deflate_bomb = zlib_deflate(zeros());
  const std::string nested_bomb = gzip(gzip(zeros()));
  const std::string feed = test::unrelated_rss("framing", 3);
  return {
      // Time: every one of these is cut by the whole-transfer timeout.
      {"/drip", "timed out", [](RawConnection& c) {
         if (!c.send(ok_head(100000))) return;
         while (c.send("<") && c.pause(50ms)) {
         }
       }},
      {"/stall-before-headers", "timed out", [](RawConnection& c) { c.pause(60s); }},
      {"/stall-after-headers", "timed out", [](RawConnection& c) {
         if (c.send(ok_head(5000))) c.pause(60s);
       }},
      {"/stall-mid-body", "timed out", [feed](RawConnection& c) {
         if (c.send(ok_head(feed.size()) + feed.substr(0, 100))) c.pause(60s);
       }},
      // Memory: every one of these is cut at max_bytes (decoded) or the header budget.
      {"/endless-chunked", "too large", [](RawConnection& c) {
         if (!c.send(http_head(200, "Transfer-Encoding: chunked\r\n"))) return;
         keep_sending(c, "4000\r\n" + std::string(0x4000, 'x') + "\r\n");
       }},
      {"/huge-declared", "too large", [](RawConnection& c) {
         if (c.send(ok_head(10ull << 30))) keep_sending(c, std::string(16384, 'x'));
       }},
      {"/huge-undeclared", "too large", [](RawConnection& c) {
         if (c.send(http_head(200, "Connection: close\r\n"))) keep_sending(c, std::string(16384, 'x'));
       }},
      {"/gzip-bomb", "too large", [gzip_bomb](RawConnection& c) {
         send_document(c, gzip_bomb, "Content-Encoding: gzip\r\n");
       }},
      {"/deflate-bomb", "too large", [deflate_bomb](RawConnection& c) {
         send_document(c, deflate_bomb, "Content-Encoding: deflate\r\n");
       }},
      {"/nested-gzip-bomb", "too large", [nested_bomb](RawConnection& c) {
         send_document(c, nested_bomb, "Content-Encoding: gzip, gzip\r\n");
       }},
      {"/encoding-chain", "content encoding", [feed](RawConnection& c) {
         // curl undoes at most five layers; each layer here is a real gzip.
         std::string body = feed;
         for (int i = 0; i < 6; ++i) body = gzip(body);
         send_document(c, body, "Content-Encoding: gzip, gzip, gzip, gzip, gzip, gzip\r\n");
       }},
      {"/unknown-encoding", "content encoding", [feed](RawConnection& c) {
         send_document(c, feed, "Content-Encoding: x-evil\r\n");
       }},
      {"/endless-headers", "headers over", [](RawConnection& c) {
         if (c.send("HTTP/1.1 200 OK\r\n")) keep_sending(c, "X-Junk: " + std::string(1000, 'j') + "\r\n");
       }},
      {"/endless-continue", "headers over", [](RawConnection& c) {
         keep_sending(c, "HTTP/1.1 100 Continue\r\n\r\n");
       }},
      // Framing.
      {"/long-content-length", "bytes remaining", [](RawConnection& c) {
         c.send(ok_head(5000) + "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel>");
       }},
      {"/short-content-length", "", [feed](RawConnection& c) {
         // Says 100 bytes fewer than it sends: the cut text is what the parser sees.
         c.send(ok_head(feed.size() - 100) + feed);
       }},
      {"/reset-mid-body", "Connection reset by peer", [feed](RawConnection& c) {
         if (c.send(ok_head(feed.size()) + feed.substr(0, 200)) && c.pause(100ms)) c.reset();
       }},
      {"/truncated-chunked", "transfer closed", [feed](RawConnection& c) {
         char size[16];
         std::snprintf(size, sizeof size, "%zx\r\n", feed.size());
         c.send(http_head(200, "Transfer-Encoding: chunked\r\n") + size + feed.substr(0, 300));
       }},
      {"/bad-chunk-size", "chunk", [](RawConnection& c) {
         c.send(http_head(200, "Transfer-Encoding: chunked\r\n") + "zz-not-hex\r\nabc\r\n0\r\n\r\n");
       }},
      {"/not-http", "Received HTTP/0.9 when not allowed", [](RawConnection& c) { c.send("SSH-2.0-OpenSSH_9.2\r\n"); }},
      {"/close-at-once", "Empty reply", [](RawConnection&) {}},
      // Redirects.
      {"/redirect-without-location", "HTTP 302 (a redirect without Location)", [](RawConnection& c) {
         c.send(http_head(302, "Content-Length: 0\r\nConnection: close\r\n"));
       }},
      {"/redirect-loop", "Maximum (5) redirects", [](RawConnection& c) { redirect(c, 302, "/redirect-loop"); }},
      {"/redirect-chain/0", "Maximum (5) redirects", [](RawConnection& c) {
         const int n = std::stoi(c.target().substr(std::string("/redirect-chain/").size()));
         redirect(c, 301, "/redirect-chain/" + std::to_string(n + 1));
       }},
      {"/redirect-to-file", "redirect to file:///etc/passwd refused: only http and https are followed",
       [](RawConnection& c) { redirect(c, 302, "file:///etc/passwd"); }},
      {"/redirect-to-ftp", "refused: only http and https are followed",
       [self_url](RawConnection& c) { redirect(c, 301, "ftp" + self_url("/secret").substr(4)); }},
      {"/redirect-to-gopher", "refused: only http and https are followed",
       [self_url](RawConnection& c) { redirect(c, 307, "gopher" + self_url("/secret").substr(4)); }},
      // Status answers with odd Retry-After values.
      {"/429-negative-retry", "HTTP 429", [](RawConnection& c) {
         c.send(http_head(429, "Retry-After: -30\r\nContent-Length: 4\r\nConnection: close\r\n") + "slow");
       }},
      {"/429-huge-retry", "HTTP 429", [](RawConnection& c) {
         c.send(http_head(429, "Retry-After: 999999999999999999999999\r\nContent-Length: 4\r\nConnection: close\r\n") +
                "slow");
       }},
      {"/503-garbage-retry", "HTTP 503", [](RawConnection& c) {
         c.send(http_head(503, "Retry-After: soon, promise\r\nContent-Length: 4\r\nConnection: close\r\n") + "down");
       }},
      {"/503-past-retry", "HTTP 503", [](RawConnection& c) {
         c.send(http_head(503, "Retry-After: Mon, 01 Jan 2001 00:00:00 GMT\r\nContent-Length: 4\r\nConnection: close\r\n") +
                "down");
       }},
      // Content.
      {"/huge-validators", "", [](RawConnection& c) {
         // Stored validators go back out as request headers: a 100 kB ETag must not.
         send_document(c, rss_with("Huge validators"),
                       "ETag: \"" + std::string(100000, 'e') + "\"\r\nLast-Modified: " + std::string(5000, 'm') + "\r\n");
       }},
      {"/empty-200", "empty body", [](RawConnection& c) { send_document(c, ""); }},
      {"/html-page", "not a feed", [](RawConnection& c) {
         const std::string page = "<!DOCTYPE html><html><head><title>Welcome</title></head><body><p>Log in</p></body></html>";
         c.send(http_head(200, "Content-Type: text/html\r\nContent-Length: " + std::to_string(page.size()) +
                                   "\r\nConnection: close\r\n") + page);
       }},
      {"/wrong-charset", "", [](RawConnection& c) {
         const std::string body = rss_with("Wrong charset caf\xc3\xa9");
         c.send(http_head(200, "Content-Type: application/rss+xml; charset=utf-16\r\nContent-Length: " +
                                   std::to_string(body.size()) + "\r\nConnection: close\r\n") + body);
       }},
      {"/invalid-utf8", "", [](RawConnection& c) { send_document(c, rss_with("Bad \xff\xfe bytes \xc3")); }},
      {"/nul-bytes", "", [](RawConnection& c) {
         send_document(c, rss_with(std::string("NUL\0inside", 10)));
       }},
      {"/utf16-bom", "", [](RawConnection& c) {
         send_document(c, "\xff\xfe" + utf16(rss_with("UTF-16 with BOM"), true));
       }},
      {"/utf16-no-bom", "", [](RawConnection& c) {
         send_document(c, utf16("<?xml version=\"1.0\" encoding=\"UTF-16\"?>" +
                                    rss_with("UTF-16 without BOM").substr(21), false));
       }},
      {"/external-entity", "", [self_url](RawConnection& c) {
         send_document(c, "<?xml version=\"1.0\"?><!DOCTYPE rss [<!ENTITY leak SYSTEM \"" + self_url("/secret") +
                              "\"><!ENTITY pw SYSTEM \"file:///etc/passwd\">]>"
                              "<rss version=\"2.0\"><channel><title>t</title><item><guid>doc-1</guid>"
                              "<title>Entity &leak; &pw;</title><description>x</description></item></channel></rss>");
       }},
      {"/external-entity-broken", "", [self_url](RawConnection& c) {
         // Not well-formed, so the recovering second parse (libxml2) reads it too.
         send_document(c, "<?xml version=\"1.0\"?><!DOCTYPE rss [<!ENTITY leak SYSTEM \"" + self_url("/secret") +
                              "\">]><rss version=\"2.0\"><channel><title>t</title><item><guid>doc-1</guid>"
                              "<title>Broken &leak;</title><description>x</b></description></item>");
       }},
  };
}

// ---- the run ----

Config parse_text(const test::TempDir& dir, const std::string& text) {
  test::write_file(dir / "feeds.conf", text);
  ConfigResult parsed = parse_config(text, dir / "feeds.conf");
  INFO(text);
  REQUIRE(parsed.ok());
  return parsed.config;
}

struct Pass {
  PassSummary summary;
  // Fetched sources counted at each progress report, with the time since the start.
  std::vector<std::pair<int, std::chrono::milliseconds>> progress;
};

Pass run_pass(const Config& config) {
  boost::asio::io_context io;
  Aggregator aggregator(io, config);
  REQUIRE(aggregator.open().is_ok());
  Pass pass;
  bool finished = false;
  aggregator.run_once(
      [&](const PassSummary& s) {
        pass.summary = s;
        finished = true;
        io.stop();
      },
      [&](const PassSummary& s, std::chrono::milliseconds elapsed) { pass.progress.emplace_back(s.fetched, elapsed); });
  io.run_for(20s);
  REQUIRE(finished);
  return pass;
}

std::map<std::string, SourceState> states_by_url(const test::TempDir& dir) {
  auto store = Store::open(dir / "feedd.db");
  REQUIRE(store.ok());
  auto states = store.value()->source_states();
  REQUIRE(states.ok());
  std::map<std::string, SourceState> out;
  for (const SourceState& s : *states) out[s.url] = s;
  return out;
}

// Every line the default logger writes while it lives.
class LogCapture {
 public:
  LogCapture() : previous_(spdlog::default_logger()) {
    auto logger = std::make_shared<spdlog::logger>("capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(lines_));
    logger->set_level(spdlog::level::info);
    spdlog::set_default_logger(logger);
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }
  std::string text() const { return lines_.str(); }

 private:
  std::shared_ptr<spdlog::logger> previous_;
  std::ostringstream lines_;
};

long peak_rss_kib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

std::string line_of(const std::string& table, const std::string& url) {
  std::istringstream lines(table);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(url + " ", 0) == 0) return line;
  }
  return {};
}

bool valid_utf8(const std::string& s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) return false;
    }
    i += n;
  }
  return true;
}

}  // namespace

TEST_CASE("Hostile servers each end within their limits with a clear error while nothing is lost and good sources go on",
          "[hostile-server]") {
  test::TempDir dir;
  std::atomic<bool> hostile{false};
  std::mutex seen_mutex;
  std::vector<std::string> seen;  // every target the hostile server was asked for
  std::vector<HostileCase> cases;
  RawServer server([&](RawConnection& c) {
    const std::string target = c.target();
    {
      std::lock_guard lock(seen_mutex);
      seen.push_back(target);
    }
    if (target == "/secret") return send_document(c, "SECRET-SHOULD-NEVER-BE-READ");
    if (!hostile) return send_document(c, test::unrelated_rss(name_of(target).substr(0, target.find('/', 1) - 1), 2));
    for (const HostileCase& hc : cases) {
      if (hc.path == target || (target.rfind("/redirect-chain/", 0) == 0 && hc.path == "/redirect-chain/0")) {
        return hc.script(c);
      }
    }
  });
  cases = hostile_cases([&server](const std::string& path) { return server.url(path); });

  std::atomic<int> good_version{2};
  test::FixtureServer good([&](const test::FixtureRequest& r) -> test::FixtureResponse {
    return {200, {{"Content-Type", "application/rss+xml"}}, test::unrelated_rss("good" + r.target.substr(1), good_version)};
  });
  const std::vector<std::string> good_urls = {good.url("/a"), good.url("/b"), good.url("/c")};

  // Short limits keep the run to a few seconds: every stall ends at `timeout`.
  std::string conf = "[daemon]\nlisten = \"\"\nhost_delay = \"0s\"\nper_host = 64\ntimeout = \"2s\"\n"
                     "max_bytes = \"256KiB\"\n";
  for (const HostileCase& hc : cases) conf += "[[feed]]\nurl = \"" + server.url(hc.path) + "\"\n";
  for (const std::string& url : good_urls) conf += "[[feed]]\nurl = \"" + url + "\"\n";
  const Config config = parse_text(dir, conf);
  REQUIRE(config.daemon.timeout == 2s);

  // Pass 1: every source is a well-behaved feed with two stories.
  const Pass first = run_pass(config);
  REQUIRE(first.summary.failed == 0);
  REQUIRE(first.summary.fetched == static_cast<int>(cases.size() + good_urls.size()));
  const auto before = states_by_url(dir);
  for (const HostileCase& hc : cases) REQUIRE(before.at(server.url(hc.path)).entries == 2);

  // Pass 2: the hostile sources turn; the good ones publish a third story.
  hostile = true;
  good_version = 3;
  LogCapture log;
  const long peak_kib_before = peak_rss_kib();
  const Pass second = run_pass(config);
  // Bounded in memory: endless bodies and headers at loopback speed would be gigabytes in
  // the 2 s the stalls take; the limits keep it to a few MiB (the bound leaves room for
  // the sanitizers' own overhead).
  CHECK(peak_rss_kib() - peak_kib_before < 400 * 1024);
  const std::string logged = log.text();
  INFO(logged);

  // Bounded in time: the stalls end at the 2 s timeout, not at the server's whim.
  CHECK(second.summary.elapsed < 8s);
  // The good sources (and the hostile documents that still parse) were all fetched
  // meanwhile, long before the stalled ones gave up.
  const int expected_fetched = static_cast<int>(
      good_urls.size() + std::count_if(cases.begin(), cases.end(), [](const HostileCase& hc) { return hc.error.empty(); }));
  CHECK(second.summary.fetched == expected_fetched);
  bool fetched_early = false;
  for (const auto& [fetched, elapsed] : second.progress) {
    if (fetched == expected_fetched && elapsed < 1500ms) fetched_early = true;
  }
  CHECK(fetched_early);

  const auto after = states_by_url(dir);
  for (const std::string& url : good_urls) {
    CHECK(after.at(url).entries == 3);
    CHECK(after.at(url).consecutive_failures == 0);
  }
  int expected_failures = 0;
  for (const HostileCase& hc : cases) {
    const std::string url = server.url(hc.path);
    const SourceState& state = after.at(url);
    INFO(hc.path << ": " << state.last_error.value_or("(no error)"));
    CHECK(state.entries >= 2);  // earlier stories untouched
    CHECK(state.etag.value_or("").size() <= 1024);
    CHECK(state.last_modified.value_or("").size() <= 1024);
    if (hc.error.empty()) {
      CHECK(state.consecutive_failures == 0);
      continue;
    }
    ++expected_failures;
    CHECK(state.consecutive_failures == 1);
    REQUIRE(state.last_error.has_value());
    CHECK(state.last_error->find(hc.error) != std::string::npos);
    CHECK(logged.find(url + ": ") != std::string::npos);
    CHECK(state.last_error->size() < 600);  // a line for a person, not the server's junk
  }
  CHECK(second.summary.failed == expected_failures);

  // No external entity was ever fetched, and no file's text reached the store.
  {
    std::lock_guard lock(seen_mutex);
    CHECK(std::count(seen.begin(), seen.end(), "/secret") == 0);
  }
  // Every stored text is valid UTF-8, whatever bytes the servers sent; nothing local leaked.
  auto store = Store::open(dir / "feedd.db");
  REQUIRE(store.ok());
  auto stories = store.value()->newest_stories(1000);
  REQUIRE(stories.ok());
  for (const Story& story : *stories) {
    const std::string title = story.title.value_or("");
    CHECK(valid_utf8(title));
    CHECK(title.find("root:") == std::string::npos);
    CHECK(title.find("SECRET") == std::string::npos);
  }

  // `feedd status` (the real binary, reading the same database) names each error.
  const test::Ran status = test::run_feedd("status --config " + test::quoted(dir / "feeds.conf"), dir);
  REQUIRE(status.exit_code == 0);
  for (const HostileCase& hc : cases) {
    if (hc.error.empty()) continue;
    INFO(hc.path);
    CHECK(line_of(status.out, server.url(hc.path)).find(hc.error) != std::string::npos);
  }
}

// ---- where a fetch may connect (issue 7, promise 4), over loopback with a seam ----

namespace {

// 127.0.0.2 plays a public server; every other address is what it really is.
AddressPolicy loopback_seam(bool allow_private = false) {
  AddressPolicy policy;
  policy.allow_private_networks = allow_private;
  policy.classify = [](std::string_view numeric) {
    return numeric == "127.0.0.2" ? AddressScope::kPublic : classify_address(numeric);
  };
  return policy;
}

FetchResult fetch_one(Fetcher& fetcher, boost::asio::io_context& io, FetchRequest req) {
  std::optional<FetchResult> got;
  fetcher.fetch(std::move(req), [&](FetchResult r) {
    got = std::move(r);
    io.stop();
  });
  io.restart();
  io.run_for(10s);
  REQUIRE(got.has_value());
  return std::move(*got);
}

FetchRequest seam_request(const std::string& url, AddressPolicy policy) {
  FetchRequest req = FetchRequest::for_url(url);
  req.timeout = 5s;
  req.connect_timeout = 2s;
  req.address_policy = std::move(policy);
  return req;
}

}  // namespace

TEST_CASE("A redirect from a public address to a loopback one is refused before any connection",
          "[hostile-server][address-policy]") {
  RawServer inside([](RawConnection& c) { send_document(c, rss_with("inside")); });
  const std::string location = GENERATE(std::string("127.0.0.1"), std::string("[::ffff:127.0.0.1]"),
                                        std::string("0.0.0.0"), std::string("localhost"));
  const std::string target = "http://" + location + ":" + std::to_string(inside.port()) + "/admin";
  RawServer outside([&](RawConnection& c) { redirect(c, 302, target); }, "127.0.0.2");
  boost::asio::io_context io;
  Fetcher fetcher(io, {});
  const FetchResult r = fetch_one(fetcher, io, seam_request(outside.url("/feed"), loopback_seam()));
  INFO(r.status.to_string());
  CHECK(r.status.kind() == StatusKind::kNetwork);
  CHECK(r.status.message().find("redirect to ") != std::string::npos);
  CHECK(r.status.message().find(" refused (allow_private_networks = false)") != std::string::npos);
  CHECK(r.body.empty());
  CHECK(outside.connections() == 1);
  CHECK(inside.connections() == 0);  // not one packet reached it
  if (location == "127.0.0.1") {
    CHECK(r.status.message().find("redirect to loopback address 127.0.0.1 (" + target + ") refused") !=
          std::string::npos);
  }
  if (location == "0.0.0.0") CHECK(r.status.message().find("unspecified address 0.0.0.0") != std::string::npos);
}

TEST_CASE("allow_private_networks lets a public source redirect into private space", "[hostile-server][address-policy]") {
  RawServer inside([](RawConnection& c) { send_document(c, rss_with("inside")); });
  RawServer outside([&](RawConnection& c) { redirect(c, 302, inside.url("/feed")); }, "127.0.0.2");
  boost::asio::io_context io;
  Fetcher fetcher(io, {});
  const FetchResult r = fetch_one(fetcher, io, seam_request(outside.url("/feed"), loopback_seam(true)));
  CHECK(r.status.is_ok());
  CHECK(r.body == rss_with("inside"));
  CHECK(inside.connections() == 1);
}

TEST_CASE("A source the operator wrote with a private address may redirect within private space",
          "[hostile-server][address-policy]") {
  RawServer inside([](RawConnection& c) { send_document(c, rss_with("inside")); });
  RawServer first([&](RawConnection& c) { redirect(c, 302, inside.url("/feed")); });
  boost::asio::io_context io;
  Fetcher fetcher(io, {});
  for (const std::string& host : {std::string("127.0.0.1"), std::string("localhost")}) {
    const std::string url = "http://" + host + ":" + std::to_string(first.port()) + "/feed";
    const FetchResult r = fetch_one(fetcher, io, seam_request(url, AddressPolicy{}));
    INFO(host << ": " << r.status.to_string());
    CHECK(r.status.is_ok());
    CHECK(r.body == rss_with("inside"));
  }
}

TEST_CASE("A connection to a private address left open by one source does not serve another's redirect",
          "[hostile-server][address-policy]") {
  test::FixtureServer inside([](const test::FixtureRequest&) -> test::FixtureResponse {
    return {200, {{"Content-Type", "application/rss+xml"}}, rss_with("inside")};
  });
  RawServer outside([&](RawConnection& c) { redirect(c, 302, inside.url("/feed")); }, "127.0.0.2");
  boost::asio::io_context io;
  Fetcher fetcher(io, {});
  // An operator's loopback source: allowed, and its keep-alive connection stays cached.
  REQUIRE(fetch_one(fetcher, io, seam_request(inside.url("/feed"), loopback_seam())).status.is_ok());
  const FetchResult r = fetch_one(fetcher, io, seam_request(outside.url("/feed"), loopback_seam()));
  INFO(r.status.to_string());
  CHECK(r.status.message().find("redirect to loopback address 127.0.0.1") != std::string::npos);
  CHECK(inside.request_count("/feed") == 1);  // the redirect's request never went out
}

TEST_CASE("A permanent redirect to a private address is never reported as the feed's new home",
          "[hostile-server][address-policy]") {
  RawServer inside([](RawConnection& c) { send_document(c, rss_with("inside")); });
  RawServer outside([&](RawConnection& c) { redirect(c, 301, inside.url("/feed")); }, "127.0.0.2");
  boost::asio::io_context io;
  Fetcher fetcher(io, {});
  const FetchResult r = fetch_one(fetcher, io, seam_request(outside.url("/feed"), loopback_seam()));
  CHECK_FALSE(r.status.is_ok());
  CHECK_FALSE(r.permanent_redirect.has_value());
}

TEST_CASE("A source moved by permanent redirects is trusted only as far as the URL the operator wrote",
          "[hostile-server][address-policy]") {
  RawServer inside([](RawConnection& c) { send_document(c, rss_with("inside")); });
  boost::asio::io_context io;
  Fetcher fetcher(io, {});
  AddressPolicy policy = loopback_seam();
  policy.operator_url = "http://127.0.0.2:1/feed";  // "public", where the source started
  const FetchResult r = fetch_one(fetcher, io, seam_request(inside.url("/feed"), policy));
  CHECK(r.status.message().find("connection to loopback address 127.0.0.1 refused (allow_private_networks = false)") !=
        std::string::npos);
  CHECK(inside.connections() == 0);
}

TEST_CASE("Odd Retry-After values are read as no wait, at most a day, or nothing", "[hostile-server]") {
  const std::map<std::string, std::optional<std::chrono::seconds>> expected = {
      {"-30", 0s},
      {"999999999999999999999999", 24h},
      {"soon, promise", std::nullopt},
      {"Mon, 01 Jan 2001 00:00:00 GMT", 0s},
      {"", std::nullopt},
      {"60; or later", std::nullopt},
  };
  std::string value;
  RawServer server([&](RawConnection& c) {
    c.send(http_head(429, "Retry-After: " + value + "\r\nContent-Length: 0\r\nConnection: close\r\n"));
  });
  boost::asio::io_context io;
  Fetcher fetcher(io, {});
  for (const auto& [text, wait] : expected) {
    value = text;
    const FetchResult r = fetch_one(fetcher, io, seam_request(server.url("/feed"), AddressPolicy{}));
    INFO("Retry-After: " << text);
    CHECK(r.http_status == 429);
    CHECK(r.retry_after == wait);
  }
}

TEST_CASE("A server that stalls one fetch does not hold up the other fetches to the same host and port",
          "[hostile-server]") {
  RawServer server([](RawConnection& c) {
    if (c.target() == "/stall") {
      c.pause(60s);
      return;
    }
    send_document(c, rss_with("prompt"));
  });
  boost::asio::io_context io;
  Fetcher fetcher(io, Fetcher::Limits{64, 8});
  std::vector<FetchResult> results;
  const auto started = std::chrono::steady_clock::now();
  std::optional<std::chrono::steady_clock::duration> prompt_ones_done;
  auto add = [&](const std::string& path) {
    FetchRequest req = seam_request(server.url(path), AddressPolicy{});
    req.timeout = 3s;
    fetcher.fetch(std::move(req), [&](FetchResult r) {
      results.push_back(std::move(r));
      if (results.size() == 5) prompt_ones_done = std::chrono::steady_clock::now() - started;
      if (results.size() == 6) io.stop();
    });
  };
  add("/stall");  // first: its connection is the one the others could be made to wait for
  io.run_for(50ms);
  for (int i = 0; i < 5; ++i) add("/feed" + std::to_string(i));
  io.restart();
  io.run_for(10s);
  REQUIRE(results.size() == 6);
  for (std::size_t i = 0; i < 5; ++i) CHECK(results[i].status.is_ok());
  CHECK(results[5].status.message().find("timed out") != std::string::npos);
  REQUIRE(prompt_ones_done.has_value());
  CHECK(*prompt_ones_done < 1500ms);  // not behind the stalled one's 3 s timeout
}
