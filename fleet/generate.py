"""The deterministic generator: registry + seed -> spec.json (what to serve) and truth.json (ground truth).

Every portal draws from its own random stream (seed + INE code), so portal 0101 looks the same in a fleet of
5 and in a fleet of 340; only the assignment of failure modes depends on the fleet's size.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import unicodedata
from typing import Any

from checks.rules.base import ANNUAL_CURRENT, ANNUAL_PREVIOUS, MONTHLY, NOT_MUNICIPAL, PERIODIC
from fleet import catalog, families
from fleet.catalog import MONTHS_ES, QUARTER_NAMES, add_months, month_key
from fleet.documents import publication_date
from fleet.model import (
    COMPRAS_HOST,
    DRIVE_HOST,
    FAILURE_RATES,
    FAILURES,
    PARTIAL_FAILURES,
    QUIRK_RATES,
    QUIRKS,
    portal_host,
)
from vigia.registry import Municipality

SPEC_VERSION = 1

LEVEL1_LABELS = ("Transparencia", "Información Pública", "Ley de Acceso", "LAIP", "Acceso a la Información")
LEVEL2_LABELS = (
    "Ley de Acceso a la Información Pública",
    "LAIP Decreto 57-2008",
    "Información Pública",
    "Portal de Transparencia",
)
FINAL_LABELS = (
    "Información Pública de Oficio",
    "Artículo 10",
    "Art. 10 LAIP",
    "Información Pública de Oficio (Art. 10)",
    "Información de Oficio",
)
FIRST_NAMES = (
    "José",
    "María",
    "Juan",
    "Ana",
    "Luis",
    "Rosa",
    "Carlos",
    "Marta",
    "Édgar",
    "Sofía",
    "Héctor",
    "Lucía",
    "Óscar",
    "Inés",
    "Rubén",
    "Mónica",
)
LAST_NAMES = (
    "López",
    "Pérez",
    "García",
    "Hernández",
    "Martínez",
    "Gómez",
    "Ramírez",
    "Méndez",
    "Chávez",
    "Xicará",
    "Tzul",
    "Cux",
    "Ajú",
    "Pacay",
    "Quiñónez",
    "Muñoz",
)
NEWS_TITLES = (
    "Inauguran pavimentación de calle principal en la aldea {place}",
    "Jornada médica gratuita beneficia a vecinos de {place}",
    "Concejo municipal aprueba mejoras al sistema de agua potable",
    "Municipalidad entrega víveres a familias afectadas por las lluvias",
    "Celebración de la feria titular de {muni}",
    "Capacitación a comadronas del municipio",
)
PLACES = ("El Rosario", "San José", "Las Flores", "La Esperanza", "Santa Cruz", "El Naranjo", "Chuicacá")
NUMERAL_TOPIC_TITLES: dict[int, str] = {
    1: "Estructura orgánica y funciones",
    2: "Dirección y teléfonos",
    3: "Directorio de empleados y servidores públicos",
    4: "Remuneraciones",
    5: "Plan Operativo Anual",
    6: "Manual de procedimientos",
    7: "Presupuesto de ingresos y egresos",
    8: "Ejecución Presupuestaria Egresos",
    9: "Depósitos con fondos públicos",
    10: "Cotizaciones y licitaciones de programas",
    11: "Contrataciones de bienes y servicios",
    12: "Viajes nacionales e internacionales",
    13: "Inventario de bienes muebles e inmuebles",
    14: "Contratos de mantenimiento",
    15: "Subsidios, becas y transferencias",
    16: "Contratos de usufructo y concesiones",
    17: "Empresas precalificadas",
    18: "Listado de obras en ejecución",
    19: "Contratos de arrendamiento",
    20: "Contrataciones por cotización y licitación",
    21: "Fideicomisos",
    22: "Compras directas",
    23: "Informes de auditoría",
    24: "Entidades internacionales",
    25: "Entidades privadas que administran fondos públicos",
    26: "Informe anual de archivo",
    27: "Índice de información clasificada",
    28: "Informe de pertenencia sociolingüística",
    29: "Otra información de utilidad",
}
STANDING_TITLES: dict[int, tuple[str, ...]] = {
    1: ("Organigrama municipal", "Funciones de las dependencias municipales"),
    2: ("Directorio de dependencias", "Dirección y teléfonos de la municipalidad"),
    6: ("Manual de organización y funciones", "Manual de compras y contrataciones", "Manual de puestos"),
    16: ("Contrato de concesión del mercado municipal",),
    17: ("Listado de empresas precalificadas para obras",),
    21: ("Informe de fideicomiso de infraestructura",),
    27: ("Índice de información reservada", "Resolución de clasificación de información"),
    29: ("Plan de Desarrollo Municipal y Ordenamiento Territorial", "Informe de rendición de cuentas"),
}
XLSX_NUMERALS = frozenset({3, 4, 8, 9, 13, 22})


def slugify(text: str, sep: str = "-") -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-zA-Z0-9]+", sep, ascii_text).strip(sep)


def _person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)} {rng.choice(LAST_NAMES)}"


# --------------------------------------------------------------------------------------------- numerals
def _months_back(year: int, month: int, count: int) -> list[tuple[int, int]]:
    return [add_months(year, month, -k) for k in range(count - 1, -1, -1)]


def _period_month(year: int, month: int) -> dict[str, Any]:
    return {
        "kind": "month",
        "period": month_key(year, month),
        "year": year,
        "month": month,
        "period_label": f"{MONTHS_ES[month - 1]} {year}",
    }


def _period_quarter(year: int, quarter: int, rng: random.Random) -> dict[str, Any]:
    first = MONTHS_ES[(quarter - 1) * 3]
    last = MONTHS_ES[quarter * 3 - 1]
    label = (
        f"{first} a {last} {year}" if rng.random() < 0.6 else f"{QUARTER_NAMES[quarter - 1]} trimestre {year}"
    )
    return {
        "kind": "quarter",
        "period": month_key(year, quarter * 3),
        "year": year,
        "month": quarter * 3,
        "quarter": quarter,
        "period_label": label,
    }


def _period_year(year: int) -> dict[str, Any]:
    return {"kind": "year", "period": f"{year:04d}", "year": year, "month": None, "period_label": str(year)}


def _no_period() -> dict[str, Any]:
    return {"kind": "none", "period": None, "year": None, "month": None, "period_label": ""}


def plan_numeral(rng: random.Random, n: int, quality: float, as_of: dt.date, platform: str) -> dict[str, Any]:
    """Decide what a portal publishes for numeral ``n``: planted status, rendering mode and period plan."""
    kind = catalog.periodicity(n)
    hard: list[str] = []
    plan: dict[str, Any] = {
        "status": "absent",
        "mode": "missing",
        "periods": [],
        "hard_cases": hard,
        "note": "",
    }
    if kind == NOT_MUNICIPAL:
        plan.update(status="not_applicable", mode=rng.choice(("no_aplica", "missing", "legal_text")))
        plan["note"] = "El numeral no aplica a las municipalidades."
        if plan["mode"] == "no_aplica":
            plan["reason"] = "la municipalidad no es una entidad internacional ni una organización privada"
        return plan
    if n in catalog.NO_APLICA_REASONS and rng.random() < 0.3:
        plan.update(status="not_applicable", mode="no_aplica", reason=catalog.NO_APLICA_REASONS[n])
        plan["note"] = f"El portal declara: No aplica, {catalog.NO_APLICA_REASONS[n]}."
        hard.append("no_aplica_statement")
        return plan
    periodic = kind in PERIODIC
    r = rng.random()
    if r < quality:
        status = "present"
    elif periodic and r < quality + (1 - quality) * 0.45:
        status = "outdated"
    else:
        status = "absent"
    plan["status"] = status
    if status == "absent":
        mode = rng.choices(("missing", "legal_text", "empty", "docs404"), (0.44, 0.26, 0.2, 0.1))[0]
        plan["mode"] = mode
        if mode == "legal_text":
            hard.append("legal_text_only")
            plan["note"] = "La sección cita el texto legal del numeral pero no enlaza nada."
        elif mode == "empty":
            hard.append("empty_accordion")
            plan["note"] = "Encabezado del numeral sin contenido."
        elif mode == "docs404":
            hard.append("only_404_documents")
            plan["note"] = "Los únicos enlaces del numeral dan 404."
            plan["periods"] = _periods_for(rng, n, kind, "present", as_of, hard)
        else:
            plan["note"] = "El numeral no aparece en el portal."
        return plan
    if n in (1, 2) and rng.random() < 0.3:
        plan["mode"] = "content"
        hard.append("content_evidence")
        plan["note"] = "Evidencia en el contenido de la página (sin documento)."
        return plan
    plan["mode"] = "docs"
    plan["periods"] = _periods_for(rng, n, kind, status, as_of, hard)
    newest = plan["periods"][-1]
    plan["period"] = newest["period"]
    if status == "outdated":
        plan["note"] = f"Último período publicado: {newest['period_label']}."
    elif newest["period"]:
        plan["note"] = f"Publicado hasta {newest['period_label']}."
    else:
        plan["note"] = "Documentos vigentes publicados."
    return plan


def _periods_for(
    rng: random.Random, n: int, kind: str, status: str, as_of: dt.date, hard: list[str]
) -> list[dict[str, Any]]:
    if kind == MONTHLY:
        ry, rm = catalog.required_month(as_of)
        if status == "present":
            candidates = [(ry, rm)]
            ny, nm = add_months(ry, rm, 1)
            if catalog.month_end(ny, nm) < as_of - dt.timedelta(days=3):
                candidates.append((ny, nm))
        else:
            candidates = [add_months(ry, rm, -k) for k in range(4, 14)]
        newest = rng.choice(candidates)
        quarter_ends = [c for c in candidates if c[1] % 3 == 0]
        if n in (8, 9, 12, 14, 18, 19) and quarter_ends and rng.random() < 0.15:
            qy, qm = rng.choice(quarter_ends)
            count = rng.randint(2, 4)
            hard.append("quarterly_reports")
            out = []
            for k in range(count - 1, -1, -1):
                y, m = add_months(qy, qm, -3 * k)
                out.append(_period_quarter(y, m // 3, rng))
            if status == "outdated":
                hard.append("stale_series")
            return out
        count = rng.randint(2, 8)
        months = _months_back(newest[0], newest[1], count)
        if count >= 4 and rng.random() < 0.3:
            inner = months[1:-1]
            drop = set(rng.sample(inner, k=min(len(inner), rng.randint(1, 2))))
            months = [m for m in months if m not in drop]
            hard.append("monthly_gaps")
        if status == "outdated":
            hard.append("stale_series")
        return [_period_month(y, m) for y, m in months]
    if kind == ANNUAL_CURRENT:
        fy = catalog.fiscal_year(as_of)
        if status == "present":
            years = [fy - 1, fy] if rng.random() < 0.4 else [fy]
        else:
            newest = fy - 1 if as_of.month >= 4 else fy - 2
            years = [newest - 1, newest] if rng.random() < 0.4 else [newest]
            hard.append("stale_series")
        return [_period_year(y) for y in years]
    if kind == ANNUAL_PREVIOUS:
        py = as_of.year - 1
        if status == "present":
            years = [py - 1, py] if rng.random() < 0.4 else [py]
        else:
            newest = py - rng.choice((2, 3))
            years = [newest - 1, newest] if rng.random() < 0.4 else [newest]
            hard.append("stale_series")
        return [_period_year(y) for y in years]
    return [_no_period() for _ in range(rng.randint(1, 3))]


# --------------------------------------------------------------------------------------------- documents
def _filename(style: str, n: int, p: dict[str, Any], ext: str, seq: int) -> str:
    short = catalog.numerals()[n].title.split("/")[0].split("(")[0].strip()
    slug = slugify(short, "_").upper()
    kind = p["kind"]
    if kind == "month":
        mes = MONTHS_ES[p["month"] - 1]
        tag = {
            "numeral_caps": f"NUMERAL-{n}-{mes.upper()}-{p['year']}",
            "slug_underscore": f"{slug}_{p['year']}_{p['month']:02d}",
            "titled": f"{slugify(short)}-{mes.capitalize()}-{p['year']}",
            "short": f"num{n}_{mes[:3]}{p['year']}",
            "spaced": f"{short} {mes.capitalize()} {p['year']}",
        }[style]
    elif kind == "quarter":
        q = p["quarter"]
        tag = {
            "numeral_caps": f"NUMERAL-{n}-TRIMESTRE-{q}-{p['year']}",
            "slug_underscore": f"{slug}_{p['year']}_T{q}",
            "titled": f"{slugify(short)}-{QUARTER_NAMES[q - 1].capitalize()}-Trimestre-{p['year']}",
            "short": f"num{n}_t{q}_{p['year']}",
            "spaced": f"{short} {p['period_label']}",
        }[style]
    elif kind == "year":
        tag = {
            "numeral_caps": f"NUMERAL-{n}-{p['year']}",
            "slug_underscore": f"{slug}_{p['year']}",
            "titled": f"{slugify(short)}-{p['year']}",
            "short": f"num{n}_{p['year']}",
            "spaced": f"{short} {p['year']}",
        }[style]
    else:
        tag = {
            "numeral_caps": f"NUMERAL-{n}-{slug}-{seq + 1}",
            "slug_underscore": f"{slug}_{seq + 1}",
            "titled": f"{slugify(short)}-{seq + 1}",
            "short": f"num{n}_{seq + 1}",
            "spaced": f"{short} {seq + 1}",
        }[style]
    return f"{tag}.{ext}"


def _label(style: str, n: int, p: dict[str, Any], title: str) -> str:
    kind = p["kind"]
    pl = p["period_label"]
    if style == "download":
        return "Descargar"
    if kind == "none":
        return title if style != "numeral_month" else f"Numeral {n} - {title}"
    if style == "month":
        return pl.capitalize() if kind != "year" else f"Año {pl}"
    if style == "title_month":
        return f"{NUMERAL_TOPIC_TITLES[n]} {pl}"
    if style == "long":
        if kind == "month":
            return (
                f"{NUMERAL_TOPIC_TITLES[n]} Ejercicio Fiscal {p['year']} Mes de "
                f"{MONTHS_ES[p['month'] - 1].upper()} Artículo 10 Numeral {n}"
            )
        if kind == "quarter":
            return f"{NUMERAL_TOPIC_TITLES[n]} {pl} Artículo 10 Numeral {n}"
        return f"{NUMERAL_TOPIC_TITLES[n]} Ejercicio Fiscal {pl} Artículo 10 Numeral {n}"
    return f"Numeral {n} - {pl.capitalize()}"


def doc_label(portal: dict[str, Any], style: str, n: int, p: dict[str, Any], title: str) -> str:
    """A document's link text; on portals that group a numeral's documents under year sub-headings,
    monthly and quarterly documents are labelled without the year ("Septiembre", "Julio a septiembre")."""
    if portal.get("year_groups") and p["kind"] in ("month", "quarter"):
        return p["period_label"].rsplit(" ", 1)[0].capitalize()
    return _label(style, n, p, title)


def group_of(portal: dict[str, Any], doc: dict[str, Any]) -> str:
    """The year sub-heading a document is listed under ("" when the portal does not group by year)."""
    if portal.get("year_groups") and doc.get("period_kind") in ("month", "quarter"):
        return str(doc["year"])
    return ""


def _nog(rng: random.Random) -> str:
    return str(rng.randint(10_000_000, 29_999_999))


def build_documents(
    rng: random.Random, portal: dict[str, Any], n: int, plan: dict[str, Any], start_id: int
) -> list[dict[str, Any]]:
    """Turn a numeral's period plan into documents (file names, labels, types, hosts)."""
    docs: list[dict[str, Any]] = []
    naming = portal["naming"]
    label_style = portal["label_style"]
    nog_variant = rng.choice(("text", "label", "link")) if n == 20 else None
    if nog_variant == "link" and plan["mode"] == "docs404":
        nog_variant = "label"  # broken links stay on the portal: a tender page that 404s is another story
    if n == 20 and plan["status"] in ("present", "outdated"):
        plan["hard_cases"].append(f"nog_in_{nog_variant}")
    titles = STANDING_TITLES.get(n, (NUMERAL_TOPIC_TITLES[n],))
    for seq, p in enumerate(plan["periods"]):
        style = naming if rng.random() < 0.8 else rng.choice(("numeral_caps", "slug_underscore", "titled"))
        lstyle = label_style if rng.random() < 0.85 else rng.choice(("month", "title_month", "numeral_month"))
        if lstyle == "download" and style in ("short", "spaced"):
            style = "numeral_caps"
        r = rng.random()
        if portal["scanner"] and r < 0.4:
            dtype = "scanned_pdf"
        elif n in XLSX_NUMERALS and r < 0.45:
            dtype = "xlsx"
        elif 0.45 <= r < 0.53:
            dtype = "docx"
        elif 0.53 <= r < 0.58:
            dtype = "scanned_pdf"
        else:
            dtype = "pdf"
        title = titles[seq % len(titles)]
        if dtype == "scanned_pdf" and lstyle == "download":
            lstyle = "long"
        ext = {"pdf": "pdf", "scanned_pdf": "pdf", "xlsx": "xlsx", "docx": "docx"}[dtype]
        doc: dict[str, Any] = {
            "id": f"d{start_id + len(docs)}",
            "numeral": n,
            "type": dtype,
            "title": title,
            "host": "portal",
            "filename": _filename(style, n, p, ext, seq),
            "label": doc_label(portal, lstyle, n, p, title),
            "period": p["period"],
            "period_kind": p["kind"],
            "period_label": p["period_label"],
            "year": p["year"],
            "month": p["month"],
            "status": 404 if plan["mode"] == "docs404" else 200,
            "nog": [],
        }
        if portal["year_groups"] and p["kind"] in ("month", "quarter"):
            plan["hard_cases"].append("year_subheadings")
        elif lstyle == "download":
            plan["hard_cases"].append("uninformative_label")
            if dtype in ("pdf", "xlsx", "docx") and p["kind"] != "none" and rng.random() < 0.35:
                # "Descargar" -> doc0042.pdf: only the heading names the numeral, only the text the period
                doc["filename"] = f"doc{start_id + len(docs):04d}.{ext}"
                plan["hard_cases"].append("period_in_document_text")
        if n == 20:
            doc["nog"] = [_nog(rng) for _ in range(rng.randint(1, 4))]
            if nog_variant == "label":
                doc["label"] = f"{doc['label']} (NOG {', '.join(doc['nog'])})"
            elif nog_variant == "link":
                doc.update(host="compras", type="external", nog=doc["nog"][:1])
                doc["label"] = f"NOG {doc['nog'][0]} - Concurso {p['period_label']}".strip()
        if doc["host"] == "portal" and doc["status"] == 200 and portal["uses_drive"] and rng.random() < 0.25:
            doc["host"] = "drive"
        docs.append(doc)
    if any(d["host"] == "drive" for d in docs):
        plan["hard_cases"].append("external_host")
    if any(d["type"] == "scanned_pdf" for d in docs):
        plan["hard_cases"].append("scanned_pdf")
    plan["hard_cases"][:] = sorted(set(plan["hard_cases"]))
    return docs


