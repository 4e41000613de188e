#!/usr/bin/env bash
# Regenerate tools/k8s/go.mod + go.sum for a given Kubernetes version.
#
#   tools/k8s/gen-gomod.sh 1.34.4            # etcd version: whatever that k8s pins
#   tools/k8s/gen-gomod.sh 1.34.4 3.6.4      # explicit etcd server version
#
# Why a module of our own: k8s.io/kubernetes requires every staging module
# (k8s.io/api, k8s.io/apiserver, ...) at v0.0.0 and replaces them with local
# paths; replace directives of dependencies are ignored, so `go install
# k8s.io/kubernetes/cmd/kube-apiserver@vX` cannot work. We generate a
# `replace k8s.io/<staging> => k8s.io/<staging> v0.X.Y` for every such module
# (the list changes between releases, so it is derived from kubernetes' go.mod).
# etcd is built from the same module graph (its own replaces are ignored too).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
k8s_version=${1:?usage: $0 <k8s-version e.g. 1.34.4> [etcd-version]}
k8s_version=${k8s_version#v}
staging_version=0.${k8s_version#1.}
export GOFLAGS=${GOFLAGS:--buildvcs=false}
export GOTOOLCHAIN=${GOTOOLCHAIN:-local}

command -v go >/dev/null || { echo "go not found" >&2; exit 1; }
command -v jq >/dev/null || { echo "jq not found" >&2; exit 1; }

k8s_gomod=$(go mod download -json "k8s.io/kubernetes@v${k8s_version}" | jq -r .GoMod)
etcd_version=${2:-$(awk '$1=="go.etcd.io/etcd/server/v3"{print $2; exit}' "$k8s_gomod")}
etcd_version=v${etcd_version#v}
echo "k8s.io/kubernetes v${k8s_version}, staging v${staging_version}, etcd ${etcd_version}"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
go mod init dnssync.invalid/tools/k8s >/dev/null 2>&1
go_directive=$(awk '$1=="go"{print $2; exit}' "$k8s_gomod")
go mod edit -go="$go_directive"
for m in $(awk '$2=="v0.0.0" && $1 ~ /^k8s\.io\// {print $1}' "$k8s_gomod" | sort -u); do
  go mod edit -replace="${m}=${m}@v${staging_version}"
done
go get -tool "k8s.io/kubernetes/cmd/kube-apiserver@v${k8s_version}"
go get -tool "go.etcd.io/etcd/server/v3@${etcd_version}"
go mod tidy
# Sanity: the pins we asked for must have survived MVS.
got_k8s=$(go list -m -f '{{.Version}}' k8s.io/kubernetes)
got_etcd=$(go list -m -f '{{.Version}}' go.etcd.io/etcd/server/v3)
[ "$got_k8s" = "v${k8s_version}" ] || { echo "k8s resolved to $got_k8s" >&2; exit 1; }
[ "$got_etcd" = "$etcd_version" ] || { echo "etcd resolved to $got_etcd" >&2; exit 1; }
cp go.mod go.sum "$here/"
echo "wrote $here/go.mod and $here/go.sum"
