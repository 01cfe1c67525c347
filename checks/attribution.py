"""Which evidence belongs to which numeral: the heart of the checks.

Every place a document is linked (an *occurrence*: link text, file name, the section headings above
the link, the page's title and trail, the document's own first lines) is attributed to article-10
numerals in two passes:

1. **explicit labels** — "Numeral 8", "Art. 10 num. 8", "08 - …", "8.", "NUMERAL-2-FEBRERO.pdf",
   "num8_agosto.pdf" — taken from the nearest place that has one (link text, file name, headings
   nearest first, page title, page trail, the document's first lines);
2. **vocabulary** of each numeral (declared in its rule module), only when no explicit label exists,
   taking the most specific phrase (longest match) of the nearest place that names one.

Explicit labels always beat vocabulary. Not evidence (docs/legal-reading.md, "What is evidence"): sections that
quote the legal text with nothing linked, empty accordions, news posts, the information unit's page
and the request form (only explicit numeral labels next to the link count there), the law itself,
and broken links (kept apart to explain the finding). Sections with no document count only when they
sit under an explicit numeral heading and hold substantive content (data, not the legal wording).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from checks.model import Block, DocumentSnap, PageSnap, PortalSnapshot
from checks.periods import Period, best_period, find_periods, period_from_dates, period_from_text
from checks.text import (
    EMAIL,
    MONEY,
    NOG,
    NOT_APPLICABLE,
    PHONE,
    explicit_numerals,
    explicit_numerals_in_name,
    file_name,
    norm,
    url_host,
    url_path,
    words,
)
from vigia.doctypes import looks_like_document

_NEWS_PATH = re.compile(
    r"/(?:noticias?|news|blog|prensa|comunicados?|eventos?|galeria|galerias|category|categoria|tag|author|articulos-de-noticias)(?:/|$|\?)"
)
_PERMALINK = re.compile(r"/20\d\d/\d\d/(?:\d\d/)?[^/]+/?$")
_NEWS_WORDS = re.compile(
    r"(?<![a-z])(?:noticias?|blog|comunicado de prensa|sala de prensa|boletin informativo)(?![a-z])"
)
_UIP_PAGE = re.compile(
    r"(?<![a-z])(?:unidad de (?:acceso a la )?informacion publica|uip|solicitud(?:es)? de (?:acceso a (?:la )?)?informacion"
    r"|formulario|acceso a la informacion publica|como solicitar|contacto|contactenos)(?![a-z])"
)
_SIDEBAR = re.compile(
    r"(?<![a-z])(?:noticias|ultimas|enlaces|links|destacad[oa]s?|menu|redes sociales|siguenos|categorias|entradas"
    r"|recientes|populares|publicidad|de interes|tambien le puede)(?![a-z])"
)
_TRANSPARENCY = re.compile(
    r"(?<![a-z])(?:informacion publica de oficio|transparencia|articulo 10|art 10|laip|ley de acceso|numeral)(?![a-z])"
)
_FORM = re.compile(
    r"(?<![a-z])(?:solicitud(?:es)? de (?:acceso a (?:la )?)?informacion|formulario de solicitud|formato de solicitud"
    r"|formulario para solicitar|solicitud de acceso|guia para solicitar|como solicitar)(?![a-z])"
)
_LAW = re.compile(
    r"(?<![a-z])(?:ley de acceso a la informacion publica|decreto 57 2008|decreto numero 57 2008|reglamento de la ley de acceso)(?![a-z])"
)
_NO_MOVEMENT = re.compile(
    r"(?<![a-z])(?:sin movimiento|no (?:se )?(?:realizaron|realizo|hubo|hay|existen|existe|registra|registraron|efectuaron|efectuo|cuenta con|se cuenta con|tiene|maneja|administra|posee)"
    r"|no se generaron|no se genero|ningun(?:a)?)(?![a-z])"
)
LEGAL_STOP = frozenset(
    [
        "de",
        "la",
        "el",
        "los",
        "las",
        "y",
        "o",
        "u",
        "a",
        "en",
        "con",
        "por",
        "para",
        "del",
        "al",
        "que",
        "se",
        "su",
        "sus",
        "un",
        "una",
        "unos",
        "unas",
        "cada",
        "todo",
        "todos",
        "toda",
        "todas",
        "como",
        "sobre",
        "segun",
        "entre",
        "este",
        "esta",
        "estos",
        "estas",
        "lo",
        "le",
        "les",
        "es",
        "son",
        "fue",
        "ser",
        "sera",
        "han",
        "ha",
        "sin",
        "mas",
        "otros",
        "otras",
        "otro",
        "otra",
        "informacion",
        "publica",
        "publicas",
        "publico",
        "publicos",
        "oficio",
        "sujeto",
        "sujetos",
        "obligado",
        "obligados",
        "articulo",
        "numeral",
        "ley",
        "acceso",
        "entidad",
        "entidades",
        "institucion",
        "dependencia",
        "dependencias",
        "unidades",
        "unidad",
        "municipalidad",
        "municipal",
        "incluyendo",
        "incluye",
        "incluido",
        "deberan",
        "debera",
        "debe",
        "deben",
        "mantener",
        "actualizada",
        "disponible",
        "disponibles",
        "cualquier",
        "concepto",
        "conforme",
        "vigente",
        "vigentes",
        "forma",
        "caso",
        "casos",
        "mismo",
        "misma",
        "dicha",
        "dicho",
        "asi",
        "tambien",
        "donde",
        "cuando",
        "cual",
        "cuales",
        "quien",
        "quienes",
        "hacer",
        "fin",
        "efecto",
        "efectos",
        "listado",
        "listados",
        "detalle",
        "detallada",
        "detallado",
    ]
)
MAX_NUMERALS_PER_PLACE = 3
TEXT_HEAD = 2000


@dataclass(frozen=True)
class Item:
    """One piece of evidence attributed to one numeral."""

    numeral: int
    url: str
    label: str
    page_url: str | None
    period: Period | None
    source: str  # document | content
    how: str  # explicit | vocabulary
    where: str  # etiqueta | archivo | encabezado | página | documento
    context: str  # normalised words of everything around it (for rule-specific requirements)
    sha256: str | None = None
    doc_type: str = "other"
    scanned: bool = False
    external: bool = False
    readable: bool = True  # False for a document whose text could not be read (scanned, not downloaded)


@dataclass(frozen=True)
class Analysis:
    items: dict[int, tuple[Item, ...]]
    broken: dict[int, tuple[Item, ...]]
    not_applicable: dict[int, str]
    empty_sections: dict[int, str]
    evidence_documents: int
    documents_considered: int


@dataclass(frozen=True)
class _Occurrence:
    doc: DocumentSnap
    label: str
    headings: tuple[str, ...]  # nearest first
    page: PageSnap | None
    page_trail: tuple[str, ...]  # nearest first
    news: bool
    uip: bool


@lru_cache(maxsize=1)
def _vocabularies() -> tuple[tuple[int, re.Pattern[str]], ...]:
    from checks.registry import NUMERAL_RULES

    out = []
    for rule in NUMERAL_RULES:
        for v in rule.vocabulary:
            out.append((rule.numeral, re.compile(rf"(?<![a-z0-9])(?:{v})(?![a-z0-9])")))
    return tuple(out)


@lru_cache(maxsize=1)
def _requiring() -> frozenset[int]:
    """Numerals whose rule checks the evidence's context (``requires``): only they need it built."""
    from checks.registry import NUMERAL_RULES

    return frozenset(r.numeral for r in NUMERAL_RULES if r.requires)


