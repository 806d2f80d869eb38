"""Server-rendered SVG charts for the merchant dashboard: no JavaScript, no CDN, works offline.

Each chart is an accessible <svg role="img"> with a title; the page also shows the numbers
in a table for screen readers and for people who would rather read than look. Money axes
speak the pages' one money format (`¥1,500.00`, portal/formats.py); the rate chart has a
true time axis (a point's x is proportional to its date, issue 11); a month still under
way is drawn paler, starred, and says so in its tooltip.
"""

import datetime as dt
from decimal import Decimal

from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe

from portal.clock import start_of_day
from portal.formats import format_date, format_money

WIDTH, HEIGHT, PAD_LEFT, PAD_RIGHT, PAD_BOTTOM, PAD_TOP = 480, 200, 78, 16, 28, 14
PLOT_WIDTH = WIDTH - PAD_LEFT - PAD_RIGHT
AXIS = HEIGHT - PAD_BOTTOM
PREMIUM_COLOR, PAYOUT_COLOR = "#c2410c", "#2563eb"
REASON_COLORS = ["#c2410c", "#2563eb", "#047857", "#7c3aed", "#b45309", "#64748b"]
LABEL_GAP = 64  # the least distance between two date labels of the time axis, in px
PARTIAL_MARK = "*"