# --------------------------------------------------------------------------------------------- portals
def _heading(style: int, n: int, shown: int | None = None) -> str:
    """Numeral ``n``'s heading; ``shown`` is the number the portal prints (its own numbering may skip one)."""
    short = catalog.numerals()[n].title
    k = n if shown is None else shown
    if style == 0:
        return f"Numeral {k}: {short}"
    if style == 1:
        return f"Art. 10 num. {k} - {short}"
    if style == 2:
        return f"{k:02d} - {NUMERAL_TOPIC_TITLES[n]}"
    if style == 3:
        return f"{k}. {catalog.numerals()[n].legal_text.split(';')[0].split(':')[0]}"
    return f"NUMERAL {k} {NUMERAL_TOPIC_TITLES[n].upper()}"


def numeral_heading(p: dict[str, Any], n: int) -> str:
    """The heading portal ``p`` shows for numeral ``n`` (its families may unnumber or shift it)."""
    return families.heading_override(p, n) or _heading(p["heading_style"], n, families.display_number(p, n))


def _alias(n: int) -> str:
    special = {26: "archivo", 28: "pertenencia-sociolinguistica", 8: "ejecucion-presupuestaria"}
    if n in special:
        return special[n]
    return slugify(catalog.numerals()[n].title.split("/")[0].split("(")[0].strip()).lower()


