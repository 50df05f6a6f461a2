"""Goal and period pages: thin views that parse, check access, call a service and render.

Access: every goal is fetched with `get_goal_for_user` (404 when the user may not see it) and
every change is checked with the rights in goals.access (403 when they may see it but not change
it). htmx requests get the matching `{% partialdef %}` of the same template.
"""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from goals_project.people.access import parse_id
from goals_project.people.models import Team, User
from metrics.registry import METRICS

from . import access, attainment, lifecycle, selectors, services
from .cascade import cascade_create, cascade_suggestions, rule_text
from .display import count_progress_of
from .forms import (
    AdjustForm,
    CarryOverForm,
    CascadeForm,
    ClosingCommentForm,
    CorrectionForm,
    GoalEditForm,
    GoalForm,
    ManualEntryForm,
    MilestoneForm,
    MilestoneFormSet,
    PeriodForm,
    ShareForm,
)
from .goal_templates import template_initial
from .models import Goal, GoalPeriod, GoalTemplate, Milestone
from .panels import read_goal_panels
from .permissions import goal_share, goal_shared_teams, goal_shared_users, goal_unshare
from .recalc import recalculate_goals
from .selectors import periods_in_order
from .suggestions import Suggestion, histories_chart, suggestion_for, suggestions_for

MILESTONE_PREFIX = "milestones"


def apply_errors(form: Form, error: ValidationError) -> None:
    """Put a service's ValidationError({field: msg}) on the form: on the field when the form has
    it, else at the top of the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, field_messages in error.message_dict.items():
        form.add_error(field if field in form.fields else None, field_messages)


# ---------------------------------------------------------------------------------------------
# Periods


@login_required
def period_list(request: HttpRequest) -> HttpResponse:
    periods = periods_in_order(GoalPeriod.objects.all(), timezone.localdate())
    return render(
        request,
        "goals/period_list.html",
        {"periods": periods, "can_manage": access.can_manage_periods(request.user)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def period_form(request: HttpRequest, period_id: int | None = None) -> HttpResponse:
    """Create a period, or edit one (admins)."""
    access.require(access.can_manage_periods(request.user), "Only admins manage goal periods.")
    period = get_object_or_404(GoalPeriod, pk=period_id) if period_id else None
    initial = (
        {f: getattr(period, f) for f in ("name", "period_type", "start", "end", "status")}
        if period
        else {}
    )
    form = PeriodForm(request.POST or None, initial=initial)
    if period:
        form.fields["period_type"].disabled = True
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if period:
                period = lifecycle.period_edit(
                    period=period,
                    by=request.user,
                    reason=request.POST.get("reason", ""),
                    name=data["name"],
                    start=data["start"],
                    end=data["end"],
                    status=data["status"],
                )
                messages.success(request, f"Saved {period.name}.")
            else:
                period = services.period_create(**data)
                messages.success(request, f"Created {period.name}.")
            return redirect("goals:period_detail", period.pk)
        except ValidationError as error:
            apply_errors(form, error)
    return render(request, "goals/period_form.html", {"form": form, "period": period})


@login_required
def period_detail(request: HttpRequest, period_id: int) -> HttpResponse:
    """A period's goals that the user may see, grouped by team."""
    period = get_object_or_404(GoalPeriod, pk=period_id)
    goals = selectors.period_goals(request.user, period)
    can_manage = access.can_manage_periods(request.user)
    today = timezone.localdate()
    return render(
        request,
        "goals/period_detail.html",
        {
            "period": period,
            "goals": goals,
            "can_manage": can_manage,
            "can_carry_over": access.can_carry_over(request.user, period),
            "can_create": access.editable_teams(request.user).exists()
            and period.status != GoalPeriod.Status.COMPLETED,
            "can_export_attainment": access.attainment_teams(request.user).exists(),
            "can_activate": can_manage and period.status == GoalPeriod.Status.PLANNING,
            "can_close": can_manage and period.closed_at is None and today > period.end,
            "comment_team_ids": _comment_team_ids(request.user),
        },
    )


@login_required
@require_http_methods(["GET"])
def period_attainment(request: HttpRequest, period_id: int, file_format: str) -> HttpResponse:
    """The period's attainment export (CSV or Excel) for an admin (every team) or a lead (their
    team); 404 for anyone else. Each download is recorded."""
    period = get_object_or_404(GoalPeriod, pk=period_id)
    teams = access.attainment_teams(request.user)
    if not teams.exists():
        raise Http404("No such export.")
    return attainment.download_response(
        period=period, user=request.user, teams=teams, file_format=file_format
    )


