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
from crawler.state import FAILURE_KINDS, PortalState

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


def record_error(st: PortalState, request: Any, exc: BaseException) -> None:
    """Record a request that ended in an error (no answer): a failure of its page or document."""
    kind, root = request.meta.get("vigia_kind", "page"), bool(request.meta.get("vigia_section_root"))
    url = request.meta.get("redirect_urls", [request.url])[0]
    incident, message = classify_failure(exc)
    if incident == "out_of_scope":
        st.refused_out_of_scope += 1
        if kind == "home":
            st.home_failure = ("redirect_loop", message)
            st.incident("redirect_loop", url, f"redirección fuera del portal rechazada: {message}")
    elif kind == "document":
        doc = st.documents.get(request.meta.get("vigia_doc") or "")
        if doc is not None:
            doc["error"] = incident
        st.failures += incident in FAILURE_KINDS
        st.incident(incident, url, message)
    else:
        in_section = bool(request.meta.get("vigia_in_section"))
        record_failure(st, kind, root, incident, url, message, in_section)


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
