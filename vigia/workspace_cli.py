"""Commands of the review workspace: ``vigia users``, ``vigia review``, ``vigia serve`` and ``vigia worker``
(docs/review.md)."""

import datetime as dt
import getpass
import json
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Annotated

import typer
from rich.table import Table

from vigia import config
from vigia.errors import UserError

CLI_ACTOR = "cli"


def _actor() -> str:
    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = "desconocido"
    return f"{CLI_ACTOR}:{who}"


def _password() -> str:
    value = os.environ.get("VIGIA_PASSWORD")
    if value:
        return value
    if not sys.stdin.isatty():
        raise UserError("falta la contraseña: use la variable VIGIA_PASSWORD o ejecute en una terminal")
    first = getpass.getpass("Contraseña: ")
    if first != getpass.getpass("Repita la contraseña: "):
        raise UserError("las contraseñas no coinciden")
    return first


def register(app: typer.Typer, cli: ModuleType) -> None:
    """Add the commands to ``app``; ``cli`` is the module of the ``vigia`` command (its shared options and
    helpers: importing it from here would be circular when it runs as ``python -m vigia.cli``)."""
    console = cli.console
    _as_of, _registry, _store = cli._as_of, cli._registry, cli._store
    DbOpt, RegistryOpt, DataDirOpt = cli.DbOpt, cli.RegistryOpt, cli.DataDirOpt  # noqa: N806
    AllowPrivateOpt, AsOfOpt = cli.AllowPrivateOpt, cli.AsOfOpt  # noqa: N806
    users_app = typer.Typer(
        help="Cuentas del espacio de revisión (admin, analyst, municipality).", no_args_is_help=True
    )
    review_app = typer.Typer(
        help="Revisión de hallazgos por analistas (cola, confirmar, corregir).", no_args_is_help=True
    )

    # --------------------------------------------------------------------------- users

    @users_app.command("add")
    def users_add(
        email: Annotated[str, typer.Argument(help="Correo de la cuenta (su nombre de usuario).")],
        role: Annotated[str, typer.Option("--role", help="admin, analyst o municipality.")],
        ine: Annotated[str | None, typer.Option("--ine", help="Código INE (solo para municipality).")] = None,
        db: DbOpt = None,
        data_dir: DataDirOpt = None,
    ) -> None:
        """Crea una cuenta; la contraseña viene de VIGIA_PASSWORD o se pregunta."""
        from vigia.accounts import add_user

        password = _password()
        store = _store(db, data_dir)
        with store.session() as session:
            user = add_user(session, email, password, role, ine, actor=_actor())
            console.print(
                f"Cuenta {user.email} creada ({user.role}{' ' + user.ine_code if user.ine_code else ''})."
            )

    @users_app.command("list")
    def users_list(db: DbOpt = None, data_dir: DataDirOpt = None) -> None:
        """Lista las cuentas."""
        from vigia.accounts import list_users

        store = _store(db, data_dir)
        with store.session() as session:
            users = list_users(session)
            table = Table(title=f"{len(users)} cuentas")
            for col in ("Correo", "Rol", "INE", "Activa", "Último ingreso"):
                table.add_column(col)
            for u in users:
                table.add_row(
                    u.email,
                    u.role,
                    u.ine_code or "",
                    "sí" if u.active else "no",
                    u.last_login_at.isoformat(timespec="minutes") if u.last_login_at else "—",
                )
        console.print(table)

    @users_app.command("disable")
    def users_disable(
        email: Annotated[str, typer.Argument(help="Correo de la cuenta.")],
        db: DbOpt = None,
        data_dir: DataDirOpt = None,
    ) -> None:
        """Deshabilita una cuenta (no se borra: queda en el registro de auditoría)."""
        from vigia.accounts import disable_user

        store = _store(db, data_dir)
        with store.session() as session:
            user = disable_user(session, email, actor=_actor())
            console.print(f"Cuenta {user.email} deshabilitada.")

    # --------------------------------------------------------------------------- review

    @review_app.command("list")
    def review_list(
        json_output: Annotated[bool, typer.Option("--json", help="Imprime un objeto JSON.")] = False,
        all_: Annotated[bool, typer.Option("--all", help="Incluye los hallazgos ya revisados.")] = False,
        only: Annotated[
            str | None, typer.Option("--only", help="Solo estos códigos INE, separados por comas.")
        ] = None,
        limit: Annotated[int, typer.Option("--limit", help="Cuántos mostrar en la tabla (0: todos).")] = 50,
        db: DbOpt = None,
        data_dir: DataDirOpt = None,
    ) -> None:
        """La cola de revisión: primero los menos seguros, luego los que cambiaron, luego los disputados."""
        from checks.confidence import LEVEL_LABELS
        from vigia.review import queue, view_json

        codes = [c.strip().zfill(4) for c in only.split(",")] if only else None
        store = _store(db, data_dir)
        with store.session() as session:
            views = queue(session, pending_only=not all_, codes=codes)
        if json_output:
            sys.stdout.write(
                json.dumps(
                    {"count": len(views), "findings": [view_json(v) for v in views]},
                    ensure_ascii=False,
                    indent=2,
                )
                + "\n"
            )
            return
        shown = views if limit <= 0 else views[:limit]
        table = Table(
            title=f"Cola de revisión: {len(views)} hallazgos"
            + (f" (se muestran {len(shown)})" if len(shown) < len(views) else "")
        )
        for col in ("INE", "Municipio", "Numeral", "Estado", "Confianza", "Marcas", "Motivo"):
            table.add_column(col)
        for v in shown:
            marks = ", ".join(
                m
                for m, on in (
                    ("revisar de nuevo", v.needs_rereview),
                    ("disputado", v.disputed),
                    ("revisado", v.reviewed),
                )
                if on
            )
            table.add_row(
                v.ine_code,
                v.municipality,
                str(v.numeral),
                v.status_label,
                LEVEL_LABELS.get(v.confidence, "sin dato"),
                marks,
                v.reason,
            )
        console.print(table)

    def _numeral(value: int) -> int:
        if not 1 <= value <= 29:
            raise UserError(f"numeral inválido {value}: use 1 a 29")
        return value

    @review_app.command("override")
    def review_override(
        code: Annotated[str, typer.Argument(help="Código INE de la municipalidad.")],
        numeral: Annotated[int, typer.Argument(help="Numeral del artículo 10 (1 a 29).")],
        status: Annotated[
            str, typer.Argument(help="present, outdated, absent, not_applicable o unverified.")
        ],
        reason: Annotated[str, typer.Option("--reason", help="Motivo de la corrección (obligatorio).")],
        by: Annotated[str, typer.Option("--by", help="Correo de la cuenta de analista que corrige.")],
        db: DbOpt = None,
        data_dir: DataDirOpt = None,
    ) -> None:
        """Corrige el estado de un hallazgo (queda al lado del hallazgo de la máquina, nunca en su lugar)."""
        from checks.model import STATUS_LABELS
        from vigia.accounts import active_reviewer
        from vigia.review import decide

        store = _store(db, data_dir)
        with store.session() as session:
            reviewer = active_reviewer(session, by)
            review = decide(
                session,
                code,
                _numeral(numeral),
                action="override",
                status=status,
                reason=reason,
                reviewer=reviewer.email,
            )
            console.print(
                f"{review.ine_code} {review.rule}: {STATUS_LABELS[review.machine_status]} → "
                f"{STATUS_LABELS[review.status]} (revisión {review.id}, por {review.reviewer})."
            )

    @review_app.command("confirm")
    def review_confirm(
        code: Annotated[str, typer.Argument(help="Código INE de la municipalidad.")],
        numeral: Annotated[int, typer.Argument(help="Numeral del artículo 10 (1 a 29).")],
        by: Annotated[str, typer.Option("--by", help="Correo de la cuenta de analista que confirma.")],
        reason: Annotated[str, typer.Option("--reason", help="Nota opcional.")] = "",
        db: DbOpt = None,
        data_dir: DataDirOpt = None,
    ) -> None:
        """Confirma el veredicto de la máquina para un hallazgo."""
        from checks.model import STATUS_LABELS
        from vigia.accounts import active_reviewer
        from vigia.review import decide

        store = _store(db, data_dir)
        with store.session() as session:
            reviewer = active_reviewer(session, by)
            review = decide(
                session, code, _numeral(numeral), action="confirm", reason=reason, reviewer=reviewer.email
            )
            console.print(
                f"{review.ine_code} {review.rule}: {STATUS_LABELS[review.status]} confirmado (revisión {review.id})."
            )

    # --------------------------------------------------------------------------- serve and worker

    def serve(
        host: Annotated[str, typer.Option("--host", help="Dirección donde escuchar.")] = "127.0.0.1",
        port: Annotated[int, typer.Option("--port", help="Puerto (0: uno libre).")] = 8080,
        db: DbOpt = None,
        registry: RegistryOpt = None,
        data_dir: DataDirOpt = None,
        secure_cookies: Annotated[
            bool,
            typer.Option("--secure-cookies", help="Cookies solo por HTTPS (detrás de un proxy con TLS)."),
        ] = False,
        behind_proxy: Annotated[
            bool,
            typer.Option("--behind-proxy", help="Confía en X-Forwarded-For/Proto de un proxy inverso local."),
        ] = False,
        threads: Annotated[int, typer.Option("--threads", help="Hilos de waitress.")] = 8,
        ready_file: Annotated[
            Path | None, typer.Option("--ready-file", help="Escribe aquí la URL cuando el servidor escucha.")
        ] = None,
    ) -> None:
        """Sirve el espacio de revisión (waitress): analistas y municipalidades, con inicio de sesión."""
        from waitress.server import create_server

        from vigia.web import create_app

        store = _store(db, data_dir)
        app = create_app(
            store,
            registry=_registry(registry),
            secure_cookies=secure_cookies,
            behind_proxy=behind_proxy,
            data_dir=config.data_dir(str(data_dir) if data_dir else None),
        )
        server = create_server(app, host=host, port=port, threads=threads, ident="vigia")
        bound_host, bound_port = server.effective_host, server.effective_port  # type: ignore[union-attr]
        url = f"http://{bound_host}:{bound_port}/"
        console.print(f"Vigía — espacio de revisión en {url} (Ctrl+C para terminar)")
        if ready_file:
            ready_file.write_text(url, encoding="utf-8")
        try:
            server.run()
        except KeyboardInterrupt:
            pass
        finally:
            server.close()

    def worker(
        db: DbOpt = None,
        registry: RegistryOpt = None,
        data_dir: DataDirOpt = None,
        allow_private_addresses: AllowPrivateOpt = False,
        as_of: AsOfOpt = None,
        once: Annotated[bool, typer.Option("--once", help="Termina cuando la cola queda vacía.")] = False,
        poll: Annotated[float, typer.Option("--poll", help="Segundos entre consultas de la cola.")] = 2.0,
    ) -> None:
        """Ejecuta los nuevos rastreos pedidos por las respuestas de las municipalidades."""
        from vigia.replies import work

        fixed = _as_of(as_of) if as_of else None
        rows = {m.ine_code: m for m in _registry(registry)}
        store = _store(db, data_dir)
        done = work(
            store,
            rows,
            allow_private=config.allow_private_addresses(allow_private_addresses),
            as_of=lambda: fixed or dt.date.today(),
            once=once,
            poll=poll,
            registry_path=str(registry or os.environ.get("VIGIA_REGISTRY") or "municipalities.csv"),
            say=lambda line: console.print(line, markup=False, highlight=False),
        )
        console.print(f"{done} nuevo(s) rastreo(s) ejecutado(s).")

    app.add_typer(users_app, name="users")
    app.add_typer(review_app, name="review")
    app.command("serve")(serve)
    app.command("worker")(worker)
