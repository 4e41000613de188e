#!/usr/bin/env bash
# dnssync's main job on the embedded default: the bundled Kerberos manifests (a TCP and a
# UDP LoadBalancer for one KDC) -> plan -> apply into a zone file -> plan again (empty).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh --python-only
OUT="${1:-out/zones}"
args=(--manifests examples/kerberos --provider zonefile --zonefile-dir "$OUT"
      --zone example.com --owner-id demo)
echo "\$ dnssync plan ${args[*]}"
.venv/bin/dnssync plan "${args[@]}" || [ $? -eq 2 ]
echo "\$ dnssync apply ${args[*]} --yes"
.venv/bin/dnssync apply "${args[@]}" --yes
echo "\$ cat $OUT/example.com.zone"
cat "$OUT/example.com.zone"
echo "\$ dnssync plan ${args[*]}   # nothing left to do: exit 0"
.venv/bin/dnssync plan "${args[@]}"
