#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite with CTest.
# This is the command README.md gives and .ci/run runs. After the suite:
#  - the differential check against python3-feedparser over every parse fixture,
#  - the same suite again built with AddressSanitizer + UndefinedBehaviorSanitizer
#    (build-asan/): any memory error, leak or undefined behaviour fails it,
#  - the libFuzzer targets (scripts/fuzz.sh) for 60 s in all.
# Each stage fails the run on any failure, unexplained difference or crash.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
ctest --test-dir build --output-on-failure -j2 --timeout 300 | tee build/ctest.log
/usr/bin/python3 tests/differential/feedparser_diff.py --feedd build/feedd

launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
if [ ! -f build-asan/build.ninja ]; then
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFEEDD_SANITIZE=ON -DFEEDD_BENCH=OFF \
    "${launcher[@]}" >/dev/null
fi
cmake --build build-asan -j2 --target feedd feedd_tests
ctest --test-dir build-asan --output-on-failure -j2 --timeout 600 | tee build-asan/ctest.log

scripts/fuzz.sh 60

# CTest's summaries scrolled away behind the later stages: say them again, last.
count() { sed -n "s/$1/\\1/p" "$2" | tail -n 1; }
total=$(( $(count '.*tests failed out of \([0-9]*\).*' build/ctest.log) + $(count '.*tests failed out of \([0-9]*\).*' build-asan/ctest.log) ))
failed=$(( $(count '.* \([0-9]*\) tests failed out of.*' build/ctest.log) + $(count '.* \([0-9]*\) tests failed out of.*' build-asan/ctest.log) ))
echo "The differential check and the fuzz targets passed; the suite ran twice (plain, then ASan+UBSan)."
echo "ctest: $((total - failed)) passed, ${failed} failed"
