"""Families of portals built like real ones in structures the base fleet lacks (issue 19).

Each family is a way real Guatemalan municipal portals publish (or seem to publish) article-10 items that
the base generator never produced. A portal draws its families from its own random stream
(``families:<seed>:<ine_code>``), so the base content of every portal (drawn from the portal's main stream)
is unchanged and a portal carries the same families in a fleet of 5 and of 340. The truth follows
docs/legal-reading.md: what each family means for a numeral's status is written next to it below and in
docs/fleet.md.

| family | what is planted | truth |
|---|---|---|
| ``section_context`` | numeral 1's section (unnumbered heading on list portals) holds regulations about travel, inventories, procurement | 1 present; those numerals unchanged |
| ``norms_not_reports`` | an absent monthly/annual numeral's section holds only its regulation, form, law or guide | absent |
| ``law_lists`` | the section page also lists the law's principles and objectives, numbered 1., 2., … | unchanged |
| ``heading_echo`` | absent numerals whose body repeats the heading and the legal wording, or leaks page-builder shortcodes | absent |
| ``inline_tables`` | numerals 3, 4, 22 published as an HTML table in the page (directory, salaries, purchases with NOG and dates) | present/outdated per the table's month |
| ``furniture`` | every page's footer: Guatecompras banner, credits ("Funciona gracias a WordPress"), social links, phones | unchanged |
| ``shifted_numbering`` | the portal's own numbering skips a numeral: after it, every heading, label and file name is one less | the skipped numeral absent; the others by subject |
| ``directory_listing`` | a numeral's documents only in an Apache-style directory listing (file names are the only labels) | unchanged |
| ``year_tabs`` | a numeral's documents in year tabs and month accordions held in the DOM, labelled "Descargar" | unchanged |
| ``paginated_more`` | a numeral page shows four documents and "Ver más" (``?page=2``) for the rest | unchanged |
| ``xlsx_only`` | monthly numerals published only as XLSX | unchanged |
| ``period_in_text`` | every periodic document labelled "Descargar", file ``docNNNN``: the period is only in its text | unchanged |
| ``no_aplica`` | "No aplica" under numerals 15/16/17/21: with a reason (not applicable) or bare (absent) | per variant |
"""

from __future__ import annotations

import random
import re
from typing import Any

from checks.rules.base import MONTHLY, PERIODIC
from fleet import catalog

#: Share of portals carrying each family (an estimate of how often real portals show each structure).
FAMILY_RATES: dict[str, float] = {
    "section_context": 0.10,
    "norms_not_reports": 0.14,
    "law_lists": 0.10,
    "heading_echo": 0.12,
    "inline_tables": 0.08,
    "furniture": 0.20,
    "shifted_numbering": 0.05,
    "directory_listing": 0.05,
    "year_tabs": 0.07,
    "paginated_more": 0.06,
    "xlsx_only": 0.05,
    "period_in_text": 0.06,
    "no_aplica": 0.12,
}
FAMILIES: tuple[str, ...] = tuple(FAMILY_RATES)
#: Families that are properties of served HTML (JavaScript shells build their DOM from blocks).
HTML_ONLY = frozenset({"directory_listing", "year_tabs", "furniture"})