def _show_label(i: int, count: int) -> bool:
    """At most about six axis labels, so they never overlap (the last one always shows)."""
    step = max(1, -(-count // 6))
    return (count - 1 - i) % step == 0


def nice_maximum(value) -> Decimal:
    """The axis top: the least of 1, 2, 2.5, 5 × 10^k at or above `value` (1 for nothing)."""
    value = Decimal(value)
    if value <= 0:
        return Decimal(1)
    magnitude = Decimal(10) ** (value.adjusted())
    for step in (1, 2, Decimal("2.5"), 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude  # pragma: no cover - the loop ends at 10 × magnitude


def _scale(maximum):
    maximum = float(maximum) if maximum else 1.0
    plot = AXIS - PAD_TOP
    return lambda v: plot * float(v) / maximum


def _frame(title: str, body: str, maximum, fmt) -> str:
    """The plot's frame: the base line and the y axis at 0, half and the top."""
    scale = _scale(maximum)
    ticks = []
    for value in (Decimal(0), Decimal(maximum) / 2, Decimal(maximum)):
        y = AXIS - scale(value)
        ticks.append(
            f'<line x1="{PAD_LEFT}" y1="{y:.1f}" x2="{WIDTH - PAD_RIGHT}" y2="{y:.1f}" '
            f'stroke="{"#9aa5b1" if not value else "#e4e7eb"}"/>'
            f'<text x="{PAD_LEFT - 4}" y="{y + 4:.1f}" class="axis" text-anchor="end">'
            f"{escape(fmt(value))}</text>"
        )
    return format_html(
        '<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-label="{t}" '
        'preserveAspectRatio="xMidYMid meet"><title>{t}</title>{ticks}{body}</svg>',
        w=WIDTH,
        h=HEIGHT,
        t=title,
        ticks=mark_safe("".join(ticks)),  # noqa: S308 - built from escaped parts
        body=mark_safe(body),  # noqa: S308 - built from escaped parts below
    )


def _count(value) -> str:
    return f"{int(value):,}"


def paired_bars(title: str, rows: list[tuple], labels=("", ""), partial_note: str = "") -> str:
    """Premiums vs payouts per month: two bars per label, money on the y axis. A row may
    carry a fourth item, True for a month still under way: paler bars, a starred label and
    `partial_note` in its tooltips."""
    maximum = nice_maximum(max([max(row[1], row[2]) for row in rows] + [Decimal(0)]))
    scale = _scale(maximum)
    slot = PLOT_WIDTH / max(len(rows), 1)
    bar = max(min(slot / 3, 28), 2)
    parts = []
    for i, (label, premium, payout, *rest) in enumerate(rows):
        partial = bool(rest and rest[0])
        shown = f"{label}{PARTIAL_MARK}" if partial else label
        note = f" ({partial_note})" if partial and partial_note else ""
        x = PAD_LEFT + i * slot + slot / 2 - bar
        for j, (value, color, name) in enumerate(
            ((premium, PREMIUM_COLOR, labels[0]), (payout, PAYOUT_COLOR, labels[1]))
        ):
            height = scale(value)
            style = ' fill-opacity="0.45" class="partial"' if partial else ""
            parts.append(
                f'<rect x="{x + j * bar:.1f}" y="{AXIS - height:.1f}" width="{bar - 1:.1f}" '
                f'height="{height:.1f}" fill="{color}"{style}><title>{escape(shown)} '
                f"{escape(name)}: {escape(format_money(value))}{escape(note)}</title></rect>"
            )
        if _show_label(i, len(rows)) or partial:
            parts.append(
                f'<text x="{x + bar:.1f}" y="{HEIGHT - 8}" class="axis" text-anchor="middle">'
                f"{escape(shown)}</text>"
            )
    return _frame(title, "".join(parts), maximum, format_money)


def stacked_bars(title: str, rows: list[tuple[str, dict]], keys: list[tuple[str, str]]) -> str:
    """Claims per week, stacked by reason; `keys` are (value, label) pairs in legend order."""
    maximum = nice_maximum(max([sum(counts.values()) for _, counts in rows] + [1]))
    scale = _scale(maximum)
    slot = PLOT_WIDTH / max(len(rows), 1)
    bar = max(min(slot * 0.6, 36), 2)
    parts = []
    for i, (label, counts) in enumerate(rows):
        x = PAD_LEFT + i * slot + (slot - bar) / 2
        y = AXIS
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
                f"{escape(label[5:])}</text>"  # 2026-12-01 -> 12-01 under the bar
            )
    return _frame(title, "".join(parts), maximum, _count)


def _instant(value) -> float:
    if isinstance(value, dt.datetime):
        return value.timestamp()
    return start_of_day(value).timestamp()


def time_x(values: list, until) -> list[float]:
    """The x of each date or instant on an axis from the first one to `until` (not before
    the last): proportional to time, so equal intervals are equal distances."""
    start = _instant(values[0]) if values else 0.0
    end = max([_instant(until)] + [_instant(v) for v in values])
    span = (end - start) or 1.0
    return [PAD_LEFT + PLOT_WIDTH * (_instant(v) - start) / span for v in values]


def step_line(title: str, points: list[tuple], until=None) -> str:
    """The premium rate over time: a step line on a true time axis from the first rate to
    `until` (today), each rate held until the next one takes effect."""
    if not points:
        return _frame(title, "", 1, lambda v: f"{v:.2f}%")
    until = until or points[-1][0]
    values = [Decimal(v) * 100 for _, v in points]
    maximum = nice_maximum(max(values) * Decimal("1.2"))
    scale = _scale(maximum)
    xs = time_x([when for when, _ in points], until)
    end_x = PAD_LEFT + PLOT_WIDTH
    path, marks, last_label = [], [], None
    for i, ((when, _), value, x) in enumerate(zip(points, values, xs, strict=True)):
        y = AXIS - scale(value)
        path.append(f"M{x:.1f},{y:.1f}" if i == 0 else f"V{y:.1f}")
        path.append(f"H{xs[i + 1] if i + 1 < len(xs) else end_x:.1f}")
        day = format_date(when)
        marks.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{PREMIUM_COLOR}"><title>'
            f"{escape(day)}: {value:.2f}%</title></circle>"
        )
        superseded = i + 1 < len(xs) and xs[i + 1] - x < LABEL_GAP
        if not superseded and (last_label is None or x - last_label >= LABEL_GAP):
            anchor = "end" if end_x - x < LABEL_GAP / 2 else "start"
            marks.append(
                f'<text x="{x:.1f}" y="{y - 6:.1f}" class="axis" text-anchor="{anchor}">'
                f'{value:.2f}%</text><text x="{x:.1f}" y="{HEIGHT - 8}" class="axis" '
                f'text-anchor="{anchor}">{escape(day)}</text>'
            )
            last_label = x
    if last_label is None or end_x - last_label >= 2 * LABEL_GAP:  # where the axis ends
        marks.append(
            f'<text x="{end_x:.1f}" y="{HEIGHT - 8}" class="axis" text-anchor="end">'
            f"{escape(format_date(until))}</text>"
        )
    body = (
        f'<path d="{" ".join(path)}" fill="none" stroke="{PREMIUM_COLOR}" stroke-width="2"/>'
        + "".join(marks)
    )
    return _frame(title, body, maximum, lambda v: f"{v:.2f}%")
