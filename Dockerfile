# dnssync container image.
#
#   docker build -t dnssync .                        # from python:3.11-slim
#   tools/image/build.sh                             # buildah, from a local debootstrap base
#
# BASE_IMAGE must provide python3 (3.11+) with the venv module and, for the builder
# stage only, network access to PyPI. Both stages use the same base, so the venv's
# interpreter symlink is valid in the final image.
ARG BASE_IMAGE=python:3.11-slim

# --------------------------------------------------------------------------- builder
FROM ${BASE_IMAGE} AS builder
# Optional, for builds behind a TLS-intercepting proxy or with a PyPI mirror: a CA bundle
# path (mounted into the RUN step, e.g. buildah --volume) and an index URL. Unset by
# default; they exist only in this stage, never in the final image.
ARG PIP_CERT
ARG PIP_INDEX_URL
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
# Dependencies first, from the pyproject files alone and pinned by tools/constraints.txt:
# a change of the source reuses this layer (tools/image/build.sh builds with --layers).
# Every provider's pyproject.toml is listed (tests/charts/test_dockerfile.py checks).
# hatchling goes into a separate build venv, never into the runtime one.
COPY pyproject.toml ./
COPY tools/constraints.txt tools/
COPY providers/google/pyproject.toml providers/google/
COPY providers/rfc2136/pyproject.toml providers/rfc2136/
COPY providers/route53/pyproject.toml providers/route53/
COPY providers/webhook/pyproject.toml providers/webhook/
RUN python3 -c 'import sys, tomllib; print(*(d for f in sys.argv[1:] for d in tomllib.load(open(f, "rb"))["project"]["dependencies"] if not d.startswith("dnssync")), sep="\n")' \
        pyproject.toml providers/*/pyproject.toml > /tmp/requirements.txt \
    && python3 -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-cache-dir --compile -c tools/constraints.txt -r /tmp/requirements.txt \
    && python3 -m venv /opt/build \
    && /opt/build/bin/pip install --no-cache-dir -c tools/constraints.txt hatchling
# Then wheels of the core and of every provider under providers/, installed without
# dependencies (all there already); pip and setuptools leave the venv at the end: the
# final image gets a runtime, not a packaging toolchain.
COPY README.md ./
COPY dnssync/ dnssync/
COPY providers/ providers/
RUN /opt/build/bin/pip wheel --no-cache-dir --no-deps --no-build-isolation --wheel-dir /wheels . providers/*/ \
    && /opt/venv/bin/pip install --no-cache-dir --no-deps --compile /wheels/*.whl \
    && /opt/venv/bin/pip check \
    && /opt/venv/bin/pip uninstall --yes pip setuptools \
    && /opt/venv/bin/dnssync --version \
    && /opt/venv/bin/dnssync providers

# --------------------------------------------------------------------------- final
FROM ${BASE_IMAGE}
LABEL org.opencontainers.image.title="dnssync" \
      org.opencontainers.image.description="Keep DNS zones in step with Kubernetes LoadBalancer Services and Gateway API routes" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/home/nonroot
# The distroless convention: user and group "nonroot", uid/gid 65532.
RUN groupadd --gid 65532 nonroot \
    && useradd --no-log-init -K UID_MAX=65532 --uid 65532 --gid 65532 --home-dir /home/nonroot --create-home \
       --shell /usr/sbin/nologin nonroot
COPY --from=builder /opt/venv /opt/venv
COPY examples/ /app/examples/
WORKDIR /app
USER 65532:65532
# /metrics, /healthz, /readyz of `dnssync run`
EXPOSE 7979
ENTRYPOINT ["dnssync"]
CMD ["--help"]
