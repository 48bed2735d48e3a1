#include <catch2/catch.hpp>

#include "feedd/config.hpp"
#include "feedd/store.hpp"
#include "feedd/config_diff.hpp"
#include "support/temp_dir.hpp"

using namespace feedd;
using namespace std::chrono_literals;

namespace {
std::vector<std::string> messages(const ConfigResult& r) {
  std::vector<std::string> out;
  for (const auto& e : r.errors) out.push_back(e.to_string());
  return out;
}
}  // namespace

TEST_CASE("The documented example configuration is valid and read into settings", "[config]") {
  const auto r = parse_config(R"(
[daemon]
listen      = "127.0.0.1:8080"
database    = "feedd.db"
output_dir  = "public"
interval    = "30m"
concurrency = 64
per_host    = 4
timeout     = "30s"
max_bytes   = "16MiB"
user_agent  = "feedd/0.1"
retention   = "90d"
log_level   = "info"

[output]
title       = "Unified news"
id          = "urn:feedd:example"
link        = "http://127.0.0.1:8080/"
max_entries = 200
near_duplicates = true

[[feed]]
url      = "https://example.org/world/rss.xml"
title    = "Example World"
tags     = ["world"]
interval = "15m"
enabled  = true
include  = "(?i)human rights"
exclude  = "(?i)sponsored"

[[feed]]
url = "samples/world.xml"
)",
                              "/etc/feedd/feeds.conf");
  INFO(Catch::Detail::stringify(messages(r)));
  REQUIRE(r.ok());
  const Config& c = r.config;
  CHECK(c.daemon.database == "/etc/feedd/feedd.db");
  CHECK(c.daemon.output_dir == "/etc/feedd/public");
  CHECK(c.daemon.interval == 30min);
  CHECK(c.daemon.timeout == 30s);
  CHECK(c.daemon.max_bytes == 16u << 20);
  CHECK(c.daemon.retention == std::chrono::hours(24 * 90));
  CHECK(c.output.id == "urn:feedd:example");
  REQUIRE(c.sources.size() == 2);
  CHECK(c.sources[0].url == "https://example.org/world/rss.xml");
  CHECK(c.sources[0].title == "Example World");
  CHECK(c.sources[0].tags == std::vector<std::string>{"world"});
  CHECK(c.sources[0].interval == 15min);
  CHECK(c.sources[0].line == 22);
  CHECK(c.sources[1].url == "file:///etc/feedd/samples/world.xml");
  CHECK(c.sources[1].is_local_file());
  CHECK(c.sources[1].interval == 30min);
}

TEST_CASE("An unknown key is an error with its line, column and a did-you-mean hint", "[config]") {
  const auto r = parse_config("[daemon]\nintervall = \"5m\"\n", "feeds.conf");
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].to_string() == "feeds.conf:2:1: unknown key 'intervall' in [daemon] (did you mean 'interval'?)");
}

TEST_CASE("An unknown key with no close match gets no hint", "[config]") {
  const auto r = parse_config("[[feed]]\nurl = \"http://a/\"\nbanana = 1\n", "feeds.conf");
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].to_string() == "feeds.conf:3:1: unknown key 'banana' in [[feed]]");
}

TEST_CASE("Every error in the file is reported, in file order", "[config]") {
  const auto r = parse_config(R"([daemon]
interval = "5 minutes"
concurrency = 0
max_bytes = "16MB"
log_level = "loud"

[[feed]]
title = "no url"

[[feed]]
url = "gopher://old.example/"
interval = 30
include = "(unclosed"
)",
                              "feeds.conf");
  const auto m = messages(r);
  INFO(Catch::Detail::stringify(m));
  REQUIRE(m.size() == 8);
  CHECK(m[0].rfind("feeds.conf:2:12: 'interval': invalid duration '5 minutes'", 0) == 0);
  CHECK(m[1] == "feeds.conf:3:15: 'concurrency' must be between 1 and 100000");
  CHECK(m[2] == "feeds.conf:4:13: 'max_bytes': invalid size '16MB': unit must be B, KiB, MiB or GiB");
  CHECK(m[3].rfind("feeds.conf:5:13: 'log_level' must be one of", 0) == 0);
  CHECK(m[4] == "feeds.conf:7:1: [[feed]] has no 'url'");
  CHECK(m[5] == "feeds.conf:11:7: 'url' scheme 'gopher' is not supported: use http, https, file or a path");
  CHECK(m[6] == "feeds.conf:12:12: 'interval' must be a duration string with a unit, e.g. \"30m\"");
  CHECK(m[7].rfind("feeds.conf:13:11: 'include' is not a valid regular expression", 0) == 0);
}

