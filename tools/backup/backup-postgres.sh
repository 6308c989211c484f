#!/usr/bin/env bash
# Backs up Nomaly's PostgreSQL database (every service schema: auth, dataset, model, detector)
# with pg_dump's custom format, then deletes backups older than the retention.
#
#   DATABASE_URL=postgres://user:pw@host:5432/nomaly tools/backup/backup-postgres.sh
#
# Environment:
#   DATABASE_URL      the database to dump (required)
#   BACKUP_DIR        where dumps go (default ./backups); created if missing
#   RETENTION_DAYS    dumps older than this many days are deleted after a good dump (default 7)
#   BACKUP_PREFIX     file name prefix (default nomaly)
#
# A dump is written under a temporary name, checked with pg_restore --list, given a SHA-256
# file, and only then renamed into place, so a crash or a full disk never leaves a file that
# looks like a good backup — and old backups are deleted only after a new one succeeded.
# Restore with tools/backup/restore-postgres.sh.
set -euo pipefail

: "${DATABASE_URL:?DATABASE_URL must name the database to back up}"
BACKUP_DIR=${BACKUP_DIR:-./backups}
RETENTION_DAYS=${RETENTION_DAYS:-7}
BACKUP_PREFIX=${BACKUP_PREFIX:-nomaly}
if ! [[ "$RETENTION_DAYS" =~ ^[0-9]+$ ]] || ((RETENTION_DAYS < 1)); then
  echo "backup-postgres: RETENTION_DAYS must be a whole number of days >= 1, got '$RETENTION_DAYS'" >&2
  exit 2
fi
if ! [[ "$BACKUP_PREFIX" =~ ^[A-Za-z0-9._-]+$ ]]; then
  echo "backup-postgres: BACKUP_PREFIX may hold letters, digits, '.', '_' and '-' only" >&2
  exit 2
fi

mkdir -p "$BACKUP_DIR"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
final="$BACKUP_DIR/$BACKUP_PREFIX-$stamp.dump"
partial="$final.partial"
trap 'rm -f "$partial"' EXIT

pg_dump --dbname="$DATABASE_URL" --format=custom --compress=6 --no-owner --no-privileges \
  --file="$partial"
# A truncated or corrupt archive fails to list.
pg_restore --list "$partial" >/dev/null
(cd "$BACKUP_DIR" && sha256sum "$(basename "$partial")" | sed 's/\.partial$//' >"$(basename "$final").sha256")
mv "$partial" "$final"
trap - EXIT
echo "backup-postgres: wrote $final ($(stat -c %s "$final") bytes)"

# Retention: only our own finished dumps (and their checksums) older than RETENTION_DAYS.
find "$BACKUP_DIR" -maxdepth 1 -type f \
  \( -name "$BACKUP_PREFIX-*.dump" -o -name "$BACKUP_PREFIX-*.dump.sha256" \) \
  -mtime "+$((RETENTION_DAYS - 1))" -print -delete |
  sed 's/^/backup-postgres: deleted (older than '"$RETENTION_DAYS"' days) /'
