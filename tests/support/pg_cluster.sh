#!/usr/bin/env bash
# A throw-away PostgreSQL cluster for the tests: `pg_cluster.sh start DIR` makes one in DIR
# (removing what was there), listening only on a unix socket in DIR, no TCP at all;
# `pg_cluster.sh stop DIR` stops it and removes DIR. The tests connect with
# "postgresql://postgres@/DBNAME?host=DIR" (tests/support/test_store.cpp).
# `pg_cluster.sh restart DIR` restarts the server (fast shutdown: every connection is cut,
# as a server restarted by its operator cuts them), same settings.
# `pg_cluster.sh start DIR durable` keeps PostgreSQL's own durability defaults (fsync,
# synchronous_commit, full_page_writes on) instead of the tests' faster, crash-unsafe ones:
# for benchmarks that compare with SQLite's synchronous=NORMAL.
# initdb and postgres refuse to run as root: as root, they run as the `postgres` user.
set -euo pipefail
action=$1
dir=$2
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$bin/initdb" ] || { echo "pg_cluster: no PostgreSQL server found (apt-get install postgresql)" >&2; exit 1; }
as_owner=()
if [ "$(id -u)" -eq 0 ]; then as_owner=(runuser -u postgres --); fi

case "$action" in
  start)
    if [ -f "$dir/data/postmaster.pid" ]; then "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true; fi
    rm -rf "$dir"
    mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
    "${as_owner[@]}" "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 -N >"$dir/initdb.log" 2>&1 ||
      { cat "$dir/initdb.log" >&2; exit 1; }
    # fsync off: a test cluster that a crash may lose. No TCP listener at all.
    durability="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    if [ "${3:-}" = durable ]; then durability=""; fi
    "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
      -o "-c listen_addresses='' -c unix_socket_directories='$dir' $durability -c max_connections=200" \
      start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    echo "pg_cluster: started in $dir"
    ;;
  restart)
    # pg_ctl restart starts the server again with the options it was started with.
    "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -m fast -w -t 30 restart >/dev/null ||
      { cat "$dir/server.log" >&2; exit 1; }
    ;;
  stop)
    if [ -d "$dir/data" ]; then "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true; fi
    rm -rf "$dir"
    ;;
  *)
    echo "usage: pg_cluster.sh start|restart|stop DIR [durable]" >&2
    exit 2
    ;;
esac