def build_portal(
    index: int,
    muni: Municipality,
    seed: int,
    as_of: dt.date,
    base_port: int,
    platform: str,
    failure: str | None,
    quirks: list[str],
    declared: bool,
) -> dict[str, Any]:
    rng = random.Random(f"{seed}:{muni.ine_code}")
    host = portal_host(index)
    quality = min(0.97, max(0.05, rng.betavariate(2.4, 1.2)))
    p: dict[str, Any] = {
        "index": index,
        "ine_code": muni.ine_code,
        "municipality": muni.municipality,
        "department": muni.department,
        "host": host,
        "port": base_port,
        "url": f"http://{host}:{base_port}/",
        "platform": platform,
        "declared_platform": platform if declared else "unknown",
        "render": "browser" if platform == "javascript" else "static",
        "declared_render": "browser" if platform == "javascript" and rng.random() < 0.5 else "auto",
        "js_mode": "inline" if platform == "javascript" else None,
        "failure": failure,
        "failure_variant": rng.choice(("home", "section")) if failure == "login_wall" else None,
        "quirks": sorted(quirks),
        "charset": "iso-8859-1" if "latin1" in quirks else "utf-8",
        "quality": round(quality, 3),
        "naming": rng.choice(("numeral_caps", "slug_underscore", "titled", "short", "spaced")),
        "label_style": rng.choices(
            ("month", "title_month", "long", "numeral_month", "download"), (0.3, 0.25, 0.2, 0.15, 0.1)
        )[0],
        "heading_style": rng.randrange(5),
        "scanner": rng.random() < 0.12,
        "uses_drive": rng.random() < 0.2,
        "year_groups": platform not in ("static",)
        and random.Random(f"years:{seed}:{muni.ine_code}").random() < 0.2,
        "mayor": _person(rng),
        "uip_officer": _person(rng),
        "address": f"{rng.randint(1, 8)}a. avenida {rng.randint(1, 12)}-{rng.randint(10, 80)}, zona 1, "
        f"{muni.municipality}, {muni.department}",
        "phone": f"7{rng.randint(700, 999)}-{rng.randint(1000, 9999)}",
        "modified": (
            dt.datetime.combine(as_of, dt.time(2, 0))
            - dt.timedelta(days=rng.randint(1, 40), minutes=rng.randint(0, 1400))
        ).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "night": 1,
    }
    # numerals
    numerals: dict[str, dict[str, Any]] = {}
    documents: list[dict[str, Any]] = []
    for n in range(1, 30):
        plan = plan_numeral(rng, n, quality, as_of, platform)
        docs = build_documents(rng, p, n, plan, len(documents)) if plan["periods"] else []
        plan["doc_ids"] = [d["id"] for d in docs]
        documents.extend(docs)
        numerals[str(n)] = plan
    p["numerals"] = numerals
    p["documents"] = documents
    # families draw from their own stream: the base content above is the same with or without them
    families.apply(p, seed, as_of)
    families.shift_labels(p)
    documents = p["documents"]
    for doc in documents:
        doc["published"] = publication_date(doc, as_of).isoformat()
    if "doc_404" in quirks:
        _plant_404(rng, p)
    if "huge_file" in quirks:
        _plant_huge(p, as_of)
    # layout and pages
    _layout(rng, p, as_of)
    _news(rng, p, as_of)
    return p


