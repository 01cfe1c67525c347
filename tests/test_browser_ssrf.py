"""Issue 14.2: the browser is held to the crawler's address rules on every hop and on the address it
really connects to. Each test runs a crawl WITHOUT --allow-private-addresses inside its own network and
mount namespace (``unshare -m -n``: the portal gets a public-looking address on the namespace's loopback,
names come from an /etc/hosts and a DNS server the test controls; nothing leaves the machine)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = Path(__file__).parent / "fixtures" / "security" / "netns_browser_crawl.py"
SECRET = "SECRETO-INTERNO"

pytestmark = pytest.mark.browser


def _skip_reason() -> str | None:
    if not Path("/usr/bin/chromium").exists():
        return "Debian's Chromium is not installed"
    if os.geteuid() != 0:
        return "needs root for `unshare -m -n` (a private network namespace with a public-looking address)"
    if not shutil.which("unshare") or not shutil.which("ip"):
        return "`unshare` or `ip` is not available"
    probe = subprocess.run(["unshare", "-m", "-n", "true"], capture_output=True)
    if probe.returncode != 0:
        return f"`unshare -m -n` is not permitted here: {probe.stderr.decode(errors='replace').strip()}"
    try:
        import dnslib  # noqa: F401
    except ImportError:
        return "dnslib (dev extra) is not installed"
    return None


def _run(tmp_path: Path, scenario: str) -> dict[str, Any]:
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.pop("VIGIA_ALLOW_PRIVATE_ADDRESSES", None)
    done = subprocess.run(
        ["unshare", "-m", "-n", sys.executable, str(SCRIPT), str(tmp_path), scenario],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=str(ROOT),
        env=env,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_same_host_redirect_to_loopback_in_the_browser_is_refused(tmp_path: Path) -> None:
    out = _run(tmp_path, "redirect")
    assert all(SECRET not in page["text"] for page in out["pages"])
    refused = [i for i in out["incidents"] if i["kind"] == "private_address_refused"]
    assert refused and refused[0]["url"].endswith("/transparencia/")
    assert "127.0.0.1" in refused[0]["message"]
    # the portal's own page was read through the browser (the proxy let the public address through)
    assert any(page["rendered"] for page in out["pages"])
    assert out["portals"][0]["outcome"] == "partial"


def test_dns_rebinding_does_not_reach_loopback_through_the_browser(tmp_path: Path) -> None:
    out = _run(tmp_path, "rebinding")
    # Scrapy got the public answer, the browser's proxy the loopback one, and refused it
    assert out["dns_answers"][:2] == ["93.184.215.14", "127.0.0.1"]
    assert all(SECRET not in page["text"] for page in out["pages"])
    refused = [i for i in out["incidents"] if i["kind"] == "private_address_refused"]
    assert refused and "rebind.example resuelve a" in refused[0]["message"]
    assert out["portals"][0]["outcome"] != "complete"
