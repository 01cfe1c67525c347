"""Inline SVG charts built in Python: no scripts, no external files, every text escaped.

Colours are presentation attributes (not ``style``), so the pages' Content-Security-Policy needs no
inline styles; every chart carries a ``<title>`` and an ``aria-label`` and the figures are also in a table
next to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from checks.facts import ACCEPTABLE, BANDS, DEFICIENT, LOW, band_for
from reports.facts import NO_SCORE

BAND_COLORS: dict[str, str] = {
    ACCEPTABLE: "#1e6b3a",
    LOW: "#b07d00",
    DEFICIENT: "#a52a22",
    NO_SCORE: "#74777c",
}
STATUS_COLORS: dict[str, str] = {
    "present": "#1e6b3a",
    "outdated": "#c58f00",
    "absent": "#a52a22",
    "not_applicable": "#a3a7ad",
    "unverified": "#5a4a86",
}
INK = "#1b2733"
MUTED = "#5c6670"
GRID = "#d5dbe1"
NAVY = "#0b2e59"
FONT = "font-family=\"'Segoe UI', 'DejaVu Sans', Arial, sans-serif\""


def _e(text: object) -> str:
    return str(escape(str(text)))


def _svg(width: int, height: int, title: str, body: list[str]) -> Markup:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-label="{_e(title)}" class="chart" {FONT}>'
        f"<title>{_e(title)}</title>"
    )
    return Markup(head + "".join(body) + "</svg>")


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: float
    color: str
    text: str  # the figure printed at the end of the bar
    tooltip: str = ""


def horizontal_bars(
    title: str, bars: Sequence[Bar], maximum: float | None = None, width: int = 560, label_w: int = 190
) -> Markup:
    """Labelled horizontal bars (one per row)."""
    row, text_w = 22, 70
    height = max(1, len(bars)) * row + 8
    top = max((b.value for b in bars), default=0.0)
    scale_max = maximum if maximum else (top or 1.0)
    plot_w = width - label_w - text_w
    body: list[str] = []
    for i, bar in enumerate(bars):
        y = 4 + i * row
        w = 0 if scale_max <= 0 else max(0.0, min(1.0, bar.value / scale_max)) * plot_w
        tip = f"<title>{_e(bar.tooltip or f'{bar.label}: {bar.text}')}</title>"
        body.append(
            f'<g><text x="{label_w - 8}" y="{y + 15}" text-anchor="end" font-size="12" fill="{INK}">'
            f"{_e(bar.label)}</text>"
            f'<rect x="{label_w}" y="{y + 3}" width="{plot_w}" height="{row - 7}" fill="#eef1f4"/>'
            f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row - 7}" fill="{bar.color}">{tip}</rect>'
            f'<text x="{label_w + plot_w + 6}" y="{y + 15}" font-size="12" fill="{INK}">{_e(bar.text)}</text></g>'
        )
    return _svg(width, height, title, body)


def histogram(title: str, scores: Sequence[float], width: int = 560, height: int = 206) -> Markup:
    """Ten bins of 10 points; each bar is split by PDH band (the 80–90 bin straddles 85)."""
    bins: list[dict[str, int]] = [{} for _ in range(10)]
    for s in scores:
        band = band_for(s)
        b = bins[min(9, max(0, int(s // 10)))]
        b[band] = b.get(band, 0) + 1
    left, bottom, top_pad = 34, 36, 14
    plot_w, plot_h = width - left - 8, height - bottom - top_pad
    peak = max((sum(b.values()) for b in bins), default=0) or 1
    step = plot_w / 10
    body = [
        f'<line x1="{left}" y1="{top_pad + plot_h}" x2="{width - 8}" y2="{top_pad + plot_h}" stroke="{MUTED}"/>'
    ]
    for i, counts in enumerate(bins):
        low = i * 10
        rng = f"{low}–{low + 10}" if i < 9 else "90–100"
        x = left + i * step
        y = top_pad + plot_h
        for band in (DEFICIENT, LOW, ACCEPTABLE):
            count = counts.get(band, 0)
            if not count:
                continue
            h = count / peak * plot_h
            y -= h
            body.append(
                f'<rect x="{x + 2:.1f}" y="{y:.1f}" width="{step - 4:.1f}" height="{h:.1f}" '
                f'fill="{BAND_COLORS[band]}"><title>{_e(f"{rng} puntos, {band}: {count}")}</title></rect>'
            )
        total = sum(counts.values())
        body.append(
            f'<text x="{x + step / 2:.1f}" y="{max(y - 3, 11):.1f}" text-anchor="middle" font-size="11" '
            f'fill="{INK}">{total}</text>'
            f'<text x="{x + step / 2:.1f}" y="{height - 20}" text-anchor="middle" font-size="10" '
            f'fill="{MUTED}">{_e(rng)}</text>'
        )
    body.append(
        f'<text x="{left + plot_w / 2:.0f}" y="{height - 4}" text-anchor="middle" font-size="10" '
        f'fill="{MUTED}">puntaje</text>'
    )
    return _svg(width, height, title, body)


@dataclass(frozen=True, slots=True)
class NightColumn:
    label: str  # the night's date
    counts: dict[str, int]  # band (or NO_SCORE) -> portals
    mean: float | None


def stacked_nights(title: str, nights: Sequence[NightColumn], width: int = 640, height: int = 230) -> Markup:
    """One stacked column per night: portals per band, with the mean score above the column."""
    order = (ACCEPTABLE, LOW, DEFICIENT, NO_SCORE)
    left, bottom, top_pad = 36, 34, 22
    plot_w, plot_h = width - left - 8, height - bottom - top_pad
    peak = max((sum(n.counts.values()) for n in nights), default=0) or 1
    n = max(1, len(nights))
    step = plot_w / n
    col_w = min(46.0, step * 0.7)
    body = [
        f'<line x1="{left}" y1="{top_pad + plot_h}" x2="{width - 8}" y2="{top_pad + plot_h}" stroke="{MUTED}"/>',
        f'<text x="{left - 4}" y="{top_pad + 4}" text-anchor="end" font-size="10" fill="{MUTED}">{peak}</text>',
        f'<text x="{left - 4}" y="{top_pad + plot_h}" text-anchor="end" font-size="10" fill="{MUTED}">0</text>',
    ]
    for i, night in enumerate(nights):
        x = left + i * step + (step - col_w) / 2
        y = top_pad + plot_h
        for band in order:
            count = night.counts.get(band, 0)
            if not count:
                continue
            h = count / peak * plot_h
            y -= h
            body.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{col_w:.1f}" height="{h:.1f}" fill="{BAND_COLORS[band]}">'
                f"<title>{_e(f'{night.label} — {band}: {count}')}</title></rect>"
            )
        mean = "—" if night.mean is None else f"{night.mean:.1f}"
        body.append(
            f'<text x="{x + col_w / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle" font-size="10" '
            f'fill="{NAVY}">{_e(mean)}</text>'
        )
        if n <= 12 or i % max(1, n // 10) == 0 or i == n - 1:
            body.append(
                f'<text x="{x + col_w / 2:.1f}" y="{height - 18}" text-anchor="middle" font-size="10" '
                f'fill="{MUTED}">{_e(night.label)}</text>'
            )
    legend_x = left
    for band in order:
        body.append(
            f'<rect x="{legend_x}" y="{height - 11}" width="10" height="10" fill="{BAND_COLORS[band]}"/>'
            f'<text x="{legend_x + 14}" y="{height - 2}" font-size="10" fill="{INK}">{_e(band)}</text>'
        )
        legend_x += 110
    body.append(
        f'<text x="{width - 8}" y="{top_pad - 8}" text-anchor="end" font-size="10" fill="{NAVY}">'
        "cifra sobre cada columna: puntaje promedio</text>"
    )
    return _svg(width, height, title, body)


#: Where the map splits a band in two (so the map shows a gradient), and the two classes' colours.
MAP_SPLITS: dict[str, tuple[float | None, str, str]] = {
    ACCEPTABLE: (None, "#1e6b3a", "#1e6b3a"),
    LOW: (72.5, "#b07d00", "#d6a93a"),
    DEFICIENT: (40.0, "#c8554c", "#8a1f19"),
}


def _map_classes() -> tuple[tuple[float, str, str], ...]:
    """The PDH bands (``checks.facts.BANDS``), Bajo and Deficiente each split in two, best first."""
    out: list[tuple[float, str, str]] = []
    top = 100.0
    for floor, name in BANDS:
        split, upper_color, lower_color = MAP_SPLITS[name]
        if split is None:
            out.append((floor, f"{name} ({floor:g} a {top:g})", upper_color))
        else:
            out.append((split, f"{name} ({split:g} a {top:g})", upper_color))
            out.append((floor, f"{name} ({floor:g} a {split - 0.01:g})", lower_color))
        top = floor - 0.01
    return tuple(out)


#: Map classes: the PDH bands, with Deficiente and Bajo each split in two so the map shows a gradient.
MAP_CLASSES: tuple[tuple[float, str, str], ...] = _map_classes()


def map_color(mean: float | None) -> str:
    if mean is None:
        return BAND_COLORS[NO_SCORE]
    return next(color for low, _, color in MAP_CLASSES if mean >= low)


@dataclass(frozen=True, slots=True)
class Tile:
    column: int
    row: int
    abbreviation: str
    name: str
    figure: str  # printed in the tile (mean score or "—")
    color: str
    tooltip: str
    href: str  # an in-page anchor


def tile_map(title: str, tiles: Sequence[Tile], legend: Sequence[tuple[str, str]]) -> Markup:
    """A tile-grid cartogram: one equal square per department, placed roughly where it lies."""
    size, gap, pad = 64, 6, 8
    cols = max((t.column for t in tiles), default=0) + 1
    rows = max((t.row for t in tiles), default=0) + 1
    width = pad * 2 + cols * (size + gap)
    height = pad * 2 + rows * (size + gap)
    body: list[str] = []
    for t in tiles:
        x = pad + t.column * (size + gap)
        y = pad + t.row * (size + gap)
        body.append(
            f'<a href="{_e(t.href)}"><g><title>{_e(t.tooltip)}</title>'
            f'<rect x="{x}" y="{y}" width="{size}" height="{size}" rx="4" fill="{t.color}"/>'
            f'<text x="{x + size / 2}" y="{y + 24}" text-anchor="middle" font-size="13" font-weight="bold" '
            f'fill="#ffffff">{_e(t.abbreviation)}</text>'
            f'<text x="{x + size / 2}" y="{y + 44}" text-anchor="middle" font-size="13" fill="#ffffff">'
            f"{_e(t.figure)}</text></g></a>"
        )
    per_row = 3
    rows_legend = (len(legend) + per_row - 1) // per_row
    for i, (label, color) in enumerate(legend):
        lx = pad + (i % per_row) * 165
        ly = pad + rows * (size + gap) + 4 + (i // per_row) * 18
        body.append(
            f'<rect x="{lx}" y="{ly}" width="12" height="12" fill="{color}"/>'
            f'<text x="{lx + 16}" y="{ly + 11}" font-size="11" fill="{INK}">{_e(label)}</text>'
        )
    height = pad + rows * (size + gap) + 8 + rows_legend * 18
    width = max(width, pad + per_row * 165)
    return _svg(width, height, title, body)


def sparkline(title: str, values: Sequence[float | None], width: int = 220, height: int = 48) -> Markup:
    """A small line of one portal's score across nights (gaps where there was no score)."""
    pad = 6
    n = len(values)
    body = [
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#f6f8fa"/>',
        f'<line x1="{pad}" y1="{pad + (height - 2 * pad) * 0.15:.1f}" x2="{width - pad}" '
        f'y2="{pad + (height - 2 * pad) * 0.15:.1f}" stroke="{GRID}" stroke-dasharray="3 3"/>',
    ]
    if n:
        step = (width - 2 * pad) / max(1, n - 1)
        points: list[str] = []
        for i, v in enumerate(values):
            if v is None:
                if len(points) > 1:
                    body.append(f'<polyline points="{" ".join(points)}" fill="none" stroke="{NAVY}"/>')
                points = []
                continue
            x = pad + i * step if n > 1 else width / 2
            y = pad + (1 - v / 100) * (height - 2 * pad)
            points.append(f"{x:.1f},{y:.1f}")
            body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{NAVY}"/>')
        if len(points) > 1:
            body.append(f'<polyline points="{" ".join(points)}" fill="none" stroke="{NAVY}"/>')
    return _svg(width, height, title, body)
