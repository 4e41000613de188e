#!/usr/bin/env bash
# Build ExternalDNS (sigs.k8s.io/external-dns) from Go modules, for the side-by-side
# benchmark and the interop tests (testinfra/external_dns.py, bench/compare.py).
#
#   tools/external-dns/build.sh          # prints the path of the external-dns binary
#
# Version: pinned below to the newest release on the Go module proxy when this was
# written (`go list -m -versions sigs.k8s.io/external-dns`); override with
# EXTERNAL_DNS_VERSION. v0.23.0 needs go >= 1.27: when the local go is older, the
# pinned toolchain is fetched from the module proxy (golang.org/toolchain) by GOTOOLCHAIN.
#
# How: the released module is fetched with `go mod download` and built with its own
# go.mod/go.sum (no replace directives, so the exact released module graph). Three of
# its dependencies are not on the module proxy this project can reach (403 "not
# available"): github.com/civo/civogo v0.7.3, github.com/exoscale/egoscale/v3 v3.1.50 and
# github.com/openshift/api (pseudo-version used by the openshift-route source). So
# patches/<version>.patch leaves the civo and exoscale providers and the openshift-route
# source out of the binary (and those three files are removed); nothing else changes:
# the rfc2136 provider, the service source, the TXT registry and the controller are
# built exactly as released. EXTERNAL_DNS_UNPATCHED=1 builds the unmodified module with
# `go install sigs.k8s.io/external-dns@<version>` instead (needs the full proxy).
#
# The binary is cached under
#   ${DNSSYNC_CACHE:-$HOME/.cache/dnssync}/external-dns/<version>/bin/external-dns
# and the script exits at once when it is there. Only the binary path is printed on
# stdout; progress goes to stderr. A cold build took 3.5 min on 2 idle cores (downloads
# included), 12 min on 2 cores busy with other test runs.
#
# Environment:
#   DNSSYNC_CACHE            cache root (default $HOME/.cache/dnssync)
#   EXTERNAL_DNS_VERSION     module version (default below)
#   EXTERNAL_DNS_GOTOOLCHAIN toolchain when the local go is too old (default below)
#   EXTERNAL_DNS_UNPATCHED   1: plain `go install` of the released module
#   DNSSYNC_BUILD_JOBS       go build -p (default: number of CPUs, at most 4)
#   GOFLAGS, GOPROXY, GOMODCACHE, GOCACHE are honoured as usual.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
version=${EXTERNAL_DNS_VERSION:-v0.23.0}
toolchain=${EXTERNAL_DNS_GOTOOLCHAIN:-go1.27.4}
need_go=1.27.0

cache_root=${DNSSYNC_CACHE:-$HOME/.cache/dnssync}
prefix="$cache_root/external-dns/$version"
bin="$prefix/bin/external-dns"

if [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi

command -v go >/dev/null || { echo "external-dns/build.sh: go toolchain not found in PATH" >&2; exit 1; }
mkdir -p "$prefix"

# Serialize concurrent builds (several pytest workers on a fresh machine).
exec 9>"$prefix/.build.lock"
if command -v flock >/dev/null; then
  echo "external-dns/build.sh: waiting for build lock $prefix/.build.lock" >&2
  flock 9
fi
if [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi

ncpu=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)
jobs=${DNSSYNC_BUILD_JOBS:-$(( ncpu < 4 ? ncpu : 4 ))}
export CGO_ENABLED=0
export GOFLAGS="${GOFLAGS:-} -buildvcs=false"

local_go=$(GOTOOLCHAIN=local go env GOVERSION)   # e.g. go1.26.8
if [ "$(printf '%s\n%s\n' "${local_go#go}" "$need_go" | sort -V | head -1)" = "$need_go" ]; then
  export GOTOOLCHAIN=local
else
  export GOTOOLCHAIN=$toolchain
fi

tmp=$(mktemp -d "$prefix/.tmp.XXXXXX")
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT

ldflags="-s -w -X sigs.k8s.io/external-dns/pkg/apis/externaldns.Version=$version"
start=$(date +%s)
patch_file="$here/patches/$version.patch"
if [ "${EXTERNAL_DNS_UNPATCHED:-0}" = 1 ] || [ ! -f "$patch_file" ]; then
  echo "external-dns/build.sh: go install sigs.k8s.io/external-dns@$version ($GOTOOLCHAIN, -p $jobs)" >&2
  GOBIN="$tmp" go install -p "$jobs" -trimpath -ldflags "$ldflags" \
    "sigs.k8s.io/external-dns@$version" >&2
  note="unmodified module"
else
  echo "external-dns/build.sh: fetching sigs.k8s.io/external-dns@$version" >&2
  moddir=$(cd "$tmp" && go mod download -json "sigs.k8s.io/external-dns@$version" \
    | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -d "$moddir" ] || { echo "external-dns/build.sh: go mod download gave no source dir" >&2; exit 1; }
  cp -R "$moddir" "$tmp/src"
  chmod -R u+w "$tmp/src"
  rm -f "$tmp/src/provider/civo/civo.go" "$tmp/src/provider/exoscale/exoscale.go" \
    "$tmp/src/source/openshift_route.go"
  patch -s -p1 -d "$tmp/src" < "$patch_file" >&2
  echo "external-dns/build.sh: building it with $GOTOOLCHAIN (-p $jobs)," \
    "without the civo/exoscale providers and the openshift-route source" >&2
  (cd "$tmp/src" && go build -p "$jobs" -trimpath -ldflags "$ldflags" -o "$tmp/external-dns" .) >&2
  note="patches/$version.patch: civo and exoscale providers and openshift-route source left out"
fi

"$tmp/external-dns" --version >&2

mkdir -p "$prefix/bin"
mv -f "$tmp/external-dns" "$bin"
printf 'sigs.k8s.io/external-dns %s\ntoolchain %s\n%s\nbuilt in %ss on %s\n' "$version" \
  "$GOTOOLCHAIN" "$note" "$(( $(date +%s) - start ))" "$(date -u +%FT%TZ)" > "$prefix/BUILD-INFO"
echo "external-dns/build.sh: done in $(( $(date +%s) - start ))s" >&2
echo "$bin"
