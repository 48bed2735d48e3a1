#pragma once
// Private to daemon/store/: WAL checkpoints of the daemon's SQLite writer, on a thread of
// their own with a connection of their own.
//
// A checkpoint copies the pages committed to the write-ahead log back into the database
// file and, with synchronous=NORMAL, syncs both: on a cold pass that was a third of the
// store thread's time, because SQLite's automatic checkpoint runs inside the commit that
// pushes the log past 1,000 pages, and the commit (and every fetch waiting for it) waits
// for the copy and the syncs. Here the writer's commits only append to the log; a PASSIVE
// checkpoint on this thread copies what no reader still needs, never taking the write
// lock, so the writer and the readers never wait for it either. A checkpoint that fails
// (a full disk, say) changes nothing and is tried again after the next commits; the last
// connection to close checkpoints whatever is left, as SQLite always does.

#include <sqlite3.h>

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace feedd::db {

class WalCheckpointer {
 public:
  // Takes over `writer`'s automatic checkpoints. `file` is the database the writer has
  // open. If the checkpointer cannot open its own connection, the writer keeps SQLite's
  // automatic checkpoints and nothing else changes.
  WalCheckpointer(sqlite3* writer, const std::string& file);
  ~WalCheckpointer();  // waits for a checkpoint in progress, then closes its connection
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

  // SQLite's own threshold for its automatic checkpoint: the log is kept about this size.
  static constexpr int kCheckpointPages = 1000;

 private:
  static int on_commit(void* self, sqlite3* db, const char* schema, int log_pages);
  void run();

  sqlite3* own_ = nullptr;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool wanted_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace feedd::db
