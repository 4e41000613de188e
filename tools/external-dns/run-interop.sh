#!/usr/bin/env bash
# ExternalDNS interop tests, and optionally the side-by-side benchmark.
#
#   tools/external-dns/run-interop.sh                  # interop tests only
#   tools/external-dns/run-interop.sh --bench [ARGS]   # + python -m bench.compare ARGS
#                                                      #   (e.g. --sizes 100,1000)
#
# Builds (or finds cached) ExternalDNS and kube-apiserver + etcd first; needs BIND9 and the
# .venv of tools/setup.sh. The benchmark's chart needs matplotlib (dependency group
# "bench"), installed here when missing.
set -euo pipefail
cd "$(dirname "$0")/../.."

bench=0
if [ "${1:-}" = "--bench" ]; then
  bench=1
  shift
fi

echo "== building/locating external-dns and kube-apiserver + etcd" >&2
tools/external-dns/build.sh >/dev/null
tools/k8s/build.sh >/dev/null

export DNSSYNC_REQUIRE_K8S=1 DNSSYNC_REQUIRE_SERVERS=1
echo "== interop tests" >&2
.venv/bin/python -m pytest tests/e2e/test_externaldns_interop.py -v

if [ "$bench" = 1 ]; then
  if ! .venv/bin/python -c 'import matplotlib' 2>/dev/null; then
    echo "== installing the bench dependency group (matplotlib)" >&2
    .venv/bin/pip install -q -c tools/constraints.txt --group bench
  fi
  echo "== bench.compare $*" >&2
  .venv/bin/python -m bench.compare "$@"
fi
