"""Server-rendered SVG charts for the merchant dashboard: no JavaScript, no CDN, works offline.

Each chart is an accessible <svg role="img"> with a title; the page also shows the numbers
in a table for screen readers and for people who would rather read than look.
"""

from decimal import Decimal

from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe

WIDTH, HEIGHT, PAD_LEFT, PAD_BOTTOM, PAD_TOP = 480, 200, 44, 28, 14
PREMIUM_COLOR, PAYOUT_COLOR = "#c2410c", "#2563eb"
REASON_COLORS = ["#c2410c", "#2563eb", "#047857", "#7c3aed", "#b45309", "#64748b"]


def _show_label(i: int, count: int) -> bool:
    """At most about six axis labels, so they never overlap (the last one always shows)."""
    step = max(1, -(-count // 6))
    return (count - 1 - i) % step == 0


def _scale(maximum):
    maximum = float(maximum) if maximum else 1.0
    plot = HEIGHT - PAD_BOTTOM - PAD_TOP
    return lambda v: plot * float(v) / maximum


def _frame(title: str, body: str, maximum, unit: str = "") -> str:
    axis = HEIGHT - PAD_BOTTOM
    top_label = f"{maximum:,.0f}{unit}" if isinstance(maximum, (int, float, Decimal)) else ""
    return format_html(
        '<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-label="{t}" '
        'preserveAspectRatio="xMidYMid meet"><title>{t}</title>'
        '<line x1="{l}" y1="{a}" x2="{w}" y2="{a}" stroke="#9aa5b1"/>'
        '<text x="{lx}" y="{ty}" class="axis" text-anchor="end">{top}</text>'
        '<text x="{lx}" y="{a}" class="axis" text-anchor="end">0</text>{body}</svg>',
        w=WIDTH,
        h=HEIGHT,
        t=title,
        l=PAD_LEFT,
        a=axis,
        lx=PAD_LEFT - 4,
        ty=PAD_TOP + 8,
        top=top_label,
        body=mark_safe(body),  # noqa: S308 - built from escaped parts below
    )


def paired_bars(title: str, rows: list[tuple[str, Decimal, Decimal]], labels=("", "")) -> str:
    """Premiums vs payouts per month: two bars per label."""
    maximum = max([max(p, q) for _, p, q in rows] + [Decimal(1)])
    scale = _scale(maximum)
    slot = (WIDTH - PAD_LEFT) / max(len(rows), 1)
    bar = max(min(slot / 3, 28), 2)
    axis = HEIGHT - PAD_BOTTOM
    parts = []
    for i, (label, premium, payout) in enumerate(rows):
        x = PAD_LEFT + i * slot + slot / 2 - bar
        for j, (value, color, name) in enumerate(
            ((premium, PREMIUM_COLOR, labels[0]), (payout, PAYOUT_COLOR, labels[1]))
        ):
            height = scale(value)
            parts.append(
                f'<rect x="{x + j * bar:.1f}" y="{axis - height:.1f}" width="{bar - 1:.1f}" '
                f'height="{height:.1f}" fill="{color}"><title>{escape(label)} {escape(name)}: '
                f"{value}</title></rect>"
            )
        if _show_label(i, len(rows)):
            parts.append(
                f'<text x="{x + bar:.1f}" y="{HEIGHT - 8}" class="axis" text-anchor="middle">'
                f"{escape(label)}</text>"
            )
    return _frame(title, "".join(parts), maximum)


def stacked_bars(title: str, rows: list[tuple[str, dict]], keys: list[tuple[str, str]]) -> str:
    """Claims per week, stacked by reason; `keys` are (value, label) pairs in legend order."""
    maximum = max([sum(counts.values()) for _, counts in rows] + [1])
    scale = _scale(maximum)
    slot = (WIDTH - PAD_LEFT) / max(len(rows), 1)
    bar = max(min(slot * 0.6, 36), 2)
    axis = HEIGHT - PAD_BOTTOM
    parts = []
    for i, (label, counts) in enumerate(rows):
        x = PAD_LEFT + i * slot + (slot - bar) / 2
        y = axis
        for k, (key, key_label) in enumerate(keys):
            count = counts.get(key, 0)
            if not count:
                continue
            height = scale(count)
            y -= height
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{height:.1f}" '
                f'fill="{REASON_COLORS[k % len(REASON_COLORS)]}"><title>{escape(label)} '
                f"{escape(key_label)}: {count}</title></rect>"
            )
        if _show_label(i, len(rows)):
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{HEIGHT - 8}" class="axis" text-anchor="middle">'
                f"{escape(label)}</text>"
            )
    return _frame(title, "".join(parts), maximum)


def step_line(title: str, points: list[tuple[str, Decimal]]) -> str:
    """The premium rate over time, as a step line of percentages."""
    if not points:
        return _frame(title, "", 0)
    values = [float(v) * 100 for _, v in points]
    maximum = max(values) * 1.2 or 1.0
    scale = _scale(maximum)
    axis = HEIGHT - PAD_BOTTOM
    step = (WIDTH - PAD_LEFT - 20) / max(len(points), 1)
    path, labels = [], []
    for i, ((label, _), value) in enumerate(zip(points, values, strict=True)):
        x0, x1, y = PAD_LEFT + i * step, PAD_LEFT + (i + 1) * step, axis - scale(value)
        path.append(f"{'M' if i == 0 else 'L'}{x0:.1f},{y:.1f} L{x1:.1f},{y:.1f}")
        labels.append(
            f'<circle cx="{x0:.1f}" cy="{y:.1f}" r="3" fill="{PREMIUM_COLOR}"><title>'
            f"{escape(label)}: {value:.2f}%</title></circle>"
            f'<text x="{x0:.1f}" y="{y - 6:.1f}" class="axis">{value:.2f}%</text>'
            f'<text x="{x0:.1f}" y="{HEIGHT - 8}" class="axis">{escape(label)}</text>'
        )
    body = (
        f'<path d="{" ".join(path)}" fill="none" stroke="{PREMIUM_COLOR}" stroke-width="2"/>'
        + "".join(labels)
    )
    return _frame(title, body, maximum, "%")
