"""``python -m bench.notify [--portals 340]``: how long ``vigia notify`` takes for a whole country.

A synthetic store (``reports.synthetic``: N portals × 34 findings, two nights) whose registry gives every
municipality a made-up ``uip_email`` on example.gt, one monitor subscribed; both nights are notified
through a real SMTP server on loopback (aiosmtpd, a development dependency), then night 2 again (nothing
to send), then a dry run. Prints the message counts and the seconds of each step.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

from reports import synthetic
from reports.notify.api import run_notify
from reports.notify.subscribers import Subscriber
from reports.notify.transport import SmtpTransport
from vigia.registry import load_registry
from vigia.store import open_store


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.notify")
    parser.add_argument("--portals", type=int, default=340)
    parser.add_argument("--registry", default="municipalities.csv")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from smtp_helpers import Mailbox, smtp_server

    work = Path(tempfile.mkdtemp(prefix="vigia-notify-"))
    registry = [
        dataclasses.replace(m, uip_email=f"uip.{m.ine_code}@municipalidades.example.gt")
        for m in load_registry(args.registry)
    ]
    store = open_store(f"sqlite:///{work / 'vigia.db'}", work / "data")
    t0 = time.perf_counter()
    runs = synthetic.generate(store, registry, args.portals, nights=2)
    print(f"almacén sintético: {args.portals} portales × 2 noches en {time.perf_counter() - t0:.1f} s")
    nights = [synthetic.AS_OF - dt.timedelta(days=1), synthetic.AS_OF]
    monitors = [Subscriber("monitoreo@pdh.example.gt")]
    box = Mailbox()
    with smtp_server(box) as url:
        for label, run_id, night in (
            ("noche 1", runs[0], nights[0]),
            ("noche 2", runs[1], nights[1]),
            ("noche 2 otra vez", runs[1], nights[1]),
        ):
            t, cpu = time.perf_counter(), time.process_time()
            summary = run_notify(
                store,
                registry,
                run_id=run_id,
                as_of=night,
                site_url="https://vigia.example.org/",
                transport=SmtpTransport(url),
                subscribers=monitors,
                sender="Vigía <vigia@pdh.example.gt>",
            )
            seconds, cpu = time.perf_counter() - t, time.process_time() - cpu
            received = len(box.take())
            print(
                f"{label}: {received} mensajes recibidos por SMTP en {seconds:.1f} s ({cpu:.1f} s de CPU, "
                f"servidor SMTP del mismo proceso incluido) — {summary.describe()}"
            )
    t, cpu = time.perf_counter(), time.process_time()
    dry = run_notify(
        store,
        registry,
        run_id=runs[1],
        as_of=nights[1],
        site_url="https://vigia.example.org/",
        dry_run=work / "eml",
        subscribers=[Subscriber("otro.monitor@pdh.example.gt")],
    )
    print(
        f"simulación (--dry-run) de la noche 2 con otro monitor: {dry.files} archivos en "
        f"{time.perf_counter() - t:.1f} s ({time.process_time() - cpu:.1f} s de CPU)"
    )
    # the demo's case: a first night with no outbox, written as .eml files
    fresh = open_store(f"sqlite:///{work / 'fresh.db'}", work / "data-fresh")
    first = synthetic.generate(fresh, registry, args.portals, nights=1)[0]
    t, cpu = time.perf_counter(), time.process_time()
    demo = run_notify(
        fresh,
        registry,
        run_id=first,
        as_of=synthetic.AS_OF,
        site_url=(work / "site").as_uri() + "/",
        dry_run=work / "eml-demo",
        subscribers=monitors,
    )
    print(
        f"primera noche en simulación (como make demo): {demo.files} archivos .eml en "
        f"{time.perf_counter() - t:.1f} s ({time.process_time() - cpu:.1f} s de CPU)"
    )
    fresh.close()
    store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
