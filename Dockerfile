# syntax=docker/dockerfile:1
# Build: docker build -t tandem .
# Run:   docker run -p 8000:8000 -e TANDEM_DATABASE_URL=postgresql://user:pass@db/tandem \
#          -e TANDEM_SECURE_COOKIES=true -e TANDEM_TRUSTED_PROXIES=<your proxy's address> tandem
# (TANDEM_ENVIRONMENT=production: it refuses to start with SQLite or without secure cookies.)

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/venv
COPY requirements.lock ./
RUN /opt/venv/bin/pip install -r requirements.lock
COPY pyproject.toml README.md ./
COPY app ./app
RUN /opt/venv/bin/pip install --no-deps .

FROM python:3.11-slim AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    TANDEM_HOST=0.0.0.0 \
    TANDEM_PORT=8000 \
    TANDEM_WORKERS=2 \
    TANDEM_LOG_JSON=true \
    TANDEM_ENVIRONMENT=production
RUN useradd --system --create-home --uid 10001 tandem
WORKDIR /srv/tandem
COPY --from=build /opt/venv /opt/venv
COPY alembic.ini ./
COPY migrations ./migrations
COPY curriculum ./curriculum
COPY outcomes ./outcomes
RUN mkdir var && chown tandem:tandem var
USER tandem
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"
# Migrate, load the curriculum and the measures (no-ops when unchanged), then serve with TANDEM_WORKERS workers.
CMD ["sh", "-c", "tandem db upgrade && tandem curriculum load && tandem outcomes load && exec tandem serve"]
