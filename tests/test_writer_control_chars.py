"""A page or document with NUL and other control characters is stored on both engines (PostgreSQL refuses
NUL in text: issue 14 A12), without them, and the portal is never lost. The page goes through the spider's
real callback; the state is written by the crawl's own writer."""

from __future__ import annotations

from pathlib import Path

from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler
from sqlalchemy import select

from crawler.spiders.portal import PortalSpider
from crawler.writer import write_portal
from vigia.store import open_store
from vigia.store.models import CrawlRun, Document, Incident, Page, PortalCrawl

BASE = "https://municontrol.gob.gt"


def test_control_characters_are_stripped_before_storage_on_both_engines(db_url: str, tmp_path: Path) -> None:
    store = open_store(db_url, tmp_path / "datos")
    with store.session() as s:
        run = CrawlRun(kind="crawl")
        s.add(run)
        s.flush()
        run_id = run.id
    crawler = get_crawler(PortalSpider, {"VIGIA_ALLOW_PRIVATE": True})
    spider = PortalSpider.from_crawler(crawler, portals=[], store=None)
    st = spider.window.make_state({"key": "0999", "start_url": f"{BASE}/", "platform": "static"})
    spider.states[st.key] = st
    home = spider.links.request(st, f"{BASE}/", kind="home", depth=0, trail=[], in_section=False)
    assert home is not None
    body = (
        "<html><head><title>Municipalidad\x00 de Control</title></head><body>"
        "<h1>Servicios\x00 municipales\x1b</h1><p>Horario\x07 de atención</p>"
        '<a href="/docs/planilla.csv">Planilla\x00 octubre 2026</a></body></html>'
    )
    spider.parse_page(HtmlResponse(f"{BASE}/", body=body.encode(), encoding="utf-8", request=home))
    st.documents[f"{BASE}/docs/planilla.csv"] = {
        "url": f"{BASE}/docs/planilla.csv",
        "label": "Planilla\x00 octubre 2026",
        "page_url": f"{BASE}/",
        "trail": ["Inicio\x00"],
        "doc_type": "csv",
        "fetched": True,
        "status": 200,
        "text": "nombre,cargo\nAna\x00,Alcaldesa\x07\n",
    }
    st.incident("parse_error", f"{BASE}/x", "mensaje con NUL\x00 y escape\x1b")
    pc_id, outcome = write_portal(store, run_id, st)
    with store.session() as s:
        crawl = s.get(PortalCrawl, pc_id)
        assert crawl is not None and crawl.portal_key == "0999"
        texts = [*s.scalars(select(Page.text)), *s.scalars(select(Page.title))]
        texts += [t or "" for t in s.scalars(select(Document.text))]
        texts += [*s.scalars(select(Document.label)), *s.scalars(select(Incident.message))]
    assert texts and all("\x00" not in t and "\x1b" not in t and "\x07" not in t for t in texts)
    assert any(
        "Horario de atención" in t for t in texts
    )  # BEL stripped (the HTML parser turns NUL into U+FFFD)
    assert any("Ana,Alcaldesa" in t for t in texts)
