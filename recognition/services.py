"""Every write of the recognition app: achievements, celebrations, acknowledgements, seen marks."""

from collections.abc import Iterable
from datetime import date, datetime, time

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, Min, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from checkins.weeks import local_today
from goals.mentions import named, unnamed
from goals.models import Goal, GoalPeriod, Milestone, ProgressHistory
from goals_project.people.models import User
from goals_project.people.selectors import is_lead_of, team_members
from notifications.models import Notification
from notifications.services import notify

from .badges import CATALOGUE, Badge
from .db import insert_ignoring_conflicts
from .kinds import ACHIEVEMENT, BADGE, CELEBRATION
from .models import (
    Achievement,
    AchievementCredit,
    AchievementSeen,
    BadgeAward,
    BadgeSetting,
    Celebration,
)

CELEBRATION_MESSAGE_MAX = 140

# A status change to one of these records the achievements listed (exceeded implies achieved).
KINDS_FOR_STATUS: dict[str, list[str]] = {
    Goal.Status.ACHIEVED: [Achievement.Kind.ACHIEVED],
    Goal.Status.EXCEEDED: [Achievement.Kind.ACHIEVED, Achievement.Kind.EXCEEDED],
}


STATUSES_FOR_KIND: dict[str, list[str]] = {
    Achievement.Kind.ACHIEVED: [Goal.Status.ACHIEVED, Goal.Status.EXCEEDED],
    Achievement.Kind.EXCEEDED: [Goal.Status.EXCEEDED],
}


class AlreadyCelebrated(Exception):
    """The person has celebrated this achievement before (one kudos per person)."""


def credited_users(goal: Goal) -> list[User]:
    """An individual goal credits its owner; a team goal credits every member of the team."""
    if goal.owner_id is not None:
        return [goal.owner]
    return list(team_members(goal.team).select_related("notification_settings"))


def achievement_url(achievement_id: int) -> str:
    return reverse("recognition:achievement", args=[achievement_id])


def _achievement_titles(goal: Goal, kind: str, milestone: Milestone | None) -> dict[str, str]:
    """The win's title, and its neutral form for a reader who may not see the goal (a team
    member credited with a private team goal's win: no goal or milestone name)."""
    who = "You" if goal.owner_id is not None else goal.team.name
    if kind == Achievement.Kind.MILESTONE:
        return {
            "title": f"{who} completed the milestone “{milestone.name}” of {named(goal)}",
            "neutral_title": f"{who} completed a milestone of {unnamed(goal)}",
        }
    mark = "the stretch target" if kind == Achievement.Kind.EXCEEDED else "the target"
    return {
        "title": f"{who} reached {mark} of {named(goal)}",
        "neutral_title": f"{who} reached {mark} of {unnamed(goal)}",
    }


# A goal's known statuses short of what each kind marks: the goal has to be seen there, while it
# exists, before reaching it counts as an achievement (no_data is not known to be short).
SHORT_OF_KIND: dict[str, list[str]] = {
    Achievement.Kind.ACHIEVED: [Goal.Status.ON_TRACK, Goal.Status.AT_RISK, Goal.Status.BEHIND],
    Achievement.Kind.EXCEEDED: [
        Goal.Status.ACHIEVED,
        Goal.Status.ON_TRACK,
        Goal.Status.AT_RISK,
        Goal.Status.BEHIND,
    ],
}
TARGET_KINDS = [Achievement.Kind.ACHIEVED, Achievement.Kind.EXCEEDED]


def period_is_over(goal: Goal, today: date | None = None) -> bool:
    """Achievements of a goal whose period is over are final."""
    return (today or local_today()) > goal.period.end