UNNUMBERED_N1 = (
    "Estructura orgánica y funciones, incluyendo su marco normativo",
    "ESTRUCTURA ORGANICA Y MARCO NORMATIVO",
    "Estructura Orgánica, funciones y marco legal",
)
#: Regulations municipal portals file with their organisation (numeral 1's "marco normativo").
NORMS_IN_N1 = (
    ("Reglamento de Viáticos y Gastos Conexos (Acuerdo Municipal 03-2019)", "Reglamento-de-Viaticos"),
    ("Reglamento Interno para el Registro y Control de Inventarios", "reglamento_inventarios"),
    ("Reglamento de Compras y Contrataciones de Baja Cuantía", "REGLAMENTO-COMPRAS-BAJA-CUANTIA"),
    ("Código Municipal, Decreto 12-2002", "codigo-municipal"),
    ("Reglamento de Arrendamiento de Locales del Mercado Municipal", "Reglamento_arrendamiento_mercado"),
)
#: The regulation, form, law or guide about a numeral's subject that is not its periodic report.
NORMS_BY_NUMERAL: dict[int, tuple[tuple[str, str], ...]] = {
    12: (
        ("REGLAMENTO DE VIATICOS (Acuerdo Municipal 03-2019)", "reglamento-viaticos"),
        ("Formulario de liquidación de viáticos", "FORMULARIO_LIQUIDACION_VIATICOS"),
    ),
    13: (
        ("Normas para el registro y control de bienes muebles", "normas-bienes-muebles"),
        ("Instructivo de inventario físico 2024", "instructivo_inventario"),
    ),
    20: (
        (
            "Ley de Contrataciones del Estado, Decreto 57-92 y sus reformas",
            "Ley-de-Contrataciones-del-Estado",
        ),
        (
            "Reglamento de la Ley de Contrataciones del Estado (Acuerdo Gubernativo 122-2016)",
            "reglamento_LCE",
        ),
    ),
    22: (
        ("Lineamientos para compras de baja cuantía y compra directa 2024", "lineamientos-compra-directa"),
        ("Formato de solicitud de compra", "formato_solicitud_compra"),
    ),
    28: (
        (
            "Guía para elaborar el informe de pertenencia sociolingüística 2020 (SECAI)",
            "guia-pertenencia-2020",
        ),
    ),
    19: (("Reglamento de arrendamiento de locales municipales", "reglamento-arrendamiento"),),
}
PRINCIPLES = (
    (
        "1. Máxima publicidad",
        "Toda información en posesión de la municipalidad es pública y solo puede reservarse por disposición legal.",
    ),
    (
        "2. Transparencia en el manejo y ejecución de los recursos públicos",
        "Los actos de la administración pública se realizan a la vista de la ciudadanía.",
    ),
    (
        "3. Gratuidad en el acceso a la información pública",
        "La consulta de la información es gratuita; solo se cobra la reproducción.",
    ),
    (
        "4. Sencillez y celeridad de procedimiento y trámite",
        "Las solicitudes se atienden sin formalismos y en los plazos de la ley.",
    ),
)
OBJECTIVES = (
    "Objeto de la ley (artículo 1): 1. Garantizar a toda persona interesada, sin discriminación alguna, el derecho a "
    "solicitar y a tener acceso a la información pública en posesión de las autoridades y sujetos obligados; 2. Garantizar "
    "a toda persona individual el derecho a conocer y proteger los datos personales de lo que de ella conste en archivos "
    "estatales; 3. Garantizar la transparencia de la administración pública y de los sujetos obligados; 4. Establecer como "
    "obligatorio el principio de máxima publicidad y transparencia en la administración pública; 5. Establecer, a manera "
    "de excepción y de manera limitativa, los supuestos en que se restrinja el acceso a la información pública; 6. Favorecer "
    "por el Estado la rendición de cuentas a los gobernados."
)
SHORTCODES = (
    '[vc_row][vc_column][vc_column_text css=".vc_custom_{k}"][/vc_column_text][/vc_column][/vc_row] '
    '[vc_row][vc_column][vc_tta_accordion active_section="1"][vc_tta_section title="Documentos" tab_id="{k}-1"]'
    "[vc_column_text][/vc_column_text][/vc_tta_section][/vc_tta_accordion][/vc_column][/vc_row] "
    '[vc_row][vc_column][vc_separator color="grey"][vc_empty_space height="32px"][/vc_column][/vc_row]'
)
NO_APLICA_BARE = ("No aplica.", "NO APLICA", "No aplica:", "N/A")  # the portal's own bare statement
NO_APLICA_WORDING = (
    "No aplica: {r}.",
    "NO APLICA, debido a que {r}.",
    "No aplica. {R}.",
    "Esta información no aplica: {r}.",
)
STAFF = (
    ("Secretario Municipal", "secretaria"),
    ("Director DAFIM", "dafim"),
    ("Encargada de la UIP", "uip"),
    ("Director Municipal de Planificación", "dmp"),
    ("Jefe de Recursos Humanos", "rrhh"),
    ("Coordinadora de la Oficina Municipal de la Mujer", "dmm"),
)
PURCHASES = (
    "Compra de cemento y hierro para mejoramiento de calle",
    "Combustible para camión recolector",
    "Útiles de oficina para DAFIM",
    "Reparación de bomba de agua potable",
    "Insumos de limpieza para el mercado municipal",
)