@lru_cache(maxsize=1)
def _legal_words() -> dict[int, frozenset[str]]:
    from checks.registry import NUMERAL_RULES

    # the wording of every numeral (titles, legal text, vocabulary): a table row that only names
    # other numerals, or quotes the law, is not content
    every = frozenset(w for r in NUMERAL_RULES for w in words(f"{r.title} {r.legal_text}").split())
    vocab = frozenset(w for r in NUMERAL_RULES for v in r.vocabulary for w in re.findall(r"[a-z]{3,}", v))
    extra = frozenset(
        ["decreto", "ley", "acceso", "concurso", "indice", "util", "informe", "articulo", "numeral"]
    )
    return {r.numeral: every | vocab | extra | LEGAL_STOP for r in NUMERAL_RULES}


@lru_cache(maxsize=32768)
def vocabulary_numerals(text: str) -> tuple[int, ...]:
    """The numeral(s) whose vocabulary matches ``text`` most specifically (longest phrase)."""
    w = words(text)
    if not w:
        return ()
    best: dict[int, int] = {}
    for numeral, rx in _vocabularies():
        for m in rx.finditer(w):
            length = m.end() - m.start()
            if length > best.get(numeral, 0):
                best[numeral] = length
    if not best:
        return ()
    top = max(best.values())
    return tuple(sorted(n for n, v in best.items() if v == top))


