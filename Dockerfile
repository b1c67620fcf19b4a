# syntax=docker/dockerfile:1
# dab API image: build a wheel in one stage, install it into a slim runtime as a non-root user.
FROM python:3.11-slim AS build
WORKDIR /src
RUN pip install --no-cache-dir build==1.2.2
COPY pyproject.toml README.md ./
COPY src ./src
RUN python -m build --wheel --outdir /wheels

FROM python:3.11-slim AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DAB_HOME=/var/lib/dab \
    PROMETHEUS_MULTIPROC_DIR=/tmp/dab-metrics
RUN groupadd --system --gid 10001 dab \
    && useradd --system --uid 10001 --gid dab --home-dir /var/lib/dab --create-home dab
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER 10001:10001
WORKDIR /var/lib/dab
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/api/v1/health/live', timeout=2).status != 200)"]
# Several workers share their metrics through PROMETHEUS_MULTIPROC_DIR (emptied by dab-entrypoint).
ENTRYPOINT ["sh", "-c", "rm -rf \"$PROMETHEUS_MULTIPROC_DIR\" && mkdir -p \"$PROMETHEUS_MULTIPROC_DIR\" && exec \"$@\"", "dab-entrypoint"]
CMD ["uvicorn", "dab.api.main:app", "--host", "0.0.0.0", "--port", "8000", "--workers", "4", "--timeout-graceful-shutdown", "30"]
