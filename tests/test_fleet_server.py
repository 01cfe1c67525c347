"""The fleet server: every failure mode behaves as declared, documents are real, conditional requests work."""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import io
import json
import socket
import time
from pathlib import Path
from typing import Any

import pytest
from fleet_helpers import fetch, fleet_server, make_fleet, portal

from fleet.files import apply_next_night
from fleet.model import HUGE_FILE_SIZE, PRIVATE_REDIRECT_TARGET

PLATFORMS = ["wordpress", "joomla", "laip_standard", "static", "javascript"]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    out = tmp_path_factory.mktemp("fleet")
    spec, truth = make_fleet(out, portals=16, failures="all", platforms=PLATFORMS)
    with fleet_server(out) as proc:
        yield spec, truth, proc


def _path(url: str) -> str:
    return url.split("/", 3)[3] if url.count("/") >= 3 else ""


def test_connection_refused(served) -> None:  # type: ignore[no-untyped-def]
    _spec, truth, _ = served
    p = portal(truth, failure="connection_refused")
    with pytest.raises(ConnectionRefusedError):
        fetch(p["url"])


def test_5xx_on_every_try(served) -> None:  # type: ignore[no-untyped-def]
    p = portal(served[1], failure="http_5xx")
    for _ in range(3):
        assert fetch(p["url"])[0] >= 500


def test_timeout(served) -> None:  # type: ignore[no-untyped-def]
    p = portal(served[1], failure="timeout")
    started = time.monotonic()
    with pytest.raises((TimeoutError, socket.timeout)):
        fetch(p["url"], timeout=0.5)
    assert time.monotonic() - started < 5


def test_redirect_loop(served) -> None:  # type: ignore[no-untyped-def]
    p = portal(served[1], failure="redirect_loop")
    url, seen = p["url"], []
    for _ in range(4):
        status, headers, _ = fetch(url)
        assert status in (301, 302, 307, 308)
        seen.append(url)
        url = p["url"].rstrip("/") + headers["location"]
    assert url in seen  # back where it started


def test_private_redirect_on_a_section_link(served) -> None:  # type: ignore[no-untyped-def]
    p = portal(served[1], failure="private_redirect")
    assert p["expected_outcome"] == "partial"
    assert fetch(p["url"])[0] == 200
    spec_portal = next(sp for sp in served[0]["portals"] if sp["ine_code"] == p["ine_code"])
    failing = [pg for pg in spec_portal["pages"] if pg.get("fail")]
    assert failing
    for pg in failing:
        status, headers, _ = fetch(p["url"].rstrip("/") + pg["path"])  # never followed
        assert status == 302 and headers["location"] == PRIVATE_REDIRECT_TARGET
    assert "169.254.169.254" in PRIVATE_REDIRECT_TARGET
    failing_numerals = {pg["numerals"][0] for pg in failing}
    for n in failing_numerals:
        assert p["numerals"][str(n)]["status"] == "unverified"


def test_partial_5xx_and_timeout_sections(served) -> None:  # type: ignore[no-untyped-def]
    spec = served[0]
    for failure, check in (("section_5xx", "status"), ("section_timeout", "timeout")):
        sp = next(x for x in spec["portals"] if x["failure"] == failure)
        base = sp["url"].rstrip("/")
        assert fetch(sp["url"])[0] == 200
        page = next(pg for pg in sp["pages"] if pg.get("fail"))
        if check == "status":
            assert fetch(base + page["path"])[0] >= 500
        else:
            with pytest.raises((TimeoutError, socket.timeout)):
                fetch(base + page["path"], timeout=0.5)
        ok = next(pg for pg in sp["pages"] if pg["kind"] == "numeral_page" and not pg.get("fail"))
        assert fetch(base + ok["path"])[0] == 200


def test_robots_disallow_everything(served) -> None:  # type: ignore[no-untyped-def]
    p = portal(served[1], failure="robots_disallow")
    status, _, body = fetch(p["url"] + "robots.txt")
    assert status == 200 and body.decode().splitlines() == ["User-agent: *", "Disallow: /"]
    other = portal(served[1], failure=None)
    status, _, body = fetch(other["url"] + "robots.txt")
    assert status == 404 or b"Disallow: /\n" not in body


