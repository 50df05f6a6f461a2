"""Thin views: the weekly check-in page, the "needs my attention" queue and its one-click
actions."""

from dataclasses import dataclass
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from goals.access import get_goal_for_user, visible_goals
from goals.display import count_progress_of
from goals.models import Goal
from goals_project.people.access import can_lead_team
from goals_project.people.models import User

from . import selectors, services
from .access import CHECK_IN_DENIED, can_check_in, can_take_step, get_support_request_for_user
from .forms import CheckInForm, ReplyForm
from .models import CheckIn, SupportRequest
from .weeks import current_week_start, iso_week_label


@dataclass
class GoalCard:
    goal: Goal
    form: CheckInForm
    checkin: CheckIn | None
    just_saved: bool = False

    @property
    def counted(self) -> str:
        """A task or milestone goal's progress in counts ("3 of 5 tasks")."""
        return count_progress_of(self.goal, getattr(self.goal, "milestone_list", None) or [])


def _teammates_by_team(user: User, goals: list[Goal]) -> dict[int, list[User]]:
    """Teammates a support request may be addressed to, per team (one query per team shown)."""
    return {
        team_id: services.support_addressee_choices(goal, user)
        for team_id, goal in {goal.team_id: goal for goal in goals}.items()
    }


def _card(goal: Goal, teammates: list[User], data=None, **extra) -> GoalCard:
    checkin = goal.this_week[0] if getattr(goal, "this_week", None) else None
    form = CheckInForm(
        data, goal=goal, teammates=teammates, initial=CheckInForm.initial_from(checkin)
    )
    return GoalCard(goal=goal, form=form, checkin=checkin, **extra)


@login_required
@require_GET
def week(request: HttpRequest) -> HttpResponse:
    """This week's check-in: every goal of the user with its own form, saved ones filled in."""
    week_start = current_week_start()
    goals = list(selectors.checkin_goals(request.user, week_start))
    teammates = _teammates_by_team(request.user, goals)
    cards = [_card(goal, teammates[goal.team_id]) for goal in goals]
    return render(
        request,
        "checkins/week.html",
        {
            "cards": cards,
            "week_start": week_start,
            "week_label": iso_week_label(week_start),
            "saved_count": sum(1 for card in cards if card.checkin),
            "goal_count": len(cards),
        },
    )


def _reload_goal(user: User, goal_id: int, week_start) -> Goal:
    goal = selectors.checkin_goals(user, week_start).filter(pk=goal_id).first()
    if goal is None:
        # Visible but not the user's to check in on (or closed): load it plainly for the error.
        goal = get_goal_for_user(user, goal_id)
        goal.this_week = []
        goal.milestone_list = list(goal.milestones.all())
    return goal


@login_required
@require_POST
def save(request: HttpRequest, goal_id: int) -> HttpResponse:
    """Save one goal's check-in (htmx swaps the goal's card; without JS, back to the page)."""
    get_goal_for_user(request.user, goal_id)  # 404 before anything else for an invisible goal
    week_start = current_week_start()
    goal = _reload_goal(request.user, goal_id, week_start)
    teammates = services.support_addressee_choices(goal, request.user)
    card = _card(goal, teammates, data=request.POST)
    status = 200
    if not can_check_in(request.user, goal):
        card.form.is_valid()
        card.form.add_error(None, CHECK_IN_DENIED)
        status = 403
    elif card.form.is_valid():
        try:
            services.checkin_submit(goal=goal, user=request.user, **card.form.service_kwargs())
        except ValidationError as error:
            for field, field_errors in error.message_dict.items():
                card.form.add_error(field if field in card.form.fields else None, field_errors)
            status = 400
        else:
            if not request.htmx:
                messages.success(request, f"Check-in saved for {goal.name}.")
                return redirect("checkins:week")
            goal = _reload_goal(request.user, goal_id, week_start)
            card = _card(goal, teammates, just_saved=True)
    else:
        status = 400
    if request.htmx:
        # htmx swaps only 2xx answers; the card carries the errors itself.
        response = render(request, "checkins/week.html#goal_card", {"card": card})
        if card.just_saved:
            # The page's "n of m goals checked in" follows along (an out-of-band swap).
            saved, total = selectors.checkin_tally(request.user, week_start)
            response.content += render(
                request,
                "checkins/week.html#checkin_tally",
                {"saved_count": saved, "goal_count": total, "oob": True},
            ).content
        return response
    return render(
        request,
        "checkins/week.html",
        {"cards": [card], "week_start": week_start, "week_label": iso_week_label(week_start)},
        status=status,
    )


