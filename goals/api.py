"""The goals REST API: periods, goals, progress, history and contributions.

Same rules as the pages (goals.access): a goal the caller may not see is a 404, one they may see
but not change is a 403 on writes. Token scopes: `read` for GET, `write` for everything else.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.response import Response

from goals_project.api import (
    LIST_ERRORS,
    OBJECT_READ_ERRORS,
    OBJECT_WRITE_ERRORS,
    WRITE_ERRORS,
    service_errors,
)
from goals_project.people import access as people_access
from goals_project.people.tokens import has_scope

from . import access, attainment, lifecycle, selectors, services
from .models import Goal, GoalPeriod, Objective
from .recalc import recalculate_goals
from .serializers import (
    ContributionSerializer,
    GoalCreateSerializer,
    GoalDetailSerializer,
    GoalFilterSerializer,
    GoalPeriodInputSerializer,
    GoalPeriodSerializer,
    GoalPeriodUpdateSerializer,
    GoalSerializer,
    GoalUpdateSerializer,
    HistoryFilterSerializer,
    HistorySerializer,
    ManualEntryInputSerializer,
    ProgressSerializer,
)


class TokenAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "goals_project.people.tokens.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token from your profile page (scopes read, write).",
        }


class FirstRenderer(DefaultContentNegotiation):
    """Errors in JSON whatever `?format=` says: the attainment export reads `format` itself
    (csv or xlsx, a 400 otherwise) instead of DRF choosing a renderer by it."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class AttainmentFormatSerializer(serializers.Serializer):
    format = serializers.ChoiceField(
        choices=attainment.FORMATS, default=attainment.CSV, help_text="csv or xlsx"
    )


class TokenScope(permissions.BasePermission):
    """A personal token acts only within its scopes: `read` for GET, `write` for changes."""

    message = "This API token does not have the scope this request needs."

    def has_permission(self, request: Request, view) -> bool:
        scope = "read" if request.method in permissions.SAFE_METHODS else "write"
        self.message = f"This API token lacks the `{scope}` scope."
        return has_scope(request, scope)


API_PERMISSIONS = [permissions.IsAuthenticated, TokenScope]
EDIT_DENIED = "Only the team's leads and admins change this goal."

# A service's ValidationError as the API's 400 (fields spelt the API's way).
field_errors = service_errors


def deny(message: str) -> PermissionDenied:
    """The 403 for a caller who may see the object but not change it (raise it)."""
    return PermissionDenied(message)


def require(allowed: bool, message: str) -> None:
    if not allowed:
        raise deny(message)


