"""The goal tree: objective -> team goals -> individual goals, as one reader may see it.

The team dashboard shows the team's part of the tree (the company's objectives and the team's,
with the team's goals under them); the company page (/objectives/) every objective of the period
with every aligned goal the reader may see. Goals the reader may not see are left out; the row
above them says "includes goals you cannot see" (goals.objectives explains what an objective's
roll-up counts and when it is withheld). Filters keep the tree: a row that matches shows its
ancestors, greyed.

A tree reads a fixed number of queries whatever its size: the objectives, every aligned goal
(for the roll-ups), the reader's goals of the period with their sparklines, and the number of
children of each team goal.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Count, F, Max, Q, Sum

from goals import objectives as objective_rules
from goals.access import can_align_goals, can_edit_goal, visible_objectives
from goals.display import ProgressReading
from goals.models import Goal, GoalPeriod, Objective
from goals_project.people.models import Team, User

from .selectors import GoalFilters, GoalRow, dashboard_goals, goal_rows

HUNDRED = Decimal(100)
UNALIGNED = "Not aligned to an objective"
UNSEEN_OBJECTIVE = "Serving an objective you cannot see"
NO_TEAM_GOAL = "Individual goals without a team goal you can see"


@dataclass
class ObjectiveRow:
    """An objective's line in the tree."""

    objective: Objective | None  # None: a group of goals without a (visible) objective
    name: str
    level: str  # "Company objective", "Enterprise objective", or the group's words
    owner_names: str
    roll_up: objective_rules.RollUp | None
    reading: ProgressReading | None
    progress_display: str
    status: str
    status_label: str
    forecast_display: str
    children: list[GoalNode] = field(default_factory=list)
    matches: bool = True
    counts_other_teams: bool = False

    @property
    def note(self) -> str:
        return self.roll_up.note if self.roll_up else ""

    @property
    def dom_id(self) -> str:
        return f"objective-{self.objective.pk}" if self.objective else f"group-{self.name[:3]}"


@dataclass
class GoalNode:
    """A goal's line in the tree with the goals under it the reader may see."""

    row: GoalRow
    children: list[GoalNode] = field(default_factory=list)
    matches: bool = True
    hidden_children: int = 0
    align_choices: list[tuple[int, str]] | None = None  # a lead's or admin's re-align select

    @property
    def note(self) -> str:
        return objective_rules.UNSEEN_NOTE if self.hidden_children else ""


@dataclass
class GoalTree:
    period: GoalPeriod
    team: Team | None
    filters: GoalFilters
    objectives: list[ObjectiveRow]
    groups: list[ObjectiveRow]  # goals outside any objective the reader may see
    can_align: bool
    shown: int = 0
    total: int = 0

    @property
    def rows(self) -> list[ObjectiveRow]:
        return [*self.objectives, *self.groups]

    def matching_rows(self) -> list[GoalRow]:
        """The goals that match the filters as a flat list (the tree's "List" view)."""
        found = []
        for line in self.rows:
            for node in line.children:
                found += [node.row] if node.matches else []
                found += [child.row for child in node.children if child.matches]
        return found


def _objective_reading(roll_up: objective_rules.RollUp) -> ProgressReading:
    progress, expected = roll_up.progress, roll_up.expected_progress
    text = (
        "withheld" if roll_up.withheld else "no data" if progress is None else f"{progress:,.0f}%"
    )
    within = min(max(progress or Decimal(0), Decimal(0)), HUNDRED)
    return ProgressReading(
        text=text,
        expected=f"expected {expected:,.0f}%" if expected is not None else "",
        bar=f"{within:.1f}",
        pace=f"{min(max(expected, Decimal(0)), HUNDRED):.1f}" if expected is not None else None,
        stretch_zone=False,
        stretch_fill="0",
        breached=False,
    )


def _objective_row(
    objective: Objective, roll_up: objective_rules.RollUp, *, team: Team | None
) -> ObjectiveRow:
    reading = _objective_reading(roll_up)
    if roll_up.withheld:
        forecast = "withheld: it would show a goal you cannot see"
    elif roll_up.forecast_progress is None:
        forecast = "no forecast yet"
    else:
        forecast = f"{roll_up.forecast_progress:,.0f}% by the period end"
    level = "Company objective" if objective.team_id is None else f"{objective.team} objective"
    return ObjectiveRow(
        objective=objective,
        name=objective.name,
        level=level,
        owner_names=", ".join(owner.get_full_name() for owner in objective.owners.all()),
        roll_up=roll_up,
        reading=reading,
        progress_display=reading.text,
        status=roll_up.status,
        status_label=Goal.Status(roll_up.status).label,
        forecast_display=forecast,
        counts_other_teams=team is not None and objective.team_id is None,
    )


def _group(name: str, children: list[GoalNode]) -> ObjectiveRow:
    return ObjectiveRow(
        objective=None,
        name=name,
        level="",
        owner_names="",
        roll_up=None,
        reading=None,
        progress_display="",
        status="",
        status_label="",
        forecast_display="",
        children=children,
    )


def _hidden_children(team_goal_ids: Sequence[int], shown: dict[int, int]) -> dict[int, int]:
    """How many live children of each team goal the reader does not see (one query)."""
    totals = (
        Goal.objects.filter(parent_id__in=list(team_goal_ids), archived_at__isnull=True)
        .values("parent_id")
        .annotate(total=Count("pk"))
        .order_by()
    )
    return {
        row["parent_id"]: row["total"] - shown.get(row["parent_id"], 0)
        for row in totals
        if row["total"] > shown.get(row["parent_id"], 0)
    }


