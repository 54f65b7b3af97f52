#!/usr/bin/env bash
# Create .venv and install the pinned stack (requirements/constraints.txt is the lock).
# Sourced by scripts/demo.sh and scripts/test.sh; safe to run again (pip skips what is there).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON_BIN="${PYTHON:-}"
if [ -z "$PYTHON_BIN" ]; then
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
      PYTHON_BIN="$candidate"; break
    fi
  done
fi
[ -n "$PYTHON_BIN" ] || { echo "Bazaar needs Python 3.11 (set PYTHON=/path/to/python3.11)" >&2; exit 1; }
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv with $PYTHON_BIN"
  "$PYTHON_BIN" -m venv .venv
fi
echo "==> installing the pinned stack into .venv (groups: ${BAZAAR_GROUPS:-none})"
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade "pip>=25.1" 2>&1 | grep -v "is ignored" || true
group_args=()
for group in ${BAZAAR_GROUPS:-}; do group_args+=(--group "$group"); done
.venv/bin/python -m pip install -q --disable-pip-version-check -c requirements/constraints.txt -e . "${group_args[@]}" 2>&1 \
  | grep -v "is ignored" || true
.venv/bin/python -c "import django, rest_framework, celery" || { echo "installation failed" >&2; exit 1; }
