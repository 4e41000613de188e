#!/usr/bin/env bash
# dnssync's main job on the embedded default: the bundled Kerberos manifests (a TCP and a
# UDP LoadBalancer for one KDC) -> plan -> apply into a zone file -> plan again (empty).
#
#   tools/demo.sh [OUT_DIR]        # zone files go to OUT_DIR (default out/zones)
#
# Set-up on a fresh machine, only what the demo runs: python3 (3.11+) with venv makes
# .venv-demo holding dnssync, its providers (rfc2136, route53, google) and their runtime
# dependencies pinned by tools/constraints.txt; none of the test tools (.venv, made by
# tools/setup.sh, has those). Done once; again only when a pyproject.toml or the pins change.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.venv-demo

say() { printf '\033[1m[demo]\033[0m %s\n' "$*" >&2; }

install_demo_env() {
  local stamp="$VENV/.dnssync-demo" inputs started
  inputs=$(cat pyproject.toml providers/*/pyproject.toml tools/constraints.txt | sha256sum | cut -c1-16)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$inputs" ]; then
    return
  fi
  command -v python3 >/dev/null || { say "python3 (3.11 or newer) is needed"; exit 1; }
  started=$(date +%s)
  say "creating $VENV: dnssync, its providers and their runtime dependencies (no test tools)"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -c tools/constraints.txt \
    -e . -e providers/rfc2136 -e providers/route53 -e providers/google
  echo "$inputs" >"$stamp"
  local count size
  # Less pip and setuptools, which every venv has.
  count=$("$VENV/bin/python" -m pip list --format=freeze --disable-pip-version-check 2>/dev/null \
    | grep -cvE '^(pip|setuptools|dnssync|dnssync-(rfc2136|route53|google))==')
  size=$(du -sh "$VENV" | cut -f1)
  say "installed in $(($(date +%s) - started)) s: dnssync $("$VENV/bin/dnssync" --version | cut -d' ' -f2)," \
    "the providers rfc2136, route53 and google, and $count runtime dependencies; $VENV is $size"
}

install_demo_env
OUT="${1:-out/zones}"
args=(--manifests examples/kerberos --provider zonefile --zonefile-dir "$OUT"
      --zone example.com --owner-id demo)
echo "\$ dnssync plan ${args[*]}"
"$VENV/bin/dnssync" plan "${args[@]}" || [ $? -eq 2 ]
echo "\$ dnssync apply ${args[*]} --yes"
"$VENV/bin/dnssync" apply "${args[@]}" --yes
echo "\$ cat $OUT/example.com.zone"
cat "$OUT/example.com.zone"
echo "\$ dnssync plan ${args[*]}   # nothing left to do: exit 0"
"$VENV/bin/dnssync" plan "${args[@]}"
