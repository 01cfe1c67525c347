"""The ``vigia`` command (docs/CONTRACTS.md: commands, options and the JSON of ``vigia audit``).

Every command takes ``--db`` (or ``VIGIA_DATABASE_URL``) and ``--registry`` (or ``VIGIA_REGISTRY``).
Bad input ends with one line on stderr and a non-zero exit code, never a traceback
(``VIGIA_DEBUG=1`` shows the traceback of an internal error).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import traceback
from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from vigia import __version__, config
from vigia.errors import UserError
from vigia.registry import Municipality, RegistryError, load_registry, select

console = Console()
err_console = Console(stderr=True)

app = typer.Typer(
    name="vigia",
    help="Vigía: monitor nocturno de los portales de transparencia municipales (LAIP, artículo 10).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
municipalities_app = typer.Typer(
    help="Registro de municipalidades (municipalities.csv).", no_args_is_help=True
)
app.add_typer(municipalities_app, name="municipalities")
evidence_app = typer.Typer(
    help="Archivos WACZ de la evidencia y su cadena de manifiestos (docs/evidence.md).", no_args_is_help=True
)
app.add_typer(evidence_app, name="evidence")
notify_app = typer.Typer(
    help="Notificaciones: mensajes a cada municipalidad y resumen nocturno para monitores "
    "(bandeja de salida, reintentos, bajas)."
)
app.add_typer(notify_app, name="notify")

DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db", envvar="VIGIA_DATABASE_URL", help="URL de la base de datos (SQLite por defecto: ./vigia.db)."
    ),
]
RegistryOpt = Annotated[
    Path | None,
    typer.Option(
        "--registry",
        envvar="VIGIA_REGISTRY",
        help="Archivo de municipalidades (por defecto municipalities.csv).",
    ),
]
DataDirOpt = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        envvar="VIGIA_DATA_DIR",
        help="Carpeta de copias de evidencia y caché HTTP (./vigia-data).",
    ),
]
OnlyOpt = Annotated[
    str | None, typer.Option("--only", help="Solo estos códigos INE, separados por comas (p. ej. 0101,0108).")
]
PriorityOpt = Annotated[bool, typer.Option("--priority", help="Solo la lista de prioridad del registro.")]
AllowPrivateOpt = Annotated[
    bool,
    typer.Option(
        "--allow-private-addresses",
        help="Permite visitar direcciones privadas o de loopback (pruebas y demo). También VIGIA_ALLOW_PRIVATE_ADDRESSES=1.",
    ),
]
SetOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--set", help="Ajuste de Scrapy CLAVE=VALOR (repetible), p. ej. --set CONCURRENT_REQUESTS=32."
    ),
]
AsOfOpt = Annotated[
    str | None, typer.Option("--as-of", help="Fecha de referencia AAAA-MM-DD (por defecto, hoy).")
]
SmtpUrlOpt = Annotated[
    str | None,
    typer.Option(
        "--smtp-url",
        envvar="VIGIA_SMTP_URL",
        help="Servidor de correo smtp[s]://usuario:contraseña@servidor:puerto (STARTTLS con smtp://).",
    ),
]
SubscribersOpt = Annotated[
    Path | None,
    typer.Option(
        "--subscribers",
        envvar="VIGIA_SUBSCRIBERS",
        help="Monitores que reciben el resumen nocturno (YAML o CSV: email, departments opcional).",
    ),
]
SiteUrlOpt = Annotated[
    str | None,
    typer.Option(
        "--site-url",
        envvar="VIGIA_SITE_URL",
        help="Dirección pública del sitio de reportes para los enlaces de los mensajes "
        "(por defecto, la carpeta del sitio como file://).",
    ),
]
MailFromOpt = Annotated[
    str | None,
    typer.Option("--from", envvar="VIGIA_MAIL_FROM", help="Remitente, p. ej. 'Vigía <vigia@pdh.gob.gt>'."),
]
UnsubscribeOpt = Annotated[
    str | None,
    typer.Option(
        "--unsubscribe-address",
        envvar="VIGIA_UNSUBSCRIBE_ADDRESS",
        help="Dirección a la que se piden las bajas (List-Unsubscribe); por defecto, el remitente.",
    ),
]
DownNightsOpt = Annotated[
    int,
    typer.Option("--down-nights", min=1, help="Noches seguidas caído para figurar en el resumen (3)."),
]


def _as_of(value: str | None) -> dt.date:
    if not value:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UserError(f"fecha --as-of inválida {value!r}: use AAAA-MM-DD") from None


def _registry(path: Path | None) -> list[Municipality]:
    return load_registry(path)


def _targets(registry: Path | None, only: str | None, priority: bool) -> list[Municipality]:
    rows = _registry(registry)
    chosen = select(rows, only=only.split(",") if only else None, priority=priority)
    if not chosen:
        raise UserError("ninguna municipalidad seleccionada (revise --only, --priority y la columna active)")
    return chosen


def _settings(pairs: list[str] | None) -> dict[str, object]:
    """Parse ``--set KEY=VALUE`` pairs; values are read as JSON when they parse (numbers, booleans)."""
    result: dict[str, object] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UserError(f"--set espera CLAVE=VALOR, no {pair!r}")
        try:
            result[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            result[key.strip()] = value
    if not result:
        return result
    from crawler.options import validate_overrides

    return validate_overrides(result)


def _store(db: str | None, data_dir: Path | None):  # type: ignore[no-untyped-def]
    from vigia.store import open_store

    url = config.database_url(db)
    if config.is_memory_database(url):
        raise UserError(
            f"--db {db or url}: una base de datos en memoria no guarda nada entre órdenes "
            "(el rastreo, la evaluación y los reportes la verían vacía); use un archivo o un servidor"
        )
    return open_store(url, config.data_dir(str(data_dir) if data_dir else None))


def _writable_out(out: Path) -> None:
    """Fail at once (before any crawl) when the reports folder cannot be written."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".vigia-write-test-{os.getpid()}"
        probe.write_text("", encoding="utf-8")
        probe.unlink()
    except OSError as exc:
        raise UserError(
            f"no se puede escribir en la carpeta de reportes {out}: {exc.strerror or exc}"
        ) from None


