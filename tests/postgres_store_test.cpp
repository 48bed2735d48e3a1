// The PostgreSQL backend where it differs from SQLite: several daemons on one database, a
// server that restarts under the store.
// Every other store test runs on PostgreSQL too (the "postgres: " tests, support/test_store.hpp).
#include <catch2/catch.hpp>

#include <signal.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "feedd/dedup.hpp"
#include "feedd/store.hpp"
#include "support/db_probe.hpp"
#include "support/feedd_process.hpp"
#include "support/fixture_server.hpp"
#include "support/run_feedd.hpp"
#include "support/sample_feeds.hpp"
#include "support/temp_dir.hpp"
#include "support/test_store.hpp"

using namespace feedd;
using namespace std::chrono_literals;

namespace {

const Timestamp kT0{std::chrono::seconds{1'700'000'000}};
const std::string kWorld = "https://world.example.org/rss.xml";
const std::string kWire = "https://wire.example.net/atom.xml";

Entry make_entry(const std::string& id, const std::string& title, const std::string& text) {
  Entry entry;
  entry.id = id;
  entry.title = title;
  entry.link = "https://world.example.org/" + id;
  entry.content = "<p>" + text + "</p>";
  entry.content_hash = dedup::content_hash(title, *entry.content);
  return entry;
}

FetchedFeed fetched(const std::string& url, std::vector<Entry> entries) {
  FetchedFeed result;
  result.source_url = url;
  result.feed.feed.title = url;
  result.feed.entries = std::move(entries);
  return result;
}

std::unique_ptr<Store> open_store(const std::string& uri, StoreOptions options = {}) {
  auto store = Store::open(uri, options);
  INFO(store.status().to_string());
  REQUIRE(store.ok());
  // Near-duplicate matching would collapse the test's short texts by itself; these tests
  // are about content hashes and locks.
  store.value()->set_near_duplicates(false);
  return std::move(store).value();
}

// Waits (up to 5 s) until some connection to `db` waits for a lock another holds.
bool someone_waits_for_a_lock(const test::TestDatabase& db) {
  for (int i = 0; i < 250; ++i) {
    const std::string waiting = db.sql(
        "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'");
    if (waiting != "0") return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

}  // namespace

TEST_CASE("Two daemons storing one story from two sources at the same moment store it once, with both sources",
          "[postgres]") {
  test::TestDatabase db;
  auto first = open_store(db.uri());
  auto second = open_store(db.uri());
  const Entry story = make_entry("a1", "Talks resume", "Delegates met in Geneva.");

  REQUIRE(first->begin_batch().is_ok());
  REQUIRE(second->begin_batch().is_ok());
  auto stored_first = first->apply_fetch(fetched(kWorld, {story}), kT0);
  REQUIRE(stored_first.ok());
  CHECK(stored_first->new_stories == 1);

  // The second daemon's insert of the same content waits for the first one's batch.
  Result<ApplyStats> stored_second = Status::database("not run");
  std::thread other([&] { stored_second = second->apply_fetch(fetched(kWire, {story}), kT0 + 1s); });
  const bool waited = someone_waits_for_a_lock(db);
  REQUIRE(first->commit_batch().is_ok());
  other.join();
  CHECK(waited);
  INFO(stored_second.status().to_string());
  REQUIRE(stored_second.ok());
  CHECK(stored_second->new_stories == 0);
  CHECK(stored_second->new_copies == 1);
  REQUIRE(second->commit_batch().is_ok());

  CHECK(*first->story_count() == 1);
  auto stories = first->newest_stories(10);
  REQUIRE(stories.ok());
  REQUIRE(stories->size() == 1);
  const auto& sources = stories->at(0).sources;
  REQUIRE(sources.size() == 2);
  CHECK(sources[0].url == kWorld);
  CHECK(sources[1].url == kWire);
  CHECK(sources[1].merge_reason == "same content hash");
}

TEST_CASE("A deadlock between two daemons' batches loses one fetch, never either batch", "[postgres]") {
  test::TestDatabase db;
  auto first = open_store(db.uri());
  auto second = open_store(db.uri());
  const Entry one = make_entry("a1", "Talks resume", "Delegates met in Geneva.");
  const Entry two = make_entry("b1", "Ceasefire holds", "A quiet night on the border.");

  REQUIRE(first->begin_batch().is_ok());
  REQUIRE(second->begin_batch().is_ok());
  REQUIRE(first->apply_fetch(fetched(kWorld, {one}), kT0).ok());
  REQUIRE(second->apply_fetch(fetched(kWire, {two}), kT0).ok());
  // Each now stores the story the other holds uncommitted: each waits for the other.
  // PostgreSQL breaks the cycle (deadlock_timeout, 1 s) by failing one of the two inserts;
  // the other still waits for the loser's batch, whose earlier fetch holds the story.
  Result<ApplyStats> crossed[2] = {Status::database("not run"), Status::database("not run")};
  std::atomic<int> first_done{-1};
  Store* stores[2] = {first.get(), second.get()};
  const FetchedFeed crossing[2] = {fetched(kWorld, {two}), fetched(kWire, {one})};
  std::thread threads[2];
  for (int i = 0; i < 2; ++i) {
    threads[i] = std::thread([&, i] {
      crossed[i] = stores[i]->apply_fetch(crossing[i], kT0 + 1s);
      int none = -1;
      first_done.compare_exchange_strong(none, i);
    });
  }
  for (int i = 0; i < 500 && first_done.load() < 0; ++i) std::this_thread::sleep_for(10ms);
  const int loser = first_done.load();
  REQUIRE(loser >= 0);
  const int winner = 1 - loser;
  threads[loser].join();
  INFO(crossed[loser].status().to_string());
  REQUIRE_FALSE(crossed[loser].ok());
  CHECK(crossed[loser].status().kind() == StatusKind::kDatabase);
  CHECK_THAT(crossed[loser].status().message(), Catch::Contains("deadlock"));

  // The loser's batch goes on and commits what it holds; then the winner's insert finds
  // the story committed and its entry becomes a copy.
  CHECK(stores[loser]->in_batch());
  REQUIRE(stores[loser]->commit_batch().is_ok());
  threads[winner].join();
  INFO(crossed[winner].status().to_string());
  REQUIRE(crossed[winner].ok());
  CHECK(crossed[winner]->new_copies == 1);
  REQUIRE(stores[winner]->commit_batch().is_ok());

  CHECK(*first->story_count() == 2);
  const std::string urls[2] = {kWorld, kWire};
  CHECK(first->source_state(urls[winner]).value()->entries == 2);
  CHECK(first->source_state(urls[loser]).value()->entries == 1);
  // Retried, the lost fetch stores its entry as a copy too.
  auto retried = stores[loser]->apply_fetch(crossing[loser], kT0 + 2s);
  REQUIRE(retried.ok());
  CHECK(retried->new_copies == 1);
  CHECK(*first->story_count() == 2);
}

TEST_CASE("Daemons starting at once on a new database migrate it once", "[postgres]") {
  test::TestDatabase db;
  std::vector<Result<std::unique_ptr<Store>>> opened;
  for (int i = 0; i < 4; ++i) opened.emplace_back(Status::database("not run"));
  std::vector<std::thread> starting;
  for (int i = 0; i < 4; ++i) starting.emplace_back([&, i] { opened[i] = Store::open(db.uri()); });
  for (auto& thread : starting) thread.join();
  for (auto& store : opened) {
    INFO(store.status().to_string());
    REQUIRE(store.ok());
    CHECK((*store)->schema_version() == opened[0].value()->schema_version());
  }
  CHECK(db.sql("SELECT COUNT(*) FROM schema_migrations") == std::to_string(opened[0].value()->schema_version()));
  CHECK(db.sql("SELECT COUNT(DISTINCT version) FROM schema_migrations") ==
        std::to_string(opened[0].value()->schema_version()));
}

TEST_CASE("A PostgreSQL database written by a newer feedd is refused rather than guessed at", "[postgres]") {
  test::TestDatabase db;
  open_store(db.uri());
  db.sql("INSERT INTO schema_migrations(version, applied_at) VALUES (999, 0)");
  auto store = Store::open(db.uri());
  REQUIRE_FALSE(store.ok());
  CHECK(store.status().kind() == StatusKind::kDatabase);
  CHECK_THAT(store.status().message(), Catch::Contains("schema version 999") && Catch::Contains(db.name()));
}

TEST_CASE("A missing PostgreSQL database is an error naming it, without the password", "[postgres]") {
  test::TestDatabase db;
  std::string uri = db.uri();
  uri.replace(uri.find("postgres@"), 9, "postgres:hunter2@");
  uri.replace(uri.find(db.name()), db.name().size(), "no_such_feedd_db");
  auto store = Store::open(uri);
  REQUIRE_FALSE(store.ok());
  CHECK(store.status().kind() == StatusKind::kDatabase);
  CHECK_THAT(store.status().message(), Catch::Contains("no_such_feedd_db") && Catch::Contains("does not exist"));
  CHECK_THAT(store.status().message(), !Catch::Contains("hunter2"));
}

TEST_CASE("A fetch that fails half-way on PostgreSQL stores nothing, and a batch around it goes on", "[postgres]") {
  test::TestDatabase db;
  auto store = open_store(db.uri());
  db.sql(
      "CREATE FUNCTION refuse_poison() RETURNS trigger AS $$ BEGIN"
      " IF NEW.title = 'Poison' THEN RAISE EXCEPTION 'injected failure'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql;"
      " CREATE TRIGGER refuse_poison BEFORE INSERT ON stories FOR EACH ROW EXECUTE FUNCTION refuse_poison()");
  REQUIRE(store->begin_batch().is_ok());
  REQUIRE(store->apply_fetch(fetched(kWire, {make_entry("w1", "Markets calm", "Trading was light.")}), kT0).ok());
  auto result = store->apply_fetch(
      fetched(kWorld, {make_entry("a2", "Ceasefire holds", "Quiet night."), make_entry("a3", "Poison", "x")}), kT0);
  REQUIRE_FALSE(result.ok());
  CHECK_THAT(result.status().message(), Catch::Contains("injected failure") && Catch::Contains(kWorld));
  // The failure of a source is recorded in the same batch, which still commits.
  REQUIRE(store->record_failure(kWorld, 0, result.status().message(), kT0).is_ok());
  REQUIRE(store->commit_batch().is_ok());
  CHECK(*store->story_count() == 1);
  const auto world = store->source_state(kWorld);
  REQUIRE(world.ok());
  REQUIRE(world->has_value());
  CHECK((*world)->entries == 0);
  CHECK((*world)->consecutive_failures == 1);
}

TEST_CASE("An ETag that is not UTF-8 does not stop a source's fetches from being stored on PostgreSQL", "[postgres]") {
  test::TestDatabase db;
  auto store = open_store(db.uri());
  FetchedFeed latin1 = fetched(kWire, {make_entry("w1", "Markets calm", "Trading was light.")});
  latin1.etag = std::string("\"caf\xe9\"");  // a server's Latin-1 byte, as it sent it
  latin1.last_modified = std::string("Tue, 01 Dec 2026 10:00:00 GMT\0junk", 34);
  const auto stored = store->apply_fetch(latin1, kT0);
  INFO(stored.status().to_string());
  REQUIRE(stored.ok());
  CHECK(stored->new_stories == 1);
  const auto state = store->source_state(kWire);
  REQUIRE(state.ok());
  REQUIRE(state->has_value());
  // Text PostgreSQL can hold: the bad byte and the NUL each became U+FFFD.
  CHECK((*state)->etag == std::string("\"caf\xEF\xBF\xBD\""));
  CHECK((*state)->last_modified == std::string("Tue, 01 Dec 2026 10:00:00 GMT\xEF\xBF\xBDjunk"));
}

TEST_CASE("The start-up durability line names PostgreSQL and its synchronous_commit", "[postgres]") {
  test::TestDatabase db;
  auto store = open_store(db.uri());
  auto durability = store->durability();
  REQUIRE(durability.ok());
  CHECK_THAT(*durability, Catch::StartsWith("PostgreSQL 1") && Catch::Contains("synchronous_commit="));
}

TEST_CASE("feedd once with database = a postgresql:// URI stores the stories in PostgreSQL and writes the feed",
          "[postgres][cli]") {
  test::TempDir dir;
  test::TestDatabase db;
  test::FixtureServer server([](const test::FixtureRequest& r) -> test::FixtureResponse {
    if (r.target == "/wire.xml") return {200, {}, test::article_as_published_rss(1)};
    if (r.target == "/digest.atom") return {200, {}, test::article_re_marked_atom()};
    return {404, {}, "not here"};
  });
  const auto conf = test::write_file(dir / "feeds.conf", "[daemon]\nlisten = \"\"\ndatabase = \"" + db.uri() + "\"\n"
                                                         "[[feed]]\nurl = \"" + server.url("/wire.xml") + "\"\n"
                                                         "[[feed]]\nurl = \"" + server.url("/digest.atom") + "\"\n");
  const test::Ran ran = test::run_feedd("once --config " + test::quoted(conf), dir);
  INFO(ran.err);
  CHECK(ran.exit_code == 0);
  CHECK(ran.out.find("2 sources: 2 fetched, 0 not modified, 0 failed; 2 new stories, 1 duplicates collapsed") !=
        std::string::npos);
  CHECK(test::read_file(dir / "public/feed.atom").find(test::article_title()) != std::string::npos);
  // In PostgreSQL, not in a file next to the config.
  CHECK(db.sql("SELECT COUNT(*) FROM stories") == "2");
  CHECK(db.sql("SELECT COUNT(*) FROM entries") == "3");
  CHECK_FALSE(std::filesystem::exists(dir / "postgresql:"));
  CHECK_FALSE(std::filesystem::exists(dir / "feedd.db"));

  // feedd status reads the same database.
  const test::Ran status = test::run_feedd("status --config " + test::quoted(conf), dir);
  INFO(status.err);
  CHECK(status.exit_code == 0);
  CHECK(status.out.find(server.url("/wire.xml")) != std::string::npos);
}

// A server restarted under the daemon (an operator's `systemctl restart postgresql`, a
// failover) cuts every connection; each of the daemon's stores (the writer, the lease
// connection, the HTTP pages' reader) must connect again by itself. These restart a
// cluster of their own: the shared one serves other tests at the same moment.
TEST_CASE("A store whose PostgreSQL server restarted reconnects by itself and stores the next fetch beside the earlier ones",
          "[postgres]") {
  test::OwnCluster cluster;
  const std::string uri = cluster.create_database("feedd_restart");
  auto store = open_store(uri);
  auto reader = open_store(uri);  // as the daemon's page connection: reads only
  const Entry one = make_entry("a1", "Talks resume", "Delegates met in Geneva.");
  const Entry two = make_entry("a2", "Ceasefire holds", "A quiet night on the border.");
  REQUIRE(store->apply_fetch(fetched(kWorld, {one}), kT0).ok());
  REQUIRE(reader->source_states().ok());  // its statement prepared before the restart

  cluster.restart();

  auto after = store->apply_fetch(fetched(kWorld, {one, two}), kT0 + 1h);
  INFO(after.status().to_string());
  REQUIRE(after.ok());
  CHECK(after->new_stories == 1);
  CHECK(after->unchanged == 1);
  // A read prepared on the old connection is answered on the new one, first time.
  auto states = reader->source_states();
  INFO(states.status().to_string());
  REQUIRE(states.ok());
  REQUIRE(states->size() == 1);
  CHECK(states->at(0).entries == 2);
  auto stories = reader->newest_stories(10);
  REQUIRE(stories.ok());
  REQUIRE(stories->size() == 2);
  CHECK(stories->at(0).title != stories->at(1).title);
}

TEST_CASE("A group commit cut by a PostgreSQL restart is reported lost, and the next one stores its fetches again",
          "[postgres]") {
  test::OwnCluster cluster;
  const std::string uri = cluster.create_database("feedd_restart");
  auto store = open_store(uri);
  const Entry one = make_entry("a1", "Talks resume", "Delegates met in Geneva.");
  const Entry two = make_entry("w1", "Markets calm", "Trading was light.");
  REQUIRE(store->begin_batch().is_ok());
  REQUIRE(store->apply_fetch(fetched(kWorld, {one}), kT0).ok());

  cluster.restart();

  // The server rolled the batch back with the connection: nothing of it may be reported
  // stored, neither the fetch stored before the restart nor one after it.
  const auto during = store->apply_fetch(fetched(kWire, {two}), kT0);
  REQUIRE_FALSE(during.ok());
  CHECK_THAT(during.status().message(), Catch::Contains("lost"));
  CHECK_FALSE(store->commit_batch().is_ok());
  CHECK_FALSE(store->in_batch());

  // The daemon fetches a failed batch's sources again: this time they are stored.
  REQUIRE(store->begin_batch().is_ok());
  auto world = store->apply_fetch(fetched(kWorld, {one}), kT0 + 1min);
  auto wire = store->apply_fetch(fetched(kWire, {two}), kT0 + 1min);
  INFO(world.status().to_string() << " / " << wire.status().to_string());
  REQUIRE(world.ok());
  REQUIRE(wire.ok());
  CHECK(world->new_stories == 1);
  CHECK(wire->new_stories == 1);
  REQUIRE(store->commit_batch().is_ok());
  CHECK(*store->story_count() == 2);
}

TEST_CASE("feedd run on PostgreSQL goes on claiming, storing and serving older pages after the server restarts",
          "[postgres][shared-store]") {
  test::TempDir dir;
  test::OwnCluster cluster;
  const std::string database = "feedd_restart_daemon";
  const std::string uri = cluster.create_database(database);
  std::atomic<int> items{2};  // the feed's items: 2, then 3 after the restart
  test::FixtureServer server([&items](const test::FixtureRequest&) -> test::FixtureResponse {
    std::string body = "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Wire</title>";
    for (int i = 1; i <= items.load(); ++i) {
      const std::string n = std::to_string(i);
      body += "<item><guid>story-" + n + "</guid><title>Story number " + n + "</title><pubDate>Tue, 0" + n +
              " Dec 2026 10:00:00 GMT</pubDate><description>Text of story " + n + ".</description></item>";
    }
    return {200, {{"Content-Type", "application/rss+xml"}}, body + "</channel></rss>"};
  });
  const unsigned short port = test::free_port();
  const auto conf = test::write_file(
      dir / "feeds.conf", "[daemon]\nlisten = \"127.0.0.1:" + std::to_string(port) + "\"\ndatabase = \"" + uri +
                              "\"\noutput_dir = \"" + (dir / "public").string() +
                              "\"\ninterval = \"1s\"\nmin_interval = \"1s\"\nmax_interval = \"1s\"\n"
                              "host_delay = \"0s\"\nlog_level = \"info\"\n"
                              "[output]\nmax_entries = 1\nnear_duplicates = false\n"
                              "[[feed]]\nurl = \"" + server.url("/wire.xml") + "\"\n");
  test::FeeddProcess daemon({"run", "--config", conf.string()}, {}, dir / "feedd.log");
  // It serves once its schema is there.
  REQUIRE(daemon.wait_for_log("serving the unified feed", 30s));
  auto stories = [&] { return cluster.sql(database, "SELECT COUNT(*) FROM stories"); };
  auto wait_for = [](auto done) {
    for (int i = 0; i < 300 && !done(); ++i) std::this_thread::sleep_for(100ms);
    return done();
  };
  REQUIRE(wait_for([&] { return stories() == "2"; }));

  cluster.restart();
  items = 3;

  // The writer stores the new story: its connection came back.
  INFO(daemon.log());
  REQUIRE(wait_for([&] { return stories() == "3"; }));
  // A page older than the newest (max_entries = 1) is read on the HTTP reader's own
  // connection, which the restart cut too.
  // The feed is rendered again after the commit: until then its next page is story 1.
  std::string newest;
  REQUIRE(wait_for([&] {
    newest = test::http_get(port, "/feed.atom").body;
    return newest.find("Story number 3") != std::string::npos;
  }));
  const std::size_t next = newest.find("rel=\"next\" href=\"");
  REQUIRE(next != std::string::npos);
  std::string link = newest.substr(next + 17, newest.find('"', next + 17) - next - 17);
  link = link.substr(link.find("/feed.atom"));
  for (std::size_t amp = link.find("&amp;"); amp != std::string::npos; amp = link.find("&amp;")) link.replace(amp, 5, "&");
  const test::HttpReply older = test::http_get(port, link);
  CHECK(older.status == 200);
  CHECK(older.body.find("Story number 2") != std::string::npos);
  // Each connection the restart cut said so and came back by itself: the writer, the
  // lease connection that claims sources before each fetch, the HTTP pages' reader.
  REQUIRE(wait_for([&] {
    const std::string log = daemon.log();
    std::size_t reconnected = 0;
    for (std::size_t at = log.find("reconnected"); at != std::string::npos; at = log.find("reconnected", at + 1)) {
      ++reconnected;
    }
    return reconnected >= 3;
  }));
  CHECK(daemon.log().find("connection lost") != std::string::npos);
  // Claims work again: a claim that fails says so ("fetching them unclaimed"), and the
  // source is claimed once a second.
  const std::size_t seen = daemon.log().size();
  std::this_thread::sleep_for(3s);
  CHECK(daemon.log().find("unclaimed", seen) == std::string::npos);
  daemon.signal(SIGTERM);
  CHECK(daemon.wait_exit(10s) == 0);
}

TEST_CASE("A daemon starting beside one that is storing records its unchanged sources without waiting for its locks",
          "[postgres]") {
  test::TestDatabase db;
  std::vector<Source> sources(2);
  sources[0].url = kWorld;
  sources[1].url = kWire;
  sources[1].tags = {"markets"};
  auto running = open_store(db.uri());
  REQUIRE(running->sync_sources(sources).is_ok());
  // The running daemon's group commit holds the row of a source it just stored.
  REQUIRE(running->begin_batch().is_ok());
  REQUIRE(running->record_failure(kWorld, 503, "maintenance", kT0).is_ok());

  // An upsert of that row would wait for the batch (and, with rows taken in another order,
  // deadlock with it): a source that changed nothing is left alone.
  StoreOptions impatient;
  impatient.busy_timeout = 200ms;
  auto starting = open_store(db.uri(), impatient);
  const Status synced = starting->sync_sources(sources);
  INFO(synced.to_string());
  CHECK(synced.is_ok());
  // A changed source is still written (its row is not the one held).
  sources[1].title = "Wire desk";
  CHECK(starting->sync_sources(sources).is_ok());
  REQUIRE(running->commit_batch().is_ok());
  CHECK(db.sql("SELECT title FROM sources WHERE url = '" + kWire + "'") == "Wire desk");
  CHECK(db.sql("SELECT consecutive_failures FROM sources WHERE url = '" + kWorld + "'") == "1");
}
