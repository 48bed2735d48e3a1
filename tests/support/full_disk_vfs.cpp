#include "support/full_disk_vfs.hpp"

#include <sqlite3.h>

#include <atomic>
#include <mutex>

namespace feedd::test {

namespace {

std::atomic<bool> g_full{false};
sqlite3_vfs* g_real = nullptr;
sqlite3_vfs g_vfs;
sqlite3_io_methods g_methods;

// Our file: the real one's state follows it in the same allocation (szOsFile covers both).
struct ShimFile {
  sqlite3_file base;
  sqlite3_file* real() { return reinterpret_cast<sqlite3_file*>(this + 1); }
};
ShimFile* shim(sqlite3_file* f) { return reinterpret_cast<ShimFile*>(f); }
sqlite3_file* real(sqlite3_file* f) { return shim(f)->real(); }

int shim_close(sqlite3_file* f) { return real(f)->pMethods ? real(f)->pMethods->xClose(real(f)) : SQLITE_OK; }
int shim_read(sqlite3_file* f, void* p, int n, sqlite3_int64 off) { return real(f)->pMethods->xRead(real(f), p, n, off); }
int shim_write(sqlite3_file* f, const void* p, int n, sqlite3_int64 off) {
  if (g_full.load()) {
    sqlite3_int64 size = 0;
    if (real(f)->pMethods->xFileSize(real(f), &size) != SQLITE_OK || off + n > size) return SQLITE_FULL;
  }
  return real(f)->pMethods->xWrite(real(f), p, n, off);
}
int shim_truncate(sqlite3_file* f, sqlite3_int64 size) { return real(f)->pMethods->xTruncate(real(f), size); }
int shim_sync(sqlite3_file* f, int flags) { return real(f)->pMethods->xSync(real(f), flags); }
int shim_file_size(sqlite3_file* f, sqlite3_int64* size) { return real(f)->pMethods->xFileSize(real(f), size); }
int shim_lock(sqlite3_file* f, int level) { return real(f)->pMethods->xLock(real(f), level); }
int shim_unlock(sqlite3_file* f, int level) { return real(f)->pMethods->xUnlock(real(f), level); }
int shim_check_reserved(sqlite3_file* f, int* out) { return real(f)->pMethods->xCheckReservedLock(real(f), out); }
int shim_file_control(sqlite3_file* f, int op, void* arg) { return real(f)->pMethods->xFileControl(real(f), op, arg); }
int shim_sector_size(sqlite3_file* f) { return real(f)->pMethods->xSectorSize(real(f)); }
int shim_device(sqlite3_file* f) { return real(f)->pMethods->xDeviceCharacteristics(real(f)); }
int shim_shm_map(sqlite3_file* f, int page, int size, int extend, void volatile** out) {
  return real(f)->pMethods->xShmMap(real(f), page, size, extend, out);
}
int shim_shm_lock(sqlite3_file* f, int offset, int n, int flags) {
  return real(f)->pMethods->xShmLock(real(f), offset, n, flags);
}
void shim_shm_barrier(sqlite3_file* f) { real(f)->pMethods->xShmBarrier(real(f)); }
int shim_shm_unmap(sqlite3_file* f, int remove) { return real(f)->pMethods->xShmUnmap(real(f), remove); }
// No memory-mapped I/O: every write goes through xWrite, where the disk is full.
int shim_fetch(sqlite3_file*, sqlite3_int64, int, void** out) {
  *out = nullptr;
  return SQLITE_OK;
}
int shim_unfetch(sqlite3_file*, sqlite3_int64, void*) { return SQLITE_OK; }

int shim_open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* f, int flags, int* out_flags) {
  ShimFile* file = shim(f);
  file->base.pMethods = nullptr;
  const int rc = g_real->xOpen(g_real, name, file->real(), flags, out_flags);
  if (rc == SQLITE_OK) file->base.pMethods = &g_methods;
  return rc;
}

void install() {
  g_real = sqlite3_vfs_find(nullptr);
  g_vfs = *g_real;
  g_vfs.zName = "feedd-test-full-disk";
  g_vfs.szOsFile = static_cast<int>(sizeof(ShimFile)) + g_real->szOsFile;
  g_vfs.xOpen = shim_open;
  g_vfs.pNext = nullptr;
  g_methods = sqlite3_io_methods{3,
                                 shim_close,
                                 shim_read,
                                 shim_write,
                                 shim_truncate,
                                 shim_sync,
                                 shim_file_size,
                                 shim_lock,
                                 shim_unlock,
                                 shim_check_reserved,
                                 shim_file_control,
                                 shim_sector_size,
                                 shim_device,
                                 shim_shm_map,
                                 shim_shm_lock,
                                 shim_shm_barrier,
                                 shim_shm_unmap,
                                 shim_fetch,
                                 shim_unfetch};
  sqlite3_vfs_register(&g_vfs, 1);
}

}  // namespace

FullDisk::FullDisk() {
  static std::once_flag once;
  std::call_once(once, install);
  g_full = false;
}

FullDisk::~FullDisk() { g_full = false; }

void FullDisk::fill() { g_full = true; }
void FullDisk::free() { g_full = false; }

}  // namespace feedd::test
