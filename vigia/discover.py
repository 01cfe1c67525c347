"""``vigia municipalities discover``: look for the portal of municipalities without one (or whose portal
has been unreachable for several nights), verify each candidate with evidence and write proposals.

1. **Candidate host names** come from the naming conventions the registry's own URLs show
   (:func:`derive_patterns` reads every ``portal_url`` and ``alt_urls`` and explains each host as a
   prefix + a form of the municipality's name + a suffix; docs/registry.md lists what it found).
2. **Fetching** is polite and safe: the bot's User-Agent, robots.txt obeyed, time-outs, a size cap, a few
   connections at a time, redirects followed by hand (at most 5) and every address checked with the
   crawler's rules (:func:`crawler.safety.address_problem`) before connecting. The resolver is pluggable:
   real DNS by default, a host → address mapping in tests (:class:`MappingResolver`).
3. **Verification** (:func:`assess`) is a pure function of the municipality, the registry and the fetched
   page: the page must name the municipality (``Municipalidad de …``) and its department; it is rejected
   when it is a parked domain, a news site, the homonym municipality of another department, or when the
   host does not answer. LAIP vocabulary and an official domain add confidence.
4. **Proposals** go to ``propuestas.csv`` and ``propuestas.json`` with the confidence and the evidence;
   ``--apply`` writes into the registry only those at or above :data:`APPLY_THRESHOLD`.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import json
import re
import socket
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from protego import Protego

from crawler.safety import address_problem, is_ip_literal
from vigia.config import USER_AGENT
from vigia.registry import DEPARTMENTS, Municipality
from vigia.spanish import fold

#: A proposal at or above this confidence is written into the registry by ``--apply``; below it a monitor
#: reviews it. 0.8 needs the municipality named as the site's owner, its department, and a title or LAIP
#: vocabulary that agree (see :func:`assess`).
APPLY_THRESHOLD = 0.8
#: Below this a candidate is not proposed at all (evidence too thin).
PROPOSE_THRESHOLD = 0.5
MAX_BODY_BYTES = 2 * 1024 * 1024
MAX_REDIRECTS = 5
TIMEOUT_SECONDS = 15.0
CONCURRENCY = 4
MAX_CANDIDATES = 40

# --------------------------------------------------------------------------- names and patterns

_STOP = {"de", "del", "la", "las", "los", "el", "y"}
#: Registrable suffixes seen on Guatemalan municipal sites (longest first).
SUFFIXES: tuple[str, ...] = (
    "gob.gt",
    "laip.gt",
    "com.gt",
    "org.gt",
    "net.gt",
    "gt",
    "com",
    "org",
    "net",
)
PREFIXES: tuple[str, ...] = ("municipalidadde", "municipalidad", "muni", "")


def words(text: str) -> list[str]:
    """Folded words (accents removed, lower case, letters and digits only)."""
    return [w for w in re.split(r"[^a-z0-9]+", fold(text)) if w]


def name_forms(m: Municipality) -> dict[str, str]:
    """The forms of a municipality's name that host names use, by kind."""
    ws = words(m.municipality)
    core = [w for w in ws if w not in _STOP] or ws
    dept = "".join(words(m.department))
    forms = {
        "full": "".join(ws),
        "nostop": "".join(core),
        "last": core[-1],
        "first2": "".join(ws[:2]) if len(ws) > 2 else "",
        "initials": "".join(w[0] for w in core) if len(core) >= 3 else "",
        "full+dept": "".join(ws) + dept,
        "nostop+dept": "".join(core) + dept,
    }
    last = core[-1]
    for n in range(4, 8):  # folded abbreviations: Mazatenango → mazate, Guatemala → guate
        if len(last) > n + 2:
            forms[f"short{n}"] = last[:n]
    return {k: v for k, v in forms.items() if v}


@dataclass(frozen=True, slots=True)
class Pattern:
    """``{sub.}{prefix}{form}.{suffix}``: e.g. ``muni`` + full name + ``gob.gt``."""

    prefix: str
    form: str
    suffix: str
    sub: str = ""

    @property
    def template(self) -> str:
        sub = f"{self.sub}." if self.sub else ""
        return f"{sub}{self.prefix}<{self.form}>.{self.suffix}"

    def host(self, forms: Mapping[str, str]) -> str | None:
        value = forms.get(self.form)
        if not value:
            return None
        sub = f"{self.sub}." if self.sub else ""
        return f"{sub}{self.prefix}{value}.{self.suffix}"


