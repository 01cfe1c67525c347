"""A crawl process drops messages under LOG_LEVEL before building them, and still logs the rest
(crawler/extensions.py ``LogLevelGate``)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.utils.log import configure_logging, install_scrapy_root_handler

from crawler.extensions import LogLevelGate
from crawler.run import build_settings
from crawler.spiders.portal import PortalSpider


@pytest.fixture
def root_logging() -> Iterator[None]:
    loggers = [logging.getLogger(), logging.getLogger("scrapy")]
    saved = [(lg.level, list(lg.handlers)) for lg in loggers]
    yield
    for lg, (level, handlers) in zip(loggers, saved, strict=True):
        for handler in lg.handlers:
            if handler not in handlers:
                lg.removeHandler(handler)
                handler.close()
        lg.setLevel(level)


def _built_records(logger: logging.Logger) -> list[int]:
    built: list[logging.LogRecord] = []
    factory = logging.getLogRecordFactory()

    def record(*args: object, **kwargs: object) -> logging.LogRecord:
        built.append(factory(*args, **kwargs))
        return built[-1]

    logging.setLogRecordFactory(record)
    try:
        logger.debug("Scraped from <200 http://127.0.0.1/>")
        logger.warning("un aviso que sí va al registro")
    finally:
        logging.setLogRecordFactory(factory)
    return [r.levelno for r in built]


def test_messages_under_the_log_level_are_not_built_and_the_rest_reach_the_file(
    tmp_path: Path, root_logging: None
) -> None:
    log_file = tmp_path / "crawl.log"
    settings = build_settings({"data_dir": str(tmp_path), "log_file": str(log_file)})
    configure_logging(settings)  # what CrawlerProcess does, with a log file
    install_scrapy_root_handler(settings)  # and again as the crawl starts
    scraper = logging.getLogger("scrapy.core.scraper")
    assert _built_records(scraper) == [logging.DEBUG, logging.WARNING]  # Scrapy's way: both are built
    crawler = Crawler(PortalSpider, settings)
    gate = LogLevelGate.from_crawler(crawler)
    crawler.signals.send_catch_log(signals.engine_started)
    assert gate.level == "WARNING"
    assert _built_records(scraper) == [logging.WARNING]
    assert _built_records(logging.getLogger("crawler.spiders.portal")) == [logging.WARNING]
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = log_file.read_text(encoding="utf-8")
    assert text.count("un aviso que sí va al registro") == 3 and "Scraped from" not in text


def test_a_debug_log_level_keeps_debug_messages(tmp_path: Path, root_logging: None) -> None:
    settings = build_settings({"data_dir": str(tmp_path), "settings": {"LOG_LEVEL": "DEBUG"}})
    LogLevelGate.from_crawler(Crawler(PortalSpider, settings)).apply()
    assert logging.getLogger("scrapy.core.scraper").isEnabledFor(logging.DEBUG)
