"""What every article-10 rule is: metadata, vocabulary, periodicity and one generic evaluation.

Each numeral has its own module (``checks/rules/laip_10_08.py`` …) that declares a
:class:`NumeralRule` named ``RULE`` with its code, title, legal text (literal or marked as summary),
what counts as present / outdated / absent, periodicity and vocabulary, plus any extra requirement
(``requires``: e.g. numeral 20 needs procurement operation numbers). The evaluation is a pure
function of the portal snapshot and ``as_of``.

Freshness (docs/legal-reading.md, LAIP art. 7 "actualizar … dentro de los treinta días siguientes"):

- monthly: current when the newest month published is at least the latest month M whose end + 30
  days is before ``as_of``; a quarter counts for its last month; a year-only label counts for
  December of a year already closed; gaps in the current year are named in the reason but do not
  change the status (the newest period governs);
- annual (current year): the fiscal year of ``as_of`` (the previous one until 31 January);
- annual (previous year): the year before ``as_of`` or later;
- standing / when it occurs: no period, present when evidence exists;
- not for municipalities: always ``not_applicable`` (except when the crawl failed: then, like every
  numeral, ``unverified``, as docs/legal-reading.md says for crawl failures).

A rule with an extra requirement (``requires``: 20 NOG, 26 archive report, 28 socio-linguistic report)
only counts evidence that shows it; when some documents of the numeral show it, the ones whose text
cannot be read (scanned, not downloaded) are given the benefit of the doubt; when the requirement can
only be read inside the documents (numeral 20's NOG) and no document of the numeral can be read at
all, they are judged on the rest and the reason says the requirement could not be checked.

Evidence with no period readable for a periodic numeral is ``outdated`` (we cannot say it is
current, and a wrong "Cumple" is the worst defect). Crawl failures are ``unverified``, never
``absent``; in a partial crawl a numeral with no evidence is ``unverified``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from checks.attribution import Item
from checks.model import (
    ABSENT,
    NOT_APPLICABLE,
    OUTDATED,
    PRESENT,
    STATUS_LABELS,
    UNVERIFIED,
    Evidence,
    Finding,
    PortalSnapshot,
)
from checks.periods import (
    MONTHS_ES,
    Period,
    month_label,
    required_month,
    required_year_current,
    required_year_previous,
)

MONTHLY = "monthly"
ANNUAL_CURRENT = "annual_current"
ANNUAL_PREVIOUS = "annual_previous"
STANDING = "standing"
WHEN_OCCURS = "when_occurs"
NOT_MUNICIPAL = "not_municipal"
PERIODICITIES = (MONTHLY, ANNUAL_CURRENT, ANNUAL_PREVIOUS, STANDING, WHEN_OCCURS, NOT_MUNICIPAL)
PERIODIC = (MONTHLY, ANNUAL_CURRENT, ANNUAL_PREVIOUS)

PERIODICITY_ES = {
    MONTHLY: "mensual",
    ANNUAL_CURRENT: "anual (ejercicio fiscal vigente)",
    ANNUAL_PREVIOUS: "anual (año anterior)",
    STANDING: "vigente (se actualiza al cambiar)",
    WHEN_OCCURS: "cuando ocurra",
    NOT_MUNICIPAL: "no aplica a municipalidades",
}
MAX_EVIDENCE = 12

OUTCOME_ES = {
    "unreachable": "el portal no respondió durante el rastreo",
    "blocked": "el portal bloqueó al rastreador",
    "disallowed": "el archivo robots.txt del portal no permite el rastreo",
    None: "el rastreo no terminó",
    "partial": "el rastreo fue parcial",
}


def crawl_failure_reason(snapshot: PortalSnapshot) -> str:
    why = OUTCOME_ES.get(snapshot.outcome, f"el rastreo terminó como {snapshot.outcome}")
    detail = f" ({snapshot.outcome_reason})" if snapshot.outcome_reason else ""
    return f"No verificable: {why}{detail}; no se puede afirmar que falte la información."


@dataclass(frozen=True)
class NumeralRule:
    """One numeral of LAIP article 10."""

    numeral: int
    title: str
    legal_text: str
    legal_text_is_summary: bool
    periodicity: str
    vocabulary: tuple[str, ...]
    present: str
    outdated: str
    absent: str
    guidance: str  # what the municipality must do to comply (the checklist's "Qué hacer")
    verification: str  # how the legal text was checked against the law (provenance of ``legal_text``)
    requires: str | None = None  # regex over the evidence's context (words), when more than "a document"
    requires_es: str = ""  # what ``requires`` asks for, in Spanish ("el número de operación (NOG)")
    accepts_norms: bool = False  # regulations, manuals, laws and forms are evidence for it (numerals 1 and 6)
    requirement_inside_documents: bool = False  # True when only the documents' text can show it (NOG)
    report_noun: str = "documento"  # "informe mensual", "presupuesto" … for reasons
    #: regexes over a section's normalised text that, all found, make the page text alone this numeral's
    #: publication although it is short (numeral 2: an address and a phone or e-mail)
    content_signals: tuple[str, ...] = ()
    #: the page's own text under the numeral's subject heading can be its publication (structure and
    #: functions, addresses and phones), not only under a heading that numbers it
    page_content: bool = False
    notes: tuple[str, ...] = field(default=())

    @property
    def code(self) -> str:
        return f"LAIP-10.{self.numeral:02d}"

    @property
    def applies_to_municipalities(self) -> bool:
        return self.periodicity != NOT_MUNICIPAL

    @property
    def periodicity_es(self) -> str:
        return PERIODICITY_ES[self.periodicity]

    @property
    def legal_text_kind_es(self) -> str:
        """How the checklist and the docs qualify ``legal_text``."""
        if self.legal_text_is_summary:
            return "Resumen del texto legal, no su redacción literal."
        return "Texto literal de la ley."

    def __post_init__(self) -> None:
        if self.periodicity not in PERIODICITIES:
            raise ValueError(f"{self.code}: unknown periodicity {self.periodicity!r}")
        if not (self.title and self.legal_text and self.guidance and self.verification):
            raise ValueError(f"{self.code}: title, legal_text, guidance and verification are required")

    # ------------------------------------------------------------------ evaluation

    def evaluate(self, snapshot: PortalSnapshot, as_of: dt.date) -> Finding:
        finding = self._evaluate(snapshot, as_of)
        if snapshot.failed or finding.status == UNVERIFIED or self.periodicity == NOT_MUNICIPAL:
            return finding
        over = tuple(i for i in snapshot.analysis.items.get(self.numeral, ()) if i.over_limit)
        if not over:
            return finding
        # A document under this numeral broke a reading limit (a decompression bomb, a reader out of memory
        # or time): it may hold anything, so whatever the rest says the numeral is not judged. A crawler
        # limit is never non-compliance; the reason says what the other evidence would give, for the review.
        others = f"con los demás documentos sería «{STATUS_LABELS[finding.status]}»"
        return self._finding(
            UNVERIFIED,
            f"El documento «{_short(over[0].label)}» ({over[0].url}) superó los límites de lectura (posible "
            f"archivo hostil) y no se pudo verificar su contenido; {others}. Requiere revisión.",
        )

    def _evaluate(self, snapshot: PortalSnapshot, as_of: dt.date) -> Finding:
        if snapshot.failed:
            return self._finding(UNVERIFIED, crawl_failure_reason(snapshot))
        if self.periodicity == NOT_MUNICIPAL:
            return self._finding(
                NOT_APPLICABLE,
                f"El numeral {self.numeral} no aplica a las municipalidades: obliga a entidades "
                "internacionales u organizaciones privadas que administran fondos públicos.",
            )
        analysis = snapshot.analysis
        items = analysis.items.get(self.numeral, ())
        rejected: tuple[Item, ...] = ()
        unread = False
        if self.requires:
            rx = re.compile(self.requires)
            satisfied = tuple(i for i in items if rx.search(i.context))
            if (
                not satisfied
                and self.requirement_inside_documents
                and items
                and not any(i.readable for i in items)
            ):
                # every document is a scan (or could not be read): the requirement lives inside them
                # and nothing contradicts it; judged on the rest, and the reason says so
                satisfied = items
                unread = True
            elif satisfied:
                # a series that shows the requirement elsewhere: its unreadable documents (scanned
                # PDFs, files not downloaded) are given the benefit of the doubt
                satisfied += tuple(i for i in items if not i.readable and i not in satisfied)
            rejected = tuple(i for i in items if i not in satisfied)
            items = tuple(sorted(satisfied, key=lambda i: (i.url, i.page_url or "")))
        if not items:
            statement = analysis.not_applicable.get(self.numeral)
            if statement:
                return self._finding(
                    NOT_APPLICABLE, f"El portal declara que no aplica: «{_short(statement)}»."
                )
            if not snapshot.complete:
                return self._finding(
                    UNVERIFIED,
                    f"No se encontró {self.title.lower()} en lo rastreado, pero el rastreo fue parcial: "
                    "no se puede afirmar que falte.",
                )
            return self._finding(ABSENT, self._absent_reason(snapshot, rejected))
        finding = self._judge(items, as_of)
        shown = {e.url for e in finding.evidence}
        moved = sorted({i.renumbered for i in items if i.renumbered is not None and i.url in shown})
        if moved:
            numbers = ", ".join(str(m) for m in moved)
            finding = Finding(
                finding.rule,
                finding.numeral,
                finding.status,
                finding.reason
                + f" El portal lo numera como {numbers}, pero por su tema corresponde al numeral {self.numeral}.",
                finding.evidence,
                finding.period,
            )
        if unread:
            note = f" No se pudo comprobar {self.requires_es}: los documentos están escaneados o no se pudieron leer."
            finding = Finding(
                finding.rule,
                finding.numeral,
                finding.status,
                finding.reason + note,
                finding.evidence,
                finding.period,
            )
        return finding

    def _absent_reason(self, snapshot: PortalSnapshot, rejected: tuple[Item, ...]) -> str:
        analysis = snapshot.analysis
        parts = [f"No se encontró publicación de «{self.title}» (artículo 10, numeral {self.numeral})."]
        if rejected:
            parts.append(
                f"Se encontraron {len(rejected)} documento(s) bajo este numeral, pero ninguno con {self.requires_es}."
            )
        broken = analysis.broken.get(self.numeral, ())
        if broken:
            parts.append(
                f"El enlace «{_short(broken[0].label)}» no funciona (el documento no se pudo descargar)."
            )
        bare = analysis.unexplained_na.get(self.numeral)
        if bare:
            parts.append(
                f"El portal dice «{_short(bare, 60)}» sin explicar por qué; sin motivo no basta para «No aplica»."
            )
        empty = analysis.empty_sections.get(self.numeral)
        if empty and not rejected and not bare:
            parts.append(f"La sección «{_short(empty)}» no enlaza ningún documento.")
        return " ".join(parts)

    def _judge(self, items: tuple[Item, ...], as_of: dt.date) -> Finding:
        if self.periodicity not in PERIODIC:
            evidence = self._evidence(items)
            if all(i.source == "content" for i in items):
                return self._finding(
                    PRESENT,
                    f"Publicado en el contenido de la página «{_short(evidence[0].label)}» (sin documento adjunto).",
                    evidence,
                )
            return self._finding(
                PRESENT,
                f"Publicado: «{_short(evidence[0].label)}»"
                + (f" y {len(items) - 1} documento(s) más." if len(items) > 1 else "."),
                evidence,
            )
        dated = [(i, p) for i in items if (p := _valid(i.period, as_of)) is not None]
        if self.periodicity == MONTHLY:
            return self._judge_monthly(items, dated, as_of)
        required = (
            required_year_current(as_of)
            if self.periodicity == ANNUAL_CURRENT
            else required_year_previous(as_of)
        )
        if not dated:
            return self._finding(
                OUTDATED,
                f"Se encontró {self.report_noun} pero no indica el año; se requiere el de {required}.",
                self._evidence(items),
            )
        newest_year = max(p.year for _i, p in dated)
        evidence = self._evidence(items, dated)
        newest = f"{newest_year}"
        if newest_year >= required:
            return self._finding(
                PRESENT,
                f"Publicado el {self.report_noun} de {newest} (se requiere {required} o posterior).",
                evidence,
                newest,
            )
        return self._finding(
            OUTDATED,
            f"Último {self.report_noun} publicado: {newest}; se requiere el de {required}.",
            evidence,
            newest,
        )

    def _judge_monthly(
        self, items: tuple[Item, ...], dated: list[tuple[Item, Period]], as_of: dt.date
    ) -> Finding:
        req_year, req_month = required_month(as_of)
        required = month_label(req_year, req_month)
        keys: list[tuple[int, int]] = []
        covered: set[tuple[int, int]] = set()
        for _i, p in dated:
            if p.kind == "year":
                if p.year < as_of.year:
                    keys.append((p.year, 12))
                    covered.update((p.year, m) for m in range(1, 13))
                continue
            keys.append(p.key)
            covered.update((p.year, m) for m in range(p.first, p.last + 1))
        if not keys:
            return self._finding(
                OUTDATED,
                f"Se encontró {self.report_noun} pero no indica el mes que cubre; se requiere al menos {required}.",
                self._evidence(items, dated),
            )
        newest = max(keys)
        newest_label = month_label(*newest)
        gaps = (
            [m for m in range(1, newest[1]) if (newest[0], m) not in covered] if newest[0] == req_year else []
        )
        gap_text = ""
        if gaps:
            names = ", ".join(MONTHS_ES[m - 1] for m in gaps)
            gap_text = f" Faltan meses de {newest[0]}: {names}."
        evidence = self._evidence(items, dated)
        period = f"{newest[0]}-{newest[1]:02d}"
        if newest >= (req_year, req_month):
            return self._finding(
                PRESENT,
                f"Publicado hasta {newest_label} (se requiere al menos {required}).{gap_text}",
                evidence,
                period,
            )
        return self._finding(
            OUTDATED,
            f"Último {self.report_noun} publicado: {newest_label}; se requiere al menos {required}.{gap_text}",
            evidence,
            period,
        )

    def _evidence(
        self, items: tuple[Item, ...], dated: list[tuple[Item, Period]] | None = None
    ) -> tuple[Evidence, ...]:
        periods = {id(i): p for i, p in (dated or [])}

        def key(i: Item) -> tuple[int, int, str, str]:
            p = periods.get(id(i))
            return (-(p.year if p else 0), -(p.last if p else 0), i.url, i.page_url or "")

        chosen = sorted(items, key=key)[:MAX_EVIDENCE]
        out = []
        for i in chosen:
            p = periods.get(id(i))
            out.append(
                Evidence(
                    url=i.url,
                    label=i.label or i.url,
                    period=p.code() if p else None,
                    page_url=i.page_url,
                    sha256=i.sha256,
                )
            )
        return tuple(out)

    def _finding(
        self, status: str, reason: str, evidence: tuple[Evidence, ...] = (), period: str | None = None
    ) -> Finding:
        return Finding(
            rule=self.code,
            numeral=self.numeral,
            status=status,
            reason=reason,
            evidence=evidence,
            period=period,
        )


def _valid(period: Period | None, as_of: dt.date) -> Period | None:
    """Drop periods that cannot be real reports yet (a month after ``as_of``; a year beyond the next)."""
    if period is None:
        return None
    if period.kind == "year":
        return period if period.year <= as_of.year + 1 else None
    if (period.year, period.first) > (as_of.year, as_of.month):
        return None
    return period


def _short(text: str, limit: int = 160) -> str:
    """Portal text quoted in a reason: one line, bounded (pages are hostile input)."""
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
