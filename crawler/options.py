"""Checking ``--set KEY=VALUE`` before any work starts (issue 14).

A setting override is accepted only when Scrapy or Vigía knows the key and the value has the type of its
default (``--set CONCURRENT_REQUESTS=abc`` used to end the run as "finished" with 0 portals). Keys that
would switch a guard off or replace the crawler's machinery are refused whatever their value: the
address guard is controlled only by ``--allow-private-addresses`` / ``VIGIA_ALLOW_PRIVATE_ADDRESSES``
(``--set VIGIA_ALLOW_PRIVATE=true`` used to turn it off while the run's record said it was on), and the
resolver, download handlers, middlewares, browser launch options, cache and log locations are the
crawler's own. Every refusal is one Spanish line (:class:`vigia.errors.UserError`).
"""

from __future__ import annotations

import json
from typing import Any

from vigia.errors import UserError

#: keys that --set may never change (why, in one line)
PROTECTED: dict[str, str] = {
    "VIGIA_ALLOW_PRIVATE": "use --allow-private-addresses o VIGIA_ALLOW_PRIVATE_ADDRESSES=1",
    "VIGIA_HOST_LEASES": "lo fija el propio rastreo",
    "VIGIA_BROWSER_SERVICE": "lo fija el propio rastreo (el servicio del navegador aplica la regla de direcciones)",
    "TWISTED_DNS_RESOLVER": "el resolvedor aplica la regla de direcciones",
    "DNS_RESOLVER": "el resolvedor aplica la regla de direcciones",
    "TWISTED_REACTOR": "el navegador necesita el reactor asyncio",
    "DOWNLOADER": "es parte del límite por host",
    "DOWNLOADER_MIDDLEWARES": "incluyen la guarda de direcciones y de alcance",
    "DOWNLOADER_MIDDLEWARES_BASE": "incluyen la guarda de direcciones y de alcance",
    "DOWNLOAD_HANDLERS": "el manejador del navegador aplica la regla de direcciones",
    "DOWNLOAD_HANDLERS_BASE": "el manejador del navegador aplica la regla de direcciones",
    "SPIDER_MIDDLEWARES": "son parte del rastreador",
    "SPIDER_MIDDLEWARES_BASE": "son parte del rastreador",
    "EXTENSIONS": "son parte del rastreador",
    "EXTENSIONS_BASE": "son parte del rastreador",
    "ITEM_PIPELINES": "son parte del rastreador",
    "ITEM_PIPELINES_BASE": "son parte del rastreador",
    "SCHEDULER": "es parte del rastreador",
    "SPIDER_MODULES": "es parte del rastreador",
    "NEWSPIDER_MODULE": "es parte del rastreador",
    "PLAYWRIGHT_LAUNCH_OPTIONS": "el navegador sale solo por el proxy que aplica la regla de direcciones",
    "PLAYWRIGHT_CONTEXTS": "el navegador sale solo por el proxy que aplica la regla de direcciones",
    "PLAYWRIGHT_CDP_URL": "el navegador sale solo por el proxy que aplica la regla de direcciones",
    "PLAYWRIGHT_CONNECT_URL": "el navegador sale solo por el proxy que aplica la regla de direcciones",
    "PLAYWRIGHT_BROWSER_PROVIDER": "el navegador sale solo por el proxy que aplica la regla de direcciones",
    "PLAYWRIGHT_ABORT_REQUEST": "limita el navegador a los hosts del portal",
    "PLAYWRIGHT_PROCESS_REQUEST_HEADERS": "es parte del rastreador",
    "HTTPCACHE_DIR": "lo fija --data-dir",
    "HTTPCACHE_STORAGE": "la caché guarda los cuerpos en el almacén de evidencia",
    "LOG_FILE": "lo fija el rastreo (carpeta de datos/logs)",
    "USER_AGENT": "el robot se identifica siempre como Vigía",
    "REMOTE_CONTROL_ENABLED": "abriría un puerto de control",
    "TELNETCONSOLE_ENABLED": "abriría un puerto de control",
}
#: Vigía settings read with a default in the code but not listed in crawler/settings.py
EXTRA_DEFAULTS: dict[str, Any] = {"VIGIA_BROWSER_ENABLED": True, "VIGIA_RETRY_BACKOFF": 0.5}
#: numeric settings that must be at least 1 (0 leaves the crawl with nothing to do)
AT_LEAST_ONE = {
    "CONCURRENT_REQUESTS",
    "CONCURRENT_REQUESTS_PER_DOMAIN",
    "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT",
    "PLAYWRIGHT_MAX_CONTEXTS",
    "VIGIA_ACTIVE_PORTALS",
    "VIGIA_PAGE_BUDGET",
}
_SECONDS_SUFFIXES = ("TIMEOUT", "DELAY", "SECONDS", "BACKOFF", "DEADLINE")
_TRUE = {"true", "1", "yes", "si", "sí", "on"}
_FALSE = {"false", "0", "no", "off"}