def crossings(goal_ids: Iterable[int], kind: str) -> dict[int, datetime]:
    """For each goal that crossed what `kind` marks while it existed, the first time it did: its
    first history row with such a status recorded after a row short of it that was recorded
    once the goal existed. A goal created already past its target has no such row (its
    backfilled days were recorded before it existed). One query for all the goals."""
    short = ProgressHistory.objects.filter(
        goal=OuterRef("goal"),
        status__in=SHORT_OF_KIND[kind],
        recorded_at__gte=OuterRef("goal__created_at"),
        calc_version__lt=OuterRef("calc_version"),
    )
    rows = (
        ProgressHistory.objects.filter(
            goal_id__in=list(goal_ids), status__in=STATUSES_FOR_KIND[kind]
        )
        .filter(Exists(short))
        .values("goal_id")
        .annotate(first=Min("recorded_at"))
        .order_by()
    )
    return {row["goal_id"]: row["first"] for row in rows}


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_default_timezone())


def _tell_about_target(
    goal: Goal,
    users: list[User],
    *,
    title: str,
    neutral_title: str,
    body: str,
    url: str,
    neutral_body: str | None = None,
) -> None:
    """Tell the people credited what happened to the goal's target achievements, at most once a
    day per goal: a second change the same day (a goal flapping across its target) rewrites that
    day's notification, marked unread again, instead of sending another. Each reader gets the
    named or the neutral texts by their visibility of the goal."""
    texts = {
        "title": title,
        "body": body,
        "goal": goal,
        "neutral_title": neutral_title,
        "neutral_body": body if neutral_body is None else neutral_body,
        "neutral_url": "",
    }
    now = timezone.now()
    target = Achievement.objects.filter(goal=goal, milestone__isnull=True)
    since = _local_midnight(local_today())
    if target.filter(notified_at__gte=since).exists():
        urls = [achievement_url(pk) for pk in target.values_list("pk", flat=True)]
        Notification.objects.filter(
            user__in=users,
            kind=ACHIEVEMENT,
            created_at__gte=since,
            url__in=[*urls, goal_url(goal.pk)],
        ).update(**texts, url=url, read_at=None)
    else:
        notify(users=users, kind=ACHIEVEMENT, **texts, url=url)
    target.update(notified_at=now)


def goal_url(goal_id: int) -> str:
    return reverse("goals:goal_detail", args=[goal_id])


def _record(
    *,
    goal: Goal,
    kinds: list[str],
    milestone: Milestone | None = None,
    reached_at: dict[str, datetime] | None = None,
) -> list[Achievement]:
    """Insert the achievements that do not exist yet, credit and notify for the new ones only."""
    now = timezone.now()
    rows = [
        {
            "goal": goal.pk,
            "kind": kind,
            "milestone": milestone.pk if milestone else None,
            "achieved_at": (milestone.done_at or now)
            if milestone
            else (reached_at or {}).get(kind, now),
            "value": goal.current_value,
        }
        for kind in kinds
    ]
    with transaction.atomic():
        inserted = insert_ignoring_conflicts(Achievement, rows, returning=["id", "kind"])
        if not inserted:
            return []
        credited = credited_users(goal)
        AchievementCredit.objects.bulk_create(
            [
                AchievementCredit(achievement_id=row["id"], user=user)
                for row in inserted
                for user in credited
            ],
            ignore_conflicts=True,
        )
        # Reaching the stretch at once also records "achieved"; one notification says both.
        newest = max(inserted, key=lambda row: kinds.index(row["kind"]))
        message = {
            **_achievement_titles(goal, newest["kind"], milestone),
            "body": f"{goal.period.name}: celebrate it with your team.",
            "url": achievement_url(newest["id"]),
        }
        if milestone is None:
            _tell_about_target(goal, credited, **message)
        else:
            notify(
                users=credited,
                kind=ACHIEVEMENT,
                goal=goal,
                neutral_body=message["body"],
                neutral_url="",
                **message,
            )
    return list(Achievement.objects.filter(pk__in=[row["id"] for row in inserted]).order_by("pk"))


