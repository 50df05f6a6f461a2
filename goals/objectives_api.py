"""The objectives REST API (/api/objectives/): list, create, retrieve, change.

The same rules as the pages (goals.access): an objective the caller may not see is a 404, one
they may see but not change is a 403; the services' field errors answer 400. Each objective
comes with its roll-up as the caller may see it (goals.objectives): progress, status, forecast,
the aligned goals the caller may see, and whether it includes goals they cannot see.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from goals_project.api import (
    LIST_ERRORS,
    OBJECT_READ_ERRORS,
    OBJECT_WRITE_ERRORS,
    WRITE_ERRORS,
    StrictInput,
    service_errors,
)
from goals_project.people.models import Team, User

from . import access, objectives
from .api import API_PERMISSIONS, require
from .models import VALUE, Goal, GoalPeriod, Objective
from .serializers import TextField, name_field
from .services import DESCRIPTION_MAX_LENGTH

EDIT_DENIED = "Only admins change company objectives; a team's leads change their team's."


class AlignedGoalSerializer(serializers.ModelSerializer):
    """A goal aligned to the objective that the caller may see."""

    team_name = serializers.CharField(source="team.name")
    progress_percentage = serializers.DecimalField(**VALUE, source="progress", allow_null=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = Goal
        fields = [
            "id",
            "url",
            "name",
            "team",
            "team_name",
            "weight",
            "progress_percentage",
            "status",
        ]
        read_only_fields = fields

    def get_url(self, goal: Goal) -> str:
        return f"/api/goals/{goal.pk}/"


class ObjectiveSerializer(serializers.ModelSerializer):
    """An objective with its roll-up as the caller may see it. `progress_withheld` is true when
    the figure would give away a goal the caller may not see (then progress, status and
    forecast say nothing)."""

    url = serializers.SerializerMethodField()
    period_name = serializers.CharField(source="period.name")
    level = serializers.SerializerMethodField()
    team_name = serializers.SerializerMethodField()
    owners = serializers.SerializerMethodField()
    owner_names = serializers.SerializerMethodField()
    progress_percentage = serializers.SerializerMethodField()
    expected_progress_percentage = serializers.SerializerMethodField()
    forecast_progress_percentage = serializers.SerializerMethodField()
    status = serializers.SerializerMethodField()
    status_label = serializers.SerializerMethodField()
    includes_hidden_goals = serializers.SerializerMethodField()
    progress_withheld = serializers.SerializerMethodField()
    aligned_goals = serializers.SerializerMethodField()

    class Meta:
        model = Objective
        fields = [
            "id",
            "url",
            "period",
            "period_name",
            "level",
            "team",
            "team_name",
            "name",
            "description",
            "owners",
            "owner_names",
            "visibility",
            "progress_percentage",
            "expected_progress_percentage",
            "forecast_progress_percentage",
            "status",
            "status_label",
            "includes_hidden_goals",
            "progress_withheld",
            "aligned_goals",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def _roll_up(self, objective: Objective) -> objectives.RollUp:
        return self.context["roll_ups"][objective.pk][0]

    def get_url(self, objective: Objective) -> str:
        return f"/api/objectives/{objective.pk}/"

    @extend_schema_field(serializers.ChoiceField(choices=["company", "team"]))
    def get_level(self, objective: Objective) -> str:
        return "company" if objective.team_id is None else "team"

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_team_name(self, objective: Objective) -> str | None:
        return objective.team.name if objective.team_id else None

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_owners(self, objective: Objective) -> list[int]:
        return [owner.pk for owner in objective.owners.all()]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_owner_names(self, objective: Objective) -> list[str]:
        return [str(owner) for owner in objective.owners.all()]

    @extend_schema_field(serializers.DecimalField(**VALUE, allow_null=True))
    def get_progress_percentage(self, objective: Objective):
        value = self._roll_up(objective).progress
        return None if value is None else str(value)

    @extend_schema_field(serializers.DecimalField(**VALUE, allow_null=True))
    def get_expected_progress_percentage(self, objective: Objective):
        value = self._roll_up(objective).expected_progress
        return None if value is None else str(value)

    @extend_schema_field(serializers.DecimalField(**VALUE, allow_null=True))
    def get_forecast_progress_percentage(self, objective: Objective):
        value = self._roll_up(objective).forecast_progress
        return None if value is None else str(value)

    @extend_schema_field(serializers.ChoiceField(choices=Goal.Status.choices))
    def get_status(self, objective: Objective) -> str:
        return self._roll_up(objective).status

    def get_status_label(self, objective: Objective) -> str:
        return Goal.Status(self._roll_up(objective).status).label

    def get_includes_hidden_goals(self, objective: Objective) -> bool:
        return bool(self._roll_up(objective).hidden)

    def get_progress_withheld(self, objective: Objective) -> bool:
        return self._roll_up(objective).withheld

    @extend_schema_field(AlignedGoalSerializer(many=True))
    def get_aligned_goals(self, objective: Objective) -> list[dict]:
        return AlignedGoalSerializer(self.context["roll_ups"][objective.pk][1], many=True).data


class ObjectiveCreateSerializer(StrictInput):
    """A new objective: a company objective (no `team`) or a team objective."""

    period = serializers.PrimaryKeyRelatedField(queryset=GoalPeriod.objects.all())
    team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(),
        required=False,
        allow_null=True,
        help_text="Leave out (or null) for a company objective.",
    )
    name = name_field()
    description = TextField(
        required=False, allow_blank=True, default="", max_length=DESCRIPTION_MAX_LENGTH
    )
    owners = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), many=True, required=False
    )
    visibility = serializers.ChoiceField(
        choices=Goal.Visibility.choices, required=False, default=Goal.Visibility.PUBLIC
    )


class ObjectiveUpdateSerializer(StrictInput):
    """PATCH an objective: every field optional. Its period and level stay."""

    name = name_field(required=False)
    description = TextField(required=False, allow_blank=True, max_length=DESCRIPTION_MAX_LENGTH)
    owners = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), many=True, required=False
    )
    visibility = serializers.ChoiceField(choices=Goal.Visibility.choices, required=False)


def _objective_list(user) -> QuerySet[Objective]:
    return (
        access.visible_objectives(user)
        .select_related("period", "team")
        .prefetch_related("owners")
        .order_by("-period__start", "team__name", "name", "pk")
    )


@extend_schema_view(
    list=extend_schema(
        summary="List the objectives you may see, with their roll-ups",
        responses={200: ObjectiveSerializer(many=True), **LIST_ERRORS},
    ),
    retrieve=extend_schema(
        summary="One objective", responses={200: ObjectiveSerializer, **OBJECT_READ_ERRORS}
    ),
    create=extend_schema(
        summary="Create an objective (admins: company or any team; leads: their team)",
        request=ObjectiveCreateSerializer,
        responses={201: ObjectiveSerializer, **WRITE_ERRORS},
    ),
    partial_update=extend_schema(
        summary="Change an objective's name, description, owners or visibility",
        request=ObjectiveUpdateSerializer,
        responses={200: ObjectiveSerializer, **OBJECT_WRITE_ERRORS},
    ),
)
class ObjectiveViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = ObjectiveSerializer
    permission_classes = API_PERMISSIONS
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Objective]:
        return _objective_list(self.request.user)

    def get_objective(self, request: Request, pk) -> Objective:
        try:
            return access.get_objective_for_user(request.user, pk)
        except Http404:
            raise NotFound("No such objective, or you may not see it.") from None

    def answer(self, request: Request, items, *, many: bool = False) -> dict:
        rows = list(items) if many else [items]
        context = {"roll_ups": objectives.roll_ups(rows, viewer=request.user)}
        return ObjectiveSerializer(items, many=many, context=context).data

    def detail_response(self, request: Request, pk, code=status.HTTP_200_OK) -> Response:
        objective = _objective_list(request.user).filter(pk=pk).first()
        return Response(self.answer(request, objective), status=code)

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.answer(request, page, many=True))

    def retrieve(self, request: Request, pk=None) -> Response:
        return self.detail_response(request, self.get_objective(request, pk).pk)

    def create(self, request: Request) -> Response:
        serializer = ObjectiveCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        require(
            access.can_create_objective(request.user, data.get("team")),
            "Only admins set company objectives; a team's leads set their team's.",
        )
        try:
            objective = objectives.objective_create(**data, created_by=request.user)
        except DjangoValidationError as error:
            raise service_errors(error) from None
        return self.detail_response(request, objective.pk, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk=None) -> Response:
        objective = self.get_objective(request, pk)
        require(access.can_edit_objective(request.user, objective), EDIT_DENIED)
        serializer = ObjectiveUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            objectives.objective_update(objective=objective, **serializer.validated_data)
        except DjangoValidationError as error:
            raise service_errors(error) from None
        return self.detail_response(request, objective.pk)