def _explicit(text: str, name: bool = False) -> tuple[int, ...]:
    found = explicit_numerals_in_name(text) if name else explicit_numerals(text)
    return found if len(found) <= MAX_NUMERALS_PER_PLACE else ()


def is_news_page(page: PageSnap | None) -> bool:
    if page is None:
        return False
    url = page.final_url or page.url
    try:
        path = url_path(url).lower()
    except ValueError:
        path = ""
    title = norm(page.title)
    trail = norm(" ".join(page.trail))
    if _NEWS_PATH.search(path) or _NEWS_WORDS.search(title) or _NEWS_WORDS.search(trail):
        return True
    return bool(_PERMALINK.search(path)) and not _TRANSPARENCY.search(title + " " + trail)


def is_uip_page(page: PageSnap | None) -> bool:
    """The information unit's own page or the request form (LAIP vocabulary, but not the items)."""
    if page is None:
        return False
    title = norm(page.title)
    last = norm(page.trail[-1]) if page.trail else ""
    topic = f"{title} {last}"
    return bool(_UIP_PAGE.search(topic)) and not _TRANSPARENCY.search(topic)


def _attribute(occ: _Occurrence) -> tuple[tuple[int, ...], str, str]:
    """(numerals, how, where) for one occurrence; ``()`` when nothing names a numeral."""
    doc = occ.doc
    fname = file_name(doc.url)
    title = occ.page.title if occ.page else ""
    places: list[tuple[str, str, bool]] = [(occ.label, "etiqueta", False), (fname, "archivo", True)]
    sidebar = bool(occ.headings) and bool(_SIDEBAR.search(norm(occ.headings[0])))
    if sidebar:
        # a sidebar ("Enlaces de interés", "Últimas noticias") nested under a numeral's heading or
        # on a numeral's page does not belong to that numeral
        places.append((occ.headings[0], "encabezado", False))
    else:
        places += [(h, "encabezado", False) for h in occ.headings]
    if not occ.uip and not sidebar:
        places += [(title, "página", False)] + [(t, "página", False) for t in occ.page_trail]
    for text, where, is_name in places:
        found = _explicit(text, name=is_name)
        if found:
            return found, "explicit", where
    if occ.uip:
        return (), "", ""
    head = doc.text[:300] if doc.text else ""
    found = _explicit(head)
    if found:
        return found, "explicit", "documento"
    for text, where, is_name in places:
        found = vocabulary_numerals(text.replace("_", " ").replace("-", " ") if is_name else text)
        if found:
            return found, "vocabulary", where
    if doc.text and _TRANSPARENCY.search(norm(" ".join((title, *occ.page_trail, *occ.headings)))):
        found = vocabulary_numerals(doc.text[:TEXT_HEAD])
        if found and len(found) == 1:
            return found, "vocabulary", "documento"
    return (), "", ""


def _period(occ: _Occurrence) -> Period | None:
    doc = occ.doc
    year_context = (*occ.headings, occ.page.title if occ.page else "", *occ.page_trail)
    fname = file_name(doc.url)
    p = best_period([occ.label, fname], year_context)
    if p is not None and p.kind != "year":
        return p
    q = period_from_dates(doc.dates)
    if q is None and doc.text:
        q = period_from_text(doc.text[:TEXT_HEAD])
    if q is not None and q.kind != "year" and (p is None or q.year == p.year):
        return q
    if p is not None:
        return p
    h = best_period(list(occ.headings), year_context[len(occ.headings) :])
    if h is not None:
        return h
    return q


def _context(occ: _Occurrence) -> str:
    doc = occ.doc
    parts = [occ.label, file_name(doc.url).replace("_", " ").replace("-", " "), doc.url, *occ.headings]
    if doc.text:
        parts.append(doc.text[:TEXT_HEAD])
    return words(" ".join(parts)) + " " + norm(doc.url)


def _substantive(numeral: int, block: Block) -> bool:
    """A section with no document counts only with real content, not the legal wording."""
    text = block.text or ""
    for part in (*block.headings, *(link.label for link in block.links)):
        if len(part) >= 3:
            text = text.replace(part, " ")
    return _substantive_text(numeral, norm(text))


_MARK = re.compile(
    r"(?<![a-z0-9])(?:numeral|num\.)\s*(\d{1,2})(?!\d)(?![.,]\d)"
    r"|(?:^|(?<=\s))(\d{1,2})\s*(?:[-–]|\.|\))\s+(?=[a-z])"
)

