#pragma once
// Where the tests find their data, the source tree and the feedd binary. The paths are
// compiled into support/paths.cpp alone, so that every other test file compiles to the
// same object in any checkout (ccache shares them between work trees).

namespace feedd::test {

extern const char* const kTestDataDir;  // tests/data
extern const char* const kSourceDir;    // the checkout's top folder
extern const char* const kFeeddBinary;  // the built feedd executable

}  // namespace feedd::test
