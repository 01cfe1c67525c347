"""How Vigía launches Debian's Chromium (crawler, PDFs and browser tests): never a downloaded browser.

Debian packages Chromium's headless shell (``chromium-headless-shell``, the "old headless" build that
Playwright itself uses for headless runs): the same Blink and the same print-to-PDF without the full
browser around it, and far less CPU per page. Vigía uses it when it is installed (``make demo`` and
``make test`` install it) and the full ``chromium`` otherwise; ``VIGIA_CHROMIUM`` names another
executable.
"""

from __future__ import annotations

import os

#: the executables tried in order when ``VIGIA_CHROMIUM`` is not set
CHROMIUM_CANDIDATES: tuple[str, ...] = ("/usr/bin/chromium-headless-shell", "/usr/bin/chromium")


def chromium_path() -> str:
    """The Chromium executable: ``VIGIA_CHROMIUM``, else the first installed candidate (else the last)."""
    chosen = os.environ.get("VIGIA_CHROMIUM", "").strip()
    if chosen:
        return chosen
    for path in CHROMIUM_CANDIDATES:
        if os.access(path, os.X_OK):
            return path
    return CHROMIUM_CANDIDATES[-1]


CHROMIUM_PATH = chromium_path()
CHROMIUM_ARGS: tuple[str, ...] = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
)
