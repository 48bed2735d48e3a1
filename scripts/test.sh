#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite with CTest.
# This is the command README.md gives and .ci/run runs.
# Besides CTest it runs the differential check against python3-feedparser and the fuzz
# targets (scripts/fuzz.sh), each failing the run on any unexplained difference or crash.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
ctest --test-dir build --output-on-failure -j2 --timeout 300 | tee build/ctest.log
# After the unit tests: feedd parse against python3-feedparser over every fixture (a few
# seconds), then the libFuzzer targets for 60 s in all (about 3 minutes with their build).
/usr/bin/python3 tests/differential/feedparser_diff.py --feedd build/feedd
scripts/fuzz.sh 60
# CTest's own summary scrolled away behind the later stages: say it again, last.
total=$(sed -n 's/.*tests failed out of \([0-9]*\).*/\1/p' build/ctest.log | tail -n 1)
failed=$(sed -n 's/.* \([0-9]*\) tests failed out of.*/\1/p' build/ctest.log | tail -n 1)
echo "The differential check and the fuzz targets passed."
echo "ctest: $((total - failed)) passed, ${failed} failed"
