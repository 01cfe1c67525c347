"""The WSGI application for a production server (``waitress-serve``, ``gunicorn``), configured from the
environment: ``VIGIA_DATABASE_URL``, ``VIGIA_DATA_DIR``, ``VIGIA_REGISTRY``, ``VIGIA_SECRET_KEY``,
``VIGIA_SECURE_COOKIES=1`` (behind TLS) and ``VIGIA_BEHIND_PROXY=1`` (trust one reverse proxy's
X-Forwarded-* headers)::

    waitress-serve --listen=127.0.0.1:8080 vigia.web.wsgi:app
"""

from __future__ import annotations

import os

from vigia import config
from vigia.registry import load_registry
from vigia.store import open_store
from vigia.web import create_app


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "si", "sí"}


app = create_app(
    open_store(config.database_url(), config.data_dir()),
    registry=load_registry(),
    secure_cookies=_flag("VIGIA_SECURE_COOKIES"),
    behind_proxy=_flag("VIGIA_BEHIND_PROXY"),
    data_dir=config.data_dir(),
)
