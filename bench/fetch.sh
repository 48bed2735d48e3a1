#!/usr/bin/env bash
# End-to-end fetch benchmark (not run by CI): N generated feeds served by a real nginx on
# 127.0.0.1, fetched by `feedd once` cold (empty database) and warm (every feed 304), by
# newsboat (same concurrency; fresh cache, then reloads) and by `curl --parallel` (the
# network floor). Prints wall time, CPU seconds, peak RSS, feeds/s, stories/s and ratios.
#
# usage: bench/fetch.sh [FEEDD_BINARY] [COUNTS...]     (defaults: build/feedd 2000 10000)
#   a count is N feeds of 30 entries, or N:E for N feeds of E entries (the scaling line:
#   bench/fetch.sh build/feedd 2000 10000 100000:5 keeps the 100,000-feed corpus ~1 GB)
#   NEWSBOAT_AT=2000   run newsboat and curl only at this count ("" to skip newsboat)
#   NEWSBOAT_WARM=1    also newsboat's second reload (0 to skip it: ten minutes at 2,000)
#   CONCURRENCY=64     fetches in flight for feedd, newsboat and curl alike
# Needs the Debian packages nginx, newsboat, curl and python3 (scripts/setup.sh lists them).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
feedd="$(realpath "${1:-$here/../build/feedd}")"
shift || true
counts=("${@:-2000 10000}")
counts=(${counts[@]})
newsboat_at="${NEWSBOAT_AT-2000}"
concurrency="${CONCURRENCY:-64}"
scaling=()  # one line per count: the cold and warm passes of feedd

work="$(mktemp -d /tmp/feedd-fetch-bench.XXXXXX)"
chmod 755 "$work"  # nginx workers (www-data) read the corpus from here
nginx_pid=""
cleanup() {
  if [ -n "$nginx_pid" ]; then kill "$nginx_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

start_nginx() {  # $1 = document root
  cat >"$work/nginx.conf" <<CONF
daemon off;
worker_processes 2;
pid $work/nginx.pid;
error_log $work/nginx-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  keepalive_requests 100000;
  types { application/rss+xml xml; }
  client_body_temp_path $work/tmp-body;
  proxy_temp_path $work/tmp-proxy;
  fastcgi_temp_path $work/tmp-fcgi;
  uwsgi_temp_path $work/tmp-uwsgi;
  scgi_temp_path $work/tmp-scgi;
  server { listen 127.0.0.1:$port; root $1; etag on; }
}
CONF
  /usr/sbin/nginx -c "$work/nginx.conf" -e "$work/nginx-error.log" &
  nginx_pid=$!
  for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$port/" && return 0; sleep 0.1; done
  echo "nginx did not start" >&2; exit 1
}
stop_nginx() { kill "$nginx_pid"; wait "$nginx_pid" 2>/dev/null || true; nginx_pid=""; }

# Runs a command under /usr/bin/time -v; sets wall, cpu, rss_mb.
measure() {
  /usr/bin/time -v -o "$work/time.txt" "$@" >"$work/out.txt" 2>"$work/err.txt" || {
    echo "failed: $*" >&2; tail -5 "$work/err.txt" >&2; }
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,p,":"); s=0; for(i=1;i<=n;i++) s=s*60+p[i]; print s}' "$work/time.txt")
  cpu=$(awk -F': ' '/User time/ {u=$2} /System time/ {s=$2} END {printf "%.2f", u+s}' "$work/time.txt")
  rss_mb=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$work/time.txt")
}
rate() { python3 -c "print(f'{$1/max($2,0.001):.0f}')"; }
ratio() { python3 -c "print(f'{$1/max($2,0.001):.1f}')"; }

load() { cut -d' ' -f1 /proc/loadavg; }

