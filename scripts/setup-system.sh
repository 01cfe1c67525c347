#!/usr/bin/env bash
# System packages Vigía needs: Debian's Chromium and its headless shell (the lighter build the crawler and
# the PDFs use when it is there; vigia/browser.py), for JavaScript portals and the report tests, and
# PostgreSQL (the store tests run on both SQLite and PostgreSQL). Idempotent: nothing is installed
# when both are already present, so the second run takes well under a second.
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || need+=(chromium)
[ -x /usr/bin/chromium-headless-shell ] || need+=(chromium-headless-shell)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
[ ${#need[@]} -eq 0 ] && exit 0
echo "vigia: instalando paquetes del sistema: ${need[*]}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" fonts-dejavu-core >/dev/null
# A fresh postgresql package starts a system cluster; Vigía's tests run their own private one.
if [ -d /etc/postgresql ] && command -v pg_ctlcluster >/dev/null 2>&1; then
  for conf in /etc/postgresql/*/main; do
    [ -d "$conf" ] || continue
    ver=$(basename "$(dirname "$conf")")
    $SUDO pg_ctlcluster "$ver" main stop >/dev/null 2>&1 || true
  done
fi
