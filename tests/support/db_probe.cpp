#include "support/db_probe.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>

namespace feedd::test {

DbProbe probe_database(const std::filesystem::path& file) {
  DbProbe seen;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    seen.error = db ? sqlite3_errmsg(db) : "cannot open";
    sqlite3_close(db);
    return seen;
  }
  auto text = [](sqlite3_stmt* s, int i) {
    const auto* t = sqlite3_column_text(s, i);
    return t ? std::string(reinterpret_cast<const char*>(t)) : std::string();
  };
  auto each_row = [&](const char* sql, auto&& on_row) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) != SQLITE_OK) {
      seen.error += std::string(sql) + ": " + sqlite3_errmsg(db) + "\n";
      return;
    }
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) on_row(stmt);
    if (rc != SQLITE_DONE) seen.error += std::string(sql) + ": " + sqlite3_errmsg(db) + "\n";
    sqlite3_finalize(stmt);
  };
  each_row("PRAGMA integrity_check", [&](sqlite3_stmt* s) { seen.integrity += text(s, 0); });
  each_row("PRAGMA journal_mode", [&](sqlite3_stmt* s) { seen.journal_mode = text(s, 0); });
  each_row("SELECT uid FROM stories", [&](sqlite3_stmt* s) { seen.uids.insert(text(s, 0)); });
  each_row("SELECT identity FROM entries", [&](sqlite3_stmt* s) { seen.identities.insert(text(s, 0)); });
  each_row("SELECT COUNT(*), COUNT(DISTINCT link) FROM stories", [&](sqlite3_stmt* s) {
    seen.stories = sqlite3_column_int64(s, 0);
    seen.distinct_links = sqlite3_column_int64(s, 1);
  });
  each_row("SELECT COUNT(*) FROM entries", [&](sqlite3_stmt* s) { seen.entries = sqlite3_column_int64(s, 0); });
  sqlite3_close(db);
  return seen;
}

HttpReply http_get(unsigned short port, const std::string& path) {
  HttpReply reply;
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return reply;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval timeout{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  std::string response;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    const std::string request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size())) {
      char buf[4096];
      for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) response.append(buf, static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  if (response.rfind("HTTP/1.1 ", 0) != 0 || response.size() < 12) return reply;
  reply.status = std::atoi(response.c_str() + 9);
  if (auto body = response.find("\r\n\r\n"); body != std::string::npos) {
    reply.head = response.substr(0, body);
    reply.body = response.substr(body + 4);
  }
  return reply;
}

unsigned short free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof addr;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &size);
  ::close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace feedd::test
