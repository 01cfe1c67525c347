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
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urlsplit

import snowballstemmer  # type: ignore[import-untyped]  # no type information published

from checks.model import Block, DocumentSnap, PageSnap, PortalSnapshot
from checks.periods import (
    Period,
    best_period,
    extract_periods,
    find_periods,
    period_from_dates,
    period_from_text,
    state_period,
    without_signatures,
)
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
    strip_furniture,
    strip_leading_number,
    url_host,
    url_path,
    words,
)
from vigia.doctypes import broke_a_limit, looks_like_document
from vigia.spanish import MONTHS_ES

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
# A section that gathers whatever did not fit elsewhere: its heading says nothing about its documents.
_CATCH_ALL = re.compile(
    r"^(?:[\d.\-) ]*)(?:otros?(?: documentos| archivos)?|documentos?(?: varios| adjuntos)?|archivos?(?: adjuntos)?|descargas?"
    r"|varios|adjuntos|anexos|recursos|enlaces|publicaciones|biblioteca(?: virtual)?|documentacion|repositorio"
    r"|informacion general|general)$"
)
# A rule about X is not the publication of X (issue class 2): regulations, manuals, forms, laws, templates,
# guides and policies. Only the numerals that ask for norms (their rule says ``accepts_norms``) take them.
_NORM = re.compile(
    r"(?<![a-z])(?:reglamentos?|reglamentacion|manual(?:es)?|normativ[oa]s?|normas?|instructivos?|lineamientos?"
    r"|formularios?|formatos?|plantillas?|modelos? de|guias?|politicas?|protocolos?|codigo municipal|codigo de etica"
    r"|leyes|ley (?:de|del|organica|general)|decreto(?: legislativo| numero| no)?|procedimientos? (?:para|de)"
    r"|disposiciones)(?![a-z])"
)
# A placeholder is absence, not an old publication: "Próximamente", "En construcción", "Información en proceso
# de actualización", "Pendiente de publicar". "En construcción" is one only at the start of a text or after
# the page or section it speaks of: "Obras en construcción octubre 2026" is numeral 18's report.
_PLACEHOLDER = re.compile(
    r"(?<![a-z])(?:proximamente|muy pronto|disponible pronto|pronto publicaremos|coming soon|under construction"
    r"|(?:^|(?<=pagina )|(?<=seccion )|(?<=sitio )|(?<=portal )|(?<=contenido )|(?<=modulo )|(?<=informacion ))"
    r"en construccion|en proceso de (?:actualizacion|publicacion|carga|elaboracion|digitalizacion)"
    r"|pendientes? de (?:publicar|publicacion|cargar|carga|subir)|por publicar(?:se)?|aun no (?:se ha )?publicad[oa])(?![a-z])"
)
# Bodies other than the municipality that issue guides, manuals and norms municipalities list under the
# numerals: the regulator (PDH and its SECAI), the comptroller, the ministry of finance, planning, INFOM …
_OTHER_BODY = re.compile(
    r"(?<![a-z])(?:pdh|secai|procurador(?:ia)? de (?:los )?derechos humanos|comision de acceso a la informacion"
    r"|contraloria general de cuentas|cgc|minfin|ministerio de finanzas(?: publicas)?|segeplan"
    r"|secretaria de planificacion y programacion|infom|instituto de fomento municipal|onsec"
    r"|oficina nacional de servicio civil|congreso de la republica|superintendencia de administracion tributaria"
    r"|guia (?:para|de) (?:la )?publicacion de (?:la )?informacion publica)(?![a-z])"
)
# Site furniture (issue class 6): a link or a text that repeats across this share of the portal's pages.
FURNITURE_SHARE = 0.5
FURNITURE_MIN_PAGES = 3
# Shortcodes a page builder leaks when it fails to render ("[vc_row][vc_column_text]…"): not content.
_SHORTCODE = re.compile(r"\[/?[a-z][a-z0-9_\-]*(?:\s[^\]]{0,200})?\]", re.I)
# Words that name no subject: periods, document words and download buttons.
_GENERIC = frozenset(
    [
        "informe",
        "informes",
        "listado",
        "listados",
        "documento",
        "documentos",
        "descargar",
        "descarga",
        "ver",
        "mas",
        "pdf",
        "ano",
        "anos",
        "mes",
        "meses",
        "trimestre",
        "semestre",
        "periodo",
        "correspondiente",
        "actualizado",
        "actualizacion",
        "mensual",
        "anual",
        "publicacion",
        "aqui",
        "clic",
        "click",
        "enlace",
        "archivo",
        "archivos",
        "excel",
        "word",
        "fecha",
        "index",
        "ejercicio",
        "fiscal",
    ]
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
TEXT_LIMIT = 50000  # as much of a document's text as the crawler reads its dates from


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
    #: the document broke a reading limit (it inflates past its cap, its reader ran out of memory or time):
    #: it may hold anything, so the numeral cannot be judged (vigia.doctypes.broke_a_limit)
    over_limit: bool = False
    renumbered: int | None = None  # the portal numbered it so, but its subject is this numeral


@dataclass(frozen=True)
class Analysis:
    items: dict[int, tuple[Item, ...]]
    broken: dict[int, tuple[Item, ...]]
    not_applicable: dict[int, str]
    empty_sections: dict[int, str]
    evidence_documents: int
    documents_considered: int
    unexplained_na: dict[int, str] = field(default_factory=dict)  # "No aplica" with no reason (not enough)


@dataclass(frozen=True)
class _Occurrence:
    doc: DocumentSnap
    label: str
    headings: tuple[str, ...]  # nearest first
    page: PageSnap | None
    page_trail: tuple[str, ...]  # nearest first
    news: bool
    uip: bool
    #: where the link stands in its section: its own line (the table row or list item), or the whole
    #: section's text when the section links only this document ("" when not known)
    near: str = ""
    row: str = ""  # the table row or list item that holds the link ("" when the section is one line)


@lru_cache(maxsize=1)
def _vocabularies() -> tuple[tuple[int, re.Pattern[str]], ...]:
    from checks.registry import NUMERAL_RULES

    out = []
    for rule in NUMERAL_RULES:
        for v in rule.vocabulary:
            out.append((rule.numeral, re.compile(rf"(?<![a-z0-9])(?:{v})(?![a-z0-9])")))
    return tuple(out)


@lru_cache(maxsize=1)
def _content_signals() -> dict[int, tuple[re.Pattern[str], ...]]:
    """Per numeral, what makes a short page text its publication (``NumeralRule.content_signals``)."""
    from checks.registry import NUMERAL_RULES

    return {
        r.numeral: tuple(re.compile(x) for x in r.content_signals) for r in NUMERAL_RULES if r.content_signals
    }


@lru_cache(maxsize=1)
def _page_content() -> frozenset[int]:
    """Numerals whose publication can be the page's own text under their subject (``page_content``)."""
    from checks.registry import NUMERAL_RULES

    return frozenset(r.numeral for r in NUMERAL_RULES if r.page_content)


def _signalled(numeral: int, t: str) -> bool:
    """``t`` (normalised) holds every signal the numeral's rule asks of a short page text."""
    signals = _content_signals().get(numeral, ())
    return bool(signals) and len(t) >= 30 and all(rx.search(t) for rx in signals)


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
    return vocabulary_match(text)[0]


@lru_cache(maxsize=32768)
def _vocabulary_scan(w: str) -> tuple[tuple[int, int], ...]:
    """(numeral, length of its longest vocabulary phrase) for every numeral named in normalised words ``w``."""
    best: dict[int, int] = {}
    for numeral, rx in _vocabularies():
        for m in rx.finditer(w):
            length = m.end() - m.start()
            if length > best.get(numeral, 0):
                best[numeral] = length
    return tuple(sorted(best.items()))


def vocabulary_match(text: str) -> tuple[tuple[int, ...], int]:
    """``vocabulary_numerals`` and the length of the phrase that matched (0 when none)."""
    w = words(text)
    found = _vocabulary_scan(w) if w else ()
    if not found:
        return (), 0
    top = max(v for _n, v in found)
    return tuple(n for n, v in found if v == top), top


def vocabulary_any(text: str) -> frozenset[int]:
    """Every numeral whose vocabulary ``text`` names (not only the most specific)."""
    w = words(text)
    return frozenset(n for n, _v in _vocabulary_scan(w)) if w else frozenset()


_STEMMER = snowballstemmer.stemmer("spanish")


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    """Spanish Snowball stem ("inventarios" → "inventari", "internacionales" → "internacional")."""
    return str(_STEMMER.stemWord(word))


_NOT_SUBJECT = frozenset(MONTHS_ES) | _GENERIC | LEGAL_STOP


@lru_cache(maxsize=1)
def _own_stems() -> dict[int, frozenset[str]]:
    """The subject of every numeral: stems of the words of its title, legal text and vocabulary."""
    from checks.registry import NUMERAL_RULES

    out = {}
    for r in NUMERAL_RULES:
        text = " ".join((r.title, r.legal_text, *(re.sub(r"[^a-z ]+", " ", v) for v in r.vocabulary)))
        out[r.numeral] = frozenset(
            _stem(w) for w in words(text).split() if len(w) > 3 and w not in _NOT_SUBJECT
        )
    return out


_PATH_TOKEN = re.compile(r"https?://\S*|(?:(?<=\s)|^)/\S*")


def _subject_stems(text: str) -> set[str]:
    """Stems of the words of ``text`` that name a subject (no periods, document words, paths or stop words)."""
    text = _PATH_TOKEN.sub(" ", text) if "/" in text else text
    return {_stem(w) for w in words(text).split() if len(w) > 3 and not w.isdigit() and w not in _NOT_SUBJECT}


def _subject_of(text: str, subject: set[str]) -> tuple[int | None, int]:
    """The one numeral whose subject ``text`` names (most of its subject words are that numeral's), and how
    many of its words are; by vocabulary when no subject word is left ("Informe de archivo")."""
    named = vocabulary_numerals(text)
    if not subject:
        return (named[0], 0) if len(named) == 1 else (None, 0)
    scores = {m: len(subject & st) for m, st in _own_stems().items()}
    best = max(scores.values())
    tops = [m for m, v in scores.items() if v == best]
    if best == 0 or 2 * best <= len(subject):
        return None, 0
    if len(tops) > 1:
        tops = [m for m in tops if m in vocabulary_any(text)]
    return (tops[0], best) if len(tops) == 1 else (None, 0)


@lru_cache(maxsize=32768)
def _numbering(found: tuple[int, ...], text: str, strong: bool) -> tuple[tuple[int, ...], int | None]:
    """Check the portal's own number against the subject of ``text`` (issue classes 3 and 7).

    The subject decides: "12. Inventario" on a portal whose list is shifted by one is numeral 13 (and the
    finding says so); a numbered list that names no subject of article 10 ("1. Máxima publicidad",
    "2. Objetivos de la ley") is not article 10 at all, unless the number is spelled as a numeral
    ("Numeral 2: …"). A text that names no subject ("8. Octubre 2026") keeps its number.
    """
    if len(found) != 1:
        return found, None
    n = found[0]
    subject = _subject_stems(text)
    own = len(subject & _own_stems().get(n, frozenset()))
    named_n = n in vocabulary_any(text)
    m, shared = _subject_of(text, subject)
    # another numeral's subject, clearly: three times the number's own words, or more of them when the
    # number's own vocabulary is not named
    clearly = shared >= 3 * max(own, 1) or (not named_n and (shared > own or (not subject and own == 0)))
    if m is not None and m != n and clearly:
        return (m,), n
    if own or named_n or not subject:
        return found, None
    return (found, None) if strong else ((), None)


def _explicit_checked(text: str, name: bool = False) -> tuple[tuple[int, ...], int | None]:
    found = explicit_numerals_in_name(text) if name else explicit_numerals(text)
    if len(found) > MAX_NUMERALS_PER_PLACE:
        return (), None
    if not found:
        return found, None
    spaced = text.replace("_", " ").replace("+", " ") if name else text
    strong = bool(explicit_numerals(strip_leading_number(spaced)))
    return _numbering(found, spaced, strong)


def _explicit(text: str, name: bool = False) -> tuple[int, ...]:
    return _explicit_checked(text, name)[0]


Shift = tuple[int, int] | None  # (first number moved, how much) when a portal's own numbering is shifted


def _explicit_in(text: str, shift: Shift, name: bool = False) -> tuple[tuple[int, ...], int | None]:
    """``_explicit_checked`` on a portal whose numbering is shifted: "everything after it moved by one", so
    a number from the shift on whose subject also fits the shifted numeral ("17: Obras") follows it."""
    found, moved = _explicit_checked(text, name)
    if shift is None or moved is not None or len(found) != 1 or found[0] < shift[0]:
        return found, moved
    target = found[0] + shift[1]
    if not 1 <= target <= 29:
        return found, moved
    spaced = text.replace("_", " ").replace("+", " ") if name else text
    if _subject_stems(spaced) & _own_stems().get(target, frozenset()) or target in vocabulary_any(spaced):
        return (target,), found[0]
    return found, moved


def _portal_shift(snapshot: PortalSnapshot) -> Shift:
    """A portal whose headings were renumbered by their subject at least twice, always by the same amount,
    numbers its list with a shift (it skipped or repeated one item): from the first moved number on."""
    moves: set[tuple[int, int]] = set()
    seen: set[str] = set()
    for page in snapshot.pages:
        if page.status >= 400:
            continue
        rows = (link.label.split(" · ")[0] for b in page.blocks for link in b.links if " · " in link.label)
        for text in (page.title, *(b.headings[-1] for b in page.blocks if b.headings), *rows):
            if not text or text in seen:
                continue
            seen.add(text)
            found, moved = _explicit_checked(text)
            if moved is not None and len(found) == 1:
                moves.add((moved, found[0] - moved))
    deltas = {d for _p, d in moves}
    if len(moves) < 2 or len(deltas) != 1:
        return None
    return min(p for p, _d in moves), deltas.pop()


def _heading_subject(headings: tuple[str, ...]) -> tuple[int, ...]:
    """The numeral named by the nearest heading that names a subject ("Mes de septiembre" names none)."""
    for heading in reversed(headings):
        if _catch_all(heading):
            return ()
        if _subject_stems(heading):
            return vocabulary_numerals(heading)
    return ()


def _catch_all(heading: str) -> bool:
    return bool(_CATCH_ALL.match(words(heading)))


_LEAD_NOISE = re.compile(
    r"^(?:(?:numeral|num|art|articulo|inciso|no|el|la|los|las|un|una|descargar|ver|\d+|[ivxl]+)\s+)+"
)


def is_norm(label: str, name: str = "") -> bool:
    """A regulation, manual, form, law, template or guide, not a periodic report (issue class 2): its title
    starts with what it is ("Reglamento de viáticos", not "Informe de cumplimiento de la ley …") and it
    names no month or quarter (a filled-in form for a month is the month's report). The file name speaks
    when the label says nothing ("Descargar")."""
    # a label composed from a table's row and column headers ("NUMERAL 13 · Otros · Normas …") is the
    # link's own text last
    own = label.split("·")[-1]
    for text in (own, name.replace("_", " ").replace("-", " ")):
        t = _LEAD_NOISE.sub("", words(text))
        if not _subject_stems(t):
            continue
        if not _NORM.match(t):
            return False
        return not any(p.kind != "year" for p in find_periods(norm(f"{label} {name}")))
    return False


@lru_cache(maxsize=1)
def _norm_numerals() -> frozenset[int]:
    from checks.registry import NUMERAL_RULES

    return frozenset(r.numeral for r in NUMERAL_RULES if r.accepts_norms)


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


def _attribute(occ: _Occurrence, shift: Shift = None) -> tuple[tuple[int, ...], str, str, int | None]:
    """(numerals, how, where, renumbered) for one occurrence; ``()`` when nothing names a numeral.

    Explicit labels first (the document's own, then the section's). Vocabulary (issue class 1): a rule
    (regulation, manual, law, form) stays with the subject of the section it stands in, unless that
    section is a catch-all ("Otros", "Documentos", "Descargas"); a report is attributed by its own title
    first (subject sections are often broad), then by its section.
    """
    doc = occ.doc
    fname = file_name(doc.url)
    title = occ.page.title if occ.page else ""
    places: list[tuple[str, str, bool]] = [(occ.label, "etiqueta", False), (fname, "archivo", True)]
    # a sidebar's title is short ("Enlaces de interés", "Categorías"); a long heading that happens to use
    # such a word (the legal text of numeral 26 names "categorías de información") is not one
    sidebar = (
        bool(occ.headings)
        and len(occ.headings[0].split()) <= 6
        and bool(_SIDEBAR.search(norm(occ.headings[0])))
    )
    if sidebar:
        # a sidebar ("Enlaces de interés", "Últimas noticias") nested under a numeral's heading or
        # on a numeral's page does not belong to that numeral
        places.append((occ.headings[0], "encabezado", False))
    else:
        places += [(h, "encabezado", False) for h in occ.headings]
    if not occ.uip and not sidebar:
        places += [(title, "página", False)] + [(t, "página", False) for t in occ.page_trail]
    section: tuple[tuple[int, ...], int | None] = ((), None)
    if not sidebar:
        for heading in occ.headings:
            section = _explicit_in(heading, shift)
            if section[0]:
                break
    for text, where, is_name in places:
        found, renumbered = _explicit_in(text, shift, name=is_name)
        if found:
            if (
                renumbered is None
                and section[1] is not None
                and found == (section[1],)
                and where != "encabezado"
            ):
                # "Numeral 12 - 2025" under the portal's "12. Inventario": the label repeats the section's
                # own number, so it follows the section's correction (the subject decides)
                return section[0], "explicit", where, section[1]
            return found, "explicit", where, renumbered
    if occ.uip:
        return (), "", "", None
    head = doc.text[:300] if doc.text else ""
    found, renumbered = _explicit_in(head, shift)
    if found:
        return found, "explicit", "documento", renumbered
    if not sidebar and is_norm(occ.label or doc.label, fname):
        # a rule (regulation, manual, law, form) belongs to the section it stands in: "Reglamento de
        # viáticos" under numeral 1's "marco normativo" is numeral 1's, not numeral 12's
        for heading in occ.headings:
            if _catch_all(heading):
                break
            found = vocabulary_numerals(heading)
            if found:
                return found, "vocabulary", "encabezado", None
    for text, where, is_name in places:
        found = vocabulary_numerals(text.replace("_", " ").replace("-", " ") if is_name else text)
        if found:
            return found, "vocabulary", where, None
    if doc.text and _TRANSPARENCY.search(norm(" ".join((title, *occ.page_trail, *occ.headings)))):
        found = vocabulary_numerals(doc.text[:TEXT_HEAD])
        if found and len(found) == 1:
            return found, "vocabulary", "documento", None
    return (), "", "", None


def _period(occ: _Occurrence) -> Period | None:
    fname = file_name(occ.doc.url).replace("_", " ").replace("-", " ")
    nearest = occ.headings[:1]
    return _state((occ.label, fname, occ.near, *nearest), _stated_period(occ))


def _several_months(dates: Iterable[object]) -> bool:
    """The crawler read two months or more in a document (only then can one be its signature's)."""
    months = {d[:7] for d in dates if isinstance(d, str) and len(d) >= 7}
    return len(months) >= 2


@lru_cache(maxsize=2048)
def _signed_text_period(text: str) -> Period | None:
    """The newest period a document's text names, its signature lines left out."""
    return period_from_dates(extract_periods(without_signatures(text)))


def _stated_period(occ: _Occurrence) -> Period | None:
    doc = occ.doc
    year_context = (*occ.headings, occ.page.title if occ.page else "", *occ.page_trail)
    fname = file_name(doc.url)
    p = best_period([occ.label, fname], year_context)
    if p is not None and p.kind != "year":
        return p
    if occ.row and occ.row != occ.label:
        # the row the link stands in ("24803312 | Mejoramiento calle … | 06/10/2026 | Ver en Guatecompras")
        r = best_period([occ.row], year_context)
        if r is not None and r.kind != "year" and (p is None or r.year == p.year):
            return r
    # the newest period the document names, without the place and date it was signed ("San Marcos,
    # septiembre de 2026" closes August's report): read again from its text when the text is at hand
    if doc.text and _several_months(doc.dates):
        q = _signed_text_period(doc.text[:TEXT_LIMIT])
    else:
        q = period_from_dates(doc.dates)
    if q is None and doc.text:
        q = period_from_text(doc.text[:TEXT_HEAD])
    if q is not None and q.kind != "year" and (p is None or q.year == p.year):
        return q
    if p is not None:
        return p
    # a heading naming a month without its year ("Octubre" in a "2026" tab) takes the year from the
    # headings above it, then from the page
    for i, heading in enumerate(occ.headings):
        h = best_period([heading], year_context[i + 1 :])
        if h is not None:
            return h
    return q


def _link_rows(block: Block) -> list[tuple[str, str]]:
    """(row, near) for each link of ``block``, in order. ``row``: the line (table row, list item) that holds
    the link's own text, when the section has several lines and the rows that hold that text are as many
    as the links that bear it (the k-th "Ver en Guatecompras" is in the k-th row that says it); ``near``:
    the whole section's text when it links only one document, else the row. ``[]`` for a section with
    no text."""
    if not block.text:
        return []
    lines = block.text.split("\n")
    single = sum(1 for li in block.links if looks_like_document(li.url)) <= 1
    owns = [link.label.split("·")[-1].strip() for link in block.links]
    rows = [""] * len(owns)
    if len(lines) > 1:
        for own in set(owns):
            if len(own) < 3:
                continue
            holders = [line for line in lines if own in line]
            bearers = [i for i, o in enumerate(owns) if o == own]
            if len(holders) == len(bearers) and all(line.count(own) == 1 for line in holders):
                for i, line in zip(bearers, holders, strict=True):
                    rows[i] = line
    return [(row, block.text if single else row) for row in rows]


def _state(texts: Iterable[str], stated: Period | None) -> Period | None:
    """The period stated, else the month a list's update stamp shows ("Actualizado al 31 de octubre de
    2026", "Directorio (actualizado noviembre 2026)"): a stated month always wins, and a stated year
    takes a stamp of that same year only."""
    if stated is not None and stated.kind != "year":
        return stated
    for text in texts:
        q = state_period(text)
        if q is not None and (stated is None or q.year == stated.year):
            return q
    return stated


def _placeholder(occ: _Occurrence) -> bool:
    """A link that stands for a placeholder: its label or file name is one ("Próximamente",
    ``en-construccion.png``), or its row or section says so and its own label names no period ("Información
    en proceso de actualización. [Descargar]" under an "Octubre" accordion)."""
    fname = file_name(occ.doc.url).replace("_", " ").replace("-", " ")
    if any(_PLACEHOLDER.search(words(t)) for t in (occ.label, fname)):
        return True
    if not occ.near or not any(_PLACEHOLDER.search(words(x)) for x in re.split(r"[.;:\n]", occ.near)):
        return False
    return not (find_periods(occ.label) or find_periods(fname))


def _placeholder_text(t: str, raw: str | None = None) -> bool:
    """A section's text that announces its content instead of holding it (a table with rows of data that
    also says "Noviembre: pendiente de publicar" still holds them)."""
    return bool(_PLACEHOLDER.search(t)) and _data_rows(t if raw is None else raw) < 2


def _other_body(occ: _Occurrence) -> bool:
    """A guide, manual or norm issued by another body (the PDH/SECAI's "Guía para la publicación de
    información pública de oficio", the MINFIN's manual): not the municipality's publication, not even
    for the numerals that take norms (1 and 6). Its author is named in its label, its file name or the
    first lines of its text (before any "Municipalidad de …"). An audit report of the comptroller is a
    report, not a norm, and stays."""
    fname = file_name(occ.doc.url).replace("_", " ").replace("-", " ")
    if not is_norm(occ.label or occ.doc.label, file_name(occ.doc.url)):
        return False
    if any(_OTHER_BODY.search(words(t)) for t in (occ.label, fname)):
        return True
    head = words((occ.doc.text or "")[:200])
    m = _OTHER_BODY.search(head)
    return m is not None and "municipalidad" not in head[: m.start()]


def _context(occ: _Occurrence) -> str:
    doc = occ.doc
    parts = [occ.label, file_name(doc.url).replace("_", " ").replace("-", " "), doc.url, *occ.headings]
    if doc.text:
        parts.append(doc.text[:TEXT_HEAD])
    return words(" ".join(parts)) + " " + norm(doc.url)


def _content_text(block: Block) -> str:
    """A section's own text: without its headings (repeated in the body or not), link labels and the
    shortcodes a page builder leaks (issue class 4: the heading is not the content)."""
    text = _SHORTCODE.sub(" ", block.text or "")
    for part in (*block.headings, *(link.label for link in block.links)):
        if len(part) >= 3:
            text = text.replace(part, " ")
            if not part.isascii() or part != part.lower():
                text = _loose(part).sub(" ", text)
    return " ".join(text.split())


@lru_cache(maxsize=4096)
def _loose(part: str) -> re.Pattern[str]:
    """``part`` in any case and spacing."""
    return re.compile(re.escape(" ".join(part.split())).replace(r"\ ", r"\s+"), re.I)


def _excerpt(text: str, limit: int = 140) -> str:
    """The first words of a section's content, for the checklist (never the heading)."""
    text = " ".join((text or "").split()).strip(" .:;-")
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(" .,;:") + "…"


_NUM_DATE = re.compile(r"(?<!\d)\d{1,2}\s*[-/.]\s*\d{1,2}\s*[-/.]\s*20\d\d(?!\d)")


def _signals(t: str) -> int:
    return len(PHONE.findall(t)) + len(EMAIL.findall(t)) + len(MONEY.findall(t)) + len(NOG.findall(t))


def _tabular(block: Block) -> bool:
    """Rows of data: several phones, e-mails, amounts, NOG numbers or dates."""
    t = norm(_content_text(block))
    return len(t) >= 40 and (_signals(t) + len(_NUM_DATE.findall(t)) >= 3 or _data_rows(block.text) >= 2)


# a cell of data in a row: an amount, a date, a phone, an e-mail, a NOG, a long number or an identifier
_DATA_TOKEN = re.compile(
    r"(?<![a-z0-9])(?:\d{1,2}\s*[-/.]\s*\d{1,2}\s*[-/.]\s*(?:19|20)\d\d|\d{1,3}(?:,\d{3})+(?:\.\d\d)?|\d+\.\d\d"
    r"|\d{5,}|[a-z]{2,6}-\d{2,}|\d{1,4}-(?:19|20)\d\d)(?![0-9])"
)


def _data_rows(raw: str) -> int:
    """How many rows (lines: the crawler ends a line at each table row and list item) hold data: a
    cell with an amount, a date, a phone, an e-mail, a NOG or an identifier, beside words. A table of
    the law's numerals, or a layout table of links and titles, has none."""
    if "\n" not in raw:
        return 0
    count = 0
    for line in _SHORTCODE.sub(" ", raw).split("\n"):
        t = norm(line)
        if len(re.findall(r"[a-z]{3,}", t)) < 2:
            continue
        if _signals(t) or _DATA_TOKEN.search(t):
            count += 1
    return count


def _page_item(page: PageSnap, block: Block, numeral: int, seg: str, label: str, how: str) -> Item:
    """The evidence of a numeral's content written in the page itself (a segment or a table under its
    subject): the page, the excerpt, and the period the segment or its headings state."""
    return Item(
        numeral=numeral,
        url=page.final_url or page.url,
        label=label,
        page_url=page.url,
        period=_state((seg,), best_period([seg], (*reversed(block.headings), page.title))),
        source="content",
        how=how,
        where="página",
        context=words(seg),
        doc_type="html",
    )


def _rich_rows(raw: str) -> int:
    """How many rows hold two pieces of data or more (a NOG, an amount, a date, a phone, an e-mail) beside
    words: one award or one trip of the month is a table of one row, and is publication."""
    if "\n" not in raw:
        return 0
    count = 0
    for line in _SHORTCODE.sub(" ", raw).split("\n"):
        t = norm(line)
        if len(re.findall(r"[a-z]{3,}", t)) >= 2 and _signals(t) + len(_NUM_DATE.findall(t)) >= 2:
            count += 1
    return count


def _substantive(numeral: int, block: Block) -> bool:
    """A section with no document counts only with real content, not the legal wording: rows of data
    (a table in the page, issue 19 class 5: two rows with data, or one with two pieces of data), or
    enough words of its own."""
    t = norm(_content_text(block))
    if _substantive_text(numeral, t) or _signalled(numeral, t):
        return True
    if len(t) < 40 or (_data_rows(block.text) < 2 and _rich_rows(block.text) < 1):
        return False
    legal = _legal_words().get(numeral, LEGAL_STOP)
    return len({w for w in words(t).split() if len(w) > 2 and not w.isdigit() and w not in legal}) >= 6


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


def table_segments(block: Block, shift: Shift = None) -> list[tuple[int, str]]:
    """A block that lists several numerals in its text (a table, one row per numeral), cut per numeral.

    Link labels are blanked first (documents are attributed by their own labels): what remains is
    what the page itself says in each row. Row markers must increase ("2." … "3." … "14.").
    """
    raw = block.text or ""
    if len(raw) < 40:
        return []
    t = _norm_lines(raw)
    # a row that starts with a bare number ("21 | Fideicomisos | No aplica: …", one line per table row or
    # list item) is a row marker when its words name that numeral's subject
    rows = _numbered_rows(t) if "\n" in t else []
    # every _MARK match holds "num" or a digit followed by a row sign and a space: most blocks have
    # neither, and this is much cheaper to rule out than running _MARK over the whole text
    if not rows and (("num" not in t and _ROW_SIGN.search(t) is None) or len(_MARK.findall(t)) < 2):
        return []
    # a link's own text is blanked where it stands (the first time after the previous link's): the same
    # words elsewhere in the table ("Septiembre 2026" in another row's caption) are that row's content
    cursor = 0
    headers: set[str] = set()
    for link in block.links:
        parts = [norm(x).strip() for x in link.label.split("·")]
        headers.update(x for x in (norm(link.label), *parts[:-1]) if len(x) >= 3)
        for header in parts[:-1]:
            at = t.find(header, cursor) if len(header) >= 3 else -1
            if at >= 0:
                cursor = at
                break
        own = parts[-1]
        at = t.find(own, cursor) if len(own) >= 3 else -1
        if at >= 0:
            t = t[:at] + " " * len(own) + t[at + len(own) :]
            cursor = at + len(own)
    for part in headers:
        if not explicit_numerals(part):  # a row header "Numeral 3" is the row's marker: it stays
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
    taken = {pos for pos, _n in strong + kept_weak}
    kept_weak += [
        (pos, n) for pos, n in rows if pos not in taken and not any(abs(pos - q) <= 3 for q in taken)
    ]
    kept_weak.sort()
    marks = sorted(strong + _increasing(kept_weak))
    if len(marks) < 2:
        return []
    strong_at = {pos for pos, _n in strong}
    out = []
    for i, (pos, n) in enumerate(marks):
        end = marks[i + 1][0] if i + 1 < len(marks) else len(t)
        if end <= pos:
            continue
        # the row's own words decide (issue classes 3 and 7): "1. Máxima publicidad …" is not numeral 1
        found, moved = _numbering((n,), t[pos : min(end, pos + 160)], pos in strong_at)
        if found and moved is None and shift is not None and found[0] >= shift[0]:
            found = _explicit_in(f"numeral {found[0]} {t[pos : min(end, pos + 160)]}", shift)[0] or found
        if found:
            out.append((found[0], t[pos:end]))
    return out


SUBJECT_ROW_WORDS = 14
_COLUMN_WORDS = frozenset(
    [
        "no",
        "numero",
        "fecha",
        "fechas",
        "nombre",
        "nombres",
        "cargo",
        "puesto",
        "monto",
        "montos",
        "valor",
        "total",
        "proveedor",
        "proveedores",
        "descripcion",
        "destino",
        "nog",
        "nit",
        "codigo",
        "objetivo",
        "dependencia",
        "telefono",
        "correo",
        "direccion",
        "cantidad",
        "precio",
        "modalidad",
        "estado",
        "ubicacion",
        "renglon",
        "funcionario",
        "empleado",
        "periodo",
        "mes",
        "dias",
        "viaticos",
        "boletos",
        "unidad",
        "salario",
        "extension",
    ]
)


def _subject_row(t: str) -> int | None:
    """The numeral a row (a line, normalised) names as its subject and little else: "Viajes nacionales e
    internacionales", "Compras directas" (not "Viajes y turismo en San Lucas Tolimán")."""
    if len(t.split()) > SUBJECT_ROW_WORDS or explicit_numerals(t) or _signals(t) or _DATA_TOKEN.search(t):
        return None
    if len(set(t.split()) & _COLUMN_WORDS) >= 3:
        return None  # a table's column headers ("Fecha NOG Proveedor Descripción Monto")
    named = vocabulary_numerals(t)
    if len(named) != 1:
        return None
    n = named[0]
    return n if len(_subject_stems(t) - _own_stems().get(n, frozenset())) <= 2 else None


def subject_segments(block: Block) -> list[tuple[int, str]]:
    """A table nested in a row, a cell or a list item whose subject stands in the outer row above or
    beside it, with no number (issue 19 class 5): "Viajes nacionales e internacionales" then the rows of
    the nested table. Each subject row heads the lines below it down to the next subject row; it is a
    publication of its numeral when two or more of them are rows of data."""
    raw = block.text or ""
    if "\n" not in raw:
        return []
    out: list[tuple[int, str]] = []
    current: int | None = None
    lines: list[str] = []

    def close() -> None:
        if current is not None and _data_rows("\n".join(lines[1:])) >= 2:
            out.append((current, "\n".join(lines)))

    for line in raw.split("\n"):
        t = norm(line)
        if not t:
            continue
        n = _subject_row(t)
        if n is not None:
            close()
            current, lines = n, [line]
        elif current is not None:
            lines.append(line)
    close()
    return out


def _norm_lines(raw: str) -> str:
    """``norm`` line by line: the line breaks the crawler keeps between table rows and list items stay."""
    if "\n" not in raw:
        return norm(raw)
    return "\n".join(x for x in (norm(line) for line in raw.split("\n")) if x)


_BARE_ROW = re.compile(r"(?:^|(?<=\n))(\d{1,2})\s+(?=[a-z(])")


def _numbered_rows(t: str) -> list[tuple[int, int]]:
    """Rows (lines) that start with a bare number confirmed by their subject: "21 fideicomisos …" is
    numeral 21's row, "3 juan perez alcalde" (a row number in a data table) is not."""
    out = []
    for m in _BARE_ROW.finditer(t):
        n = int(m.group(1))
        if not 1 <= n <= 29:
            continue
        end = t.find("\n", m.end())
        line = t[m.start() : end if end >= 0 else len(t)][:160]
        rest = line[m.end() - m.start() :]
        named = n in vocabulary_any(rest) or bool(_subject_stems(rest) & _own_stems().get(n, frozenset()))
        # the row's own subject must confirm its number: a list of documents numbered 1, 2, 3 is not
        if named and _numbering((n,), f"{n}. {rest}", False) == ((n,), None):
            out.append((m.start(), n))
    return out


def _substantive_text(numeral: int, t: str) -> bool:
    t = _SHORTCODE.sub(" ", t)
    if len(t) < 40:
        return False
    legal = _legal_words().get(numeral, LEGAL_STOP)
    all_words = [w for w in words(t).split() if len(w) > 2 and not w.isdigit()]
    novel = [w for w in all_words if w not in legal]
    # dates are not data here: month names in a row are usually the cells of linked documents
    if _signals(t) >= 3 and len(set(novel)) >= 6:
        return True
    # words repeated over and over (a leaked template, the same sentence twice) are not more substance
    return len(set(novel)) >= 20 and len(novel) >= 25 and len(novel) >= 0.35 * len(all_words)


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


def _na_reason_text(t: str, after_only: bool = False) -> str | None:
    m = NOT_APPLICABLE.search(t)
    if not m:
        return None
    # in a table row the words before the statement are the row's heading, not a reason
    start = m.start() if after_only else max(t.rfind(".", 0, m.start()), t.rfind(";", 0, m.start())) + 1
    # a table row or a list item (one line) holds its own statement: the next row is not its reason
    line_end = t.find("\n", m.end())
    line_end = line_end if line_end >= 0 else len(t)
    start = max(start, t.rfind("\n", 0, m.start()) + 1)
    end = m.end()
    for _ in range(2):  # the statement's sentence, and the one after it ("No aplica. La municipalidad …")
        nxt = _SENTENCE_END.search(t, end + 1)
        end = nxt.start() if nxt else len(t)
    end = min(end, line_end)
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
            rows = _link_rows(block)
            for index, link in enumerate(block.links):
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
                row, near = rows[index] if rows else ("", "")
                yield _Occurrence(doc, link.label or doc.label, headings, page, trail, news, uip, near, row)
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


def _block_key(block: Block) -> str:
    return " ".join(words(block.text or "").split()[:60])


def _furniture(snapshot: PortalSnapshot) -> tuple[frozenset[str], frozenset[str]]:
    """Links and texts that repeat across the portal's pages (issue class 6): header, footer, menus,
    banners ("Guatecompras"), credits ("Funciona gracias a WordPress"). They are site furniture, not a
    publication of the page they sit on.

    Pages with the same content (a script-only site that answers every address with one page) count once;
    a repeated link whose label or file name names a numeral or a period ("Presupuesto 2026" on every
    page) is still a publication."""
    pages: list[PageSnap] = []
    signatures: set[tuple[str, ...]] = set()
    for page in snapshot.pages:
        if page.status >= 400:
            continue
        signature = tuple(_block_key(b) + "|" + ",".join(li.url for li in b.links) for b in page.blocks)
        if signature not in signatures:
            signatures.add(signature)
            pages.append(page)
    if len(pages) < FURNITURE_MIN_PAGES:
        return frozenset(), frozenset()
    need = max(FURNITURE_MIN_PAGES, -(-int(FURNITURE_SHARE * 100) * len(pages) // 100))
    link_pages: dict[str, int] = {}
    labels: dict[str, str] = {}
    text_pages: dict[str, int] = {}
    for page in pages:
        urls = set()
        for block in page.blocks:
            for link in block.links:
                urls.add(link.url)
                labels.setdefault(link.url, link.label)
        for url in urls:
            link_pages[url] = link_pages.get(url, 0) + 1
        keys = {_block_key(block) for block in page.blocks}
        for key in keys:
            if len(key) >= 20:
                text_pages[key] = text_pages.get(key, 0) + 1
    links = frozenset(
        u for u, k in link_pages.items() if k >= need and not _names_numeral_or_period(labels.get(u, ""), u)
    )
    texts = frozenset(t for t, k in text_pages.items() if k >= need)
    return links, texts


_HOME_PATH = re.compile(r"^/*(?:(?:index|default|inicio|home)(?:\.[a-z]{2,5})?)?/*$", re.I)


def _site_home(url: str) -> bool:
    """The home page of another site ("https://www.guatecompras.gt/", a banner or a footer link): it
    publishes nothing of this portal's, not even outdated evidence (issue 19 class 6)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return not parts.query and bool(_HOME_PATH.match(parts.path or "/"))


def _names_numeral_or_period(label: str, url: str) -> bool:
    name = file_name(url)
    if explicit_numerals(label) or explicit_numerals_in_name(name):
        return True
    return bool(find_periods(label) or find_periods(name.replace("_", " ").replace("-", " ")))


def analyse(snapshot: PortalSnapshot) -> Analysis:
    items: dict[int, dict[tuple[str, str], Item]] = {}
    broken: dict[int, dict[str, Item]] = {}
    considered: set[str] = set()
    doc_urls = {d.url for d in snapshot.documents} | {d.final_url for d in snapshot.documents if d.final_url}
    flags = _page_flags(snapshot)
    furniture_links, furniture_texts = _furniture(snapshot)
    shift = _portal_shift(snapshot)
    for occ in _occurrences(snapshot, flags):
        if occ.news:
            continue
        doc = occ.doc
        if doc.url in furniture_links or (doc.external and _site_home(doc.url)):
            continue
        label_n = norm(f"{occ.label} {file_name(doc.url).replace('_', ' ').replace('-', ' ')}")
        if _FORM.search(label_n):
            continue
        numerals, how, where, renumbered = _attribute(occ, shift)
        if numerals and is_norm(occ.label or doc.label, file_name(doc.url)):
            # a rule about X is evidence only for the numerals that ask for norms
            # (it stays in its section: a manual filed under numeral 13 is not numeral 6's either)
            numerals = tuple(n for n in numerals if n in _norm_numerals())
        if not numerals or _placeholder(occ) or _other_body(occ):
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
            "over_limit": broke_a_limit(doc.error),
            "renumbered": renumbered,
        }
        for n in numerals:
            item = Item(numeral=n, **item_common)  # type: ignore[arg-type]
            if doc.broken:
                broken.setdefault(n, {}).setdefault(doc.url, item)
            else:
                key = (doc.url, item.page_url or "")
                items.setdefault(n, {}).setdefault(key, item)

    not_applicable: dict[int, str] = {}
    unexplained: dict[int, str] = {}
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
            if furniture_texts and _block_key(block) in furniture_texts:
                continue  # the same footer, banner or menu on every page
            # credits, counters, "Ir arriba", cookie bars and breadcrumbs are never content nor a reason
            block = Block(block.headings, strip_furniture(block.text), block.links)
            segments = [] if uip else table_segments(block, shift)
            if segments:
                for n, seg in segments:
                    reason = _na_reason_text(seg, after_only=True)
                    if reason:
                        not_applicable.setdefault(n, reason)
                    elif NOT_APPLICABLE.search(_first_line(seg)):
                        # "23 | Informes de auditoría | No aplica": a bare statement, no reason (absent)
                        unexplained.setdefault(n, _first_line(seg).strip()[:120])
                    elif not _placeholder_text(seg) and (_substantive_text(n, seg) or _no_movement_text(seg)):
                        label = (page.title or "").strip() or page.url
                        label = f"{label}: {_excerpt(seg)}" if _excerpt(seg) else label
                        item = _page_item(page, block, n, seg, label, "explicit")
                        items.setdefault(n, {}).setdefault((item.url, f"segment:{n}"), item)
                continue
            if not uip and _TRANSPARENCY.search(norm(" ".join((page.title, *page.trail, *block.headings)))):
                # a table nested in the row or item whose subject stands above or beside it
                for n, seg in subject_segments(block):
                    subject, _, rows = seg.partition("\n")
                    label = f"{subject.strip()}: {_excerpt(' '.join(rows.split(chr(10))))}"
                    item = _page_item(page, block, n, seg, label, "vocabulary")
                    items.setdefault(n, {}).setdefault((item.url, f"subject:{n}"), item)
            if not uip:
                # a row or list item that names a numeral's subject and states it does not apply
                # ("Fideicomisos | No aplica: la municipalidad no ha constituido fideicomisos")
                for n, statement, explained in _na_rows(block):
                    if explained:
                        not_applicable.setdefault(n, statement)
                    else:
                        unexplained.setdefault(n, statement)
            # a section belongs to a numeral only through its own (nearest) heading: a sidebar
            # "Últimas noticias" nested under "Numeral 13" is not the numeral's content
            numerals, renumbered = _explicit_in(block.headings[-1], shift) if block.headings else ((), None)
            own_heading = bool(numerals)
            how = "explicit"
            if not numerals and not uip and not block.headings and not block.links:
                for t in (page.title, *reversed(page.trail)):
                    numerals = _explicit(t)
                    if numerals:
                        break
            has_doc_link = any(link.url in doc_urls or looks_like_document(link.url) for link in block.links)
            if (
                not numerals
                and not uip
                and block.headings
                and not has_doc_link
                and not _catch_all(block.headings[-1])
                and _tabular(block)
            ):
                # data published in the page itself (issue class 5): a table of names and phones, salaries,
                # or tenders under a heading that names its subject is a publication
                named = _heading_subject(block.headings)
                if len(named) == 1:
                    numerals, own_heading, how = named, True, "vocabulary"
            if (
                not numerals
                and not uip
                and block.headings
                and not has_doc_link
                and not _catch_all(block.headings[-1])
                and _TRANSPARENCY.search(norm(" ".join((page.title, *page.trail, *block.headings))))
            ):
                # standing information written as the page's own text under its subject ("Estructura
                # orgánica y funciones", "Direcciones y teléfonos"): addresses, phones, functions
                named = _heading_subject(block.headings[-1:])
                if len(named) == 1 and named[0] in _page_content():
                    numerals, own_heading, how = named, True, "vocabulary"
            if not numerals:
                continue
            for n in numerals:
                reason = _na_reason(block)
                if reason:
                    not_applicable.setdefault(n, reason)
                    continue
                if own_heading and NOT_APPLICABLE.search(norm(block.text or "")):
                    unexplained.setdefault(n, " ".join((block.text or "").split())[:120])
                if has_doc_link or not own_heading:
                    continue
                if not _placeholder_text(words(_content_text(block)), block.text) and (
                    _substantive(n, block) or _no_movement(block)
                ):
                    heading = block.headings[-1] if block.headings else page.title
                    # the table's own dates are its period; then the headings above it ("Octubre 2026")
                    period = _state(
                        (_content_text(block), *reversed(block.headings)),
                        best_period(
                            [_content_text(block), *reversed(block.headings)],
                            (page.title, *reversed(page.trail)),
                        ),
                    )
                    excerpt = _excerpt(_content_text(block))
                    item = Item(
                        numeral=n,
                        url=page.final_url or page.url,
                        label=f"{heading.strip()}: {excerpt}" if excerpt else heading.strip(),
                        page_url=page.url,
                        period=period,
                        source="content",
                        how=how,
                        where="encabezado",
                        context=words(" ".join((*block.headings, block.text))),
                        doc_type="html",
                        renumbered=renumbered,
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
        unexplained_na=unexplained,
    )


def _first_line(seg: str) -> str:
    return seg.split("\n", 1)[0]


_NA_ROW_WORDS = 10


def _na_rows(block: Block) -> Iterable[tuple[int, str, bool]]:
    """(numeral, statement, with a reason) for each line (a table row, a list item, a paragraph) whose
    first words name one numeral's subject, with no number, and whose next words say it does not apply:
    "Fideicomisos: No aplica, la municipalidad no administra fideicomisos". Prose that only uses the
    words ("la ley no aplica sanciones …") names no subject before the statement."""
    raw = block.text or ""
    if not NOT_APPLICABLE.search(norm(raw)):
        return
    for line in raw.split("\n"):
        t = norm(line)
        m = NOT_APPLICABLE.search(t)
        if m is None or len(t) > 400:
            continue
        before = t[: m.start()].strip(" :-–|·,")
        label = words(before).split()
        # a row's first cell is a title ("Fideicomisos"); a sentence starts with an article or a
        # preposition ("La reserva de información no aplica a …")
        if not label or explicit_numerals(before) or len(label) > _NA_ROW_WORDS or label[0] in LEGAL_STOP:
            continue
        numeral, shared = _subject_of(before, _subject_stems(before))
        named = vocabulary_numerals(before)
        if numeral is None and len(named) == 1:
            numeral = named[0]
        if numeral is None or (named and numeral not in named):
            continue
        reason = _na_reason_text(t, after_only=True)
        yield numeral, (line.strip()[:240] if reason else line.strip()[:120]), bool(reason)


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