def _plant_404(rng: random.Random, p: dict[str, Any]) -> None:
    """Make sure a present numeral also links one broken document (an extra, older month)."""
    by_id = {d["id"]: d for d in p["documents"]}
    candidates = [
        n
        for n, plan in p["numerals"].items()
        if plan["mode"] == "docs"
        and plan["status"] == "present"
        and by_id[plan["doc_ids"][0]]["host"] == "portal"
    ]
    for plan in p["numerals"].values():
        if plan["mode"] == "docs404":
            return
    if not candidates:
        return
    n = rng.choice(candidates)
    plan = p["numerals"][n]
    first = next(d for d in p["documents"] if d["id"] == plan["doc_ids"][0])
    broken = dict(first, id=f"d{len(p['documents'])}", status=404, filename="x-" + first["filename"])
    p["documents"].append(broken)
    plan["doc_ids"].insert(0, broken["id"])
    plan["hard_cases"] = sorted({*plan["hard_cases"], "broken_link"})


def _plant_huge(p: dict[str, Any], as_of: dt.date) -> None:
    """Numeral 13's only document is a 3 GB file: the link is still evidence (incident size_cap)."""
    plan = p["numerals"]["13"]
    year = as_of.year - 1
    for did in plan.get("doc_ids", []):
        p["documents"] = [d for d in p["documents"] if d["id"] != did]
    doc = {
        "id": f"d{len(p['documents']) + 1000}",
        "numeral": 13,
        "type": "pdf",
        "title": "Inventario general de bienes muebles e inmuebles",
        "host": "portal",
        "filename": f"INVENTARIO-GENERAL-{year}-COMPLETO-ESCANEADO.pdf",
        "label": f"Inventario general de bienes {year} (documento completo)",
        "period": f"{year:04d}",
        "period_kind": "year",
        "period_label": str(year),
        "year": year,
        "month": None,
        "status": 200,
        "nog": [],
        "huge": True,
    }
    doc["published"] = publication_date(doc, as_of).isoformat()
    p["documents"].append(doc)
    plan.update(
        status="present",
        mode="docs",
        doc_ids=[doc["id"]],
        period=doc["period"],
        note=f"Único documento: inventario {year} de 3 GB (el enlace es evidencia).",
        hard_cases=["huge_document"],
    )
    plan["periods"] = [_period_year(year)]


