"""Cutting an HTML page into evidence: sections with their heading trail, text and links.

Pages are hostile input: nothing here executes or trusts markup. lxml parses (fast and lenient enough
for malformed municipal HTML); the walk is iterative, so absurdly deep nesting cannot overflow the stack.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml import etree

from vigia.spanish import fold

SKIP_TAGS = {"script", "style", "noscript", "template", "svg", "head", "iframe", "select", "object", "canvas"}
HEADING_LEVELS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
#: Accordion/tab titles behave like headings below h6 (WordPress/Elementor/Bootstrap accordions).
ACCORDION_LEVEL = 7
#: a table row with one spanning cell (a year, a group) heads the rows below it
TABLE_GROUP_LEVEL = 8
ACCORDION_CLASS = re.compile(
    r"accordion-(?:header|button|title|toggle)|panel-title|card-header|elementor-tab-title|"
    r"toggle-title|collapsible-header|tab-title|vc_tta-title|su-spoiler-title",
    re.I,
)
BLOCK_TAGS = {
    "p",
    "div",
    "li",
    "tr",
    "td",
    "th",
    "br",
    "section",
    "article",
    "ul",
    "ol",
    "table",
    "dd",
    "dt",
    "blockquote",
    "pre",
    "form",
    "header",
    "footer",
    "nav",
    "aside",
    "main",
}
#: a table row or a list item ends a line of the block's text: a row is where its evidence stands (a
#: "No aplica" in the row of numeral 21, a table nested in a cell), so the checks can read it row by row
ROW_TAGS = {"tr", "li"}
NAV_TAGS = {"nav", "header", "footer"}
NAV_CLASS = re.compile(
    r"(?:^|[\s_-])(?:nav|navbar|menu|footer|header|breadcrumb|sidebar-menu)(?:$|[\s_-])", re.I
)
_SPACES = re.compile(r"\s+")
_BAD_SCHEMES = ("javascript:", "mailto:", "tel:", "data:", "whatsapp:", "sms:", "ftp:")


def norm_space(text: str | None) -> str:
    return _SPACES.sub(" ", text or "").strip()


@dataclass
class Link:
    url: str
    label: str
    headings: list[str]
    in_nav: bool = False

    def as_json(self) -> dict[str, str]:
        return {"url": self.url, "label": self.label}


@dataclass
class ParsedPage:
    title: str
    blocks: list[dict[str, Any]]
    links: list[Link]
    text: str
    generator: str = ""
    script_count: int = 0
    has_password: bool = False
    has_captcha: bool = False
    markers: set[str] = field(default_factory=set)
    #: the parser stopped early (elements nested deeper than libxml2's limit of 256): content was dropped
    truncated: bool = False


def parse_html(html: str | bytes, base_url: str) -> ParsedPage:
    """Parse ``html`` and return its sections, links (absolute URLs) and a few page markers."""
    root, truncated = _parse_root(html)
    if root is None:
        return ParsedPage(title="", blocks=[], links=[], text="", truncated=truncated)
    base = base_url
    for b in root.iter("base"):
        href = b.get("href")
        if href:
            # a malformed <base> (e.g. "http://[::1", found by tests/test_fuzz_readers.py) is ignored
            with contextlib.suppress(ValueError):
                base = urljoin(base_url, href.strip())
            break
    title = ""
    for t in root.iter("title"):
        title = norm_space(t.text_content())
        break
    generator = ""
    markers: set[str] = set()
    for meta in root.iter("meta"):
        if (meta.get("name") or "").lower() == "generator":
            generator = norm_space(meta.get("content"))
    for link in root.iter("link"):
        rel = (link.get("rel") or "").lower()
        href = link.get("href") or ""
        if "api.w.org" in rel or "/wp-json" in href:
            markers.add("wp-json")
    script_count = 0
    for s in root.iter("script"):
        script_count += 1
        src = s.get("src") or ""
        if "wp-content" in src or "wp-includes" in src:
            markers.add("wp-content")
        if "/media/jui/" in src or "/media/system/js" in src or "com_" in src:
            markers.add("joomla")
    has_password = any((i.get("type") or "").lower() == "password" for i in root.iter("input"))
    builder = _Builder(base, _tab_labels(root))
    builder.walk(root)
    blocks = builder.finish()
    text = "\n".join(b["text"] for b in blocks if b["text"])
    ftext = fold(text[:20000])
    raw_lower = ""
    if isinstance(html, bytes):
        raw_lower = html[:200000].decode("utf-8", "replace").lower()
    else:
        raw_lower = html[:200000].lower()
    has_captcha = bool(
        re.search(r"g-recaptcha|h-captcha|hcaptcha|cf-turnstile|captcha", raw_lower)
        or re.search(r"no soy un robot|verifique que es humano|verificacion de seguridad", ftext)
    )
    if "wp-content" in raw_lower:
        markers.add("wp-content")
    if "option=com_" in raw_lower or "/components/com_" in raw_lower:
        markers.add("joomla")
    if not title:
        for h in root.iter("h1"):
            title = norm_space(h.text_content())
            break
    return ParsedPage(
        title=title[:500],
        blocks=blocks,
        links=builder.links,
        text=text,
        generator=generator,
        script_count=script_count,
        has_password=has_password,
        has_captcha=has_captcha,
        markers=markers,
        truncated=truncated,
    )


def _parse_root(html: str | bytes) -> tuple[Any, bool]:
    """The document's root (``None`` if it cannot be parsed) and whether the parser dropped content."""
    if not html:
        return None, False
    parser = lxml.html.HTMLParser()
    try:
        root = lxml.html.document_fromstring(html, parser=parser)
    except (ValueError, etree.ParserError):
        if not isinstance(html, str):
            return None, False
        try:
            root = lxml.html.document_fromstring(html.encode("utf-8"), parser=parser)
        except (ValueError, etree.ParserError):
            return None, False
    truncated = any(e.type_name == "ERR_RESOURCE_LIMIT" for e in parser.error_log)
    return root, truncated