@dataclass
class PatternReport:
    patterns: list[tuple[Pattern, int, list[str]]]  # pattern, count, example hosts
    unexplained: list[str]

    def as_json(self) -> dict[str, Any]:
        return {
            "patterns": [
                {"template": p.template, "count": n, "examples": ex[:3]} for p, n, ex in self.patterns
            ],
            "unexplained": self.unexplained,
        }


def _split_host(host: str) -> tuple[str, str, str] | None:
    """(subdomain labels, main label, suffix) of a host name, without ``www.``."""
    host = host.lower().rstrip(".")
    if host.startswith("www."):
        host = host[4:]
    for suffix in SUFFIXES:
        if host.endswith("." + suffix):
            rest = host[: -len(suffix) - 1]
            labels = rest.split(".")
            return ".".join(labels[:-1]), labels[-1], suffix
    return None


def explain_host(host: str, m: Municipality) -> Pattern | None:
    """The pattern that builds ``host`` from the municipality's name, if any."""
    parts = _split_host(host)
    if parts is None:
        return None
    sub, main, suffix = parts
    forms = name_forms(m)
    for prefix in PREFIXES:
        if not main.startswith(prefix):
            continue
        rest = main[len(prefix) :]
        for kind, value in forms.items():
            if rest == value and not kind.startswith("short"):
                return Pattern(prefix, kind, suffix, _generic_sub(sub))
        if prefix and f"short{len(rest)}" in forms and forms[f"short{len(rest)}"] == rest:
            return Pattern(prefix, f"short{len(rest)}", suffix, _generic_sub(sub))
    return None


def _generic_sub(sub: str) -> str:
    """A subdomain label as a pattern: ``laip2024`` → ``laip``; others kept (``sitio``, ``transparencia``)."""
    return re.sub(r"\d+$", "", sub)


#: Patterns that the issue names and every discovery tries even when the registry shows none of them.
BASE_PATTERNS: tuple[Pattern, ...] = (
    Pattern("muni", "full", "gob.gt"),
    Pattern("muni", "full", "com.gt"),
    Pattern("municipalidadde", "full", "gob.gt"),
    Pattern("muni", "full", "laip.gt"),
    Pattern("", "full", "laip.gt"),
    Pattern("muni", "full", "gob.gt", "transparencia"),
)


def derive_patterns(registry: Iterable[Municipality]) -> PatternReport:
    """Explain every known host of the registry as a pattern; count them (most frequent first)."""
    found: dict[Pattern, list[str]] = {}
    unexplained: list[str] = []
    for m in registry:
        for url in (m.portal_url, *m.alt_urls):
            if not url:
                continue
            host = (urlsplit(url).hostname or "").lower()
            if not host or is_ip_literal(host):
                continue
            pattern = explain_host(host, m)
            if pattern is None:
                unexplained.append(host)
            else:
                found.setdefault(pattern, []).append(host)
    ordered = sorted(found.items(), key=lambda item: (-len(item[1]), item[0].template))
    return PatternReport([(p, len(h), sorted(set(h))) for p, h in ordered], sorted(set(unexplained)))


def candidate_hosts(m: Municipality, patterns: Sequence[Pattern], limit: int = MAX_CANDIDATES) -> list[str]:
    """Host names to try for one municipality, derived patterns first, then the base ones."""
    forms = name_forms(m)
    result: list[str] = []
    for p in [*patterns, *BASE_PATTERNS]:
        host = p.host(forms)
        if host and host not in result:
            result.append(host)
        if len(result) >= limit:
            break
    return result


# --------------------------------------------------------------------------- resolvers


class GuardedResolver(AbstractResolver):
    """Wraps a resolver and refuses answers the crawler may not visit (crawler/safety.py's rules)."""

    def __init__(self, inner: AbstractResolver, allow_private: bool) -> None:
        self.inner = inner
        self.allow_private = allow_private

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        answers = await self.inner.resolve(host, port, family)
        for a in answers:
            problem = address_problem(a["host"], self.allow_private)
            if problem:
                raise OSError(f"{host} resuelve a {problem}")
        return answers

    async def close(self) -> None:
        await self.inner.close()