TEST_CASE("Two feeds with the same URL are an error naming both lines", "[config]") {
  const auto r = parse_config(R"([[feed]]
url = "https://example.org/rss"

[[feed]]
url = "HTTPS://EXAMPLE.org/rss"
)",
                              "feeds.conf");
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].to_string() ==
        "feeds.conf:4:1: duplicate source HTTPS://EXAMPLE.org/rss: already defined at line 1");
}

TEST_CASE("A TOML syntax error is reported with its position", "[config]") {
  const auto r = parse_config("[daemon]\nlisten = \"127.0.0.1:8080\n", "feeds.conf");
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].line == 2);
  CHECK(r.errors[0].column > 0);
}

TEST_CASE("An unreadable file is one error without a position", "[config]") {
  test::TempDir dir;
  const auto r = load_config(dir / "missing.conf");
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].line == 0);
  CHECK(r.errors[0].to_string().find("cannot read the file") != std::string::npos);
}

TEST_CASE("Relative paths are resolved against the folder of the file", "[config]") {
  test::TempDir dir;
  test::write_file(dir / "etc/feeds.conf", "[daemon]\ndatabase = \"state/f.db\"\n[[feed]]\nurl = \"file:examples/a.xml\"\n");
  const auto r = load_config(dir / "etc/feeds.conf");
  REQUIRE(r.ok());
  CHECK(r.config.daemon.database == dir.path() / "etc/state/f.db");
  CHECK(r.config.daemon.output_dir == dir.path() / "etc/public");
  CHECK(r.config.sources[0].url == "file://" + (dir.path() / "etc/examples/a.xml").string());
}

TEST_CASE("A PostgreSQL database URI is kept as written, never resolved like a path", "[config]") {
  for (const std::string uri : {"postgresql://feedd@db.internal/feedd", "postgres://feedd:secret@/feedd?host=/run/pg"}) {
    const auto r = parse_config("[daemon]\ndatabase = \"" + uri + "\"\n", "/etc/feedd/feeds.conf");
    REQUIRE(r.ok());
    CHECK(r.config.daemon.database.native() == uri);
    CHECK(is_postgres_location(r.config.daemon.database.native()));
  }
  CHECK_FALSE(is_postgres_location("/var/lib/feedd/feedd.db"));
  CHECK_FALSE(is_postgres_location("postgresql.db"));
  CHECK(database_display_name("postgresql://feedd:secret@db.internal/feedd") == "postgresql://feedd@db.internal/feedd");
}

TEST_CASE("Durations and sizes take whole numbers with a unit", "[config]") {
  CHECK(parse_duration("90s").value() == 90s);
  CHECK(parse_duration("15m").value() == 15min);
  CHECK(parse_duration("2h").value() == 2h);
  CHECK(parse_duration("90d").value() == std::chrono::hours(90 * 24));
  CHECK_FALSE(parse_duration("15").ok());
  CHECK_FALSE(parse_duration("m").ok());
  CHECK_FALSE(parse_duration("-5m").ok());
  CHECK_FALSE(parse_duration("99999999999999999d").ok());
  CHECK(parse_size("512B").value() == 512);
  CHECK(parse_size("64KiB").value() == 64 * 1024);
  CHECK(parse_size("1GiB").value() == 1ull << 30);
  CHECK_FALSE(parse_size("1GB").ok());
}

TEST_CASE("An empty file is a valid configuration with defaults and no sources", "[config]") {
  const auto r = parse_config("", "/srv/feeds.conf");
  REQUIRE(r.ok());
  CHECK(r.config.sources.empty());
  CHECK(r.config.daemon.listen == "127.0.0.1:8080");
  CHECK(r.config.daemon.database == "/srv/feedd.db");
}

TEST_CASE("A reload's diff names the sources added, removed and changed", "[config]") {
  const auto before = parse_config(R"(
[[feed]]
url = "https://a.example/rss"
[[feed]]
url = "https://b.example/rss"
title = "B"
[[feed]]
url = "https://c.example/rss"
)",
                                   "feeds.conf");
  const auto after = parse_config(R"(
[output]
title = "Renamed"

# a comment moves every line: that alone is no change
[[feed]]
url = "https://a.example/rss"
[[feed]]
url = "https://b.example/rss"
title = "B, retitled"
[[feed]]
url = "https://d.example/rss"
)",
                                  "feeds.conf");
  REQUIRE(before.ok());
  REQUIRE(after.ok());
  const ConfigDiff diff = diff_configs(before.config, after.config);
  CHECK(diff.added == std::vector<std::string>{"https://d.example/rss"});
  CHECK(diff.removed == std::vector<std::string>{"https://c.example/rss"});
  CHECK(diff.changed == std::vector<std::string>{"https://b.example/rss"});
  CHECK_FALSE(diff.daemon_changed);
  CHECK(diff.output_changed);
  CHECK(diff.to_string() == "1 sources added, 1 removed, 1 changed ([output] changed)");
  CHECK(diff_configs(before.config, before.config).to_string() == "nothing changed");
}
