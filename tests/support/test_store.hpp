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
