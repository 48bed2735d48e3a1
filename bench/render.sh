#!/usr/bin/env bash
# Story-side benchmarks (bench/README.md, "Stories and the unified feed"); not run by CI.
# Render time per format for 200 and 10,000 stories; serving /feed.atom (full and 304) with
# wrk against feedd's HTTP server and nginx serving the same bytes as a static file, in
# the same run; de-duplication cost per story as the store grows to 100,000 stories.
# Usage: bench/render.sh [BUILD_DIR] [render|serve|dedup]   (default: all three)
# Needs wrk, nginx-light, curl and bc (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
only=${2:-all}
want() { [ "$only" = all ] || [ "$only" = "$1" ]; }
bench="$build/bench/feedd_render_bench"
[ -x "$bench" ] || { echo "build $bench first (ninja -C $build feedd_render_bench)" >&2; exit 1; }
work=$(mktemp -d)
cleanup() {
  [ -n "${nginx_pid:-}" ] && kill "$nginx_pid" 2>/dev/null || true
  [ -n "${feedd_pid:-}" ] && { exec 3>&-; wait "$feedd_pid" 2>/dev/null || true; }
  rm -rf "$work"
}
trap cleanup EXIT

if want render; then
  echo "== render"
  "$bench" render 200
  "$bench" render 10000
fi

if want serve; then
echo "== serving /feed.atom (200 stories): feedd vs nginx, wrk -t2 -c32 -d${WRK_SECONDS:-10}s"
mkfifo "$work/stdin"
"$bench" serve "$work" < "$work/stdin" > "$work/port" &
feedd_pid=$!
exec 3> "$work/stdin"
for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done
read -r feedd_port etag < "$work/port"

# nginx's workers run as nobody: a 0700 temporary folder would make every answer a 403
# (which wrk counts as requests, only noting "Non-2xx").
chmod 755 "$work"
nginx_port=$((20000 + RANDOM % 20000))
mkdir -p "$work/nginx"
cat > "$work/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $work/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;     # as Debian's nginx.conf has it
  tcp_nopush on;
  types { application/atom+xml atom; }
  server {
    listen 127.0.0.1:$nginx_port;
    root $work;
    etag on;
  }
}
CONF
nginx -c "$work/nginx.conf" -p "$work/nginx" &
nginx_pid=$!
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$nginx_port/feed.atom" && break; sleep 0.1; done
nginx_etag=$(curl -sI "http://127.0.0.1:$nginx_port/feed.atom" | tr -d '\r' | awk -F': ' 'tolower($1)=="etag"{print $2}')
cmp <(curl -s "http://127.0.0.1:$feedd_port/feed.atom") "$work/feed.atom"
cmp <(curl -sf "http://127.0.0.1:$nginx_port/feed.atom") "$work/feed.atom"

# Requests per second; fails when any answer was not 2xx or 3xx.
rps() {
  local out
  out=$(wrk -t2 -c32 -d"${WRK_SECONDS:-10}s" "$@")
  if grep -q 'Non-2xx' <<<"$out"; then echo "wrk $*: $(grep 'Non-2xx' <<<"$out")" >&2; exit 1; fi
  awk '/Requests\/sec/{print $2}' <<<"$out"
}
ratio() { echo "$1 / $2" | bc -l; }
median() { sort -g | awk '{v[NR]=$1} END{print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
# SERVE_RUNS=N repeats the four measurements N times (the machine is shared: one run is
# noisy) and prints each run's ratios, then their medians. The gzip row is feedd's
# 96 KiB gzip copy (Accept-Encoding: gzip) against nginx's full answer, the same
# baseline as the full row, so that it shows whether the gzip path kept its speed.
runs=${SERVE_RUNS:-1}
: > "$work/ratios"
for run in $(seq "$runs"); do
  feedd_full=$(rps "http://127.0.0.1:$feedd_port/feed.atom")
  nginx_full=$(rps "http://127.0.0.1:$nginx_port/feed.atom")
  feedd_gzip=$(rps -H "Accept-Encoding: gzip" "http://127.0.0.1:$feedd_port/feed.atom")
  feedd_304=$(rps -H "If-None-Match: $etag" "http://127.0.0.1:$feedd_port/feed.atom")
  nginx_304=$(rps -H "If-None-Match: $nginx_etag" "http://127.0.0.1:$nginx_port/feed.atom")
  full=$(ratio "$feedd_full" "$nginx_full")
  gzip=$(ratio "$feedd_gzip" "$nginx_full")
  not_modified=$(ratio "$feedd_304" "$nginx_304")
  echo "$full $gzip $not_modified" >> "$work/ratios"
  printf 'run %d (load %s)\n' "$run" "$(cut -d' ' -f1-3 /proc/loadavg)"
  printf '  full answer: feedd %s req/s, nginx %s req/s, ratio %.2f (target >= 0.50)\n' "$feedd_full" "$nginx_full" "$full"
  printf '  gzip answer: feedd %s req/s (ratio to nginx full %.2f)\n' "$feedd_gzip" "$gzip"
  printf '  304 answer:  feedd %s req/s, nginx %s req/s, ratio %.2f (target >= 0.80)\n' "$feedd_304" "$nginx_304" \
    "$not_modified"
done
if (( runs > 1 )); then
  printf 'median of %d runs: full %.2f, gzip %.2f, 304 %.2f\n' "$runs" \
    "$(cut -d' ' -f1 "$work/ratios" | median)" "$(cut -d' ' -f2 "$work/ratios" | median)" \
    "$(cut -d' ' -f3 "$work/ratios" | median)"
fi

fi

if want dedup; then
  echo "== de-duplication cost per story"
  "$bench" dedup
fi
