#include "store/wal_checkpointer.hpp"

#include <spdlog/spdlog.h>

namespace feedd::db {

WalCheckpointer::WalCheckpointer(sqlite3* writer, const std::string& file) {
  if (sqlite3_open_v2(file.c_str(), &own_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
    spdlog::debug("{}: no connection for background checkpoints ({}); SQLite checkpoints in the commits",
                  file, own_ ? sqlite3_errmsg(own_) : "out of memory");
    sqlite3_close_v2(own_);
    own_ = nullptr;
    return;
  }
  thread_ = std::thread([this] { run(); });
  // Replaces the automatic checkpoint (itself a WAL hook) on the writer's connection.
  sqlite3_wal_hook(writer, &WalCheckpointer::on_commit, this);
}

WalCheckpointer::~WalCheckpointer() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
  sqlite3_close_v2(own_);
}

int WalCheckpointer::on_commit(void* self, sqlite3*, const char*, int log_pages) {
  auto* checkpointer = static_cast<WalCheckpointer*>(self);
  if (log_pages < kCheckpointPages) return SQLITE_OK;
  {
    std::lock_guard lock(checkpointer->mutex_);
    checkpointer->wanted_ = true;
  }
  checkpointer->wake_.notify_one();
  return SQLITE_OK;
}

void WalCheckpointer::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return wanted_ || stopping_; });
    if (stopping_) return;
    wanted_ = false;
    lock.unlock();
    int log_pages = 0;
    int copied = 0;
    const int rc = sqlite3_wal_checkpoint_v2(own_, "main", SQLITE_CHECKPOINT_PASSIVE, &log_pages, &copied);
    if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
      spdlog::debug("{}: background checkpoint: {}", sqlite3_db_filename(own_, "main"), sqlite3_errmsg(own_));
    }
    lock.lock();
  }
}

}  // namespace feedd::db
