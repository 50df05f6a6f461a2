"""Weekly emails: the Monday digest (member and lead parts) and the Friday check-in reminder.

Both go through `_deliver`, which records one DigestDelivery row per (user, week, kind) and claims
it with a conditional UPDATE before sending: a second run, or a second worker, skips what was sent
or is being sent; a claim left by a worker that died is retried once its lease has run out."""

import copy
import logging
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.mail import EmailMultiAlternatives
from django.db.models import Count, F, Q, QuerySet
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone

from goals.access import visible_goals
from goals.display import (
    STATUS_ORDER,
    chance,
    goal_unit,
    progress_reading,
    short,
    signed_change,
    with_unit,
)
from goals.models import Goal
from goals_project.people.models import Membership, User
from goals_project.progress_bars import NO_PROGRESS, Progress, counted
from notifications.models import Delivery
from notifications.preferences import delivery_for, wants_digest

from . import signals
from .early_warnings import digest_early_warnings
from .emails import absolute_url, build_email
from .models import CheckIn, DigestDelivery, SupportRequest
from .notify import CHECKIN_REMINDER, SUPPORT_UPDATE
from .selectors import (
    MissedCheckIn,
    expected_to_check_in,
    has_checked_in,
    missed_checkins,
    open_in_week_q,
    support_requests_for,
    with_goal_labels,
    with_weekly_change,
)
from .weeks import current_week_start, iso_week_label

logger = logging.getLogger(__name__)

# How long a claim protects a delivery being sent; after that a crashed worker's claim is retried.
CLAIM_LEASE = timedelta(minutes=15)
MOVERS_SHOWN = 3


@dataclass
class RunReport:
    kind: str
    week_start: date
    dry_run: bool = False
    sent: list[str] = field(default_factory=list)
    already_sent: list[str] = field(default_factory=list)
    in_progress: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def summary(self) -> str:
        verb = "would send" if self.dry_run else "sent"
        return (
            f"{iso_week_label(self.week_start)} {self.kind}: {verb} {len(self.sent)}, "
            f"already sent {len(self.already_sent)}, being sent elsewhere "
            f"{len(self.in_progress)}, failed {len(self.failed)}"
        )


def _deliver(
    *,
    kind: str,
    week_start: date,
    recipients: list[User],
    build: Callable[[User], EmailMultiAlternatives],
    dry_run: bool = False,
    now: datetime | None = None,
    progress: Progress = NO_PROGRESS,
) -> RunReport:
    report = RunReport(kind=kind, week_start=week_start, dry_run=dry_run)
    step = f"{'Rendering' if dry_run else 'Sending'} {DigestDelivery.Kind(kind).label.lower()}s"
    if dry_run:
        sent_ids = set(
            DigestDelivery.objects.filter(
                kind=kind, week_start=week_start, status=DigestDelivery.Status.SENT
            ).values_list("user_id", flat=True)
        )
        for user in counted(recipients, progress, step=step):
            if user.pk in sent_ids:
                report.already_sent.append(user.email)
            else:
                build(user)  # a dry run still proves every message renders
                report.sent.append(user.email)
        return report

    DigestDelivery.objects.bulk_create(
        [DigestDelivery(user=user, week_start=week_start, kind=kind) for user in recipients],
        ignore_conflicts=True,
    )
    rows = {
        row.user_id: row
        for row in DigestDelivery.objects.filter(
            kind=kind, week_start=week_start, user__in=[user.pk for user in recipients]
        )
    }
    for user in counted(recipients, progress, step=step):
        row = rows[user.pk]
        if row.status == DigestDelivery.Status.SENT:
            report.already_sent.append(user.email)
            continue
        claimed_at = now or timezone.now()
        claimed = (
            DigestDelivery.objects.filter(pk=row.pk, status=DigestDelivery.Status.PENDING)
            .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=claimed_at - CLAIM_LEASE))
            .update(claimed_at=claimed_at, attempts=F("attempts") + 1)
        )
        if not claimed:
            report.in_progress.append(user.email)
            continue
        try:
            build(user).send()
        except Exception as error:
            logger.exception("Weekly %s for %s failed", kind, user.email)
            # Release the claim at once: the next run retries this one.
            DigestDelivery.objects.filter(pk=row.pk).update(
                claimed_at=None, last_error=f"{type(error).__name__}: {error}"[:1000]
            )
            report.failed.append(user.email)
            continue
        DigestDelivery.objects.filter(pk=row.pk).update(
            status=DigestDelivery.Status.SENT, sent_at=timezone.now(), last_error=""
        )
        report.sent.append(user.email)
    return report


