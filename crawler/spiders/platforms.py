"""Platform strategies (querido-diario style: one base per vendor platform, a municipality with an odd
site gets a small subclass). The spider asks its portal's strategy for extra entry points, for which
links lead into / stay inside the transparency section, and which URLs are platform noise.

Routing: the registry's ``platform`` column picks the strategy; for ``unknown`` portals the platform
observed on the home page (generator meta tag, wp-content, /wp-json, Joomla markers, laip.gt patterns)
picks it once the home page is parsed.
"""

from __future__ import annotations

import re
from typing import ClassVar
from urllib.parse import urljoin, urlsplit

from crawler.htmlparse import Link, is_numeral_link, is_transparency_link
from vigia.spanish import fold


class Strategy:
    """Generic portal: find the transparency section from the home page, then crawl it."""

    name: ClassVar[str] = "unknown"
    #: URL fragments that are platform noise (feeds, logins, print views, search…).
    noise: ClassVar[re.Pattern[str]] = re.compile(
        r"/feed/?$|/rss|\.rss$|/login|/wp-login|/wp-admin|/administrator|[?&](?:print|tmpl|format)=|"
        r"/search\?|[?&]s=|/buscar|replytocom=|/xmlrpc|/comments/|share=|/cdn-cgi/|/oembed",
        re.I,
    )
    #: Always render this platform's pages with the browser.
    browser: ClassVar[bool] = False

    def entry_points(self, home_url: str) -> list[tuple[str, str]]:
        """Extra (url, label) entry points into the section, beyond what the home page links."""
        return []

    def is_noise(self, url: str) -> bool:
        return bool(self.noise.search(url))

    def home_is_section(self, links: list[Link]) -> bool:
        """Some portals *are* the transparency section (a home page listing the numerals)."""
        numerals = sum(1 for link in links if re.search(r"numeral|inciso", fold(link.label)))
        return numerals >= 8

    def is_section_entry(self, link: Link) -> bool:
        return is_transparency_link(link)

    def follow_in_section(self, link: Link, section_roots: set[str]) -> bool:
        """Inside the section: follow content links; menu links only when they look like the section's."""
        if not link.in_nav:
            return True
        if is_numeral_link(link):
            return True
        path = urlsplit(link.url).path
        return any(path.startswith(root) and root not in ("", "/") for root in section_roots)


class StaticStrategy(Strategy):
    """Hand-made static HTML (tables of months by numeral)."""

    name = "static"


class WordPressStrategy(Strategy):
    """WordPress: ``?page_id=`` pages, accordions, and the REST API's page list as an entry point."""

    name = "wordpress"
    noise = re.compile(
        Strategy.noise.pattern + r"|/tag/|/author/|/category/|/wp-json/(?!wp/v2/pages)|/wp-content/themes/|"
        r"/wp-includes/|\?p=\d+&|/page/\d+/?\?",
        re.I,
    )

    def entry_points(self, home_url: str) -> list[tuple[str, str]]:
        return [
            (
                urljoin(home_url, "/wp-json/wp/v2/pages?per_page=100&_fields=id,link,title"),
                "API de páginas de WordPress",
            )
        ]


class JoomlaStrategy(Strategy):
    """Joomla: menu items as ``index.php/<id>-<alias>``; menus are modules, so follow them by pattern."""

    name = "joomla"
    noise = re.compile(
        Strategy.noise.pattern + r"|/component/(?:users|mailto|search)|option=com_(?:users|mailto|search)|"
        r"task=|/index\.php\?format=",
        re.I,
    )
    item = re.compile(r"index\.php/(?:[\w-]+/)*\d+-[\w-]+")

    def follow_in_section(self, link: Link, section_roots: set[str]) -> bool:
        return super().follow_in_section(link, section_roots) or (
            bool(self.item.search(link.url)) and is_numeral_link(link)
        )


class LaipStandardStrategy(JoomlaStrategy):
    """The standard LAIP portal (``*.laip.gt``): one page per numeral (``index.php/26-archivo``); the
    whole site is the transparency section."""

    name = "laip_standard"
    numeral_page = re.compile(r"index\.php/(?:[\w-]+/)*(\d{1,2})-[\w-]+")

    def home_is_section(self, links: list[Link]) -> bool:
        return True

    def follow_in_section(self, link: Link, section_roots: set[str]) -> bool:
        return bool(self.numeral_page.search(link.url)) or super().follow_in_section(link, section_roots)


class JavascriptStrategy(Strategy):
    """Portals whose content only exists after scripts run: every page through Chromium."""

    name = "javascript"
    browser = True


STRATEGIES: dict[str, type[Strategy]] = {
    cls.name: cls
    for cls in (
        Strategy,
        StaticStrategy,
        WordPressStrategy,
        JoomlaStrategy,
        LaipStandardStrategy,
        JavascriptStrategy,
    )
}

#: Odd sites: registry INE code → a small subclass (add one here rather than forking a strategy).
OVERRIDES: dict[str, type[Strategy]] = {}


def strategy_for(platform: str, ine_code: str | None = None) -> Strategy:
    if ine_code and ine_code in OVERRIDES:
        return OVERRIDES[ine_code]()
    return STRATEGIES.get(platform, Strategy)()
