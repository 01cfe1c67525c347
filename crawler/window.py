"""The window of portals a crawl process has open at once, and each portal's state when it opens.

A process crawls ``VIGIA_ACTIVE_PORTALS`` portals at a time (each finished portal lets the next one in),
so portals finish, and are stored, steadily instead of all at the very end. At most
``VIGIA_ACTIVE_BROWSER_PORTALS`` of them need the browser: they wait for one of a few browser pages, and a
window full of them would leave the process idle.
"""

from __future__ import annotations

from typing import Any

from crawler import middlewares
from crawler.follow import portal_hosts
from crawler.spiders.platforms import strategy_for
from crawler.state import PortalState


class PortalWindow:
    def __init__(
        self,
        specs: list[dict[str, Any]],
        active_portals: int = 50,
        active_browser_portals: int = 12,
        browser_enabled: bool = True,
    ) -> None:
        self.queue = list(reversed(specs))  # popped from the end: registry (or cost) order
        self.active_portals = active_portals
        self.active_browser_portals = active_browser_portals
        self.browser_enabled = browser_enabled
        self.browser_open = 0
        self.states: dict[str, PortalState] = {}

    def uses_browser(self, spec: dict[str, Any], strategy: Any = None) -> bool:
        """Whether the portal is read through the browser from its first page (declared so)."""
        render = spec.get("render") or "auto"
        if not self.browser_enabled or render == "static":
            return False
        if render == "browser":
            return True
        if strategy is None:
            code = spec.get("municipality", {}).get("ine_code")
            strategy = strategy_for(spec.get("platform") or "unknown", code)
        return bool(strategy.browser)

    def make_state(self, spec: dict[str, Any]) -> PortalState:
        st = PortalState(
            key=spec["key"],
            start_url=spec["start_url"],
            municipality=spec.get("municipality") or {},
            platform_declared=spec.get("platform") or "unknown",
            render=spec.get("render") or "auto",
        )
        st.page_hosts |= portal_hosts(st.start_url)
        for alt in spec.get("alt_urls") or []:
            st.page_hosts |= portal_hosts(alt)
        st.document_hosts = {h.strip().lower() for h in spec.get("document_hosts") or [] if h.strip()}
        st.strategy = strategy_for(st.platform_declared, spec.get("municipality", {}).get("ine_code"))
        st.use_browser = self.uses_browser(spec, st.strategy)
        st.timed_out_before = {str(url) for url in spec.get("timed_out_before") or []}
        st.crawled_before = spec.get("crawled_before")
        middlewares.BROWSER_ALLOWED_HOSTS.update(st.page_hosts)
        return st

    def _next_spec(self) -> dict[str, Any]:
        if self.browser_open >= self.active_browser_portals:
            for i in range(len(self.queue) - 1, -1, -1):
                if not self.uses_browser(self.queue[i]):
                    return self.queue.pop(i)
        return self.queue.pop()

    def open_next(self) -> tuple[PortalState, dict[str, Any]] | None:
        """The next portal to open (its state registered), with its registry spec; ``None`` when done."""
        if not self.queue:
            return None
        spec = self._next_spec()
        st = self.states[spec["key"]] = self.make_state(spec)
        if st.use_browser:
            st.holds_browser_place = True
            self.browser_open += 1
        return st, spec

    def leave_browser(self, st: PortalState) -> None:
        if st.holds_browser_place:
            st.holds_browser_place = False
            self.browser_open -= 1

    def all_finished(self) -> bool:
        return not self.queue and all(st.finished for st in self.states.values())