def known_defaults() -> dict[str, Any]:
    """Every setting --set may name, with its default (Scrapy's, then Vigía's on top)."""
    from scrapy.settings import default_settings

    from crawler import settings as vigia_settings

    out: dict[str, Any] = {}
    for module in (default_settings, vigia_settings):
        for name in dir(module):
            if name.isupper() and not name.startswith("_"):
                out[name] = getattr(module, name)
    for name, value in EXTRA_DEFAULTS.items():
        out.setdefault(name, value)
    return out


def refuse_protected(settings: dict[str, Any] | None) -> None:
    """Refuse overrides of protected keys (also for callers of the Python API)."""
    for key in settings or {}:
        if key in PROTECTED:
            raise UserError(f"--set {key} no se puede cambiar: {PROTECTED[key]}")


def _coerce(key: str, raw: Any, default: Any) -> Any:
    text = raw if isinstance(raw, str) else json.dumps(raw)
    shown = f"--set {key}={text[:80]}"
    if isinstance(default, bool):
        if isinstance(raw, bool):
            return raw
        if str(raw).strip().lower() in _TRUE:
            return True
        if str(raw).strip().lower() in _FALSE:
            return False
        raise UserError(f"{shown}: se espera true o false")
    if isinstance(default, int) and key.endswith(_SECONDS_SUFFIXES):
        default = float(default)  # a time: 2.5 s is as good as 3
    if isinstance(default, int):
        try:
            if isinstance(raw, bool) or not isinstance(raw, int | str):
                raise ValueError
            value = int(raw)
        except ValueError:
            raise UserError(f"{shown}: se espera un número entero") from None
        signed = key.endswith("PRIORITY") or key.endswith("PRIORITY_ADJUST")
        if (value < 0 and not signed) or (key in AT_LEAST_ONE and value < 1):
            raise UserError(
                f"{shown}: se espera un entero {'mayor que 0' if key in AT_LEAST_ONE else '>= 0'}"
            )
        return value
    if isinstance(default, float):
        try:
            if isinstance(raw, bool):
                raise ValueError
            value_f = float(raw)
        except (TypeError, ValueError):
            raise UserError(f"{shown}: se espera un número") from None
        if not value_f >= 0 or value_f == float("inf"):
            raise UserError(f"{shown}: se espera un número >= 0")
        return value_f
    if isinstance(default, str):
        if not isinstance(raw, str):
            return text
        return raw
    if isinstance(default, list | tuple):
        if not isinstance(raw, list):
            raise UserError(f"{shown}: se espera una lista JSON, p. ej. [500, 503]")
        return raw
    if isinstance(default, dict):
        if not isinstance(raw, dict):
            raise UserError(f'{shown}: se espera un objeto JSON, p. ej. {{"clave": 1}}')
        return raw
    return raw


def validate_overrides(settings: dict[str, Any] | None) -> dict[str, Any]:
    """The overrides, each checked and converted to its default's type; :class:`UserError` otherwise."""
    if not settings:
        return {}
    refuse_protected(settings)
    defaults = known_defaults()
    out: dict[str, Any] = {}
    for key, raw in settings.items():
        if key not in defaults:
            raise UserError(f"--set {key}: ajuste desconocido (ni de Scrapy ni de Vigía)")
        out[key] = _coerce(key, raw, defaults[key])
    return out
