"""What a simulated portal answers to one request: pages per platform, documents, failure modes.

Pure functions from (fleet, portal, method, path) to a :class:`Reply`; the server adds latency, bandwidth,
ETag/Last-Modified and conditional requests. Page content is built as a small block model, rendered to
HTML per platform (WordPress, Joomla, LAIP standard, static), or shipped as JSON to the JavaScript portals
whose pages only exist once their script has run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
from dataclasses import dataclass, field
from html import escape
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from fleet import catalog, families
from fleet.catalog import MONTHS_ES
from fleet.documents import huge_pdf_head, publication_date, render_document
from fleet.generate import group_of, numeral_heading
from fleet.model import HUGE_FILE_SIZE, PRIVATE_REDIRECT_TARGET, SLOW_PORTAL_SECONDS, SLOW_SECONDS

Block = dict[str, Any]


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    last_modified: dt.datetime | None = None
    delay: float = 0.0
    #: a body of this many bytes streamed lazily (the huge document); ``body`` is its first bytes
    stream_size: int | None = None
    cacheable: bool = True


class Fleet:
    """A loaded spec with the indexes the server needs (by host, by path, by NOG, by drive id)."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.as_of = dt.date.fromisoformat(spec["as_of"])
        self.port = int(spec["base_port"])
        self.by_host: dict[str, Portal] = {}
        self.by_nog: dict[str, tuple[Portal, dict[str, Any]]] = {}
        self.by_drive: dict[str, tuple[Portal, dict[str, Any]]] = {}
        for p in spec["portals"]:
            portal = Portal(self, p)
            self.by_host[p["host"]] = portal
            for d in p["documents"]:
                if d["host"] == "compras":
                    self.by_nog[d["nog"][0]] = (portal, d)
                elif d["host"] == "drive":
                    self.by_drive[f"{p['ine_code']}{d['id']}"] = (portal, d)
        self.compras_host = spec["document_hosts"]["compras"]["host"]
        self.drive_host = spec["document_hosts"]["drive"]["host"]


