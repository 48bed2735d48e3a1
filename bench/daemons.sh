#!/usr/bin/env bash
# Several daemons, one database (not run by CI): N generated feeds (bench/fetch_corpus.py,
# 30 entries each) served by a real nginx on 127.0.0.1, fetched cold by 1, 2 and 3
# `feedd run` daemons sharing one database. Prints, for each number of daemons, the wall
# time until every source is stored, the CPU seconds of all daemons together, the
# requests nginx got per feed (1.00: no feed fetched twice), the lines the daemons logged
# at warn or above, the load average at the end, how the fetches split between the daemons,
# and the rows (and bytes) the database holds per story (storage cost).
#
# usage: bench/daemons.sh [FEEDD_BINARY] [N]          (defaults: build/feedd 10000)
#   DAEMONS="1 2 3"   the numbers of daemons to run, one after the other
#   DATABASE=PATH     the SQLite file (default: a temporary one), or a postgresql:// URI of a
#                     scratch database: it is emptied (DROP SCHEMA public CASCADE) before
#                     each run, so never point it at one that matters
#   CONCURRENCY=64    fetches in flight per daemon
# `feedd run` spreads the first fetches of N sources over N/100 seconds (at least 10):
# that is the floor of the wall time (100 s at 10,000).
# Needs the Debian packages nginx, curl, python3, sqlite3 (postgresql-client for a URI).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
feedd="$(realpath "${1:-$here/../build/feedd}")"
n="${2:-10000}"
daemons_list="${DAEMONS:-1 2 3}"
concurrency="${CONCURRENCY:-64}"

work="$(mktemp -d /tmp/feedd-daemons-bench.XXXXXX)"
chmod 755 "$work"  # nginx workers (www-data) read the corpus from here
database="${DATABASE:-$work/feedd.db}"
nginx_pid=""
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  if [ -n "$nginx_pid" ]; then kill "$nginx_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

