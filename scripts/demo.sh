#!/usr/bin/env bash
# `make demo`: the nightly job against the simulated fleet (the embedded default), then where the reports are.
set -euo pipefail
DIR=${1:-demo}
PORTALS=${2:-340}
VIGIA=.venv/bin/vigia
mkdir -p "$DIR"
$VIGIA municipalities validate
AS_OF=${VIGIA_DEMO_AS_OF:-2026-11-25}
# the fleet's port: 8377 unless something already listens there
PORT=$(.venv/bin/python - <<'PY'
import socket
for port in [8377, 0]:
    with socket.socket() as s:
        try:
            s.bind(("127.77.1.1", port))
        except OSError:
            continue
        print(s.getsockname()[1])
        break
PY
)
$VIGIA fleet generate --portals "$PORTALS" --out "$DIR/fleet" --as-of "$AS_OF" --base-port "$PORT"
rm -f "$DIR/fleet/ready"
$VIGIA fleet serve --fleet "$DIR/fleet" --ready-file "$DIR/fleet/ready" > "$DIR/fleet-server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do [ -f "$DIR/fleet/ready" ] && break; kill -0 $SERVER 2>/dev/null || { cat "$DIR/fleet-server.log"; exit 1; }; sleep 0.1; done
export VIGIA_ALLOW_PRIVATE_ADDRESSES=1
# the night's messages are written as .eml files (--notify-dry-run), never sent: the fleet's registry gives
# each municipality a made-up address on example.gt, and one made-up monitor receives the digest
printf -- '- email: monitoreo@pdh.example.gt\n' > "$DIR/monitores.yml"
$VIGIA nightly --registry "$DIR/fleet/registry.csv" --db "sqlite:///$PWD/$DIR/vigia.db" --data-dir "$DIR/data" \
  --out "$DIR/reportes" --as-of "$AS_OF" --notify-dry-run "$DIR/mensajes" --subscribers "$DIR/monitores.yml"
echo
echo "Reportes listos: $PWD/$DIR/reportes/index.html"
echo "Mensajes:        $PWD/$DIR/mensajes/ ($(ls "$DIR/mensajes" | grep -c '\.eml$') archivos .eml: uno por municipalidad y el resumen de los monitores)"
echo "Feeds Atom:      $PWD/$DIR/reportes/atom/pais.xml (y uno por departamento y por municipalidad)"
echo "Base de datos:   $PWD/$DIR/vigia.db   (evidencia cruda en $DIR/data)"
