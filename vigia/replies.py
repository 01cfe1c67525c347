"""Right of reply: a municipality answers a finding, and its portal is re-crawled at once.

A reply gives the URLs where the item is published (on the portal's own hosts or on a known document
host) and a note. It queues a re-crawl of the whole portal, with the same crawler and checks as a night,
in the database (``recrawl_jobs``), so queued jobs survive a restart; ``vigia worker`` runs them. Re-crawls
are limited per municipality and per day (UTC).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select, update

from vigia import audit
from vigia.doctypes import is_document_host
from vigia.errors import UserError
from vigia.registry import Municipality
from vigia.review import RECRAWL_KIND, current_finding, current_findings, flag_rereviews
from vigia.store.db import Store
from vigia.store.models import PortalCrawl, RecrawlJob, Reply, utcnow

MAX_URLS = 10
MAX_NOTE = 2000
DEFAULT_PER_DAY = 3
#: a job left "running" longer than this by a worker that died is queued again
STALE_RUNNING = dt.timedelta(minutes=30)


@dataclass(frozen=True)
class ReplyOutcome:
    reply_id: int
    job_id: int | None
    message: str  # Spanish, for the page or the terminal


def _netloc_and_host(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return (parts.netloc or "").lower(), (parts.hostname or "").lower()


def allowed_hosts(m: Municipality) -> set[str]:
    """The portal's hosts (with and without port) and the municipality's declared document hosts."""
    hosts: set[str] = set()
    for url in (m.portal_url or "", *m.alt_urls):
        if url:
            netloc, host = _netloc_and_host(url)
            hosts.update(h for h in (netloc, host) if h)
    hosts.update(h.strip().lower() for h in m.document_hosts if h.strip())
    return hosts


def check_urls(raw: list[str], m: Municipality) -> list[str]:
    """The reply's URLs, cleaned; a UserError naming the first one that is not acceptable."""
    urls = [u.strip() for u in raw if u and u.strip()]
    if not urls:
        raise UserError("indique al menos una URL donde se publica la información")
    if len(urls) > MAX_URLS:
        raise UserError(f"indique como máximo {MAX_URLS} URL")
    allowed = allowed_hosts(m)
    for url in urls:
        if len(url) > 2000 or any(ch.isspace() for ch in url):
            raise UserError(f"URL mal formada: {url[:120]!r}")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise UserError(f"la URL debe empezar con http:// o https://: {url[:120]!r}")
        netloc, host = _netloc_and_host(url)
        if netloc in allowed or host in allowed or is_document_host(host):
            continue
        raise UserError(
            f"la URL {url[:120]!r} no está en el portal de la municipalidad ni en un sitio de documentos conocido"
        )
    return urls


def jobs_today(session: Any, ine_code: str, now: dt.datetime) -> int:
    start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return session.scalar(
        select(func.count(RecrawlJob.id)).where(
            RecrawlJob.ine_code == ine_code, RecrawlJob.created_at >= start
        )
    )


def submit(
    session: Any,
    m: Municipality,
    numeral: int,
    urls: list[str],
    note: str,
    *,
    author: str,
    per_day: int = DEFAULT_PER_DAY,
    address: str | None = None,
) -> ReplyOutcome:
    """Store a reply and queue the portal's re-crawl (unless today's limit is reached); audited."""
    view = current_finding(session, m.ine_code, numeral)
    if view.status == "present":
        raise UserError("solo se puede responder un numeral que no está en «Cumple»")
    clean = check_urls(urls, m)
    note = (note or "").strip()[:MAX_NOTE]
    now = utcnow()
    reply = Reply(
        ine_code=m.ine_code,
        rule=view.rule,
        numeral=numeral,
        urls=clean,
        note=note,
        author=author,
        at=now,
        machine_status=view.status,
    )
    session.add(reply)
    session.flush()
    audit.record(
        session,
        author,
        "reply",
        ine_code=m.ine_code,
        subject=view.rule,
        before={"status": view.status, "machine_status": view.machine_status},
        after={"urls": clean, "note": note, "reply_id": reply.id},
        evidence=view.evidence_hashes(),
        address=address,
    )
    waiting = session.scalar(
        select(RecrawlJob).where(RecrawlJob.ine_code == m.ine_code, RecrawlJob.state == "queued").limit(1)
    )
    if waiting is not None:
        reply.job_id = waiting.id
        return ReplyOutcome(
            reply.id, waiting.id, "Respuesta registrada; el nuevo rastreo del portal ya está en cola."
        )
    if jobs_today(session, m.ine_code, now) >= per_day:
        audit.record(
            session,
            author,
            "recrawl.refused",
            ine_code=m.ine_code,
            subject=view.rule,
            after={"per_day": per_day},
        )
        return ReplyOutcome(
            reply.id,
            None,
            f"Respuesta registrada. Hoy ya se hicieron {per_day} nuevos rastreos de este portal (el límite "
            "diario): el portal se revisará en la próxima noche.",
        )
    job = RecrawlJob(ine_code=m.ine_code, reply_id=reply.id, requested_by=author, created_at=now)
    session.add(job)
    session.flush()
    reply.job_id = job.id
    audit.record(
        session,
        author,
        "recrawl.queued",
        ine_code=m.ine_code,
        subject=f"job {job.id}",
        after={"job_id": job.id},
    )
    return ReplyOutcome(
        reply.id, job.id, "Respuesta registrada; el portal se rastreará de nuevo en unos minutos."
    )


