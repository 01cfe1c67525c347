"""View model of the nightly report's "Propuestas de actualización del registro": portals that moved.

A portal moved when its home page redirects to another host. The crawl records the home page's
redirects with their HTTP statuses (``PortalCrawl.stats["home_redirects"]``, crawler/state.py):

* a **permanent** redirect (301 or 308) proposes the new address at once;
* a **temporary** one (302, 303, 307, or a crawl that did not record the status) is proposed only when the
  previous night saw the same target host too, and says it needs confirming;
* a **platform change** (the observed platform differs from the registry's declared one, or from the
  previous night's) proposes updating ``platform``.

Nothing here changes the registry: a monitor edits ``municipalities.csv`` (or runs
``vigia municipalities discover --only CODE``) after checking.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select

from reports import fmt
from vigia.registry import Municipality
from vigia.store.models import Page, PortalCrawl

PERMANENT_STATUSES: frozenset[int] = frozenset({301, 308})


@dataclass(frozen=True, slots=True)
class HomeSignal:
    """What one night's crawl says about a portal's address and platform."""

    crawl_id: int
    portal_key: str
    ine_code: str | None
    portal_url: str
    platform_observed: str | None
    redirects: tuple[tuple[str, str, tuple[Any, ...]], ...] = ()  # (from, to, statuses)
    recorded: bool = True  # False: an older crawl without redirect statuses (from the stored home page)


@dataclass(frozen=True, slots=True)
class RegistryProposalRow:
    ine_code: str
    municipality: str
    department: str
    anchor: str
    field: str  # portal_url | platform
    current: str
    proposed: str
    evidence: str
    certainty: str


@dataclass(frozen=True, slots=True)
class RegistryProposalsView:
    rows: tuple[RegistryProposalRow, ...] = field(default_factory=tuple)

    def __bool__(self) -> bool:
        return bool(self.rows)


def _host(url: str | None) -> str:
    host = (urlsplit(url or "").hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


def load_signals(store: Any, run_id: int | None) -> dict[str, HomeSignal]:
    """The run's signals by portal key (empty for ``None``)."""
    if run_id is None:
        return {}
    out: dict[str, HomeSignal] = {}
    with store.session() as s:
        crawls = s.execute(
            select(
                PortalCrawl.id,
                PortalCrawl.portal_key,
                PortalCrawl.ine_code,
                PortalCrawl.portal_url,
                PortalCrawl.platform_observed,
                PortalCrawl.stats,
            ).where(PortalCrawl.run_id == run_id)
        ).all()
        missing = [c.id for c in crawls if not isinstance(c.stats, dict) or "home_redirects" not in c.stats]
        homes: dict[int, tuple[str, str]] = {}
        if missing:
            for chunk in range(0, len(missing), 500):
                ids = missing[chunk : chunk + 500]
                for pid, url, final in s.execute(
                    select(Page.portal_crawl_id, Page.url, Page.final_url)
                    .where(Page.portal_crawl_id.in_(ids), Page.depth == 0)
                    .order_by(Page.id)
                ).all():
                    homes.setdefault(pid, (url, final))
    for c in crawls:
        stats = c.stats if isinstance(c.stats, dict) else {}
        if "home_redirects" in stats:
            redirects = tuple(
                (str(r.get("from", "")), str(r.get("to", "")), tuple(r.get("statuses") or ()))
                for r in stats["home_redirects"]
                if isinstance(r, dict)
            )
            recorded = True
        else:
            url, final = homes.get(c.id, ("", ""))
            redirects = ((url, final, ()),) if url and final and _host(url) != _host(final) else ()
            recorded = False
        out[c.portal_key] = HomeSignal(
            c.id, c.portal_key, c.ine_code, c.portal_url or "", c.platform_observed, redirects, recorded
        )
    return out


def _moved(signal: HomeSignal, previous: HomeSignal | None) -> tuple[str, str, str] | None:
    """(new URL, evidence, certainty) when the home page went to another host."""
    for src, dst, statuses in signal.redirects:
        if not dst or _host(src) == _host(dst):
            continue
        codes = [s for s in statuses if isinstance(s, int)]
        shown = ", ".join(str(s) for s in statuses) or "tipo no registrado"
        evidence = f"la página de inicio {src} redirige (HTTP {shown}) a {dst}"
        if any(code in PERMANENT_STATUSES for code in codes):
            return dst, evidence, "Redirección permanente"
        before = previous is not None and any(_host(d) == _host(dst) for _, d, _ in previous.redirects)
        if before:
            return dst, evidence + "; también la noche anterior", "Redirección temporal dos noches: confirmar"
    return None


def registry_proposals(
    current: Mapping[str, HomeSignal],
    previous: Mapping[str, HomeSignal],
    registry: Sequence[Municipality],
) -> RegistryProposalsView:
    """The proposals for one night (a pure function of the two nights' signals and the registry)."""
    by_code = {m.ine_code: m for m in registry}
    rows: list[RegistryProposalRow] = []
    for key, sig in current.items():
        m = by_code.get(sig.ine_code or "")
        if m is None or not m.portal_url:
            continue
        prev = previous.get(key)
        moved = _moved(sig, prev)
        if moved is not None and _host(moved[0]) != _host(m.portal_url):
            new, evidence, certainty = moved
            rows.append(
                RegistryProposalRow(
                    m.ine_code,
                    m.municipality,
                    m.department,
                    f"p{sig.crawl_id}",
                    "portal_url",
                    fmt.clean_text(m.portal_url, 160),
                    fmt.clean_text(new, 160),
                    fmt.clean_text(evidence, 400),
                    certainty,
                )
            )
        observed = sig.platform_observed
        if observed and observed != "unknown":
            prev_observed = prev.platform_observed if prev else None
            evidence = ""
            if m.platform != "unknown" and observed != m.platform:
                evidence = f"el registro declara {m.platform}; el rastreo observó {observed}"
            elif prev_observed and prev_observed not in ("unknown", observed) and m.platform != observed:
                evidence = (
                    f"la plataforma observada cambió de {prev_observed} a {observed} desde la noche anterior"
                )
            if evidence:
                same_before = prev_observed == observed
                rows.append(
                    RegistryProposalRow(
                        m.ine_code,
                        m.municipality,
                        m.department,
                        f"p{sig.crawl_id}",
                        "platform",
                        m.platform,
                        observed,
                        evidence,
                        "Observada dos noches" if same_before else "Una noche: confirmar",
                    )
                )
    rows.sort(key=lambda r: (r.department, r.municipality.casefold(), r.field))
    return RegistryProposalsView(tuple(rows))


def registry_proposals_view(
    store: Any, run_id: int, previous_run_id: int | None, registry: Sequence[Municipality]
) -> RegistryProposalsView:
    return registry_proposals(load_signals(store, run_id), load_signals(store, previous_run_id), registry)
