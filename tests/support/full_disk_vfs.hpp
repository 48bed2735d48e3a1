#pragma once
// A full disk for SQLite, in this process: a VFS that forwards everything to the default
// one (the real files) except that, while `full` is set, a write that would make a file
// longer fails with SQLITE_FULL ("database or disk is full"), as it does on a file system
// with no space left. Writes inside a file's current length still succeed, as they do on a
// full disk. Registered as the default VFS, so the Store's own connections use it.

namespace feedd::test {

class FullDisk {
 public:
  FullDisk();   // installs the VFS as the process's default (once; later ones reuse it)
  ~FullDisk();  // space again, the VFS stays installed (harmless while not full)
  FullDisk(const FullDisk&) = delete;
  FullDisk& operator=(const FullDisk&) = delete;

  void fill();  // no more space from now on
  void free();  // space again
};

}  // namespace feedd::test
