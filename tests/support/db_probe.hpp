#pragma once
// Looks into a feedd database with SQLite directly (read-only, never through the Store),
// as an operator with the sqlite3 tool would: for tests that check what a crash or a
// fault left on disk.

#include <filesystem>
#include <set>
#include <string>

namespace feedd::test {

struct DbProbe {
  std::string error;        // why the file could not be read; "" when it could
  std::string integrity;    // PRAGMA integrity_check: "ok" when intact
  std::string journal_mode;
  std::set<std::string> uids;        // stories.uid
  std::set<std::string> identities;  // entries.identity (the items' guids)
  long long stories = 0, distinct_links = 0, entries = 0;
};

// A read-only connection: a write-ahead log left by a killed daemon stays for the daemon.
DbProbe probe_database(const std::filesystem::path& file);

// "HTTP/1.1 503 …": status and body of a plain GET to 127.0.0.1:port (0 when it failed).
struct HttpReply {
  int status = 0;
  std::string head;  // the status line and the headers, as sent
  std::string body;
};
HttpReply http_get(unsigned short port, const std::string& path);

// A TCP port on 127.0.0.1 nobody listens on right now.
unsigned short free_port();

}  // namespace feedd::test