is_pg() { [[ "$database" == postgres://* || "$database" == postgresql://* ]]; }
sql() {  # one value
  if is_pg; then psql "$database" -tAqc "$1"; else sqlite3 "$database" "$1"; fi
}
empty_database() {
  if is_pg; then
    psql "$database" -qc 'SET client_min_messages = warning; DROP SCHEMA public CASCADE; CREATE SCHEMA public;' >/dev/null
  else
    rm -f "$database" "$database-wal" "$database-shm"
  fi
}

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
root="$work/www"
python3 "$here/fetch_corpus.py" "$root" "$n" 30
cat >"$work/nginx.conf" <<CONF
daemon off;
worker_processes 2;
pid $work/nginx.pid;
error_log $work/nginx-error.log warn;
events { worker_connections 4096; }
http {
  log_format agent '\$http_user_agent \$uri';
  access_log $work/access.log agent;
  sendfile on;
  keepalive_requests 100000;
  types { application/rss+xml xml; }
  client_body_temp_path $work/tmp-body;
  proxy_temp_path $work/tmp-proxy;
  fastcgi_temp_path $work/tmp-fcgi;
  uwsgi_temp_path $work/tmp-uwsgi;
  scgi_temp_path $work/tmp-scgi;
  server { listen 127.0.0.1:$port; root $root; etag on; }
}
CONF
/usr/sbin/nginx -c "$work/nginx.conf" -e "$work/nginx-error.log" &
nginx_pid=$!
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/000/0.xml")" = 200 ] || {
  echo "nginx does not serve the corpus" >&2; exit 1; }

feeds="$work/feeds.part"
for ((i = 0; i < n; i++)); do printf '[[feed]]\nurl = "http://127.0.0.1:%s/%03d/%d.xml"\n' "$port" $((i / 1000)) "$i"; done >"$feeds"

printf '%-8s %-8s %8s %8s %10s %10s %8s %6s  %s\n' feeds daemons wall_s cpu_s feeds/s req/feed warnings load "fetches per daemon"
for k in $daemons_list; do
  empty_database
  : >"$work/access.log"
  kill -USR1 "$nginx_pid"  # reopen the log
  pids=()
  start=$(date +%s.%N)
  for ((d = 1; d <= k; d++)); do
    conf="$work/feeds-$k-$d.conf"
    {
      printf '[daemon]\nlisten = ""\ndatabase = "%s"\noutput_dir = "%s"\n' "$database" "$work/public-$k-$d"
      printf 'concurrency = %s\nper_host = %s\nhost_delay = "0s"\nlog_level = "warn"\n' "$concurrency" "$concurrency"
      printf 'user_agent = "bench-daemon-%s"\n' "$d"
      cat "$feeds"
    } >"$conf"
    "$feedd" run --config "$conf" >/dev/null 2>"$work/err-$k-$d.txt" &
    pids+=($!)
    # The first creates the schema; the others open the file once it holds it.
    [ "$d" = 1 ] && for _ in $(seq 100); do [ "$(sql 'SELECT COUNT(*) FROM sources' 2>/dev/null || echo 0)" = "$n" ] && break; sleep 0.1; done
  done
  while [ "$(sql 'SELECT COUNT(*) FROM sources WHERE last_success IS NOT NULL' 2>/dev/null || echo 0)" != "$n" ]; do
    for ((d = 1; d <= k; d++)); do  # a daemon that died would leave this loop waiting for ever
      kill -0 "${pids[$((d - 1))]}" 2>/dev/null && continue
      echo "daemon $d of $k exited; its log:" >&2
      tail -n 20 "$work/err-$k-$d.txt" >&2
      exit 1
    done
    sleep 0.2
  done
  end=$(date +%s.%N)
  cpu_ticks=0
  for pid in "${pids[@]}"; do  # utime + stime of each daemon, before it stops
    cpu_ticks=$((cpu_ticks + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
  done
  for pid in "${pids[@]}"; do kill -TERM "$pid"; done
  for pid in "${pids[@]}"; do wait "$pid" || true; done
  pids=()
  wall=$(python3 -c "print(f'{$end-$start:.1f}')")
  cpu=$(python3 -c "print(f'{$cpu_ticks/$(getconf CLK_TCK):.1f}')")
  requests=$(grep -c '\.xml$' "$work/access.log" || true)
  split=$(awk '{print $1}' "$work/access.log" | sort | uniq -c | awk '{printf "%s=%s ", $2, $1}')
  warnings=$(cat "$work"/err-"$k"-*.txt | wc -l)  # log_level = "warn": every line is one
  load=$(cut -d' ' -f1 /proc/loadavg)
  printf '%-8s %-8s %8s %8s %10s %10s %8s %6s  %s\n' "$n" "$k" "$wall" "$cpu" \
    "$(python3 -c "print(f'{$n/max($wall,0.001):.0f}')")" "$(python3 -c "print(f'{$requests/$n:.2f}')")" \
    "$warnings" "$load" "$split"
  # The most frequent warnings, their variable parts (URLs, numbers) blanked.
  if [ "$warnings" != 0 ]; then
    cat "$work"/err-"$k"-*.txt | sed -E 's/^[0-9-]+ [0-9:.]+ //; s#https?://[^ ]*#URL#g; s#'"$work"'/[^:]*#DB#g; s/[0-9]+/N/g' |
      sort | uniq -c | sort -rn | head -n 5 | sed 's/^/    /'
  fi
done

# Storage cost of the last run: rows of each table per story.
stories=$(sql 'SELECT COUNT(*) FROM stories')
echo
echo "rows per story ($stories stories, $n sources):"
total=0
for table in sources stories entries story_band_keys pruned_entries pruned_hashes daemons hosts; do
  rows=$(sql "SELECT COUNT(*) FROM $table")
  total=$((total + rows))
  printf '  %-15s %9s rows %8s per story\n' "$table" "$rows" "$(python3 -c "print(f'{$rows/max($stories,1):.2f}')")"
done
printf '  %-15s %9s rows %8s per story\n' total "$total" "$(python3 -c "print(f'{$total/max($stories,1):.2f}')")"
if is_pg; then  # tables with their indexes and TOAST, without the catalogue
  bytes=$(sql "SELECT SUM(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = 'public' AND c.relkind = 'r'")
  where="tables and indexes"
else
  bytes=$(stat -c %s "$database")
  where="file"
fi
echo "  $where: $((bytes / 1024 / 1024)) MB ($(python3 -c "print(f'{$bytes/max($stories,1):.0f}')") bytes per story)"

