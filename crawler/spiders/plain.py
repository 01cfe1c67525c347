"""Baseline for benchmarks: plain Scrapy fetching a fixed list of URLs with no processing at all."""

from __future__ import annotations

from typing import Any

import scrapy
from scrapy.http import Response


class PlainSpider(scrapy.Spider):
    name = "plain"
    custom_settings = {"HTTPCACHE_ENABLED": False, "ROBOTSTXT_OBEY": False}

    def __init__(self, urls: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.urls = urls or []
        self.fetched = 0
        self.bytes = 0

    async def start(self) -> Any:
        for url in self.urls:
            yield scrapy.Request(url, callback=self.parse, errback=self.failed, dont_filter=True)

    def parse(self, response: Response) -> None:
        self.fetched += 1
        self.bytes += len(response.body)

    def failed(self, failure: Any) -> None:
        return None
