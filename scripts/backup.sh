#!/usr/bin/env bash
# Back up chuangwen: the PostgreSQL database (pg_dump custom format) and the media folder.
#
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/chuangwen MEDIA_ROOT=/srv/chuangwen/media \
#     scripts/backup.sh /backup/chuangwen
#
# Writes <dir>/chuangwen-<UTC timestamp>.dump and <dir>/media-<UTC timestamp>.tar.gz,
# then proves the dump restores (manage.py verify_restore) unless VERIFY=0.
set -euo pipefail
cd "$(dirname "$0")/.."

dest="${1:?用法: scripts/backup.sh <备份目录>}"
: "${DATABASE_URL:?需要设置 DATABASE_URL（PostgreSQL）}"
media="${MEDIA_ROOT:-$PWD/media}"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$dest"
umask 077  # backups hold personal data: readable by the backup owner only

dump="$dest/chuangwen-$stamp.dump"
pg_dump -Fc --no-owner -f "$dump" "$DATABASE_URL"
echo "数据库备份：$dump"

if [ -d "$media" ]; then
  tar -C "$(dirname "$media")" -czf "$dest/media-$stamp.tar.gz" "$(basename "$media")"
  echo "附件备份：$dest/media-$stamp.tar.gz"
fi

if [ "${VERIFY:-1}" != "0" ]; then
  .venv/bin/python manage.py verify_restore --dump "$dump"
fi
