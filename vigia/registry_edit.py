"""Changing ``municipalities.csv`` without losing anything: merging lists of found portal addresses with
their provenance, and writing the proposals of ``vigia municipalities discover --apply``.

Every change keeps the other rows and columns exactly as they were; the file is validated before and
after (:func:`vigia.registry.parse_registry`), and replaced atomically, so a bad change never leaves a
half-written registry.

Merge rules for a list of found addresses (``vigia municipalities merge FILE``; docs/registry.md):

* ``high`` and ``medium`` confidence become ``portal_url`` when the row has none. When a row names the
  same municipality twice (an old and a new domain), the one with the higher confidence wins, then the
  official ``.gob.gt`` domain, then the newer one (a note saying "older domain" or "may be stale" counts
  as older); the other goes to ``alt_urls``.
* When the row already has a ``portal_url``, a different found address goes to ``alt_urls``.
* ``low`` confidence goes to ``alt_urls`` only, with a note in ``notes`` saying it needs confirmation.
* The provenance (source, confidence, note, date merged) goes to ``portal_source`` (for ``portal_url``)
  or into the note (for an ``alt_urls`` entry). An address already in the row only gains its provenance.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from vigia.registry import COLUMNS, RegistryError, check_url, parse_registry

CONFIDENCES: tuple[str, ...] = ("high", "medium", "low")
CONFIDENCE_LABELS: dict[str, str] = {"high": "alta", "medium": "media", "low": "baja"}
#: Confidences that may become a municipality's ``portal_url``; lower ones only go to ``alt_urls``.
PORTAL_CONFIDENCES: frozenset[str] = frozenset({"high", "medium"})
_STALE_WORDS = ("older domain", "superseded", "may be stale", "dominio anterior", "antiguo")
#: ``tipo_portal`` values of a list in the second format, read as a confidence.
_KIND_CONFIDENCE = {
    "oficial": "high",
    "transparencia_laip_gt": "high",
    "alternativa": "low",
    "subdominio_servicios": "low",
}


@dataclass(frozen=True, slots=True)
class FoundUrl:
    """One address found for a municipality, with where it was seen."""

    ine_code: str
    url: str
    source: str
    confidence: str
    note: str = ""
    line: int = 0

    @property
    def official(self) -> bool:
        host = (urlsplit(self.url).hostname or "").lower()
        return host.endswith(".gob.gt")

    @property
    def stale(self) -> bool:
        note = self.note.lower()
        return any(word in note for word in _STALE_WORDS)

    def provenance(self, when: str) -> str:
        parts = [f"confianza {CONFIDENCE_LABELS.get(self.confidence, self.confidence)}"]
        if self.source:
            parts.append(f"fuente {self.source}")
        if self.note:
            parts.append(f"nota: {self.note}")
        parts.append(f"incorporada {when}")
        return "; ".join(parts)


@dataclass
class MergeSummary:
    before: int = 0
    after: int = 0
    portal_urls: list[str] = field(default_factory=list)  # "CODE URL"
    alt_urls: list[str] = field(default_factory=list)
    provenance_only: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "line N: why"

    def describe(self) -> str:
        return (
            f"{len(self.portal_urls)} portal_url nuevas, {len(self.alt_urls)} alt_urls nuevas, "
            f"{len(self.provenance_only)} con procedencia añadida, {len(self.skipped)} omitidas; "
            f"municipalidades con portal: {self.before} antes, {self.after} después"
        )


def read_found(path: str | os.PathLike[str]) -> list[FoundUrl]:
    """Read a list of found addresses. Two layouts are understood: ``ine_code,department,municipality,url,
    seen_at,confidence,note`` and ``codigo_ine,departamento,municipio,tipo_portal,url,fuente,nota``.
    Rows whose code is not four digits (an ambiguous municipality) are kept with their code as is and
    reported as skipped by :func:`merge_found` unless the caller maps them."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise RegistryError([f"line 0: no se puede leer {p}: {exc}"]) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    fields = set(reader.fieldnames or [])
    result: list[FoundUrl] = []
    problems: list[str] = []
    for row in reader:
        line = reader.line_num
        if "ine_code" in fields:
            code, url = (row.get("ine_code") or "").strip(), (row.get("url") or "").strip()
            source, confidence = (row.get("seen_at") or "").strip(), (row.get("confidence") or "").strip()
            note = (row.get("note") or "").strip()
        elif "codigo_ine" in fields:
            code, url = (row.get("codigo_ine") or "").strip(), (row.get("url") or "").strip()
            source = (row.get("fuente") or "").strip()
            kind = (row.get("tipo_portal") or "").strip()
            confidence = _KIND_CONFIDENCE.get(kind, "low")
            note = "; ".join(x for x in (kind, (row.get("nota") or "").strip()) if x)
        else:
            raise RegistryError([f"line 1: {p}: encabezado desconocido (se espera ine_code,url,... )"])
        confidence = confidence.lower()
        if confidence not in CONFIDENCES:
            problems.append(f"line {line}: confianza desconocida {confidence!r} (high, medium o low)")
            continue
        problem = check_url(url)
        if problem:
            problems.append(f"line {line}: {problem}")
            continue
        result.append(FoundUrl(code, url, source, confidence, note, line))
    if problems:
        raise RegistryError(problems)
    return result


