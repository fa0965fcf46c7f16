#!/usr/bin/env bash
# A PostgreSQL 15 primary and a streaming replica of it (pg_basebackup), each its own cluster
# on loopback, for the read-replica tests: `start DIR` prints the two URLs as shell assignments
# (TEST_REPLICA_PRIMARY_URL, TEST_REPLICA_URL); `stop DIR` stops both and removes DIR.
# A private pair rather than a replica of the machine's server: that one's pg_hba.conf is not
# ours to open for replication. Needs PostgreSQL 15's binaries (and pgvector for it); runs the
# clusters as the postgres user when started as root.
set -euo pipefail
BIN=/usr/lib/postgresql/15/bin
PRIMARY_PORT="${REPLICA_TEST_PRIMARY_PORT:-55432}"
REPLICA_PORT="${REPLICA_TEST_REPLICA_PORT:-55433}"
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

case "${1:-}" in
  start)
    dir="$2"
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    as_postgres "$BIN/initdb" -D "$dir/primary" -A trust -U postgres >/dev/null
    echo "host replication all 127.0.0.1/32 trust" >>"$dir/primary/pg_hba.conf"
    as_postgres "$BIN/pg_ctl" -D "$dir/primary" -w -l "$dir/primary.log" \
      -o "-p $PRIMARY_PORT -k $dir -c listen_addresses=127.0.0.1" start >/dev/null
    # -R writes standby.signal and primary_conninfo: the copy starts as a streaming replica.
    as_postgres "$BIN/pg_basebackup" -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -D "$dir/replica" -R -X stream
    as_postgres "$BIN/pg_ctl" -D "$dir/replica" -w -l "$dir/replica.log" \
      -o "-p $REPLICA_PORT -k $dir -c listen_addresses=127.0.0.1" start >/dev/null
    echo "TEST_REPLICA_PRIMARY_URL=postgres://postgres@127.0.0.1:$PRIMARY_PORT/postgres"
    echo "TEST_REPLICA_URL=postgres://postgres@127.0.0.1:$REPLICA_PORT/postgres"
    ;;
  stop)
    dir="$2"
    for cluster in replica primary; do
      [ -d "$dir/$cluster" ] && as_postgres "$BIN/pg_ctl" -D "$dir/$cluster" -m immediate stop >/dev/null 2>&1 || true
    done
    rm -rf "$dir"
    ;;
  *)
    echo "usage: $0 start|stop DIR" >&2
    exit 2
    ;;
esac
