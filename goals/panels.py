"""Panels the apps above goals add to the goal page.

The goal page belongs to goals, but some of what it shows belongs to apps that read goals: the
chart, contributions and comparison (dashboards), the check-in history (checkins). Each of those
apps registers a panel when it starts (`register_goal_panel` in its AppConfig.ready); the goal
view reads every panel with its selector and the page includes each panel's template with the
result as `panel`. Goals imports none of them, and nothing is computed while the page renders.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from goals_project.people.models import User

from .models import Goal


@dataclass(frozen=True)
class GoalPanel:
    """One panel: `read(viewer=, goal=)` returns what `template` shows as `panel`."""

    name: str
    template: str
    read: Callable[..., Any]
    # Shows the goal's numbers: redrawn (out of band) after a change on the page and polled
    # while the goal's history is being built; other panels come after them.
    redrawn: bool = False
    # Place on the page among the panels of the same kind (smaller first).
    order: int = 100


@dataclass(frozen=True)
class ShownPanel:
    panel: GoalPanel
    data: Any

    @property
    def template(self) -> str:
        return self.panel.template


_PANELS: dict[str, GoalPanel] = {}


def register_goal_panel(panel: GoalPanel) -> None:
    """Add a panel to the goal page (once per name: registering it again replaces it)."""
    _PANELS[panel.name] = panel


def goal_panels() -> list[GoalPanel]:
    return sorted(_PANELS.values(), key=lambda panel: (panel.order, panel.name))


def read_goal_panels(
    *, viewer: User, goal: Goal, redrawn_only: bool = False
) -> dict[str, list[ShownPanel]]:
    """The panels of a goal the viewer may see (checked by the view), read now: `redrawn` and
    `after` lists in page order (only the redrawn ones when redrawing the goal's numbers)."""
    shown: dict[str, list[ShownPanel]] = {"redrawn": [], "after": []}
    for panel in goal_panels():
        if redrawn_only and not panel.redrawn:
            continue
        shown["redrawn" if panel.redrawn else "after"].append(
            ShownPanel(panel, panel.read(viewer=viewer, goal=goal))
        )
    return shown
