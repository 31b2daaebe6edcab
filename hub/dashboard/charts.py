"""Small inline SVG charts drawn on the server: horizontal bars, no chart library."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

PALETTE = ("#2f6fb2", "#d9822b", "#c23030", "#7a4fb5", "#2a9d6f", "#8a8a8a")


def bar_chart(
    items: Sequence[tuple[str, float]],
    *,
    title: str = "",
    unit: str = "",
    width: int = 420,
    bar_h: int = 18,
    colors: Sequence[str] = PALETTE,
) -> str:
    """An SVG of one horizontal bar per (label, value), labelled with the value."""
    label_w, gap, top = 110, 6, 22 if title else 4
    height = top + len(items) * (bar_h + gap) + 4
    peak = max((v for _, v in items), default=0.0) or 1.0
    span = width - label_w - 60
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'aria-label="{escape(title)}">'
    ]
    if title:
        parts.append(f'<text x="0" y="14" class="chart-title">{escape(title)}</text>')
    for i, (label, value) in enumerate(items):
        y = top + i * (bar_h + gap)
        w = max(0.0, value) / peak * span
        color = colors[i % len(colors)]
        shown = f"{value:g}{unit}"
        parts.append(
            f'<text x="{label_w - 6}" y="{y + bar_h - 5}" text-anchor="end">{escape(label)}</text>'
            f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{color}">'
            f"<title>{escape(label)}: {escape(shown)}</title></rect>"
            f'<text x="{label_w + w + 4:.1f}" y="{y + bar_h - 5}">{escape(shown)}</text>'
        )
    if not items:
        parts.append(f'<text x="{label_w}" y="{top + 12}">-</text>')
    parts.append("</svg>")
    return "".join(parts)
