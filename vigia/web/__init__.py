"""``vigia serve``: the review workspace, a server-rendered Flask application in Spanish (docs/review.md).

Flask-Login keeps the session (Flask's signed cookie: HttpOnly, SameSite=Lax, Secure behind TLS),
Flask-WTF protects every form against CSRF, argon2 hashes the passwords (vigia/accounts.py). Every
request but /login and the static files needs a session; the role and, for a municipality account, its
INE code are checked on the server for every request.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from importlib import resources
from pathlib import Path
from typing import Any

from flask import Flask, Response, g, redirect, render_template, request, url_for
from flask_login import LoginManager, UserMixin, current_user
from flask_wtf.csrf import CSRFError, CSRFProtect

from vigia.accounts import LoginPolicy
from vigia.registry import Municipality
from vigia.store.db import Store

SESSION_HOURS = 8


class SessionUser(UserMixin):
    """The logged-in account, loaded from the database on every request (a disabled one is refused)."""

    def __init__(self, user_id: int, email: str, role: str, ine_code: str | None) -> None:
        self.id = user_id
        self.email = email
        self.role = role
        self.ine_code = ine_code

    @property
    def reviewer(self) -> bool:
        return self.role in ("admin", "analyst")

    @property
    def admin(self) -> bool:
        return self.role == "admin"


def secret_key(data_dir: Path | None) -> str:
    """``VIGIA_SECRET_KEY``, else a random key kept in ``data_dir/secret_key`` (created once, mode 600)."""
    value = os.environ.get("VIGIA_SECRET_KEY")
    if value:
        return value
    if data_dir is None:
        return secrets.token_hex(32)
    path = Path(data_dir) / "secret_key"
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(key)
    return key


def create_app(
    store: Store,
    *,
    registry: list[Municipality],
    secure_cookies: bool = False,
    behind_proxy: bool = False,
    data_dir: Path | None = None,
    login_policy: LoginPolicy | None = None,
    recrawls_per_day: int | None = None,
    testing: bool = False,
) -> Flask:
    with resources.as_file(resources.files("reports").joinpath("static")) as reports_static:
        static_dir = str(reports_static)
    app = Flask(__name__, static_folder=static_dir, static_url_path="/static")
    app.config.update(
        SECRET_KEY=secret_key(data_dir),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure_cookies,
        SESSION_COOKIE_NAME="vigia_sesion",
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=SESSION_HOURS),
        WTF_CSRF_TIME_LIMIT=SESSION_HOURS * 3600,
        MAX_CONTENT_LENGTH=64 * 1024,
        TESTING=testing,
    )
    if behind_proxy:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]
    app.extensions["vigia"] = {
        "store": store,
        "registry": {m.ine_code: m for m in registry},
        "policy": login_policy or LoginPolicy(),
        "recrawls_per_day": recrawls_per_day
        if recrawls_per_day is not None
        else int(os.environ.get("VIGIA_RECRAWLS_PER_DAY", "3")),
        "data_dir": data_dir,
    }
    CSRFProtect(app)
    login_manager = LoginManager(app)
    login_manager.login_view = "login"
    login_manager.login_message = "Inicie sesión para continuar."
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(user_id: str) -> SessionUser | None:
        from vigia.store.models import User

        try:
            key = int(user_id)
        except ValueError:
            return None
        with store.session() as session:
            user = session.get(User, key)
            if user is None or not user.active:
                return None
            return SessionUser(user.id, user.email, user.role, user.ine_code)

    @app.before_request
    def require_session() -> Any:
        if request.endpoint in ("login", "static", "web.static") or request.endpoint is None:
            return None
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        return None

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
            "base-uri 'none'; frame-ancestors 'none'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if request.endpoint not in ("static", "web.static"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> tuple[str, int]:
        return render_template(
            "error.html",
            code=400,
            title="Formulario no válido",
            message="El formulario caducó o no trae su código de seguridad (CSRF). Vuelva a la página y "
            "envíelo de nuevo.",
        ), 400

    for code, title, message in (
        (403, "Acceso denegado", "Su cuenta no tiene permiso para ver o hacer esto."),
        (404, "No encontrado", "La página no existe o no corresponde a su cuenta."),
        (405, "Método no permitido", "Esta dirección no acepta ese tipo de solicitud."),
        (413, "Solicitud demasiado grande", "El formulario enviado es demasiado grande."),
    ):
        app.register_error_handler(code, _error_page(code, title, message))

    @app.context_processor
    def layout() -> dict[str, Any]:
        return {"user": current_user, "now_label": g.get("now_label", "")}

    from vigia.web.views import register

    register(app)

    @app.get("/")
    def home() -> Any:
        if current_user.reviewer:
            return redirect(url_for("queue"))
        return redirect(url_for("municipality", ine_code=current_user.ine_code))

    return app


def _error_page(code: int, title: str, message: str) -> Any:
    def handler(_exc: Exception) -> tuple[str, int]:
        return render_template("error.html", code=code, title=title, message=message), code

    return handler
