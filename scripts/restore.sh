#!/usr/bin/env bash
# Restore chuangwen from scripts/backup.sh output into an EMPTY database.
#
#   scripts/restore.sh /backup/chuangwen/chuangwen-20261129T020000Z.dump \
#       /backup/chuangwen/media-20261129T020000Z.tar.gz postgres://postgres@127.0.0.1:5432/chuangwen_new /srv/chuangwen
#
# The target database must not exist (it is created); media is unpacked under the given parent folder.
set -euo pipefail

dump="${1:?用法: scripts/restore.sh <数据库备份.dump> <附件备份.tar.gz|-> <目标DATABASE_URL> [附件上级目录]}"
media_tar="${2:?缺少附件备份（没有时写 -）}"
target="${3:?缺少目标 DATABASE_URL}"
media_parent="${4:-}"

dbname="${target##*/}"
server="${target%/*}/postgres"
if [ "$(psql "$server" -tAc "SELECT 1 FROM pg_database WHERE datname = '$dbname'")" = "1" ]; then
  echo "目标数据库 $dbname 已存在：恢复只写入新建的空库，请换名或先确认后删除。" >&2
  exit 1
fi
psql "$server" -c "CREATE DATABASE \"$dbname\""
pg_restore --no-owner --exit-on-error -d "$target" "$dump"
echo "数据库已恢复到 $dbname"

if [ "$media_tar" != "-" ]; then
  : "${media_parent:?恢复附件需要给出附件上级目录}"
  mkdir -p "$media_parent"
  tar -C "$media_parent" -xzf "$media_tar"
  echo "附件已恢复到 $media_parent"
fi
