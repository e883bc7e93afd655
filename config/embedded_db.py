"""An embedded PostgreSQL for newcomers: used only when DATABASE_URL is unset.

pgserver ships PostgreSQL binaries in a wheel; the cluster lives in .data/ inside the
project and keeps running between commands, so `make run` twice reuses the same data.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import psycopg

DATABASE_NAME = "screening"


def embedded_database_url(base_dir: Path) -> str:
    # platformdirs warns when XDG_RUNTIME_DIR is unset (servers, CI); it falls back fine.
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    import pgserver

    data_dir = base_dir / ".data" / "pg"
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    # cleanup_mode=None: leave the server running when this process exits, so the
    # web server, the worker and manage.py commands share one cluster.
    server = pgserver.get_server(data_dir, cleanup_mode=None)
    ensure_database(server.get_uri("postgres"), DATABASE_NAME)
    return server.get_uri(DATABASE_NAME)


def ensure_database(maintenance_url: str, name: str) -> None:
    """Create database `name` if it does not exist (CREATE DATABASE cannot run in a transaction)."""
    with psycopg.connect(maintenance_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def ensure_database_for_url(url: str) -> None:
    """For an external server: create the database named in `url` if it is missing."""
    info = psycopg.conninfo.conninfo_to_dict(url)
    name = info.get("dbname") or "postgres"
    info["dbname"] = "postgres"
    ensure_database(psycopg.conninfo.make_conninfo(**info), name)


if __name__ == "__main__":
    # `python -m config.embedded_db` prepares the database for `make setup`.
    import os

    url = os.environ.get("DATABASE_URL")
    if url:
        ensure_database_for_url(url)
        print("Using the PostgreSQL server in DATABASE_URL.")
    else:
        embedded_database_url(Path(__file__).resolve().parent.parent)
        print("Using the embedded PostgreSQL in .data/pg.")