def _comment_team_ids(user: User) -> set[int] | None:
    """The teams whose closed goals the user comments on (None: every team, an admin)."""
    if access.is_admin(user):
        return None
    return set(access.editable_teams(user).values_list("pk", flat=True))


@login_required
@require_POST
def period_activate(request: HttpRequest, period_id: int) -> HttpResponse:
    """An admin makes a planning period live now (its drafts take their baselines)."""
    access.require(access.can_manage_periods(request.user), "Only admins activate periods.")
    period = get_object_or_404(GoalPeriod, pk=period_id)
    try:
        lifecycle.period_activate(period=period, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{period.name} is live: its goals are being calculated.")
    return redirect("goals:period_detail", period.pk)


@login_required
@require_POST
def period_close(request: HttpRequest, period_id: int) -> HttpResponse:
    """An admin closes a period after its end date: goals frozen, graded, summarised."""
    access.require(access.can_manage_periods(request.user), "Only admins close periods.")
    period = get_object_or_404(GoalPeriod, pk=period_id)
    try:
        lifecycle.period_close(period=period, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{period.name} is closed: final values and grades are kept.")
    return redirect("goals:period_detail", period.pk)


@login_required
@require_POST
def goal_closing_comment(request: HttpRequest, goal_id: int) -> HttpResponse:
    """The lead's closing comment on a closed goal (htmx: the goal's row comes back)."""
    goal = access.get_goal_for_user(request.user, goal_id)
    access.require_goal_right(access.can_edit_goal, request.user, goal)
    form = ClosingCommentForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            goal = lifecycle.goal_closing_comment(
                goal=goal, by=request.user, comment=form.cleaned_data["closing_comment"]
            )
        except ValidationError as refusal:
            error = " ".join(refusal.messages)
    else:
        error = " ".join(form.errors.get("closing_comment", []))
    if request.htmx:
        goal = access.with_parent_visibility(
            access.visible_goals(request.user)
            .filter(pk=goal.pk)
            .select_related("team", "owner", "parent", "closing_comment_by"),
            request.user,
        )[0]
        return render(
            request,
            "goals/period_detail.html#closed_row",
            {
                "goal": goal,
                "comment_team_ids": _comment_team_ids(request.user),
                "comment_error": error,
                "comment_saved": not error,
            },
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, f"Saved the closing comment on “{goal.name}”.")
    return redirect("goals:period_detail", goal.period_id)


@login_required
@require_http_methods(["GET", "POST"])
def goal_correct(request: HttpRequest, goal_id: int) -> HttpResponse:
    """An admin corrects a closed goal's final value, with a reason (audited)."""
    goal = access.get_goal_for_user(request.user, goal_id)
    access.require(access.is_admin(request.user), "Only admins correct a closed goal.")
    form = CorrectionForm(request.POST or None, initial={"final_value": goal.final_value})
    if request.method == "POST" and form.is_valid():
        try:
            lifecycle.goal_correct_final(goal=goal, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"Corrected the final value of “{goal.name}”.")
            return redirect("goals:goal_detail", goal.pk)
    return render(request, "goals/goal_correct.html", {"goal": goal, "form": form})


def carry_over_preview(
    *, source: GoalPeriod, target: GoalPeriod, by: User, team: Team | None
) -> services.CarryOver:
    """What `carry_over_period` would do, without doing it: the service runs and its transaction
    is rolled back, so the preview follows exactly the same rules as the real run."""
    with transaction.atomic():
        result = services.carry_over_period(source=source, target=target, by=by, team=team)
        transaction.set_rollback(True)
    return result


@login_required
@require_http_methods(["GET", "POST"])
def period_carry_over(request: HttpRequest, period_id: int) -> HttpResponse:
    """Carry a period's goals into a later period: preview first, then confirm."""
    source = get_object_or_404(GoalPeriod, pk=period_id)
    access.require(
        access.can_carry_over(request.user, source), "Only admins and team leads carry goals over."
    )
    team = access.carry_over_team(request.user)
    form = CarryOverForm(request.POST or request.GET or None, source=source)
    preview = None
    if form.is_bound and form.is_valid():
        target = form.cleaned_data["target_period"]
        try:
            if request.method == "POST" and request.POST.get("confirm") == "yes":
                result = services.carry_over_period(
                    source=source, target=target, by=request.user, team=team
                )
                messages.success(
                    request,
                    f"Carried {len(result.created)} goals from {source.name} into {target.name}.",
                )
                return redirect("goals:period_detail", target.pk)
            preview = carry_over_preview(source=source, target=target, by=request.user, team=team)
        except ValidationError as error:
            # The service names the period it was given `target`; the form calls it target_period.
            messages_by_field = getattr(error, "message_dict", {})
            if "target" in messages_by_field:
                form.add_error("target_period", messages_by_field["target"])
            else:
                apply_errors(form, error)
    return render(
        request,
        "goals/period_carry_over.html",
        {"source": source, "form": form, "preview": preview, "team": team},
    )


# ---------------------------------------------------------------------------------------------
# Goal form (create)


def _metric_info(form: GoalForm) -> selectors.MetricInfo | None:
    """The form's metric panel for what is chosen so far (goals.selectors.metric_info)."""
    data = form.data if form.is_bound else form.initial
    return selectors.metric_info(
        metric_key=data.get("metric_key") or "",
        period=_choice(form, "period"),
        team=_choice(form, "team"),
        owner=_choice(form, "owner"),
        today=timezone.localdate(),
    )


def _choice(form: GoalForm, name: str):
    """The object chosen in a ModelChoiceField of a form that has not been validated yet."""
    field = form.fields[name]
    raw = form[name].value()
    if raw in (None, ""):
        return None
    try:
        return field.queryset.filter(pk=int(raw)).first()
    except (TypeError, ValueError):
        return None


def _goal_form(request: HttpRequest, data=None, initial=None) -> GoalForm:
    return GoalForm(
        data,
        initial=initial or {},
        periods=selectors.open_periods(timezone.localdate()),
        teams=access.editable_teams(request.user),
        objectives=access.visible_objectives(request.user),
    )


MILESTONE_FIELDS = ("name", "weight", "due_date", "ORDER", "DELETE")


def _milestone_formset(data=None, rows: list[dict] | None = None) -> MilestoneFormSet:
    """The milestone rows of the goal form: bound to a submitted form, else `rows` (a
    template's) or one empty row."""
    if data is not None:
        return MilestoneFormSet(data, prefix=MILESTONE_PREFIX)
    rows = rows or [{"weight": Decimal(1), "ORDER": 1}]
    return MilestoneFormSet(initial=rows, prefix=MILESTONE_PREFIX)


def _milestone_rows_redrawn(data, add: bool) -> MilestoneFormSet:
    """The rows as typed so far, unvalidated (no errors before a submit), plus an empty row when
    "Add a milestone" was pressed."""
    if f"{MILESTONE_PREFIX}-TOTAL_FORMS" not in data:
        return _milestone_formset()
    typed = MilestoneFormSet(data, prefix=MILESTONE_PREFIX)
    rows = [{name: form[name].value() for name in MILESTONE_FIELDS} for form in typed.forms]
    if add:
        rows.append({"weight": Decimal(1), "ORDER": len(rows) + 1})
    return MilestoneFormSet(initial=rows, prefix=MILESTONE_PREFIX)


def _require_manageable_team(teams, raw_team: str | None) -> None:
    """A team named in the goal form's request that the user may not manage is a 404, as any
    object they may not see (its members and goals are never listed)."""
    if raw_team and not teams.filter(pk=parse_id(raw_team) or 0).exists():
        raise Http404("No such team.")


@login_required
@require_http_methods(["GET", "POST"])
def goal_create(request: HttpRequest) -> HttpResponse:
    """Create a goal: one form whose fields follow the type (htmx redraws the type's fields)."""
    teams = access.editable_teams(request.user)
    access.require(teams.exists(), "Only team leads and admins create goals.")
    _require_manageable_team(teams, request.POST.get("team") or request.GET.get("team"))
    initial = {k: request.GET[k] for k in ("period", "team", "owner", "parent") if k in request.GET}
    template, template_rows = None, None
    if request.GET.get("template"):
        # "Start from a template": the form opens pre-filled with the template's fields.
        template = get_object_or_404(GoalTemplate, pk=access.parse_id(request.GET["template"]))
        template_fields, template_rows = template_initial(template)
        initial.update(template_fields)
    initial.setdefault("goal_type", Goal.Type.METRIC)
    if "period" not in initial:
        # The period running today (else the soonest to come): the first of the ordered list.
        initial["period"] = getattr(
            selectors.open_periods(timezone.localdate()).first(), "pk", None
        )
    form = _goal_form(request, request.POST or None, initial)
    milestones = _milestone_formset(request.POST or None, template_rows)
    if request.method == "POST":
        is_milestone = request.POST.get("goal_type") == Goal.Type.MILESTONE
        if form.is_valid() and (not is_milestone or milestones.is_valid()):
            data = form.cleaned_data
            access.require(
                access.can_create_goal(request.user, data["team"]),
                "You may create goals only for your own team.",
            )
            try:
                goal = services.goal_create(
                    **data,
                    milestones=milestones.milestones() if is_milestone else [],
                    created_by=request.user,
                )
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, f"Created the goal “{goal.name}”.")
                return redirect("goals:goal_detail", goal.pk)
    return render(
        request,
        "goals/goal_form.html",
        {
            **_form_panels(form),
            "milestones": milestones,
            "template": template,
            "template_links": _template_links(request),
        },
    )


def _form_panels(form: GoalForm) -> dict:
    """The form with its metric panel and the targets suggested from the owner's history."""
    info = _metric_info(form)
    suggestion = None
    if info is not None and info.scope is not None:
        data = form.data if form.is_bound else form.initial
        period, team, owner = (_choice(form, name) for name in ("period", "team", "owner"))
        typed = services._number(data.get("baseline"), "baseline", {})
        suggestion = suggestion_for(
            metric_key=info.metric.key,
            period=period,
            team_id=team.pk,
            owner_id=owner.pk if owner else None,
            direction=data.get("direction") or Goal.Direction.INCREASE,
            base=typed if typed is not None else info.baseline,
        )
    return {
        "form": form,
        "metric_info": info,
        "suggestion": suggestion,
        "suggestion_chart": suggestion.chart()
        if suggestion and suggestion.periods_with_data
        else None,
    }


def _template_links(request: HttpRequest) -> list[tuple[GoalTemplate, str]]:
    """Each template with the new-goal link that opens it (keeping the chosen period, team,
    owner and parent)."""
    kept = {k: request.GET[k] for k in ("period", "team", "owner", "parent") if k in request.GET}
    base = reverse("goals:goal_create")
    return [
        (template, f"{base}?{urlencode({**kept, 'template': template.pk})}")
        for template in GoalTemplate.objects.all()
    ]


@login_required
@require_POST
def goal_form_fields(request: HttpRequest) -> HttpResponse:
    """htmx: the goal form's type-dependent fields for what is chosen so far (no validation:
    errors appear when the form is submitted)."""
    teams = access.editable_teams(request.user)
    access.require(teams.exists(), "Only leads create goals.")
    _require_manageable_team(teams, request.POST.get("team"))
    bound = _goal_form(request, request.POST)
    # Redraw from the chosen values without validating, so no error shows before a submit.
    initial = {name: bound[name].value() for name in bound.fields}
    form = _goal_form(request, None, initial)
    milestones = _milestone_rows_redrawn(request.POST, add="add_milestone" in request.POST)
    return render(
        request,
        "goals/goal_form.html#type_fields",
        {**_form_panels(form), "milestones": milestones},
    )


# ---------------------------------------------------------------------------------------------
# Goal page


@login_required
def goal_detail(request: HttpRequest, goal_id: int) -> HttpResponse:
    """The goal page; an htmx request (the poll while the history is being built) gets every
    region that shows the goal's numbers."""
    goal = access.get_goal_for_user(request.user, goal_id)
    if request.htmx and not request.htmx.boosted:
        return _goal_regions(request, goal)
    return render(request, "goals/goal_detail.html", _detail_context(request, goal))


# The parts of the goal page that show its numbers. An htmx action on the page (manual entry,
# milestone tick) answers with all of them as out-of-band swaps, so none is left stale.
GOAL_REGIONS = ("progress_panel", "goal_title", "goal_panels", "manual_entries")


def _goal_regions(
    request: HttpRequest, goal: Goal, *, changed: bool = False, **extra
) -> HttpResponse:
    """Every region of the goal page, out of band. After a change the goal is recalculated in
    the request (one goal, milliseconds), so the answer shows its new status even when the
    queued recalculation runs on a worker a moment later (it then finds nothing to change)."""
    if changed:
        recalculate_goals([goal.pk])
    goal.refresh_from_db()
    context = _detail_context(request, goal, regions_only=True, oob=True, **extra)
    response = HttpResponse()
    for region in GOAL_REGIONS:
        response.content += render(request, f"goals/goal_detail.html#{region}", context).content
    return response


def _detail_context(
    request: HttpRequest, goal: Goal, *, regions_only: bool = False, **extra
) -> dict:
    """The goal page's context; its panels from the apps above goals (goals.panels) are read
    here, the ones that show the goal's numbers only when `regions_only`."""
    user = request.user
    # A closed goal is read-only (its admin correction has a page of its own).
    can_update = access.can_update_progress(user, goal) and not goal.is_closed
    can_share = access.can_share_goal(user, goal)
    draft = goal.period.status == GoalPeriod.Status.PLANNING
    # One goal's milestones in their order (no join for the model's ordering by goal).
    milestones = list(goal.milestones.order_by("order", "pk"))
    # Who a goal is shared with shows only for a private goal.
    shows_shares = can_share and goal.visibility == Goal.Visibility.PRIVATE
    context = {
        "goal": goal,
        "parent": access.parent_for_user(user, goal),
        "children": selectors.visible_children(user, goal),
        "milestones": milestones,
        "entries": selectors.recent_manual_entries(goal),
        "adjustments": selectors.goal_adjustments(goal),
        "metric": METRICS.get(goal.metric_key),
        "can_edit": access.can_edit_goal(user, goal) and not goal.is_closed,
        "can_correct": goal.is_closed and access.is_admin(user),
        "draft": draft,
        "can_update": can_update,
        "can_share": can_share,
        "takes_entries": not services.manual_entry_refusal(goal),
        # A new calculated goal whose history a task is still building (the page polls).
        "building": bool(goal.metric_key) and goal.last_calculated_at is None and not draft,
        "counted": count_progress_of(goal, milestones),
        "entry_form": ManualEntryForm(goal=goal) if can_update else None,
        "shared_users": goal_shared_users(goal) if shows_shares else [],
        "shared_teams": goal_shared_teams(goal) if shows_shares else [],
        "panels": read_goal_panels(viewer=user, goal=goal, redrawn_only=regions_only),
    }
    context.update(extra)
    return context


@login_required
@require_http_methods(["GET", "POST"])
def goal_edit(request: HttpRequest, goal_id: int) -> HttpResponse:
    """Change what needs no reason: name, description, direction, visibility, leaderboard, the
    number of tasks; and the milestones (add, reorder, remove)."""
    goal = access.get_goal_for_user(request.user, goal_id)
    access.require_goal_right(access.can_edit_goal, request.user, goal)
    form = GoalEditForm(
        request.POST or None, goal=goal, objectives=access.visible_objectives(request.user)
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.goal_update(goal=goal, by=request.user, **form.changes())
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Saved the goal.")
            return redirect("goals:goal_detail", goal.pk)
    return render(
        request,
        "goals/goal_edit.html",
        {
            "goal": goal,
            "form": form,
            "milestones": goal.milestones.all(),
            "new_milestone": MilestoneForm(),
        },
    )


@login_required
@require_POST
def milestone_add(request: HttpRequest, goal_id: int) -> HttpResponse:
    goal = access.get_goal_for_user(request.user, goal_id)
    access.require_goal_right(access.can_edit_goal, request.user, goal)
    form = MilestoneForm(request.POST)
    if form.is_valid():
        try:
            services.milestone_add(goal=goal, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            form = MilestoneForm()
    return _milestone_list(request, goal, form)


@login_required
@require_POST
def milestone_move(request: HttpRequest, goal_id: int, milestone_id: int) -> HttpResponse:
    """Move a milestone one place up or down."""
    goal = access.get_goal_for_user(request.user, goal_id)
    access.require_goal_right(access.can_edit_goal, request.user, goal)
    ids = list(goal.milestones.values_list("pk", flat=True))
    milestone = get_object_or_404(Milestone, pk=milestone_id, goal=goal)
    index = ids.index(milestone.pk)
    other = index - 1 if request.POST.get("direction") == "up" else index + 1
    if 0 <= other < len(ids):
        ids[index], ids[other] = ids[other], ids[index]
        services.milestone_reorder(goal=goal, milestone_ids=ids)
    return _milestone_list(request, goal, MilestoneForm())


@login_required
@require_POST
def milestone_remove(request: HttpRequest, goal_id: int, milestone_id: int) -> HttpResponse:
    """Remove a milestone (done or not) from the goal; the goal's progress follows."""
    goal = access.get_goal_for_user(request.user, goal_id)
    access.require_goal_right(access.can_edit_goal, request.user, goal)
    milestone = get_object_or_404(Milestone, pk=milestone_id, goal=goal)
    error = ""
    try:
        services.milestone_remove(milestone=milestone, by=request.user)
    except ValidationError as refused:
        error = " ".join(" ".join(texts) for texts in refused.message_dict.values())
    else:
        if not request.htmx:
            messages.success(request, f"Removed the milestone {milestone.name}.")
    return _milestone_list(request, goal, MilestoneForm(), remove_error=error)


def _milestone_list(
    request: HttpRequest, goal: Goal, form: MilestoneForm, remove_error: str = ""
) -> HttpResponse:
    context = {
        "goal": goal,
        "milestones": goal.milestones.all(),
        "new_milestone": form,
        "remove_error": remove_error,
    }
    if request.htmx:
        return render(request, "goals/goal_edit.html#milestone_editor", context)
    if remove_error:
        messages.error(request, f"The milestone was not removed: {remove_error}")
    if form.errors:
        messages.error(
            request,
            "The milestone was not added: "
            + " ".join(" ".join(errors) for errors in form.errors.values()),
        )
    return redirect("goals:goal_edit", goal.pk)


@login_required
@require_POST
def milestone_tick(request: HttpRequest, goal_id: int, milestone_id: int) -> HttpResponse:
    """Tick a milestone done, or untick it (the owner, the team's leads, admins)."""
    goal = access.get_goal_for_user(request.user, goal_id)
    access.require_goal_right(access.can_update_progress, request.user, goal)
    milestone = get_object_or_404(Milestone, pk=milestone_id, goal=goal)
    services.milestone_complete(
        milestone=milestone, by=request.user, done=request.POST.get("done") == "yes"
    )
    if request.htmx:
        return _goal_regions(request, goal, changed=True)
    return redirect("goals:goal_detail", goal.pk)


@login_required
@require_POST
def goal_progress(request: HttpRequest, goal_id: int) -> HttpResponse:
    """Manual progress: a value or the number of tasks done (inline on the goal page)."""
    goal = access.get_goal_for_user(request.user, goal_id)
    access.require_goal_right(access.can_update_progress, request.user, goal)
    form = ManualEntryForm(request.POST, goal=goal)
    saved = False
    if form.is_valid():
        try:
            services.manual_entry_add(goal=goal, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            saved = True
            form = ManualEntryForm(goal=goal)
    if request.htmx:
        return _goal_regions(request, goal, changed=saved, entry_form=form, entry_saved=saved)
    if saved:
        messages.success(request, "Progress recorded.")
        return redirect("goals:goal_detail", goal.pk)
    return render(
        request, "goals/goal_detail.html", _detail_context(request, goal, entry_form=form)
    )


@login_required
@require_http_methods(["GET", "POST"])
def goal_adjust(request: HttpRequest, goal_id: int) -> HttpResponse:
    """Change target, stretch, baseline, weight or period: a reason is required and audited."""
    goal = access.get_goal_for_user(request.user, goal_id)
    access.require_goal_right(access.can_edit_goal, request.user, goal)
    form = AdjustForm(request.POST or None, goal=goal)
    if request.method == "POST" and form.is_valid():
        try:
            services.goal_adjust(
                goal=goal, by=request.user, reason=form.cleaned_data["reason"], **form.changes()
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Adjusted the goal; the change is in its history.")
            return redirect("goals:goal_detail", goal.pk)
    return render(request, "goals/goal_adjust.html", {"goal": goal, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def goal_delete(request: HttpRequest, goal_id: int) -> HttpResponse:
    """Ask, then archive: the goal leaves lists and recalculation; its history stays (admins can
    purge it in Django admin)."""
    goal = access.get_goal_for_user(request.user, goal_id)
    access.require_goal_right(access.can_edit_goal, request.user, goal)
    if request.method == "POST":
        services.goal_archive(goal=goal, by=request.user)
        messages.success(request, f"Archived the goal “{goal.name}”.")
        return redirect("goals:period_detail", goal.period_id)
    return render(
        request,
        "goals/goal_delete.html",
        {
            "goal": goal,
            "children": selectors.open_children_count(goal),
        },
    )


# ---------------------------------------------------------------------------------------------
# Cascade


@login_required
@require_http_methods(["GET", "POST"])
def goal_cascade(request: HttpRequest, goal_id: int) -> HttpResponse:
    """From a team goal, create individual goals for chosen members in one step, with targets
    suggested from each member's book (editable before saving)."""
    parent = access.get_goal_for_user(request.user, goal_id)
    access.require_goal_right(access.can_edit_goal, request.user, parent)
    if not parent.is_team_goal:
        messages.error(request, "Only a team goal cascades to its members.")
        return redirect("goals:goal_detail", parent.pk)
    rows = cascade_suggestions(parent=parent, today=timezone.localdate())
    form = CascadeForm(request.POST or None, parent=parent, rows=rows)
    if request.method == "POST" and form.is_valid():
        try:
            created = cascade_create(parent=parent, by=request.user, rows=form.chosen_rows())
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"Cascaded “{parent.name}” to {len(created)} members.")
            return redirect("goals:goal_detail", parent.pk)
    suggestions, chart = _cascade_suggestions(parent, rows)
    return render(
        request,
        "goals/goal_cascade.html",
        {
            "goal": parent,
            "form": form,
            "metric": METRICS.get(parent.metric_key),
            "rule": rule_text(parent),
            "suggestions": suggestions,
            "suggestion_chart": chart,
        },
    )


def _cascade_suggestions(parent: Goal, rows) -> tuple[dict[int, Suggestion], dict | None]:
    """Each member's targets suggested from their own history (member id -> Suggestion), and
    one chart of their histories; none for a goal without a calculated metric."""
    if parent.goal_type != Goal.Type.METRIC or parent.metric_key not in METRICS:
        return {}, None
    owners = [(parent.team_id, row.member.pk) for row in rows]
    found = suggestions_for(
        metric_key=parent.metric_key,
        period=parent.period,
        owners=owners,
        direction=parent.direction,
        bases={(parent.team_id, row.member.pk): row.baseline for row in rows},
    )
    by_member = {owner_id: found[(team_id, owner_id)] for team_id, owner_id in owners}
    for row in rows:
        row.suggestion = by_member[row.member.pk]
    names = {row.member.pk: str(row.member) for row in rows}
    chart = histories_chart({names[pk]: s for pk, s in by_member.items() if s.periods_with_data})
    return by_member, chart


# ---------------------------------------------------------------------------------------------
# Sharing


@login_required
@require_http_methods(["GET", "POST"])
def goal_share_view(request: HttpRequest, goal_id: int) -> HttpResponse:
    """The share dialog: who sees this goal besides its team's rules, and adding someone."""
    goal = access.get_goal_for_user(request.user, goal_id)
    access.require_goal_right(access.can_share_goal, request.user, goal)
    form = ShareForm(request.POST or None)
    done = ""
    if request.method == "POST" and form.is_valid():
        user, team = form.cleaned_data["user"], form.cleaned_data["team"]
        goal_share(goal=goal, users=[user] if user else [], teams=[team] if team else [])
        done = f"Shared with {user or team}."
        if not request.htmx:
            messages.success(request, done)
            return redirect("goals:goal_share", goal.pk)
        form = ShareForm()
    context = {
        "goal": goal,
        "form": form,
        "done": done,
        "shared_users": goal_shared_users(goal),
        "shared_teams": goal_shared_teams(goal),
    }
    template = "goals/goal_share.html#share_dialog" if request.htmx else "goals/goal_share.html"
    return render(request, template, context)


@login_required
@require_POST
def goal_unshare_view(request: HttpRequest, goal_id: int) -> HttpResponse:
    goal = access.get_goal_for_user(request.user, goal_id)
    access.require_goal_right(access.can_share_goal, request.user, goal)
    user = User.objects.filter(pk=parse_id(request.POST.get("user", ""))).first()
    team = Team.objects.filter(pk=parse_id(request.POST.get("team", ""))).first()
    if user or team:
        goal_unshare(goal=goal, user=user, team=team)
        messages.success(request, f"{user or team} no longer sees this goal through a share.")
    return redirect(reverse("goals:goal_share", args=[goal.pk]))
