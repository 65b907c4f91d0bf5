# syntax=docker/dockerfile:1
#
# FaceNudge container image.
#   docker build -t facenudge .
#   docker run -d -e TELEGRAM_BOT_TOKEN=… -v facenudge-data:/data facenudge
# The database lives on the /data volume; the process runs as uid 10001, never root.
#
# The base image is pinned by digest (python:3.11-slim-bookworm, 3.11.16, the multi-arch index),
# so a rebuild gets the same bytes until someone moves the pin on purpose. To update it:
#   docker buildx imagetools inspect python:3.11-slim-bookworm   # "Digest:" of the index
# put that digest in the ARG below, rebuild, run the tests, commit.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm@sha256:a36c24f9cbdf4fd0f52d67f0823eeac19c2028c637cecc392d97f980d4fec56b

# ---- builder: turn the project and its locked dependencies into wheels ------------------------
FROM ${PYTHON_IMAGE} AS builder

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src

# Dependencies first, exactly as locked (every file checked against its hash), so this layer
# survives code changes. requirements.lock is made by .ci/lock from pyproject.toml.
COPY requirements.lock ./
RUN pip wheel --no-cache-dir --require-hashes --wheel-dir /wheels -r requirements.lock

# Then the project itself (a setuptools build needs README.md and the packages present).
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY schedules ./schedules
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

# ---- runtime -----------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE}

LABEL org.opencontainers.image.title="FaceNudge" \
      org.opencontainers.image.description="Telegram bot for daily facial yoga, moisturizing and calcium + vitamin D reminders" \
      org.opencontainers.image.licenses="MIT"

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DATABASE_PATH=/data/facenudge.db \
    LOG_LEVEL=INFO

RUN groupadd --system --gid 10001 facenudge \
 && useradd --system --uid 10001 --gid facenudge --home-dir /data --no-create-home \
        --shell /usr/sbin/nologin facenudge \
 && mkdir -p /data \
 && chown facenudge:facenudge /data

# Install from the builder's wheels without keeping them in any layer of this image.
RUN --mount=type=bind,from=builder,source=/wheels,target=/wheels \
    pip install --no-cache-dir --no-index --no-deps /wheels/*.whl

# The volume is declared after /data is chowned, so a fresh named volume is writable by uid 10001.
# /data is also the working directory: a relative DATABASE_PATH (./facenudge.db) lands on the
# volume, and an operator may put a .env there.
VOLUME ["/data"]
WORKDIR /data
USER 10001:10001

# Healthy = the database opens, the dispatcher's heartbeat is under 3 minutes old, updates are
# received and Telegram answers: the process is alive, scheduling AND reaching Telegram. See the
# README's health check section; compose.yaml restarts the container when this stays unhealthy.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["facenudge", "health"]

STOPSIGNAL SIGTERM
ENTRYPOINT ["facenudge"]
CMD ["run"]
