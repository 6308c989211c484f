#!/usr/bin/env bash
# Restores a dump made by backup-postgres.sh into DATABASE_URL, after checking its SHA-256.
#
#   DATABASE_URL=postgres://user:pw@host:5432/nomaly tools/backup/restore-postgres.sh FILE.dump
#
# The restore replaces the objects the dump contains (--clean --if-exists) in one transaction:
# it either applies completely or leaves the database as it was. Stop the services (scale them
# to 0) first, so nothing writes while the schemas are replaced.
set -euo pipefail

: "${DATABASE_URL:?DATABASE_URL must name the database to restore into}"
dump=${1:?usage: restore-postgres.sh FILE.dump}
if [[ ! -f "$dump" ]]; then
  echo "restore-postgres: $dump does not exist" >&2
  exit 2
fi
if [[ ! -f "$dump.sha256" ]]; then
  echo "restore-postgres: $dump.sha256 is missing; refusing a dump that cannot be verified" >&2
  exit 2
fi
(cd "$(dirname "$dump")" && sha256sum --check --quiet "$(basename "$dump").sha256")

pg_restore --dbname="$DATABASE_URL" --clean --if-exists --no-owner --no-privileges \
  --single-transaction --exit-on-error "$dump"
echo "restore-postgres: restored $dump"