def _link_label(el: Any) -> str:
    label = norm_space(el.text_content())
    if not label:
        label = norm_space(el.get("title") or el.get("aria-label") or "")
    if not label:
        for img in el.iter("img"):
            label = norm_space(img.get("alt") or img.get("title") or "")
            if label:
                break
    return label[:500]


def _table_context(el: Any) -> tuple[str, str]:
    """The row header and column header of the table cell holding ``el`` ("", "" when none)."""
    cell = el.getparent()
    while cell is not None and cell.tag not in ("td", "th"):
        if cell.tag in ("table", "body"):
            return "", ""
        cell = cell.getparent()
    if cell is None:
        return "", ""
    row = cell.getparent()
    if row is None or row.tag != "tr":
        return "", ""
    cells = [c for c in row if c.tag in ("td", "th")]
    try:
        index = cells.index(cell)
    except ValueError:
        return "", ""
    row_header = ""
    if index > 0:
        row_header = norm_space(cells[0].text_content())[:200]
    col_header = ""
    table = row.getparent()
    while table is not None and table.tag != "table":
        table = table.getparent()
    if table is not None:
        for tr in table.iter("tr"):
            if tr is row:
                break
            if _own_table(tr) is not table:
                continue  # a row of a table nested in a cell has its own headers
            hcells = [c for c in tr if c.tag in ("td", "th")]
            if any(c.tag == "th" for c in hcells) and index < len(hcells):
                col_header = norm_space(hcells[index].text_content())[:200]
                break
    return row_header, col_header


def _own_table(el: Any) -> Any:
    """The nearest ``<table>`` above ``el`` (``None`` when there is none)."""
    node = el.getparent()
    while node is not None and node.tag != "table":
        node = node.getparent()
    return node


_TAB_CONTROL = re.compile(r"(?:^|\s)(?:nav-link|tab|tabs-title|vc_tta-tab)(?:\s|$)", re.I)
_TAB_PANE = re.compile(r"(?:^|\s)(?:tab-pane|tabs-panel|vc_tta-panel)(?:\s|$)", re.I)


def _tab_labels(root: Any) -> dict[str, str]:
    """Tab titles by the id of the panel they open (``<button data-bs-target="#y2026">2026</button>``).

    A panel held in the DOM (year tabs, the month accordions inside them) is headed by its tab's title,
    although the title sits elsewhere in the page."""
    out: dict[str, str] = {}
    for el in root.iter():
        if not isinstance(el.tag, str) or el.tag in SKIP_TAGS:
            continue
        toggle = f"{el.get('data-bs-toggle') or ''} {el.get('data-toggle') or ''}"
        if el.get("role") != "tab" and "tab" not in toggle and not _TAB_CONTROL.search(el.get("class") or ""):
            continue
        target = el.get("aria-controls") or ""
        if not target:
            for attr in ("data-bs-target", "data-target", "href"):
                value = (el.get(attr) or "").strip()
                if value.startswith("#") and len(value) > 1:
                    target = value[1:]
                    break
        label = norm_space(el.text_content())
        if target and label and len(out) < 500:
            out.setdefault(target, label[:300])
    return out