class Portal:
    def __init__(self, fleet: Fleet, data: dict[str, Any]) -> None:
        self.fleet = fleet
        self.d = data
        self.platform: str = data["platform"]
        self.pages: dict[str, dict[str, Any]] = {pg["path"]: pg for pg in data["pages"]}
        self.docs: dict[str, dict[str, Any]] = {}
        self.doc_by_id: dict[str, dict[str, Any]] = {d["id"]: d for d in data["documents"]}
        for d in data["documents"]:
            if d["host"] == "portal" and d.get("url_path"):
                self.docs[unquote(d["url_path"])] = d
        self.news = {n["path"]: n for n in data["news"]}
        self.modified = dt.datetime.strptime(data["modified"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
        self.home_path = "/"
        self.section_entry = next((pg for pg in data["pages"] if pg.get("parent") == "/"), None)

    # ----------------------------------------------------------------------------------- helpers
    def url_for(self, path: str) -> str:
        return quote(path, safe="/?=&-_.~%")

    def contact_path(self) -> str:
        return {
            "static": "/contacto.html",
            "joomla": "/index.php/contacto",
            "laip_standard": "/index.php/contacto",
        }.get(self.platform, "/?page_id=9" if self.platform == "wordpress" else "/contacto")


# =========================================================================================== dispatch
def respond(fleet: Fleet, host: str, method: str, target: str) -> Reply:
    """The reply for ``method target`` (path with query string) on the given host address."""
    if host == fleet.compras_host:
        return _compras(fleet, target)
    if host == fleet.drive_host:
        return _drive(fleet, target)
    portal = fleet.by_host.get(host)
    if portal is None:
        return _plain(404, "Host desconocido")
    reply = _portal_reply(portal, method, target)
    if "slow" in portal.d["quirks"]:
        reply.delay = max(reply.delay, SLOW_PORTAL_SECONDS)
    return reply


def _plain(status: int, text: str) -> Reply:
    body = (
        f'<!DOCTYPE html><html lang="es"><head><meta charset="utf-8"><title>{status}</title></head>'
        f"<body><h1>{status}</h1><p>{escape(text)}</p></body></html>"
    ).encode()
    return Reply(status=status, body=body, cacheable=False)


def _portal_reply(portal: Portal, method: str, target: str) -> Reply:
    d = portal.d
    failure = d["failure"]
    parts = urlsplit(target)
    path = unquote(parts.path) or "/"
    query = parse_qs(parts.query)
    key = path + (f"?{parts.query}" if parts.query else "")
    if failure == "http_5xx":
        return _plain(503, "Servicio no disponible temporalmente. Intente más tarde.")
    if failure == "timeout":
        reply = _page_or_404(portal, key, path, query)
        reply.delay = SLOW_SECONDS
        return reply
    if path == "/robots.txt":
        return _robots(portal)
    if failure == "redirect_loop" and key in ("/", "/inicio/"):
        return Reply(status=302, headers={"Location": "/inicio/" if key == "/" else "/"}, cacheable=False)
    if failure == "captcha" and not path.startswith("/static/"):
        return _captcha(portal)
    if failure == "login_wall":
        if d["failure_variant"] == "home" and key == "/":
            return _login(portal, status=401)
        if d["failure_variant"] == "section" and portal.section_entry and key == portal.section_entry["path"]:
            return Reply(
                status=302, headers={"Location": f"/usuarios/login?return={quote(key)}"}, cacheable=False
            )
        if path == "/usuarios/login":
            return _login(portal, status=200)
        if path.startswith("/wp-json/"):  # the API does not bypass the wall
            return _json(portal, {"code": "rest_forbidden", "message": "Acceso restringido"}, 401)
    return _page_or_404(portal, key, path, query)


def _page_or_404(portal: Portal, key: str, path: str, query: dict[str, list[str]]) -> Reply:
    page = portal.pages.get(key)
    if page is not None:
        fail = page.get("fail")
        if fail == "section_5xx":
            return _plain(500, "Error interno del servidor (Fatal error: Allowed memory size exhausted)")
        if fail == "section_timeout":
            reply = _html(portal, page["title"], [{"t": "p", "x": "Cargando…"}], page)
            reply.delay = SLOW_SECONDS
            return reply
        if fail == "private_redirect":
            return Reply(status=302, headers={"Location": PRIVATE_REDIRECT_TARGET}, cacheable=False)
        return _page(portal, page)
    doc = portal.docs.get(path)
    if doc is not None:
        return _document(portal, doc)
    if key in portal.news:
        return _news_page(portal, portal.news[key])
    if path.startswith("/static/") or (path.startswith("/wp-content/themes/") and path.endswith(".css")):
        return _asset(portal, path)
    if path == portal.contact_path().split("?")[0] and (
        portal.platform != "wordpress" or query.get("page_id") == ["9"]
    ):
        return _contact(portal)
    if portal.platform == "wordpress" and path.startswith("/wp-json/wp/v2/pages"):
        return _wp_json(portal)
    if portal.platform == "javascript" and path.startswith("/api/"):
        return _js_api(portal, path, query)
    if "trap_calendar" in portal.d["quirks"] and path.rstrip("/") == "/calendario":
        return _calendar(portal, query)
    if "trap_session" in portal.d["quirks"] and path.rstrip("/") == "/avisos":
        return _session_trap(portal, query)
    return _not_found(portal)


# =========================================================================================== pages
def _numeral_heading(portal: Portal, n: int) -> str:
    return numeral_heading(portal.d, n)


def _doc_href(portal: Portal, doc: dict[str, Any]) -> str:
    fleet = portal.fleet
    if doc["host"] == "compras":
        return f"http://{fleet.compras_host}:{fleet.port}{doc['url_path']}"
    if doc["host"] == "drive":
        return f"http://{fleet.drive_host}:{fleet.port}{doc['url_path']}"
    return doc["url_path"]


LISTING_LINK = "Ver archivos del numeral"


def numeral_block(portal: Portal, n: int, page_no: int = 1) -> Block:
    plan = portal.d["numerals"][str(n)]
    mode = plan["mode"]
    block: Block = {"t": "numeral", "n": n, "h": _numeral_heading(portal, n), "mode": mode, "items": []}
    if mode in ("docs", "docs404", "norms"):
        ids = list(plan.get("doc_ids", []))
        more = plan.get("more_after")
        if more and len(ids) > more:
            # "Ver más": the newest documents first, the rest on ?page=2
            ids = ids[::-1][:more] if page_no == 1 else ids[::-1][more:]
            if page_no == 1 and plan.get("page"):
                block["more"] = [f"{plan['page']}?page=2", "Ver más »"]
        listed = False
        for did in ids:
            doc = portal.doc_by_id[did]
            if plan.get("listing") and doc["host"] == "portal":
                listed = True
                continue
            date = publication_date(doc, portal.fleet.as_of).strftime("%d/%m/%Y")
            group = group_of(portal.d, doc)
            item = [_doc_href(portal, doc), doc["label"], date, doc["type"], group]
            if plan.get("tabs") and doc.get("year"):
                item += [str(doc["year"]), doc["period_label"].rsplit(" ", 1)[0].capitalize()]
            block["items"].append(item)
        if listed:
            block["listing"] = [plan["listing_path"], LISTING_LINK]
        if plan.get("tabs"):
            block["tabs"] = True
    elif mode in ("echo", "shortcodes"):
        block["x"] = families.echo_text(portal.d, n, block["h"])
    elif mode == "no_aplica_bare":
        block["x"] = plan.get("na_text", "No aplica.")
    elif mode == "table":
        block["content"] = families.table_block(portal.d, n)
    elif mode == "legal_text":
        block["x"] = (
            f"Artículo 10, numeral {n}. {catalog.numerals()[n].legal_text}. "
            "Ley de Acceso a la Información Pública, Decreto 57-2008."
        )
    elif mode == "no_aplica":
        block["x"] = (
            plan.get("na_text") or f"No aplica: {plan.get('reason', 'no corresponde a esta municipalidad')}."
        )
    elif mode == "content":
        block["content"] = _content_evidence(portal, n)
    return block


def _content_evidence(portal: Portal, n: int) -> list[Block]:
    d = portal.d
    if n == 1:
        units = [
            (
                "Concejo Municipal",
                "Órgano colegiado superior de deliberación y decisión de los asuntos municipales.",
            ),
            ("Alcaldía Municipal", f"Representación de la municipalidad; alcalde: {d['mayor']}."),
            ("Secretaría Municipal", "Actas del concejo, certificaciones y archivo."),
            (
                "Dirección de Administración Financiera Integrada Municipal (DAFIM)",
                "Presupuesto, tesorería y contabilidad.",
            ),
            ("Dirección Municipal de Planificación (DMP)", "Planificación de obras y proyectos."),
            ("Unidad de Información Pública", f"Atención de solicitudes; encargado: {d['uip_officer']}."),
        ]
        return [
            {"t": "p", "x": "Estructura orgánica de la municipalidad y funciones de cada dependencia:"},
            {"t": "table", "head": ["Dependencia", "Funciones"], "rows": [list(u) for u in units]},
        ]
    rows = [
        ["Alcaldía Municipal", d["address"], d["phone"]],
        ["Secretaría Municipal", d["address"], d["phone"][:-1] + "1"],
        ["DAFIM", d["address"], d["phone"][:-1] + "2"],
        ["Unidad de Información Pública", d["address"], d["phone"][:-1] + "5"],
    ]
    return [
        {"t": "p", "x": "Dirección y teléfonos de las dependencias municipales:"},
        {"t": "table", "head": ["Dependencia", "Dirección", "Teléfono"], "rows": rows},
    ]


def _children(portal: Portal, page: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        pg for pg in portal.d["pages"] if pg.get("parent") == page["path"] and not pg.get("page_no", 1) > 1
    ]


def _trap_links(portal: Portal) -> list[list[str]]:
    """Entries into the spider traps; also placed inside the transparency section, where a focused
    crawler goes."""
    items = []
    if "trap_calendar" in portal.d["quirks"]:
        items.append(
            [
                f"/calendario/?mes={portal.fleet.as_of:%Y-%m}",
                "Calendario de publicaciones de información pública de oficio",
            ]
        )
    if "trap_session" in portal.d["quirks"]:
        items.append(
            [f"/avisos/?PHPSESSID={_sid(0)}&pagina=1", "Actualizaciones de información pública (Art. 10)"]
        )
    return items


def page_blocks(portal: Portal, page: dict[str, Any]) -> list[Block]:
    blocks = _page_blocks(portal, page)
    if page["kind"] in ("hub", "numeral_index", "numeral_list") and _trap_links(portal):
        blocks.append({"t": "links", "c": "agenda", "items": _trap_links(portal)})
    return blocks


def _page_blocks(portal: Portal, page: dict[str, Any]) -> list[Block]:
    d = portal.d
    kind = page["kind"]
    blocks: list[Block] = []
    if kind == "home":
        blocks.append({"t": "h", "l": 1, "x": f"Bienvenidos a la Municipalidad de {d['municipality']}"})
        blocks.append(
            {
                "t": "p",
                "x": f"Gobierno municipal {d['municipality']}, {d['department']}. Alcalde municipal: "
                f"{d['mayor']}. Trabajando por el desarrollo de nuestro municipio.",
            }
        )
        entries = _children(portal, page)
        blocks.append(
            {"t": "links", "c": "accesos", "items": [[pg["path"], pg["link_text"]] for pg in entries]}
        )
        blocks.append({"t": "h", "l": 2, "x": "Noticias"})
        blocks.append(
            {
                "t": "links",
                "c": "noticias",
                "items": [[n["path"], f"{n['title']} ({n['date']})"] for n in d["news"]],
            }
        )
        return blocks
    if kind == "hub":
        blocks.append({"t": "h", "l": 1, "x": page["title"]})
        blocks.append(
            {
                "t": "p",
                "x": "En cumplimiento de la Ley de Acceso a la Información Pública (Decreto 57-2008), la "
                f"Municipalidad de {d['municipality']} pone a disposición de la ciudadanía la información "
                "pública de oficio establecida en los artículos 10, 11 y 12 de la ley.",
            }
        )
        blocks.append(
            {
                "t": "links",
                "c": "secciones",
                "items": [[pg["path"], pg["link_text"]] for pg in _children(portal, page)],
            }
        )
        return blocks
    if kind == "numeral_index":
        blocks.append({"t": "h", "l": 1, "x": page["title"]})
        blocks.extend(_law_lists(portal))
        blocks.append({"t": "p", "x": "Artículo 10. Información pública de oficio. Seleccione un numeral:"})
        items = []
        for n in page["numerals"]:
            child = next(
                (pg for pg in portal.d["pages"] if pg["kind"] == "numeral_page" and pg["numerals"] == [n]),
                None,
            )
            if child:
                items.append([child["path"], child["link_text"]])
        blocks.append({"t": "links", "c": "numerales", "items": items})
        others = [
            [pg["path"], pg["link_text"]]
            for pg in _children(portal, page)
            if pg["kind"] in ("uip", "solicitud")
        ]
        if others:
            blocks.append({"t": "links", "c": "secciones", "items": others})
        return blocks
    if kind == "numeral_page":
        n = page["numerals"][0]
        blocks.append({"t": "h", "l": 1, "x": page["title"]})
        blocks.append({**numeral_block(portal, n, page.get("page_no", 1)), "t": "numeral_single"})
        if page.get("page_no", 1) > 1:
            blocks.append({"t": "links", "c": "paginacion", "items": [[page["first"], "« Anteriores"]]})
        return blocks
    if kind == "numeral_list":
        blocks.append({"t": "h", "l": 1, "x": page["title"]})
        if page.get("page_no", 1) == 1:
            blocks.extend(_law_lists(portal))
        blocks.append(
            {
                "t": "p",
                "x": "Información pública de oficio, artículo 10 de la Ley de Acceso a la Información Pública.",
            }
        )
        if portal.platform == "static":
            blocks.append(_static_table(portal, page["numerals"]))
        else:
            blocks.extend(numeral_block(portal, n) for n in page["numerals"])
        if page.get("page_count", 1) > 1:
            items = []
            for k, sib in enumerate(page["siblings"]):
                if sib != page["path"]:
                    items.append([sib, f"Página {k + 1}" if k else "« Página 1"])
            blocks.append({"t": "links", "c": "paginacion", "items": items})
        others = [
            [pg["path"], pg["link_text"]]
            for pg in _children(portal, page)
            if pg["kind"] in ("uip", "solicitud")
        ]
        if others:
            blocks.append({"t": "links", "c": "secciones", "items": others})
        return blocks
    if kind == "uip":
        blocks += [
            {"t": "h", "l": 1, "x": page["title"]},
            {
                "t": "p",
                "x": "La Unidad de Información Pública (UIP) es la encargada de recibir y tramitar las solicitudes "
                "de acceso a la información, conforme a los artículos 19 y 20 de la Ley de Acceso a la "
                "Información Pública, y de velar por la publicación de la información pública de oficio del "
                "artículo 10, numerales 1 al 29 (estructura orgánica, presupuesto, ejecución presupuestaria, "
                "contrataciones, viajes, inventario, obras y demás).",
            },
            {
                "t": "table",
                "head": ["Encargado", "Horario", "Teléfono", "Dirección"],
                "rows": [[d["uip_officer"], "Lunes a viernes, 8:00 a 16:00", d["phone"], d["address"]]],
            },
        ]
        return blocks
    if kind == "solicitud":
        blocks += [
            {"t": "h", "l": 1, "x": page["title"]},
            {
                "t": "p",
                "x": "Formulario de solicitud de información pública (artículo 38, LAIP). Puede solicitar "
                "cualquier información del artículo 10: ejecución presupuestaria (numeral 8), contrataciones "
                "(numeral 20), viajes (numeral 12), obras (numeral 18).",
            },
            {
                "t": "form",
                "action": "#",
                "fields": [
                    ["nombre", "Nombre completo", "text"],
                    ["correo", "Correo electrónico", "email"],
                    ["solicitud", "Información solicitada", "textarea"],
                ],
                "submit": "Enviar solicitud",
            },
        ]
        return blocks
    return blocks


def _law_lists(portal: Portal) -> list[Block]:
    """The law's principles and objectives, numbered 1., 2., … (family ``law_lists``): not article 10."""
    if not portal.d.get("law_lists"):
        return []
    out: list[Block] = [{"t": "h", "l": 2, "x": "Principios de la Ley de Acceso a la Información Pública"}]
    for title, text in families.PRINCIPLES:
        out += [{"t": "h", "l": 3, "x": title}, {"t": "p", "x": text}]
    out += [
        {"t": "h", "l": 2, "x": "Objetivos de la ley"},
        {"t": "p", "x": families.OBJECTIVES},
        {"t": "h", "l": 2, "x": "Información pública de oficio"},
    ]
    return out


def _listing(portal: Portal, page: dict[str, Any]) -> Reply:
    """An Apache-style directory listing (family ``directory_listing``): file names are the only labels."""
    plan = portal.d["numerals"][str(page["numeral"])]
    rows = ""
    for did in plan.get("doc_ids", []):
        doc = portal.doc_by_id[did]
        if doc["host"] != "portal":
            continue
        stamp = publication_date(doc, portal.fleet.as_of).strftime("%Y-%m-%d %H:%M")
        size = 40 + (sum(map(ord, doc["filename"])) % 400)
        name = escape(doc["filename"])
        rows += (
            f'<tr><td valign="top"><img src="/icons/layout.gif" alt="[   ]"></td><td><a href="{escape(quote(doc["filename"]))}">'
            f'{name}</a></td><td align="right">{stamp}  </td><td align="right">{size}K</td><td>&nbsp;</td></tr>\n'
        )
    title = escape(page["title"])
    html = (
        '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">\n<html>\n <head>\n'
        f"  <title>{title}</title>\n </head>\n <body>\n<h1>{title}</h1>\n  <table>\n"
        '   <tr><th valign="top"><img src="/icons/blank.gif" alt="[ICO]"></th><th>Name</th><th>Last modified</th>'
        "<th>Size</th><th>Description</th></tr>\n"
        f'   <tr><th colspan="5"><hr></th></tr>\n{rows}   <tr><th colspan="5"><hr></th></tr>\n</table>\n'
        f"<address>Apache/2.4.41 (Ubuntu) Server at {escape(portal.d['host'])} Port {portal.fleet.port}</address>\n"
        "</body></html>\n"
    )
    return Reply(
        body=html.encode("utf-8"), content_type="text/html;charset=UTF-8", last_modified=portal.modified
    )


def _static_table(portal: Portal, numerals: list[int]) -> Block:
    """Month-by-numeral table of the hand-made static portals."""
    year = portal.fleet.as_of.year
    head = ["Numeral", "Descripción", *[m[:3].capitalize() for m in MONTHS_ES], "Otros"]
    rows = []
    for n in numerals:
        block = numeral_block(portal, n)
        cells: list[Any] = [[] for _ in range(13)]
        for href, label, *_rest in block["items"]:
            did = _doc_for_href(portal, n, href)
            doc = portal.doc_by_id.get(did) if did else None
            if doc and doc["period_kind"] == "month" and doc["year"] == year:
                cells[doc["month"] - 1].append([href, label])
            else:
                cells[12].append([href, label])
        desc: Any = block.get("x") or catalog.numerals()[n].title
        if block.get("listing"):
            cells[12].append(block["listing"])
        if block["mode"] in ("content", "table"):
            desc = (
                catalog.numerals()[n].title
                + ": "
                + " ".join(b["x"] for b in block["content"] if b["t"] == "p")
                + " "
                + " ".join(" / ".join(r) for b in block["content"] if b["t"] == "table" for r in b["rows"])
            )
        rows.append([block["h"], desc, *[c if c else "" for c in cells]])
    return {"t": "table", "c": "matriz", "head": head, "rows": rows}


def _doc_for_href(portal: Portal, n: int, href: str) -> str | None:
    for did in portal.d["numerals"][str(n)].get("doc_ids", []):
        if _doc_href(portal, portal.doc_by_id[did]) == href:
            return did
    return None


# =========================================================================================== HTML skins
def _cell_html(cell: Any) -> str:
    if isinstance(cell, list):
        if cell and isinstance(cell[0], list):
            return "<br>".join(_cell_html(c) for c in cell)
        if len(cell) == 2:
            return f'<a href="{escape(cell[0])}">{escape(cell[1])}</a>'
        return ""
    return escape(str(cell))


def _links_html(block: Block) -> str:
    items = "".join(f'<li><a href="{escape(h)}">{escape(t)}</a></li>' for h, t in block["items"])
    return f'<ul class="{escape(block.get("c", "lista"))}">{items}</ul>'


def _numeral_html(platform: str, block: Block, single: bool = False) -> str:
    h = escape(block["h"])
    inner = ""
    if block.get("x"):
        inner += f"<p>{escape(block['x'])}</p>"
    for b in block.get("content", []):
        inner += _block_html(platform, b)
    groups: list[tuple[str, list[list[str]]]] = []
    for item in block["items"]:
        group = item[4] if len(item) > 4 else ""
        if not groups or groups[-1][0] != group:
            groups.append((group, []))
        groups[-1][1].append(item)
    if block.get("tabs") and block["items"]:
        inner += _tabs_html(block)
    elif block["items"] and (platform == "laip_standard" or single):
        rows = ""
        for group, items in groups:
            if group:
                rows += f'<tr class="anio"><th colspan="3">{escape(group)}</th></tr>'
            for href, label, date, *_ in items:
                if platform == "laip_standard":
                    rows += (
                        f'<tr><td>{escape(label)}</td><td>{escape(date)}</td><td><a href="{escape(href)}" '
                        f'title="{escape(label)}">Descargar</a></td></tr>'
                    )
                else:
                    rows += f'<tr><td><a href="{escape(href)}">{escape(label)}</a></td><td>{escape(date)}</td></tr>'
        head = (
            "<tr><th>Documento</th><th>Fecha</th><th></th></tr>"
            if platform == "laip_standard"
            else "<tr><th>Documento</th><th>Fecha de publicación</th></tr>"
        )
        inner += f'<table class="table table-striped documentos"><thead>{head}</thead><tbody>{rows}</tbody></table>'
    elif block["items"]:
        for group, items in groups:
            if group:
                inner += f"<h4>{escape(group)}</h4>"
            inner += (
                "<ul>"
                + "".join(
                    f'<li><a href="{escape(href)}" target="_blank">{escape(label)}</a></li>'
                    for href, label, *_ in items
                )
                + "</ul>"
            )
    for extra in ("listing", "more"):
        if block.get(extra):
            href, text = block[extra]
            inner += f'<p class="{extra}"><a href="{escape(href)}">{escape(text)}</a></p>'
    if single:
        return f'<div class="item-page numeral"><h2>{h}</h2>{inner}</div>'
    if platform == "wordpress":
        return (
            '<div class="elementor-accordion-item"><div class="elementor-tab-title" role="button">'
            f'<a class="elementor-accordion-title" href="">{h}</a></div>'
            f'<div class="elementor-tab-content elementor-clearfix" role="region">{inner}</div></div>'
        )
    if platform == "joomla":
        return f'<div class="numeral"><h3 class="page-header">{h}</h3>{inner}</div>'
    return f'<section class="numeral"><h3>{h}</h3>{inner}</section>'


def _tabs_html(block: Block) -> str:
    """Year tabs, each with month accordions, all held in the DOM (Bootstrap 5), labelled "Descargar"."""
    years: dict[str, dict[str, list[list[str]]]] = {}
    for item in block["items"]:
        year, month = (item[5], item[6]) if len(item) > 6 else ("Otros", "Documentos")
        years.setdefault(year, {}).setdefault(month, []).append(item)
    key = f"n{block['n']}"
    order = sorted(years, reverse=True)
    tabs = "".join(
        f'<li class="nav-item" role="presentation"><button class="nav-link{" active" if i == 0 else ""}" '
        f'data-bs-toggle="tab" data-bs-target="#{key}-{escape(y)}" type="button" role="tab" '
        f'aria-controls="{key}-{escape(y)}">{escape(y)}</button></li>'
        for i, y in enumerate(order)
    )
    panes = ""
    for i, y in enumerate(order):
        items = ""
        for j, (month, docs) in enumerate(years[y].items()):
            cid = f"{key}-{escape(y)}-{j}"
            links = "".join(
                f'<p><a href="{escape(href)}" target="_blank">Descargar</a> <small>{escape(date)}</small></p>'
                for href, _label, date, *_ in docs
            )
            items += (
                f'<div class="accordion-item"><h2 class="accordion-header"><button class="accordion-button collapsed" '
                f'type="button" data-bs-toggle="collapse" data-bs-target="#{cid}">{escape(month)}</button></h2>'
                f'<div id="{cid}" class="accordion-collapse collapse"><div class="accordion-body">{links}</div></div></div>'
            )
        panes += (
            f'<div class="tab-pane fade{" show active" if i == 0 else ""}" id="{key}-{escape(y)}" role="tabpanel">'
            f'<div class="accordion">{items}</div></div>'
        )
    return f'<ul class="nav nav-tabs" role="tablist">{tabs}</ul><div class="tab-content">{panes}</div>'


def _block_html(platform: str, b: Block) -> str:
    t = b["t"]
    if t == "h":
        return f"<h{b['l']}>{escape(b['x'])}</h{b['l']}>"
    if t == "p":
        return f"<p>{escape(b['x'])}</p>"
    if t == "links":
        return _links_html(b)
    if t == "numeral":
        return _numeral_html(platform, b)
    if t == "numeral_single":
        return _numeral_html(platform, b, single=True)
    if t == "table":
        head = "".join(f"<th>{escape(h)}</th>" for h in b["head"])
        rows = "".join("<tr>" + "".join(f"<td>{_cell_html(c)}</td>" for c in r) + "</tr>" for r in b["rows"])
        return f'<table class="{escape(b.get("c", "tabla"))}" border="1"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'
    if t == "form":
        fields = ""
        for name, label, kind in b["fields"]:
            ctrl = (
                f'<textarea name="{name}" id="{name}" rows="5"></textarea>'
                if kind == "textarea"
                else f'<input type="{kind}" name="{name}" id="{name}">'
            )
            fields += f'<p><label for="{name}">{escape(label)}</label><br>{ctrl}</p>'
        return f'<form method="post" action="{escape(b["action"])}">{fields}<button type="submit">{escape(b["submit"])}</button></form>'
    return ""


def _nav(portal: Portal) -> list[list[str]]:
    d = portal.d
    nav = [["/", "Inicio"]]
    if portal.section_entry:
        nav.append([portal.section_entry["path"], portal.section_entry["link_text"]])
    if d["news"]:
        nav.append([d["news"][0]["path"], "Noticias"])
    nav.append([portal.contact_path(), "Contacto"])
    return nav


def _layout_html(portal: Portal, title: str, main: str) -> str:
    d = portal.d
    platform = portal.platform
    charset = "iso-8859-1" if d["charset"] == "iso-8859-1" else "utf-8"
    nav = "".join(f'<li><a href="{escape(h)}">{escape(t)}</a></li>' for h, t in _nav(portal))
    generator = {
        "wordpress": '<meta name="generator" content="WordPress 6.4.3">'
        '<link rel="stylesheet" href="/wp-content/themes/astra/style.css">'
        '<link rel="https://api.w.org/" href="/wp-json/">',
        "joomla": '<meta name="generator" content="Joomla! - Open Source Content Management">',
        "laip_standard": '<meta name="generator" content="Portal LAIP municipal">',
        "static": "",
    }.get(platform, "")
    body_class = {
        "wordpress": "page-template-default page wp-theme-astra",
        "joomla": "site com_content view-article",
        "laip_standard": "site laip",
        "static": "",
    }.get(platform, "")
    news = "".join(f'<li><a href="{escape(n["path"])}">{escape(n["title"])}</a></li>' for n in d["news"][:2])
    muni = escape(d["municipality"])
    return (
        f'<!DOCTYPE html>\n<html lang="es"><head><meta charset="{charset}">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">{generator}'
        f"<title>{escape(title)} | Municipalidad de {muni}</title>"
        '<link rel="stylesheet" href="/static/sitio.css"></head>'
        f'<body class="{body_class}"><header class="cabecera"><img src="/static/escudo.svg" alt="Escudo de {muni}" '
        f'width="64" height="64"><div class="marca"><span class="nombre">Municipalidad de {muni}</span>'
        f'<span class="depto">{escape(d["department"])}, Guatemala</span></div></header>'
        f'<nav class="menu-principal"><ul>{nav}</ul></nav>'
        f'<div class="contenedor"><main id="contenido">{main}</main>'
        f'<aside class="lateral"><h4>Últimas noticias</h4><ul>{news}</ul></aside></div>'
        f'<footer class="pie"><p>Municipalidad de {muni}, {escape(d["department"])}</p>'
        f"<p>{escape(d['address'])} · Tel. {escape(d['phone'])}</p>"
        f"<p>Horario de atención: lunes a viernes de 8:00 a 16:30 horas</p>{_furniture_html(portal)}</footer></body></html>\n"
    )


def _furniture_html(portal: Portal) -> str:
    """Links and credits on every page (family ``furniture``): a Guatecompras banner, social links, credits."""
    d = portal.d
    if not d.get("furniture"):
        return ""
    theme = {
        "wordpress": "Funciona gracias a WordPress | Tema: Astra",
        "joomla": "Powered by Joomla! | Plantilla Helix Ultimate",
    }.get(portal.platform, "Sitio desarrollado por Soluciones Web Guatemala")
    return (
        '<div class="enlaces-pie"><a href="https://www.guatecompras.gt/" target="_blank" rel="noopener">'
        '<img src="/static/escudo.svg" alt="Guatecompras" width="24" height="24"> GUATECOMPRAS</a> · '
        '<a href="https://www.contraloria.gob.gt/" target="_blank">Contraloría General de Cuentas</a> · '
        f'<a href="https://www.facebook.com/muni{escape(d["ine_code"])}" target="_blank">Facebook</a></div>'
        f'<p class="creditos">© {portal.fleet.as_of.year} Municipalidad de {escape(d["municipality"])}. '
        f"Tel. {escape(d['phone'])}, {escape(d['phone'][:-1])}9. Correo: info@muni{escape(d['ine_code'])}.gob.gt. "
        f"{escape(theme)}</p>"
    )


def _encode(portal: Portal, html: str) -> tuple[bytes, str]:
    if "malformed_html" in portal.d["quirks"]:
        html = _malform(html)
    if portal.d["charset"] == "iso-8859-1":
        return html.encode("iso-8859-1", "xmlcharrefreplace"), "text/html; charset=ISO-8859-1"
    return html.encode("utf-8"), "text/html; charset=utf-8"


def _malform(html: str) -> str:
    """Tag soup as produced by hand-edited portals: unclosed items, stray end tags, unquoted attributes."""
    html = html.replace("</li>", "").replace("</td>", "").replace("</p>", "").replace("</tr>", "")
    html = html.replace('<main id="contenido">', "<main id=contenido><div><font face=Arial><b>", 1)
    html = html.replace("</main>", "</span></div></div></main>", 1)
    return html.replace("<!DOCTYPE html>\n", "", 1)


def _html(portal: Portal, title: str, blocks: list[Block], page: dict[str, Any] | None = None) -> Reply:
    if portal.platform == "javascript":
        return _js_shell(portal, title, blocks, page)
    main = "".join(_block_html(portal.platform, b) for b in blocks)
    if portal.platform == "wordpress":
        main = f'<article class="page type-page"><div class="entry-content">{main}</div></article>'
    body, ctype = _encode(portal, _layout_html(portal, title, main))
    return Reply(body=body, content_type=ctype, last_modified=portal.modified)


def _page(portal: Portal, page: dict[str, Any]) -> Reply:
    if page["kind"] == "listing":
        return _listing(portal, page)
    return _html(portal, page["title"], page_blocks(portal, page), page)


# =========================================================================================== JavaScript portals
def _js_model(portal: Portal, title: str, blocks: list[Block]) -> dict[str, Any]:
    d = portal.d
    return {
        "municipio": d["municipality"],
        "departamento": d["department"],
        "titulo": title,
        "menu": _nav(portal),
        "bloques": blocks,
        "pie": f"{d['address']} · Tel. {d['phone']}",
        "noticias": [[n["path"], n["title"]] for n in d["news"][:2]],
    }


def _js_shell(portal: Portal, title: str, blocks: list[Block], page: dict[str, Any] | None) -> Reply:
    d = portal.d
    muni = escape(d["municipality"])
    if d["js_mode"] == "inline":
        data = json.dumps(_js_model(portal, title, blocks), ensure_ascii=False).replace("</", "<\\/")
        payload = f'<script id="datos-pagina" type="application/json">{data}</script>'
    else:
        payload = ""
    html = (
        '<!DOCTYPE html>\n<html lang="es"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Municipalidad de {muni}</title>"
        '<link rel="stylesheet" href="/static/sitio.css"></head>'
        '<body><div id="app"><div class="cargando">Cargando…</div></div>'
        "<noscript>Este portal requiere JavaScript.</noscript>"
        f'{payload}<script src="/static/app.js" defer></script></body></html>\n'
    )
    return Reply(body=html.encode(), last_modified=portal.modified)


def _js_api(portal: Portal, path: str, query: dict[str, list[str]]) -> Reply:
    if path != "/api/pagina.json":
        return _json(portal, {"error": "no encontrado"}, 404)
    route = (query.get("ruta") or ["/"])[0]
    page = portal.pages.get(route)
    if page is None and route == portal.contact_path():
        d = portal.d
        blocks: list[Block] = [
            {"t": "h", "l": 1, "x": "Contacto"},
            {"t": "p", "x": f"Dirección: {d['address']}. Teléfono: {d['phone']}."},
        ]
        return _json(portal, _js_model(portal, "Contacto", blocks))
    if page is None and route in portal.news:
        news = portal.news[route]
        return _json(portal, _js_model(portal, news["title"], _news_blocks(portal, news)))
    if page is None or page.get("fail"):
        return _json(portal, {"error": "no encontrado"}, 404)
    return _json(portal, _js_model(portal, page["title"], page_blocks(portal, page)))


def _json(portal: Portal, data: Any, status: int = 200) -> Reply:
    return Reply(
        status=status,
        body=json.dumps(data, ensure_ascii=False).encode(),
        content_type="application/json; charset=utf-8",
        last_modified=portal.modified,
    )


APP_JS = r"""
(function () {
  "use strict";
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }
  function link(h, t) { return el("a", {href: h}, t); }
  function cell(c) {
    var td = el("td");
    if (Array.isArray(c)) {
      if (c.length && Array.isArray(c[0])) { c.forEach(function (x, i) { if (i) td.appendChild(el("br")); td.appendChild(link(x[0], x[1])); }); }
      else if (c.length === 2) td.appendChild(link(c[0], c[1]));
    } else td.textContent = c;
    return td;
  }
  function block(b) {
    var w;
    if (b.t === "h") return el("h" + b.l, null, b.x);
    if (b.t === "p") return el("p", null, b.x);
    if (b.t === "links") {
      w = el("ul", {"class": b.c || "lista"});
      b.items.forEach(function (i) { var li = el("li"); li.appendChild(link(i[0], i[1])); w.appendChild(li); });
      return w;
    }
    if (b.t === "table") {
      w = el("table", {"class": b.c || "tabla"});
      var tr = el("tr"); b.head.forEach(function (h) { tr.appendChild(el("th", null, h)); }); w.appendChild(tr);
      b.rows.forEach(function (r) { var row = el("tr"); r.forEach(function (c) { row.appendChild(cell(c)); }); w.appendChild(row); });
      return w;
    }
    if (b.t === "numeral" || b.t === "numeral_single") {
      w = el("details", {"class": "numeral", open: ""});
      w.appendChild(el("summary", null, b.h));
      if (b.x) w.appendChild(el("p", null, b.x));
      (b.content || []).forEach(function (c) { w.appendChild(block(c)); });
      var ul = null, group = null;
      b.items.forEach(function (i) {
        if (!ul || (i[4] || "") !== group) {
          group = i[4] || "";
          if (group) w.appendChild(el("h4", null, group));
          ul = el("ul"); w.appendChild(ul);
        }
        var li = el("li"); li.appendChild(link(i[0], i[1])); li.appendChild(el("small", null, " " + i[2])); ul.appendChild(li);
      });
      return w;
    }
    if (b.t === "form") {
      w = el("form", {method: "post", action: b.action});
      b.fields.forEach(function (f) { var p = el("p"); p.appendChild(el("label", {"for": f[0]}, f[1])); p.appendChild(el(f[2] === "textarea" ? "textarea" : "input", {name: f[0], id: f[0]})); w.appendChild(p); });
      w.appendChild(el("button", {type: "submit"}, b.submit));
      return w;
    }
    return el("div");
  }
  function render(m) {
    var app = document.getElementById("app");
    app.innerHTML = "";
    document.title = m.titulo + " | Municipalidad de " + m.municipio;
    var head = el("header", {"class": "cabecera"});
    head.appendChild(el("img", {src: "/static/escudo.svg", alt: "Escudo de " + m.municipio, width: "64", height: "64"}));
    head.appendChild(el("span", {"class": "nombre"}, "Municipalidad de " + m.municipio));
    head.appendChild(el("span", {"class": "depto"}, m.departamento + ", Guatemala"));
    app.appendChild(head);
    var nav = el("nav", {"class": "menu-principal"}), ul = el("ul");
    m.menu.forEach(function (i) { var li = el("li"); li.appendChild(link(i[0], i[1])); ul.appendChild(li); });
    nav.appendChild(ul); app.appendChild(nav);
    var wrap = el("div", {"class": "contenedor"});
    var main = el("main", {id: "contenido"});
    m.bloques.forEach(function (b) { main.appendChild(block(b)); });
    wrap.appendChild(main);
    var aside = el("aside", {"class": "lateral"}); aside.appendChild(el("h4", null, "Últimas noticias"));
    aside.appendChild(block({t: "links", c: "noticias", items: m.noticias})); wrap.appendChild(aside);
    app.appendChild(wrap);
    app.appendChild(el("footer", {"class": "pie"}, "Municipalidad de " + m.municipio + " · " + m.pie));
  }
  var inline = document.getElementById("datos-pagina");
  if (inline) { render(JSON.parse(inline.textContent)); return; }
  var ruta = window.location.pathname + window.location.search;
  fetch("/api/pagina.json?ruta=" + encodeURIComponent(ruta)).then(function (r) { return r.json(); }).then(function (m) {
    if (m.error) { document.getElementById("app").textContent = "Página no encontrada"; return; }
    render(m);
  });
})();
"""

SITE_CSS = """
body{font-family:Arial,Helvetica,sans-serif;margin:0;color:#222;background:#f4f4f0}
.cabecera{display:flex;align-items:center;gap:12px;background:#0b4f8a;color:#fff;padding:10px 24px}
.cabecera .nombre{font-size:1.4em;font-weight:bold;display:block}
.menu-principal ul{list-style:none;margin:0;padding:0 24px;background:#e8b400;display:flex;gap:18px}
.menu-principal a{display:block;padding:8px 0;color:#222;text-decoration:none;font-weight:bold}
.contenedor{display:flex;gap:24px;padding:16px 24px}
main{flex:3;background:#fff;padding:16px}
.lateral{flex:1;background:#fff;padding:12px}
.pie{background:#333;color:#ddd;padding:12px 24px;font-size:.9em}
table{border-collapse:collapse}table.matriz{font-size:.8em}td,th{border:1px solid #ccc;padding:4px 6px}
.elementor-tab-title{background:#eee;padding:6px;margin-top:4px;font-weight:bold}
details.numeral summary{font-weight:bold;cursor:pointer;padding:4px;background:#eee}
"""


def _escudo_svg(portal: Portal) -> bytes:
    initials = "".join(w[0] for w in portal.d["municipality"].split() if w[0].isupper())[:3]
    hue = int(hashlib.sha256(portal.d["ine_code"].encode()).hexdigest()[:2], 16) * 360 // 256
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64">'
        f'<path d="M8 6h48v26c0 16-12 24-24 28C20 56 8 48 8 32z" fill="hsl({hue},55%,40%)" stroke="#e8b400" '
        'stroke-width="3"/><text x="32" y="38" font-size="16" text-anchor="middle" fill="#fff" '
        f'font-family="Arial">{escape(initials)}</text></svg>'
    ).encode()


def _asset(portal: Portal, path: str) -> Reply:
    epoch = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
    if path == "/static/escudo.svg":
        return Reply(body=_escudo_svg(portal), content_type="image/svg+xml", last_modified=epoch)
    if path == "/static/sitio.css" or path.startswith("/wp-content/themes/"):
        return Reply(body=SITE_CSS.encode(), content_type="text/css; charset=utf-8", last_modified=epoch)
    if path == "/static/app.js" and portal.platform == "javascript":
        return Reply(
            body=APP_JS.encode(), content_type="application/javascript; charset=utf-8", last_modified=epoch
        )
    return _not_found(portal)


# =========================================================================================== other pages
def _news_blocks(portal: Portal, news: dict[str, Any]) -> list[Block]:
    d = portal.d
    blocks: list[Block] = [
        {"t": "h", "l": 1, "x": news["title"]},
        {"t": "p", "x": f"Publicado el {news['date']}"},
    ]
    if news["mentions"]:
        names = ", ".join(f"numeral {n} ({catalog.numerals()[n].title.lower()})" for n in news["mentions"])
        blocks.append(
            {
                "t": "p",
                "x": f"La Municipalidad de {d['municipality']} reafirma su compromiso con la transparencia y la "
                "Ley de Acceso a la Información Pública, Decreto 57-2008. Durante la capacitación impartida por "
                "la Procuraduría de los Derechos Humanos se revisó la información pública de oficio del "
                f"artículo 10, en particular el {names}, que la Unidad de Información Pública se "
                "compromete a publicar próximamente en este portal.",
            }
        )
    else:
        blocks.append(
            {
                "t": "p",
                "x": f"El alcalde municipal {d['mayor']} informó a los vecinos sobre los avances de la obra. "
                "La municipalidad agradece la participación de los COCODES.",
            }
        )
    return blocks


def _news_page(portal: Portal, news: dict[str, Any]) -> Reply:
    return _html(portal, news["title"], _news_blocks(portal, news))


def _contact(portal: Portal) -> Reply:
    d = portal.d
    blocks: list[Block] = [
        {"t": "h", "l": 1, "x": "Contacto"},
        {"t": "p", "x": f"Dirección: {d['address']}. Teléfono: {d['phone']}."},
    ]
    return _html(portal, "Contacto", blocks)


def _not_found(portal: Portal) -> Reply:
    if portal.platform == "javascript":
        body = b'<!DOCTYPE html><html lang="es"><head><meta charset="utf-8"><title>404</title></head><body><h1>404</h1><p>P\xc3\xa1gina no encontrada</p></body></html>'
        return Reply(status=404, body=body, cacheable=False)
    main = "<h1>Página no encontrada</h1><p>El contenido que busca no existe o fue movido.</p>"
    body, ctype = _encode(portal, _layout_html(portal, "Página no encontrada", main))
    return Reply(status=404, body=body, content_type=ctype, cacheable=False)


def _robots(portal: Portal) -> Reply:
    d = portal.d
    if d["failure"] == "robots_disallow":
        text = "User-agent: *\nDisallow: /\n"
    else:
        rng = random.Random(f"robots:{d['ine_code']}")
        if rng.random() < 0.3:
            return _not_found(portal)
        disallow = {
            "wordpress": "Disallow: /wp-admin/\nAllow: /wp-admin/admin-ajax.php\n",
            "joomla": "Disallow: /administrator/\nDisallow: /cache/\nDisallow: /tmp/\n",
            "laip_standard": "Disallow: /administrator/\n",
        }.get(portal.platform, "Disallow: /privado/\n")
        text = f"User-agent: *\n{disallow}"
    return Reply(body=text.encode(), content_type="text/plain; charset=utf-8", last_modified=portal.modified)


def _captcha(portal: Portal) -> Reply:
    html = (
        '<!DOCTYPE html><html lang="es"><head><meta charset="utf-8"><title>Verificación de seguridad</title></head>'
        '<body><div class="captcha-wrap"><h1>Verificación de seguridad</h1>'
        "<p>Por favor, confirme que no es un robot para continuar al sitio de la Municipalidad de "
        f"{escape(portal.d['municipality'])}.</p>"
        '<form method="post" action="/captcha/verificar"><img src="/captcha/imagen.png" alt="captcha">'
        '<div class="g-recaptcha" data-sitekey="6Lc-simulado"></div>'
        '<input type="text" name="captcha" placeholder="Escriba los caracteres"><button>Verificar</button>'
        "</form></div></body></html>"
    )
    return Reply(status=403, body=html.encode(), cacheable=False)


def _login(portal: Portal, status: int) -> Reply:
    html = (
        '<!DOCTYPE html><html lang="es"><head><meta charset="utf-8"><title>Iniciar sesión</title></head>'
        f"<body><h1>Acceso restringido</h1><p>Municipalidad de {escape(portal.d['municipality'])}: ingrese "
        "sus credenciales para acceder a esta sección.</p>"
        '<form method="post" action="/usuarios/login" id="login-form">'
        '<label>Usuario <input type="text" name="username"></label>'
        '<label>Contraseña <input type="password" name="password"></label>'
        '<button type="submit">Iniciar sesión</button></form></body></html>'
    )
    headers = {"WWW-Authenticate": 'Basic realm="Intranet municipal"'} if status == 401 else {}
    return Reply(status=status, body=html.encode(), headers=headers, cacheable=False)


def _sid(n: int) -> str:
    return hashlib.sha256(f"sid:{n}".encode()).hexdigest()[:26]


def _calendar(portal: Portal, query: dict[str, list[str]]) -> Reply:
    """An infinite calendar: every month links to the previous and next month, and to each day."""
    raw = (query.get("mes") or [""])[0]
    try:
        year, month = (int(x) for x in raw.split("-"))
        if not 1 <= month <= 12 or not 1 <= year <= 9999:
            raise ValueError
    except ValueError:
        year, month = portal.fleet.as_of.year, portal.fleet.as_of.month
    py, pm = catalog.add_months(year, month, -1)
    ny, nm = catalog.add_months(year, month, 1)
    days = [[f"/calendario/?mes={year:04d}-{month:02d}&dia={k}", str(k)] for k in range(1, 29, 3)]
    blocks: list[Block] = [
        {"t": "h", "l": 1, "x": f"Calendario de publicaciones: {MONTHS_ES[month - 1]} {year}"},
        {
            "t": "p",
            "x": "Fechas de actualización de la información pública de oficio (artículo 10, LAIP) y "
            "actividades de la municipalidad.",
        },
        {"t": "links", "c": "dias", "items": days},
        {
            "t": "links",
            "c": "navegacion",
            "items": [
                [f"/calendario/?mes={py:04d}-{pm:02d}", "« Mes anterior"],
                [f"/calendario/?mes={ny:04d}-{nm:02d}", "Mes siguiente »"],
            ],
        },
    ]
    return _html(portal, "Calendario", blocks)


def _session_trap(portal: Portal, query: dict[str, list[str]]) -> Reply:
    """Every page links onward with a fresh session id: endlessly many distinct URLs."""
    try:
        page = max(1, int((query.get("pagina") or ["1"])[0]))
    except ValueError:
        page = 1
    blocks: list[Block] = [
        {"t": "h", "l": 1, "x": f"Actualizaciones de información pública (página {page})"},
        {
            "t": "p",
            "x": "Avisos de actualización de la información pública de oficio, artículo 10 de la LAIP.",
        },
        {
            "t": "links",
            "c": "paginacion",
            "items": [
                [f"/avisos/?PHPSESSID={_sid(page)}&pagina={page + 1}", "Siguiente"],
                [f"/avisos/?PHPSESSID={_sid(page + 7919)}&pagina={page}", "Recargar"],
            ],
        },
    ]
    reply = _html(portal, "Avisos", blocks)
    reply.cacheable = False
    return reply


def _wp_json(portal: Portal) -> Reply:
    items = []
    for pg in portal.d["pages"]:
        if pg.get("fail") or pg["kind"] in ("home", "listing"):
            continue
        main = "".join(_block_html("wordpress", b) for b in page_blocks(portal, pg))
        page_id = pg["path"].split("page_id=")[-1].split("&")[0] if "page_id=" in pg["path"] else "0"
        items.append(
            {
                "id": int(page_id) if page_id.isdigit() else 0,
                "link": f"http://{portal.d['host']}:{portal.d['port']}{portal.url_for(pg['path'])}",
                "title": {"rendered": escape(pg["title"])},
                "content": {"rendered": main, "protected": False},
                "modified_gmt": portal.d["modified"].rstrip("Z"),
                "status": "publish",
                "type": "page",
            }
        )
    return _json(portal, items)


# =========================================================================================== documents
def _document(portal: Portal, doc: dict[str, Any]) -> Reply:
    if doc["status"] == 404:
        return _not_found(portal)
    as_of = portal.fleet.as_of
    last_modified = dt.datetime.combine(publication_date(doc, as_of), dt.time(10, 0), tzinfo=dt.UTC)
    if doc.get("huge"):
        return Reply(
            body=huge_pdf_head(),
            content_type="application/pdf",
            stream_size=HUGE_FILE_SIZE,
            last_modified=last_modified,
            headers={"ETag": f'"huge-{portal.d["ine_code"]}-{doc["id"]}"'},
            cacheable=False,
        )
    body, ctype = render_document(portal.d, doc, as_of)
    headers = {}
    if doc["host"] == "drive":
        headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(doc['filename'])}"
    return Reply(body=body, content_type=ctype, last_modified=last_modified, headers=headers)


