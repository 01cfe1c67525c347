"""Routes of the review workspace (docs/review.md): /login, /logout, /revision (the analysts' queue and its
POST actions), /municipio/<ine_code> (a municipality's findings, reviews and replies), /auditoria (admins),
/evidencia/<sha256> (archived copies)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import EmailField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from checks.confidence import LEVEL_LABELS, describe
from checks.engine import band_for, score_findings
from checks.model import STATUS_LABELS, STATUSES
from vigia import accounts, audit
from vigia.errors import UserError
from vigia.review import FindingView, current_findings, decide
from vigia.review import queue as review_queue
from vigia.store.models import (
    AuditEntry,
    Blob,
    Document,
    Evaluation,
    Page,
    PortalCrawl,
    RecrawlJob,
    Reply,
    Review,
)
from vigia.web import SessionUser

PAGE_SIZE = 100
_SHA = re.compile(r"^[0-9a-f]{64}$")
JOB_LABELS = {
    "queued": "en cola",
    "running": "rastreando ahora",
    "done": "terminado",
    "failed": "falló",
}


class LoginForm(FlaskForm):
    email = EmailField("Correo", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Contraseña", validators=[DataRequired(), Length(max=1024)])


class PlainForm(FlaskForm):
    """A form with nothing but its CSRF token (logout, confirm)."""


class ConfirmForm(FlaskForm):
    reason = TextAreaField("Nota (opcional)", validators=[Length(max=2000)])


class OverrideForm(FlaskForm):
    status = SelectField("Estado correcto", choices=[SelectChoice(s, STATUS_LABELS[s]) for s in STATUSES])
    reason = TextAreaField(
        "Motivo", validators=[DataRequired(message="Indique el motivo."), Length(max=2000)]
    )


class ReplyForm(FlaskForm):
    urls = TextAreaField(
        "Direcciones (URL) donde se publica, una por línea", validators=[DataRequired(), Length(max=20000)]
    )
    note = TextAreaField("Nota para la PDH", validators=[Length(max=2000)])


class FilterForm(FlaskForm):
    class Meta:
        csrf = False

    municipio = StringField()


def _ctx() -> dict[str, Any]:
    return current_app.extensions["vigia"]  # type: ignore[no-any-return]


def _store() -> Any:
    return _ctx()["store"]


def _address() -> str:
    return (request.remote_addr or "")[:64]


def _me() -> SessionUser:
    return current_user  # type: ignore[return-value]


def reviewers_only(view: Callable[..., Any]) -> Callable[..., Any]:
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not _me().reviewer:
            abort(403)
        return view(*args, **kwargs)

    wrapped.__name__ = view.__name__
    return wrapped


def admins_only(view: Callable[..., Any]) -> Callable[..., Any]:
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not _me().admin:
            abort(403)
        return view(*args, **kwargs)

    wrapped.__name__ = view.__name__
    return wrapped


def _own(ine_code: str) -> str:
    """The municipality ``ine_code`` if this account may see it; 404 otherwise (never says whether it exists)."""
    code = ine_code.strip()
    if not (len(code) == 4 and code.isdigit()):
        abort(404)
    me = _me()
    if me.role == "municipality" and me.ine_code != code:
        abort(404)
    return code


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


# --------------------------------------------------------------------------- view models


@dataclass(frozen=True)
class EvidenceRow:
    label: str
    url: str
    live_href: str | None
    period: str | None
    page_url: str | None
    page_href: str | None
    archived_href: str | None
    trail: list[str]


def _http(url: str | None) -> str | None:
    if not url:
        return None
    return url if urlsplit(url).scheme in ("http", "https") else None


def _evidence_map(session: Any, views: list[FindingView]) -> dict[str, list[EvidenceRow]]:
    """Evidence rows of each finding (by rule), with heading trails and archived copies: three queries."""
    urls = sorted({str(e.get("url") or "") for v in views for e in v.evidence})
    crawl_ids = sorted({v.portal_crawl_id for v in views})
    trails: dict[tuple[int, str], list[str]] = {}
    if urls:
        for model in (Page, Document):
            for pc_id, url, trail in session.execute(
                select(model.portal_crawl_id, model.url, model.trail).where(
                    model.portal_crawl_id.in_(crawl_ids), model.url.in_(urls)
                )
            ):
                trails[(pc_id, url)] = [str(t) for t in trail or []]
    shas = sorted({e["sha256"] for v in views for e in v.evidence if isinstance(e.get("sha256"), str)})
    stored = set(session.scalars(select(Blob.sha256).where(Blob.sha256.in_(shas)))) if shas else set()
    out: dict[str, list[EvidenceRow]] = {}
    for v in views:
        rows = out.setdefault(v.rule, [])
        for e in v.evidence:
            url = str(e.get("url") or "")
            sha = e.get("sha256") if isinstance(e.get("sha256"), str) else None
            archived = sha if sha and _SHA.match(sha) and sha in stored else None
            rows.append(
                EvidenceRow(
                    label=str(e.get("label") or url),
                    url=url,
                    live_href=_http(url),
                    period=e.get("period"),
                    page_url=e.get("page_url"),
                    page_href=_http(e.get("page_url")),
                    archived_href=url_for("evidence", sha256=archived) if archived else None,
                    trail=trails.get((v.portal_crawl_id, url), []),
                )
            )
    return out


def _score(session: Any, views: list[FindingView]) -> tuple[str, str]:
    """(score, band) of the portal from the effective statuses; the evaluation's reason when it has none."""
    if not views:
        return "—", "Sin datos"
    first = views[0]
    ev = session.scalar(
        select(Evaluation).where(
            Evaluation.portal_crawl_id == first.portal_crawl_id, Evaluation.as_of == first.as_of
        )
    )
    if ev is None or ev.score is None:
        return "—", "Sin puntaje"
    score = score_findings(tuple(views))  # type: ignore[arg-type]
    return (f"{score:.1f}", band_for(score)) if score is not None else ("—", "Sin puntaje")


