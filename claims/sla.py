"""The reviewers' service level (R32, issue 11): how many claims are decided by their 24-hour
deadline, and what is about to be late.

- A decision is on time when it was made at or before the claim's stored deadline
  (`decided_at <= review_due_at`, the deadline stored when the claim was submitted, R90): a
  decision exactly at the deadline is on time, one second later is not.
- Windows are Asia/Shanghai days: "today" from 00:00 today, "7 days" from 00:00 six days ago,
  "30 days" from 00:00 twenty-nine days ago, each up to now.
- Overdue now: claims still awaiting review whose deadline has passed; due soon: awaiting
  review with the deadline within the next 2 hours.
- Per reviewer: the decisions of the last 7 and 30 days by the person who made them (the
  system's fast-track decisions, R39, as one row without a person).

Three queries, each bounded: the decisions of 30 days from "claim_decided_sla_idx" (which
holds the deadline and the reviewer, so PostgreSQL reads the index alone), the open reviews
from the (state, review_due_at) index, and the reviewers' names.
"""

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from claims.models import Claim, ClaimState
from portal.clock import local_date, start_of_day

DUE_SOON = dt.timedelta(hours=2)
WINDOW_DAYS = {"today": 1, "7d": 7, "30d": 30}
WINDOW_LABELS = {"today": _("Today"), "7d": _("Last 7 days"), "30d": _("Last 30 days")}
ON_TIME = Q(decided_at__lte=F("review_due_at"))


@dataclass(frozen=True)
class Share:
    decided: int
    on_time: int

    @property
    def late(self) -> int:
        return self.decided - self.on_time

    @property
    def percent(self) -> str:
        """'97.5%' (one decimal, rounded half up), or '—' when nothing was decided."""
        if not self.decided:
            return "—"
        tenths = (self.on_time * 2000 + self.decided) // (self.decided * 2)
        return f"{tenths // 10}.{tenths % 10}%"


@dataclass(frozen=True)
class Window:
    key: str
    label: str
    since: dt.datetime
    share: Share


@dataclass(frozen=True)
class ReviewerRow:
    reviewer: str  # the username, or "" for the system
    last_7_days: Share
    last_30_days: Share


@dataclass(frozen=True)
class ReviewerSla:
    now: dt.datetime
    windows: list[Window]
    overdue_now: int
    due_soon: int
    reviewers: list[ReviewerRow]


def window_starts(now: dt.datetime) -> dict[str, dt.datetime]:
    """{window: its first instant}: 00:00 Asia/Shanghai of its first day."""
    today = local_date(now)
    return {
        key: start_of_day(today - dt.timedelta(days=days - 1)) for key, days in WINDOW_DAYS.items()
    }


def _counts(prefix: str, since: dt.datetime) -> dict:
    in_window = Q(decided_at__gte=since)
    return {
        f"{prefix}_decided": Count("decided_at", filter=in_window),
        f"{prefix}_on_time": Count("decided_at", filter=in_window & ON_TIME),
    }


def _share(row: dict, prefix: str) -> Share:
    return Share(decided=row[f"{prefix}_decided"], on_time=row[f"{prefix}_on_time"])


def reviewer_sla(*, now: dt.datetime | None = None) -> ReviewerSla:
    now = now or timezone.now()
    starts = window_starts(now)
    decided = Claim.objects.filter(decided_at__gte=starts["30d"], decided_at__lte=now)
    totals = decided.aggregate(**{k: v for w in starts for k, v in _counts(w, starts[w]).items()})
    per_reviewer = list(
        decided.order_by()
        .values("decided_by")
        .annotate(**_counts("7d", starts["7d"]), **_counts("30d", starts["30d"]))
    )
    names = dict(
        get_user_model()
        .objects.filter(pk__in=[r["decided_by"] for r in per_reviewer if r["decided_by"]])
        .values_list("pk", "username")
    )
    reviewers = sorted(
        (
            ReviewerRow(
                reviewer=names.get(r["decided_by"], ""),
                last_7_days=_share(r, "7d"),
                last_30_days=_share(r, "30d"),
            )
            for r in per_reviewer
        ),
        key=lambda row: (row.reviewer == "", row.reviewer),
    )
    waiting = Claim.objects.filter(state=ClaimState.SUBMITTED, review_due_at__lt=now + DUE_SOON)
    open_reviews = waiting.aggregate(
        overdue=Count("review_due_at", filter=Q(review_due_at__lt=now)),
        soon=Count("review_due_at", filter=Q(review_due_at__gte=now)),
    )
    return ReviewerSla(
        now=now,
        windows=[
            Window(key=w, label=WINDOW_LABELS[w], since=starts[w], share=_share(totals, w))
            for w in starts
        ],
        overdue_now=open_reviews["overdue"],
        due_soon=open_reviews["soon"],
        reviewers=reviewers,
    )


def countdown(due: dt.datetime, now: dt.datetime) -> str:
    """R32 in the queue: '3 h 12 min left' before the deadline, 'overdue 2 h 5 min' after
    (whole minutes, rounded towards the deadline's side: 59 s left is '0 min left')."""
    seconds = int((due - now).total_seconds())
    hours, minutes = divmod(abs(seconds) // 60, 60)
    if hours >= 48:
        days, hours = divmod(hours, 24)
        span = _("%(days)d d %(hours)d h") % {"days": days, "hours": hours}
    elif hours:
        span = _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    else:
        span = _("%(minutes)d min") % {"minutes": minutes}
    if seconds >= 0:
        return _("%(span)s left") % {"span": span}
    return _("overdue %(span)s") % {"span": span}