@extend_schema_view(
    list=extend_schema(
        summary="List goal periods",
        responses={200: GoalPeriodSerializer(many=True), **LIST_ERRORS},
    ),
    retrieve=extend_schema(
        summary="One goal period", responses={200: GoalPeriodSerializer, **OBJECT_READ_ERRORS}
    ),
    create=extend_schema(
        summary="Create a goal period (admins)",
        request=GoalPeriodInputSerializer,
        responses={201: GoalPeriodSerializer, **WRITE_ERRORS},
    ),
    partial_update=extend_schema(
        summary="Change a goal period (admins)",
        request=GoalPeriodUpdateSerializer,
        responses={200: GoalPeriodSerializer, **OBJECT_WRITE_ERRORS},
    ),
    attainment=extend_schema(
        summary="Attainment export of a period (admins: every team; leads: their team)",
        description=(
            "One row per person per goal (owner, team, goal, type, metric, weight, baseline, "
            "target, stretch, final value, progress, attainment capped at "
            "GOAL_ATTAINMENT_CEILING and floored at 0, weighted attainment), person and team "
            "totals. A closed period gives its frozen final values; an open one its values as "
            "of today. Each download is recorded. 404 for a caller who exports no team."
        ),
        parameters=[AttainmentFormatSerializer],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY, description="CSV"),
            (200, attainment.CONTENT_TYPES[attainment.XLSX]): OpenApiResponse(
                OpenApiTypes.BINARY, description="Excel workbook"
            ),
            **OBJECT_READ_ERRORS,
        },
    ),
)
class GoalPeriodViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Goal periods are visible to every signed-in user; admins create and change them."""

    queryset = GoalPeriod.objects.order_by("-start", "period_type")
    serializer_class = GoalPeriodSerializer
    permission_classes = API_PERMISSIONS
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_period(self, pk) -> GoalPeriod:
        period_id = people_access.parse_id(pk)
        period = GoalPeriod.objects.filter(pk=period_id).first() if period_id else None
        if period is None:
            raise NotFound("No such goal period.")
        return period

    def retrieve(self, request: Request, pk=None) -> Response:
        return Response(GoalPeriodSerializer(self.get_period(pk)).data)

    def create(self, request: Request) -> Response:
        require(access.can_manage_periods(request.user), "Only admins create goal periods.")
        serializer = GoalPeriodInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            period = services.period_create(**serializer.service_arguments())
        except DjangoValidationError as error:
            raise field_errors(error) from None
        return Response(GoalPeriodSerializer(period).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk=None) -> Response:
        period = self.get_period(pk)
        require(access.can_manage_periods(request.user), "Only admins change goal periods.")
        serializer = GoalPeriodUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            period = lifecycle.period_edit(
                period=period, by=request.user, **serializer.service_arguments()
            )
        except DjangoValidationError as error:
            raise field_errors(error) from None
        return Response(GoalPeriodSerializer(period).data)

    @action(detail=True, methods=["get"], content_negotiation_class=FirstRenderer)
    def attainment(self, request: Request, pk=None) -> HttpResponse:
        period = self.get_period(pk)
        teams = access.attainment_teams(request.user)
        if not teams.exists():
            raise NotFound("No such goal period.")
        query = AttainmentFormatSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return attainment.download_response(
            period=period,
            user=request.user,
            teams=teams,
            file_format=query.validated_data["format"],
        )


def visible_objective(user, objective_id: int) -> Objective:
    """The objective a goal is aligned to, if the caller may see it; else a 400 on `objective`."""
    objective = access.visible_objectives(user).filter(pk=objective_id).first()
    if objective is None:
        raise serializers.ValidationError(
            {"objective": ["No such objective, or you may not see it."]}
        )
    return objective


@extend_schema_view(
    list=extend_schema(
        summary="List the goals you may see",
        parameters=[GoalFilterSerializer],
        responses={200: GoalSerializer(many=True), **LIST_ERRORS},
    ),
    retrieve=extend_schema(
        summary="One goal", responses={200: GoalDetailSerializer, **OBJECT_READ_ERRORS}
    ),
    create=extend_schema(
        summary="Create a goal (team leads for their team, admins)",
        request=GoalCreateSerializer,
        responses={201: GoalDetailSerializer, **WRITE_ERRORS},
    ),
    partial_update=extend_schema(
        summary="Change a goal; target, stretch, baseline and weight need a reason",
        request=GoalUpdateSerializer,
        responses={200: GoalDetailSerializer, **OBJECT_WRITE_ERRORS},
    ),
    destroy=extend_schema(
        summary="Delete a goal (it is archived; its history stays)",
        responses={204: OpenApiResponse(description="Archived."), **OBJECT_READ_ERRORS},
    ),
)
class GoalViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = GoalSerializer
    permission_classes = API_PERMISSIONS
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[Goal]:
        return selectors.goal_list(self.request.user)

    def get_goal(self, request: Request, pk) -> Goal:
        try:
            return access.get_goal_for_user(request.user, pk)
        except Http404:
            raise NotFound("No such goal, or you may not see it.") from None

    def detail_response(self, request: Request, goal: Goal, code=status.HTTP_200_OK) -> Response:
        goal = self.get_goal(request, goal.pk)
        data = GoalDetailSerializer(goal, context={"request": request}).data
        return Response(data, status=code)

    def list(self, request: Request) -> Response:
        filters = GoalFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        page = self.paginate_queryset(filters.filter(self.get_queryset()))
        return self.get_paginated_response(
            GoalSerializer(page, many=True, context={"request": request}).data
        )

    def retrieve(self, request: Request, pk=None) -> Response:
        goal = self.get_goal(request, pk)
        return Response(GoalDetailSerializer(goal, context={"request": request}).data)

    def create(self, request: Request) -> Response:
        serializer = GoalCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.service_arguments()
        if data.get("team") is None:
            data["team"] = getattr(getattr(data["owner"], "membership", None), "team", None)
        require(
            access.can_create_goal(request.user, data["team"]),
            "Only the team's leads and admins create goals for this team.",
        )
        parent_id = data.pop("parent", None)
        if parent_id is not None:
            parent = access.visible_goals(request.user).filter(pk=parent_id).first()
            if parent is None:
                raise serializers.ValidationError(
                    {"parent": ["No such goal, or you may not see it."]}
                )
            data["parent"] = parent
        if data.get("objective") is not None:
            data["objective"] = visible_objective(request.user, data["objective"])
        try:
            goal = services.goal_create(**data, created_by=request.user)
        except DjangoValidationError as error:
            raise field_errors(error) from None
        return self.detail_response(request, goal, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk=None) -> Response:
        goal = self.get_goal(request, pk)
        require(access.can_edit_goal(request.user, goal), EDIT_DENIED)
        serializer = GoalUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        changes = serializer.service_arguments()
        reason = changes.pop("reason", "")
        if changes.get("objective") is not None:
            changes["objective"] = visible_objective(request.user, changes["objective"])
        try:
            goal = services.goal_update(goal=goal, by=request.user, reason=reason, **changes)
        except DjangoValidationError as error:
            raise field_errors(error) from None
        return self.detail_response(request, goal)

    def destroy(self, request: Request, pk=None) -> Response:
        goal = self.get_goal(request, pk)
        require(access.can_edit_goal(request.user, goal), EDIT_DENIED)
        services.goal_archive(goal=goal, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        methods=["GET"],
        summary="A goal's current progress",
        responses={200: ProgressSerializer, **OBJECT_READ_ERRORS},
    )
    @extend_schema(
        methods=["POST"],
        summary="Record manual progress (a value, tasks done, milestones done)",
        request=ManualEntryInputSerializer,
        responses={201: ProgressSerializer, **OBJECT_WRITE_ERRORS},
    )
    @action(detail=True, methods=["get", "post"])
    def progress(self, request: Request, pk=None) -> Response:
        goal = self.get_goal(request, pk)
        if request.method == "GET":
            return Response(ProgressSerializer(goal).data)
        require(
            access.can_update_progress(request.user, goal),
            "Only the goal's owner, the team's leads and admins record progress.",
        )
        serializer = ManualEntryInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            services.progress_record(
                goal=goal,
                by=request.user,
                milestones_done=data.get("milestones_done", []),
                value=data.get("current_value"),
                tasks_done=data.get("tasks_done"),
                note=data.get("note", ""),
            )
        except DjangoValidationError as error:
            raise field_errors(error) from None
        goal.refresh_from_db()
        return Response(ProgressSerializer(goal).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Recalculate a goal now and return its progress",
        request=None,
        responses={200: ProgressSerializer, **OBJECT_READ_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def refresh(self, request: Request, pk=None) -> Response:
        goal = self.get_goal(request, pk)
        recalculate_goals([goal.pk])
        goal.refresh_from_db()
        return Response(ProgressSerializer(goal).data)

    @extend_schema(
        summary="A goal's progress history",
        parameters=[HistoryFilterSerializer],
        responses={200: HistorySerializer(many=True), **OBJECT_READ_ERRORS},
    )
    @action(detail=True, methods=["get"])
    def history(self, request: Request, pk=None) -> Response:
        goal = self.get_goal(request, pk)
        window = HistoryFilterSerializer(data=request.query_params)
        window.is_valid(raise_exception=True)
        rows = selectors.goal_history(
            goal,
            since=window.validated_data.get("from"),
            until=window.validated_data.get("to"),
        )
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(HistorySerializer(page, many=True).data)

    @extend_schema(
        summary="Who contributed what to a team metric goal (latest day)",
        responses={200: ContributionSerializer(many=True), **OBJECT_READ_ERRORS},
    )
    @action(detail=True, methods=["get"])
    def contributions(self, request: Request, pk=None) -> Response:
        goal = self.get_goal(request, pk)
        rows = selectors.latest_contributions(goal)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(contribution_rows(page, viewer=request.user))


def contribution_rows(snapshots, *, viewer) -> list[dict]:
    """Contribution rows for the viewer: a member's individual goal is named by its id only when
    the viewer may see it (the same rule as the goal page)."""
    visible = selectors.visible_goal_ids(
        viewer, [row.individual_goal_id for row in snapshots if row.individual_goal_id]
    )
    return ContributionSerializer(snapshots, many=True, context={"visible_goal_ids": visible}).data


@extend_schema(
    summary="A user's contributions to the team goals you may see (latest day of each goal)",
    responses={200: ContributionSerializer(many=True), **OBJECT_READ_ERRORS},
)
class UserContributionsView(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = ContributionSerializer
    permission_classes = API_PERMISSIONS

    def list(self, request: Request, user_id=None) -> Response:
        try:
            person = people_access.get_person_for_user(request.user, user_id, include_inactive=True)
        except Http404:
            raise NotFound("No such person, or you may not see them.") from None
        rows = selectors.person_latest_contributions(person, viewer=request.user)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(contribution_rows(page, viewer=request.user))
