"""The leaderboard: members ranked by progress on comparable goals or by contribution points.

Only goals the viewer may see and whose show_in_leaderboard is on are read, and only teams whose
lead turned the leaderboard on appear. Equal scores (as displayed) share a rank.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import OuterRef, Subquery
from django.http import Http404

from goals.access import visible_goals
from goals.display import PROGRESS_RANGE, clamped
from goals.models import ContributionSnapshot, Goal, GoalPeriod
from goals_project.people.access import can_lead_team, parse_id
from goals_project.people.models import Team, User

from . import display
from .models import LeaderboardSetting
from .selectors import goal_url

RanksBy = LeaderboardSetting.RanksBy
ALL_TEAMS = "all"


@dataclass
class LeaderboardEntry:
    rank: int
    tied: bool
    member_id: int
    member_name: str
    team_name: str
    score: Decimal
    score_display: str
    detail: str
    goal_url: str


@dataclass
class TeamSwitch:
    value: str
    label: str
    selected: bool
    enabled: bool


@dataclass
class Leaderboard:
    period: GoalPeriod
    team: Team | None  # None: across teams
    setting: LeaderboardSetting | None
    can_configure: bool
    enabled: bool
    ranks_by: str
    ranks_by_label: str
    metric_key: str
    metric_label: str
    metric_choices: list[tuple[str, str]]
    entries: list[LeaderboardEntry]
    team_switch: list[TeamSwitch]


def chosen_team(wanted: str, teams: Sequence[Team]) -> Team | None:
    """The asked team among those the viewer may open (Http404 otherwise); None means across
    teams. Without a choice, a viewer with one team gets that team's leaderboard."""
    if wanted == ALL_TEAMS:
        return None
    pk = parse_id(wanted)
    team = next((t for t in teams if t.pk == pk), None)
    if wanted and team is None:
        raise Http404("No such team, or you may not see it.")
    if team is None and len(teams) == 1:
        return teams[0]
    return team


def setting_for(team: Team, settings: dict[int, LeaderboardSetting]) -> LeaderboardSetting:
    """The team's saved setting, or the default (off, ranks progress) when none was saved."""
    return settings.get(team.pk) or LeaderboardSetting(team=team)


def rank(scored: Sequence[tuple[Decimal, dict]]) -> list[tuple[int, bool, Decimal, dict]]:
    """Competition ranking (1, 2, 2, 4) on the score as displayed, highest first."""
    ordered = sorted(scored, key=lambda item: (-item[0], item[1]["name"].lower()))
    shown = [round(score, 1) for score, _ in ordered]
    counts = Counter(shown)
    result = []
    current_rank = 0
    for index, (score, entry) in enumerate(ordered):
        if index == 0 or shown[index] != shown[index - 1]:
            current_rank = index + 1
        result.append((current_rank, counts[shown[index]] > 1, score, entry))
    return result


def progress_score_text(progress: Decimal) -> str:
    """A progress score as the leaderboard shows it: clamped to PROGRESS_RANGE, and saying so."""
    low, high = PROGRESS_RANGE
    if progress < low:
        return f"{low:,.1f}% · below baseline"
    if progress > high:
        return f"{high:,.1f}%+ · past target"
    return f"{progress:,.1f}%"


def _progress_scores(goals: Sequence[Goal]) -> list[tuple[Decimal, dict]]:
    """Each member's best goal, ranked by progress clamped to PROGRESS_RANGE: a goal 8 times
    past a target set a hair above its baseline does not outrank one solidly past its own."""
    best: dict[int, Goal] = {}
    for goal in goals:
        if goal.progress is None:
            continue
        if goal.owner_id not in best or clamped(goal.progress) > clamped(
            best[goal.owner_id].progress
        ):
            best[goal.owner_id] = goal
    return [
        (
            clamped(goal.progress),
            {
                "score_text": progress_score_text(goal.progress),
                "id": goal.owner_id,
                "name": goal.owner.get_full_name(),
                "team": goal.team.name,
                "detail": (
                    f"{goal.name}: {display.with_unit(goal.current_value, display.goal_unit(goal))}"
                ),
                "url": goal_url(goal.pk),
            },
        )
        for goal in best.values()
    ]


