"""The evidence store and the findings store: SQLAlchemy 2.x typed models.

One direction: the crawler writes ``CrawlRun`` / ``PortalCrawl`` / ``Page`` / ``Document`` /
``Incident`` (evidence, never a verdict); the checks runner reads them, builds an immutable snapshot
and writes ``Evaluation`` / ``Finding`` (derived data, reproducible from the evidence and ``as_of``).
Raw bodies live outside the database, content-addressed by sha256 (see :mod:`vigia.store.blobs`);
``Blob`` rows index them.

JSON shapes kept in columns (the contract between crawler and checks):

``Page.blocks`` — the page cut into sections, in document order::

    [{"headings": ["Información Pública de Oficio", "Numeral 8 - Ejecución presupuestaria"],
      "text": "visible text of the section (no markup)",
      "links": [{"url": "https://…/ejecucion-agosto-2026.pdf", "label": "Ejecución agosto 2026"}]}]

``Page.trail`` / ``Document.trail`` — the headings and link texts that led from the home page to the
page (for a document: the page's trail plus the section headings above the link).

``Document.mentions`` — every other place the same document URL was linked:
``[{"page_url": …, "label": …, "trail": [...]}]``.

``Finding.evidence`` — ``[{"url", "label", "period", "page_url", "sha256"}]`` (docs/CONTRACTS.md).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

#: A portal crawl's outcome (``PortalCrawl.outcome``), and those where the crawl never reached the
#: portal's content: a finding is then "No verificable", never "No publicado". Defined here, once, for
#: the crawler (which may not import the checks) and for the checks, the reports and the fleet.
OUTCOMES = ("complete", "partial", "unreachable", "blocked", "disallowed")
FAILED_OUTCOMES = OUTCOMES[2:]
#: A finding's status codes (``Finding.status``); their Spanish labels are ``checks.model.STATUS_LABELS``.
STATUSES = ("present", "outdated", "absent", "not_applicable", "unverified")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class CrawlRun(Base):
    """One execution of ``vigia crawl`` / ``nightly`` / ``audit``."""

    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default="crawl")  # crawl | nightly | audit
    status: Mapped[str] = mapped_column(
        String(16), default="running"
    )  # running | finished | interrupted | failed
    started_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    registry_path: Mapped[str | None] = mapped_column(Text)
    vigia_version: Mapped[str] = mapped_column(String(32), default="")
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    note: Mapped[str | None] = mapped_column(Text)
    #: the process running the crawl and its last sign of life (crawler/liveness.py): a "running" run
    #: whose process is gone is marked "interrupted" by the next crawl or ``vigia runs``
    host: Mapped[str | None] = mapped_column(String(255))
    pid: Mapped[int | None] = mapped_column(Integer)
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    portals: Mapped[list[PortalCrawl]] = relationship(back_populates="run", cascade="all, delete-orphan")


class PortalCrawl(Base):
    """The crawl of one portal within a run, with its outcome (``None`` while in progress)."""

    __tablename__ = "portal_crawls"
    __table_args__ = (UniqueConstraint("run_id", "portal_key", name="uq_portal_crawl_run_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("crawl_runs.id", ondelete="CASCADE"), index=True)
    portal_key: Mapped[str] = mapped_column(String(512))  # ine_code, or the URL for an audit
    ine_code: Mapped[str | None] = mapped_column(String(4), index=True)
    municipality: Mapped[str | None] = mapped_column(String(200))
    department: Mapped[str | None] = mapped_column(String(100))
    portal_url: Mapped[str] = mapped_column(Text)
    platform_declared: Mapped[str] = mapped_column(String(32), default="unknown")
    platform_observed: Mapped[str | None] = mapped_column(String(32))
    rendered_with_browser: Mapped[bool] = mapped_column(Boolean, default=False)
    transparency_url: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(String(16))  # one of OUTCOMES
    outcome_reason: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    pages_count: Mapped[int] = mapped_column(Integer, default=0)
    documents_count: Mapped[int] = mapped_column(Integer, default=0)
    requests_count: Mapped[int] = mapped_column(Integer, default=0)
    bytes_received: Mapped[int] = mapped_column(BigInteger, default=0)
    not_modified_count: Mapped[int] = mapped_column(Integer, default=0)
    stats: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    run: Mapped[CrawlRun] = relationship(back_populates="portals")
    pages: Mapped[list[Page]] = relationship(back_populates="portal", cascade="all, delete-orphan")
    documents: Mapped[list[Document]] = relationship(back_populates="portal", cascade="all, delete-orphan")
    incidents: Mapped[list[Incident]] = relationship(back_populates="portal", cascade="all, delete-orphan")
    evaluations: Mapped[list[Evaluation]] = relationship(
        back_populates="portal", cascade="all, delete-orphan"
    )


class Page(Base):
    """An HTML page as fetched (or rendered), with provenance and its sections."""

    __tablename__ = "pages"
    __table_args__ = (UniqueConstraint("portal_crawl_id", "url", name="uq_page_portal_url"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    portal_crawl_id: Mapped[int] = mapped_column(
        ForeignKey("portal_crawls.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(Text)  # as asked
    final_url: Mapped[str] = mapped_column(Text)  # after redirects
    status: Mapped[int] = mapped_column(Integer)
    fetched_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    sha256: Mapped[str | None] = mapped_column(String(64))
    content_type: Mapped[str | None] = mapped_column(String(128))
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    title: Mapped[str | None] = mapped_column(Text)
    depth: Mapped[int] = mapped_column(Integer, default=0)
    referer: Mapped[str | None] = mapped_column(Text)
    trail: Mapped[list[Any]] = mapped_column(JSON, default=list)
    blocks: Mapped[list[Any]] = mapped_column(JSON, default=list)
    text: Mapped[str | None] = mapped_column(Text)
    rendered: Mapped[bool] = mapped_column(Boolean, default=False)
    from_cache: Mapped[bool] = mapped_column(Boolean, default=False)
    last_modified: Mapped[str | None] = mapped_column(String(64))

    portal: Mapped[PortalCrawl] = relationship(back_populates="pages")


class Document(Base):
    """A document linked from the portal (PDF, XLSX, DOCX, … or a link to another host)."""

    __tablename__ = "documents"
    __table_args__ = (
        UniqueConstraint("portal_crawl_id", "url", name="uq_document_portal_url"),
        Index("ix_documents_sha256", "sha256"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    portal_crawl_id: Mapped[int] = mapped_column(
        ForeignKey("portal_crawls.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(Text)
    final_url: Mapped[str | None] = mapped_column(Text)
    label: Mapped[str] = mapped_column(Text, default="")
    page_url: Mapped[str | None] = mapped_column(Text)
    trail: Mapped[list[Any]] = mapped_column(JSON, default=list)
    mentions: Mapped[list[Any]] = mapped_column(JSON, default=list)
    host: Mapped[str] = mapped_column(String(255), default="")
    external: Mapped[bool] = mapped_column(Boolean, default=False)
    doc_type: Mapped[str] = mapped_column(
        String(16), default="other"
    )  # pdf xlsx xls docx doc ods csv image zip other
    fetched: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[int | None] = mapped_column(Integer)
    content_type: Mapped[str | None] = mapped_column(String(128))
    size: Mapped[int | None] = mapped_column(BigInteger)
    last_modified: Mapped[str | None] = mapped_column(String(64))
    sha256: Mapped[str | None] = mapped_column(String(64))
    text: Mapped[str | None] = mapped_column(Text)
    dates: Mapped[list[Any]] = mapped_column(JSON, default=list)
    page_count: Mapped[int | None] = mapped_column(Integer)
    is_scanned: Mapped[bool | None] = mapped_column(Boolean)
    error: Mapped[str | None] = mapped_column(Text)
    fetched_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    portal: Mapped[PortalCrawl] = relationship(back_populates="documents")


class Incident(Base):
    """Something that went wrong or was refused during a crawl (never a compliance verdict)."""

    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(primary_key=True)
    portal_crawl_id: Mapped[int] = mapped_column(
        ForeignKey("portal_crawls.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(48))
    url: Mapped[str | None] = mapped_column(Text)
    message: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    portal: Mapped[PortalCrawl] = relationship(back_populates="incidents")


class Blob(Base):
    """Index of a raw body kept in the content-addressed blob store."""

    __tablename__ = "blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    content_type: Mapped[str | None] = mapped_column(String(128))
    first_seen: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Evaluation(Base):
    """The checks' result for one portal crawl at one ``as_of`` date with one rules version."""

    __tablename__ = "evaluations"
    __table_args__ = (UniqueConstraint("portal_crawl_id", "as_of", "rules_version", name="uq_evaluation"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    portal_crawl_id: Mapped[int] = mapped_column(
        ForeignKey("portal_crawls.id", ondelete="CASCADE"), index=True
    )
    as_of: Mapped[dt.date] = mapped_column(Date)
    rules_version: Mapped[str] = mapped_column(String(32))
    score: Mapped[float | None] = mapped_column(Float)
    band: Mapped[str | None] = mapped_column(String(16))
    no_score_reason: Mapped[str | None] = mapped_column(Text)
    #: what was judged: the rules' fingerprint, ``as_of`` and the snapshot's content (checks/runner.py);
    #: another evaluation with the same key copies this one's findings instead of judging again
    snapshot_key: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    portal: Mapped[PortalCrawl] = relationship(back_populates="evaluations")
    findings: Mapped[list[Finding]] = relationship(
        back_populates="evaluation", cascade="all, delete-orphan", order_by="Finding.position"
    )


class Finding(Base):
    """One rule's verdict on one portal, with the evidence behind it."""

    __tablename__ = "findings"
    __table_args__ = (Index("ix_findings_rule_status", "rule", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    rule: Mapped[str] = mapped_column(String(32))
    numeral: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))  # one of STATUSES (portal-level rules may also use them)
    reason: Mapped[str] = mapped_column(Text, default="")
    period: Mapped[str | None] = mapped_column(String(32))
    evidence: Mapped[list[Any]] = mapped_column(JSON, default=list)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    confidence: Mapped[str | None] = mapped_column(String(8))  # high | medium | low (checks/confidence.py)
    confidence_reasons: Mapped[list[Any] | None] = mapped_column(JSON)  # reason codes that set it

    evaluation: Mapped[Evaluation] = relationship(back_populates="findings")


class EvidenceArchive(Base):
    """The WACZ evidence archives of one run and its manifest (``vigia/evidence``, docs/evidence.md).

    ``manifest_sha256`` is the sha256 of the run's ``manifest.json`` (which lists every archive's and
    every WARC record's hash); ``previous_manifest_sha256`` is the manifest hash of the previous archived
    run, also written inside the manifest, so the manifests form a chain: altering or deleting a past
    night's evidence breaks it (``vigia evidence verify``)."""

    __tablename__ = "evidence_archives"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(
        ForeignKey("crawl_runs.id", ondelete="CASCADE"), unique=True, index=True
    )
    folder: Mapped[str] = mapped_column(Text)  # relative to the data directory
    manifest_sha256: Mapped[str] = mapped_column(String(64))
    previous_run_id: Mapped[int | None] = mapped_column(Integer)
    previous_manifest_sha256: Mapped[str | None] = mapped_column(String(64))
    archives_count: Mapped[int] = mapped_column(Integer, default=0)
    records_count: Mapped[int] = mapped_column(Integer, default=0)
    bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


# --------------------------------------------------------------------------- the review workspace
# Accounts, reviews, replies, re-crawl jobs and the audit trail (docs/review.md). Reviews and replies are
# stored beside the findings, never instead of them: findings stay derived data.

ROLES = ("admin", "analyst", "municipality")
REVIEW_ACTIONS = ("confirm", "override")
JOB_STATES = ("queued", "running", "done", "failed")


class User(Base):
    """An account of the review workspace (``vigia users add``)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(Text)  # argon2id
    role: Mapped[str] = mapped_column(String(16))  # one of ROLES
    ine_code: Mapped[str | None] = mapped_column(String(4))  # the municipality of a municipality account
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class LoginAttempt(Base):
    """One try at /login (failed ones slow down, then lock, the account and the address)."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_email_at", "email", "at"),
        Index("ix_login_attempts_address_at", "address", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    email: Mapped[str] = mapped_column(String(254))
    address: Mapped[str] = mapped_column(String(64), default="")
    success: Mapped[bool] = mapped_column(Boolean, default=False)


class Review(Base):
    """An analyst's decision on one finding (confirm or override), with the evidence it was made on.

    The newest review of (``ine_code``, ``rule``) governs while the evidence's fingerprint is unchanged.
    """

    __tablename__ = "reviews"
    __table_args__ = (Index("ix_reviews_code_rule", "ine_code", "rule"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ine_code: Mapped[str] = mapped_column(String(4))
    rule: Mapped[str] = mapped_column(String(32))
    numeral: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))  # confirm | override
    status: Mapped[str] = mapped_column(String(16))  # the status the reviewer settled on
    machine_status: Mapped[str] = mapped_column(String(16))  # the machine's, when reviewed
    reason: Mapped[str] = mapped_column(Text, default="")
    reviewer: Mapped[str] = mapped_column(String(254))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    portal_crawl_id: Mapped[int | None] = mapped_column(Integer)
    fingerprint: Mapped[str] = mapped_column(String(64))
    evidence: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [{"url", "sha256"}] reviewed
    rereview_since: Mapped[dt.datetime | None] = mapped_column(DateTime)  # set when the evidence changed


class Reply(Base):
    """A municipality's answer to a finding that is not "Cumple": where the item is published."""

    __tablename__ = "replies"
    __table_args__ = (Index("ix_replies_code_rule", "ine_code", "rule"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ine_code: Mapped[str] = mapped_column(String(4))
    rule: Mapped[str] = mapped_column(String(32))
    numeral: Mapped[int | None] = mapped_column(Integer)
    urls: Mapped[list[Any]] = mapped_column(JSON, default=list)
    note: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str] = mapped_column(String(254))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    machine_status: Mapped[str] = mapped_column(String(16))  # the finding's status when answered
    job_id: Mapped[int | None] = mapped_column(Integer)
    result_status: Mapped[str | None] = mapped_column(String(16))  # the re-crawl's verdict
    result_portal_crawl_id: Mapped[int | None] = mapped_column(Integer)


class RecrawlJob(Base):
    """A queued re-crawl of one municipality's portal (run by ``vigia worker``)."""

    __tablename__ = "recrawl_jobs"
    __table_args__ = (Index("ix_recrawl_jobs_state", "state", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ine_code: Mapped[str] = mapped_column(String(4), index=True)
    reply_id: Mapped[int | None] = mapped_column(Integer)
    requested_by: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    state: Mapped[str] = mapped_column(String(16), default="queued")  # one of JOB_STATES
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    run_id: Mapped[int | None] = mapped_column(Integer)
    portal_crawl_id: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)


class AuditEntry(Base):
    """One line of the append-only audit trail: who, when, what, before and after, evidence hashes."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(48))
    ine_code: Mapped[str | None] = mapped_column(String(4))
    subject: Mapped[str | None] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    evidence: Mapped[list[Any] | None] = mapped_column(JSON)
    address: Mapped[str | None] = mapped_column(String(64))


class OutboxMessage(Base):
    """One notification, written here before it is sent (``reports/notify``).

    ``key`` is the idempotency key ``kind:night:recipient``: composing the same night again adds nothing,
    so a re-run sends nothing twice. ``status``: ``pending`` (to send, ``next_attempt_at`` says from when),
    ``sending`` (claimed by a sender), ``sent``, ``suppressed`` (the recipient opted out before it left),
    ``failed`` (refused for good, or too many attempts). ``message`` holds the whole RFC 5322 text (7-bit).
    ``state`` is what a municipality's message reported (statuses, score, band, outcome): the next message
    says what changed since this one.
    """

    __tablename__ = "notify_outbox"
    __table_args__ = (
        UniqueConstraint("key", name="uq_notify_outbox_key"),
        Index("ix_notify_outbox_status", "status", "next_attempt_at"),
        Index("ix_notify_outbox_recipient", "recipient", "kind", "night"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(400))
    kind: Mapped[str] = mapped_column(String(16))  # municipio | resumen
    night: Mapped[dt.date] = mapped_column(Date)
    recipient: Mapped[str] = mapped_column(String(320))
    ine_code: Mapped[str | None] = mapped_column(String(4))
    run_id: Mapped[int | None] = mapped_column(Integer)
    subject: Mapped[str] = mapped_column(Text, default="")
    message: Mapped[str] = mapped_column(Text)
    state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    claimed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class OptOut(Base):
    """An address that asked not to receive Vigía's messages (``vigia notify optout``)."""

    __tablename__ = "notify_optouts"

    address: Mapped[str] = mapped_column(String(320), primary_key=True)  # lower-cased
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    note: Mapped[str | None] = mapped_column(Text)
