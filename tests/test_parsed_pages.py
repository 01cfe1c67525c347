"""Unchanged pages are not parsed again (crawler/parsed.py), and the section page is found the same way
with each page read once (crawler/state.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from crawler import parsed as parsed_module
from crawler.htmlparse import parse_html
from crawler.parsed import PARSER_VERSION, ParsedPages
from crawler.state import _listing_page

URL = "http://portal.example/transparencia/"
HTML = (
    "<html><head><title>Transparencia</title></head><body><nav><a href='/'>Inicio</a></nav>"
    "<h1>Artículo 10</h1><h2>Numeral 1</h2><p>Estructura orgánica</p>"
    "<a href='/docs/organigrama.pdf'>Organigrama 2026</a>"
    "<h2>Numeral 8</h2><a href='ejecucion.xlsx'>Ejecución presupuestaria, agosto 2026</a></body></html>"
)


def _parse(pages: ParsedPages, html: str, cached: bool, url: str = URL, encoding: str = "utf-8") -> Any:
    return pages.parse(html.encode(encoding), html, encoding, url, cached)


def _refuse(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("parse_html should not run for an unchanged page")


def test_an_unchanged_page_is_the_same_parsed_page_without_parsing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    night1 = ParsedPages(tmp_path / "parsed")
    first = _parse(night1, HTML, cached=False)
    assert first == parse_html(HTML, URL) and night1.parsed == 1 and night1.reused == 0
    assert len(list((tmp_path / "parsed" / PARSER_VERSION).glob("*/*"))) == 1

    night2 = ParsedPages(tmp_path / "parsed")  # another process, another night
    monkeypatch.setattr(parsed_module, "parse_html", _refuse)
    again = _parse(night2, HTML, cached=True)
    assert again == first and again.links[0].url == "http://portal.example/"
    assert night2.reused == 1 and night2.parsed == 0


@pytest.mark.parametrize("change", ["body", "encoding", "not cached", "url"])
def test_a_changed_page_is_parsed_again(tmp_path: Path, change: str) -> None:
    _parse(ParsedPages(tmp_path), HTML, cached=False)
    pages = ParsedPages(tmp_path)
    html, encoding, cached, url = HTML, "utf-8", True, URL
    if change == "body":
        html = HTML.replace("agosto", "septiembre")
    elif change == "encoding":
        encoding = "latin-1"
    elif change == "not cached":
        cached = False
    else:
        url = "http://portal.example/otra/"
    page = _parse(pages, html, cached, url, encoding)
    assert pages.parsed == 1 and pages.reused == 0
    assert page == parse_html(html, url)
    if change == "body":  # the newest body replaces the entry: the next night reuses it
        nxt = ParsedPages(tmp_path)
        assert _parse(nxt, html, cached=True) == page and nxt.reused == 1


def test_an_unreadable_entry_is_parsed_again(tmp_path: Path) -> None:
    _parse(ParsedPages(tmp_path), HTML, cached=False)
    for entry in (tmp_path / PARSER_VERSION).glob("*/*"):
        entry.write_bytes(b"no es un pickle")
    pages = ParsedPages(tmp_path)
    assert _parse(pages, HTML, cached=True) == parse_html(HTML, URL) and pages.parsed == 1


def test_without_a_store_every_page_is_parsed(tmp_path: Path) -> None:
    pages = ParsedPages(None)
    assert _parse(pages, HTML, cached=True) == parse_html(HTML, URL)
    assert _parse(pages, HTML, cached=True) == parse_html(HTML, URL)
    assert pages.parsed == 2 and pages.reused == 0


def _page(labels: list[str], status: int = 200, depth: int = 1, final_url: str = "") -> dict[str, Any]:
    links = [{"url": f"http://p.example/{i}", "label": label} for i, label in enumerate(labels)]
    return {"status": status, "depth": depth, "final_url": final_url, "blocks": [{"links": links}]}


def test_the_section_page_is_the_same_with_each_page_read_once() -> None:
    numerals = [f"Numeral {n}" for n in range(1, 9)]
    pages: dict[str, dict[str, Any]] = {}
    memo: dict[str, tuple[dict[str, Any], int]] = {}
    steps: list[tuple[str, dict[str, Any]]] = [
        ("http://p.example/", _page(["Inicio", "Numeral 1"], depth=0)),
        ("http://p.example/a", _page(numerals[:6])),
        ("http://p.example/noticias/ley", _page(numerals, final_url="http://p.example/noticias/ley")),
        ("http://p.example/b", _page(numerals[:7], depth=2)),
        ("http://p.example/error", _page(numerals, status=404)),
        # the same URL stored again with another record (a rendered copy): read again
        ("http://p.example/a", _page(numerals)),
        ("http://p.example/c", _page(numerals, depth=1)),
    ]
    for asked, page in steps:
        pages[asked] = page
        assert _listing_page(pages, memo) == _listing_page(pages)
    assert _listing_page(pages, memo) == "http://p.example/a"
