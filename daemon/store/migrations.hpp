#pragma once
// Private to daemon/store/: the numbered schema migrations, one list per backend.

#include "feedd/status.hpp"
#include "store/connection.hpp"

namespace feedd::db {

// Number of the newest migration this build knows.
int newest_schema_version();

// Applies, in order and each in its own transaction (on PostgreSQL: savepoint, inside one
// transaction holding an advisory lock), every migration newer than the newest recorded in
// schema_migrations. Returns the version the database is at afterwards. A database written
// by a newer feedd (a version this build doesn't know) is refused.
// `found`, when given, receives the version recorded before (0 for a new database).
Result<int> migrate(Connection& db, int* found = nullptr);

}  // namespace feedd::db
