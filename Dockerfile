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

# The runtime dependencies at their locked versions, each file checked against its hash
# (requirements/base.txt, see `make lock`); a layer of its own, rebuilt only when the lock
# changes.
COPY requirements/base.txt requirements/base.txt
RUN pip install --require-hashes -r requirements/base.txt
COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY migrations ./migrations
COPY seeds ./seeds
# The project itself, without dependencies (the lock has them). Editable, so that the code
# finds alembic.ini, migrations/ and seeds/ beside it.
RUN pip install --no-deps -e . && mkdir -p var && chown ksopn var

USER ksopn
VOLUME ["/srv/ksopn/var"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"
CMD ["ksopn", "serve", "--host", "0.0.0.0", "--port", "8000"]