# --- the Monday digest ---------------------------------------------------------------------


# The status chips' colours, as inline styles (email clients ignore stylesheets); the same as
# the site's chips (static/css/goalpost.css).
CHIP_COLOURS = {
    Goal.Status.EXCEEDED: ("#e0e9ff", "#1d4ed8"),
    Goal.Status.ACHIEVED: ("#e0e9ff", "#1d4ed8"),
    Goal.Status.ON_TRACK: ("#e3f4ea", "#1e7a46"),
    Goal.Status.AT_RISK: ("#fff3d6", "#8a5a00"),
    Goal.Status.BEHIND: ("#fde7e5", "#b42318"),
    Goal.Status.NO_DATA: ("#eef0f4", "#5b6475"),
}


@dataclass
class GoalLine:
    """One goal in a digest as it stood on the week's Monday (from its history; the goal's
    current state when it has none), in its own unit. The forecast is only known for the
    current week."""

    goal: Goal  # with Monday's value, progress and status
    url: str
    value: Decimal | None
    change: Decimal | None  # since a week earlier, in the goal's unit
    status: str
    value_text: str  # "102.0%", "4 tasks", "2 milestones"
    target_text: str  # "104%", "floor 90%", "5 tasks"
    change_text: str  # "+0.3 pts", "-2 tasks", "no change", "" when unknown
    progress_text: str  # "64%", "below baseline", "1.9 pts under the 90% floor"
    current_week: bool = True

    @property
    def owner_name(self) -> str:
        return self.goal.owner.get_full_name() if self.goal.owner_id else ""

    @property
    def status_label(self) -> str:
        return Goal.Status(self.status).label

    @property
    def chip_style(self) -> str:
        background, colour = CHIP_COLOURS[self.status]
        return (
            f"display:inline-block;padding:1px 8px;border-radius:10px;background:{background};"
            f"color:{colour};font-size:12px;font-weight:600;white-space:nowrap"
        )

    @property
    def forecast_text(self) -> str:
        """ "lands at 103.5% (62% chance of the target)", this week only."""
        goal = self.goal
        if not self.current_week or goal.forecast_value is None:
            return ""
        text = f"lands at {with_unit(goal.forecast_value, goal_unit(goal))}"
        if goal.forecast_target_probability is not None:
            text += f" ({chance(goal.forecast_target_probability)} chance of the target)"
        return text


@dataclass
class LeadPart:
    team_name: str
    status_counts: list[tuple[str, int]]
    lines: list[GoalLine]  # every open goal of the team, worst status first
    movers: list[GoalLine]  # the biggest changes since last week, in each goal's unit
    missed: list[MissedCheckIn]
    open_requests: list[SupportRequest]


@dataclass
class Digest:
    user: User
    week_start: date
    goals: list[GoalLine]
    lead: LeadPart | None
    waiting_for_me: list[SupportRequest]
    my_requests: list[SupportRequest]
    sections: list[dict]
    checked_in_last_week: bool
    early_warnings: list[dict] = field(default_factory=list)

    @property
    def week_label(self) -> str:
        return iso_week_label(self.week_start)


