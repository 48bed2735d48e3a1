#pragma once
// The store's tests run on both backends: on SQLite (a file in a temporary folder), and
// once more on PostgreSQL (the "postgres: " tests ctest registers, tests/CMakeLists.txt)
// when FEEDD_TEST_POSTGRES names the unix socket folder of a throw-away cluster (the ctest
// fixture starts one for the whole run) or FEEDD_TEST_BACKEND=postgres. Without
// FEEDD_TEST_POSTGRES (feedd_tests run by hand), the first test that needs PostgreSQL
// starts a cluster of its own (tests/support/pg_cluster.sh), stopped when the process ends.

#include <filesystem>
#include <string>

namespace feedd::test {

// A throw-away cluster of its own (tests/support/pg_cluster.sh) in a new folder under /tmp,
// stopped and removed on destruction: for a test that restarts the server, which the
// shared cluster other tests use at the same moment must never be. Throws
// std::runtime_error when no cluster can be started (no PostgreSQL server installed).
class OwnCluster {
 public:
  OwnCluster();
  ~OwnCluster();
  OwnCluster(const OwnCluster&) = delete;
  OwnCluster& operator=(const OwnCluster&) = delete;

  const std::string& dir() const { return dir_; }
  // The URI of `database` on this cluster (which need not exist yet).
  std::string uri(const std::string& database) const;
  // Makes an empty database and returns its URI.
  std::string create_database(const std::string& database) const;
  // Runs SQL in `database` as the superuser: the first column of the first row, as
  // TestDatabase::sql.
  std::string sql(const std::string& database, const std::string& statement) const;
  // Restarts the server (pg_ctl's fast shutdown): every open connection is cut.
  void restart() const;

 private:
  std::string dir_;
};

// FEEDD_TEST_POSTGRES is set, or FEEDD_TEST_BACKEND=postgres: store_location() is PostgreSQL.
bool testing_postgres();

// A fresh, empty database on the test cluster, dropped (with everything in it) on
// destruction. Its URI is what `database =` or Store::open takes.
class TestDatabase {
 public:
  TestDatabase();
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  const std::string& name() const { return name_; }
  const std::string& uri() const { return uri_; }
  // Runs SQL as the cluster's superuser in this database; returns the first column of the
  // first row ("" when none). Fails the test on an error.
  std::string sql(const std::string& statement) const;

 private:
  std::string name_;
  std::string uri_;
};

// Where a store test keeps its store: `file` itself on SQLite; on PostgreSQL, a fresh
// database made for `file` on first use (the same one again for the same file, so a test
// can reopen its store), dropped when the test process ends.
std::string store_location(const std::filesystem::path& file);

}  // namespace feedd::test