def families_for(seed: int, ine_code: str, platform: str) -> list[str]:
    rng = random.Random(f"families:{seed}:{ine_code}")
    out = []
    for name, rate in FAMILY_RATES.items():
        if rng.random() < rate:
            out.append(name)
    if platform == "javascript":
        out = [f for f in out if f not in HTML_ONLY]
    if platform not in ("joomla", "laip_standard"):
        out = [f for f in out if f != "paginated_more"]
    if platform == "static":
        out = [f for f in out if f != "year_tabs"]
    if "shifted_numbering" in out:
        # a listing's path names the law's number, its files the portal's own: one trap at a time
        out = [f for f in out if f != "directory_listing"]
    return out


def _slug_file(stem: str, ext: str = "pdf") -> str:
    return f"{stem}.{ext}"


def _norm_doc(p: dict[str, Any], n: int, title: str, stem: str) -> dict[str, Any]:
    planted = sum(1 for d in p["documents"] if d.get("text_kind") == "norm")
    return {
        "id": f"d{9000 + planted}",
        "numeral": n,
        "type": "pdf",
        "title": title,
        "host": "portal",
        "filename": _slug_file(stem),
        "label": title,
        "period": None,
        "period_kind": "none",
        "period_label": "",
        "year": None,
        "month": None,
        "status": 200,
        "nog": [],
        "text_kind": "norm",
    }


def _drop_docs(p: dict[str, Any], plan: dict[str, Any]) -> None:
    gone = set(plan.get("doc_ids", []))
    p["documents"][:] = [d for d in p["documents"] if d["id"] not in gone]
    plan["doc_ids"] = []


def apply(p: dict[str, Any], seed: int, as_of: Any) -> None:
    """Plant the portal's families in its numerals and documents (before layout)."""
    fams = families_for(seed, p["ine_code"], p["platform"])
    rng = random.Random(f"families-content:{seed}:{p['ine_code']}")
    nums = p["numerals"]
    kept: list[str] = []
    for fam in fams:
        if _plant(fam, rng, p, nums):
            kept.append(fam)
    p["families"] = kept