_ROW_SIGN = re.compile(r"\d\s*[-–.)]\s")


def _increasing(marks: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The longest run of markers whose numerals increase (drops "zona 1." inside a row)."""
    if not marks:
        return []
    best = [1] * len(marks)
    prev = [-1] * len(marks)
    for i in range(len(marks)):
        for j in range(i):
            if marks[j][1] < marks[i][1] and best[j] + 1 > best[i]:
                best[i], prev[i] = best[j] + 1, j
    i = max(range(len(marks)), key=lambda k: (best[k], -k))
    out = []
    while i != -1:
        out.append(marks[i])
        i = prev[i]
    return out[::-1]


def table_segments(block: Block) -> list[tuple[int, str]]:
    """A block that lists several numerals in its text (a table, one row per numeral), cut per numeral.

    Link labels are blanked first (documents are attributed by their own labels): what remains is
    what the page itself says in each row. Row markers must increase ("2." … "3." … "14.").
    """
    raw = block.text or ""
    if len(raw) < 40:
        return []
    t = norm(raw)
    # every _MARK match holds "num" or a digit followed by a row sign and a space: most blocks have
    # neither, and this is much cheaper to rule out than running _MARK over the whole text
    if ("num" not in t and _ROW_SIGN.search(t) is None) or len(_MARK.findall(t)) < 2:
        return []
    for link in block.links:
        for part in {norm(link.label), *(norm(x) for x in link.label.split("·"))}:
            if len(part) >= 3:
                t = t.replace(part, " " * len(part))
    strong: list[tuple[int, int]] = []  # "Numeral 25": kept even out of order
    weak: list[tuple[int, int]] = []  # "25." / "25 -": only where they increase ("zona 1." is not a row)
    for m in _MARK.finditer(t):
        n = int(m.group(1) or m.group(2))
        if 1 <= n <= 29:
            (strong if m.group(1) else weak).append((m.start(), n))
    # a weak row marker must exceed the explicit one before it ("Numeral 2: … zona 1." is one row)
    kept_weak = []
    for pos, n in weak:
        before = [sn for sp, sn in strong if sp < pos]
        if not before or n > before[-1]:
            kept_weak.append((pos, n))
    marks = sorted(strong + _increasing(kept_weak))
    if len(marks) < 2:
        return []
    out = []
    for i, (pos, n) in enumerate(marks):
        end = marks[i + 1][0] if i + 1 < len(marks) else len(t)
        if end > pos:
            out.append((n, t[pos:end]))
    return out


def _substantive_text(numeral: int, t: str) -> bool:
    if len(t) < 40:
        return False
    legal = _legal_words().get(numeral, LEGAL_STOP)
    all_words = [w for w in words(t).split() if len(w) > 2 and not w.isdigit()]
    novel = [w for w in all_words if w not in legal]
    # dates are not data here: month names in a row are usually the cells of linked documents
    signals = len(PHONE.findall(t)) + len(EMAIL.findall(t)) + len(MONEY.findall(t)) + len(NOG.findall(t))
    if signals >= 3 and len(novel) >= 6:
        return True
    return len(novel) >= 25 and len(novel) >= 0.35 * len(all_words)


_SENTENCE_END = re.compile(r"[.;\n]|$")


def _na_reason(block: Block) -> str | None:
    """An explicit "no aplica" statement with its reason (same sentence or the next one), or None.

    The statement is quoted in the portal's own words (accents and case kept) for the reason.
    """
    if _na_reason_text(norm(block.text or "")) is None:
        return None
    sentences = [x.strip() for x in re.split(r"(?<=[.;\n])", block.text or "") if x.strip()]
    for i, sentence in enumerate(sentences):
        if NOT_APPLICABLE.search(norm(sentence)):
            quoted = " ".join(sentences[i : i + 2]) if len(words(sentence).split()) < 5 else sentence
            return quoted.strip(" .;:")[:240]
    return (block.text or "").strip()[:240]


def _na_reason_text(t: str) -> str | None:
    m = NOT_APPLICABLE.search(t)
    if not m:
        return None
    start = max(t.rfind(".", 0, m.start()), t.rfind(";", 0, m.start())) + 1
    end = m.end()
    for _ in range(2):  # the statement's sentence, and the one after it ("No aplica. La municipalidad …")
        nxt = _SENTENCE_END.search(t, end + 1)
        end = nxt.start() if nxt else len(t)
    window = t[start : m.start()] + " " + t[m.end() : end]
    reason_words = [w for w in words(window).split() if w not in LEGAL_STOP and len(w) > 2]
    if len(reason_words) < 2:
        return None
    return t[start:end].strip(" .;:")[:300]


def _pages_by_url(snapshot: PortalSnapshot) -> dict[str, PageSnap]:
    out: dict[str, PageSnap] = {}
    for page in snapshot.pages:
        out.setdefault(page.url, page)
        out.setdefault(page.final_url, page)
    return out


def _page_flags(snapshot: PortalSnapshot) -> dict[int, tuple[bool, bool]]:
    """(news, uip) of every page of the snapshot, by ``id(page)`` (computed once per analysis)."""
    return {id(page): (is_news_page(page), is_uip_page(page)) for page in snapshot.pages}


def _flags(page: PageSnap | None, flags: dict[int, tuple[bool, bool]]) -> tuple[bool, bool]:
    if page is None:
        return False, False
    found = flags.get(id(page))
    return found if found is not None else (is_news_page(page), is_uip_page(page))


def _occurrences(
    snapshot: PortalSnapshot, flags: dict[int, tuple[bool, bool]] | None = None
) -> Iterable[_Occurrence]:
    if flags is None:
        flags = _page_flags(snapshot)
    docs: dict[str, DocumentSnap] = {}
    for doc in snapshot.documents:
        docs.setdefault(doc.url, doc)
        if doc.final_url:
            docs.setdefault(doc.final_url, doc)
    pages = _pages_by_url(snapshot)
    seen: set[tuple[str, str]] = set()
    for page in snapshot.pages:
        if page.status >= 400:
            continue
        news, uip = _flags(page, flags)
        trail = tuple(reversed(page.trail))
        for block in page.blocks:
            headings = tuple(reversed(block.headings))
            for link in block.links:
                known = docs.get(link.url)
                if known is not None:
                    doc = known
                else:
                    doc_type = looks_like_document(link.url)
                    if doc_type is None:
                        continue
                    doc = DocumentSnap(
                        url=link.url,
                        label=link.label,
                        page_url=page.url,
                        host=url_host(link.url),
                        external=url_host(link.url) != url_host(page.url),
                        doc_type=doc_type,
                    )
                seen.add((doc.url, page.url))
                yield _Occurrence(doc, link.label or doc.label, headings, page, trail, news, uip)
    for doc in snapshot.documents:
        places = [(doc.page_url, doc.label, doc.trail)] + [
            (m.page_url, m.label, m.trail) for m in doc.mentions
        ]
        for page_url, label, doc_trail in places:
            if (doc.url, page_url or "") in seen:
                continue
            seen.add((doc.url, page_url or ""))
            found = pages.get(page_url or "")
            page_trail = tuple(found.trail) if found else ()
            # the document's trail = page trail + section headings above the link
            section = (
                tuple(doc_trail[len(page_trail) :])
                if found and tuple(doc_trail[: len(page_trail)]) == page_trail
                else tuple(doc_trail)
            )
            yield _Occurrence(
                doc,
                label or doc.label,
                tuple(reversed(section)),
                found,
                tuple(reversed(page_trail)),
                *_flags(found, flags),
            )


def analyse(snapshot: PortalSnapshot) -> Analysis:
    items: dict[int, dict[tuple[str, str], Item]] = {}
    broken: dict[int, dict[str, Item]] = {}
    considered: set[str] = set()
    doc_urls = {d.url for d in snapshot.documents} | {d.final_url for d in snapshot.documents if d.final_url}
    flags = _page_flags(snapshot)
    for occ in _occurrences(snapshot, flags):
        if occ.news:
            continue
        doc = occ.doc
        label_n = norm(f"{occ.label} {file_name(doc.url).replace('_', ' ').replace('-', ' ')}")
        if _FORM.search(label_n):
            continue
        numerals, how, where = _attribute(occ)
        if not numerals:
            continue
        if _LAW.search(words(label_n)) and where not in ("etiqueta", "archivo"):
            continue
        considered.add(doc.url)
        if NOT_APPLICABLE.search(label_n):
            continue  # a document titled "no aplica" is a statement, handled with the sections
        item_common = {
            "url": doc.url,
            "label": (occ.label or doc.label or file_name(doc.url)).strip(),
            "page_url": occ.page.url if occ.page else doc.page_url,
            "period": _period(occ),
            "source": "document",
            "how": how,
            "where": where,
            "context": _context(occ) if any(n in _requiring() for n in numerals) else "",
            "sha256": doc.sha256,
            "doc_type": doc.doc_type,
            "scanned": bool(doc.is_scanned),
            "external": doc.external,
            "readable": bool(doc.text and doc.text.strip()),
        }
        for n in numerals:
            item = Item(numeral=n, **item_common)  # type: ignore[arg-type]
            if doc.broken:
                broken.setdefault(n, {}).setdefault(doc.url, item)
            else:
                key = (doc.url, item.page_url or "")
                items.setdefault(n, {}).setdefault(key, item)

    not_applicable: dict[int, str] = {}
    empty: dict[int, str] = {}
    for page in snapshot.pages:
        if page.status >= 400:
            continue
        news, uip = _flags(page, flags)
        if news:
            continue
        for numeral, label_n in _na_documents(page):
            not_applicable.setdefault(numeral, label_n)
        for block in page.blocks:
            segments = [] if uip else table_segments(block)
            if segments:
                for n, seg in segments:
                    reason = _na_reason_text(seg)
                    if reason:
                        not_applicable.setdefault(n, reason)
                    elif _substantive_text(n, seg) or _no_movement_text(seg):
                        label = (page.title or "").strip() or page.url
                        item = Item(
                            numeral=n,
                            url=page.final_url or page.url,
                            label=label,
                            page_url=page.url,
                            period=best_period([seg], (*reversed(block.headings), page.title)),
                            source="content",
                            how="explicit",
                            where="página",
                            context=words(seg),
                            doc_type="html",
                        )
                        items.setdefault(n, {}).setdefault((item.url, f"segment:{n}"), item)
                continue
            # a section belongs to a numeral only through its own (nearest) heading: a sidebar
            # "Últimas noticias" nested under "Numeral 13" is not the numeral's content
            numerals = _explicit(block.headings[-1]) if block.headings else ()
            own_heading = bool(numerals)
            if not numerals and not uip and not block.headings and not block.links:
                for t in (page.title, *reversed(page.trail)):
                    numerals = _explicit(t)
                    if numerals:
                        break
            if not numerals:
                continue
            has_doc_link = any(link.url in doc_urls or looks_like_document(link.url) for link in block.links)
            for n in numerals:
                reason = _na_reason(block)
                if reason:
                    not_applicable.setdefault(n, reason)
                    continue
                if has_doc_link or not own_heading:
                    continue
                if _substantive(n, block) or _no_movement(block):
                    heading = block.headings[-1] if block.headings else page.title
                    period = best_period([block.text], (*reversed(block.headings), page.title))
                    item = Item(
                        numeral=n,
                        url=page.final_url or page.url,
                        label=heading.strip(),
                        page_url=page.url,
                        period=period,
                        source="content",
                        how="explicit",
                        where="encabezado",
                        context=words(" ".join((*block.headings, block.text))),
                        doc_type="html",
                    )
                    items.setdefault(n, {}).setdefault((item.url, "content:" + heading), item)
                elif n not in empty:
                    empty[n] = (block.headings[-1] if block.headings else page.title).strip()
    return Analysis(
        items={
            n: tuple(sorted(v.values(), key=lambda i: (i.url, i.page_url or ""))) for n, v in items.items()
        },
        broken={n: tuple(sorted(v.values(), key=lambda i: i.url)) for n, v in broken.items()},
        not_applicable=not_applicable,
        empty_sections=empty,
        evidence_documents=len({i.url for v in items.values() for i in v.values() if i.source == "document"}),
        documents_considered=len(considered),
    )


def _no_movement(block: Block) -> bool:
    """ "Durante octubre 2026 no se realizaron viajes": a dated statement counts as the month's report."""
    return _no_movement_text(norm(block.text or ""))


def _no_movement_text(t: str) -> bool:
    if not _NO_MOVEMENT.search(t):
        return False
    return any(p.kind != "year" for p in find_periods(t))


def _na_documents(page: PageSnap) -> Iterable[tuple[int, str]]:
    """Documents or links titled "no aplica" under a numeral (``NUMERAL-21-NO-APLICA.pdf``)."""
    for block in page.blocks:
        for link in block.links:
            label_n = norm(f"{link.label} {file_name(link.url).replace('_', ' ').replace('-', ' ')}")
            if not NOT_APPLICABLE.search(label_n):
                continue
            numerals = _explicit(link.label) or _explicit(file_name(link.url), name=True)
            if not numerals:
                for h in reversed(block.headings):
                    numerals = _explicit(h)
                    if numerals:
                        break
            for n in numerals:
                yield n, link.label.strip() or file_name(link.url)
