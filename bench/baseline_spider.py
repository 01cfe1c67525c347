"""The ceiling for crawl throughput: plain Scrapy fetching the same URLs with no processing at all.

It reads the list of URLs the full pipeline fetched (one per line) and downloads each once with the same
concurrency settings, discarding the bodies. Run as ``python -m bench.baseline_spider URLS_FILE JSON_OUT``.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import scrapy
from scrapy.crawler import CrawlerProcess


class BaselineSpider(scrapy.Spider):
    name = "baseline"
    custom_settings: dict[str, Any] = {}

    def __init__(self, urls: list[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.urls = urls
        self.fetched = 0
        self.bytes = 0

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.urls:
            yield scrapy.Request(url, callback=self.parse, dont_filter=True, errback=self.failed)

    def parse(self, response: scrapy.http.Response) -> None:
        self.fetched += 1
        self.bytes += len(response.body)

    def failed(self, failure: Any) -> None:
        self.fetched += 1


def main() -> None:
    urls_file, out_file = sys.argv[1], sys.argv[2]
    concurrency = int(sys.argv[3]) if len(sys.argv) > 3 else 64
    per_host = int(sys.argv[4]) if len(sys.argv) > 4 else 4
    urls = [u.strip() for u in Path(urls_file).read_text(encoding="utf-8").splitlines() if u.strip()]
    process = CrawlerProcess(
        settings={
            "LOG_LEVEL": "ERROR",
            "ROBOTSTXT_OBEY": False,
            "TELNETCONSOLE_ENABLED": False,
            "REMOTE_CONTROL_ENABLED": False,
            "CONCURRENT_REQUESTS": concurrency,
            "CONCURRENT_REQUESTS_PER_DOMAIN": per_host,
            "DOWNLOAD_DELAY": 0,
            "RETRY_ENABLED": False,
            "COOKIES_ENABLED": False,
            "DOWNLOAD_MAXSIZE": 25 * 1024 * 1024,
            "DOWNLOAD_TIMEOUT": 30,
        }
    )
    crawler = process.create_crawler(BaselineSpider)
    started = time.perf_counter()
    process.crawl(crawler, urls=urls)
    process.start()
    wall = time.perf_counter() - started
    spider = crawler.spider
    with open(out_file, "w", encoding="utf-8") as fh:
        json.dump({"urls": len(urls), "fetched": spider.fetched, "bytes": spider.bytes, "wall_s": wall}, fh)


if __name__ == "__main__":
    main()
