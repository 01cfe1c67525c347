"""Portal discovery: patterns from the registry, evidence-based verification, the planted portals found
and the four decoys (parked, news, homonym, dead) rejected; names resolved by a table to loopback."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fleet.discovery import (
    build_scenario,
    decoy_server,
    score,
)
from fleet.server import serve_subprocess
from vigia.discover import (
    APPLY_THRESHOLD,
    MappingResolver,
    Pattern,
    apply_proposals,
    assess,
    candidate_hosts,
    choose_targets,
    derive_patterns,
    discover,
    read_hosts_table,
    unreachable_nights,
    write_proposals,
)
from vigia.registry import load_registry, parse_registry
from vigia.registry_edit import rewrite_registry

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def registry():  # type: ignore[no-untyped-def]
    return load_registry(ROOT / "municipalities.csv")


def _m(registry, code):  # type: ignore[no-untyped-def]
    return next(m for m in registry if m.ine_code == code)


# --------------------------------------------------------------------------- patterns


def test_patterns_are_derived_from_the_registrys_own_urls(registry) -> None:  # type: ignore[no-untyped-def]
    report = derive_patterns(registry)
    templates = [p.template for p, _, _ in report.patterns]
    assert templates[0] == "muni<full>.gob.gt"  # the most common convention by far
    for expected in (
        "municipalidadde<full>.gob.gt",
        "muni<full>.laip.gt",
        "muni<full>.com.gt",
        "muni<full+dept>.gob.gt",  # munielchalpeten.gob.gt
        "muni<last>.gob.gt",  # municarcha.gob.gt (San Pedro Carchá)
        "muni<short6>.gob.gt",  # munimazate.gob.gt (Mazatenango)
        "laip.muni<full>.gob.gt",  # laip2024.munisanarate.gob.gt
    ):
        assert expected in templates
    counts = {p.template: n for p, n, _ in report.patterns}
    assert counts["muni<full>.gob.gt"] >= 30
    assert "munixela.gob.gt" in report.unexplained  # Xela is not a form of "Quetzaltenango"


def test_candidates_for_a_municipality_follow_the_patterns(registry) -> None:  # type: ignore[no-untyped-def]
    patterns = [p for p, _, _ in derive_patterns(registry).patterns]
    hosts = candidate_hosts(_m(registry, "0102"), patterns)  # Santa Catarina Pinula
    assert hosts[0] == "munisantacatarinapinula.gob.gt"
    for expected in (
        "municipalidaddesantacatarinapinula.gob.gt",
        "munisantacatarinapinula.com.gt",
        "munisantacatarinapinula.laip.gt",
        "munipinula.gob.gt",
    ):
        assert expected in hosts
    assert len(hosts) == len(set(hosts)) <= 40
    assert Pattern("muni", "full", "gob.gt", "transparencia").template == "transparencia.muni<full>.gob.gt"


# --------------------------------------------------------------------------- verification (pure)


def test_assess_accepts_a_municipal_site_with_evidence(registry) -> None:  # type: ignore[no-untyped-def]
    m = _m(registry, "0102")
    verdict = assess(
        m,
        "Inicio | Municipalidad de Santa Catarina Pinula",
        "Municipalidad de Santa Catarina Pinula, Guatemala. Información Pública de Oficio. "
        "Ley de Acceso a la Información Pública",
        "https://munisantacatarinapinula.gob.gt/",
    )
    assert verdict.decision == "proposed" and verdict.kind == "municipal"
    assert verdict.confidence >= APPLY_THRESHOLD
    assert verdict.evidence is not None
    assert "municipalidad de santa catarina pinula" in verdict.evidence.matched
    assert "informacion publica de oficio" in verdict.evidence.laip


def test_assess_rejects_thin_evidence_and_unrelated_pages(registry) -> None:  # type: ignore[no-untyped-def]
    m = _m(registry, "0102")
    thin = assess(m, "Bienvenidos", "Santa Catarina Pinula", "http://santacatarinapinula.com/")
    assert thin.decision == "rejected" and thin.reason == "evidencia insuficiente"
    other = assess(m, "Tienda", "Zapatos y ropa", "http://x.com/")
    assert other.decision == "rejected" and "no nombra" in other.reason


def test_assess_rejects_parked_news_and_homonym(registry) -> None:  # type: ignore[no-untyped-def]
    m = _m(registry, "0102")
    parked = assess(m, "munisantacatarinapinula.com.gt", "Este dominio está en venta", "http://a/")
    assert parked.kind == "parked" and parked.decision == "rejected"
    news = assess(
        m,
        "Noticias | Diario Regional",
        "Por Redacción. La Municipalidad de Santa Catarina Pinula, Guatemala, informó. Suscríbete",
        "http://b/",
        {"og:type": "article"},
    )
    assert news.kind == "news" and news.decision == "rejected"
    # San Pedro Sacatepéquez exists in Guatemala (0109) and in San Marcos (1202); "Guatemala" after the
    # department is the country, not the department of 0109
    homonym = assess(
        _m(registry, "0109"),
        "Municipalidad de San Pedro Sacatepéquez",
        "Municipalidad de San Pedro Sacatepéquez, San Marcos, Guatemala. Información pública de oficio",
        "http://c/",
    )
    assert homonym.kind == "homonym" and homonym.decision == "rejected"
    assert "san marcos" in homonym.reason
    # Santa Bárbara (Suchitepéquez 1015) seen on the site of Santa Bárbara, Huehuetenango, which names
    # Suchitepéquez elsewhere on the page
    elsewhere = assess(
        _m(registry, "1015"),
        "Inicio | Municipalidad de Santa Bárbara",
        "Municipalidad de Santa Bárbara, Huehuetenango. Información pública de oficio. Ley de Acceso a la "
        "Información Pública. Convenio con municipalidades de Suchitepéquez.",
        "http://munisantabarbara.gob.gt/",
    )
    assert elsewhere.kind == "homonym" and "huehuetenango" in elsewhere.reason
    same = assess(
        _m(registry, "1202"),
        "Municipalidad de San Pedro Sacatepéquez",
        "Municipalidad de San Pedro Sacatepéquez, San Marcos, Guatemala. Información pública de oficio",
        "http://c.gob.gt/",
    )
    assert same.decision == "proposed" and same.confidence >= APPLY_THRESHOLD


# --------------------------------------------------------------------------- resolvers and safety


def test_hosts_table_and_guarded_addresses(tmp_path: Path, registry) -> None:  # type: ignore[no-untyped-def]
    table = tmp_path / "hosts"
    table.write_text("# nombre dirección\nmunia.gob.gt 127.0.0.9:81\nmunib.gob.gt 169.254.169.254\n")
    assert read_hosts_table(table) == {"munia.gob.gt": "127.0.0.9:81", "munib.gob.gt": "169.254.169.254"}
    m = _m(registry, "0102")
    targets = [(m, "sin portal conocido")]
    mapping = {
        "munisantacatarinapinula.gob.gt": "169.254.169.254",  # metadata address: always refused
        "munisantacatarinapinula.com.gt": "127.0.0.1:9",  # loopback: refused without allow_private
    }
    result = discover(targets, [m], resolver=MappingResolver(mapping), allow_private=False, schemes=("http",))
    judged = {c.host: c for c in result.results[0].candidates if c.status != "no_dns"}
    assert judged["munisantacatarinapinula.gob.gt"].status == "refused"
    assert "enlace local" in judged["munisantacatarinapinula.gob.gt"].reason
    assert judged["munisantacatarinapinula.com.gt"].status == "refused"
    assert "loopback" in judged["munisantacatarinapinula.com.gt"].reason
    assert result.requests == 0  # nothing was fetched
    assert result.proposals() == []


# --------------------------------------------------------------------------- end to end on the fleet


@pytest.fixture(scope="module")
def scenario_run(tmp_path_factory: pytest.TempPathFactory, registry):  # type: ignore[no-untyped-def]
    work = tmp_path_factory.mktemp("discovery")
    sc = build_scenario(work / "fleet", registry, planted=6)
    by_code = {m.ine_code: m for m in registry}
    targets = choose_targets([by_code[c] for c in sc.codes], sc.codes, {})
    with serve_subprocess(sc.fleet_dir), decoy_server(sc):
        result = discover(
            targets, registry, resolver=MappingResolver(sc.mapping), allow_private=True, schemes=("http",)
        )
    return sc, result, work


def test_discovery_finds_planted_portals_and_rejects_decoys(scenario_run) -> None:  # type: ignore[no-untyped-def]
    sc, result, _ = scenario_run
    figures = score(sc, result, threshold=APPLY_THRESHOLD)
    assert figures["true_positives"] == 6 and figures["false_positives"] == 0, figures["wrong"]
    assert figures["precision"] == 1.0 and figures["recall"] == 1.0
    by_code = {r.ine_code: r for r in result.results}
    for code, kind in sc.decoyed.items():
        r = by_code[code]
        assert r.best is None, (code, kind)
        judged = [c for c in r.candidates if c.status != "no_dns"]
        assert [c.kind for c in judged] == [kind], (code, [(c.host, c.kind, c.reason) for c in judged])
    # the planted portal with a parked namesake: the portal is proposed, the parking page rejected
    first = next(iter(sc.planted))
    kinds = {c.kind for c in by_code[first].candidates if c.status != "no_dns"}
    assert {"municipal", "parked"} <= kinds
    for code, host in sc.planted.items():
        best = by_code[code].best
        assert best is not None and best.url == f"http://{host}/"
        assert best.evidence and best.evidence["title"] and best.evidence["laip"]


def test_proposals_are_written_and_apply_writes_only_above_the_threshold(
    scenario_run, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    sc, result, _ = scenario_run
    csv_path, json_path = write_proposals(result, tmp_path / "out")
    rows = list(csv.DictReader(csv_path.open(encoding="utf-8")))
    assert {r["ine_code"] for r in rows} == set(sc.codes)
    proposed = {r["ine_code"]: r for r in rows if r["propuesta"]}
    assert set(proposed) == set(sc.planted)
    assert all(float(r["confianza"]) >= APPLY_THRESHOLD and r["aplicable"] == "sí" for r in proposed.values())
    data = json.loads(json_path.read_text(encoding="utf-8"))
    assert data["apply_threshold"] == APPLY_THRESHOLD
    assert data["patterns"]["patterns"][0]["template"] == "muni<full>.gob.gt"
    decoy_rows = [r for r in data["municipalities"] if r["ine_code"] in sc.decoyed]
    assert all(r["proposal"] is None and r["candidates"] for r in decoy_rows)

    text = (ROOT / "municipalities.csv").read_text(encoding="utf-8")
    new_text, applied, skipped = apply_proposals(text, result, when="2026-12-03")
    assert len(applied) == len(sc.planted) and skipped == []
    after = {m.ine_code: m for m in parse_registry(new_text)}
    for code, host in sc.planted.items():
        assert after[code].portal_url == f"http://{host}/"
        assert "descubierta por vigia municipalities discover" in after[code].portal_source
    for code in sc.decoyed:
        assert after[code].portal_url is None
    # a proposal that is already another row's portal is not applied
    taken_text = rewrite_registry(
        text, {"0101": {"portal_url": f"http://{next(iter(sc.planted.values()))}/"}}
    )
    _, applied2, skipped2 = apply_proposals(taken_text, result)
    assert len(applied2) == len(sc.planted) - 1 and len(skipped2) == 1 and "0101" in skipped2[0]
    # every other row is byte for byte the same
    changed = [a for a, b in zip(text.splitlines(), new_text.splitlines(), strict=True) if a != b]
    assert len(changed) == len(sc.planted)


def test_cli_discover_with_a_hosts_table(scenario_run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    sc, _, _ = scenario_run
    reg = tmp_path / "municipalities.csv"
    shutil.copy(ROOT / "municipalities.csv", reg)
    hosts = tmp_path / "hosts.json"
    hosts.write_text(json.dumps(sc.mapping))
    codes = ",".join(sc.codes)
    with serve_subprocess(sc.fleet_dir), decoy_server(sc):
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "vigia.cli",
                "municipalities",
                "discover",
                "--registry",
                str(reg),
                "--db",
                str(tmp_path / "none.db"),
                "--only",
                codes,
                "--hosts",
                str(hosts),
                "--allow-private-addresses",
                "--out",
                str(tmp_path / "prop"),
                "--timeout",
                "10",
                "--apply",
            ],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=300,
        )
    assert proc.returncode == 0, proc.stderr
    assert f"{len(sc.planted)} propuestas aplicadas" in proc.stdout
    assert (tmp_path / "prop" / "propuestas.csv").exists()
    after = {m.ine_code: m for m in load_registry(reg)}
    assert all(after[c].portal_url for c in sc.planted)
    assert not any(after[c].portal_url for c in sc.decoyed)
    assert not (tmp_path / "none.db").exists()  # no store was created just to look for outages


def test_cli_discover_refuses_unknown_codes(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "vigia.cli",
            "municipalities",
            "discover",
            "--only",
            "9999",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert proc.returncode == 2
    assert "9999" in proc.stderr and "Traceback" not in proc.stderr


# --------------------------------------------------------------------------- unreachable portals


def test_unreachable_for_n_nights_are_searched(sqlite_url: str, tmp_path: Path, registry) -> None:  # type: ignore[no-untyped-def]
    from vigia.store import open_store
    from vigia.store.models import CrawlRun, PortalCrawl

    store = open_store(sqlite_url, tmp_path / "data")
    outcomes = {"0901": ["unreachable"] * 3, "1101": ["complete", "unreachable", "unreachable"]}
    with store.session() as s:
        for night in range(3):
            run = CrawlRun(kind="nightly", status="finished")
            s.add(run)
            s.flush()
            for code, seq in outcomes.items():
                s.add(
                    PortalCrawl(
                        run_id=run.id, portal_key=code, ine_code=code, portal_url="x", outcome=seq[night]
                    )
                )
        s.commit()
    assert unreachable_nights(store, ["0901", "1101"], 3) == {"0901": 3}
    assert unreachable_nights(store, ["0901", "1101"], 2) == {"0901": 3, "1101": 2}
    targets = choose_targets(registry, None, unreachable_nights(store, ["0901", "1101"], 3))
    why = {m.ine_code: w for m, w in targets}
    assert why["0901"] == "portal inalcanzable 3 noches seguidas"
    assert "1101" not in why
    assert sum(1 for m in registry if not m.portal_url) == sum(
        1 for w in why.values() if w == "sin portal conocido"
    )


def test_bad_candidates_are_rejected_with_a_reason_never_a_traceback(registry) -> None:  # type: ignore[no-untyped-def]
    """A redirect to the metadata address, robots.txt forbidding, a binary body, a huge page."""
    import asyncio
    import threading

    from aiohttp import web

    from fleet.discovery import free_port

    m = _m(registry, "0102")
    port = free_port()
    huge = (
        "<html><head><title>Municipalidad de Santa Catarina Pinula</title></head><body>"
        "<p>Municipalidad de Santa Catarina Pinula, Guatemala. Información pública de oficio. "
        "Ley de Acceso a la Información Pública</p>" + "<p>relleno</p>" * 400_000 + "</body></html>"
    )

    async def handle(request: web.Request) -> web.StreamResponse:
        host = (request.host or "").split(":", 1)[0]
        if host == "munisantacatarinapinula.com.gt" and request.path == "/robots.txt":
            return web.Response(text="User-agent: *\nDisallow: /\n")
        if request.path == "/robots.txt":
            return web.Response(status=404)
        if host == "munisantacatarinapinula.gob.gt":
            raise web.HTTPFound("http://169.254.169.254/latest/meta-data/")
        if host == "municipalidaddesantacatarinapinula.gob.gt":
            return web.Response(body=bytes(range(256)) * 100, content_type="application/octet-stream")
        if host == "santacatarinapinula.gob.gt":
            return web.Response(text=huge, content_type="text/html")
        return web.Response(status=404)

    loop = asyncio.new_event_loop()
    ready, stop = threading.Event(), threading.Event()

    async def main() -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        ready.set()
        while not stop.is_set():
            await asyncio.sleep(0.05)
        await runner.cleanup()

    thread = threading.Thread(target=lambda: loop.run_until_complete(main()), daemon=True)
    thread.start()
    ready.wait(10)
    hosts = [
        "munisantacatarinapinula.gob.gt",
        "munisantacatarinapinula.com.gt",
        "municipalidaddesantacatarinapinula.gob.gt",
        "santacatarinapinula.gob.gt",
    ]
    try:
        result = discover(
            [(m, "sin portal conocido")],
            registry,
            resolver=MappingResolver({h: f"127.0.0.1:{port}" for h in hosts}),
            allow_private=True,
            schemes=("http",),
        )
    finally:
        stop.set()
        thread.join(10)
        loop.close()
    judged = {c.host: c for c in result.results[0].candidates if c.status != "no_dns"}
    assert judged["munisantacatarinapinula.gob.gt"].kind == "address"
    assert "169.254.169.254" in judged["munisantacatarinapinula.gob.gt"].reason
    assert judged["munisantacatarinapinula.com.gt"].kind == "robots"
    assert judged["municipalidaddesantacatarinapinula.gob.gt"].kind == "not_html"
    big = judged["santacatarinapinula.gob.gt"]  # cut at the size cap, still judged on what was read
    assert big.status == "proposed" and big.confidence >= APPLY_THRESHOLD
    assert result.results[0].best is big


def test_alt_urls_waiting_for_confirmation_are_verified_first(scenario_run, registry) -> None:  # type: ignore[no-untyped-def]
    """A low-confidence address in alt_urls under a name no pattern builds is checked and proposed."""
    import dataclasses

    sc, _, _ = scenario_run
    code, host = next(iter(sc.planted.items()))
    mapping = {h: a for h, a in sc.mapping.items() if h != host}
    mapping["portal-por-confirmar.org"] = sc.mapping[host]
    m = dataclasses.replace(_m(registry, code), alt_urls=("http://portal-por-confirmar.org/",))
    with serve_subprocess(sc.fleet_dir), decoy_server(sc):
        result = discover(
            [(m, "sin portal conocido")], registry, resolver=MappingResolver(mapping), allow_private=True
        )
    best = result.results[0].best
    assert best is not None and best.url == "http://portal-por-confirmar.org/"
    assert result.results[0].candidates[0].host == "portal-por-confirmar.org"


def test_cli_discover_with_real_dns_and_no_network(tmp_path: Path) -> None:
    """The default resolver (real DNS) in a network namespace without network: nothing resolves, every
    name is reported as not found, the proposals are written, no traceback."""
    unshare = shutil.which("unshare")
    if unshare is None or subprocess.run([unshare, "-n", "true"], capture_output=True).returncode != 0:
        pytest.skip(
            "unshare -n no está disponible (se necesita root): sin red aislada no se prueba el DNS real"
        )
    proc = subprocess.run(
        [
            unshare,
            "-n",
            sys.executable,
            "-m",
            "vigia.cli",
            "municipalities",
            "discover",
            "--only",
            "0102",
            "--db",
            str(tmp_path / "none.db"),
            "--out",
            str(tmp_path / "out"),
            "--timeout",
            "3",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0102 Santa Catarina Pinula: sin propuesta" in proc.stdout
    data = json.loads((tmp_path / "out" / "propuestas.json").read_text(encoding="utf-8"))
    row = data["municipalities"][0]
    assert row["proposal"] is None and len(row["names_tried"]) >= 10 and row["candidates"] == []


def test_cli_patterns_and_show_provenance() -> None:
    env = {**os.environ, "COLUMNS": "200"}
    patterns = subprocess.run(
        [sys.executable, "-m", "vigia.cli", "municipalities", "patterns"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
    )
    assert patterns.returncode == 0, patterns.stderr
    assert "muni<full>.gob.gt" in patterns.stdout and "35" in patterns.stdout
    assert "sin patrón:" in patterns.stdout and "munixela.gob.gt" in patterns.stdout
    show = subprocess.run(
        [sys.executable, "-m", "vigia.cli", "municipalities", "show", "1601"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
    )
    assert (
        show.returncode == 0 and "Procedencia del portal" in show.stdout and "confianza alta" in show.stdout
    )


def test_bad_hosts_table_is_one_clear_error(tmp_path: Path) -> None:
    from vigia.errors import UserError

    bad = tmp_path / "hosts"
    bad.write_text("munia.gob.gt\n")
    with pytest.raises(UserError, match="línea 1"):
        read_hosts_table(bad)
    bad.write_text("{not json")
    with pytest.raises(UserError, match="JSON inválido"):
        read_hosts_table(bad)
    with pytest.raises(UserError, match="no se puede leer"):
        read_hosts_table(tmp_path / "missing")
