#!/usr/bin/env bash
# Build kube-apiserver and etcd from Go modules for the test harness (testinfra/k8s.py).
#
#   tools/k8s/build.sh            # prints the bin dir holding kube-apiserver and etcd
#
# Versions come from the committed tools/k8s/go.mod (regenerate it with gen-gomod.sh).
# Binaries are cached under
#   ${DNSSYNC_CACHE:-$HOME/.cache/dnssync}/k8s/<k8s-version>-etcd<etcd-version>/bin/
# and the script exits at once when both are already there. Only the bin dir is
# printed on stdout; progress goes to stderr.
#
# Environment:
#   DNSSYNC_CACHE        cache root (default $HOME/.cache/dnssync)
#   DNSSYNC_BUILD_JOBS   go build -p (default: number of CPUs, at most 4)
#   GOFLAGS, GOPROXY, GOMODCACHE, GOCACHE are honoured as usual.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
gomod="$here/go.mod"

# Read versions from go.mod without needing go (so the cached path is cheap).
k8s_version=$(awk '$1=="k8s.io/kubernetes" && $2 ~ /^v/ {print $2; exit}' "$gomod")
etcd_version=$(awk '$1=="go.etcd.io/etcd/server/v3" && $2 ~ /^v/ {print $2; exit}' "$gomod")
if [ -z "$k8s_version" ] || [ -z "$etcd_version" ]; then
  echo "build.sh: cannot read k8s.io/kubernetes / etcd server versions from $gomod" >&2
  exit 1
fi
k8s_version=${k8s_version#v}
etcd_version=${etcd_version#v}

cache_root=${DNSSYNC_CACHE:-$HOME/.cache/dnssync}
prefix="$cache_root/k8s/${k8s_version}-etcd${etcd_version}"
bindir="$prefix/bin"

have_bins() { [ -x "$bindir/kube-apiserver" ] && [ -x "$bindir/etcd" ]; }

if have_bins; then
  echo "$bindir"
  exit 0
fi

command -v go >/dev/null || { echo "build.sh: go toolchain not found in PATH" >&2; exit 1; }
mkdir -p "$prefix"

# Serialize concurrent builds (e.g. several pytest workers on a fresh machine).
exec 9>"$prefix/.build.lock"
if command -v flock >/dev/null; then
  echo "build.sh: waiting for build lock $prefix/.build.lock" >&2
  flock 9
fi
if have_bins; then
  echo "$bindir"
  exit 0
fi

ncpu=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)
jobs=${DNSSYNC_BUILD_JOBS:-$(( ncpu < 4 ? ncpu : 4 ))}
export CGO_ENABLED=0
export GOTOOLCHAIN=${GOTOOLCHAIN:-local}
export GOFLAGS="${GOFLAGS:-} -buildvcs=false"

minor=$(echo "$k8s_version" | cut -d. -f2)
vpkg=k8s.io/component-base/version
ldflags="-s -w -X $vpkg.gitVersion=v$k8s_version -X $vpkg.gitMajor=1 -X $vpkg.gitMinor=$minor"
ldflags="$ldflags -X $vpkg.gitTreeState=clean -X $vpkg.buildDate=1970-01-01T00:00:00Z"
cpkg=k8s.io/client-go/pkg/version
ldflags="$ldflags -X $cpkg.gitVersion=v$k8s_version -X $cpkg.gitMajor=1 -X $cpkg.gitMinor=$minor"

tmp=$(mktemp -d "$prefix/.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

start=$(date +%s)
echo "build.sh: building kube-apiserver v$k8s_version and etcd v$etcd_version (-p $jobs)" >&2
(
  cd "$here"
  go build -p "$jobs" -trimpath -ldflags "$ldflags" -o "$tmp/kube-apiserver" \
    k8s.io/kubernetes/cmd/kube-apiserver
  go build -p "$jobs" -trimpath -ldflags "-s -w" -o "$tmp/etcd" go.etcd.io/etcd/server/v3
) >&2

"$tmp/etcd" --version >&2
"$tmp/kube-apiserver" --version >&2

mkdir -p "$bindir"
mv -f "$tmp/etcd" "$bindir/etcd"
mv -f "$tmp/kube-apiserver" "$bindir/kube-apiserver"
echo "build.sh: done in $(( $(date +%s) - start ))s" >&2
echo "$bindir"
