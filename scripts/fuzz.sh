#!/usr/bin/env bash
# Builds the libFuzzer targets (clang-14, ASan + UBSan) in build-fuzz/ and runs each on a
# seed corpus (documents from tests/data, the configs, the requests in fuzz/corpus/http).
# Fails on any crash, leak, timeout or sanitizer report; the input that caused it is kept
# in build-fuzz/artifacts/ and its path printed.
# Usage: scripts/fuzz.sh [TOTAL_SECONDS]   (default 60, split evenly over the targets)
#        FUZZ_JOBS=N to build with N jobs (default 2).
set -euo pipefail
cd "$(dirname "$0")/.."

total_seconds="${1:-60}"
targets=(parse sanitize config http)
per_target=$(( total_seconds / ${#targets[@]} ))
(( per_target >= 1 )) || per_target=1

launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
if [ ! -f build-fuzz/build.ninja ]; then
  CXX=clang++-14 CC=clang-14 cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DFEEDD_FUZZ=ON -DFEEDD_TESTS=OFF -DFEEDD_BENCH=OFF "${launcher[@]}" >/dev/null
fi
# Quiet when it builds; ninja prints a compiler's or linker's errors on standard output.
if ! build_log="$(ninja -C build-fuzz -j "${FUZZ_JOBS:-2}" "${targets[@]/#/fuzz_}" 2>&1)"; then
  echo "fuzz: the fuzz targets did not build:" >&2
  tail -n 40 <<<"$build_log" >&2
  exit 1
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p build-fuzz/artifacts

# Seeds: every document under tests/data (the fixture suite included), and the configs.
seed_dir() {
  local target="$1" dir="$work/seeds-$1"
  mkdir -p "$dir"
  case "$target" in
    parse | sanitize)
      # A leading byte picks the Content-Type in the parse target; 0 means none.
      find tests/data -type f -size -256k | while read -r f; do
        if [ "$target" = parse ]; then
          { printf '\0'; cat "$f"; } >"$dir/$(echo "$f" | tr '/' '_')"
        else
          cp "$f" "$dir/$(echo "$f" | tr '/' '_')"
        fi
      done ;;
    config)
      # (libFuzzer skips file names that start with a dot.)
      find . -path ./build\* -prune -o -type f -name '*.conf' -print | sed 's|^\./||' | while read -r f; do
        cp "$f" "$dir/$(echo "$f" | tr '/' '_')"
      done ;;
    http)
      # A few requests (see fuzz/http_fuzzer.cpp: the leading byte is the read size).
      cp fuzz/corpus/http/* "$dir/" ;;
  esac
  echo "$dir"
}

status=0
for target in "${targets[@]}"; do
  seeds="$(seed_dir "$target")"
  corpus="$work/corpus-$target"
  mkdir -p "$corpus"
  log="$work/$target.log"
  echo "fuzz: $target for ${per_target}s ($(ls "$seeds" | wc -l) seeds)"
  if ! ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      "build-fuzz/fuzz/fuzz_$target" "$corpus" "$seeds" -max_total_time="$per_target" -timeout=10 \
      -rss_limit_mb=2048 -max_len=262144 -print_final_stats=1 \
      -artifact_prefix="build-fuzz/artifacts/$target-" >"$log" 2>&1; then
    echo "fuzz: $target FAILED; the last lines of its log:" >&2
    tail -n 60 "$log" >&2
    ls -1 build-fuzz/artifacts/"$target"-* 2>/dev/null | sed 's/^/fuzz: reproducer /' >&2 || true
    status=1
  else
    grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb' "$log" | sed "s/^/fuzz: $target /"
  fi
done
exit "$status"
