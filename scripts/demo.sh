#!/usr/bin/env bash
# The README's first command: install, then run Bazaar on the embedded default (SQLite,
# in-memory cache/channels/events, console e-mail) with demo data. No services needed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
[ "${BAZAAR_SKIP_INSTALL:-0}" = "1" ] || BAZAAR_GROUPS="" bash scripts/bootstrap.sh
export BAZAAR_PROFILE=embedded
unset DATABASE_URL REDIS_URL CELERY_BROKER_URL EVENT_DISPATCH EVENT_BROKER EVENT_BROKER_URL
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"
export BAZAAR_SITE_URL="${BAZAAR_SITE_URL:-http://$HOST:$PORT}"
PY=.venv/bin/python
$PY manage.py migrate --no-input -v 0
$PY manage.py seed_demo
cat <<MSG

  Bazaar is running on the embedded default at  http://$HOST:$PORT/
    API docs (Swagger)   http://$HOST:$PORT/api/docs/
    API docs (ReDoc)     http://$HOST:$PORT/api/redoc/
    Staff admin          http://$HOST:$PORT/admin/
    Health               http://$HOST:$PORT/healthz   http://$HOST:$PORT/readyz
  Demo logins are listed above. Stop with Ctrl-C.

MSG
exec .venv/bin/daphne -b "$HOST" -p "$PORT" config.asgi:application