def _texts(goal: Goal) -> tuple[str, str]:
    """(value, target) in the goal's unit, as of the goal's (Monday) state."""
    if goal.goal_type == Goal.Type.TASK:
        done = int(goal.current_value or 0)
        return (
            f"{done} task{pluralize(done)}",
            f"{goal.task_target} task{pluralize(goal.task_target)}",
        )
    if goal.goal_type == Goal.Type.MILESTONE:
        total = getattr(goal, "milestones_total", 0) or 0
        done = getattr(goal, "milestones_done", 0) or 0
        return f"{done} milestone{pluralize(done)}", f"{total} milestone{pluralize(total)}"
    unit = goal_unit(goal)
    if goal.target is None:
        target = "–"
    elif goal.direction == Goal.Direction.MAINTAIN:
        side = "ceiling" if goal.maintain_side == Goal.Side.CEILING else "floor"
        target = f"{side} {short(goal.target, unit)}"
    else:
        target = short(goal.target, unit)
    return with_unit(goal.current_value, unit), target


def _lines(goals: Iterable[Goal], week_start: date) -> list[GoalLine]:
    current_week = week_start >= current_week_start()
    lines = []
    for stored in goals:
        goal = copy.copy(stored)  # as it stood on Monday
        goal.current_value = (
            stored.value_now if stored.value_now is not None else stored.current_value
        )
        if stored.progress_now is not None:
            goal.progress = stored.progress_now
        goal.status = stored.status_now or stored.status
        if goal.goal_type == Goal.Type.MILESTONE:
            # A milestone goal's value is a done weight: its change reads in progress points.
            now, before, unit = stored.progress_now, stored.progress_week_ago, "%"
        else:
            now, before, unit = goal.current_value, stored.value_week_ago, goal_unit(goal)
        change = now - before if now is not None and before is not None else None
        value_text, target_text = _texts(goal)
        lines.append(
            GoalLine(
                goal=goal,
                url=absolute_url(reverse("goals:goal_detail", args=[goal.pk])),
                value=goal.current_value,
                change=change,
                status=goal.status,
                value_text=value_text,
                target_text=target_text,
                change_text="no change" if change == 0 else signed_change(change, unit),
                progress_text=progress_reading(goal).text,
                current_week=current_week,
            )
        )
    rank = {status: index for index, status in enumerate(STATUS_ORDER)}
    return sorted(lines, key=lambda line: (rank.get(line.status, 99), line.goal.name.lower()))


def _goal_rows(goals: QuerySet[Goal], week_start: date) -> list[GoalLine]:
    milestones = Count("milestones", distinct=True)
    done = Count("milestones", filter=Q(milestones__done_at__isnull=False), distinct=True)
    return _lines(
        with_weekly_change(goals.filter(open_in_week_q(week_start)), week_start)
        .annotate(milestones_total=milestones, milestones_done=done)
        .select_related("owner", "period")
        .order_by("name", "pk"),
        week_start,
    )


def movers(lines: list[GoalLine], *, shown: int = MOVERS_SHOWN) -> list[GoalLine]:
    """The goals that moved most since last week, by the size of the change in their own unit
    (percentage points, tasks, days...), largest first."""
    moved = [line for line in lines if line.change]
    return sorted(moved, key=lambda line: (-abs(line.change), line.goal.name.lower()))[:shown]


def _sections(user: User, week_start: date, is_lead: bool) -> list[dict]:
    """Sections other apps add (recognition: contribution highlights, achievements)."""
    sections = []
    for receiver, result in signals.collect_digest_sections.send_robust(
        sender=Digest, user=user, week_start=week_start, is_lead=is_lead
    ):
        if isinstance(result, Exception):
            logger.error("Digest section from %r failed", receiver, exc_info=result)
            continue
        for section in result or []:
            if isinstance(section, dict) and section.get("title"):
                sections.append(
                    {"title": section["title"], "lines": list(section.get("lines", []))}
                )
    return sections


def _lead_part(user: User, membership: Membership, week_start: date) -> LeadPart:
    rows = _goal_rows(visible_goals(user).filter(team_id=membership.team_id), week_start)
    counts = Counter(row.status for row in rows)
    return LeadPart(
        team_name=membership.team.name,
        status_counts=[
            (label, counts[status]) for status, label in Goal.Status.choices if counts[status]
        ],
        lines=rows,
        movers=movers(rows),
        missed=missed_checkins(
            team_id=membership.team_id, week_start=week_start - timedelta(7), exclude_user=user
        ),
        open_requests=with_goal_labels(user, support_requests_for(user)),
    )


