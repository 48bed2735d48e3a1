#!/bin/sh
# `feedd import` and `feedd export` of stores of growing size: peak memory (max RSS) and
# CPU time of each, to show that neither holds the store in memory. The baseline is the
# smallest store, measured in the same run.
#   bench/dump.sh [BUILD_DIR]      (default: build)
set -eu
build=${1:-build}
feedd="$(cd "$build" && pwd)/feedd"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

measure() {  # measure NAME COMMAND...: prints "max_rss_kib cpu_seconds"
  name=$1
  shift
  /usr/bin/time -f "%M %U %S" -o "$work/$name.time" "$@" >/dev/null
  awk '{ printf "%d %.2f\n", $1, $2 + $3 }' "$work/$name.time"
}

version=$("$feedd" --version | cut -d' ' -f2)
printf '[daemon]\nlisten = ""\ndatabase = "%s/probe.db"\n' "$work" > "$work/probe.conf"
schema=$("$feedd" migrate --config "$work/probe.conf" | awk '{ print $NF }')

printf '%-8s %10s %14s %14s %12s %12s\n' stories dump_MB import_RSS_MB export_RSS_MB import_cpu_s export_cpu_s
for stories in 1000 10000 30000; do
  dir="$work/$stories"
  mkdir -p "$dir"
  python3 "$(dirname "$0")/generate_dump.py" "$stories" "$version" "$schema" > "$dir/in.jsonl"
  printf '[daemon]\nlisten = ""\ndatabase = "%s/store.db"\n' "$dir" > "$dir/feeds.conf"
  set -- $(measure "import-$stories" "$feedd" import --config "$dir/feeds.conf" "$dir/in.jsonl")
  import_rss=$1 import_cpu=$2
  set -- $(measure "export-$stories" "$feedd" export --config "$dir/feeds.conf" --output "$dir/out.jsonl")
  export_rss=$1 export_cpu=$2
  # The round trip must give back the generated dump, byte for byte.
  cmp -s "$dir/in.jsonl" "$dir/out.jsonl" || { echo "export of $stories stories differs from the dump imported" >&2; exit 1; }
  size=$(stat -c %s "$dir/in.jsonl")
  printf '%-8s %10.1f %14.1f %14.1f %12s %12s\n' "$stories" "$(echo "$size / 1048576" | bc -l)" \
    "$(echo "$import_rss / 1024" | bc -l)" "$(echo "$export_rss / 1024" | bc -l)" "$import_cpu" "$export_cpu"
  rm -f "$dir/store.db" "$dir/store.db-wal" "$dir/store.db-shm"
done
