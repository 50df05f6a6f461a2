"""Thin views: achievements (celebrate, acknowledge), celebration feed, contribution highlights,
badges and period-end summaries."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from checkins.weeks import current_week_start, iso_week_label, parse_iso_week
from goals.models import GoalPeriod
from goals_project.people.access import get_person_for_user, get_team_for_user

from . import selectors, services
from .access import get_achievement_for_user
from .badges import CATALOGUE
from .models import PeriodSummary
from .summaries import summary_for_reader


@login_required
@require_GET
def achievement_list(request: HttpRequest) -> HttpResponse:
    """Every win the user may see, newest first."""
    page = Paginator(selectors.achievements_for_user(request.user), 30).get_page(
        request.GET.get("page")
    )
    items = [(achievement, selectors.achievement_sentence(achievement)) for achievement in page]
    return render(request, "recognition/achievements.html", {"page": page, "items": items})


def _achievement_context(request: HttpRequest, achievement_id: int, **extra) -> dict:
    achievement = selectors.achievements_for_user(request.user, include_withdrawn=True).get(
        pk=achievement_id
    )
    return {
        "achievement": achievement,
        "sentence": selectors.achievement_sentence(achievement),
        "credited": list(achievement.credited.order_by("name", "email")),
        "celebrations": list(selectors.celebrations_of(achievement)),
        "can_celebrate": services.can_celebrate(request.user, achievement),
        "can_acknowledge": services.can_acknowledge(request.user, achievement),
        **extra,
    }


@login_required
@require_GET
def achievement_detail(request: HttpRequest, achievement_id: int) -> HttpResponse:
    get_achievement_for_user(request.user, achievement_id)
    return render(
        request, "recognition/achievement.html", _achievement_context(request, achievement_id)
    )


@login_required
@require_POST
def achievement_celebrate(request: HttpRequest, achievement_id: int) -> HttpResponse:
    """A kudos, once per person (htmx swaps the celebrate box of the feed or the page)."""
    achievement = get_achievement_for_user(request.user, achievement_id)
    message = request.POST.get("message", "")
    notice, error = "", ""
    try:
        services.achievement_celebrate(achievement=achievement, by=request.user, message=message)
        notice = "Celebrated!"
    except services.AlreadyCelebrated as exc:
        notice = str(exc)
    except ValidationError as exc:
        error = " ".join(exc.messages)
    if request.htmx and request.GET.get("in") == "feed":
        # The feed's button: its row comes back with the new count and "You celebrated".
        item = selectors.feed_item(achievement.pk, request.user)
        return render(request, "recognition/_celebration_feed.html#feed_item", {"item": item})
    if request.htmx:
        # htmx swaps only 2xx answers: the box itself says what happened.
        context = _achievement_context(request, achievement.pk, notice=notice, error=error)
        return render(request, "recognition/achievement.html#celebrate_box", context)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, notice)
    return redirect("recognition:achievement", achievement.pk)


@login_required
@require_POST
def achievement_acknowledge(request: HttpRequest, achievement_id: int) -> HttpResponse:
    """The owner acknowledges the win (anyone else: 403; an invisible one: 404)."""
    achievement = get_achievement_for_user(request.user, achievement_id)
    if not services.can_acknowledge(request.user, achievement):
        raise PermissionDenied("Only the goal's owner can acknowledge this achievement.")
    services.achievement_acknowledge(achievement=achievement, by=request.user)
    if request.htmx:
        context = _achievement_context(request, achievement.pk)
        return render(request, "recognition/achievement.html#acknowledge_box", context)
    messages.success(request, "Acknowledged.")
    return redirect("recognition:achievement", achievement.pk)


@login_required
@require_GET
def team_celebrations(request: HttpRequest, team_id: int) -> HttpResponse:
    """The team's celebration feed. Rendering it is what makes the viewer's new wins seen: they
    animate this once and never again."""
    team = get_team_for_user(request.user, team_id)
    items = selectors.celebrations_for_team(team, request.user)
    services.achievements_mark_seen(
        user=request.user, achievement_ids=[item.achievement.pk for item in items if item.is_new]
    )
    context = {"team": team, "celebrations": items}
    if request.htmx:
        return render(request, "recognition/_celebration_feed.html", context)
    return render(request, "recognition/team_celebrations.html", context)


@login_required
@require_GET
def team_highlights(request: HttpRequest, team_id: int) -> HttpResponse:
    """The week's contribution highlights (?week=2026-W48; this week by default)."""
    team = get_team_for_user(request.user, team_id)
    week = request.GET.get("week")
    error = ""
    week_start = current_week_start()
    if week:
        try:
            week_start = parse_iso_week(week)
        except ValueError as exc:
            error = f"week: {exc}"
    highlights = selectors.contribution_highlights(team, week_start, viewer=request.user)
    if not week and highlights.is_empty:
        # Early in a week nothing has moved yet: show the week before instead of an empty panel.
        week_start -= timedelta(days=7)
        highlights = selectors.contribution_highlights(team, week_start, viewer=request.user)
    this_week = current_week_start()
    context = {
        "team": team,
        "highlights": highlights,
        "week_label": iso_week_label(week_start),
        "previous_week": iso_week_label(week_start - timedelta(days=7)),
        "next_week": (
            iso_week_label(week_start + timedelta(days=7)) if week_start < this_week else None
        ),
        "this_week": iso_week_label(this_week),
        "error": error,
    }
    if request.htmx:
        return render(request, "recognition/_highlights.html", context)
    return render(
        request, "recognition/team_highlights.html", context, status=400 if error else 200
    )


@login_required
@require_GET
def person_badges(request: HttpRequest, person_id: int) -> HttpResponse:
    person = get_person_for_user(request.user, person_id)
    context = {
        "person": person,
        "badges": selectors.badges_for(person, viewer=request.user),
        "catalogue": CATALOGUE,
    }
    if request.htmx:
        return render(request, "recognition/_badges.html", context)
    return render(request, "recognition/person_badges.html", context)


@login_required
@require_GET
def team_summaries(request: HttpRequest, team_id: int) -> HttpResponse:
    team = get_team_for_user(request.user, team_id)
    summaries = PeriodSummary.objects.filter(team=team).select_related("period")
    return render(
        request, "recognition/team_summaries.html", {"team": team, "summaries": summaries}
    )


@login_required
@require_GET
def period_summary(request: HttpRequest, team_id: int, period_id: int) -> HttpResponse:
    """A team's period-end summary; goals the viewer may not see are left out of the list."""
    team = get_team_for_user(request.user, team_id)
    summary = (
        PeriodSummary.objects.filter(team=team, period_id=period_id)
        .select_related("period")
        .first()
    )
    if summary is None:
        period = GoalPeriod.objects.filter(pk=period_id).first()
        if period is None:
            raise Http404("No such period.")
        return render(
            request,
            "recognition/period_summary.html",
            {"team": team, "period": period, "summary": None},
        )
    goals, badges = summary_for_reader(summary.data, request.user)
    return render(
        request,
        "recognition/period_summary.html",
        {
            "team": team,
            "period": summary.period,
            "summary": summary,
            "data": summary.data,
            "goals": goals,
            "badges": badges,
            "hidden_goals": len(summary.data["goals"]) - len(goals),
            "summaries_url": reverse("recognition:team_summaries", args=[team.pk]),
        },
    )
