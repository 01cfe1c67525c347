"""scrapy-playwright's download handler with a hard deadline on each browser request.

Navigation and page methods have their own time-outs, but a browser request has been seen to never end
(a JavaScript portal's home page re-rendered while the browser was busy: no error, no response, the
portal waiting until the run's stall watchdog closed it 300 s later, and the crawl process unable to stop
with the request still open). ``VIGIA_BROWSER_DEADLINE`` seconds after it starts, a browser request is
cancelled and fails as a time-out, like any request that takes too long: the portal records a ``timeout``
incident and goes on.
"""

from __future__ import annotations

import asyncio
from typing import Any

from scrapy.exceptions import DownloadTimeoutError
from scrapy.http import Request, Response
from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler


class DeadlinePlaywrightHandler(ScrapyPlaywrightDownloadHandler):
    def __init__(self, crawler: Any) -> None:
        super().__init__(crawler)
        self.deadline = crawler.settings.getfloat("VIGIA_BROWSER_DEADLINE", 240.0)

    async def download_request(self, request: Request) -> Response:  # type: ignore[override]
        if not request.meta.get("playwright") or self.deadline <= 0:
            return await super().download_request(request)
        try:
            return await asyncio.wait_for(super().download_request(request), self.deadline)
        except TimeoutError:
            raise DownloadTimeoutError(
                f"el navegador no terminó {request.url} en {self.deadline:.0f} s"
            ) from None


#: Installed in every page before its own scripts run: counts the page's fetch/XHR requests in flight and
#: the time of the last change to the DOM. ``window.__vigiaSettled(quiet, most)`` is true once the page has
#: loaded, no request is in flight and nothing changed for ``quiet`` ms — or ``most`` ms after the load
#: started, whatever the page does (a page that polls for ever is still read).
SETTLE_SCRIPT = """
(() => {
  if (window.__vigiaSettled) return;
  let inflight = 0;
  let last = performance.now();
  const touch = (d) => { inflight += d; last = performance.now(); };
  const originalFetch = window.fetch;
  if (originalFetch) {
    window.fetch = function (...args) {
      touch(1);
      return originalFetch.apply(this, args).finally(() => touch(-1));
    };
  }
  const originalSend = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.send = function (...args) {
    touch(1);
    this.addEventListener("loadend", () => touch(-1), { once: true });
    return originalSend.apply(this, args);
  };
  new MutationObserver(() => { last = performance.now(); })
    .observe(document, { childList: true, subtree: true, characterData: true, attributes: true });
  window.__vigiaSettled = (quiet, most) =>
    performance.now() >= most ||
    (document.readyState === "complete" && inflight <= 0 && performance.now() - last >= quiet);
})();
"""

#: what the browser waits for after the page's load event (see SETTLE_SCRIPT); Playwright's "networkidle"
#: waits for 500 ms without any network activity on every page
SETTLE_QUIET_MS = 150
SETTLE_MOST_MS = 8000


async def install_settle_probe(page: Any, request: Request) -> None:
    """scrapy-playwright page init callback (``playwright_page_init_callback``)."""
    await page.add_init_script(SETTLE_SCRIPT)


def settle_page_methods() -> list[Any]:
    from scrapy_playwright.page import PageMethod

    return [
        PageMethod(
            "wait_for_function",
            f"() => !window.__vigiaSettled || window.__vigiaSettled({SETTLE_QUIET_MS}, {SETTLE_MOST_MS})",
            polling=50,
            timeout=SETTLE_MOST_MS + 5000,
        )
    ]