def _layout(rng: random.Random, p: dict[str, Any], as_of: dt.date) -> None:
    platform = p["platform"]
    order = list(range(1, 30))
    hard_portal: list[str] = []
    if rng.random() < 0.15:
        # out of order: a few numerals swapped, as on real portals edited by hand
        for _ in range(rng.randint(2, 5)):
            a, b = rng.sample(range(29), 2)
            order[a], order[b] = order[b], order[a]
        hard_portal.append("numerals_out_of_order")
    shown = [n for n in order if p["numerals"][str(n)]["mode"] != "missing"]
    depth = rng.choices((1, 2, 3), (0.35, 0.45, 0.2))[0]
    if platform == "laip_standard":
        depth = min(depth, 2)
    level1 = rng.choice(LEVEL1_LABELS)
    labels = [level1, rng.choice([x for x in LEVEL2_LABELS if x != level1]), rng.choice(FINAL_LABELS)]
    chain_labels = labels[:1] + labels[1 : depth - 1] + [labels[2]] if depth > 1 else [labels[2]]
    pages: list[dict[str, Any]] = []
    ids = iter(rng.sample(range(30, 999), 80))

    used: set[str] = {"/"}

    def path_for(kind: str, text: str, n: int | None = None) -> str:
        path = _raw_path(kind, text, n)
        base, k = path, 2
        while path in used:  # two sections with the same label get distinct addresses
            stem, dot, ext = base.rpartition(".") if platform == "static" else (base, "", "")
            path = f"{stem}-{k}{dot}{ext}"
            k += 1
        used.add(path)
        return path

    def _raw_path(kind: str, text: str, n: int | None = None) -> str:
        if platform == "wordpress":
            return f"/?page_id={next(ids)}"
        if platform == "joomla":
            if n is not None:
                return f"/index.php/transparencia/{next(ids)}-numeral-{n}-{_alias(n)}"
            return f"/index.php/{next(ids)}-{slugify(text).lower()}"
        if platform == "laip_standard":
            if n is not None:
                return f"/index.php/{n}-{_alias(n)}"
            return f"/index.php/{slugify(text).lower()}"
        if platform == "static":
            return f"/{slugify(text).lower()}.html"
        return f"/{slugify(text).lower()}"

    pages.append({"path": "/", "kind": "home", "title": "Inicio", "link_text": "Inicio", "trail": []})
    trail: list[str] = []
    parent = "/"
    for level, text in enumerate(chain_labels):
        final = level == len(chain_labels) - 1
        trail = [*trail, text]
        if final:
            break
        path = path_for("hub", text)
        pages.append(
            {"path": path, "kind": "hub", "title": text, "link_text": text, "trail": trail, "parent": parent}
        )
        parent = path
    final_text = chain_labels[-1]
    per_numeral = platform in ("joomla", "laip_standard") or p["failure"] in PARTIAL_FAILURES
    numeral_page: dict[str, str] = {}
    if per_numeral:
        index_path = path_for("index", final_text)
        pages.append(
            {
                "path": index_path,
                "kind": "numeral_index",
                "title": final_text,
                "link_text": final_text,
                "trail": trail,
                "parent": parent,
                "numerals": shown,
            }
        )
        for n in shown:
            text = numeral_heading(p, n)
            path = path_for("numeral", text, n)
            numeral_page[str(n)] = path
            pages.append(
                {
                    "path": path,
                    "kind": "numeral_page",
                    "title": text,
                    "link_text": text,
                    "trail": [*trail, text],
                    "parent": index_path,
                    "numerals": [n],
                }
            )
    else:
        paginated = platform == "wordpress" and rng.random() < 0.25
        if paginated:
            hard_portal.append("numerals_paginated")
            cut = rng.randint(10, 18)
            chunks = [shown[:cut], shown[cut:]]
        else:
            chunks = [shown]
        base = path_for("list", final_text)
        for k, chunk in enumerate(chunks):
            path = base if k == 0 else f"{base}&page={k + 1}"
            page_trail = trail if k == 0 else [*trail, f"Página {k + 1}"]
            pages.append(
                {
                    "path": path,
                    "kind": "numeral_list",
                    "title": final_text,
                    "link_text": final_text if k == 0 else str(k + 1),
                    "trail": page_trail,
                    "parent": parent if k == 0 else base,
                    "numerals": chunk,
                    "page_no": k + 1,
                    "page_count": len(chunks),
                    "first": base,
                }
            )
            for n in chunk:
                numeral_page[str(n)] = path
    if len([pg for pg in pages if pg["kind"] == "numeral_list"]) > 1:
        paths = [pg["path"] for pg in pages if pg["kind"] == "numeral_list"]
        for pg in pages:
            if pg["kind"] == "numeral_list":
                pg["siblings"] = paths
    # distractor pages under the section: information unit, request form
    section_parent = pages[1]["path"] if depth > 1 else "/"
    uip_text = rng.choice(("Unidad de Información Pública", "UIP", "Unidad de Acceso a la Información"))
    form_text = rng.choice(("Solicitud de información", "Formulario de solicitud", "Solicitar información"))
    for kind, text in (("uip", uip_text), ("solicitud", form_text)):
        path = path_for(kind, text)
        pages.append(
            {
                "path": path,
                "kind": kind,
                "title": text,
                "link_text": text,
                "trail": [*pages[1]["trail"], text] if depth > 1 else [text],
                "parent": section_parent,
            }
        )
    hard_portal += ["uip_page", "request_form"]
    # partial failures: 2-3 numeral pages fail
    failing: list[str] = []
    if p["failure"] in PARTIAL_FAILURES:
        with_evidence = [
            str(n) for n in shown if p["numerals"][str(n)]["status"] in ("present", "outdated") and n > 2
        ]
        chosen = rng.sample(with_evidence, k=min(len(with_evidence), rng.randint(2, 3)))
        for n in chosen:
            for pg in pages:
                if pg["path"] == numeral_page[n]:
                    pg["fail"] = p["failure"]
                    failing.append(n)
    # document URLs and trails
    docs_by_id = {d["id"]: d for d in p["documents"]}
    for n, plan in p["numerals"].items():
        page_path = numeral_page.get(n)
        plan["page"] = page_path
        page = next((pg for pg in pages if pg["path"] == page_path), None)
        for did in plan.get("doc_ids", []):
            d = docs_by_id[did]
            d["page"] = page_path
            heading = numeral_heading(p, int(n))
            d["trail"] = list(page["trail"]) if page else []
            if not d["trail"] or d["trail"][-1] != heading:  # a numeral's own page is reached by its heading
                d["trail"].append(heading)
            if group_of(p, d):
                d["trail"].append(group_of(p, d))
            d["url_path"] = _doc_path(p, d)
    _family_pages(p, pages, numeral_page, docs_by_id)
    p["pages"] = pages
    p["hard_cases"] = hard_portal
    p["section_depth"] = depth
    p["section_labels"] = chain_labels
    p["failing_numerals"] = failing