def _restore(goal: Goal, achievements: list[Achievement]) -> list[Achievement]:
    """Reinstate withdrawn achievements the goal has crossed again (each by the one call whose
    conditional UPDATE clears its withdrawal) and tell the people credited once."""
    now = timezone.now()
    restored = [
        achievement
        for achievement in achievements
        if Achievement.objects.filter(pk=achievement.pk, withdrawn_at__isnull=False).update(
            withdrawn_at=None, achieved_at=now, value=goal.current_value
        )
    ]
    if restored:
        newest = max(restored, key=lambda achievement: TARGET_KINDS.index(achievement.kind))
        titles = _achievement_titles(goal, newest.kind, None)
        _tell_about_target(
            goal,
            _credited_of(restored),
            title=titles["title"] + " again",
            neutral_title=titles["neutral_title"] + " again",
            body=f"{goal.period.name}: the win is back in the team's feed.",
            url=achievement_url(newest.pk),
        )
    return restored


def _credited_of(achievements: list[Achievement]) -> list[User]:
    return list(
        User.objects.filter(
            pk__in=AchievementCredit.objects.filter(
                achievement__in=[achievement.pk for achievement in achievements]
            ).values("user_id")
        )
        .select_related("notification_settings")
        .order_by("pk")
    )


def _withdraw(goal: Goal, achievements: list[Achievement]) -> list[Achievement]:
    """Withdraw target achievements the goal no longer meets before its period closed: they
    leave the feed and lists, kudos on them close, the badges they earned are re-evaluated,
    and the people credited are told once."""
    now = timezone.now()
    withdrawn = [
        achievement
        for achievement in achievements
        if Achievement.objects.filter(pk=achievement.pk, withdrawn_at__isnull=True).update(
            withdrawn_at=now
        )
    ]
    if not withdrawn:
        return []
    users = _credited_of(withdrawn)
    taken_back = badges_reevaluate(user_ids=[user.pk for user in users])
    stretch_only = all(a.kind == Achievement.Kind.EXCEEDED for a in withdrawn)
    mark = "stretch target" if stretch_only else "target"
    value = goal.current_value
    now_text = f"it is at {value.normalize():f}" if value is not None else "it has no value"
    body = (
        f"After a correction of the customer data {now_text}, short of its {mark}. The win "
        "leaves the feed until it is reached again and kudos on it are closed."
    )
    names = sorted({name for names in taken_back.values() for name in names})
    if names:
        body += f" Badges it earned that no other win supports are taken back: {', '.join(names)}."
    _tell_about_target(
        goal,
        users,
        title=f"The {mark} of {named(goal)} is no longer reached after a data correction",
        neutral_title=(
            f"The {mark} of {unnamed(goal)} is no longer reached after a data correction"
        ),
        body=body,
        url=goal_url(goal.pk),
    )
    return withdrawn


@transaction.atomic
def achievements_follow_status(*, goal: Goal, status: str, today: date | None = None) -> None:
    """Bring the goal's target achievements in line with its status.

    - A status at or past the target records the achievement, once per (goal, kind) by a unique
      constraint, only if the goal crossed it while it existed (see crossings); a withdrawn one
      is reinstated.
    - A status short of it before the period is over withdraws it (see _withdraw); once the
      period is over, achievements are final.
    - A maintain goal is achieved only when its period is over (it held to the end).
    Safe under repeated and concurrent recalculation: each change is a conditional write that
    only one call wins, and only that call tells anyone."""
    goal = Goal.objects.select_related("team", "owner", "period").get(pk=goal.pk)
    over = period_is_over(goal, today)
    if goal.direction == Goal.Direction.MAINTAIN and not over:
        return
    kinds = KINDS_FOR_STATUS.get(status, [])
    existing = {
        achievement.kind: achievement
        for achievement in Achievement.objects.filter(goal=goal, milestone__isnull=True)
    }
    if not over:
        stale = [
            achievement
            for kind, achievement in existing.items()
            if kind not in kinds and achievement.withdrawn_at is None
        ]
        _withdraw(goal, stale)
    _restore(
        goal, [existing[kind] for kind in kinds if kind in existing and existing[kind].withdrawn_at]
    )
    new_kinds = [kind for kind in kinds if kind not in existing]
    reached_at = {}
    for kind in new_kinds:
        if goal.direction == Goal.Direction.MAINTAIN:
            # Holding to the end is the achievement: decided now that the period is over.
            reached_at[kind] = timezone.now()
            continue
        crossed = crossings([goal.pk], kind).get(goal.pk)
        if crossed is not None:
            reached_at[kind] = crossed
    if reached_at:
        _record(goal=goal, kinds=list(reached_at), reached_at=reached_at)