def build_digest(user: User, week_start: date) -> Digest:
    """Everything in one user's digest for the week that starts on `week_start` (a Monday)."""
    membership = getattr(user, "membership", None)
    is_lead = bool(membership and membership.is_lead)
    last_week = week_start - timedelta(days=7)
    waiting = [] if is_lead else with_goal_labels(user, support_requests_for(user))
    if delivery_for(user, SUPPORT_UPDATE) == Delivery.OFF:
        my_requests = []
    else:
        my_requests = with_goal_labels(
            user,
            SupportRequest.objects.filter(requester=user)
            .filter(Q(acknowledged_at__date__gte=last_week) | Q(resolved_at__date__gte=last_week))
            .select_related("goal")
            .order_by("-created_at"),
        )
    return Digest(
        user=user,
        week_start=week_start,
        goals=_goal_rows(visible_goals(user).filter(owner=user), week_start),
        lead=_lead_part(user, membership, week_start) if is_lead else None,
        waiting_for_me=waiting,
        my_requests=my_requests,
        sections=_sections(user, week_start, is_lead),
        checked_in_last_week=CheckIn.objects.filter(user=user, week_start=last_week).exists(),
        early_warnings=digest_early_warnings(user, week_start),
    )


def digest_email(user: User, week_start: date) -> EmailMultiAlternatives:
    digest = build_digest(user, week_start)
    return build_email(
        to=user,
        template="digest",
        context={"digest": digest, "checkin_url": absolute_url(reverse("checkins:week"))},
    )


def digest_recipients(week_start: date) -> list[User]:
    """Team members who want the digest and have something in it: own goals open in the week,
    or a team to lead."""
    owns_open = Q(pk__in=expected_to_check_in(week_start).values("pk"))
    users = (
        User.objects.filter(is_active=True, membership__isnull=False)
        .filter(owns_open | Q(membership__role=Membership.Role.LEAD))
        .select_related("membership", "membership__team", "notification_settings")
        .order_by("pk")
    )
    return [user for user in users if wants_digest(user)]


def send_weekly_updates(
    *,
    week_start: date,
    dry_run: bool = False,
    now: datetime | None = None,
    progress: Progress = NO_PROGRESS,
) -> RunReport:
    """Send every digest of the week that is not sent yet (safe to run again)."""
    return _deliver(
        kind=DigestDelivery.Kind.DIGEST,
        week_start=week_start,
        recipients=digest_recipients(week_start),
        build=lambda user: digest_email(user, week_start),
        dry_run=dry_run,
        now=now,
        progress=progress,
    )


# --- the Friday reminder -------------------------------------------------------------------


def reminder_recipients(week_start: date) -> list[User]:
    """Who owns a goal open this week, has not checked in, and wants reminders by email."""
    users = (
        expected_to_check_in(week_start)
        .filter(membership__isnull=False)
        .annotate(checked=has_checked_in(week_start))
        .filter(checked=False)
        .select_related("notification_settings")
        .order_by("pk")
    )
    return [user for user in users if delivery_for(user, CHECKIN_REMINDER) == Delivery.IMMEDIATE]


def reminder_email(user: User, week_start: date) -> EmailMultiAlternatives:
    goals = list(
        Goal.objects.filter(owner=user).filter(open_in_week_q(week_start)).order_by("name")
    )
    return build_email(
        to=user,
        template="reminder",
        context={
            "goals": goals,
            "week_label": iso_week_label(week_start),
            "checkin_url": absolute_url(reverse("checkins:week")),
        },
    )


def send_checkin_reminders(
    *,
    week_start: date,
    dry_run: bool = False,
    now: datetime | None = None,
    progress: Progress = NO_PROGRESS,
) -> RunReport:
    """Remind everyone who has not checked in this week (once per week, safe to run again)."""
    return _deliver(
        kind=DigestDelivery.Kind.REMINDER,
        week_start=week_start,
        recipients=reminder_recipients(week_start),
        build=lambda user: reminder_email(user, week_start),
        dry_run=dry_run,
        now=now,
        progress=progress,
    )