def _family_pages(
    p: dict[str, Any], pages: list[dict[str, Any]], numeral_page: dict[str, str], docs_by_id: dict[str, Any]
) -> None:
    """Pages some families add: a directory listing of a numeral's files, a numeral's second page ("Ver más")."""
    from urllib.parse import quote

    by_path = {pg["path"]: pg for pg in pages}
    for n, plan in p["numerals"].items():
        page = by_path.get(numeral_page.get(n, ""))
        if page is None or not plan.get("doc_ids"):
            continue
        heading = numeral_heading(p, int(n))
        base_trail = list(page["trail"]) if page["trail"][-1:] == [heading] else [*page["trail"], heading]
        if plan.get("listing"):
            path = f"/archivos/numeral-{int(n):02d}/"
            trail = [*base_trail, "Ver archivos del numeral"]
            plan["listing_path"] = path
            pages.append(
                {
                    "path": path,
                    "kind": "listing",
                    "title": f"Index of {path.rstrip('/')}",
                    "link_text": "Ver archivos del numeral",
                    "trail": trail,
                    "parent": page["path"],
                    "numeral": int(n),
                }
            )
            for did in plan["doc_ids"]:
                d = docs_by_id[did]
                if d["host"] != "portal":
                    continue
                d.update(
                    page=path, trail=list(trail), label=d["filename"], url_path=path + quote(d["filename"])
                )
        more = plan.get("more_after")
        if more and page["kind"] == "numeral_page" and len(plan["doc_ids"]) > more:
            path = f"{page['path']}?page=2"
            trail = [*page["trail"], "Ver más »"]
            pages.append(
                {
                    "path": path,
                    "kind": "numeral_page",
                    "title": page["title"],
                    "link_text": "Ver más »",
                    "trail": trail,
                    "parent": page["path"],
                    "numerals": [int(n)],
                    "page_no": 2,
                    "first": page["path"],
                }
            )
            for did in plan["doc_ids"][::-1][more:]:
                d = docs_by_id[did]
                d.update(page=path, trail=[*trail, heading])


