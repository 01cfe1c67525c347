"""Compare stored findings of a run with a fleet ``truth.json``: agreement, precision, confusion matrix.

Usage::

    python -m checks.agreement truth.json [--db URL] [--run N] [--as-of YYYY-MM-DD] [--json] [--limit 50]

``truth.json``: ``{"portals": [{"ine_code", "url", "expected_outcome", "platform", "families",
"numerals": {"1": {"status", "period"}, …}}]}``. Portals are matched by INE code (else by URL) with
the newest evaluation of each portal crawl of the run (for ``--as-of`` if given).

Besides the whole run, every figure is given per family of portals (``families`` in the truth: the
structures real portals use that the base fleet lacked; ``base`` = a portal with none) and per platform:
a portal's 29 pairs count for each of its families.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from checks.model import FAILED_OUTCOMES, STATUSES
from vigia.store.models import CrawlRun, Evaluation, Finding, PortalCrawl


@dataclass
class Agreement:
    run_id: int
    pairs: int = 0
    agree: int = 0
    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)  # (truth, found)
    disagreements: list[dict[str, Any]] = field(default_factory=list)
    missing_portals: list[str] = field(default_factory=list)
    failed_with_absent: list[str] = field(default_factory=list)
    outcome_mismatch: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # code: (expected, got)
    groups: dict[str, Agreement] = field(default_factory=dict)  # "familia:x" / "plataforma:y" -> figures
    #: the same figures over the portals whose crawl ended as the truth expects (the checks on their own:
    #: a portal the crawler could not reach this time says nothing about the rules)
    expected: Agreement | None = None

    def count(self, truth: str, found: str) -> None:
        self.pairs += 1
        self.confusion[(truth, found)] += 1
        if truth == found:
            self.agree += 1

    @property
    def agreement(self) -> float:
        return self.agree / self.pairs if self.pairs else 0.0

    @property
    def present_precision(self) -> float:
        found_present = sum(n for (_t, f), n in self.confusion.items() if f == "present")
        right = self.confusion.get(("present", "present"), 0)
        return right / found_present if found_present else 1.0

    @property
    def present_recall(self) -> float:
        truth_present = sum(n for (t, _f), n in self.confusion.items() if t == "present")
        right = self.confusion.get(("present", "present"), 0)
        return right / truth_present if truth_present else 1.0

    def matrix_text(self) -> str:
        labels = [s for s in STATUSES if any(s in k for k in self.confusion)] or list(STATUSES)
        width = max(len(s) for s in labels) + 2
        lines = ["verdad \\ hallado".ljust(width + 4) + "".join(s[:14].rjust(16) for s in labels)]
        for t in labels:
            row = "".join(str(self.confusion.get((t, f), 0)).rjust(16) for f in labels)
            lines.append(t.ljust(width + 4) + row)
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "pairs": self.pairs,
            "agreement": round(self.agreement, 5),
            "present_precision": round(self.present_precision, 5),
            "present_recall": round(self.present_recall, 5),
            "confusion": [
                {"truth": t, "found": f, "count": n} for (t, f), n in sorted(self.confusion.items())
            ],
            "disagreements": self.disagreements,
            "missing_portals": self.missing_portals,
            "failed_with_absent": self.failed_with_absent,
            "outcome_mismatch": {k: list(v) for k, v in sorted(self.outcome_mismatch.items())},
            "groups": {
                name: {
                    "pairs": g.pairs,
                    "agreement": round(g.agreement, 5),
                    "present_precision": round(g.present_precision, 5),
                    "present_recall": round(g.present_recall, 5),
                    "disagreements": g.pairs - g.agree,
                    **(
                        {
                            "expected_crawl": {
                                "pairs": g.expected.pairs,
                                "agreement": round(g.expected.agreement, 5),
                                "present_precision": round(g.expected.present_precision, 5),
                                "present_recall": round(g.expected.present_recall, 5),
                            }
                        }
                        if g.expected is not None
                        else {}
                    ),
                }
                for name, g in sorted(self.groups.items())
            },
            **(
                {
                    "expected_crawl": {
                        "pairs": self.expected.pairs,
                        "agreement": round(self.expected.agreement, 5),
                        "present_precision": round(self.expected.present_precision, 5),
                        "present_recall": round(self.expected.present_recall, 5),
                    }
                }
                if self.expected is not None
                else {}
            ),
        }

    def groups_text(self) -> str:
        """One line per family and per platform: pairs, agreement, precision and recall of «Cumple»."""
        if not self.groups:
            return ""
        width = max(len(k) for k in self.groups) + 2
        lines = [
            "grupo".ljust(width)
            + "pares".rjust(8)
            + "concordancia".rjust(14)
            + "precisión".rjust(12)
            + "exhaustividad".rjust(15)
            + "desacuerdos".rjust(13)
            + "conc.*".rjust(12)
            + "prec.*".rjust(12)
        ]
        for name, g in sorted(self.groups.items(), key=lambda kv: (not kv[0].startswith("familia"), kv[0])):
            lines.append(
                name.ljust(width)
                + str(g.pairs).rjust(8)
                + f"{g.agreement:.2%}".rjust(14)
                + f"{g.present_precision:.2%}".rjust(12)
                + f"{g.present_recall:.2%}".rjust(15)
                + str(g.pairs - g.agree).rjust(13)
                + (
                    f"{g.expected.agreement:.2%}".rjust(12) + f"{g.expected.present_precision:.2%}".rjust(12)
                    if g.expected is not None and g.expected.pairs
                    else ""
                )
            )
        return "\n".join(lines)


def compare(
    store: Any, truth: dict[str, Any], run_id: int | None = None, as_of: dt.date | None = None
) -> Agreement:
    with store.session() as session:
        if run_id is None:
            run_id = session.scalar(select(CrawlRun.id).order_by(CrawlRun.id.desc()).limit(1))
            if run_id is None:
                raise SystemExit("no hay corridas en la base de datos")
        result = Agreement(run_id=run_id)
        portals = session.scalars(select(PortalCrawl).where(PortalCrawl.run_id == run_id)).all()
        by_code = {p.ine_code: p for p in portals if p.ine_code}
        by_url = {p.portal_url.rstrip("/"): p for p in portals}
        for entry in truth.get("portals", []):
            code = str(entry.get("ine_code") or "")
            pc = by_code.get(code) or by_url.get(str(entry.get("url") or "").rstrip("/"))
            if pc is None:
                result.missing_portals.append(code or str(entry.get("url")))
                continue
            query = select(Evaluation).where(Evaluation.portal_crawl_id == pc.id)
            if as_of is not None:
                query = query.where(Evaluation.as_of == as_of)
            evaluation = session.scalars(query.order_by(Evaluation.id.desc()).limit(1)).first()
            if evaluation is None:
                result.missing_portals.append(code)
                continue
            expected_outcome = entry.get("expected_outcome")
            if expected_outcome and expected_outcome != pc.outcome:
                result.outcome_mismatch[code] = (str(expected_outcome), pc.outcome)
            found = {
                f.numeral: f
                for f in session.scalars(select(Finding).where(Finding.evaluation_id == evaluation.id))
                if f.numeral is not None
            }
            if pc.outcome in FAILED_OUTCOMES and any(f.status == "absent" for f in found.values()):
                result.failed_with_absent.append(code)
            names = [f"familia:{f}" for f in entry.get("families") or ()] or (
                ["familia:base"] if "families" in entry else []
            )
            if entry.get("platform"):
                names.append(f"plataforma:{entry['platform']}")
            groups = [result.groups.setdefault(name, Agreement(run_id=run_id)) for name in names]
            as_expected = code not in result.outcome_mismatch
            if as_expected:
                if result.expected is None:
                    result.expected = Agreement(run_id=run_id)
                groups.append(result.expected)
                for name in names:
                    group = result.groups[name]
                    if group.expected is None:
                        group.expected = Agreement(run_id=run_id)
                    groups.append(group.expected)
            for key, expected in sorted(entry.get("numerals", {}).items(), key=lambda kv: int(kv[0])):
                numeral = int(key)
                t_status = expected.get("status") if isinstance(expected, dict) else str(expected)
                finding = found.get(numeral)
                f_status = finding.status if finding else "missing"
                result.count(str(t_status), f_status)
                for group in groups:
                    group.count(str(t_status), f_status)
                if t_status != f_status:
                    result.disagreements.append(
                        {
                            "ine_code": code,
                            "numeral": numeral,
                            "truth": t_status,
                            "truth_period": expected.get("period") if isinstance(expected, dict) else None,
                            "found": f_status,
                            "found_period": finding.period if finding else None,
                            "outcome": pc.outcome,
                            "reason": finding.reason if finding else "",
                            "note": expected.get("note") if isinstance(expected, dict) else None,
                            "hard_cases": expected.get("hard_cases") if isinstance(expected, dict) else None,
                            "families": list(entry.get("families") or ()),
                        }
                    )
    return result


def report_text(result: Agreement, limit: int = 50) -> str:
    lines = [
        f"Corrida {result.run_id}: {result.pairs} pares (portal, numeral); "
        f"concordancia {result.agreement:.2%}; precisión de «Cumple» {result.present_precision:.2%}; "
        f"exhaustividad de «Cumple» {result.present_recall:.2%}.",
        "",
        "Matriz de confusión (filas: verdad; columnas: hallado):",
        result.matrix_text(),
    ]
    if result.expected is not None and result.outcome_mismatch:
        e = result.expected
        lines.insert(
            1,
            f"Sin los portales cuyo rastreo no terminó como se esperaba: {e.pairs} pares; concordancia "
            f"{e.agreement:.2%}; precisión de «Cumple» {e.present_precision:.2%}; exhaustividad "
            f"{e.present_recall:.2%}.",
        )
    if result.groups:
        lines += [
            "",
            "Por familia de portales y por plataforma (* = solo portales cuyo rastreo terminó como se esperaba):",
            result.groups_text(),
        ]
    if result.outcome_mismatch:
        in_mismatch = sum(1 for d in result.disagreements if d["ine_code"] in result.outcome_mismatch)
        lines.append(
            f"\nPortales cuyo rastreo no terminó como se esperaba: {len(result.outcome_mismatch)} "
            f"({in_mismatch} de los {len(result.disagreements)} desacuerdos vienen de ellos): "
            + ", ".join(f"{c} {e}→{g}" for c, (e, g) in sorted(result.outcome_mismatch.items())[:20])
        )
    if result.failed_with_absent:
        lines.append(
            f"\nPortales con rastreo fallido y algún «absent»: {', '.join(result.failed_with_absent)}"
        )
    if result.missing_portals:
        lines.append(f"\nPortales de la verdad sin evaluación: {len(result.missing_portals)}")
    if result.disagreements:
        by_kind = Counter((d["truth"], d["found"]) for d in result.disagreements)
        lines.append(
            "\nDesacuerdos por tipo: " + ", ".join(f"{t}→{f}: {n}" for (t, f), n in by_kind.most_common())
        )
        lines.append(
            f"\nDesacuerdos (primeros {min(limit, len(result.disagreements))} de {len(result.disagreements)}):"
        )
        for d in result.disagreements[:limit]:
            lines.append(
                f"  {d['ine_code']} numeral {d['numeral']}: verdad {d['truth']} ({d['truth_period']}), "
                f"hallado {d['found']} ({d['found_period']}) — {d['reason']}"
                + (f" [casos: {', '.join(d['hard_cases'])}]" if d.get("hard_cases") else "")
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    from vigia import config
    from vigia.store import open_store

    parser = argparse.ArgumentParser(
        description="Compara los hallazgos de una corrida con truth.json de la flota."
    )
    parser.add_argument("truth", type=Path)
    parser.add_argument("--db", default=None)
    parser.add_argument("--run", type=int, default=None)
    parser.add_argument("--as-of", default=None)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--limit", type=int, default=50)
    args = parser.parse_args(argv)
    try:
        truth = json.loads(args.truth.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        print(f"error: no se pudo leer {args.truth}: {exc}", file=sys.stderr)
        return 2
    as_of = dt.date.fromisoformat(args.as_of) if args.as_of else None
    store = open_store(config.database_url(args.db), config.data_dir())
    result = compare(store, truth, run_id=args.run, as_of=as_of)
    if args.json:
        print(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
    else:
        print(report_text(result, args.limit))
    return 0


if __name__ == "__main__":
    sys.exit(main())