def test_login_wall_and_captcha(served) -> None:  # type: ignore[no-untyped-def]
    spec = served[0]
    sp = next(x for x in spec["portals"] if x["failure"] == "login_wall")
    base = sp["url"].rstrip("/")
    if sp["failure_variant"] == "home":
        status, headers, body = fetch(sp["url"])
        assert status == 401 and "www-authenticate" in headers
    else:
        assert fetch(sp["url"])[0] == 200
        entry = next(pg for pg in sp["pages"] if pg.get("parent") == "/")
        status, headers, _ = fetch(base + entry["path"])
        assert status == 302
        status, headers, body = fetch(base + headers["location"])
        assert status == 200
    assert b'type="password"' in body
    cp = portal(served[1], failure="captcha")
    status, _, body = fetch(cp["url"])
    assert status == 403 and b"captcha" in body.lower() and b"robot" in body


def _links(body: bytes, prefix: str) -> list[str]:
    import re

    return [
        m.replace("&amp;", "&")
        for m in re.findall(rb'href="([^"]+)"', body)
        for m in [m.decode()]
        if m.startswith(prefix)
    ]


def test_spider_traps_are_infinite(served) -> None:  # type: ignore[no-untyped-def]
    spec = served[0]
    cal = next(x for x in spec["portals"] if "trap_calendar" in x["quirks"])
    ses = next(x for x in spec["portals"] if "trap_session" in x["quirks"])
    for sp, prefix, pick in ((cal, "/calendario/", "Mes siguiente"), (ses, "/avisos/", "Siguiente")):
        base = sp["url"].rstrip("/")
        section = next(pg for pg in sp["pages"] if pg["kind"] in ("numeral_list", "numeral_index"))
        entry = _links(fetch(base + section["path"])[2], prefix)  # the trap sits inside the section
        assert entry and not _links(fetch(sp["url"])[2], prefix)
        url = base + entry[0]
        seen = set()
        for _ in range(40):
            status, _, body = fetch(url)
            assert status == 200
            seen.add(url)
            import re

            nxt = re.search(rb'href="([^"]+)">' + pick.encode(), body)
            assert nxt, body[:500]
            url = base + nxt.group(1).decode().replace("&amp;", "&")
        assert len(seen) == 40 and url not in seen


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def test_huge_file_headers_without_allocating(served) -> None:  # type: ignore[no-untyped-def]
    _spec, truth, proc = served
    p = next(x for x in truth["portals"] if "huge_file" in x["quirks"])
    doc = next(d for d in p["documents"] if d["huge"])
    assert doc["numeral"] == 13 and p["numerals"]["13"]["status"] == "present"
    before = _rss_kb(proc.pid)
    status, headers, _ = fetch(doc["url"], method="HEAD")
    assert status == 200 and int(headers["content-length"]) == HUGE_FILE_SIZE
    status, headers, _ = fetch(doc["url"], read=False)
    assert int(headers["content-length"]) == HUGE_FILE_SIZE
    time.sleep(0.3)
    assert _rss_kb(proc.pid) - before < 100_000  # far from 3 GB


def test_latin1_portal(served) -> None:  # type: ignore[no-untyped-def]
    p = next(x for x in served[1]["portals"] if "latin1" in x["quirks"])
    status, headers, body = fetch(p["url"])
    assert status == 200 and "iso-8859-1" in headers["content-type"].lower()
    text = body.decode("iso-8859-1")
    assert 'charset="iso-8859-1"' in text and "Información" in text or "Últimas" in text
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")


def test_malformed_html_still_parses_leniently(served) -> None:  # type: ignore[no-untyped-def]
    from bs4 import BeautifulSoup

    p = next(x for x in served[1]["portals"] if "malformed_html" in x["quirks"])
    for url in p["pages"][:3]:
        status, _, body = fetch(url)
        assert status == 200 and b"</li>" not in body
        assert BeautifulSoup(body, "lxml").find_all("a")