def achievements_record_for_status(*, goal: Goal, status: str) -> list[Achievement]:
    """Record (or reinstate) the goal's achievements for its new status; see
    achievements_follow_status. Returns the goal's achievements that stand after it."""
    achievements_follow_status(goal=goal, status=status)
    return list(
        Achievement.objects.filter(
            goal=goal, milestone__isnull=True, withdrawn_at__isnull=True
        ).order_by("pk")
    )


def achievement_record_for_milestone(*, milestone: Milestone) -> Achievement | None:
    """Record a completed milestone once (None when it was recorded before)."""
    goal = Goal.objects.select_related("team", "owner", "period").get(pk=milestone.goal_id)
    recorded = _record(goal=goal, kinds=[Achievement.Kind.MILESTONE], milestone=milestone)
    return recorded[0] if recorded else None


def achievements_backfill(*, goals: Iterable[Goal]) -> list[Achievement]:
    """Bring the target achievements of goals in line with their stored status (a missed
    signal is repaired); returns the achievements recorded or reinstated."""
    goals = list(goals)
    before = set(
        Achievement.objects.filter(
            goal__in=[goal.pk for goal in goals], withdrawn_at__isnull=True
        ).values_list("pk", flat=True)
    )
    for goal in goals:
        achievements_follow_status(goal=goal, status=goal.status)
    return list(
        Achievement.objects.filter(
            goal__in=[goal.pk for goal in goals], withdrawn_at__isnull=True, milestone__isnull=True
        )
        .exclude(pk__in=before)
        .order_by("pk")
    )


def can_acknowledge(user: User, achievement: Achievement) -> bool:
    """The owner acknowledges: the goal's owner, or for a team goal the team's leads."""
    goal = achievement.goal
    if goal.owner_id is not None:
        return goal.owner_id == user.pk
    return is_lead_of(user, goal.team)


def can_celebrate(user: User, achievement: Achievement) -> bool:
    """Anyone who sees the win celebrates it, except the owner of an individual goal."""
    return achievement.goal.owner_id != user.pk


@transaction.atomic
def achievement_acknowledge(*, achievement: Achievement, by: User) -> Achievement:
    """The owner acknowledges the achievement (PermissionDenied for anyone else); repeating it
    keeps the first acknowledgement."""
    if not can_acknowledge(by, achievement):
        raise PermissionDenied("Only the goal's owner can acknowledge this achievement.")
    Achievement.objects.filter(pk=achievement.pk, acknowledged_at__isnull=True).update(
        acknowledged_at=timezone.now(), acknowledged_by=by
    )
    achievement.refresh_from_db(fields=["acknowledged_at", "acknowledged_by"])
    return achievement


