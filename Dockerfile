# syntax=docker/dockerfile:1
# The bot's image (docs/deployment.md): slim Python 3.11, the locked environment installed with
# `uv sync --locked` (no dev extras), run as a non-root user; the entry command is `ktrade paper`.
# The project is installed from its source tree at /app (an editable install, as `uv sync`
# makes it): the paper exchange reads its market data and Kraken universe from /app/data.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ARG UV_VERSION=0.13.9
ENV UV_PROJECT_ENVIRONMENT=/app/.venv \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_NO_CACHE=1
# uv from PyPI (the only index the build needs); it stays in this stage.
RUN pip install --no-cache-dir "uv==${UV_VERSION}"
WORKDIR /app
# The dependencies first, in their own layer: a change of the code does not reinstall them.
COPY pyproject.toml uv.lock README.md LICENSE ./
RUN uv sync --locked --no-dev --no-install-project
COPY src ./src
COPY data/kraken-universe ./data/kraken-universe
COPY data/market ./data/market
COPY config ./config
RUN uv sync --locked --no-dev

FROM ${PYTHON_IMAGE}
LABEL org.opencontainers.image.title="ktrade" \
      org.opencontainers.image.description="Kraken ML trader: paper trading by default" \
      org.opencontainers.image.licenses="MIT"
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin ktrade \
    && mkdir -p /data \
    && chown ktrade:ktrade /data
COPY --from=build /app /app
# Data, runtime databases and logs go to the /data volume; the config file, when mounted, to
# /config/config.toml. Metrics bind all addresses inside the container: only the compose
# network reaches them (compose.yaml publishes nothing of port 9464).
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    KTRADE_DATA_DIR=/data \
    KTRADE_CONFIG=/config/config.toml \
    KTRADE_METRICS_HOST=0.0.0.0 \
    KTRADE_METRICS_PORT=9464
USER ktrade
WORKDIR /data
VOLUME ["/data"]
EXPOSE 9464 8765
ENTRYPOINT ["ktrade"]
CMD ["paper"]