class MappingResolver(AbstractResolver):
    """Resolves made-up host names from a table (``host`` → ``"127.0.0.5"`` or ``"127.0.0.5:8377"``);
    anything else does not exist. Used by the tests and the benchmark: no real DNS."""

    def __init__(self, mapping: Mapping[str, str]) -> None:
        self.mapping = {k.lower(): v for k, v in mapping.items()}

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        target = self.mapping.get(host.lower().rstrip("."))
        if target is None:
            raise OSError(f"{host}: el nombre no existe")
        ip, _, mapped_port = target.partition(":")
        return [
            ResolveResult(
                hostname=host,
                host=ip,
                port=int(mapped_port) if mapped_port else port,
                family=socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
        ]

    async def close(self) -> None:
        return None


def read_hosts_table(path: str | Path) -> dict[str, str]:
    """A hosts table for :class:`MappingResolver`: one ``host address[:port]`` per line (``#`` comments),
    or a JSON object ``{"host": "address[:port]"}``."""
    from vigia.errors import UserError

    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"no se puede leer la tabla de nombres {p}: {exc}") from None
    if text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise UserError(f"{p}: JSON inválido ({exc})") from None
        if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
            raise UserError(f"{p}: se espera un objeto {{nombre: dirección}}")
        return {str(k): v for k, v in data.items()}
    table: dict[str, str] = {}
    for n, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) != 2:
            raise UserError(f"{p}: línea {n}: se espera 'nombre dirección[:puerto]'")
        table[parts[0]] = parts[1]
    return table


def default_resolver() -> AbstractResolver:
    return aiohttp.ThreadedResolver()


# --------------------------------------------------------------------------- fetching


@dataclass
class Fetched:
    url: str
    final_url: str = ""
    status: int = 0
    content_type: str = ""
    body: bytes = b""
    redirects: list[str] = field(default_factory=list)
    error: str = ""
    error_kind: str = ""  # dns | refused | address | robots | http | not_html | network
    truncated: bool = False