@login_required
@require_GET
def attention(request: HttpRequest) -> HttpResponse:
    """The "needs my attention" queue."""
    queue = selectors.attention_queue(request.user)
    context = {
        "queue": queue,
        "reply_form": ReplyForm(),
        "week_label": iso_week_label(queue.week_start),
    }
    if request.htmx:
        # After a one-click action (the "attention-changed" event): the counts, out of band.
        return render(request, "checkins/attention.html#queue_counts", context)
    if queue.is_lead and not queue.missed:
        context["nobody_expected"] = not selectors.anyone_expected_to_check_in(
            team_id=selectors.lead_team_id(request.user),
            week_start=queue.week_start - timedelta(days=7),
            exclude_user=request.user,
        )
    return render(request, "checkins/attention.html", context)


@login_required
@require_GET
def attention_count(request: HttpRequest) -> HttpResponse:
    """The count shown next to "Needs my attention" in the navigation (loaded by htmx)."""
    count = selectors.attention_queue(request.user).count
    return render(request, "checkins/attention.html#nav_count", {"count": count})


def _after_action(
    request: HttpRequest, support_request: SupportRequest, message: str
) -> HttpResponse:
    if request.htmx:
        response = render(
            request,
            "checkins/attention.html#support_request_row",
            {"support_request": support_request, "reply_form": ReplyForm(), "done": message},
        )
        response["HX-Trigger"] = "attention-changed"
        return response
    messages.success(request, message)
    return redirect("checkins:attention")


@login_required
@require_POST
def support_request_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Acknowledge, reply to or resolve a support request (one click from the queue)."""
    support_request = get_support_request_for_user(request.user, pk)
    selectors.with_goal_labels(request.user, [support_request])
    if not can_take_step(request.user, support_request, action):
        raise PermissionDenied("Only the person asked, the team's leads and admins can do this.")
    form = ReplyForm(request.POST)
    form.is_valid()
    try:
        services.support_request_step(
            support_request=support_request,
            by=request.user,
            step=action,
            reply=form.cleaned_data.get("reply", ""),
        )
    except ValidationError as error:
        if request.htmx:
            form.add_error(None, error.messages)
            return render(
                request,
                "checkins/attention.html#support_request_row",
                {"support_request": support_request, "reply_form": form},
            )
        messages.error(request, " ".join(error.messages))
        return redirect("checkins:attention")
    done = {"acknowledge": "Acknowledged.", "reply": "Reply sent.", "resolve": "Resolved."}[action]
    return _after_action(request, support_request, done)


@login_required
@require_POST
def blocker_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    """Take a blocker off the queue (the lead has seen it)."""
    checkin = (
        CheckIn.objects.select_related("goal", "goal__team", "user")
        .filter(pk=pk, goal__in=visible_goals(request.user, include_archived=True))
        .first()
    )
    if checkin is None:
        raise Http404("No such check-in.")
    if not can_lead_team(request.user, checkin.goal.team):
        raise PermissionDenied("Only the team's leads can acknowledge a blocker.")
    services.blocker_acknowledge(checkin=checkin, by=request.user)
    if request.htmx:
        response = render(
            request, "checkins/attention.html#blocker_row", {"checkin": checkin, "done": True}
        )
        response["HX-Trigger"] = "attention-changed"
        return response
    messages.success(request, "Blocker acknowledged.")
    return redirect("checkins:attention")