def _is_nav(el: Any) -> bool:
    node = el
    while node is not None:
        if node.tag in NAV_TAGS:
            return True
        if node.tag in ("main", "article"):
            return False
        cls = f"{node.get('class') or ''} {node.get('id') or ''} {node.get('role') or ''}"
        if cls.strip() and NAV_CLASS.search(cls):
            return True
        node = node.getparent()
    return False


class _Builder:
    def __init__(self, base: str, tabs: dict[str, str] | None = None) -> None:
        self.base = base
        self.tabs = tabs or {}
        self.stack: list[tuple[int, str]] = []
        #: accordion titles end with the container that holds them (an empty accordion ends there)
        self.containers: list[tuple[Any, int]] = []
        self.blocks: list[dict[str, Any]] = []
        self.parts: list[str] = []
        self.block_links: list[dict[str, str]] = []
        self.links: list[Link] = []

    def _flush(self) -> None:
        lines = (norm_space(line) for line in " ".join(self.parts).split("\n"))
        text = "\n".join(line for line in lines if line)
        if text or self.block_links or self.stack:
            self.blocks.append(
                {"headings": [t for _, t in self.stack], "text": text[:20000], "links": self.block_links}
            )
        self.parts = []
        self.block_links = []

    def heading(self, level: int, text: str, parent: Any = None) -> None:
        """Push a heading; a heading inside an open accordion (e.g. an ``<h4>2026</h4>`` in the numeral's
        panel) nests below the accordion's title instead of replacing it."""
        if not text:
            return
        self._flush()
        floor = 0
        for container, depth in reversed(self.containers):
            if container is not parent:  # a sibling title in the same container replaces the previous one
                floor = depth
                break
        while len(self.stack) > floor and self.stack[-1][0] >= level:
            self.stack.pop()
        self.stack.append((level, text[:300]))

    def walk(self, root: Any) -> None:
        body = root.find("body")
        start = body if body is not None else root
        walker = etree.iterwalk(start, events=("start", "end"))
        for event, el in walker:
            tag = el.tag if isinstance(el.tag, str) else ""
            if event == "start":
                if not tag:  # comments, processing instructions
                    walker.skip_subtree()
                    continue
                if tag in SKIP_TAGS:
                    walker.skip_subtree()
                    continue
                level = HEADING_LEVELS.get(tag)
                cls = el.get("class") or ""
                if level is None and (
                    tag == "summary" or (cls and tag != "a" and ACCORDION_CLASS.search(cls))
                ):
                    level = ACCORDION_LEVEL
                if level is None and tag == "a" and cls and ACCORDION_CLASS.search(cls):
                    href = (el.get("href") or "").strip()
                    if not href or href.startswith("#"):
                        level = ACCORDION_LEVEL
                if level is not None:
                    self.heading(level, norm_space(el.text_content()), el.getparent())
                    if level == ACCORDION_LEVEL and el.getparent() is not None and self.stack:
                        self.containers.append((el.getparent(), len(self.stack)))
                    walker.skip_subtree()
                    continue
                if tag == "tr" and self._group_row(el):
                    walker.skip_subtree()
                    continue
                if (
                    self.tabs
                    and el.get("id") in self.tabs
                    and (el.get("role") == "tabpanel" or _TAB_PANE.search(cls))
                ):
                    # a tab panel is headed by its tab's title, down to the panel's end
                    self.heading(ACCORDION_LEVEL, self.tabs[el.get("id")], el.getparent())
                    self.containers.append((el, len(self.stack)))
                if tag == "a":
                    self._link(el)
                    walker.skip_subtree()
                    continue
                if tag in ROW_TAGS:
                    self.parts.append("\n")
                elif tag in BLOCK_TAGS:
                    self.parts.append(" ")
                if el.text:
                    self.parts.append(el.text)
            else:
                if self.containers and self.containers[-1][0] is el:
                    self._close_container(el)
                if tag in ROW_TAGS:
                    self.parts.append("\n")
                elif tag in BLOCK_TAGS:
                    self.parts.append(" ")
                if el.tail and el is not start:
                    self.parts.append(el.tail)

    def _group_row(self, row: Any) -> bool:
        """A table row with one cell spanning the columns and no link (``<tr><th colspan=3>2025</th></tr>``)
        heads the rows below it, down to the next such row or the end of the table."""
        cells = [c for c in row if isinstance(c.tag, str) and c.tag in ("td", "th")]
        if len(cells) != 1 or next(cells[0].iter("a"), None) is not None:
            return False
        try:
            span = int(cells[0].get("colspan") or 1)
        except ValueError:
            span = 1
        if span < 2:
            return False
        table = row.getparent()
        while table is not None and table.tag != "table":
            table = table.getparent()
        text = norm_space(cells[0].text_content())
        if table is None or not text:
            return False
        self.heading(TABLE_GROUP_LEVEL, text, table)
        self.containers.append((table, len(self.stack)))
        return True

    def _close_container(self, el: Any) -> None:
        depth = None
        while self.containers and self.containers[-1][0] is el:
            depth = self.containers.pop()[1]
        if depth is not None and len(self.stack) >= depth:
            self._flush()
            del self.stack[depth - 1 :]

    def _link(self, el: Any) -> None:
        label = _link_label(el)
        href = (el.get("href") or "").strip()
        if label:
            self.parts.append(f" {label} ")
        if not href or href.startswith("#") or href.lower().startswith(_BAD_SCHEMES):
            return
        try:
            url = urljoin(self.base, href)
        except ValueError:
            return
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return
        url = url.split("#", 1)[0]
        row_header, col_header = _table_context(el)
        composed = label
        flabel = fold(label)
        for extra in (col_header, row_header):
            if extra and fold(extra) not in flabel:
                composed = f"{extra} · {composed}" if composed else extra
        if not composed:
            composed = url.rstrip("/").rsplit("/", 1)[-1][:200]
        self.block_links.append({"url": url, "label": composed})
        self.links.append(
            Link(
                url=url,
                label=composed,
                headings=[t for _, t in self.stack] + ([row_header] if row_header else []),
                in_nav=_is_nav(el),
            )
        )

    def finish(self) -> list[dict[str, Any]]:
        self._flush()
        return self.blocks