def _check_evidence_folder(store, run: int | None) -> None:  # type: ignore[no-untyped-def]
    """Refuse a ``--data-dir`` that holds none of the run's raw bodies (a wrong folder used to report
    "0 copias de evidencia" as if the evidence did not exist)."""
    from sqlalchemy import select as sql_select

    from reports.loader import resolve_run_id
    from vigia.store.models import Document, Page, PortalCrawl

    rid = resolve_run_id(store, run)
    with store.session() as s:
        shas = list(
            s.scalars(
                sql_select(Page.sha256)
                .join(PortalCrawl, Page.portal_crawl_id == PortalCrawl.id)
                .where(PortalCrawl.run_id == rid, Page.sha256.is_not(None))
                .limit(20)
            )
        ) + list(
            s.scalars(
                sql_select(Document.sha256)
                .join(PortalCrawl, Document.portal_crawl_id == PortalCrawl.id)
                .where(PortalCrawl.run_id == rid, Document.sha256.is_not(None))
                .limit(20)
            )
        )
    if shas and not any(store.blobs.has(sha) for sha in shas):
        raise UserError(
            f"la carpeta de datos {store.blobs.root.parent} no tiene las copias de evidencia de la corrida "
            f"{rid} (0 de {len(shas)} revisadas): revise --data-dir o VIGIA_DATA_DIR"
        )


# --------------------------------------------------------------------------- municipalities


@municipalities_app.command("validate")
def municipalities_validate(registry: RegistryOpt = None) -> None:
    """Valida el registro: una línea por fila incorrecta (line N: problema)."""
    rows = _registry(registry)
    departments = {m.department for m in rows}
    with_url = sum(1 for m in rows if m.portal_url)
    prio = sum(1 for m in rows if m.priority)
    active = sum(1 for m in rows if m.active)
    console.print(
        f"{len(rows)} municipalities in {len(departments)} departments "
        f"({with_url} con portal conocido, {prio} en la lista de prioridad, {active} activas)"
    )


@municipalities_app.command("list")
def municipalities_list(
    registry: RegistryOpt = None,
    priority: PriorityOpt = False,
    department: Annotated[str | None, typer.Option("--department", help="Solo este departamento.")] = None,
    with_portal: Annotated[
        bool, typer.Option("--with-portal", help="Solo las que tienen portal conocido.")
    ] = False,
) -> None:
    """Lista las municipalidades del registro."""
    rows = _registry(registry)
    if priority:
        rows = [m for m in rows if m.priority]
    if department:
        rows = [m for m in rows if m.department.lower() == department.lower()]
    if with_portal:
        rows = [m for m in rows if m.portal_url]
    table = Table(title=f"{len(rows)} municipalidades")
    for col in ("Código", "Departamento", "Municipio", "Portal", "Plataforma", "Prioridad"):
        table.add_column(col)
    for m in rows:
        table.add_row(
            m.ine_code,
            m.department,
            m.municipality,
            m.portal_url or "—",
            m.platform,
            "sí" if m.priority else "",
        )
    console.print(table)


