# The gateway's container image: `docker build -t itsm-gateway .` (docs/operations.md#deployment).
#
# Two stages: the first installs the project from pyproject.toml into a virtual environment (a
# normal, non-editable install, no dev extras), the second copies only that environment onto a
# fresh slim base. No secret is read or written at build time: settings come at run time from
# ITSM_GATEWAY_* variables and an optional settings file, secrets from variables or mounted files.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/itsm-gateway
WORKDIR /src
# What the distribution ships (pyproject.toml lists the packages; tests/ and bench/ stay out, and
# so do the emulators and the demo's token issuer, a distribution of their own).
COPY pyproject.toml README.md ./
COPY gateway/ gateway/
COPY graph/ graph/
COPY rest_compat/ rest_compat/
COPY resolvers/ resolvers/
COPY connectors/ connectors/
RUN /opt/itsm-gateway/bin/pip install .

FROM ${PYTHON_IMAGE}
# A fixed numeric id, so Kubernetes' runAsNonRoot can verify it without a passwd lookup.
RUN groupadd --system --gid 10001 itsm-gateway \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin itsm-gateway
COPY --from=build /opt/itsm-gateway /opt/itsm-gateway
ENV PATH=/opt/itsm-gateway/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    ITSM_GATEWAY_HOST=0.0.0.0 \
    ITSM_GATEWAY_PORT=8080
USER 10001:10001
EXPOSE 8080
# The slim base has no curl: Python asks /healthz itself (any error or non-2xx status: exit 1).
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('ITSM_GATEWAY_PORT', '8080'), timeout=4)"]
# `docker run IMAGE` serves; `docker run IMAGE config check` (or any other subcommand) runs that
# instead, with the same settings.
ENTRYPOINT ["itsm-gateway"]
CMD ["serve"]