def goal_tree(
    *,
    viewer: User,
    period: GoalPeriod,
    team: Team | None,
    filters: GoalFilters,
    today: date,
) -> GoalTree:
    """The tree of `period` for the viewer: `team`'s part of it, or the company's (team None)."""
    objectives_qs = (
        visible_objectives(viewer)
        .filter(period=period)
        .select_related("team", "period")
        .prefetch_related("owners")
        .order_by(F("team__name").asc(nulls_first=True), "name", "pk")
    )
    if team is not None:
        objectives_qs = objectives_qs.filter(Q(team__isnull=True) | Q(team=team))
    objective_list = list(objectives_qs)
    roll_ups = objective_rules.roll_ups(objective_list, viewer=viewer, today=today)
    objective_ids = {objective.pk for objective in objective_list}

    goals = dashboard_goals(viewer, period=period, today=today).select_related("team")
    if team is not None:
        goals = goals.filter(team=team)
    else:
        goals = goals.filter(
            Q(objective_id__in=objective_ids) | Q(parent__objective_id__in=objective_ids)
        )
    rows = goal_rows(list(goals), period=period)
    team_rows = [row for row in rows if row.owner_id is None]
    by_parent: dict[int, list[GoalRow]] = defaultdict(list)
    team_goal_ids = {row.goal.pk for row in team_rows}
    orphans = []
    for row in rows:
        if row.owner_id is None:
            continue
        if row.goal.parent_id in team_goal_ids:
            by_parent[row.goal.parent_id].append(row)
        else:
            orphans.append(row)
    hidden = _hidden_children(
        list(team_goal_ids), {parent: len(kids) for parent, kids in by_parent.items()}
    )
    can_align = can_align_goals(viewer)
    choices_by_team: dict[int, list[tuple[int, str]]] = {}
    if can_align:
        for objective in objective_list:
            for team_id in {row.goal.team_id for row in team_rows}:
                if objective.team_id in (None, team_id):
                    choices_by_team.setdefault(team_id, []).append((objective.pk, objective.name))

    def node(row: GoalRow) -> GoalNode:
        children = [
            GoalNode(row=child, matches=filters.matches(child))
            for child in sorted(by_parent.get(row.goal.pk, ()), key=_row_order)
        ]
        editable = can_align and can_edit_goal(viewer, row.goal)
        return GoalNode(
            row=row,
            children=children,
            matches=filters.matches(row),
            hidden_children=hidden.get(row.goal.pk, 0),
            align_choices=choices_by_team.get(row.goal.team_id, []) if editable else None,
        )

    objective_rows = []
    for objective in objective_list:
        roll_up, _ = roll_ups[objective.pk]
        line = _objective_row(objective, roll_up, team=team)
        line.children = [
            node(row)
            for row in sorted(team_rows, key=_row_order)
            if row.goal.objective_id == objective.pk
        ]
        line.matches = not filters.active or (
            bool(filters.status) and filters.status == line.status
        )
        objective_rows.append(line)
    groups = []
    if team is not None:
        # An archived objective's goals read as not aligned (they serve nothing any more).
        archived = set(
            Objective.objects.filter(period=period, archived_at__isnull=False).values_list(
                "pk", flat=True
            )
        )
        unaligned = [
            node(row)
            for row in sorted(team_rows, key=_row_order)
            if row.goal.objective_id is None or row.goal.objective_id in archived
        ]
        unseen = [
            node(row)
            for row in sorted(team_rows, key=_row_order)
            if row.goal.objective_id not in (None, *objective_ids, *archived)
        ]
        loose = [GoalNode(row=row, matches=filters.matches(row)) for row in orphans]
        for name, children in ((UNSEEN_OBJECTIVE, unseen), (UNALIGNED, unaligned)):
            if children:
                groups.append(_group(name, children))
        if loose:
            groups.append(_group(NO_TEAM_GOAL, sorted(loose, key=lambda n: _row_order(n.row))))
    tree = GoalTree(
        period=period,
        team=team,
        filters=filters,
        objectives=objective_rows,
        groups=groups,
        can_align=can_align,
        total=len(rows),
    )
    _prune(tree)
    return tree


def _row_order(row: GoalRow) -> tuple:
    return (row.owner_id is not None, row.owner_name.lower(), row.name.lower(), row.goal.pk)


def _keep(node: GoalNode) -> bool:
    """Keep a goal that matches or has a matching child (greyed then); drop the rest."""
    node.children = [child for child in node.children if child.matches]
    return node.matches or bool(node.children)


def _prune(tree: GoalTree) -> None:
    """Apply the filters and keep the tree: a match shows its ancestors (not matching: greyed)."""
    shown = 0
    for line in tree.rows:
        line.children = [child for child in line.children if _keep(child)]
        shown += sum(
            int(child.matches) + sum(1 for grandchild in child.children if grandchild.matches)
            for child in line.children
        )
    if tree.filters.active:
        tree.objectives = [line for line in tree.objectives if line.matches or line.children]
        tree.groups = [line for line in tree.groups if line.children]
    tree.shown = shown


def tree_version(*, period: GoalPeriod, base: str) -> str:
    """The team dashboard's ETag (`base`) widened for its tree: it changes too when an objective
    of the period changes or when any goal aligned to one is recalculated, edited or moved
    (two small queries)."""
    goals = Goal.objects.filter(period=period, objective__isnull=False).aggregate(
        count=Count("pk"),
        moved=Sum("objective_id"),
        edited=Max("updated_at"),
        versions=Sum("calc_version"),
    )
    objectives = Objective.objects.filter(period=period).aggregate(
        count=Count("pk"), edited=Max("updated_at")
    )
    text = repr((base, sorted(goals.items()), sorted(objectives.items())))
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