@transaction.atomic
def achievement_celebrate(*, achievement: Achievement, by: User, message: str = "") -> Celebration:
    """A kudos from a teammate, once per person (AlreadyCelebrated the second time).

    The owner of an individual goal is told (per their preference); a team's own win is not
    announced again to everyone who already got the achievement notification."""
    message = (message or "").strip()
    if len(message) > CELEBRATION_MESSAGE_MAX:
        raise ValidationError(
            {"message": f"Keep the message to {CELEBRATION_MESSAGE_MAX} characters or fewer."}
        )
    if not can_celebrate(by, achievement):
        raise PermissionDenied("You cannot celebrate your own achievement.")
    if achievement.withdrawn_at is not None:
        raise ValidationError(
            {
                "achievement": "Kudos are closed: this win was withdrawn after a data correction "
                "took the goal back below its target."
            }
        )
    inserted = insert_ignoring_conflicts(
        Celebration,
        [
            {
                "achievement": achievement.pk,
                "user": by.pk,
                "message": message,
                "created_at": timezone.now(),
            }
        ],
        returning=["id"],
    )
    if not inserted:
        raise AlreadyCelebrated("You have already celebrated this achievement.")
    celebration = Celebration.objects.select_related("user").get(pk=inserted[0]["id"])
    goal = achievement.goal
    if goal.owner_id is not None:
        notify(
            users=[goal.owner],
            kind=CELEBRATION,
            title=f"{by.get_full_name()} celebrated your win on {named(goal)}",
            body=message,
            goal=goal,
            neutral_title=f"{by.get_full_name()} celebrated your win on {unnamed(goal)}",
            neutral_body=message,
            neutral_url="",
            url=achievement_url(achievement.pk),
        )
    return celebration


def achievements_mark_seen(*, user: User, achievement_ids: Iterable[int]) -> int:
    """Remember that the user has seen these wins (the feed animates a win only the first time)."""
    now = timezone.now()
    rows = [
        {"achievement": pk, "user": user.pk, "seen_at": now} for pk in sorted(set(achievement_ids))
    ]
    return len(insert_ignoring_conflicts(AchievementSeen, rows, returning=["id"]))


def enabled_badges() -> list[Badge]:
    """The catalogue minus the badges an admin switched off."""
    off = set(BadgeSetting.objects.filter(enabled=False).values_list("badge", flat=True))
    return [badge for key, badge in CATALOGUE.items() if key not in off]


def badges_award(*, today: date | None = None, user_ids: Iterable[int] | None = None) -> list[int]:
    """Run every enabled badge rule and award what is new; returns the new awards' ids.

    Idempotent by the (user, badge, scope) constraint: a second run, or a run racing the daily
    job, inserts nothing, and only the run that inserted an award notifies its owner."""
    today = today or local_today()
    users = set(user_ids) if user_ids is not None else None
    rows = [
        {
            "user": earned.user_id,
            "badge": badge.key,
            "scope": earned.scope,
            "reason": earned.reason,
            "goal": earned.goal_id,
            "neutral_reason": earned.neutral_reason,
            "earned_on": earned.earned_on,
            "period": earned.period_id,
            "awarded_at": timezone.now(),
        }
        for badge in enabled_badges()
        for earned in badge.rule(today, users)
    ]
    new_ids: list[int] = []
    for start in range(0, len(rows), 500):
        with transaction.atomic():
            inserted = insert_ignoring_conflicts(
                BadgeAward, rows[start : start + 500], returning=["id"]
            )
            awards = BadgeAward.objects.filter(pk__in=[row["id"] for row in inserted])
            for award in awards.select_related("user__notification_settings", "goal"):
                title = f"You earned the badge “{CATALOGUE[award.badge].name}”"
                notify(
                    users=[award.user],
                    kind=BADGE,
                    title=title,
                    body=award.reason,
                    goal=award.goal if award.neutral_reason else None,
                    neutral_title=title if award.neutral_reason else "",
                    neutral_body=award.neutral_reason,
                    url=reverse("recognition:person_badges", args=[award.user_id]),
                )
            new_ids.extend(row["id"] for row in inserted)
    return new_ids


# The badges a target achievement can earn: withdrawing one re-evaluates them.
ACHIEVEMENT_BADGES = ("first_goal", "stretch_achiever", "three_in_a_row")


