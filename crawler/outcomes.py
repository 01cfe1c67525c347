"""How a failed request, an HTTP error or a crawler limit is recorded on the portal's state.

A crawler failure is never non-compliance: a failure on the home page makes the crawl ``unreachable``,
``blocked`` or ``disallowed``; one inside the portal (a 5xx, a time-out, a 403 or a page over the size cap
inside the section, a page the parser had to cut short) makes it ``partial``, so the numerals it may hide
are "No verificable", never "No publicado".
"""

from __future__ import annotations

from typing import Any

from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse

from crawler.htmlparse import parse_html
from crawler.middlewares import OutOfScope
from crawler.safety import AddressRefused
from crawler.state import FAILURE_KINDS, PortalState, utcnow

#: failures that make a crawl ``partial`` when they hit a page inside the section (not its entry page,
#: whose block or ban decides the outcome itself)
SECTION_FAILURE_KINDS = {"login_wall", "captcha", "size_cap"}


def record_failure(
    st: PortalState, kind: str, root: bool, incident: str, url: str, message: str, in_section: bool = False
) -> None:
    st.incident(incident, url, message)
    if kind == "home":
        if st.home_failure is None and not st.home_ok:
            st.home_failure = (incident, message)
        return
    if root and incident in ("login_wall", "captcha", "robots_disallowed"):
        if st.section_failure is None:
            st.section_failure = (incident, message)
        return
    if incident in FAILURE_KINDS or (in_section and incident in SECTION_FAILURE_KINDS):
        st.failures += 1


def status_problem(st: PortalState, response: Response, kind: str, root: bool, in_section: bool) -> bool:
    """Record an HTTP error answer of a page; ``True`` if there was one."""
    status = response.status
    url = response.meta.get("redirect_urls", [response.url])[0]
    if status < 400:
        return False
    if status in (401, 403):
        captcha = False
        if isinstance(response, TextResponse) and kind != "document":
            captcha = parse_html(response.text, response.url).has_captcha
        if captcha:
            incident, message = "captcha", f"HTTP {status}: la página pide resolver un captcha"
        else:
            incident, message = "login_wall", f"HTTP {status}: acceso restringido"
    elif status >= 500 or status == 429:
        incident, message = "http_5xx", f"HTTP {status} tras reintentos"
    else:
        incident, message = "http_404", f"HTTP {status}"
    record_failure(st, kind, root, incident, url, message, in_section)
    return True


def header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1")[:64] if value else None


def content_length(response: Response) -> int | None:
    value = response.headers.get(b"Content-Length")
    try:
        return int(value) if value else None
    except ValueError:
        return None


def document_answer(st: PortalState, doc: dict[str, Any], response: Response, maxsize: int) -> bool:
    """Fill a document's record from its answer; ``True`` if its body is there to archive and read."""
    status = response.status
    doc["status"] = status
    doc["final_url"] = response.url
    doc["fetched_at"] = utcnow()
    ctype = response.headers.get(b"Content-Type", b"").decode("latin-1")
    doc["content_type"] = ctype[:128] or None
    doc["last_modified"] = header(response, b"Last-Modified")
    if status >= 400:
        doc["error"] = f"HTTP {status}"
        if status == 404 or status == 410:
            st.incident("http_404", doc["url"], f"documento no encontrado (HTTP {status})")
        elif status >= 500 or status == 429:
            st.incident("http_5xx", doc["url"], f"HTTP {status} tras reintentos")
            st.failures += 1
        else:
            st.incident("login_wall" if status in (401, 403) else "http_404", doc["url"], f"HTTP {status}")
        return False
    declared = content_length(response)
    if "download_stopped" in response.flags:
        doc["size"] = declared
        doc["fetched"] = False
        doc["error"] = "size_cap"
        st.incident(
            "size_cap",
            doc["url"],
            f"documento de {declared or '?'} bytes, mayor que el máximo de {maxsize}: solo metadatos",
        )
        return False
    doc["fetched"] = True
    doc["size"] = len(response.body)
    return True


def classify_failure(exc: BaseException) -> tuple[str, str]:
    """Map a download failure to an incident kind and a one-line message."""
    from scrapy.exceptions import (
        CannotResolveHostError,
        DownloadCancelledError,
        DownloadConnectionRefusedError,
        DownloadTimeoutError,
    )
    from twisted.internet import error as txerror

    name = type(exc).__name__
    text = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else name
    if isinstance(exc, AddressRefused) or "siempre rechazada" in text or "no permitida sin" in text:
        return "private_address_refused", text
    if isinstance(exc, OutOfScope):
        return "out_of_scope", text
    if isinstance(exc, IgnoreRequest):
        low = text.lower()
        if "robots.txt" in low:
            return "robots_disallowed", "robots.txt lo prohíbe"
        if "redirect" in low:
            return "redirect_loop", "demasiadas redirecciones (bucle)"
        return "parse_error", text
    if isinstance(exc, DownloadTimeoutError | txerror.TimeoutError | TimeoutError | txerror.TCPTimedOutError):
        return "timeout", f"tiempo de espera agotado ({text})"
    if isinstance(
        exc, DownloadConnectionRefusedError | txerror.ConnectionRefusedError | ConnectionRefusedError
    ):
        return "connection_refused", "conexión rechazada"
    if isinstance(exc, CannotResolveHostError | txerror.DNSLookupError):
        return "dns_error", f"no se pudo resolver el dominio ({text})"
    if isinstance(exc, DownloadCancelledError):
        return "size_cap", f"descarga cancelada por tamaño ({text})"
    upper = text.upper()
    if "ERR_CONNECTION_REFUSED" in upper:
        return "connection_refused", "conexión rechazada (navegador)"
    if "ERR_NAME_NOT_RESOLVED" in upper:
        return "dns_error", f"no se pudo resolver el dominio ({text})"
    if "ERR_TOO_MANY_REDIRECTS" in upper:
        return "redirect_loop", "demasiadas redirecciones (bucle)"
    if "timeout" in text.lower() or "timed out" in text.lower():
        return "timeout", f"tiempo de espera agotado ({text})"
    return "connection_refused", f"{name}: {text}"