def test_404_documents(served) -> None:  # type: ignore[no-untyped-def]
    truth = served[1]
    broken = [
        d
        for p in truth["portals"]
        if p["expected_outcome"] == "complete"
        for d in p["documents"]
        if d["http_status"] == 404
    ]
    assert broken
    for d in broken[:5]:
        assert fetch(d["url"])[0] == 404
        assert not d["reachable"]
    p = next(x for x in truth["portals"] if "doc_404" in x["quirks"])
    assert "http_404" in p["expected_incidents"]


def test_every_in_scope_page_and_reachable_document_answers(served) -> None:  # type: ignore[no-untyped-def]
    from docx import Document
    from openpyxl import load_workbook
    from pypdf import PdfReader

    truth = served[1]
    checked: dict[str, int] = {}
    for p in truth["portals"]:
        if p["expected_outcome"] != "complete":
            continue
        if "slow" in p["quirks"]:  # 1.5 s per response: only its home here
            assert fetch(p["url"], timeout=10)[0] == 200
            continue
        for url in p["pages"]:
            assert fetch(url)[0] == 200, url
        for d in p["documents"]:
            if not d["reachable"] or d["huge"]:
                continue
            status, headers, body = fetch(d["url"])
            assert status == 200, d["url"]
            kind = d["type"]
            if checked.get(kind, 0) >= 4:
                continue
            checked[kind] = checked.get(kind, 0) + 1
            if kind == "pdf":
                text = PdfReader(io.BytesIO(body)).pages[0].extract_text()
                assert f"numeral {d['numeral']}" in text
            elif kind == "scanned_pdf":
                assert PdfReader(io.BytesIO(body)).pages[0].extract_text().strip() == ""
            elif kind == "xlsx":
                ws = load_workbook(io.BytesIO(body)).active
                assert f"numeral {d['numeral']}" in str(ws["A4"].value)
            elif kind == "docx":
                assert any(
                    f"numeral {d['numeral']}" in para.text for para in Document(io.BytesIO(body)).paragraphs
                )
            elif kind == "external":
                assert d["nog"][0].encode() in body
    assert set(checked) >= {"pdf", "xlsx", "docx"}


def test_document_hosts(served) -> None:  # type: ignore[no-untyped-def]
    truth = served[1]
    external = [
        d for p in truth["portals"] for d in p["documents"] if d["host"] != "portal" and d["reachable"]
    ]
    for d in external[:6]:
        status, headers, body = fetch(d["url"])
        assert status == 200
        if d["host"] == "compras":
            assert f"nog={d['nog'][0]}" in d["url"] and d["nog"][0].encode() in body
        else:
            assert "attachment" in headers["content-disposition"]
    assert {h.split("//")[1].split(":")[0] for h in truth["document_hosts"]} == {"127.78.0.10", "127.78.0.20"}


def test_wordpress_api_lists_pages(served) -> None:  # type: ignore[no-untyped-def]
    p = portal(served[1], platform="wordpress", failure=None)
    status, headers, body = fetch(p["url"] + "wp-json/wp/v2/pages")
    assert status == 200 and headers["content-type"].startswith("application/json")
    pages = json.loads(body)
    assert pages and all("rendered" in x["content"] for x in pages)
    assert any("elementor-accordion-item" in x["content"]["rendered"] for x in pages) or any(
        "numeral" in x["content"]["rendered"].lower() for x in pages
    )