class Fetcher:
    """A polite HTTP client: one session, the bot's User-Agent, robots.txt per host, time-outs, a size
    cap, redirects followed by hand with each target's address checked."""

    def __init__(
        self,
        resolver: AbstractResolver,
        allow_private: bool,
        timeout: float = TIMEOUT_SECONDS,
        concurrency: int = CONCURRENCY,
    ) -> None:
        self.resolver = GuardedResolver(resolver, allow_private)
        self.allow_private = allow_private
        self.timeout = timeout
        self.concurrency = concurrency
        self.session: aiohttp.ClientSession | None = None
        self.robots: dict[str, Protego | None] = {}
        self.semaphore = asyncio.Semaphore(concurrency)
        self.requests = 0

    async def __aenter__(self) -> Fetcher:
        connector = aiohttp.TCPConnector(
            resolver=self.resolver, limit=self.concurrency, limit_per_host=1, ssl=True
        )
        self.session = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=self.timeout, sock_connect=min(10.0, self.timeout)),
            headers={"User-Agent": USER_AGENT, "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"},
            auto_decompress=True,
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.session is not None:
            await self.session.close()

    async def resolves(self, host: str) -> str | None:
        """``None`` when the name resolves to an allowed address, else why not."""
        try:
            await self.resolver.resolve(host, 80)
        except OSError as exc:
            return str(exc) or "el nombre no existe"
        return None

    async def _get(self, url: str, cap: int) -> Fetched:
        assert self.session is not None
        result = Fetched(url=url)
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            host = urlsplit(current).hostname or ""
            if is_ip_literal(host):
                problem = address_problem(host, self.allow_private)
                if problem:
                    result.error, result.error_kind = f"redirección rechazada: {problem}", "address"
                    return result
            try:
                async with self.semaphore:
                    self.requests += 1
                    async with self.session.get(current, allow_redirects=False) as resp:
                        if resp.status in (301, 302, 303, 307, 308) and resp.headers.get("Location"):
                            nxt = urljoin(current, resp.headers["Location"])
                            if urlsplit(nxt).scheme not in ("http", "https"):
                                result.error, result.error_kind = f"redirección a {nxt!r}", "http"
                                return result
                            result.redirects.append(f"{resp.status} {nxt}")
                            current = nxt
                            continue
                        result.status = resp.status
                        result.final_url = str(resp.url)
                        result.content_type = resp.headers.get("Content-Type", "")
                        chunks: list[bytes] = []
                        size = 0
                        async for chunk in resp.content.iter_chunked(65536):
                            chunks.append(chunk)
                            size += len(chunk)
                            if size >= cap:
                                result.truncated = True
                                break
                        result.body = b"".join(chunks)[:cap]
                        return result
            except aiohttp.ClientConnectorDNSError as exc:
                text = str(exc.os_error) if exc.os_error else str(exc)
                kind = "address" if "resuelve a" in text else "dns"
                result.error, result.error_kind = text, kind
                return result
            except aiohttp.ClientConnectorError as exc:
                result.error, result.error_kind = f"sin respuesta ({exc.os_error})", "refused"
                return result
            except (TimeoutError, aiohttp.ClientError, OSError, ValueError) as exc:
                result.error = f"{type(exc).__name__}: {exc}".strip(": ")
                result.error_kind = "network"
                return result
        result.error, result.error_kind = f"más de {MAX_REDIRECTS} redirecciones", "http"
        return result

    async def allowed(self, url: str) -> bool:
        """Whether robots.txt lets the bot fetch ``url`` (a missing or unreadable robots.txt allows)."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self.robots:
            got = await self._get(origin + "/robots.txt", 512 * 1024)
            if got.status == 200 and got.body:
                self.robots[origin] = Protego.parse(got.body.decode("utf-8", "replace"))
            else:
                self.robots[origin] = None
        rules = self.robots[origin]
        return rules is None or rules.can_fetch(url, "Vigia")

    async def fetch(self, url: str) -> Fetched:
        if not await self.allowed(url):
            return Fetched(url=url, error="robots.txt no permite la visita", error_kind="robots")
        got = await self._get(url, MAX_BODY_BYTES)
        if not got.error and got.status >= 400:
            got.error, got.error_kind = f"HTTP {got.status}", "http"
        elif not got.error and "html" not in got.content_type.lower() and got.body.lstrip()[:1] != b"<":
            got.error, got.error_kind = (
                f"no es una página HTML ({got.content_type or 'sin tipo'})",
                "not_html",
            )
        return got


# --------------------------------------------------------------------------- verification

PARKED_MARKERS: tuple[str, ...] = (
    "este dominio esta en venta",
    "dominio en venta",
    "este dominio puede estar a la venta",
    "compre este dominio",
    "comprar este dominio",
    "domain is for sale",
    "this domain is for sale",
    "buy this domain",
    "this domain may be for sale",
    "domain parking",
    "parked free",
    "parked domain",
    "dominio estacionado",
    "sedo domain",
    "hugedomains",
    "related searches",
    "busquedas relacionadas",
)
NEWS_TITLE_WORDS: tuple[str, ...] = (
    "noticias",
    "noticiero",
    "diario",
    "periodico",
    "prensa",
    "news",
    "semanario",
    "radio",
    "television",
    "canal",
    "informativo",
)
NEWS_TEXT_MARKERS: tuple[str, ...] = (
    "por redaccion",
    "redaccion",
    "periodista",
    "suscribete",
    "suscribase",
    "ultima hora",
    "edicion impresa",
    "columna de opinion",
    "opinion",
    "deportes",
    "farandula",
)
#: LAIP vocabulary (folded): a municipal transparency site uses it, a parked domain or a shop does not.
LAIP_PHRASES: tuple[str, ...] = (
    "informacion publica de oficio",
    "ley de acceso a la informacion publica",
    "acceso a la informacion",
    "decreto 57 2008",
    "unidad de informacion publica",
    "articulo 10",
    "informacion publica",
    "transparencia",
    "laip",
)
OFFICIAL_SUFFIXES: tuple[str, ...] = (".gob.gt", ".laip.gt")


@dataclass
class Evidence:
    url: str
    final_url: str = ""
    title: str = ""
    matched: list[str] = field(default_factory=list)
    laip: list[str] = field(default_factory=list)
    redirects: list[str] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)


@dataclass
class Assessment:
    confidence: float
    decision: str  # proposed | rejected
    reason: str
    kind: str = "municipal"  # municipal | parked | news | homonym | dead | unverified
    evidence: Evidence | None = None


def _has(text: str, phrase: str) -> bool:
    return re.search(rf"(?<![a-z0-9]){re.escape(phrase)}(?![a-z0-9])", text) is not None


def _depts_after(text: str, name: str, own: str, window: int = 60) -> list[str]:
    """For each mention of ``name``, the first department named within ``window`` characters after it.
    "Guatemala" counts only when it is the own department (elsewhere it is the country)."""
    names = [_folded(d) for d in DEPARTMENTS.values()]
    if own != "guatemala":
        names.remove("guatemala")
    found: list[str] = []
    for occurrence in re.finditer(rf"(?<![a-z0-9]){re.escape(name)}(?![a-z0-9])", text):
        segment = text[occurrence.end() : occurrence.end() + window].replace(name, " " * len(name))
        hits = [
            (hit.start(), d)
            for d in names
            if (hit := re.search(rf"(?<![a-z0-9]){re.escape(d)}(?![a-z0-9])", segment)) is not None
        ]
        if hits:
            found.append(min(hits)[1])
    return found


def _folded(text: str) -> str:
    return " ".join(words(text))


def assess(
    m: Municipality,
    title: str,
    text: str,
    url: str,
    meta: Mapping[str, str] | None = None,
    extra_text: str = "",
) -> Assessment:
    """Verify one fetched candidate for ``m``: a pure function of the page (title, visible text, a few
    ``<meta>`` values) and the municipality. Rules (docs/registry.md):

    * **parked** (a parking or for-sale page) → rejected;
    * **news** (a news outlet's title or ``og:site_name``, or ``og:type=article``, plus newsroom
      vocabulary) → rejected, even when it names the municipality;
    * **homonym**: the name appears next to another department and never with its own → rejected;
    * otherwise the confidence adds up: the site names itself "Municipalidad de <name>" (0.40), the own
      department next to the name (0.25; anywhere 0.15), the title names the municipality (0.15), LAIP
      vocabulary (0.10 for one phrase, 0.15 for two or more), an official domain (0.05). Below
      :data:`PROPOSE_THRESHOLD` the candidate is not proposed.
    """
    meta = meta or {}
    ftitle = _folded(title)
    ftext = _folded(f"{title}\n{text}")
    fall = _folded(f"{title}\n{text}\n{extra_text}")
    name = _folded(m.municipality)
    own_dept = _folded(m.department)
    evidence = Evidence(url=url, title=title[:300])
    host = (urlsplit(url).hostname or "").lower()

    parked = [p for p in PARKED_MARKERS if _has(fall, p)]
    if parked:
        evidence.matched = parked
        return Assessment(
            0.0, "rejected", f"dominio estacionado o en venta ({parked[0]!r})", "parked", evidence
        )

    site_name = _folded(meta.get("og:site_name", ""))
    news_signals: list[str] = []
    news_in_title = [w for w in NEWS_TITLE_WORDS if _has(ftitle, w) or _has(site_name, w)]
    if news_in_title:
        news_signals.append(f"título o sitio de noticias ({news_in_title[0]})")
    if meta.get("og:type", "").lower() in ("article", "newspaper"):
        news_signals.append(f"og:type={meta['og:type']}")
    news_text = [w for w in NEWS_TEXT_MARKERS if _has(ftext, w)]
    if news_text:
        news_signals.append(f"vocabulario de redacción ({', '.join(news_text[:3])})")
    owner_in_title = _has(ftitle, f"municipalidad de {name}") or _has(ftitle, f"muni {name}")
    if len(news_signals) >= 2 and not owner_in_title:
        evidence.matched = news_signals
        return Assessment(
            0.0, "rejected", "sitio de noticias que menciona la municipalidad", "news", evidence
        )

    claim = next(
        (
            phrase
            for phrase in (
                f"municipalidad de {name}",
                f"municipalidad {name}",
                f"gobierno municipal {name}",
                f"muni {name}",
            )
            if _has(fall, phrase)
        ),
        None,
    )
    mentions = _has(fall, name)
    after = _depts_after(fall, name, own_dept)
    own_near = own_dept in after
    other_near = [d for d in after if d != own_dept]
    own_anywhere = _has(fall, own_dept)
    if mentions and other_near and not own_near:
        evidence.matched = [f"{m.municipality} junto a {other_near[0]}"]
        return Assessment(
            0.0,
            "rejected",
            f"homónimo: la página es de {m.municipality} de otro departamento ({other_near[0]})",
            "homonym",
            evidence,
        )

    score = 0.0
    matched: list[str] = []
    if claim:
        score += 0.40
        matched.append(claim)
    elif mentions:
        matched.append(name)
    if own_near:
        score += 0.25
        matched.append(f"{name} … {own_dept}")
    elif own_anywhere:
        score += 0.15
        matched.append(own_dept)
    if _has(ftitle, name) or (claim and _has(ftitle, "municipalidad")):
        score += 0.15
        matched.append("título")
    laip = [p for p in LAIP_PHRASES if _has(fall, p)]
    if laip:
        score += 0.15 if len(laip) >= 2 else 0.10
    if host.endswith(OFFICIAL_SUFFIXES):
        score += 0.05
        matched.append("dominio oficial")
    evidence.matched = matched
    evidence.laip = laip
    score = round(min(score, 1.0), 2)
    if not mentions:
        return Assessment(0.0, "rejected", "la página no nombra la municipalidad", "unverified", evidence)
    if score < PROPOSE_THRESHOLD:
        return Assessment(score, "rejected", "evidencia insuficiente", "unverified", evidence)
    return Assessment(score, "proposed", "sitio municipal verificado", "municipal", evidence)


# --------------------------------------------------------------------------- discovery


@dataclass
class Candidate:
    host: str
    url: str = ""
    status: str = ""  # no_dns | dead | refused | rejected | proposed
    reason: str = ""
    kind: str = ""
    confidence: float = 0.0
    evidence: dict[str, Any] | None = None


@dataclass
class MunicipalityResult:
    ine_code: str
    department: str
    municipality: str
    current_url: str
    why: str  # sin portal | inalcanzable N noches
    candidates: list[Candidate] = field(default_factory=list)

    @property
    def best(self) -> Candidate | None:
        proposed = [c for c in self.candidates if c.status == "proposed"]
        if not proposed:
            return None
        return max(proposed, key=lambda c: (c.confidence, c.url.startswith("https:")))


@dataclass
class DiscoveryResult:
    results: list[MunicipalityResult]
    patterns: PatternReport
    requests: int = 0
    seconds: float = 0.0

    def proposals(self) -> list[tuple[MunicipalityResult, Candidate]]:
        return [(r, b) for r in self.results if (b := r.best) is not None]

    def describe(self) -> str:
        props = self.proposals()
        above = sum(1 for _, c in props if c.confidence >= APPLY_THRESHOLD)
        tried = sum(len(r.candidates) for r in self.results)
        rejected = Counter(c.kind for r in self.results for c in r.candidates if c.status == "rejected")
        rej = ", ".join(f"{k}: {v}" for k, v in sorted(rejected.items())) or "ninguno"
        return (
            f"Descubrimiento: {len(self.results)} municipalidades, {tried} nombres probados, "
            f"{self.requests} solicitudes; {len(props)} propuestas ({above} con confianza ≥ "
            f"{APPLY_THRESHOLD:g}); candidatos rechazados por tipo: {rej}; {self.seconds:.1f} s"
        )


def _meta(body: bytes) -> dict[str, str]:
    import lxml.html

    try:
        root = lxml.html.fromstring(body[:500_000])
    except (ValueError, TypeError, lxml.etree.ParserError):
        return {}
    out: dict[str, str] = {}
    for el in root.iter("meta"):
        key = (el.get("property") or el.get("name") or "").strip().lower()
        if key in ("og:type", "og:site_name", "generator", "description") and el.get("content"):
            out[key] = el.get("content", "").strip()[:300]
    return out


async def _check_candidate(fetcher: Fetcher, m: Municipality, host: str, schemes: Sequence[str]) -> Candidate:
    from crawler.htmlparse import is_transparency_link, parse_html

    cand = Candidate(host=host)
    problem = await fetcher.resolves(host)
    if problem and "resuelve a" not in problem and not await fetcher.resolves("www." + host):
        host = cand.host = "www." + host  # many sites answer only under www.
        problem = None
    if problem:
        cand.status = "no_dns" if "resuelve a" not in problem else "refused"
        cand.reason = problem
        cand.kind = "dns" if cand.status == "no_dns" else "address"
        return cand
    got: Fetched | None = None
    for scheme in schemes:
        got = await fetcher.fetch(f"{scheme}://{host}/")
        if got.error_kind not in ("refused", "network"):
            break
    assert got is not None
    cand.url = got.url
    if got.error:
        dead = got.error_kind in ("refused", "network")
        cand.status = "rejected"
        cand.kind = "dead" if dead else got.error_kind
        cand.reason = "el nombre existe pero el sitio no responde: " + got.error if dead else got.error
        return cand
    final = got.final_url or got.url
    parsed = parse_html(got.body, final)
    meta = _meta(got.body)
    extra = ""
    pages = [final]
    transparency = next(
        (
            link.url
            for link in parsed.links
            if is_transparency_link(link) and urlsplit(link.url).hostname == urlsplit(final).hostname
        ),
        None,
    )
    if transparency and transparency.rstrip("/") != final.rstrip("/"):
        more = await fetcher.fetch(transparency)
        if not more.error:
            extra = parse_html(more.body, more.final_url or transparency).text[:50_000]
            pages.append(more.final_url or transparency)
    verdict = assess(m, parsed.title, parsed.text[:100_000], final, meta, extra)
    cand.status, cand.reason, cand.kind, cand.confidence = (
        verdict.decision,
        verdict.reason,
        verdict.kind,
        verdict.confidence,
    )
    if verdict.evidence is not None:
        verdict.evidence.final_url = final
        verdict.evidence.redirects = got.redirects
        verdict.evidence.pages = pages
        cand.evidence = asdict(verdict.evidence)
    # the proposal is the site's home as it answered (after redirects), without the path
    parts = urlsplit(final)
    cand.url = f"{parts.scheme}://{parts.netloc}/"
    return cand


async def _discover_async(
    targets: Sequence[tuple[Municipality, str]],
    patterns: Sequence[Pattern],
    resolver: AbstractResolver | None,
    allow_private: bool,
    schemes: Sequence[str],
    timeout: float,
    concurrency: int,
    progress: Callable[[str], None] | None,
) -> tuple[list[MunicipalityResult], int]:
    results: list[MunicipalityResult] = []
    resolver = resolver or default_resolver()  # created inside the running loop
    async with Fetcher(resolver, allow_private, timeout=timeout, concurrency=concurrency) as fetcher:

        async def one(m: Municipality, why: str) -> MunicipalityResult:
            res = MunicipalityResult(m.ine_code, m.department, m.municipality, m.portal_url or "", why)
            # the row's alt_urls (addresses waiting for confirmation) are verified first
            alt = [(urlsplit(u).hostname or "").lower() for u in m.alt_urls]
            hosts = list(dict.fromkeys(h for h in [*alt, *candidate_hosts(m, patterns)] if h))
            current = (urlsplit(m.portal_url).hostname or "").lower() if m.portal_url else ""
            hosts = [h for h in hosts if h != current]
            res.candidates = list(
                await asyncio.gather(*(_check_candidate(fetcher, m, h, schemes) for h in hosts))
            )
            if progress:
                best = res.best
                progress(
                    f"{m.ine_code} {m.municipality}: "
                    + (f"propuesta {best.url} (confianza {best.confidence:.2f})" if best else "sin propuesta")
                )
            return res

        results = list(await asyncio.gather(*(one(m, why) for m, why in targets)))
        requests = fetcher.requests
    return results, requests


def discover(
    targets: Sequence[tuple[Municipality, str]],
    registry: Sequence[Municipality],
    *,
    resolver: AbstractResolver | None = None,
    allow_private: bool = False,
    schemes: Sequence[str] = ("https", "http"),
    timeout: float = TIMEOUT_SECONDS,
    concurrency: int = CONCURRENCY,
    progress: Callable[[str], None] | None = None,
) -> DiscoveryResult:
    """Look for the portals of ``targets`` (municipality, why); patterns come from ``registry``."""
    import time

    started = time.monotonic()
    report = derive_patterns(registry)
    patterns = [p for p, _, _ in report.patterns]
    results, requests = asyncio.run(
        _discover_async(
            targets,
            patterns,
            resolver,
            allow_private,
            schemes,
            timeout,
            concurrency,
            progress,
        )
    )
    return DiscoveryResult(results, report, requests, time.monotonic() - started)


# --------------------------------------------------------------------------- targets, output, apply


def unreachable_nights(store: Any, codes: Iterable[str], nights: int) -> dict[str, int]:
    """For each code, how many of its latest crawls in a row ended ``unreachable`` (only codes with at
    least ``nights`` such crawls)."""
    from sqlalchemy import select

    from vigia.store.models import CrawlRun, PortalCrawl

    wanted = set(codes)
    streak: dict[str, int] = {}
    broken: set[str] = set()
    with store.session() as s:
        rows = s.execute(
            select(PortalCrawl.ine_code, PortalCrawl.outcome)
            .join(CrawlRun, CrawlRun.id == PortalCrawl.run_id)
            .where(
                PortalCrawl.ine_code.in_(wanted), CrawlRun.kind != "audit", PortalCrawl.outcome.is_not(None)
            )
            .order_by(PortalCrawl.run_id.desc())
        ).all()
    for code, outcome in rows:
        if code in broken:
            continue
        if outcome == "unreachable":
            streak[code] = streak.get(code, 0) + 1
        else:
            broken.add(code)
    return {code: n for code, n in streak.items() if n >= nights}


def choose_targets(
    registry: Sequence[Municipality], only: Sequence[str] | None, unreachable: Mapping[str, int]
) -> list[tuple[Municipality, str]]:
    """Municipalities without a portal, and those whose portal has been unreachable (``unreachable``);
    ``only`` narrows the list (a code named there is searched even when its portal works)."""
    rows = list(registry)
    if only:
        by_code = {m.ine_code: m for m in rows}
        out = []
        for code in only:
            m = by_code[code]
            if not m.portal_url:
                out.append((m, "sin portal conocido"))
            elif code in unreachable:
                out.append((m, f"portal inalcanzable {unreachable[code]} noches seguidas"))
            else:
                out.append((m, "pedido con --only"))
        return out
    out = []
    for m in rows:
        if not m.active:
            continue
        if not m.portal_url:
            out.append((m, "sin portal conocido"))
        elif m.ine_code in unreachable:
            out.append((m, f"portal inalcanzable {unreachable[m.ine_code]} noches seguidas"))
    return out


CSV_FIELDS: tuple[str, ...] = (
    "ine_code",
    "department",
    "municipality",
    "motivo",
    "portal_actual",
    "propuesta",
    "confianza",
    "aplicable",
    "titulo",
    "evidencia",
    "vocabulario_laip",
    "url_consultada",
    "nombres_probados",
    "rechazados",
)


def write_proposals(result: DiscoveryResult, out: Path, when: dt.datetime | None = None) -> tuple[Path, Path]:
    """Write ``propuestas.csv`` (one row per municipality searched) and ``propuestas.json`` (everything)."""
    out.mkdir(parents=True, exist_ok=True)
    when = when or dt.datetime.now(dt.UTC)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for r in result.results:
        best = r.best
        ev = (best.evidence or {}) if best else {}
        rejected = [f"{c.host}: {c.reason}" for c in r.candidates if c.status == "rejected"]
        writer.writerow(
            [
                r.ine_code,
                r.department,
                r.municipality,
                r.why,
                r.current_url,
                best.url if best else "",
                f"{best.confidence:.2f}" if best else "",
                ("sí" if best.confidence >= APPLY_THRESHOLD else "no (revisar)") if best else "",
                ev.get("title", ""),
                "; ".join(ev.get("matched", [])),
                "; ".join(ev.get("laip", [])),
                ev.get("final_url", ""),
                len(r.candidates),
                " | ".join(rejected),
            ]
        )
    csv_path = out / "propuestas.csv"
    csv_path.write_text(buf.getvalue(), encoding="utf-8")
    payload = {
        "generated_at": when.isoformat(timespec="seconds"),
        "apply_threshold": APPLY_THRESHOLD,
        "propose_threshold": PROPOSE_THRESHOLD,
        "patterns": result.patterns.as_json(),
        "requests": result.requests,
        "municipalities": [
            {
                "ine_code": r.ine_code,
                "department": r.department,
                "municipality": r.municipality,
                "why": r.why,
                "current_url": r.current_url or None,
                "proposal": (
                    {"url": b.url, "confidence": b.confidence, "evidence": b.evidence}
                    if (b := r.best)
                    else None
                ),
                "candidates": [asdict(c) for c in r.candidates if c.status != "no_dns"],
                "names_tried": [c.host for c in r.candidates],
            }
            for r in result.results
        ],
    }
    json_path = out / "propuestas.json"
    json_path.write_text(json.dumps(payload, ensure_ascii=False, indent=2), encoding="utf-8")
    return csv_path, json_path


def apply_proposals(
    text: str, result: DiscoveryResult, when: str | None = None
) -> tuple[str, list[str], list[str]]:
    """The registry's text with every proposal at or above :data:`APPLY_THRESHOLD` written in: the new
    ``portal_url``, its provenance in ``portal_source``, and the previous address (if any) in ``notes``.
    Returns the text, what was applied and what was skipped (an address already another row's portal)."""
    from vigia.registry import parse_registry
    from vigia.registry_edit import rewrite_registry

    when = when or dt.date.today().isoformat()
    rows = {m.ine_code: m for m in parse_registry(text)}
    updates: dict[str, dict[str, str]] = {}
    applied: list[str] = []
    skipped: list[str] = []
    used = {(m.portal_url or "").rstrip("/").lower(): m.ine_code for m in rows.values() if m.portal_url}
    for r, best in result.proposals():
        if best.confidence < APPLY_THRESHOLD:
            continue
        owner = used.get(best.url.rstrip("/").lower())
        if owner is not None and owner != r.ine_code:
            skipped.append(f"{r.ine_code}: {best.url} ya es el portal de {owner} en el registro")
            continue
        used[best.url.rstrip("/").lower()] = r.ine_code
        m = rows[r.ine_code]
        ev = best.evidence or {}
        source = (
            f"descubierta por vigia municipalities discover; confianza {best.confidence:.2f}; "
            f"evidencia: {'; '.join(ev.get('matched', []))}; título {ev.get('title', '')!r}; "
            f"consultada {ev.get('final_url', best.url)}; {when}"
        )
        change = {"portal_url": best.url, "portal_source": source}
        if m.portal_url:
            change["notes"] = (m.notes + " / " if m.notes else "") + (
                f"portal anterior {m.portal_url} ({r.why}), reemplazado {when}"
            )
        updates[r.ine_code] = change
        applied.append(f"{r.ine_code} {best.url} ({best.confidence:.2f})")
    return (rewrite_registry(text, updates) if updates else text), applied, skipped
