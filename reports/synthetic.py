"""Synthetic stores for the reports: a small hand-made scenario (tests, golden files) and a large random one.

The statuses here are invented test data written straight into the store, as the checks would write
them; nothing here is rule logic. Run ``python -m reports.synthetic --help`` for the benchmark::

    python -m reports.synthetic --portals 340 --nights 2 --out /tmp/vigia-bench
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from checks.facts import FAILED_OUTCOMES, NUMERALS, OUTDATED_CREDIT, band_for
from checks.facts import MONTHLY as MONTHLY_KIND
from checks.facts import PORTAL_RULES as PORTAL_RULE_OBJECTS
from vigia.registry import DEPARTMENTS, Municipality, load_registry
from vigia.store.db import Store, open_store
from vigia.store.models import Blob, CrawlRun, Evaluation, Finding, Incident, PortalCrawl

PORTAL_RULES = tuple(rule.code for rule in PORTAL_RULE_OBJECTS)
MONTHLY = tuple(n for n, rule in NUMERALS.items() if rule.periodicity == MONTHLY_KIND)
NOT_MUNICIPAL = tuple(n for n, rule in NUMERALS.items() if not rule.applies_to_municipalities)
REASONS = {
    "present": "Se encontró la publicación del numeral con su periodo vigente.",
    "outdated": "El último periodo publicado es anterior al que exige la ley.",
    "absent": "El portal se rastreó por completo y no publica este numeral.",
    "not_applicable": "No aplica a las municipalidades.",
    "unverified": "No se pudo verificar: el rastreo no se completó.",
}
HOSTILE_SCRIPT = "<script>alert(1)</script>"
HOSTILE_IMG = '"><img src=x onerror=alert(1)>'
HOSTILE_JS = "javascript:alert(1)"
AS_OF = dt.date(2026, 11, 25)


def score_of(statuses: dict[int, str]) -> float:
    """Test data follows docs/legal-reading.md's formula so the figures look like the checks' own."""
    applicable = [s for s in statuses.values() if s != "not_applicable"]
    if not applicable:
        return 0.0
    points = sum(1.0 if s == "present" else OUTDATED_CREDIT if s == "outdated" else 0.0 for s in applicable)
    return round(100 * points / len(applicable), 2)


def band_of(score: float) -> str:
    return band_for(score)


@dataclass
class PortalSpec:
    municipality: Municipality
    outcome: str
    statuses: dict[int, str]  # numeral -> status (all 29)
    portal_rules: dict[str, str] = field(default_factory=dict)
    outcome_reason: str | None = None
    platform_observed: str | None = None
    pages: int = 40
    documents: int = 120
    seconds: float = 95.0
    incidents: list[tuple[str, str | None, str]] = field(default_factory=list)
    evidence_label: dict[int, str] = field(default_factory=dict)  # override the label of numeral N
    evidence_url: dict[int, str] = field(default_factory=dict)  # override the URL of numeral N
    page_url: str | None = None  # override the page URL of all evidence
    reason: dict[int, str] = field(default_factory=dict)
    municipality_name: str | None = None  # override the stored name (hostile tests)
    series: dict[int, int] = field(default_factory=dict)  # numeral -> older monthly items also cited


def _pdf_bytes(text: str) -> bytes:
    body = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("latin-1", "replace")
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]/Contents 4 0 R>>endobj\n"
        b"4 0 obj<</Length " + str(len(body)).encode() + b">>stream\n" + body + b"\nendstream endobj\n%%EOF\n"
    )


def _period(numeral: int, status: str, as_of: dt.date) -> str | None:
    if numeral in MONTHLY:
        months_back = 2 if status == "present" else 7
        y, m = as_of.year, as_of.month - months_back
        while m <= 0:
            m += 12
            y -= 1
        return f"{y}-{m:02d}"
    if numeral in (5, 7):
        return str(as_of.year if status == "present" else as_of.year - 2)
    if numeral in (13, 23, 26, 28):
        return str(as_of.year - 1 if status == "present" else as_of.year - 3)
    return None


def add_night(
    store: Store,
    specs: Sequence[PortalSpec],
    started: dt.datetime,
    as_of: dt.date,
    kind: str = "nightly",
    with_blobs: bool = True,
) -> int:
    """Write one run (crawl rows, incidents, evaluations, findings) for ``specs``; returns the run id."""
    seen_blobs: set[str] = set()
    with store.session() as session:
        run = CrawlRun(
            kind=kind,
            status="finished",
            started_at=started,
            finished_at=started + dt.timedelta(minutes=40),
            vigia_version="0.1.0",
            settings={},
        )
        session.add(run)
        session.flush()
        for i, spec in enumerate(specs):
            m = spec.municipality
            host = m.portal_url or f"https://muni{m.ine_code}.example.gob.gt/"
            begin = started + dt.timedelta(seconds=7 * i)
            crawl = PortalCrawl(
                run_id=run.id,
                portal_key=m.ine_code,
                ine_code=m.ine_code,
                municipality=spec.municipality_name or m.municipality,
                department=m.department,
                portal_url=host,
                platform_declared=m.platform,
                platform_observed=spec.platform_observed,
                transparency_url=host + "transparencia/" if spec.outcome in ("complete", "partial") else None,
                outcome=spec.outcome,
                outcome_reason=spec.outcome_reason,
                started_at=begin,
                finished_at=begin + dt.timedelta(seconds=spec.seconds),
                pages_count=spec.pages if spec.outcome in ("complete", "partial") else 0,
                documents_count=spec.documents if spec.outcome in ("complete", "partial") else 0,
                requests_count=(spec.pages + spec.documents)
                if spec.outcome in ("complete", "partial")
                else 3,
                bytes_received=(spec.pages * 40_000 + spec.documents * 150_000)
                if spec.outcome in ("complete", "partial")
                else 0,
                stats={},
            )
            session.add(crawl)
            session.flush()
            for j, (kind_, url, message) in enumerate(spec.incidents):
                session.add(
                    Incident(
                        portal_crawl_id=crawl.id,
                        kind=kind_,
                        url=url,
                        message=message,
                        at=begin + dt.timedelta(seconds=j + 1),
                    )
                )
            scored = spec.outcome == "complete"
            score = score_of(spec.statuses) if scored else None
            evaluation = Evaluation(
                portal_crawl_id=crawl.id,
                as_of=as_of,
                rules_version="2026.11-synthetic",
                score=score,
                band=band_of(score) if score is not None else None,
                no_score_reason=None
                if scored
                else (
                    "El rastreo quedó incompleto: no hay puntaje esta noche."
                    if spec.outcome == "partial"
                    else "El portal no pudo rastrearse: no hay puntaje esta noche."
                ),
                created_at=started + dt.timedelta(hours=1),
            )
            session.add(evaluation)
            session.flush()
            position = 0
            for n in range(1, 30):
                status = spec.statuses[n]
                evidence = []
                period = None
                if status in ("present", "outdated"):
                    period = _period(n, status, as_of)
                    label = spec.evidence_label.get(n) or f"Numeral {n} — publicación {period or 'vigente'}"
                    url = (
                        spec.evidence_url.get(n)
                        or f"{host}transparencia/numeral-{n:02d}-{period or 'vigente'}.pdf"
                    )
                    sha = None
                    if with_blobs:
                        body = _pdf_bytes(f"{m.municipality} numeral {n} {period} {started.date()}")
                        sha = store.blobs.put(body)
                        if sha not in seen_blobs and session.get(Blob, sha) is None:
                            session.add(Blob(sha256=sha, size=len(body), content_type="application/pdf"))
                        seen_blobs.add(sha)
                    evidence.append(
                        {
                            "url": url,
                            "label": label,
                            "period": period,
                            "page_url": spec.page_url or f"{host}transparencia/",
                            "sha256": sha,
                        }
                    )
                    for k in range(1, spec.series.get(n, 0) + 1):
                        month = f"{as_of.year}-{max(1, as_of.month - 2 - k):02d}"
                        evidence.append(
                            {
                                "url": f"{host}transparencia/numeral-{n:02d}-{month}.pdf",
                                "label": f"Numeral {n} — {month}",
                                "period": month,
                                "page_url": f"{host}transparencia/",
                                "sha256": None,
                            }
                        )
                session.add(
                    Finding(
                        evaluation_id=evaluation.id,
                        position=position,
                        rule=f"LAIP-10.{n:02d}",
                        numeral=n,
                        status=status,
                        reason=spec.reason.get(n) or REASONS[status],
                        period=period,
                        evidence=evidence,
                        details={},
                    )
                )
                position += 1
            for code in PORTAL_RULES:
                status = spec.portal_rules.get(code) or ("present" if scored else "unverified")
                session.add(
                    Finding(
                        evaluation_id=evaluation.id,
                        position=position,
                        rule=code,
                        numeral=None,
                        status=status,
                        reason=REASONS[status] if status != "present" else "Verificado en el portal.",
                        period=None,
                        evidence=[],
                        details={},
                    )
                )
                position += 1
        run_id = run.id
    return run_id


# --------------------------------------------------------------------------- the small scenario


def _m(
    code: str, name: str, url: str | None, platform: str = "unknown", priority: bool = False
) -> Municipality:
    dep = DEPARTMENTS[code[:2]]
    return Municipality(
        ine_code=code,
        department=dep,
        municipality=name,
        portal_url=url,
        platform=platform,
        priority=priority,
        department_code=code[:2],
    )


def scenario_registry() -> list[Municipality]:
    return [
        _m("0101", "Guatemala", "https://muniguate.example.gob.gt/", "wordpress"),
        _m("0108", "Mixco", "https://munimixco.example.gob.gt/", "wordpress", priority=True),
        _m("0301", "Antigua Guatemala", "https://muniantigua.example.gob.gt/", "joomla"),
        _m("0901", "Quetzaltenango", "https://munixela.example.gob.gt/", "laip_standard"),
        _m("1301", "Huehuetenango", "https://munihuehue.example.gob.gt/", "static", priority=True),
        _m("1601", "Cobán", "https://municoban.example.gob.gt/", "javascript"),
        _m("1701", "Flores", "https://muniflores.example.gob.gt/", "unknown"),
        _m("1401", "Santa Cruz del Quiché", None, priority=True),
    ]


def _statuses(default: str, **overrides: str) -> dict[int, str]:
    result = {n: default for n in range(1, 30)}
    result.update(dict.fromkeys(NOT_MUNICIPAL, "not_applicable"))
    for key, value in overrides.items():
        result[int(key.removeprefix("n"))] = value
    return result


def scenario_specs(night: int) -> list[PortalSpec]:
    """Night 1 and night 2 of the small scenario (see tests/test_reports.py)."""
    reg = {m.ine_code: m for m in scenario_registry()}
    second = night == 2
    guatemala = PortalSpec(
        reg["0101"],
        "complete",
        _statuses("present", n8="present" if second else "outdated", n12="outdated", n21="not_applicable"),
        platform_observed="wordpress",
        series={8: 9},
        incidents=[
            ("http_404", "https://muniguate.example.gob.gt/docs/viejo.pdf", "Documento no encontrado (404)")
        ],
    )
    mixco = PortalSpec(
        reg["0108"],
        "complete",
        _statuses(
            "present",
            n3="absent" if second else "present",
            n4="outdated",
            n9="absent",
            n10="absent",
            n14="outdated",
            n19="absent",
        ),
        platform_observed="joomla" if second else "wordpress",
    )
    antigua = PortalSpec(
        reg["0301"],
        "complete",
        _statuses("absent", n1="present", n2="present", n6="present", n7="outdated", n8="outdated"),
        platform_observed="joomla",
        portal_rules={"PORTAL-HTTPS": "absent", "PORTAL-UIP": "absent"},
    )
    xela = PortalSpec(
        reg["0901"],
        "partial",
        _statuses("unverified", n1="present", n2="present", n3="present", n8="outdated"),
        outcome_reason="Se agotó el presupuesto de páginas antes de recorrer toda la sección de transparencia.",
        platform_observed="laip_standard",
        incidents=[("timeout", "https://munixela.example.gob.gt/ley/8", "Tiempo de espera agotado (30 s)")],
    )
    huehue = PortalSpec(
        reg["1301"],
        "unreachable" if second else "complete",
        _statuses("unverified")
        if second
        else _statuses("present", n8="outdated", n9="outdated", n20="absent"),
        outcome_reason="Conexión rechazada tras 3 intentos." if second else None,
        platform_observed=None if second else "static",
        seconds=12.0 if second else 80.0,
        incidents=[("connection_refused", "https://munihuehue.example.gob.gt/", "Conexión rechazada")]
        if second
        else [],
    )
    coban = PortalSpec(
        reg["1601"],
        "complete" if second else "blocked",
        _statuses("present", n13="absent", n23="absent", n26="absent", n28="absent")
        if second
        else _statuses("unverified"),
        outcome_reason=None if second else "El portal respondió con una página de verificación (captcha).",
        platform_observed="javascript" if second else None,
    )
    flores = PortalSpec(
        reg["1701"],
        "complete",
        _statuses("outdated", n1="present", n2="present", n5="absent", n27="absent"),
        platform_observed="static",
        municipality_name=f"Flores {HOSTILE_SCRIPT}",
        evidence_label={1: f"Organigrama {HOSTILE_SCRIPT}", 2: f"Directorio {HOSTILE_IMG}"},
        evidence_url={
            1: HOSTILE_JS,
            2: f"https://muniflores.example.gob.gt/{HOSTILE_IMG}",
            3: " JaVaScRiPt:alert(3)",
        },
        page_url="java\tscript:alert(2)",
        reason={1: f"Publicado {HOSTILE_SCRIPT}", 3: f"Tabla mensual {HOSTILE_IMG}"},
        incidents=[("bad_link", "javascript:alert(4)", f"Enlace raro {HOSTILE_SCRIPT}")],
    )
    return [guatemala, mixco, antigua, xela, huehue, coban, flores]


def build_scenario(store: Store) -> tuple[int, int]:
    """Two nights of the small scenario; returns (first run id, second run id)."""
    first = add_night(store, scenario_specs(1), dt.datetime(2026, 11, 24, 8, 0), dt.date(2026, 11, 24))
    second = add_night(store, scenario_specs(2), dt.datetime(2026, 11, 25, 8, 0), AS_OF)
    return first, second


# --------------------------------------------------------------------------- the large random store


def random_specs(registry: Sequence[Municipality], portals: int, seed: int, night: int) -> list[PortalSpec]:
    rng = random.Random(seed * 1000 + night)
    base = random.Random(seed)
    specs = []
    for m in list(registry)[:portals]:
        quality = base.random()
        roll = rng.random()
        if roll < 0.04:
            outcome = rng.choice(FAILED_OUTCOMES)
        elif roll < 0.08:
            outcome = "partial"
        else:
            outcome = "complete"
        statuses: dict[int, str] = {}
        for n in range(1, 30):
            if n in NOT_MUNICIPAL:
                statuses[n] = "not_applicable"
            elif outcome in FAILED_OUTCOMES:
                statuses[n] = "unverified"
            else:
                r = rng.random()
                if r < quality * 0.85:
                    statuses[n] = "present"
                elif r < quality * 0.85 + 0.12:
                    statuses[n] = "outdated"
                elif outcome == "partial":
                    statuses[n] = "unverified"
                else:
                    statuses[n] = "absent"
        specs.append(
            PortalSpec(
                municipality=m,
                outcome=outcome,
                statuses=statuses,
                outcome_reason=None if outcome == "complete" else f"Resultado simulado: {outcome}.",
                platform_observed=None
                if outcome not in ("complete", "partial")
                else rng.choice(("wordpress", "joomla", "laip_standard", "static", "javascript")),
                pages=rng.randint(10, 120),
                documents=rng.randint(20, 400),
                seconds=rng.uniform(20, 600),
                incidents=[
                    ("http_404", f"https://muni{m.ine_code}.example.gob.gt/x{k}.pdf", "404")
                    for k in range(rng.randint(0, 3))
                ],
            )
        )
    return specs


def generate(
    store: Store, registry: Sequence[Municipality], portals: int, nights: int, seed: int = 7
) -> list[int]:
    runs = []
    for night in range(1, nights + 1):
        day = AS_OF - dt.timedelta(days=nights - night)
        runs.append(
            add_night(
                store, random_specs(registry, portals, seed, night), dt.datetime.combine(day, dt.time(8)), day
            )
        )
    return runs


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m reports.synthetic",
        description="Genera un almacén sintético (N portales × 34 hallazgos por noche) y mide build_reports.",
    )
    parser.add_argument("--portals", type=int, default=340)
    parser.add_argument("--nights", type=int, default=2)
    parser.add_argument("--registry", default="municipalities.csv")
    parser.add_argument("--out", default=None, help="carpeta de trabajo (por defecto, una temporal)")
    parser.add_argument("--no-pdf", action="store_true", help="no mide la generación de PDF")
    parser.add_argument("--workers", type=int, default=None, help="procesos para los PDF")
    args = parser.parse_args(argv)
    from reports.api import build_reports

    work = Path(args.out or tempfile.mkdtemp(prefix="vigia-reports-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        registry = load_registry(args.registry)
    except Exception as exc:  # noqa: BLE001 - one line for the user
        print(f"error: {exc}", file=sys.stderr)
        return 2
    db = work / "vigia.db"
    db.unlink(missing_ok=True)
    store = open_store(f"sqlite:///{db}", work / "data")
    t0 = time.perf_counter()
    runs = generate(store, registry, args.portals, args.nights)
    print(
        f"almacén sintético: {args.portals} portales × {args.nights} noches en {time.perf_counter() - t0:.1f} s"
    )
    html = build_reports(store, work / "site-html", runs[-1], AS_OF, registry, pdf=False)
    print(f"sin PDF: {html.seconds:.2f} s — {html.describe()}")
    if not args.no_pdf:
        full = build_reports(
            store, work / "site", runs[-1], AS_OF, registry, pdf=True, pdf_workers=args.workers
        )
        print(f"con PDF: {full.seconds:.2f} s (PDF {full.seconds_pdf:.2f} s) — {full.describe()}")
    store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