def test_conditional_requests(served) -> None:  # type: ignore[no-untyped-def]
    truth = served[1]
    p = next(x for x in truth["portals"] if x["failure"] is None and "slow" not in x["quirks"])
    doc = next(d for d in p["documents"] if d["reachable"] and d["host"] == "portal")
    for url in (p["pages"][1], doc["url"]):
        status, headers, body = fetch(url)
        assert status == 200
        etag, last_modified = headers["etag"], headers["last-modified"]
        assert etag == '"' + hashlib.sha256(body).hexdigest()[:24] + '"'  # derived from content
        assert fetch(url, headers={"If-None-Match": etag})[0] == 304
        assert fetch(url, headers={"If-None-Match": '"otro"'})[0] == 200
        assert fetch(url, headers={"If-Modified-Since": last_modified})[0] == 304
        older = email.utils.parsedate_to_datetime(last_modified) - dt.timedelta(days=1)
        assert (
            fetch(url, headers={"If-Modified-Since": email.utils.format_datetime(older, usegmt=True)})[0]
            == 200
        )


def test_latency_option(tmp_path: Path) -> None:
    spec, truth = make_fleet(tmp_path / "slow", portals=2, failures="none")
    with fleet_server(tmp_path / "slow", "--latency-ms", "300", "--bandwidth-kbps", "4000"):
        started = time.monotonic()
        assert fetch(truth["portals"][0]["url"])[0] == 200
        assert (
            time.monotonic() - started >= 0.29
        )  # the configured delay is applied (a floor, not a speed target)


def test_next_night_reload_and_stable_etags(tmp_path: Path) -> None:
    out = tmp_path / "nights"
    make_fleet(out, portals=34, failures="mix")
    truth1 = json.loads((out / "truth.json").read_text())
    by_code = {p["ine_code"]: p for p in truth1["portals"]}
    with fleet_server(out):
        etags = {u: fetch(u)[1]["etag"] for p in truth1["portals"] for u in p["pages"]}
        apply_next_night(out)
        changes: list[dict[str, Any]] = json.loads((out / "changes.json").read_text())
        after = {p["ine_code"]: p for p in json.loads((out / "truth.json").read_text())["portals"]}
        down = next(c["ine_code"] for c in changes if c["change"] == "portal_down")
        deadline = time.monotonic() + 10
        while True:  # the server notices that spec.json changed within about a second
            try:
                fetch(by_code[down]["url"], timeout=1)
            except ConnectionRefusedError:
                break
            except (ConnectionResetError, TimeoutError):
                pass  # caught while its listener was closing
            assert time.monotonic() < deadline, "the server did not reload spec.json"
            time.sleep(0.2)
        for c in changes:
            code = c["ine_code"]
            if c["change"] == "portal_back":
                assert fetch(after[code]["url"], timeout=2)[0] == 200
            elif c["change"] in ("new_month", "item_removed"):
                page = next(d["page_url"] for d in by_code[code]["documents"] if d["numeral"] == c["numeral"])
                status, _, body = fetch(page, headers={"If-None-Match": etags[page]})
                assert status == 200  # the page changed: a conditional request gets the new body
                if c["change"] == "new_month":
                    new = next(
                        d
                        for d in after[code]["documents"]
                        if d["numeral"] == c["numeral"] and d["period"] == c["period"]
                    )
                    assert (
                        new["url"].split(":", 2)[2].split("/", 1)[1].encode() in body
                        or new["host"] != "portal"
                    )
        touched = {c["ine_code"] for c in changes}
        unchanged = [p for p in truth1["portals"] if p["ine_code"] not in touched and p["pages"]]
        assert unchanged
        for p in unchanged:  # untouched portals keep their ETags across the reload
            for url in p["pages"][:3]:
                assert fetch(url, headers={"If-None-Match": etags[url]})[0] == 304
    with fleet_server(out):  # and across a restart: ETags come from content, not from the process
        for p in unchanged[:5]:
            for url in p["pages"][:3]:
                assert fetch(url)[1]["etag"] == etags[url]


def test_sigterm_stops_cleanly(tmp_path: Path) -> None:
    out = tmp_path / "stop"
    make_fleet(out, portals=1, failures="none")
    with fleet_server(out) as proc:
        assert (out / "ready").exists()
        proc.terminate()
        assert proc.wait(timeout=10) == 0
    assert not (out / "ready").exists()
    assert "servidor detenido" in (out / "server.log").read_text()
