#include "support/test_store.hpp"

#include <libpq-fe.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <atomic>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>

#include "support/paths.hpp"

namespace feedd::test {

namespace {

struct Finish {
  void operator()(PGconn* conn) const { PQfinish(conn); }
};
struct Clear {
  void operator()(PGresult* result) const { PQclear(result); }
};

std::string cluster_script(const std::string& action, const std::string& dir) {
  return std::string(kSourceDir) + "/tests/support/pg_cluster.sh " + action + " " + dir;
}

std::string socket_dir() {
  if (const char* dir = std::getenv("FEEDD_TEST_POSTGRES"); dir && *dir) return dir;
  // Started because FEEDD_TEST_POSTGRES was unset; stopped at exit.
  static OwnCluster own;
  return own.dir();
}

std::string uri_on(const std::string& dir, const std::string& database) {
  return "postgresql://postgres@/" + database + "?host=" + dir;
}
std::string uri_of(const std::string& database) { return uri_on(socket_dir(), database); }

std::string run_sql(const std::string& uri, const std::string& statement) {
  std::unique_ptr<PGconn, Finish> conn(PQconnectdb(uri.c_str()));
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    FAIL("cannot connect to the test cluster (" << uri << "): " << PQerrorMessage(conn.get()));
  }
  std::unique_ptr<PGresult, Clear> result(PQexec(conn.get(), statement.c_str()));
  const ExecStatusType status = PQresultStatus(result.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    FAIL(statement << ": " << PQresultErrorMessage(result.get()));
  }
  if (status == PGRES_TUPLES_OK && PQntuples(result.get()) > 0 && PQnfields(result.get()) > 0) {
    return PQgetvalue(result.get(), 0, 0);
  }
  return {};
}

// The databases store_location() made, dropped when the process ends.
struct PerFile {
  std::map<std::string, std::unique_ptr<TestDatabase>> databases;
};

}  // namespace

OwnCluster::OwnCluster() {
  static std::atomic<int> counter{0};
  dir_ = "/tmp/feedd-test-pg-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
  if (std::system((cluster_script("start", dir_) + " >/dev/null").c_str()) != 0) {
    throw std::runtime_error("could not start a PostgreSQL cluster in " + dir_);
  }
}

OwnCluster::~OwnCluster() { std::system(cluster_script("stop", dir_).c_str()); }

std::string OwnCluster::uri(const std::string& database) const { return uri_on(dir_, database); }

std::string OwnCluster::create_database(const std::string& database) const {
  run_sql(uri("postgres"), "CREATE DATABASE " + database);
  return uri(database);
}

std::string OwnCluster::sql(const std::string& database, const std::string& statement) const {
  return run_sql(uri(database), statement);
}

void OwnCluster::restart() const {
  if (std::system(cluster_script("restart", dir_).c_str()) != 0) {
    throw std::runtime_error("could not restart the PostgreSQL cluster in " + dir_);
  }
}

bool testing_postgres() {
  const char* backend = std::getenv("FEEDD_TEST_BACKEND");
  const char* cluster = std::getenv("FEEDD_TEST_POSTGRES");
  return (backend && std::string(backend) == "postgres") || (cluster && *cluster);
}

TestDatabase::TestDatabase() {
  static int counter = 0;
  name_ = "feedd_test_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
  run_sql(uri_of("postgres"), "CREATE DATABASE " + name_);
  uri_ = uri_of(name_);
}

TestDatabase::~TestDatabase() {
  // WITH (FORCE): a store the test leaked still holds a connection.
  std::unique_ptr<PGconn, Finish> conn(PQconnectdb(uri_of("postgres").c_str()));
  if (PQstatus(conn.get()) == CONNECTION_OK) {
    std::unique_ptr<PGresult, Clear> result(
        PQexec(conn.get(), ("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)").c_str()));
  }
}

std::string TestDatabase::sql(const std::string& statement) const { return run_sql(uri_, statement); }

std::string store_location(const std::filesystem::path& file) {
  if (!testing_postgres()) return file.string();
  socket_dir();  // a cluster of our own, if any, starts first and so stops after the drops
  static PerFile per_file;
  auto& database = per_file.databases[file.string()];
  if (!database) database = std::make_unique<TestDatabase>();
  return database->uri();
}

}  // namespace feedd::test