def _norm(url: str) -> str:
    return url.strip().rstrip("/").lower()


def _rank(found: FoundUrl) -> tuple[int, int, int]:
    return (
        CONFIDENCES.index(found.confidence),
        0 if found.official else 1,
        1 if found.stale else 0,
    )


def rewrite_registry(text: str, updates: Mapping[str, Mapping[str, str]], source: str = "registry") -> str:
    """The registry's text with the given cells replaced (``{ine_code: {column: value}}``); every other
    byte of every row is kept. Adds the optional ``portal_source`` column when a change needs it.
    Raises :class:`RegistryError` when the result would not validate or a code is unknown."""
    parse_registry(text, source=source)
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header = [h.strip().lstrip("\ufeff") for h in rows[0]]
    needed = {col for change in updates.values() for col in change}
    unknown = sorted(needed - set(COLUMNS))
    if unknown:
        raise RegistryError([f"columnas desconocidas: {', '.join(unknown)}"])
    for col in COLUMNS:
        if col in needed and col not in header:
            header.append(col)
            for row in rows[1:]:
                if row:
                    row.append("")
    index = {name: i for i, name in enumerate(header)}
    pending = dict(updates)
    for row in rows[1:]:
        if not row:
            continue
        change = pending.pop(row[index["ine_code"]].strip(), None)
        if change:
            for col, value in change.items():
                row[index[col]] = value
    if pending:
        raise RegistryError([f"código INE desconocido: {', '.join(sorted(pending))}"])
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(r for r in rows[1:] if r)
    result = buf.getvalue()
    parse_registry(result, source=source)
    return result


def write_registry_text(path: str | os.PathLike[str], text: str) -> None:
    """Replace the registry file atomically (write a temporary file beside it, then rename)."""
    p = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=".registry-", suffix=".csv", dir=p.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _join_note(existing: str, addition: str) -> str:
    if not existing:
        return addition
    if addition in existing:
        return existing
    return f"{existing} / {addition}"


def merge_found(
    text: str,
    found: Iterable[FoundUrl],
    when: str | None = None,
    aliases: Mapping[str, str] | None = None,
) -> tuple[str, MergeSummary]:
    """Merge found addresses into the registry's text (rules in the module docstring). ``aliases`` maps a
    code the list could not settle (e.g. ``????``) to the municipality decided by a person; such an
    address never becomes ``portal_url``. Returns the new text and what changed."""
    when = when or dt.date.today().isoformat()
    aliases = aliases or {}
    rows = {m.ine_code: m for m in parse_registry(text)}
    summary = MergeSummary(before=sum(1 for m in rows.values() if m.portal_url))
    by_code: dict[str, list[FoundUrl]] = {}
    for f in found:
        code = f.ine_code
        if code in aliases:
            code = aliases[code]
            f = FoundUrl(code, f.url, f.source, "low", f.note + "; municipio asignado por revisión", f.line)
        if code not in rows:
            summary.skipped.append(
                f"line {f.line}: código INE {f.ine_code!r} no está en el registro ({f.url})"
            )
            continue
        by_code.setdefault(code, []).append(f)
    updates: dict[str, dict[str, str]] = {}
    for code, items in by_code.items():
        m = rows[code]
        portal = m.portal_url
        alts = list(m.alt_urls)
        source = m.portal_source
        notes = m.notes
        known = {_norm(u) for u in (portal or "", *alts) if u}
        for f in sorted(items, key=_rank):
            if _norm(f.url) in known:
                if portal and _norm(f.url) == _norm(portal) and (not f.source or f.source not in source):
                    source = _join_note(source, f.provenance(when))  # a second source is added, not lost
                    summary.provenance_only.append(f"{code} {f.url}")
                elif portal and _norm(f.url) != _norm(portal) and f.url not in notes:
                    notes = _join_note(notes, f"alt_urls {f.url}: {f.provenance(when)}")
                    summary.provenance_only.append(f"{code} {f.url}")
                continue
            if not portal and f.confidence in PORTAL_CONFIDENCES:
                portal, source = f.url, f.provenance(when)
                summary.portal_urls.append(f"{code} {f.url}")
            else:
                alts.append(f.url)
                why = (
                    "necesita confirmación"
                    if f.confidence not in PORTAL_CONFIDENCES
                    else "dirección alternativa"
                )
                notes = _join_note(notes, f"alt_urls {f.url} ({why}): {f.provenance(when)}")
                summary.alt_urls.append(f"{code} {f.url}")
            known.add(_norm(f.url))
        change: dict[str, str] = {}
        if (portal or None) != m.portal_url:
            change["portal_url"] = portal or ""
        if tuple(alts) != m.alt_urls:
            change["alt_urls"] = ";".join(alts)
        if source != m.portal_source:
            change["portal_source"] = source
        if notes != m.notes:
            change["notes"] = notes
        if change:
            updates[code] = change
    new_text = rewrite_registry(text, updates) if updates else text
    summary.after = sum(1 for m in parse_registry(new_text) if m.portal_url)
    return new_text, summary
