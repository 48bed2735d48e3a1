#include "support/paths.hpp"

namespace feedd::test {

const char* const kTestDataDir = FEEDD_TEST_DATA;
const char* const kSourceDir = FEEDD_SOURCE_DIR;
const char* const kFeeddBinary = FEEDD_BINARY;

}  // namespace feedd::test