printf '%-8s %-22s %8s %8s %8s %10s %10s %6s\n' feeds run wall_s cpu_s rss_mb feeds/s stories/s load
for spec in "${counts[@]}"; do
  n="${spec%%:*}"
  entries=30
  [ "$spec" != "$n" ] && entries="${spec#*:}"
  root="$work/www-$n"
  python3 "$here/fetch_corpus.py" "$root" "$n" "$entries"
  start_nginx "$root"
  first="http://127.0.0.1:$port/000/0.xml"
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$first")" = 200 ] || { echo "nginx does not serve $first" >&2; exit 1; }
  urls="$work/urls-$n.txt"
  : >"$urls"
  for ((i = 0; i < n; i++)); do printf 'http://127.0.0.1:%s/%03d/%d.xml\n' "$port" $((i / 1000)) "$i" >>"$urls"; done

  conf="$work/feeds-$n.conf"
  {
    printf '[daemon]\nlisten = ""\ndatabase = "%s"\noutput_dir = "%s"\n' "$work/feedd-$n.db" "$work/public-$n"
    printf 'concurrency = %s\nper_host = %s\nhost_delay = "0s"\nlog_level = "warn"\n' "$concurrency" "$concurrency"
    while read -r u; do printf '[[feed]]\nurl = "%s"\n' "$u"; done <"$urls"
  } >"$conf"

  measure "$feedd" once --config "$conf"
  cold_wall=$wall; cold_cpu=$cpu; cold_rss=$rss_mb; stories=$(sqlite3 "$work/feedd-$n.db" 'SELECT COUNT(*) FROM entries' 2>/dev/null || echo $((n * entries)))
  printf '%-8s %-22s %8s %8s %8s %10s %10s %6s\n' "$n" "feedd cold" "$wall" "$cpu" "$rss_mb" "$(rate "$n" "$wall")" "$(rate "$stories" "$wall")" "$(load)"
  grep -h "sources:" "$work/out.txt" | sed 's/^/         /'
  measure "$feedd" once --config "$conf"
  warm_wall=$wall
  scaling+=("$n $entries $stories $cold_wall $cold_cpu $cold_rss $warm_wall $cpu $rss_mb")
  printf '%-8s %-22s %8s %8s %8s %10s %10s %6s\n' "$n" "feedd warm (304)" "$wall" "$cpu" "$rss_mb" "$(rate "$n" "$wall")" "-" "$(load)"
  grep -h "sources:" "$work/out.txt" | sed 's/^/         /'

  if [ "$n" = "$newsboat_at" ]; then
    measure curl --parallel --parallel-max "$concurrency" --parallel-immediate -s -K <(sed 's/.*/url = "&"\noutput = "\/dev\/null"/' "$urls")
    curl_wall=$wall
    printf '%-8s %-22s %8s %8s %8s %10s %10s %6s\n' "$n" "curl --parallel" "$wall" "$cpu" "$rss_mb" "$(rate "$n" "$wall")" "-" "$(load)"
    nb="$work/newsboat"; mkdir -p "$nb"
    printf 'reload-threads %s\nsuppress-first-reload no\n' "$concurrency" >"$nb/config"
    measure newsboat -x reload -u "$urls" -c "$nb/cache.db" -C "$nb/config"
    nb_cold=$wall
    printf '%-8s %-22s %8s %8s %8s %10s %10s %6s\n' "$n" "newsboat cold" "$wall" "$cpu" "$rss_mb" "$(rate "$n" "$wall")" "-" "$(load)"
    nb_warm=""
    if [ "${NEWSBOAT_WARM:-1}" != 1 ]; then
      echo "ratios at $n feeds: cold feedd/newsboat feeds/s = $(ratio "$nb_cold" "$cold_wall")x (target >= 10)," \
           "warm feedd/curl wall = $(ratio "$warm_wall" "$curl_wall")x (target <= 5); newsboat warm skipped"
      stop_nginx
      rm -rf "$root" "$work/public-$n" "$work"/feedd-"$n".db*
      continue
    fi
    measure newsboat -x reload -u "$urls" -c "$nb/cache.db" -C "$nb/config"
    nb_warm=$wall
    printf '%-8s %-22s %8s %8s %8s %10s %10s %6s\n' "$n" "newsboat warm" "$wall" "$cpu" "$rss_mb" "$(rate "$n" "$wall")" "-" "$(load)"
    echo "ratios at $n feeds: cold feedd/newsboat feeds/s = $(ratio "$nb_cold" "$cold_wall")x (target >= 10)," \
         "warm = $(ratio "$nb_warm" "$warm_wall")x (target >= 100)," \
         "warm feedd/curl wall = $(ratio "$warm_wall" "$curl_wall")x (target <= 5)"
  fi
  stop_nginx
  rm -rf "$root" "$work/public-$n" "$work"/feedd-"$n".db*
done

# The scaling line: each size against the first (feeds, stories, wall, CPU and peak RSS
# of the cold pass, as multiples), and the warm pass.
echo
echo "scaling (cold pass; x = multiple of the first size):"
printf '%-8s %-7s %-8s %8s %8s %8s %8s %8s %8s %8s %8s\n' feeds entries stories wall_s cpu_s rss_mb x_feeds x_wall x_cpu x_rss warm_s
first=""
for line in "${scaling[@]}"; do
  read -r n e st w c r ww wc wr <<<"$line"
  [ -z "$first" ] && first="$line"
  read -r n0 e0 st0 w0 c0 r0 _ <<<"$first"
  printf '%-8s %-7s %-8s %8s %8s %8s %8s %8s %8s %8s %8s\n' "$n" "$e" "$st" "$w" "$c" "$r" \
    "$(ratio "$n" "$n0")" "$(ratio "$w" "$w0")" "$(ratio "$c" "$c0")" "$(ratio "$r" "$r0")" "$ww"
done