# --------------------------------------------------------------------------- the worker


def requeue_stale(store: Store, older_than: dt.timedelta = STALE_RUNNING) -> int:
    """Jobs left running by a worker that died go back to the queue."""
    with store.session() as session:
        result = session.execute(
            update(RecrawlJob)
            .where(RecrawlJob.state == "running", RecrawlJob.started_at < utcnow() - older_than)
            .values(state="queued")
        )
        return int(result.rowcount or 0)


def claim_next(store: Store) -> int | None:
    """Take the oldest queued job (atomically: two workers never take the same one)."""
    while True:
        with store.session() as session:
            job_id = session.scalar(
                select(RecrawlJob.id).where(RecrawlJob.state == "queued").order_by(RecrawlJob.id).limit(1)
            )
            if job_id is None:
                return None
            taken = session.execute(
                update(RecrawlJob)
                .where(RecrawlJob.id == job_id, RecrawlJob.state == "queued")
                .values(state="running", started_at=utcnow(), attempts=RecrawlJob.attempts + 1)
            )
            if taken.rowcount == 1:
                return job_id


def run_job(
    store: Store,
    job_id: int,
    registry: dict[str, Municipality],
    *,
    allow_private: bool,
    as_of: dt.date,
    registry_path: str | None = None,
) -> str:
    """Re-crawl and re-check one municipality; record the new verdict on its replies. Returns a line."""
    from checks.api import evaluate_portal_crawl
    from crawler.api import crawl_municipalities

    with store.session() as session:
        job = session.get(RecrawlJob, job_id)
        if job is None:
            raise UserError(f"no existe el trabajo {job_id}")
        code = job.ine_code
    try:
        m = registry.get(code)
        if m is None or not m.portal_url:
            raise UserError(f"la municipalidad {code} no está en el registro o no tiene portal")
        summary = crawl_municipalities(
            store, [m], allow_private=allow_private, kind=RECRAWL_KIND, registry_path=registry_path
        )
        with store.session() as session:
            pc_id = session.scalar(
                select(PortalCrawl.id).where(
                    PortalCrawl.run_id == summary.run_id, PortalCrawl.ine_code == code
                )
            )
        if pc_id is None:
            raise UserError(f"el nuevo rastreo de {code} no guardó resultado")
        evaluate_portal_crawl(store, pc_id, as_of)
    except Exception as exc:  # noqa: BLE001 - a failed job is recorded, never fatal to the worker
        message = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:500]
        with store.session() as session:
            job = session.get(RecrawlJob, job_id)
            job.state = "failed"  # type: ignore[union-attr]
            job.finished_at = utcnow()  # type: ignore[union-attr]
            job.error = message  # type: ignore[union-attr]
            audit.record(
                session,
                audit.SYSTEM,
                "recrawl.failed",
                ine_code=code,
                subject=f"job {job_id}",
                after={"error": message},
            )
        return f"trabajo {job_id} ({code}): falló: {message}"
    with store.session() as session:
        job = session.get(RecrawlJob, job_id)
        job.state = "done"  # type: ignore[union-attr]
        job.finished_at = utcnow()  # type: ignore[union-attr]
        job.run_id = summary.run_id  # type: ignore[union-attr]
        job.portal_crawl_id = pc_id  # type: ignore[union-attr]
        views = {v.rule: v for v in current_findings(session, [code])}
        results: dict[str, Any] = {}
        for reply in session.scalars(select(Reply).where(Reply.job_id == job_id)):
            view = views.get(reply.rule)
            if view is not None:
                reply.result_status = view.status
                reply.result_portal_crawl_id = pc_id
                results[reply.rule] = {"before": reply.machine_status, "after": view.status}
        audit.record(
            session,
            audit.SYSTEM,
            "recrawl.done",
            ine_code=code,
            subject=f"job {job_id}",
            before={rule: r["before"] for rule, r in results.items()},
            after={
                "run_id": summary.run_id,
                "portal_crawl_id": pc_id,
                **{rule: r["after"] for rule, r in results.items()},
            },
            evidence=[{"rule": rule, **{"evidence": views[rule].evidence_hashes()}} for rule in results],
        )
        flag_rereviews(session, codes=[code])
    changes = (
        ", ".join(f"{rule}: {r['before']} → {r['after']}" for rule, r in results.items()) or "sin respuestas"
    )
    return f"trabajo {job_id} ({code}): rastreo {summary.run_id} terminado; {changes}"


def work(
    store: Store,
    registry: dict[str, Municipality],
    *,
    allow_private: bool,
    as_of: Callable[[], dt.date],
    once: bool = False,
    poll: float = 2.0,
    registry_path: str | None = None,
    say: Callable[[str], None] = print,
) -> int:
    """Run queued jobs until stopped (or, with ``once``, until the queue is empty). Returns jobs run."""
    again = requeue_stale(store)
    if again:
        say(f"{again} trabajo(s) interrumpido(s) vuelven a la cola")
    done = 0
    while True:
        job_id = claim_next(store)
        if job_id is None:
            if once:
                return done
            time.sleep(poll)
            continue
        say(
            run_job(
                store,
                job_id,
                registry,
                allow_private=allow_private,
                as_of=as_of(),
                registry_path=registry_path,
            )
        )
        done += 1
