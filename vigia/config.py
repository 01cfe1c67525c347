"""Where Vigía keeps things, resolved from command-line options and environment variables."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_DB_FILE = "vigia.db"
DEFAULT_DATA_DIR = "vigia-data"
CONTACT_URL = "https://github.com/vigia-gt/vigia"
USER_AGENT = f"Vigia/0.1 (+{CONTACT_URL}; monitor de transparencia LAIP)"


def database_url(cli_value: str | None = None) -> str:
    """``--db`` wins, then ``VIGIA_DATABASE_URL``, then an SQLite file in the working directory."""
    url = cli_value or os.environ.get("VIGIA_DATABASE_URL")
    if url:
        if "://" not in url:  # a bare path means an SQLite file
            return f"sqlite:///{Path(url).resolve()}"
        if url.startswith("postgresql://"):
            return "postgresql+psycopg://" + url[len("postgresql://") :]
        if url.startswith("postgres://"):
            return "postgresql+psycopg://" + url[len("postgres://") :]
        return url
    return f"sqlite:///{Path(DEFAULT_DB_FILE).resolve()}"


def data_dir(cli_value: str | None = None) -> Path:
    """Raw bodies (content-addressed), the HTTP cache and crawl journals live here."""
    return Path(cli_value or os.environ.get("VIGIA_DATA_DIR") or DEFAULT_DATA_DIR).resolve()


def allow_private_addresses(cli_flag: bool = False) -> bool:
    if cli_flag:
        return True
    return os.environ.get("VIGIA_ALLOW_PRIVATE_ADDRESSES", "").strip().lower() in {
        "1",
        "true",
        "yes",
        "si",
        "sí",
    }


def is_memory_database(url: str) -> bool:
    """An SQLite database that lives only in memory (nothing would be kept between commands)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return False
    if not parsed.drivername.startswith("sqlite"):
        return False
    database = parsed.database or ""
    return (
        database in ("", ":memory:")
        or database.startswith("file::memory:")
        or parsed.query.get("mode") == "memory"
    )
