#pragma once
// Private to daemon/store/: the numbered schema migrations.

#include <sqlite3.h>

#include "feedd/status.hpp"

namespace feedd::db {

// Number of the newest migration this build knows.
int newest_schema_version();

// Applies, in order and each in its own transaction, every migration newer than the
// newest recorded in schema_migrations. Returns the version the file is at afterwards.
// A file written by a newer feedd (a version this build doesn't know) is refused.
// `found`, when given, receives the version recorded before (0 for a new file).
Result<int> migrate(sqlite3* db, int* found = nullptr);

}  // namespace feedd::db
