"""The recognition REST API: achievements, celebrating and acknowledging them.

Same rules as the pages: an achievement of a goal the caller may not see is a 404; celebrating
your own win or acknowledging someone else's is a 403.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from goals.api import API_PERMISSIONS
from goals.serializers import NoBlankParameters, TextField, id_field
from goals_project.api import (
    CONFLICT,
    LIST_ERRORS,
    OBJECT_READ_ERRORS,
    OBJECT_WRITE_ERRORS,
    StrictInput,
    error_body,
    service_errors,
)
from goals_project.people.models import User

from . import selectors, services
from .access import get_achievement_for_user
from .models import Achievement, Celebration


class PersonSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "name", "email"]


class AchievementGoalSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField()
    team = serializers.IntegerField(source="team_id")
    team_name = serializers.CharField(source="team.name")
    user = serializers.IntegerField(source="owner_id", allow_null=True)
    user_name = serializers.SerializerMethodField()
    period = serializers.IntegerField(source="period_id")
    period_name = serializers.CharField(source="period.name")

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_user_name(self, goal) -> str | None:
        return goal.owner.get_full_name() if goal.owner_id else None


class MilestoneBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField()


class AchievementSerializer(serializers.ModelSerializer):
    achievement_type = serializers.ChoiceField(source="kind", choices=Achievement.Kind.choices)
    goal = AchievementGoalSerializer()
    milestone = MilestoneBriefSerializer(allow_null=True)
    credited = PersonSerializer(many=True, read_only=True)
    summary = serializers.SerializerMethodField(help_text="The win in one sentence.")
    celebration_count = serializers.IntegerField(read_only=True)
    you_celebrated = serializers.BooleanField(source="viewer_celebrated", read_only=True)

    class Meta:
        model = Achievement
        fields = [
            "id",
            "achievement_type",
            "goal",
            "milestone",
            "achieved_at",
            "value",
            "summary",
            "credited",
            "acknowledged_at",
            "celebration_count",
            "you_celebrated",
        ]

    def get_summary(self, achievement: Achievement) -> str:
        return selectors.achievement_sentence(achievement)


class AchievementFilterSerializer(NoBlankParameters, serializers.Serializer):
    # Ids are bounded like everywhere in the API: a larger one cannot exist (404-free, no 500).
    team = id_field(required=False, help_text="Team id")
    period = id_field(required=False, help_text="Goal period id")
    goal = id_field(required=False, help_text="Goal id")
    achievement_type = serializers.ChoiceField(choices=Achievement.Kind.choices, required=False)


class CelebrateSerializer(StrictInput):
    message = TextField(
        max_length=services.CELEBRATION_MESSAGE_MAX,
        required=False,
        allow_blank=True,
        default="",
        help_text="An optional short message (140 characters at most).",
    )


class CelebrationSerializer(serializers.ModelSerializer):
    user = PersonSerializer(read_only=True)

    class Meta:
        model = Celebration
        fields = ["id", "achievement", "user", "message", "created_at"]


def _achievement(request: Request, achievement_id: int) -> Achievement:
    """The achievement with the list's annotations, or 404 for one the caller may not see."""
    get_achievement_for_user(request.user, achievement_id)
    return (
        selectors.achievements_for_user(request.user)
        .prefetch_related("credited")
        .get(pk=achievement_id)
    )


# Achievements (`/api/goals/achievements`) and the actions on one: acknowledge, celebrate.
# (A comment, not a docstring: the schema would take it as the operations' description.)
class AchievementViewSet(viewsets.GenericViewSet):
    permission_classes = API_PERMISSIONS
    serializer_class = AchievementSerializer

    @extend_schema(
        summary="List the achievements you may see",
        description="Newest first; paginated. Filters: team, period, goal, achievement_type.",
        parameters=[AchievementFilterSerializer],
        responses={200: AchievementSerializer(many=True), **LIST_ERRORS},
        operation_id="goals_achievements_retrieve",
        tags=["recognition"],
    )
    def list(self, request: Request) -> Response:
        filters = AchievementFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        chosen = filters.validated_data
        achievements = selectors.achievements_for_user(
            request.user,
            team_id=chosen.get("team"),
            period_id=chosen.get("period"),
            goal_id=chosen.get("goal"),
            kind=chosen.get("achievement_type"),
        ).prefetch_related(Prefetch("credited", queryset=User.objects.order_by("name", "email")))
        page = self.paginate_queryset(achievements)
        return self.get_paginated_response(AchievementSerializer(page, many=True).data)

    @extend_schema(
        summary="Acknowledge an achievement (its owner)",
        description=(
            "The goal's owner (for a team goal, the team's leads) acknowledges the win. "
            "Repeating it keeps the first acknowledgement."
        ),
        request=None,
        responses={200: AchievementSerializer, **OBJECT_READ_ERRORS},
        tags=["recognition"],
    )
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, achievement_id: int) -> Response:
        achievement = get_achievement_for_user(request.user, achievement_id)
        try:
            services.achievement_acknowledge(achievement=achievement, by=request.user)
        except DjangoPermissionDenied as error:
            raise PermissionDenied(str(error)) from None
        return Response(AchievementSerializer(_achievement(request, achievement.pk)).data)

    @extend_schema(
        summary="Celebrate an achievement (a kudos, once per person)",
        request=CelebrateSerializer,
        responses={201: CelebrationSerializer, 409: CONFLICT, **OBJECT_WRITE_ERRORS},
        tags=["recognition"],
    )
    @action(detail=True, methods=["post"])
    def celebrate(self, request: Request, achievement_id: int) -> Response:
        achievement = get_achievement_for_user(request.user, achievement_id)
        payload = CelebrateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            celebration = services.achievement_celebrate(
                achievement=achievement,
                by=request.user,
                message=payload.validated_data["message"],
            )
        except DjangoPermissionDenied as error:
            raise PermissionDenied(str(error)) from None
        except DjangoValidationError as error:
            raise service_errors(error) from None
        except services.AlreadyCelebrated as error:
            return Response(error_body(str(error), "conflict"), status=status.HTTP_409_CONFLICT)
        return Response(CelebrationSerializer(celebration).data, status=status.HTTP_201_CREATED)