def _contribution_scores(team_goals: Sequence[Goal]) -> list[tuple[Decimal, dict]]:
    if not team_goals:
        return []
    latest = ContributionSnapshot.objects.filter(goal=OuterRef("goal")).order_by("-as_of")
    snapshots = (
        ContributionSnapshot.objects.filter(goal__in=[goal.pk for goal in team_goals])
        .filter(as_of=Subquery(latest.values("as_of")[:1]), points__isnull=False)
        .select_related("member", "goal__team")
    )
    totals: dict[int, Decimal] = defaultdict(Decimal)
    people: dict[int, dict] = {}
    for snapshot in snapshots:
        totals[snapshot.member_id] += snapshot.points
        entry = people.setdefault(
            snapshot.member_id,
            {
                "id": snapshot.member_id,
                "name": snapshot.member.get_full_name(),
                "team": snapshot.goal.team.name,
                "goals": [],
                "url": goal_url(snapshot.goal_id),
            },
        )
        entry["goals"].append(snapshot.goal.name)
    for entry in people.values():
        entry["detail"] = "Points to " + ", ".join(entry.pop("goals"))
    return [(totals[member_id], entry) for member_id, entry in people.items()]


def leaderboard(
    *,
    viewer: User,
    period: GoalPeriod,
    team: Team | None,
    teams: Sequence[Team],
    ranks_by: str | None = None,
    metric_key: str | None = None,
) -> Leaderboard:
    """The leaderboard of one team (its lead's settings) or across the given teams (the asked
    ranking, over the teams whose leaderboard is on)."""
    settings = {
        setting.team_id: setting
        for setting in LeaderboardSetting.objects.filter(team__in=[t.pk for t in teams])
    }
    setting = setting_for(team, settings) if team is not None else None
    if setting is not None:
        enabled = setting.enabled
        chosen_rank = setting.ranks_by
        chosen_metric = setting.metric_key
        scope = [team] if enabled else []
    else:
        scope = [t for t in teams if setting_for(t, settings).enabled]
        enabled = bool(scope)
        chosen_rank = ranks_by if ranks_by in RanksBy.values else RanksBy.PROGRESS
        chosen_metric = metric_key or ""
    wants_individual = chosen_rank == RanksBy.PROGRESS
    goals = list(
        visible_goals(viewer)
        .filter(
            period=period,
            team__in=[t.pk for t in scope],
            goal_type=Goal.Type.METRIC,
            show_in_leaderboard=True,
            owner__isnull=not wants_individual,
        )
        # Drafts of a planning period are not ranked.
        .exclude(period__status=GoalPeriod.Status.PLANNING)
        .select_related("owner", "team")
    )
    metric_counts = Counter(goal.metric_key for goal in goals if goal.metric_key)
    if chosen_metric not in metric_counts:
        chosen_metric = metric_counts.most_common(1)[0][0] if metric_counts else ""
    comparable = [goal for goal in goals if goal.metric_key == chosen_metric]
    scored = _progress_scores(comparable) if wants_individual else _contribution_scores(comparable)
    unit = "%" if wants_individual else " pts"
    entries = [
        LeaderboardEntry(
            rank=position,
            tied=tied,
            member_id=entry["id"],
            member_name=entry["name"],
            team_name=entry["team"],
            score=score,
            score_display=entry.get("score_text") or f"{score:,.1f}{unit}",
            detail=entry["detail"],
            goal_url=entry["url"],
        )
        for position, tied, score, entry in rank(scored)
    ]
    switch = [
        TeamSwitch(ALL_TEAMS, "All teams", team is None, bool(scope) if team is None else True)
    ]
    switch += [
        TeamSwitch(
            str(t.pk),
            t.name,
            team is not None and t.pk == team.pk,
            setting_for(t, settings).enabled,
        )
        for t in teams
    ]
    return Leaderboard(
        period=period,
        team=team,
        setting=setting,
        can_configure=team is not None and can_lead_team(viewer, team),
        enabled=enabled,
        ranks_by=chosen_rank,
        ranks_by_label=RanksBy(chosen_rank).label,
        metric_key=chosen_metric,
        metric_label=display.metric_label(chosen_metric) if chosen_metric else "",
        metric_choices=sorted((key, display.metric_label(key)) for key in metric_counts),
        entries=entries,
        team_switch=switch,
    )
