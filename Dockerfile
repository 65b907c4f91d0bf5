# syntax=docker/dockerfile:1
#
# FaceNudge container image.
#   docker build -t facenudge .
#   docker run -d -e TELEGRAM_BOT_TOKEN=… -v facenudge-data:/data facenudge
# The database lives on the /data volume; the process runs as uid 10001, never root.

# ---- builder: turn the project and its dependencies into wheels -------------------------------
FROM python:3.11-slim-bookworm AS builder

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src

# Dependencies first, from pyproject.toml alone, so this layer survives code changes.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > requirements.txt \
 && pip wheel --no-cache-dir --wheel-dir /wheels -r requirements.txt

# Then the project itself (a setuptools build needs README.md and the packages present).
COPY README.md ./
COPY bot ./bot
COPY schedules ./schedules
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

# ---- runtime -----------------------------------------------------------------------------------
FROM python:3.11-slim-bookworm

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
    pip install --no-cache-dir --no-index --find-links=/wheels /wheels/*.whl

# The volume is declared after /data is chowned, so a fresh named volume is writable by uid 10001.
# /data is also the working directory: a relative DATABASE_PATH (./facenudge.db) lands on the
# volume, and an operator may put a .env there.
VOLUME ["/data"]
WORKDIR /data
USER 10001:10001

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["facenudge", "health"]

STOPSIGNAL SIGTERM
ENTRYPOINT ["facenudge"]
CMD ["run"]