def _doc_path(p: dict[str, Any], d: dict[str, Any]) -> str:
    from urllib.parse import quote

    platform = p["platform"]
    fn = quote(d["filename"])
    if d["host"] == "compras":
        return f"/ComprasGuate/concursos/consultaConcurso.aspx?nog={d['nog'][0]}"
    if d["host"] == "drive":
        return f"/uc?export=download&id={p['ine_code']}{d['id']}"
    if d.get("huge"):
        return f"/archivos/{fn}"
    y = d["year"] or 2026
    m = d["month"] or 1
    if platform == "wordpress":
        return f"/wp-content/uploads/{y}/{m:02d}/{fn}"
    if platform == "joomla":
        return f"/images/transparencia/numeral-{d['numeral']}/{fn}"
    if platform == "laip_standard":
        return f"/images/art10/numeral{d['numeral']:02d}/{fn}"
    if platform == "static":
        return f"/archivos/{fn}"
    return f"/static/docs/{fn}"


def _news(rng: random.Random, p: dict[str, Any], as_of: dt.date) -> None:
    """News posts; one is full of LAIP vocabulary about absent numerals (not evidence)."""
    absent = [int(n) for n, plan in p["numerals"].items() if plan["status"] == "absent"]
    mentions = sorted(rng.sample(absent, k=min(len(absent), 2)))
    news = []
    for k in range(3):
        date = as_of - dt.timedelta(days=3 + 9 * k + rng.randint(0, 5))
        title = rng.choice(NEWS_TITLES).format(place=rng.choice(PLACES), muni=p["municipality"])
        news.append({"slug": f"noticia-{k + 1}", "title": title, "date": date.isoformat(), "mentions": []})
    news[1]["title"] = "Municipalidad reafirma su compromiso con la Ley de Acceso a la Información Pública"
    news[1]["mentions"] = mentions
    for n in mentions:
        plan = p["numerals"][str(n)]
        plan["hard_cases"] = sorted({*plan["hard_cases"], "laip_vocabulary_page"})
    platform = p["platform"]
    for item in news:
        if platform == "wordpress":
            item["path"] = f"/?p={1000 + int(item['slug'][-1]) * 37}"
        elif platform in ("joomla", "laip_standard"):
            item["path"] = (
                f"/index.php/noticias/{200 + int(item['slug'][-1])}-{slugify(item['title']).lower()[:40]}"
            )
        elif platform == "static":
            item["path"] = f"/noticias/{item['slug']}.html"
        else:
            item["path"] = f"/noticias/{item['slug']}"
    p["news"] = news
    p["hard_cases"] = sorted({*p["hard_cases"], "news_post"})


