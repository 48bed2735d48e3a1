// Leases, host slots and the change marker (README, "Several daemons, one database"):
// two Stores on one SQLite file stand for two daemons; time is passed in, never slept.

#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include "feedd/dedup.hpp"
#include "feedd/store.hpp"
#include "support/temp_dir.hpp"
#include "support/test_store.hpp"

using namespace feedd;
using namespace std::chrono_literals;

namespace {

const Timestamp kT0{std::chrono::seconds{1'700'000'000}};
const MillisTimestamp kT0ms{kT0};
const std::string kA = "daemon-a:1:aaaa";
const std::string kB = "daemon-b:2:bbbb";

std::string url(int i) { return "https://news" + std::to_string(i % 3) + ".example.org/feed" + std::to_string(i) + ".xml"; }
std::string host(int i) { return "news" + std::to_string(i % 3) + ".example.org"; }

std::unique_ptr<Store> open_store(const std::filesystem::path& file, int sources = 6) {
  auto store = Store::open(test::store_location(file));
  INFO(store.status().to_string());
  REQUIRE(store.ok());
  std::vector<Source> list;
  for (int i = 0; i < sources; ++i) {
    Source source;
    source.url = url(i);
    list.push_back(source);
  }
  REQUIRE((*store)->sync_sources(list).is_ok());
  return std::move(store).value();
}

std::vector<ClaimRequest> requests(std::initializer_list<int> indexes) {
  std::vector<ClaimRequest> list;
  for (int i : indexes) list.push_back({url(i), host(i)});
  return list;
}

std::vector<SourceClaim> claim(Store& store, const std::vector<ClaimRequest>& list, const std::string& daemon,
                               MillisTimestamp now, ClaimLimits limits = {}) {
  auto claims = store.claim_sources(list, daemon, now, limits);
  INFO(claims.status().to_string());
  REQUIRE(claims.ok());
  REQUIRE(claims->size() == list.size());
  return std::move(claims).value();
}

int claimed(const std::vector<SourceClaim>& claims) {
  int n = 0;
  for (const SourceClaim& c : claims) n += c.claimed;
  return n;
}

FetchedFeed one_story(const std::string& source, const std::string& id) {
  FetchedFeed fetched;
  fetched.source_url = source;
  Entry entry;
  entry.id = id;
  entry.title = "Story " + id;
  entry.content = "<p>Text of " + id + "</p>";
  entry.content_hash = dedup::content_hash(*entry.title, *entry.content);
  fetched.feed.entries.push_back(entry);
  return fetched;
}

}  // namespace

TEST_CASE("A due source claimed by one daemon is refused to another until the lease is released",
          "[shared-store][store]") {
  test::TempDir dir;
  auto a = open_store(dir / "feedd.db");
  auto b = open_store(dir / "feedd.db");

  const auto first = claim(*a, requests({0, 1, 2}), kA, kT0ms);
  CHECK(claimed(first) == 3);
  const auto second = claim(*b, requests({0, 1, 2, 3}), kB, kT0ms + 1s);
  REQUIRE(second.size() == 4);
  for (int i = 0; i < 3; ++i) {
    CHECK_FALSE(second[i].claimed);
    CHECK(second[i].holder == kA);
    CHECK(second[i].retry_at == kT0 + ClaimLimits{}.lease);  // the lease's end
  }
  CHECK(second[3].claimed);  // nobody held source 3

  auto leases = b->live_leases(kT0 + 1s);
  REQUIRE(leases.ok());
  REQUIRE(leases->size() == 4);
  CHECK(leases->front().url == url(0));
  CHECK(leases->front().holder == kA);

  // Released with its next fetch in 10 minutes: still refused before then, whoever asks.
  REQUIRE(a->release_source(url(0), kA, kT0 + 600s).is_ok());
  const auto early = claim(*b, requests({0}), kB, kT0ms + 5s);
  CHECK_FALSE(early[0].claimed);
  CHECK_FALSE(early[0].holder);
  CHECK(early[0].retry_at == kT0 + 600s);
  CHECK(claim(*b, requests({0}), kB, kT0ms + 600s)[0].claimed);
}

TEST_CASE("A lease of a daemon that died expires and another daemon takes the source over", "[shared-store][store]") {
  test::TempDir dir;
  auto a = open_store(dir / "feedd.db");
  auto b = open_store(dir / "feedd.db");
  const ClaimLimits limits{.lease = 30s};
  REQUIRE(claimed(claim(*a, requests({0}), kA, kT0ms, limits)) == 1);
  a.reset();  // "killed": nothing released

  CHECK_FALSE(claim(*b, requests({0}), kB, kT0ms + 29s, limits)[0].claimed);
  CHECK(claim(*b, requests({0}), kB, kT0ms + 30s, limits)[0].claimed);
  // The late release of the dead daemon's run (had it come back) no longer touches it.
  auto again = open_store(dir / "feedd.db");
  REQUIRE(again->release_source(url(0), kA, kT0 + 3600s).is_ok());
  auto leases = again->live_leases(kT0 + 31s);
  REQUIRE(leases.ok());
  REQUIRE(leases->size() == 1);
  CHECK(leases->front().holder == kB);
}

TEST_CASE("A claim hands over the validators another daemon stored, and a clean stop releases every lease",
          "[shared-store][store]") {
  test::TempDir dir;
  auto a = open_store(dir / "feedd.db");
  auto b = open_store(dir / "feedd.db");
  REQUIRE(claimed(claim(*a, requests({0, 1}), kA, kT0ms)) == 2);
  FetchedFeed feed = one_story(url(0), "x");
  feed.etag = "\"v1\"";
  feed.last_modified = "Tue, 14 Nov 2023 22:13:20 GMT";
  REQUIRE(a->apply_fetch(feed, kT0).ok());
  REQUIRE(a->release_source(url(0), kA, kT0 + 60s).is_ok());
  REQUIRE(a->release_all(kA).is_ok());
  auto leases = b->live_leases(kT0);
  REQUIRE(leases.ok());
  CHECK(leases->empty());

  const auto claims = claim(*b, requests({0, 1}), kB, kT0ms + 60s);
  CHECK(claimed(claims) == 2);
  CHECK(claims[0].etag == "\"v1\"");
  CHECK(claims[0].last_modified == "Tue, 14 Nov 2023 22:13:20 GMT");
  CHECK_FALSE(claims[1].etag);
}

TEST_CASE("Claims of more sources than one statement holds answer each of them", "[shared-store][store]") {
  test::TempDir dir;
  auto a = open_store(dir / "feedd.db", 100);
  auto b = open_store(dir / "feedd.db", 100);
  std::vector<ClaimRequest> evens, all;
  for (int i = 0; i < 100; ++i) {
    if (i % 2 == 0) evens.push_back({url(i), host(i)});
    all.push_back({url(i), host(i)});
  }
  CHECK(claimed(claim(*a, evens, kA, kT0ms)) == 50);
  const auto claims = claim(*b, all, kB, kT0ms);
  for (int i = 0; i < 100; ++i) {
    INFO(i);
    CHECK(claims[i].url == url(i));
    CHECK(claims[i].claimed == (i % 2 == 1));
  }
}

TEST_CASE("A url the store does not know is claimed without a lease", "[shared-store][store]") {
  test::TempDir dir;
  auto a = open_store(dir / "feedd.db");
  const auto claims = claim(*a, {{"https://elsewhere.example.com/x.xml", "elsewhere.example.com"}}, kA, kT0ms);
  CHECK(claims[0].claimed);
  auto leases = a->live_leases(kT0);
  REQUIRE(leases.ok());
  CHECK(leases->empty());
}

TEST_CASE("Host spacing holds across daemons: one claim per host per host_delay", "[shared-store][store]") {
  test::TempDir dir;
  auto a = open_store(dir / "feedd.db");
  auto b = open_store(dir / "feedd.db");
  const ClaimLimits limits{.lease = 120s, .host_spacing = 1500ms};
  // Sources 0 and 3 share news0, 1 and 4 news1: one of each pair is given back.
  const auto first = claim(*a, requests({0, 3, 1, 4}), kA, kT0ms, limits);
  CHECK(first[0].claimed);
  CHECK_FALSE(first[1].claimed);
  CHECK(first[1].retry_at == kT0 + 2s);  // 1.5 s, asked again on the next whole second
  CHECK(first[2].claimed);
  CHECK_FALSE(first[3].claimed);
  // The other daemon obeys the same spacing, and its refusal leaves no lease behind.
  CHECK_FALSE(claim(*b, requests({3}), kB, kT0ms + 1s, limits)[0].claimed);
  auto leases = b->live_leases(kT0 + 1s);
  REQUIRE(leases.ok());
  CHECK(leases->size() == 2);
  CHECK(claim(*b, requests({3}), kB, kT0ms + 1500ms, limits)[0].claimed);
}

TEST_CASE("A Retry-After recorded by one daemon holds the whole host for every daemon", "[shared-store][store]") {
  test::TempDir dir;
  auto a = open_store(dir / "feedd.db");
  auto b = open_store(dir / "feedd.db");
  REQUIRE(a->hold_host(host(0), kT0ms + 120s).is_ok());
  REQUIRE(a->hold_host(host(0), kT0ms + 30s).is_ok());  // a shorter hold never shortens it
  const auto claims = claim(*b, requests({0, 3, 1}), kB, kT0ms + 60s);
  CHECK_FALSE(claims[0].claimed);
  CHECK(claims[0].retry_at == kT0 + 120s);
  CHECK_FALSE(claims[1].claimed);
  CHECK(claims[2].claimed);  // another host
  CHECK(claim(*b, requests({0, 3}), kB, kT0ms + 120s)[1].claimed);
}

TEST_CASE("The change marker moves for the other daemons only when stories change", "[shared-store][store]") {
  test::TempDir dir;
  auto a = open_store(dir / "feedd.db");
  auto b = open_store(dir / "feedd.db");
  REQUIRE(a->set_daemon_id(kA, kT0).is_ok());
  REQUIRE(b->set_daemon_id(kB, kT0).is_ok());
  auto seen = [&](Store& store, const std::string& id) {
    auto n = store.changes_by_others(id);
    REQUIRE(n.ok());
    return *n;
  };
  CHECK(seen(*b, kB) == 0);
  REQUIRE(a->apply_fetch(one_story(url(0), "x"), kT0).ok());
  CHECK(seen(*b, kB) == 1);
  CHECK(seen(*a, kA) == 0);  // its own changes are not news to it
  // The same document again changes nothing, and counts nothing.
  REQUIRE(a->apply_fetch(one_story(url(0), "x"), kT0 + 60s).ok());
  CHECK(seen(*b, kB) == 1);
  // Inside a group commit the count moves with the batch, not before it.
  REQUIRE(a->begin_batch().is_ok());
  REQUIRE(a->apply_fetch(one_story(url(1), "y"), kT0 + 60s).ok());
  CHECK(seen(*b, kB) == 1);
  REQUIRE(a->commit_batch().is_ok());
  CHECK(seen(*b, kB) == 2);
}
