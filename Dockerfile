# A slim image of the registry. With no configuration it serves SQLite from the volume
# /srv/ksopn/var (migrated and seeded on first start); set KSOPN_DATABASE_URL to use
# PostgreSQL, e.g. postgresql+psycopg://user:password@db:5432/ksopn
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /srv/ksopn
RUN useradd --system --home /srv/ksopn ksopn

COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY migrations ./migrations
COPY seeds ./seeds
# Editable, so that the code finds alembic.ini, migrations/ and seeds/ beside it.
RUN pip install -e . && mkdir -p var && chown ksopn var

USER ksopn
VOLUME ["/srv/ksopn/var"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"
CMD ["ksopn", "serve", "--host", "0.0.0.0", "--port", "8000"]
