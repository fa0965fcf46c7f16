#!/usr/bin/env bash
# Entry point of the `db-replica` service (docker-compose.yml, profile `replica`): a hot standby
# streaming from $PRIMARY_HOST. An empty data directory is first filled by pg_basebackup -R,
# which also writes standby.signal and primary_conninfo (with the password from PGPASSWORD), as
# .ci/replica-cluster.sh does on bare metal; a filled one is simply started and resumes
# streaming. Runs as the postgres user.
set -euo pipefail
: "${PGDATA:=/var/lib/postgresql/data}"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  echo "db-replica: copying $PRIMARY_HOST into $PGDATA (pg_basebackup)"
  # A partial copy (interrupted earlier) is discarded: pg_basebackup needs an empty directory.
  find "$PGDATA" -mindepth 1 -delete
  pg_basebackup -h "$PRIMARY_HOST" -p "${PRIMARY_PORT:-5432}" -U "$PRIMARY_USER" -D "$PGDATA" -R -X stream
fi
# PostgreSQL refuses a data directory that others may read; the image's volume starts as 1777.
chmod 0700 "$PGDATA"
exec postgres