def _plant(fam: str, rng: random.Random, p: dict[str, Any], nums: dict[str, Any]) -> bool:
    if fam == "section_context":
        plan = nums["1"]
        if plan["mode"] != "docs":
            return False
        if p["platform"] in ("wordpress", "javascript"):
            plan["heading"] = rng.choice(UNNUMBERED_N1)
        for title, stem in rng.sample(NORMS_IN_N1, k=rng.randint(2, 3)):
            doc = _norm_doc(p, 1, title, stem)
            p["documents"].append(doc)
            plan["doc_ids"].append(doc["id"])
        plan["hard_cases"] = sorted({*plan["hard_cases"], "norms_in_section"})
        return True
    if fam == "norms_not_reports":
        options = [
            n
            for n in NORMS_BY_NUMERAL
            if nums[str(n)]["status"] == "absent" and nums[str(n)]["mode"] in ("missing", "empty")
        ]
        if not options:
            return False
        for n in rng.sample(options, k=min(len(options), rng.randint(1, 2))):
            plan = nums[str(n)]
            plan["mode"] = "norms"
            plan["note"] = (
                "La sección solo publica normativa (reglamento, formulario, ley o guía), no el informe."
            )
            plan["hard_cases"] = sorted({*plan["hard_cases"], "norms_only"})
            for title, stem in NORMS_BY_NUMERAL[n][: rng.randint(1, len(NORMS_BY_NUMERAL[n]))]:
                doc = _norm_doc(p, n, title, stem)
                p["documents"].append(doc)
                plan.setdefault("doc_ids", []).append(doc["id"])
        return True
    if fam == "law_lists":
        p["law_lists"] = True
        return True
    if fam == "heading_echo":
        options = [
            k
            for k, plan in nums.items()
            if plan["mode"] in ("legal_text", "empty") and plan["status"] == "absent"
        ]
        if not options:
            return False
        for k in options:
            plan = nums[k]
            shortcodes = p["platform"] == "wordpress" and rng.random() < 0.5
            plan["mode"] = "shortcodes" if shortcodes else "echo"
            plan["shortcode_key"] = rng.randint(1000, 9999)
            plan["hard_cases"] = sorted(
                {*plan["hard_cases"], "unrendered_shortcodes" if shortcodes else "heading_echo"}
            )
        return True
    if fam == "inline_tables":
        done = False
        for n in (3, 4, 22):
            plan = nums[str(n)]
            if plan["mode"] != "docs" or plan["status"] not in ("present", "outdated"):
                continue
            newest = plan["periods"][-1]
            if newest["kind"] != "month":
                continue
            _drop_docs(p, plan)
            plan["periods"] = [newest]
            plan["mode"] = "table"
            plan["table_seed"] = rng.randint(1, 10**6)
            plan["hard_cases"] = sorted({*plan["hard_cases"], "inline_table"})
            done = True
        return done
    if fam == "furniture":
        p["furniture"] = True
        return True
    if fam == "shifted_numbering":
        options = [n for n in range(8, 21) if nums[str(n)]["mode"] == "missing"]
        if not options:
            return False
        k = rng.choice(options)
        p["display_shift_after"] = k
        for n in range(k + 1, 30):
            plan = nums[str(n)]
            if plan["mode"] != "missing":
                plan["hard_cases"] = sorted({*plan["hard_cases"], "shifted_number"})
        return True
    if fam == "directory_listing":
        options = [
            k for k, plan in nums.items() if plan["mode"] == "docs" and len(plan.get("doc_ids", [])) >= 2
        ]
        if not options:
            return False
        chosen = rng.sample(options, k=min(len(options), rng.randint(1, 3)))
        for k in chosen:
            nums[k]["listing"] = True
            nums[k]["hard_cases"] = sorted({*nums[k]["hard_cases"], "directory_listing"})
        return True
    if fam == "year_tabs":
        options = [
            k
            for k, plan in nums.items()
            if plan["mode"] == "docs"
            and catalog.periodicity(int(k)) == MONTHLY
            and len(plan.get("doc_ids", [])) >= 2
        ]
        if not options:
            return False
        docs = {d["id"]: d for d in p["documents"]}
        for k in rng.sample(options, k=min(len(options), rng.randint(1, 4))):
            nums[k]["tabs"] = True
            for did in nums[k]["doc_ids"]:
                if docs[did]["host"] == "portal":
                    docs[did]["label"] = "Descargar"
            nums[k]["hard_cases"] = sorted({*nums[k]["hard_cases"], "year_tabs"})
        return True
    if fam == "paginated_more":
        options = [
            k for k, plan in nums.items() if plan["mode"] == "docs" and len(plan.get("doc_ids", [])) >= 6
        ]
        if not options:
            return False
        for k in options:
            nums[k]["more_after"] = 4
            nums[k]["hard_cases"] = sorted({*nums[k]["hard_cases"], "ver_mas"})
        return True
    if fam == "xlsx_only":
        docs = {d["id"]: d for d in p["documents"]}
        done = False
        for k, plan in nums.items():
            if catalog.periodicity(int(k)) != MONTHLY or plan["mode"] not in ("docs", "docs404"):
                continue
            for did in plan.get("doc_ids", []):
                d = docs[did]
                if d["host"] == "compras":
                    continue
                d["type"] = "xlsx"
                d["filename"] = d["filename"].rsplit(".", 1)[0] + ".xlsx"
                done = True
            plan["hard_cases"] = sorted({*plan["hard_cases"], "xlsx_only"})
        return done
    if fam == "period_in_text":
        docs = {d["id"]: d for d in p["documents"]}
        done = False
        for k, plan in nums.items():
            if catalog.periodicity(int(k)) not in PERIODIC:
                continue
            if plan["mode"] not in ("docs",) or plan.get("listing"):
                continue
            for did in plan.get("doc_ids", []):
                d = docs[did]
                if d["host"] != "portal" or d["type"] == "scanned_pdf" or not d["period"]:
                    continue
                ext = d["filename"].rsplit(".", 1)[-1]
                d["filename"] = f"doc{int(did[1:]):04d}.{ext}"
                d["label"] = rng.choice(("Descargar", "Ver documento", "Descargar archivo", "Ver"))
                done = True
            plan["hard_cases"] = sorted({*plan["hard_cases"], "period_in_document_text"})
        return done
    if fam == "no_aplica":
        done = False
        for n, reason in catalog.NO_APLICA_REASONS.items():
            plan = nums[str(n)]
            if plan["mode"] == "no_aplica":
                wording = rng.choice(NO_APLICA_WORDING)
                plan["na_text"] = wording.format(r=reason, R=reason[:1].upper() + reason[1:])
                done = True
            elif plan["mode"] in ("missing", "empty") and plan["status"] == "absent" and rng.random() < 0.6:
                plan["mode"] = "no_aplica_bare"
                plan["na_text"] = rng.choice(NO_APLICA_BARE)
                plan["note"] = "El portal dice «No aplica» sin decir por qué: no basta para «No aplica»."
                plan["hard_cases"] = sorted({*plan["hard_cases"], "no_aplica_without_reason"})
                done = True
        return done
    return False


