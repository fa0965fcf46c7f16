#!/usr/bin/env bash
# Makes the pgvector extension available in the machine's PostgreSQL 15 and makes sure the cluster runs.
# Debian 12 ships no postgresql-15-pgvector; Debian's own source package (trixie) builds against PG15
# in about a minute (shared FINDINGS.md). Skipped when `vector` is already available.
set -euo pipefail

PGHOST_ADDR="${PGHOST_ADDR:-127.0.0.1}"
psql_q() { psql -h "$PGHOST_ADDR" -U postgres -d postgres -tAc "$1"; }

start_cluster() {
  local ver
  ver=$(ls /etc/postgresql | sort -V | tail -n1)
  pg_ctlcluster --skip-systemctl-redirect "$ver" main start 2>/dev/null || true
  for _ in $(seq 1 30); do
    pg_isready -h "$PGHOST_ADDR" -q && return 0
    sleep 1
  done
  echo "PostgreSQL did not come up on $PGHOST_ADDR" >&2
  return 1
}

start_cluster
if [ "$(psql_q "select count(*) from pg_available_extensions where name='vector'")" = "1" ]; then
  echo "pgvector: already available"
  exit 0
fi

PG_MAJOR=$(psql_q "show server_version_num" | cut -c1-2)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "deb-src http://deb.debian.org/debian trixie main" > "$work/trixie-src.list"
apt_src=(-o Dir::Etc::sourcelist="$work/trixie-src.list" -o Dir::Etc::sourceparts=/dev/null)

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "postgresql-server-dev-$PG_MAJOR" build-essential dpkg-dev >/dev/null
apt-get "${apt_src[@]}" update -qq
(cd "$work" && apt-get "${apt_src[@]}" source -qq pgvector >/dev/null)
src=$(find "$work" -maxdepth 1 -type d -name 'pgvector-*' | head -n1)
make -s -C "$src" PG_CONFIG="/usr/lib/postgresql/$PG_MAJOR/bin/pg_config" >/dev/null
make -s -C "$src" PG_CONFIG="/usr/lib/postgresql/$PG_MAJOR/bin/pg_config" install >/dev/null
# Installing the dev package may upgrade and stop the server packages.
start_cluster
psql_q "select default_version from pg_available_extensions where name='vector'" | sed 's/^/pgvector: built /'
