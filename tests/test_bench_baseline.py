"""The benchmarks' plain-Scrapy baseline follows the links the pipeline followed, in the same order of
discovery: a page's links are requested only after that page has been fetched."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import crawler_helpers as helpers  # tests/fixtures/crawler, on the path from conftest.py

from crawler.measure import link_graph

ROOT = Path(__file__).resolve().parent.parent

H = "http://a.test"


def _nodes(graph: dict) -> Counter[str]:
    out: Counter[str] = Counter(graph["roots"])
    for kids in graph["children"].values():
        out.update(kids)
    return out


def test_link_graph_hangs_each_fetch_from_the_page_it_was_found_on() -> None:
    pages = [
        (f"{H}/", f"{H}/inicio", None),  # the home redirects to /inicio
        (f"{H}/transparencia", f"{H}/transparencia", f"{H}/inicio"),  # referer is the final URL
        (f"{H}/app", f"{H}/app", f"{H}/transparencia"),  # read through the browser: plain fetches it raw
        (f"{H}/otro", f"{H}/otro", None),  # a second root
    ]
    documents = [
        (f"{H}/a.pdf", f"{H}/transparencia"),
        (f"{H}/b.pdf", f"{H}/app"),
        ("http://drive.test/c.pdf", f"{H}/transparencia"),
        (f"{H}/d.pdf", "http://otro.test/nunca-visto"),  # found on a page that was not fetched: a root
    ]
    graph = link_graph(pages, documents)
    assert sorted(graph["roots"]) == sorted([f"{H}/", f"{H}/otro", f"{H}/d.pdf"])
    assert graph["children"][f"{H}/"] == [f"{H}/transparencia"]
    assert graph["children"][f"{H}/transparencia"] == [f"{H}/app", f"{H}/a.pdf", "http://drive.test/c.pdf"]
    assert graph["children"][f"{H}/app"] == [f"{H}/b.pdf"]
    # the same work as the pipeline's: every fetched URL once
    want = [f"{H}/", f"{H}/transparencia", f"{H}/app", f"{H}/otro", f"{H}/a.pdf", f"{H}/b.pdf"]
    assert _nodes(graph) == Counter([*want, "http://drive.test/c.pdf", f"{H}/d.pdf"])


def test_link_graph_cycle_of_referers_still_fetches_everything_once() -> None:
    pages = [(f"{H}/x", f"{H}/x", f"{H}/y"), (f"{H}/y", f"{H}/y", f"{H}/x")]
    graph = link_graph(pages, [])
    assert _nodes(graph) == Counter([f"{H}/x", f"{H}/y"])
    assert graph["roots"]


def test_plain_scrapy_follows_the_graph_after_each_parent(tmp_path: Path) -> None:
    site = helpers.Site()
    html = ("text/html; charset=utf-8", b"<html><body>ok</body></html>")
    for path in ("/", "/s1", "/s2", "/s1/p"):
        site.files[path] = html
    site.files["/s1/p/doc.pdf"] = ("application/pdf", b"%PDF-1.4 x")
    site.files["/lista.xlsx"] = ("application/octet-stream", b"PK\x03\x04")
    with helpers.SiteServer([site]):
        b = site.base
        graph = {
            "roots": [f"{b}/"],
            "children": {
                f"{b}/": [f"{b}/s1", f"{b}/s2", f"{b}/falta"],
                f"{b}/s1": [f"{b}/s1/p"],
                f"{b}/s1/p": [f"{b}/s1/p/doc.pdf"],
                f"{b}/falta": [f"{b}/lista.xlsx"],  # a 404 page's recorded links are still followed
            },
        }
        work = tmp_path / "graph.json"
        work.write_text(json.dumps(graph), encoding="utf-8")
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "crawler.measure",
                "--plain-urls",
                str(work),
                "--set",
                "AUTOTHROTTLE_ENABLED=false",
            ],
            capture_output=True,
            text=True,
            cwd=str(ROOT),
            env={"SCRAPY_SETTINGS_MODULE": "crawler.settings", "PATH": "/usr/bin:/bin"},
            timeout=120,
            check=True,
        )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["pages"] == 7  # every response counts, the 404 too
    hits = site.hits
    assert sorted(hits) == sorted(["/", "/s1", "/s2", "/falta", "/s1/p", "/s1/p/doc.pdf", "/lista.xlsx"])
    assert hits[0] == "/"
    assert hits.index("/s1/p") > hits.index("/s1")
    assert hits.index("/s1/p/doc.pdf") > hits.index("/s1/p")
    assert hits.index("/lista.xlsx") > hits.index("/falta")
