#!/usr/bin/env bash
# System packages Vigía needs: Debian's Chromium and its headless shell (the lighter build the crawler and
# the PDFs use when it is there; vigia/browser.py), for JavaScript portals and the report tests, and
# PostgreSQL (the store tests run on both SQLite and PostgreSQL). Idempotent: nothing is installed
# when all are already present, so the second run takes well under a second. The headless shell is
# optional: where the package cannot be installed, Vigía uses the full Chromium.
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || need+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
shell=()
[ -x /usr/bin/chromium-headless-shell ] || shell=(chromium-headless-shell)
[ ${#need[@]} -eq 0 ] && [ ${#shell[@]} -eq 0 ] && exit 0
echo "vigia: instalando paquetes del sistema: ${need[*]} ${shell[*]}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq || [ ${#need[@]} -eq 0 ]
if [ ${#need[@]} -gt 0 ]; then
  $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" fonts-dejavu-core >/dev/null
fi
if [ ${#shell[@]} -gt 0 ] && ! $SUDO apt-get install -y -qq --no-install-recommends "${shell[@]}" >/dev/null 2>&1; then
  echo "vigia: aviso: no se pudo instalar chromium-headless-shell; se usará chromium"
fi
# A fresh postgresql package starts a system cluster; Vigía's tests run their own private one.
if [ -d /etc/postgresql ] && command -v pg_ctlcluster >/dev/null 2>&1; then
  for conf in /etc/postgresql/*/main; do
    [ -d "$conf" ] || continue
    ver=$(basename "$(dirname "$conf")")
    $SUDO pg_ctlcluster "$ver" main stop >/dev/null 2>&1 || true
  done
fi
