"""Vigía's spiders: :class:`~crawler.spiders.portal.PortalSpider` (many portals at once, one platform
strategy per portal) and :class:`~crawler.spiders.plain.PlainSpider` (the no-processing baseline for
benchmarks)."""