def badges_reevaluate(
    *, user_ids: Iterable[int], today: date | None = None
) -> dict[int, list[str]]:
    """Re-run the achievement badges' rules for these people after a win was withdrawn: an
    award no standing win supports any more is taken back, one still supported gets the reason
    and date of the win that now supports it. Returns the names taken back, per person."""
    today = today or local_today()
    users = set(user_ids)
    justified = {
        (earned.user_id, key, earned.scope): earned
        for key in ACHIEVEMENT_BADGES
        for earned in CATALOGUE[key].rule(today, users)
    }
    taken_back: dict[int, list[str]] = {}
    changed = []
    for award in BadgeAward.objects.filter(user_id__in=users, badge__in=ACHIEVEMENT_BADGES):
        earned = justified.get((award.user_id, award.badge, award.scope))
        if earned is None:
            award.delete()
            taken_back.setdefault(award.user_id, []).append(CATALOGUE[award.badge].name)
        elif (award.reason, award.earned_on, award.goal_id) != (
            earned.reason,
            earned.earned_on,
            earned.goal_id,
        ):
            award.reason, award.earned_on = earned.reason, earned.earned_on
            award.goal_id, award.neutral_reason = earned.goal_id, earned.neutral_reason
            changed.append(award)
    BadgeAward.objects.bulk_update(changed, ["reason", "earned_on", "goal", "neutral_reason"])
    return taken_back


def after_recalculation(*, goal_ids: list[int], today: date | None = None) -> set[int]:
    """Repair target achievements whose status signal was lost (recorded, reinstated or
    withdrawn as the status says), and return the people whose badges the recalculation may
    have changed (people of reached goals and of completed periods' goals).

    Only goals whose achievements disagree with their status are looked at, in a few queries,
    so the periodic recalculation of every active goal stays cheap."""
    today = today or local_today()
    reached = [Goal.Status.ACHIEVED, Goal.Status.EXCEEDED]
    goals = Goal.objects.filter(pk__in=goal_ids)
    standing = Achievement.objects.filter(
        goal=OuterRef("pk"), milestone__isnull=True, withdrawn_at__isnull=True
    )
    missing = (
        goals.filter(status__in=reached)
        .exclude(Exists(standing.filter(kind=OuterRef("status"))))
        .exclude(direction=Goal.Direction.MAINTAIN, period__end__gte=today)
    )
    missing_ids = set(missing.values_list("pk", flat=True))
    worth = set()
    if missing_ids:
        withdrawn = Achievement.objects.filter(
            goal__in=missing_ids, milestone__isnull=True, withdrawn_at__isnull=False
        )
        worth = set(withdrawn.values_list("goal_id", flat=True))
        # A maintain goal still missing its win is past its period (see `missing`): it held.
        worth |= set(missing.filter(direction=Goal.Direction.MAINTAIN).values_list("pk", flat=True))
        for kind in TARGET_KINDS:
            worth |= set(crossings(missing_ids, kind))
    stale = goals.filter(period__end__gte=today).filter(
        (Exists(standing.filter(kind=Achievement.Kind.EXCEEDED)) & ~Q(status=Goal.Status.EXCEEDED))
        | (Exists(standing.filter(kind=Achievement.Kind.ACHIEVED)) & ~Q(status__in=reached))
    )
    for goal in Goal.objects.filter(
        pk__in=worth | set(stale.values_list("pk", flat=True))
    ).order_by("pk"):
        achievements_follow_status(goal=goal, status=goal.status, today=today)
    relevant = goals.filter(Q(status__in=reached) | Q(period__status=GoalPeriod.Status.COMPLETED))
    return people_of_goals(goal_ids=list(relevant.values_list("pk", flat=True)))


def people_of_goals(*, goal_ids: list[int]) -> set[int]:
    """Owners of the goals and every member of their teams (whom a badge rule may now reward)."""
    goals = Goal.objects.filter(pk__in=goal_ids)
    owners = set(goals.exclude(owner__isnull=True).values_list("owner_id", flat=True))
    team_ids = goals.values("team_id")
    members = set(User.objects.filter(membership__team__in=team_ids).values_list("pk", flat=True))
    return owners | members
