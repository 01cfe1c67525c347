"""Baseline for benchmarks: plain Scrapy with no processing at all.

Two shapes of work (``crawler.measure --plain-urls FILE``):

- a list of URLs, all requested from the start (a flat list: no page has to be read before its links are
  known, the highest ceiling);
- a link graph ``{"roots": [...], "children": {url: [...]}}`` recorded from a pipeline crawl: the roots
  (portal home pages) are requested from the start, and each page's recorded links are requested once that
  page has been fetched — plain Scrapy following the same links on the same pages, without reading them.
"""

from __future__ import annotations

from typing import Any

import scrapy
from scrapy.http import Response


class PlainSpider(scrapy.Spider):
    name = "plain"
    custom_settings = {"HTTPCACHE_ENABLED": False, "ROBOTSTXT_OBEY": False, "HTTPERROR_ALLOW_ALL": True}

    def __init__(
        self,
        urls: list[str] | None = None,
        graph: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.urls = list(urls or [])
        self.children: dict[str, list[str]] = {}
        if graph is not None:
            self.urls = list(graph.get("roots", []))
            self.children = {k: list(v) for k, v in graph.get("children", {}).items()}
        self.fetched = 0
        self.failed_count = 0
        self.bytes = 0

    def _request(self, url: str) -> scrapy.Request:
        return scrapy.Request(
            url, callback=self.parse, errback=self.failed, dont_filter=True, meta={"plain_node": url}
        )

    async def start(self) -> Any:
        for url in self.urls:
            yield self._request(url)

    def _follow(self, node: str | None) -> list[scrapy.Request]:
        # each recorded page's links are followed once, whether the page answered or not (the same work
        # as the pipeline's crawl, whatever happens to one request here)
        return [self._request(url) for url in self.children.pop(node or "", [])]

    def parse(self, response: Response) -> list[scrapy.Request]:
        self.fetched += 1
        self.bytes += len(response.body)
        return self._follow(response.meta.get("plain_node"))

    def failed(self, failure: Any) -> list[scrapy.Request]:
        self.failed_count += 1
        request = getattr(failure, "request", None)
        return self._follow(request.meta.get("plain_node") if request is not None else None)