def _drive(fleet: Fleet, target: str) -> Reply:
    parts = urlsplit(target)
    query = parse_qs(parts.query)
    if parts.path == "/robots.txt":
        return Reply(body=b"User-agent: *\nAllow: /\n", content_type="text/plain; charset=utf-8")
    key = (query.get("id") or [""])[0]
    if parts.path != "/uc" or key not in fleet.by_drive:
        return _plain(404, "No se encontró el archivo solicitado.")
    portal, doc = fleet.by_drive[key]
    return _document(portal, doc)


def _compras(fleet: Fleet, target: str) -> Reply:
    parts = urlsplit(target)
    query = parse_qs(parts.query)
    if parts.path == "/robots.txt":
        return Reply(body=b"User-agent: *\nAllow: /\n", content_type="text/plain; charset=utf-8")
    nog = (query.get("nog") or [""])[0]
    if parts.path != "/ComprasGuate/concursos/consultaConcurso.aspx" or nog not in fleet.by_nog:
        return _plain(404, "Concurso no encontrado.")
    portal, doc = fleet.by_nog[nog]
    if doc["status"] != 200:
        return _plain(404, "Concurso no encontrado.")
    date = publication_date(doc, fleet.as_of)
    rows = [
        ("NOG", nog),
        (
            "Descripción",
            f"Contratación para la Municipalidad de {portal.d['municipality']} ({doc['period_label']})",
        ),
        ("Entidad", f"MUNICIPALIDAD DE {portal.d['municipality'].upper()}, {portal.d['department'].upper()}"),
        ("Modalidad", "Cotización (Art. 38 LCE)"),
        ("Estatus", "Adjudicado"),
        ("Fecha de publicación", date.strftime("%d/%m/%Y")),
    ]
    table = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in rows)
    html = (
        '<!DOCTYPE html><html lang="es"><head><meta charset="utf-8"><title>Guatecompras - Consulta de concurso '
        f"{nog}</title></head><body><h1>Sistema de Información de Contrataciones y Adquisiciones del Estado</h1>"
        f'<h2>Concurso NOG {nog}</h2><table class="detalle">{table}</table></body></html>'
    )
    lm = dt.datetime.combine(date, dt.time(10, 0), tzinfo=dt.UTC)
    return Reply(body=html.encode(), last_modified=lm)