def _job_state(session: Any, reply: Reply | None) -> str:
    if reply is None or reply.job_id is None:
        return ""
    job = session.get(RecrawlJob, reply.job_id)
    return JOB_LABELS.get(job.state, job.state) if job else ""


# --------------------------------------------------------------------------- routes


def register(app: Flask) -> None:
    web = Blueprint("web", __name__, static_folder="static", static_url_path="/static/web")
    app.register_blueprint(web)
    app.jinja_env.globals.update(
        STATUS_LABELS=STATUS_LABELS,
        LEVEL_LABELS=LEVEL_LABELS,
        describe_reasons=describe,
        ROLE_LABELS=accounts.ROLE_LABELS,
    )

    @app.route("/login", methods=["GET", "POST"])
    def login() -> Any:
        if current_user.is_authenticated:
            return redirect(url_for("home"))
        form = LoginForm()
        message = ""
        status = 200
        if form.validate_on_submit():
            with _store().session() as s:
                result = accounts.login(
                    s, form.email.data or "", form.password.data or "", _address(), _ctx()["policy"]
                )
                user = accounts.get_user(s, result.user_id) if result.user_id else None
                session_user = SessionUser(user.id, user.email, user.role, user.ine_code) if user else None
            if session_user is not None:
                session.clear()
                login_user(session_user)
                session.permanent = True
                return redirect(_safe_next(request.args.get("next")) or url_for("home"))
            message = result.message
            status = 429 if result.wait_seconds > 0 else 401
        elif request.method == "POST":
            message = "Escriba su correo y su contraseña."
            status = 400
        return render_template("login.html", form=form, message=message), status

    @app.route("/logout", methods=["GET", "POST"])
    def logout() -> Any:
        form = PlainForm()
        if request.method == "POST" and form.validate_on_submit():
            with _store().session() as s:
                audit.record(s, _me().email, "logout", ine_code=_me().ine_code, address=_address())
            logout_user()
            session.clear()
            return redirect(url_for("login"))
        return render_template("logout.html", form=form)

    @app.get("/revision")
    @reviewers_only
    def queue() -> Any:
        code = (request.args.get("municipio") or "").strip()
        level = request.args.get("confianza") or ""
        everything = request.args.get("todos") == "1"
        try:
            page = max(1, int(request.args.get("pagina") or 1))
        except ValueError:
            page = 1
        with _store().session() as s:
            views = review_queue(s, pending_only=not everything, codes=[code.zfill(4)] if code else None)
        if level in LEVEL_LABELS:
            views = [v for v in views if v.confidence == level]
        total = len(views)
        shown = views[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        return render_template(
            "queue.html",
            views=shown,
            total=total,
            page=page,
            pages=max(1, -(-total // PAGE_SIZE)),
            code=code,
            level=level,
            everything=everything,
        )

    def _finding(code: str, numeral: int) -> FindingView:
        with _store().session() as s:
            for v in current_findings(s, [code]):
                if v.numeral == numeral:
                    return v
        abort(404)

    @app.get("/revision/<ine_code>/<int:numeral>")
    @reviewers_only
    def finding(ine_code: str, numeral: int) -> Any:
        code = _own(ine_code)
        view = _finding(code, numeral)
        with _store().session() as s:
            evidence = _evidence_map(s, [view]).get(view.rule, [])
            reviews = list(
                s.scalars(
                    select(Review)
                    .where(Review.ine_code == code, Review.rule == view.rule)
                    .order_by(Review.id.desc())
                )
            )
            replies = list(
                s.scalars(
                    select(Reply)
                    .where(Reply.ine_code == code, Reply.rule == view.rule)
                    .order_by(Reply.id.desc())
                )
            )
            reply_states = {r.id: _job_state(s, r) for r in replies}
        override = OverrideForm(status=view.status)
        return render_template(
            "finding.html",
            view=view,
            evidence=evidence,
            reviews=reviews,
            replies=replies,
            reply_states=reply_states,
            confirm_form=ConfirmForm(),
            override_form=override,
        )

    def _decide(ine_code: str, numeral: int, action: str) -> Any:
        code = _own(ine_code)
        form: FlaskForm = ConfirmForm() if action == "confirm" else OverrideForm()
        if not form.validate_on_submit():
            errors = "; ".join(e for errs in form.errors.values() for e in errs) or "Formulario incompleto."
            flash(errors, "error")
            return redirect(url_for("finding", ine_code=code, numeral=numeral)), 303
        try:
            with _store().session() as s:
                review = decide(
                    s,
                    code,
                    numeral,
                    action=action,
                    reviewer=_me().email,
                    status=getattr(form, "status", None) and form.status.data,  # type: ignore[attr-defined]
                    reason=form.reason.data or "",  # type: ignore[attr-defined]
                    address=_address(),
                )
                label = STATUS_LABELS[review.status]
        except UserError as exc:
            flash(str(exc), "error")
            return redirect(url_for("finding", ine_code=code, numeral=numeral)), 303
        flash(
            f"Numeral {numeral} de {code}: {'confirmado' if action == 'confirm' else 'corregido a'} «{label}».",
            "ok",
        )
        return redirect(url_for("finding", ine_code=code, numeral=numeral)), 303

    @app.post("/revision/<ine_code>/<int:numeral>/confirmar")
    @reviewers_only
    def confirm(ine_code: str, numeral: int) -> Any:
        return _decide(ine_code, numeral, "confirm")

    @app.post("/revision/<ine_code>/<int:numeral>/corregir")
    @reviewers_only
    def override(ine_code: str, numeral: int) -> Any:
        return _decide(ine_code, numeral, "override")

    @app.get("/municipio/<ine_code>")
    def municipality(ine_code: str) -> Any:
        code = _own(ine_code)
        m = _ctx()["registry"].get(code)
        with _store().session() as s:
            views = current_findings(s, [code])
            if not views and m is None:
                abort(404)
            score, band = _score(s, views)
            evidence = _evidence_map(s, views)
            replies = list(s.scalars(select(Reply).where(Reply.ine_code == code).order_by(Reply.id.desc())))
            reply_states = {r.id: _job_state(s, r) for r in replies}
            reviews = list(
                s.scalars(select(Review).where(Review.ine_code == code).order_by(Review.id.desc()))
            )
            crawl = s.get(PortalCrawl, views[0].portal_crawl_id) if views else None
        return render_template(
            "municipality.html",
            code=code,
            name=(m.municipality if m else views[0].municipality),
            department=(m.department if m else views[0].department),
            views=views,
            evidence=evidence,
            score=score,
            band=band,
            replies=replies,
            reply_states=reply_states,
            reviews=reviews,
            crawl=crawl,
            can_reply=_me().role == "municipality",
        )

    @app.route("/municipio/<ine_code>/responder/<int:numeral>", methods=["GET", "POST"])
    def reply(ine_code: str, numeral: int) -> Any:
        from vigia.replies import submit

        code = _own(ine_code)
        if _me().role != "municipality":
            abort(403)
        m = _ctx()["registry"].get(code)
        if m is None:
            abort(404)
        view = _finding(code, numeral)
        form = ReplyForm()
        message = ""
        if form.validate_on_submit():
            try:
                with _store().session() as s:
                    outcome = submit(
                        s,
                        m,
                        numeral,
                        (form.urls.data or "").splitlines(),
                        form.note.data or "",
                        author=_me().email,
                        per_day=_ctx()["recrawls_per_day"],
                        address=_address(),
                    )
                flash(outcome.message, "ok")
                return redirect(url_for("municipality", ine_code=code) + f"#n{numeral:02d}"), 303
            except UserError as exc:
                message = str(exc)
        elif request.method == "POST":
            message = "; ".join(e for errs in form.errors.values() for e in errs) or "Formulario incompleto."
        return render_template("reply.html", view=view, form=form, message=message, code=code), (
            400 if message else 200
        )

    @app.get("/auditoria")
    @admins_only
    def audit_page() -> Any:
        with _store().session() as s:
            rows = audit.entries(s, limit=500)
        return render_template("audit.html", rows=rows, actions=audit.ACTIONS)

    @app.get("/auditoria.csv")
    @admins_only
    def audit_csv() -> Response:
        with _store().session() as s:
            rows = list(s.scalars(select(AuditEntry).order_by(AuditEntry.id)))
            text = audit.to_csv(rows)
        return Response(
            text,
            mimetype="text/csv",
            headers={"Content-Disposition": 'attachment; filename="vigia-auditoria.csv"'},
        )

    @app.get("/evidencia/<sha256>")
    def evidence(sha256: str) -> Response:
        if not _SHA.match(sha256):
            abort(404)
        me = _me()
        with _store().session() as s:
            if me.role == "municipality":
                owned = s.scalar(
                    select(Document.id)
                    .join(PortalCrawl, Document.portal_crawl_id == PortalCrawl.id)
                    .where(Document.sha256 == sha256, PortalCrawl.ine_code == me.ine_code)
                    .limit(1)
                ) or s.scalar(
                    select(Page.id)
                    .join(PortalCrawl, Page.portal_crawl_id == PortalCrawl.id)
                    .where(Page.sha256 == sha256, PortalCrawl.ine_code == me.ine_code)
                    .limit(1)
                )
                if not owned:
                    abort(404)
            blob = s.get(Blob, sha256)
            ctype = blob.content_type if blob and blob.content_type else "application/octet-stream"
        blobs = _store().blobs
        if not blobs.has(sha256):
            abort(404)
        return Response(
            blobs.get(sha256),
            mimetype=ctype.split(";")[0].strip() or "application/octet-stream",
            headers={"Content-Disposition": f'attachment; filename="{sha256[:16]}"'},
        )
