#!/usr/bin/env bash
# The whole test suite, from a fresh machine: set-up, lint, type check, layer contracts, tests (the
# container image build and its smoke test among them: tests/charts/test_image.py).
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
echo "== import layers (lint-imports)" >&2
.venv/bin/lint-imports --no-cache
echo "== pytest" >&2
rc=0
.venv/bin/python -m pytest "$@" || rc=$?
if [ "$rc" -eq 5 ]; then
  # pytest's "no tests collected": the suite is gone or every test was deselected.
  # Never a pass: a run that tested nothing proves nothing.
  echo "tools/test.sh: pytest collected no tests (exit 5)${*:+ with: $*}" >&2
  exit 1
fi
exit "$rc"