# --------------------------------------------------------------------------- classification

TRANSPARENCY_LABEL = re.compile(
    r"transparencia|informacion publica|ley de acceso|\blaip\b|articulo 10|\bart\.? ?10\b|"
    r"acceso a la informacion|\buip\b|unidad de (?:acceso a la )?informacion|informacion de oficio|"
    r"decreto 57-2008|57-2008"
)
TRANSPARENCY_URL = re.compile(
    r"transparencia|informacion-publica|informacion_publica|acceso-a-la-informacion|laip|"
    r"articulo-10|art-10|ley-de-acceso|informacion-de-oficio|uip\b"
)
NUMERAL_LABEL = re.compile(
    r"numeral|inciso|\bart(?:iculo|\.)? ?10\b|^\s*\d{1,2}\s*[\.\-\)–:]\s*\S|^\s*\d{1,2}\s+[a-z]"
)


def is_transparency_link(link: Link) -> bool:
    label = fold(link.label)
    if TRANSPARENCY_LABEL.search(label):
        return True
    path = fold(urlsplit(link.url).path + "?" + (urlsplit(link.url).query or ""))
    return bool(TRANSPARENCY_URL.search(path))


def is_numeral_link(link: Link) -> bool:
    return bool(NUMERAL_LABEL.search(fold(link.label))) or is_transparency_link(link)


def detect_platform(url: str, parsed: ParsedPage, body_head: str) -> str:
    """The platform a page shows (generator, wp-content, /wp-json, Joomla markers, laip.gt patterns)."""
    gen = parsed.generator.lower()
    host = (urlsplit(url).hostname or "").lower()
    if host.endswith("laip.gt") or "laip" in gen:
        return "laip_standard"
    if "wordpress" in gen or "wp-content" in parsed.markers or "wp-json" in parsed.markers:
        return "wordpress"
    if "joomla" in gen or "joomla" in parsed.markers:
        return "joomla"
    numeral_pages = {
        m.group(1) for link in parsed.links if (m := re.search(r"index\.php/(\d{1,2})-[a-z]", link.url))
    }
    if len(numeral_pages) >= 8:
        return "laip_standard"
    if looks_script_only(parsed):
        return "javascript"
    return "static"


def looks_script_only(parsed: ParsedPage) -> bool:
    """A static page with scripts but (almost) no content or links: it needs a browser."""
    visible = len(parsed.text.strip())
    return parsed.script_count > 0 and visible < 200 and len(parsed.links) < 3