# --------------------------------------------------------------------------------------------- fleet
def _assign(
    rng: random.Random, n_portals: int, failures_mode: str
) -> tuple[list[str | None], list[list[str]]]:
    failures: list[str | None] = [None] * n_portals
    quirks: list[list[str]] = [[] for _ in range(n_portals)]
    slots = list(range(n_portals))
    rng.shuffle(slots)
    if failures_mode == "none":
        return failures, quirks
    if failures_mode == "all":
        wanted = {name: 1 for name in FAILURES}
        wanted_q = {name: 1 for name in QUIRKS}
        slots = list(range(n_portals))
    else:
        wanted = {name: round(rate * n_portals) for name, rate in FAILURE_RATES.items()}
        wanted_q = {name: round(rate * n_portals) for name, rate in QUIRK_RATES.items()}
    it = iter(slots)
    for name, count in wanted.items():
        for _ in range(count):
            i = next(it, None)
            if i is None:
                break
            failures[i] = name
    healthy = [i for i in slots if failures[i] is None]
    if not healthy:
        return failures, quirks
    # each quirk goes to the least-loaded healthy portal; a slow portal never also carries a trap or the
    # huge file (a crawler would need minutes to find out)
    heavy = {"trap_calendar", "trap_session", "huge_file"}
    for name, count in wanted_q.items():
        for _ in range(count):
            options = [i for i in healthy if name not in quirks[i]]
            if name == "slow":
                options = [i for i in options if not heavy & set(quirks[i])] or options
            elif name in heavy:
                options = [i for i in options if "slow" not in quirks[i]] or options
            if not options:
                break
            target = min(options, key=lambda i: len(quirks[i]))
            quirks[target].append(name)
    return failures, quirks


def _platform_for(rng: random.Random, failure: str | None) -> str:
    if failure in PARTIAL_FAILURES:
        return rng.choice(("joomla", "laip_standard", "wordpress"))
    options = ("wordpress", "joomla", "laip_standard", "static", "javascript")
    weights = (0.35, 0.15, 0.25, 0.13, 0.12)
    if failure not in (None, "connection_refused", "http_5xx", "timeout", "robots_disallow"):
        options, weights = options[:4], weights[:4]
    return rng.choices(options, weights)[0]


def generate_fleet(
    registry: list[Municipality],
    portals: int,
    seed: int = 2026,
    as_of: dt.date = dt.date(2026, 11, 25),
    base_port: int = 8377,
    failures: str = "mix",
    platforms: list[str] | None = None,
) -> dict[str, Any]:
    """Build the spec of a fleet: the first ``portals`` municipalities of the registry.

    ``platforms`` (tests) cycles the given platforms over the portals whose failure mode allows them.
    """
    chosen = registry[:portals]
    rng = random.Random(f"fleet:{seed}:{len(chosen)}:{failures}")
    failure_of, quirks_of = _assign(rng, len(chosen), failures)
    out = []
    cycle = 0
    for i, muni in enumerate(chosen):
        prng = random.Random(f"platform:{seed}:{muni.ine_code}:{failure_of[i]}")
        platform = _platform_for(prng, failure_of[i])
        if platforms and failure_of[i] in (
            None,
            "connection_refused",
            "http_5xx",
            "timeout",
            "robots_disallow",
        ):
            platform = platforms[cycle % len(platforms)]
            cycle += 1
        if quirks_of[i] and platform == "javascript":
            # charset, tag soup and traps are properties of served HTML: JavaScript shells don't have them
            platform = prng.choice(("wordpress", "joomla", "laip_standard", "static"))
        declared = prng.random() < 0.5
        out.append(
            build_portal(i, muni, seed, as_of, base_port, platform, failure_of[i], quirks_of[i], declared)
        )
    js = [p for p in out if p["platform"] == "javascript"]
    for k, p in enumerate(js):  # both kinds of JavaScript portal in any fleet with two of them
        p["js_mode"] = "inline" if k % 2 == 0 else "fetch"
    return {
        "version": SPEC_VERSION,
        "seed": seed,
        "as_of": as_of.isoformat(),
        "night": 1,
        "base_port": base_port,
        "failures": failures,
        "document_hosts": {
            "compras": {"host": COMPRAS_HOST, "url": f"http://{COMPRAS_HOST}:{base_port}/"},
            "drive": {"host": DRIVE_HOST, "url": f"http://{DRIVE_HOST}:{base_port}/"},
        },
        "portals": out,
    }