@municipalities_app.command("show")
def municipalities_show(
    code: Annotated[str, typer.Argument(help="Código INE (4 dígitos).")], registry: RegistryOpt = None
) -> None:
    """Muestra una municipalidad del registro."""
    rows = {m.ine_code: m for m in _registry(registry)}
    m = rows.get(code.zfill(4))
    if m is None:
        raise UserError(f"no hay municipalidad con código INE {code!r} en el registro")
    table = Table(show_header=False)
    for key, value in (
        ("Código INE", m.ine_code),
        ("Municipio", m.municipality),
        ("Departamento", f"{m.department} ({m.department_code})"),
        ("Portal", m.portal_url or "— (sin portal conocido)"),
        ("Procedencia del portal", m.portal_source or "—"),
        ("Otras URL", ", ".join(m.alt_urls) or "—"),
        ("Plataforma", m.platform),
        ("Render", m.render),
        ("Hosts de documentos", ", ".join(m.document_hosts) or "—"),
        ("Prioridad", "sí" if m.priority else "no"),
        ("Activa", "sí" if m.active else "no"),
        ("Población 2020", str(m.population_2020 or "—")),
        ("Puntaje PDH 2023", "—" if m.pdh_score_2023 is None else f"{m.pdh_score_2023:.2f}"),
        ("Correo de la UIP", m.uip_email or "—"),
        ("Notas", m.notes or "—"),
    ):
        table.add_row(key, value)
    console.print(table)


