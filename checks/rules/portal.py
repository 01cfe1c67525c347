"""Portal-level rules (numeral ``None``): what a monitor checks about the portal as a whole.

Each rule has its own code and module-level metadata; like the numeral rules they are pure
functions of the snapshot and ``as_of``. A crawl failure is ``unverified`` here too, never
``absent``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

from checks.model import ABSENT, OUTDATED, PRESENT, UNVERIFIED, Evidence, Finding, PortalSnapshot
from checks.periods import best_period, month_label, required_month
from checks.rules.base import crawl_failure_reason
from checks.text import EMAIL, PHONE, norm, url_host
from vigia.doctypes import DOCUMENT_FORMATS, OPEN_FORMATS

OPEN_SHARE_REQUIRED = 0.25


@dataclass(frozen=True)
class PortalRule:
    code: str
    title: str
    description: str
    check: Callable[[PortalSnapshot, dt.date], tuple[str, str, tuple[Evidence, ...]]]
    guidance: str  # what the municipality must do to comply (the checklist's "Qué hacer")
    numeral: None = None

    def evaluate(self, snapshot: PortalSnapshot, as_of: dt.date) -> Finding:
        if snapshot.failed and self.code != "PORTAL-DISPONIBLE":
            return Finding(self.code, None, UNVERIFIED, crawl_failure_reason(snapshot))
        status, reason, evidence = self.check(snapshot, as_of)
        return Finding(self.code, None, status, reason, evidence)


def _available(snapshot: PortalSnapshot, _as_of: dt.date) -> tuple[str, str, tuple[Evidence, ...]]:
    if snapshot.failed:
        return UNVERIFIED, crawl_failure_reason(snapshot), ()
    pages = max(snapshot.pages_count, len(snapshot.pages))
    if snapshot.outcome == "partial":
        why = f" ({snapshot.outcome_reason})" if snapshot.outcome_reason else ""
        return (
            PRESENT,
            f"El portal respondió, pero el rastreo fue parcial{why}: se visitaron {pages} páginas.",
            (),
        )
    return PRESENT, f"El portal respondió y se rastreó completo: {pages} páginas.", ()


def _https(snapshot: PortalSnapshot, _as_of: dt.date) -> tuple[str, str, tuple[Evidence, ...]]:
    host = url_host(snapshot.portal_url)
    urls = [
        p.final_url or p.url for p in snapshot.pages if url_host(p.final_url or p.url) == host or not host
    ]
    urls = urls or [snapshot.portal_url]
    secure = [u for u in urls if u.lower().startswith("https://")]
    if secure and len(secure) == len(urls):
        return PRESENT, "El portal se sirve con cifrado (https).", (Evidence(secure[0], "Página inicial"),)
    if secure:
        return (
            ABSENT,
            f"Solo {len(secure)} de {len(urls)} páginas se sirven con https; el resto viaja sin cifrar (http).",
            (Evidence(urls[0], "Página sin cifrar"),),
        )
    return (
        ABSENT,
        "El portal se sirve sin cifrado (http): instale un certificado y redirija a https.",
        (Evidence(urls[0], "Página sin cifrar"),),
    )


_UIP = re.compile(
    r"(?<![a-z])(?:unidad de (?:acceso a la )?informacion(?: publica)?|uip|encargad[oa] de (?:la )?(?:unidad de )?"
    r"(?:acceso a la )?informacion(?: publica)?|oficial de informacion)(?![a-z])"
)


def _uip_contact(snapshot: PortalSnapshot, _as_of: dt.date) -> tuple[str, str, tuple[Evidence, ...]]:
    for page in sorted(snapshot.pages, key=lambda p: p.url):
        if page.status >= 400:
            continue
        for block in page.blocks:
            text = norm(" ".join((*block.headings, block.text)))
            m = _UIP.search(text)
            if not m:
                continue
            window = text[max(0, m.start() - 300) : m.end() + 600]
            email, phone = EMAIL.search(window), PHONE.search(window)
            if email or phone:
                what = ", ".join(x for x in ("correo" if email else "", "teléfono" if phone else "") if x)
                label = block.headings[-1] if block.headings else (page.title or page.url)
                return (
                    PRESENT,
                    f"Se publica el contacto de la Unidad de Información Pública ({what}).",
                    (Evidence(page.final_url or page.url, label.strip()),),
                )
    if not snapshot.complete:
        return (
            UNVERIFIED,
            "No se encontró el contacto de la Unidad de Información Pública en lo rastreado (rastreo parcial).",
            (),
        )
    return (
        ABSENT,
        "No se encontró el contacto de la Unidad de Información Pública (encargado, correo o teléfono).",
        (),
    )


_UPDATED = re.compile(
    r"(?<![a-z])(?:ultima actualizacion|fecha de (?:la )?(?:ultima )?actualizacion|actualizad[oa] (?:al|el|en|hasta)"
    r"|actualizacion)\s*[:\-]?\s*"
)


def _last_update(snapshot: PortalSnapshot, as_of: dt.date) -> tuple[str, str, tuple[Evidence, ...]]:
    best = None
    for page in sorted(snapshot.pages, key=lambda p: p.url):
        if page.status >= 400:
            continue
        texts = [page.text] if page.text else [b.text for b in page.blocks]
        for text in texts:
            t = norm(text or "")
            for m in _UPDATED.finditer(t):
                period = best_period([t[m.end() : m.end() + 40]])
                if (
                    period
                    and period.kind != "year"
                    and (period.year, period.first) <= (as_of.year, as_of.month)
                ) and (best is None or period.key > best[0].key):
                    best = (period, page)
    if best is None:
        if not snapshot.complete:
            return (
                UNVERIFIED,
                "No se encontró la fecha de última actualización en lo rastreado (rastreo parcial).",
                (),
            )
        return ABSENT, "El portal no muestra la fecha de su última actualización.", ()
    period, page = best
    evidence = (Evidence(page.final_url or page.url, (page.title or "Página").strip(), period.code()),)
    req = required_month(as_of)
    shown = month_label(period.year, period.last)
    if period.key >= req:
        return PRESENT, f"El portal indica su última actualización: {shown}.", evidence
    return (
        OUTDATED,
        f"El portal indica como última actualización {shown}; con más de 30 días desde el cierre de "
        f"{month_label(*req)} se esperaría una actualización más reciente.",
        evidence,
    )


def _open_formats(snapshot: PortalSnapshot, _as_of: dt.date) -> tuple[str, str, tuple[Evidence, ...]]:
    docs = [
        d for d in snapshot.documents if not d.broken and not d.external and d.doc_type in DOCUMENT_FORMATS
    ]
    if not docs:
        if not snapshot.complete:
            return UNVERIFIED, "No se encontraron documentos en lo rastreado (rastreo parcial).", ()
        return ABSENT, "No se encontraron documentos publicados en el propio portal.", ()
    open_docs = sorted((d for d in docs if d.doc_type in OPEN_FORMATS), key=lambda d: d.url)
    scanned = [d for d in docs if d.doc_type == "pdf" and d.is_scanned]
    share = len(open_docs) / len(docs)
    text = (
        f"{len(open_docs)} de {len(docs)} documentos ({share:.0%}) en formatos abiertos (CSV, XLSX, XLS, ODS); "
        f"{len(scanned)} PDF escaneados sin texto ({len(scanned) / len(docs):.0%})."
    ).replace("%", " %")
    evidence = tuple(Evidence(d.url, d.label or d.url) for d in open_docs[:5])
    if share >= OPEN_SHARE_REQUIRED:
        return PRESENT, text, evidence
    return (
        ABSENT,
        text + f" Se espera al menos {OPEN_SHARE_REQUIRED:.0%} en formatos abiertos.".replace("%", " %"),
        evidence,
    )


AVAILABLE = PortalRule(
    "PORTAL-DISPONIBLE",
    "Portal disponible",
    "El portal respondió al rastreo (completo o parcial). Si no respondió, fue bloqueado o robots.txt lo "
    "impide, el resultado es No verificable: nunca No publicado.",
    _available,
    "Mantenga el portal en línea y accesible; si está caído o bloquea a los visitantes, corríjalo con su proveedor de hospedaje.",
)
HTTPS = PortalRule(
    "PORTAL-HTTPS",
    "Conexión cifrada (https)",
    "Todas las páginas del portal visitadas se sirven por https.",
    _https,
    "Sirva el portal por HTTPS con un certificado válido.",
)
UIP = PortalRule(
    "PORTAL-UIP",
    "Contacto de la Unidad de Información Pública",
    "El portal publica el contacto de la UIP: una sección que nombra la unidad o a su encargado junto a un "
    "correo o un teléfono.",
    _uip_contact,
    "Publique el nombre del encargado de la Unidad de Información Pública, su correo y su teléfono (LAIP, art. 19).",
)
LAST_UPDATE = PortalRule(
    "PORTAL-ACTUALIZACION",
    "Fecha de última actualización",
    "El portal muestra la fecha de su última actualización; Desactualizado si esa fecha es anterior al "
    "último mes exigible (fin de mes + 30 días, LAIP art. 7).",
    _last_update,
    "Indique en el portal la fecha de la última actualización de la información pública de oficio.",
)
OPEN_FORMATS_RULE = PortalRule(
    "PORTAL-FORMATOS-ABIERTOS",
    "Documentos en formatos abiertos",
    "Al menos 25 % de los documentos del portal en formatos abiertos y reutilizables (CSV, XLSX, XLS, ODS); "
    "se informa también la proporción de PDF escaneados sin texto.",
    _open_formats,
    "Publique los datos en formatos abiertos y legibles por máquina (CSV, XLSX, ODS) además de PDF; evite PDF escaneados sin texto.",
)
PORTAL_RULES = (AVAILABLE, HTTPS, UIP, LAST_UPDATE, OPEN_FORMATS_RULE)