def display_number(p: dict[str, Any], n: int) -> int:
    """The number the portal itself shows for numeral ``n`` (its own numbering may skip one)."""
    k = p.get("display_shift_after")
    return n - 1 if k and n > k else n


def heading_override(p: dict[str, Any], n: int) -> str | None:
    return p["numerals"][str(n)].get("heading")


def shift_doc(p: dict[str, Any], d: dict[str, Any]) -> None:
    """On a portal that skips a numeral, a document's label and file name carry the portal's own number."""
    n = d["numeral"]
    shown = display_number(p, n)
    if shown == n:
        return
    rx = re.compile(rf"((?:numeral|num)[\s_\-]*){n}(?!\d)", re.I)
    d["label"] = rx.sub(lambda m: f"{m.group(1)}{shown}", d["label"])
    d["filename"] = rx.sub(lambda m: f"{m.group(1)}{shown}", d["filename"])


def shift_labels(p: dict[str, Any]) -> None:
    for d in p["documents"]:
        shift_doc(p, d)


def table_block(p: dict[str, Any], n: int) -> list[dict[str, Any]]:
    """Numerals 3, 4 and 22 published as a table in the page, for the numeral's (only) month."""
    plan = p["numerals"][str(n)]
    period = plan["periods"][-1]
    rng = random.Random(f"table:{p['ine_code']}:{n}:{plan.get('table_seed', 0)}")
    label = period["period_label"]
    year, month = period["year"], period["month"]
    if n == 3:
        rows = []
        for post, mail in STAFF[: rng.randint(4, 6)]:
            name = f"{rng.choice(('Ana', 'Luis', 'Marta', 'Édgar', 'Rosa', 'Óscar'))} {rng.choice(('Cux', 'Tzul', 'Pacay', 'López', 'Ajú'))}"
            rows.append(
                [
                    name,
                    post,
                    f"7{rng.randint(700, 999)}-{rng.randint(1000, 9999)}",
                    f"{mail}@muni{p['ine_code']}.gob.gt",
                ]
            )
        caption = rng.choice(
            (
                "Directorio de empleados, {l}",
                "DIRECTORIO DE EMPLEADOS Y SERVIDORES PÚBLICOS {L}",
                "Directorio del personal municipal — {l}",
            )
        )
        head = ["Nombre", "Puesto", "Teléfono", "Correo electrónico"]
    elif n == 4:
        rows = []
        for post, _mail in STAFF[: rng.randint(4, 6)]:
            salary = rng.randint(3500, 16000)
            rows.append(
                [
                    post,
                    rng.choice(("011", "022", "029")),
                    f"Q {salary:,}.00",
                    "Q 250.00",
                    f"Q {salary + 250:,}.00",
                ]
            )
        caption = rng.choice(
            (
                "Remuneraciones del mes de {l}",
                "SALARIOS Y HONORARIOS {L}",
                "Remuneraciones correspondientes a {l}",
            )
        )
        head = ["Puesto", "Renglón", "Salario", "Bonificación", "Total"]
    else:
        rows = []
        for k in range(rng.randint(3, 5)):
            day = rng.randint(1, 28)
            rows.append(
                [
                    str(rng.randint(20_000_000, 29_999_999)),
                    f"{day:02d}/{month:02d}/{year}",
                    PURCHASES[k % len(PURCHASES)],
                    f"Q {rng.randint(900, 89_000):,}.{rng.randint(0, 99):02d}",
                ]
            )
        caption = rng.choice(
            (
                "Compras directas realizadas en {l}",
                "COMPRAS DIRECTAS {L}",
                "Compras de baja cuantía y directas — {l}",
            )
        )
        head = ["NOG", "Fecha", "Descripción", "Monto"]
    text = caption.format(l=label, L=label.upper())
    return [{"t": "p", "x": text}, {"t": "table", "head": head, "rows": rows}]


def echo_text(p: dict[str, Any], n: int, heading: str) -> str:
    plan = p["numerals"][str(n)]
    if plan["mode"] == "shortcodes":
        return SHORTCODES.format(k=plan.get("shortcode_key", 1585))
    legal = catalog.numerals()[n].legal_text
    return f"{heading}. {heading.upper()}. {legal}. Información pública de oficio, {heading}."


__all__ = [
    "FAMILIES",
    "FAMILY_RATES",
    "apply",
    "display_number",
    "echo_text",
    "families_for",
    "heading_override",
    "shift_labels",
    "table_block",
]