@municipalities_app.command("merge")
def municipalities_merge(
    found: Annotated[Path, typer.Argument(help="CSV de direcciones encontradas, con fuente y confianza.")],
    registry: RegistryOpt = None,
    alias: Annotated[
        list[str] | None,
        typer.Option(
            "--alias",
            help="CÓDIGO_DEL_ARCHIVO=CÓDIGO_INE para una fila cuyo municipio decidió una persona (repetible); "
            "su dirección queda en alt_urls por confirmar.",
        ),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Solo muestra lo que cambiaría.")] = False,
) -> None:
    """Incorpora direcciones encontradas al registro con su procedencia (alta/media: portal_url; baja: alt_urls)."""
    from vigia.registry_edit import merge_found, read_found, write_registry_text

    path = Path(registry or os.environ.get("VIGIA_REGISTRY") or "municipalities.csv")
    aliases: dict[str, str] = {}
    for pair in alias or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise UserError(f"--alias espera CÓDIGO=CÓDIGO_INE, no {pair!r}")
        aliases[key.strip()] = value.strip()
    _registry(path)
    text = path.read_text(encoding="utf-8")
    new_text, summary = merge_found(text, read_found(found), aliases=aliases)
    for line in summary.portal_urls:
        console.print(f"portal_url  {line}", markup=False, highlight=False)
    for line in summary.alt_urls:
        console.print(f"alt_urls    {line}", markup=False, highlight=False)
    for line in summary.skipped:
        err_console.print(f"omitida: {line}", markup=False, highlight=False)
    if not dry_run and new_text != text:
        write_registry_text(path, new_text)
    console.print(summary.describe() + (" (sin escribir: --dry-run)" if dry_run else ""), markup=False)


@municipalities_app.command("patterns")
def municipalities_patterns(registry: RegistryOpt = None) -> None:
    """Muestra las convenciones de nombres de dominio que muestran las URL del registro."""
    from vigia.discover import derive_patterns

    report = derive_patterns(_registry(registry))
    table = Table(title=f"{len(report.patterns)} patrones de nombre de dominio")
    for col in ("Patrón", "URL", "Ejemplos"):
        table.add_column(col)
    for pattern, count, examples in report.patterns:
        table.add_row(pattern.template, str(count), ", ".join(examples[:3]))
    console.print(table)
    if report.unexplained:
        console.print("sin patrón: " + ", ".join(report.unexplained), markup=False, highlight=False)


@municipalities_app.command("discover")
def municipalities_discover(
    registry: RegistryOpt = None,
    only: OnlyOpt = None,
    apply: Annotated[
        bool,
        typer.Option(
            "--apply",
            help="Escribe en el registro las propuestas con confianza igual o mayor que el umbral (0.8).",
        ),
    ] = False,
    out: Annotated[
        Path, typer.Option("--out", help="Carpeta de las propuestas (propuestas.csv y propuestas.json).")
    ] = Path("propuestas-registro"),
    nights: Annotated[
        int,
        typer.Option(
            "--unreachable-nights",
            min=1,
            help="Busca también el portal de las municipalidades inalcanzables estas noches seguidas.",
        ),
    ] = 3,
    db: DbOpt = None,
    allow_private_addresses: AllowPrivateOpt = False,
    timeout: Annotated[float, typer.Option("--timeout", min=1.0, help="Segundos por solicitud.")] = 15.0,
    hosts: Annotated[
        Path | None,
        typer.Option(
            "--hosts",
            help="Resuelve los nombres con esta tabla ('nombre dirección[:puerto]' por línea, o JSON) en vez "
            "del DNS: pruebas y redes de ensayo.",
        ),
    ] = None,
) -> None:
    """Busca el portal de las municipalidades sin portal (o con el portal caído) y escribe propuestas."""
    from vigia import discover as disc

    path = Path(registry or os.environ.get("VIGIA_REGISTRY") or "municipalities.csv")
    rows = _registry(path)
    codes = [c.strip() for c in only.split(",") if c.strip()] if only else None
    if codes:
        select(rows, only=codes)  # unknown codes: one clear line
    unreachable: dict[str, int] = {}
    url = config.database_url(db)
    sqlite_file = url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else None
    if sqlite_file is None or Path(sqlite_file).exists():
        with_portal = [m.ine_code for m in rows if m.portal_url]
        unreachable = disc.unreachable_nights(_store(db, None), with_portal, nights)
    targets = disc.choose_targets(rows, codes, unreachable)
    if not targets:
        console.print("ninguna municipalidad que buscar: todas tienen portal y responde")
        return
    console.print(f"buscando el portal de {len(targets)} municipalidades…", markup=False)
    result = disc.discover(
        targets,
        rows,
        resolver=disc.MappingResolver(disc.read_hosts_table(hosts)) if hosts else None,
        allow_private=config.allow_private_addresses(allow_private_addresses),
        timeout=timeout,
        progress=lambda line: console.print(line, markup=False, highlight=False),
    )
    csv_path, json_path = disc.write_proposals(result, out)
    console.print(result.describe(), markup=False)
    console.print(f"propuestas: {csv_path} y {json_path}", markup=False)
    if apply:
        from vigia.registry_edit import write_registry_text

        text = path.read_text(encoding="utf-8")
        new_text, applied, skipped = disc.apply_proposals(text, result)
        if applied:
            write_registry_text(path, new_text)
        for line in applied:
            console.print(f"aplicada: {line}", markup=False, highlight=False)
        for line in skipped:
            err_console.print(f"no aplicada: {line}", markup=False, highlight=False)
        console.print(
            f"{len(applied)} propuestas aplicadas al registro {path} (umbral {disc.APPLY_THRESHOLD:g}); "
            "las demás quedan para revisión",
            markup=False,
        )


# --------------------------------------------------------------------------- pipeline


@app.command("crawl")
def crawl(
    db: DbOpt = None,
    registry: RegistryOpt = None,
    data_dir: DataDirOpt = None,
    only: OnlyOpt = None,
    priority: PriorityOpt = False,
    allow_private_addresses: AllowPrivateOpt = False,
    resume: Annotated[int | None, typer.Option("--resume", help="Reanuda la corrida N interrumpida.")] = None,
    set_: SetOpt = None,
) -> None:
    """Rastrea los portales y guarda la evidencia (páginas, documentos, incidentes)."""
    targets = _targets(registry, only, priority)
    overrides = _settings(set_)
    from crawler.api import crawl_municipalities

    store = _store(db, data_dir)
    summary = crawl_municipalities(
        store,
        targets,
        allow_private=config.allow_private_addresses(allow_private_addresses),
        kind="crawl",
        resume_run_id=resume,
        registry_path=str(registry or os.environ.get("VIGIA_REGISTRY") or "municipalities.csv"),
        console=console,
        settings=overrides or None,
    )
    console.print(summary.describe())
    _crawl_problems(summary)


def _crawl_problems(summary: Any) -> None:
    """A crawl that lost portals or could not write evidence ends the command with an error."""
    problems = list(getattr(summary, "problems", None) or [])
    if problems:
        for problem in problems[1:]:
            err_console.print(f"error: {problem}", markup=False, highlight=False, soft_wrap=True)
        raise UserError(f"el rastreo {summary.run_id} tuvo {len(problems)} problema(s): {problems[0]}")


@app.command("check")
def check(
    db: DbOpt = None,
    registry: RegistryOpt = None,
    data_dir: DataDirOpt = None,
    only: OnlyOpt = None,
    priority: PriorityOpt = False,
    run: Annotated[
        int | None, typer.Option("--run", help="Corrida a evaluar (por defecto, la última).")
    ] = None,
    as_of: AsOfOpt = None,
) -> None:
    """Evalúa la evidencia de una corrida con las reglas del artículo 10 y guarda los hallazgos."""
    codes = [m.ine_code for m in _targets(registry, only, priority)] if (only or priority) else None
    reference = _as_of(as_of)
    from checks.api import check_run

    store = _store(db, data_dir)
    summary = check_run(store, run_id=run, as_of=reference, only=codes, console=console)
    console.print(summary.describe())
    _flag_rereviews(store)


RUN_STATUS_ES = {
    "running": "en curso",
    "finished": "terminada",
    "interrupted": "interrumpida",
    "failed": "fallida",
}


@app.command("runs")
def runs(
    db: DbOpt = None,
    data_dir: DataDirOpt = None,
    last: Annotated[int, typer.Option("--last", help="Cuántas corridas mostrar (las más recientes).")] = 20,
    json_output: Annotated[bool, typer.Option("--json", help="Imprime una lista JSON.")] = False,
) -> None:
    """Las corridas de rastreo y su estado; una corrida cuyo proceso ya no existe queda «interrumpida»."""
    from sqlalchemy import func, select

    from vigia.store.liveness import mark_stale_runs
    from vigia.store.models import CrawlRun, PortalCrawl

    store = _store(db, data_dir)
    marked = mark_stale_runs(store)
    with store.session() as s:
        counts = dict(
            s.execute(
                select(PortalCrawl.run_id, func.count(PortalCrawl.id)).group_by(PortalCrawl.run_id)
            ).all()
        )
        rows = [
            {
                "id": r.id,
                "kind": r.kind,
                "status": r.status,
                "started_at": r.started_at.isoformat(timespec="seconds") if r.started_at else None,
                "finished_at": r.finished_at.isoformat(timespec="seconds") if r.finished_at else None,
                "portals": int(counts.get(r.id, 0)),
                "host": r.host,
                "pid": r.pid,
                "note": r.note,
            }
            for r in s.scalars(select(CrawlRun).order_by(CrawlRun.id.desc()).limit(max(1, last)))
        ]
    if json_output:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = Table()
    for col in ("Corrida", "Tipo", "Estado", "Inicio (UTC)", "Fin (UTC)", "Portales", "Nota"):
        table.add_column(col)
    for row in rows:
        table.add_row(
            str(row["id"]),
            str(row["kind"]),
            RUN_STATUS_ES.get(str(row["status"]), str(row["status"])),
            str(row["started_at"] or ""),
            str(row["finished_at"] or ""),
            str(row["portals"]),
            str(row["note"] or ""),
        )
    console.print(table)
    if marked:
        console.print(
            f"{len(marked)} corrida(s) marcada(s) como interrumpida(s): su proceso ya no existe "
            f"({', '.join(str(i) for i in marked)})."
        )


@app.command("report")
def report(
    out: Annotated[Path, typer.Option("--out", help="Carpeta donde escribir el sitio de reportes.")] = Path(
        "reportes"
    ),
    db: DbOpt = None,
    registry: RegistryOpt = None,
    data_dir: DataDirOpt = None,
    run: Annotated[
        int | None, typer.Option("--run", help="Corrida a reportar (por defecto, la última).")
    ] = None,
    as_of: AsOfOpt = None,
    pdf: Annotated[
        bool, typer.Option("--pdf/--no-pdf", help="Genera también el PDF de cada lista de verificación.")
    ] = True,
) -> None:
    """Genera el sitio estático de reportes, los PDF y las exportaciones para la CGC."""
    reference = _as_of(as_of)
    rows = _registry(registry)
    from reports.api import build_reports

    _writable_out(out)
    store = _store(db, data_dir)
    _check_evidence_folder(store, run)
    summary = build_reports(
        store, out_dir=out, run_id=run, as_of=reference, registry=rows, pdf=pdf, console=console
    )
    console.print(summary.describe())


@app.command("nightly")
def nightly(
    out: Annotated[Path, typer.Option("--out", help="Carpeta donde escribir el sitio de reportes.")] = Path(
        "reportes"
    ),
    db: DbOpt = None,
    registry: RegistryOpt = None,
    data_dir: DataDirOpt = None,
    only: OnlyOpt = None,
    priority: PriorityOpt = False,
    allow_private_addresses: AllowPrivateOpt = False,
    as_of: AsOfOpt = None,
    pdf: Annotated[
        bool, typer.Option("--pdf/--no-pdf", help="Genera también el PDF de cada lista de verificación.")
    ] = True,
    set_: SetOpt = None,
    smtp_url: SmtpUrlOpt = None,
    notify_dry_run: Annotated[
        Path | None,
        typer.Option(
            "--notify-dry-run", help="Escribe los mensajes de la noche como archivos .eml en esta carpeta."
        ),
    ] = None,
    subscribers: SubscribersOpt = None,
    site_url: SiteUrlOpt = None,
    down_nights: DownNightsOpt = 3,
    mail_from: MailFromOpt = None,
    unsubscribe: UnsubscribeOpt = None,
) -> None:
    """Corrida nocturna: rastreo + evaluación + reportes + cambios desde la noche anterior; con correo
    configurado (--smtp-url o VIGIA_SMTP_URL, o --notify-dry-run), también las notificaciones."""
    targets = _targets(registry, only, priority)
    overrides = _settings(set_)
    reference = _as_of(as_of)
    from checks.api import check_run
    from crawler.api import crawl_municipalities
    from reports.api import build_reports

    _writable_out(out)
    store = _store(db, data_dir)
    crawl_summary = crawl_municipalities(
        store,
        targets,
        allow_private=config.allow_private_addresses(allow_private_addresses),
        kind="nightly",
        registry_path=str(registry or os.environ.get("VIGIA_REGISTRY") or "municipalities.csv"),
        console=console,
        settings=overrides or None,
    )
    console.print(crawl_summary.describe())
    check_summary = check_run(store, run_id=crawl_summary.run_id, as_of=reference, console=console)
    console.print(check_summary.describe())
    from vigia.evidence import build_run_archive

    console.print(build_run_archive(store, crawl_summary.run_id).describe())
    _flag_rereviews(store)
    rows = _registry(registry)
    report_summary = build_reports(
        store,
        out_dir=out,
        run_id=crawl_summary.run_id,
        as_of=reference,
        registry=rows,
        pdf=pdf,
        console=console,
    )
    console.print(report_summary.describe())
    if smtp_url or notify_dry_run is not None:
        _run_notify(
            store,
            rows,
            run=crawl_summary.run_id,
            reference=reference,
            smtp_url=smtp_url,
            dry_run=notify_dry_run,
            site_url=_site_url(site_url, out),
            subscribers=subscribers,
            down_nights=down_nights,
            mail_from=mail_from,
            unsubscribe=unsubscribe,
            pdf=pdf,
        )
    _crawl_problems(crawl_summary)  # checked and reported every portal first; now fail loudly


def _flag_rereviews(store) -> None:  # type: ignore[no-untyped-def]
    """After a night's checks: reviews whose evidence changed are marked for re-review (docs/review.md)."""
    from vigia.review import flag_rereviews

    with store.session() as session:
        flagged = flag_rereviews(session)
    if flagged:
        console.print(f"{flagged} revisión(es) marcada(s) para revisar de nuevo: cambió la evidencia.")


@app.command("audit")
def audit(
    url: Annotated[
        str, typer.Argument(help="URL del portal a auditar ahora (no necesita estar en el registro).")
    ],
    json_output: Annotated[
        bool, typer.Option("--json", help="Imprime un objeto JSON (forma descrita en docs/CONTRACTS.md).")
    ] = False,
    as_of: AsOfOpt = None,
    db: DbOpt = None,
    data_dir: DataDirOpt = None,
    allow_private_addresses: AllowPrivateOpt = False,
    platform: Annotated[
        str, typer.Option("--platform", help="Plataforma si se conoce (wordpress, joomla, …).")
    ] = "unknown",
) -> None:
    """Rastrea un portal ahora e imprime su lista de verificación (tabla o JSON)."""
    from vigia.registry import check_url

    problem = check_url(url)
    if problem:
        raise UserError(problem)
    reference = _as_of(as_of)
    from checks.api import audit_document, evaluate_portal_crawl
    from crawler.api import audit_portal

    store = _store(db, data_dir)
    portal_crawl_id = audit_portal(
        store,
        url,
        platform=platform,
        allow_private=config.allow_private_addresses(allow_private_addresses),
        console=None if json_output else err_console,
    )
    evaluation_id = evaluate_portal_crawl(store, portal_crawl_id, as_of=reference)
    document = audit_document(store, evaluation_id)
    if json_output:
        sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
        return
    _print_audit_table(document)


@evidence_app.command("build")
def evidence_build(
    db: DbOpt = None,
    data_dir: DataDirOpt = None,
    run: Annotated[
        int | None, typer.Option("--run", help="Corrida (por defecto, la última evaluada).")
    ] = None,
) -> None:
    """Escribe los WACZ de la evidencia citada por los hallazgos de una corrida y su manifiesto."""
    from vigia.evidence import build_run_archive

    store = _store(db, data_dir)
    console.print(build_run_archive(store, run).describe())


@evidence_app.command("verify")
def evidence_verify(
    db: DbOpt = None,
    data_dir: DataDirOpt = None,
    run: Annotated[
        int | None,
        typer.Option("--run", help="Verifica esta corrida y la cadena anterior (por defecto, todas)."),
    ] = None,
) -> None:
    """Verifica los WACZ, sus registros y la cadena de manifiestos; sale con 1 si algo fue alterado."""
    from vigia.evidence import verify_archives

    store = _store(db, data_dir)
    result = verify_archives(store, run)
    for line in result.problem_lines():
        err_console.print(line, markup=False, highlight=False, soft_wrap=True)
    console.print(result.describe(), markup=False, highlight=False, soft_wrap=True)
    if not result.ok:
        raise typer.Exit(1)


# --------------------------------------------------------------------------- notify


def _site_url(site_url: str | None, site: Path) -> str:
    from urllib.parse import urlsplit

    if site_url:
        parts = urlsplit(site_url)
        if parts.scheme not in ("http", "https", "file") or (parts.scheme != "file" and not parts.netloc):
            raise UserError(f"--site-url inválida {site_url!r}: use https://servidor/ruta/")
        return site_url if site_url.endswith("/") else site_url + "/"
    return site.resolve().as_uri() + "/"


def _sender(value: str | None) -> str:
    from email.utils import parseaddr

    from reports.notify.api import DEFAULT_SENDER
    from vigia.registry import check_email

    sender = value or DEFAULT_SENDER
    address = parseaddr(sender)[1]
    if sender != DEFAULT_SENDER:
        problem = check_email(address) if address else f"remitente mal formado {sender!r}"
        if problem:
            raise UserError(f"--from: {problem}")
    return sender


def _run_notify(
    store,  # type: ignore[no-untyped-def]
    rows: list[Municipality],
    *,
    run: int | None,
    reference: dt.date,
    smtp_url: str | None,
    dry_run: Path | None,
    site_url: str,
    subscribers: Path | None,
    down_nights: int,
    mail_from: str | None,
    unsubscribe: str | None,
    pdf: bool = True,
) -> None:
    from reports.notify.api import run_notify
    from reports.notify.subscribers import load_subscribers
    from reports.notify.transport import SmtpTransport

    if smtp_url and dry_run:
        raise UserError("use --smtp-url o --dry-run, no los dos")
    if not smtp_url and dry_run is None:
        raise UserError("falta el servidor de correo: --smtp-url URL (o VIGIA_SMTP_URL), o --dry-run CARPETA")
    summary = run_notify(
        store,
        rows,
        run_id=run,
        as_of=reference,
        site_url=site_url,
        transport=SmtpTransport(smtp_url) if smtp_url else None,
        dry_run=dry_run,
        subscribers=load_subscribers(subscribers) if subscribers else (),
        down_nights=down_nights,
        sender=_sender(mail_from),
        unsubscribe=unsubscribe,
        pdf=pdf,
    )
    if summary.delivery:
        for line in summary.delivery.errors[:10]:
            err_console.print(f"correo: {line}", markup=False, highlight=False, soft_wrap=True)
    console.print(summary.describe(), markup=False, highlight=False, soft_wrap=True)
    if dry_run is not None:
        console.print(f"Mensajes de la noche (.eml): {dry_run.resolve()}", markup=False, soft_wrap=True)


@notify_app.callback(invoke_without_command=True)
def notify(
    ctx: typer.Context,
    smtp_url: SmtpUrlOpt = None,
    dry_run: Annotated[
        Path | None,
        typer.Option("--dry-run", help="No envía: escribe un archivo .eml por mensaje en esta carpeta."),
    ] = None,
    db: DbOpt = None,
    registry: RegistryOpt = None,
    data_dir: DataDirOpt = None,
    run: Annotated[int | None, typer.Option("--run", help="Corrida (por defecto, la última).")] = None,
    as_of: AsOfOpt = None,
    site: Annotated[
        Path, typer.Option("--site", help="Carpeta del sitio de reportes (para los enlaces file://).")
    ] = Path("reportes"),
    site_url: SiteUrlOpt = None,
    subscribers: SubscribersOpt = None,
    down_nights: DownNightsOpt = 3,
    mail_from: MailFromOpt = None,
    unsubscribe: UnsubscribeOpt = None,
    pdf: Annotated[
        bool,
        typer.Option(
            "--pdf/--no-pdf", help="Enlaza el PDF de la lista de verificación (si el sitio lo tiene)."
        ),
    ] = True,
) -> None:
    """Compone los mensajes de la noche, los guarda en la bandeja de salida y envía lo pendiente."""
    if ctx.invoked_subcommand is not None:
        return
    rows = _registry(registry)
    store = _store(db, data_dir)
    _run_notify(
        store,
        rows,
        run=run,
        reference=_as_of(as_of),
        smtp_url=smtp_url,
        dry_run=dry_run,
        site_url=_site_url(site_url, site),
        subscribers=subscribers,
        down_nights=down_nights,
        mail_from=mail_from,
        unsubscribe=unsubscribe,
        pdf=pdf,
    )


@notify_app.command("optout")
def notify_optout(
    email: Annotated[str, typer.Argument(help="Dirección que no quiere recibir mensajes.")],
    undo: Annotated[bool, typer.Option("--undo", help="Vuelve a enviar mensajes a esta dirección.")] = False,
    db: DbOpt = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Da de baja una dirección (o la reactiva con --undo)."""
    from reports.notify.outbox import normalize, set_opt_out
    from vigia.registry import check_email

    problem = check_email(email.strip())
    if problem:
        raise UserError(problem)
    changed = set_opt_out(_store(db, data_dir), email, undo=undo)
    address = normalize(email)
    if undo:
        console.print(f"{address}: {'reactivada' if changed else 'no estaba dada de baja'}", markup=False)
    else:
        console.print(f"{address}: {'dada de baja' if changed else 'ya estaba dada de baja'}", markup=False)


@notify_app.command("outbox")
def notify_outbox(db: DbOpt = None, data_dir: DataDirOpt = None) -> None:
    """Estado de la bandeja de salida: mensajes por estado y los que tuvieron problemas."""
    from reports.notify.outbox import counts, problems

    store = _store(db, data_dir)
    found = counts(store)
    labels = {
        "pending": "pendientes",
        "sending": "enviándose",
        "sent": "enviados",
        "suppressed": "suprimidos por baja",
        "failed": "fallidos",
    }
    total = sum(found.values())
    parts = ", ".join(f"{labels.get(k, k)} {v}" for k, v in sorted(found.items()))
    console.print(f"Bandeja de salida: {total} mensajes" + (f" ({parts})" if parts else ""), markup=False)
    troubles = problems(store, limit=20)
    if troubles:
        table = Table(title="Mensajes con problemas (los más recientes)")
        for col in ("Noche", "Destinatario", "Estado", "Intentos", "Próximo intento (UTC)", "Último error"):
            table.add_column(col)
        for row in troubles:
            table.add_row(
                row.night.isoformat(),
                row.recipient,
                labels.get(row.status, row.status),
                str(row.attempts),
                row.next_attempt_at.strftime("%Y-%m-%d %H:%M") if row.next_attempt_at else "—",
                (row.last_error or "")[:120],
            )
        console.print(table)


def _print_audit_table(doc: dict) -> None:  # type: ignore[type-arg]
    from checks.api import STATUS_LABELS

    crawl = doc["crawl"]
    console.print(f"[bold]{doc['portal']}[/bold] — referencia {doc['as_of']}")
    console.print(f"Rastreo: {crawl['outcome']} · {crawl['pages']} páginas · {crawl['documents']} documentos")
    if doc["score"] is None:
        console.print("Puntaje: sin puntaje (el rastreo no se completó)")
    else:
        console.print(f"Puntaje: {doc['score']:.1f} % · {doc['band']}")
    table = Table()
    for col in ("Regla", "Estado", "Motivo"):
        table.add_column(col)
    for f in doc["findings"]:
        table.add_row(f["rule"], STATUS_LABELS.get(f["status"], f["status"]), f["reason"])
    console.print(table)
    counts = Counter(f["status"] for f in doc["findings"])
    console.print(", ".join(f"{STATUS_LABELS.get(k, k)}: {v}" for k, v in sorted(counts.items())))


@app.command(
    "fleet",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True, "help_option_names": []},
    help="La flota de portales simulados (pruebas, demo y mediciones): generate, serve, truth, next-night. "
    "Requiere el extra de desarrollo `fleet`.",
)
def fleet(ctx: typer.Context) -> object:
    """The simulator is development code: imported only when asked for, and named when missing."""
    try:
        from fleet.cli import fleet_app
    except ImportError as exc:
        raise UserError(
            f"el simulador de portales no está instalado (falta {exc.name}): instálelo con "
            "`pip install -e '.[fleet]'` o `make setup`"
        ) from None
    command = typer.main.get_command(fleet_app)
    return command.main(args=list(ctx.args), prog_name="vigia fleet", standalone_mode=False)


def _register_workspace() -> None:
    from vigia.workspace_cli import register

    register(app, sys.modules[__name__])


_register_workspace()


@app.callback(invoke_without_command=True)
def _root(
    version: Annotated[bool, typer.Option("--version", help="Muestra la versión y termina.")] = False,
) -> None:
    if version:
        console.print(f"vigia {__version__}")
        raise typer.Exit()


def main() -> None:
    """Entry point: run the app, turning known errors into one line and an exit code."""
    from vigia.store.db import StoreError

    try:
        code = app(standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except RegistryError as exc:
        for problem in exc.problems:
            err_console.print(problem, markup=False, highlight=False, soft_wrap=True)
        sys.exit(2)
    except (UserError, StoreError) as exc:
        err_console.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        sys.exit(2)
    except KeyboardInterrupt:
        err_console.print(
            "interrumpido: lo ya guardado se conserva; vuelva a ejecutar para continuar", markup=False
        )
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err_console.print("cancelado", markup=False)
        sys.exit(1)
    except SystemExit:
        raise
    except Exception as exc:  # noqa: BLE001 - the last line of defence: one line, never a traceback
        if hasattr(exc, "show") and isinstance(getattr(exc, "exit_code", None), int):  # a click usage error
            exc.show()
            sys.exit(exc.exit_code)
        if os.environ.get("VIGIA_DEBUG"):
            traceback.print_exc()
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        err_console.print(
            f"error interno: {type(exc).__name__}: {msg} (VIGIA_DEBUG=1 muestra el detalle)",
            markup=False,
            soft_wrap=True,
        )
        sys.exit(1)


if __name__ == "__main__":
    main()
