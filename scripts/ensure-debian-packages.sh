#!/usr/bin/env bash
# Installs the given Debian packages when missing. As root it installs them;
# otherwise it prints the exact command to run and carries on.
set -euo pipefail
missing=()
for pkg in "$@"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  echo "安装系统依赖: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null || true
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "缺少系统依赖，请运行: sudo apt-get install -y ${missing[*]}" >&2
fi
