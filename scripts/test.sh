#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite with CTest.
# This is the command README.md gives and .ci/run runs.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
ctest --test-dir build --output-on-failure -j2 --timeout 300
