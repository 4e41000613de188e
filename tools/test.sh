#!/usr/bin/env bash
# The whole test suite, from a fresh machine: set-up, lint, type check, tests.
# Extra arguments go to pytest (e.g. tools/test.sh -k kerberos).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
# Tests that need the real servers fail instead of skipping when a part is missing.
export DNSSYNC_REQUIRE_K8S=1 DNSSYNC_REQUIRE_SERVERS=1
echo "== ruff" >&2
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== mypy --strict" >&2
.venv/bin/mypy
echo "== pytest" >&2
exec .venv/bin/python -m pytest "$@"
