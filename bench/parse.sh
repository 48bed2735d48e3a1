#!/usr/bin/env bash
# The parse benchmark (bench/README.md): generates the corpus (unless given), then
# measures, single thread and in one run, parse_feed + sanitise, the fast path, a bare
# pugixml parse, python3-feedparser (on every 10th document) and sfeed, and prints MB/s,
# entries/s and ratios to feedparser and to pugixml.
# Usage: bench/parse.sh [BUILD_DIR] [CORPUS_DIR]
#   BUILD_DIR defaults to build/ (feedd_parse_bench is built there if missing);
#   CORPUS_DIR defaults to a fresh temporary corpus of 110 MB (seed 1), removed after.
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
corpus="${2:-}"
results="$(mktemp)"
cleanup() { rm -f "$results" "${sfeed_input:-}"; [ -n "${own_corpus:-}" ] && rm -rf "$own_corpus"; true; }
trap cleanup EXIT
if [ -z "$corpus" ]; then
  own_corpus="$(mktemp -d)"
  corpus="$own_corpus"
  /usr/bin/python3 bench/generate_corpus.py "$corpus" --megabytes 110 --seed 1 >&2
fi
ninja -C "$build" feedd_parse_bench >/dev/null

echo "bench: feedd (check, pugixml, fast path, scan_feed_keys, full parse)..." >&2
taskset -c 0 "$build/bench/feedd_parse_bench" "$corpus" 3 >>"$results"

echo "bench: python3-feedparser on every 10th document..." >&2
taskset -c 0 /usr/bin/python3 bench/feedparser_bench.py "$corpus" 10 >>"$results"

echo "bench: sfeed..." >&2
# sfeed reads one document from standard input; all of them are given to one process, one
# after the other, so that process start-up is not measured.
# Timed by its CPU time (user + system), as the other rows.
sfeed_input="$(mktemp)"
cat "$corpus"/* >"$sfeed_input"
/usr/bin/python3 - "$sfeed_input" >>"$results" <<'PY'
import json, os, resource, subprocess, sys
with open(sys.argv[1], "rb") as f:
    out = subprocess.run(["taskset", "-c", "0", "sfeed"], stdin=f, capture_output=True, check=True).stdout
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
b, e, s = os.path.getsize(sys.argv[1]), out.count(b"\n"), usage.ru_utime + usage.ru_stime
print(json.dumps({'mode': 'sfeed', 'bytes': b, 'entries': e, 'seconds': s, 'passes': 1,
                  'mb_per_s': b / s / 1e6, 'entries_per_s': e / s}))
PY

/usr/bin/python3 - "$results" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
check = next(r for r in rows if r["mode"] == "check")
modes = {r["mode"]: r for r in rows if r["mode"] != "check"}
print(f"corpus: {check['documents']} documents, {check['entries']} entries ({check['left_out']} left out as known); "
      f"scan_feed_keys differing from parse_feed: {check['mismatches']}, known-entry path differing: "
      f"{check['known_mismatches']}, failures: {check['failures']}")
labels = {"full": "feedd parse_feed + sanitise", "fast": "feedd fast path (all entries known)",
          "keys": "feedd scan_feed_keys (content hash)",
          "pugixml": "bare pugixml parse", "sfeed": "sfeed (C, streaming)", "feedparser": "python3-feedparser"}
fp, px = modes["feedparser"], modes["pugixml"]
print(f"{'':34} {'MB/s':>9} {'entries/s':>12} {'x feedparser':>13} {'x pugixml':>10}")
for mode in ["full", "fast", "keys", "pugixml", "sfeed", "feedparser"]:
    r = modes[mode]
    print(f"{labels[mode]:34} {r['mb_per_s']:9.1f} {r['entries_per_s']:12.0f} "
          f"{r['mb_per_s'] / fp['mb_per_s']:13.1f} {r['mb_per_s'] / px['mb_per_s']:10.2f}")
print(f"(feedparser on {fp['documents']} documents, {fp['bytes'] / 1e6:.1f} MB; sfeed and feedd on all)")
PY
