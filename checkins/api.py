"""REST API for check-ins and support requests, with the goals API's rules: a goal or request the
caller may not see is a 404, a change they may not make a 403; tokens need `read` / `write`."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from goals.access import get_goal_for_user
from goals.api import API_PERMISSIONS, deny
from goals.models import VALUE, Goal
from goals.serializers import StrictInteger, TextField, id_field, value_field
from goals_project.api import (
    OBJECT_READ_ERRORS,
    OBJECT_WRITE_ERRORS,
    StrictInput,
    service_errors,
)
from goals_project.people.models import User

from . import services
from .access import (
    CHECK_IN_DENIED,
    HELP_DENIED,
    can_check_in,
    can_take_step,
    get_support_request_for_user,
    visible_support_requests,
)
from .models import NOTE_MAX_LENGTH, CheckIn, SupportRequest
from .weeks import iso_week_label


class SupportRequestSerializer(serializers.ModelSerializer):
    requester_name = serializers.CharField(source="requester.get_full_name", read_only=True)
    addressee_name = serializers.SerializerMethodField()

    class Meta:
        model = SupportRequest
        fields = [
            "id",
            "goal",
            "checkin",
            "requester",
            "requester_name",
            "addressee",
            "addressee_name",
            "message",
            "status",
            "reply",
            "created_at",
            "acknowledged_at",
            "resolved_at",
        ]
        read_only_fields = fields

    def get_addressee_name(self, obj: SupportRequest) -> str:
        """The teammate asked, or "Team leads" when the request went to the leads."""
        return obj.addressee.get_full_name() if obj.addressee_id else "Team leads"


class CheckInSerializer(serializers.ModelSerializer):
    """A check-in; its support requests are those the viewer may read (the one rule of
    checkins.access), so a teammate reading the goal's check-ins sees no one else's."""

    user_name = serializers.CharField(source="user.get_full_name", read_only=True)
    week = serializers.SerializerMethodField()
    progress_notes = serializers.CharField(source="note", read_only=True)
    confidence_level = serializers.IntegerField(source="confidence", read_only=True)
    current_value = serializers.DecimalField(**VALUE, source="value", allow_null=True)
    support_requests = SupportRequestSerializer(
        many=True, read_only=True, source="readable_support_requests"
    )

    class Meta:
        model = CheckIn
        fields = [
            "id",
            "goal",
            "user",
            "user_name",
            "week",
            "week_start",
            "progress_notes",
            "confidence_level",
            "blockers",
            "current_value",
            "tasks_done",
            "created_at",
            "updated_at",
            "support_requests",
        ]
        read_only_fields = fields

    def get_week(self, obj: CheckIn) -> str:
        """The ISO week, e.g. 2026-W48."""
        return iso_week_label(obj.week_start)


class CheckInInputSerializer(StrictInput):
    progress_notes = TextField(required=False, allow_blank=True, max_length=NOTE_MAX_LENGTH)
    confidence_level = StrictInteger(min_value=1, max_value=5)
    blockers = TextField(required=False, allow_blank=True, max_length=NOTE_MAX_LENGTH)
    current_value = value_field(required=False, allow_null=True)
    # Bounded as the goals API's manual entries are: a larger count would overflow the column.
    tasks_done = StrictInteger(required=False, allow_null=True, min_value=0, max_value=100000)
    milestones_done = serializers.ListField(
        child=id_field(), required=False, default=list, max_length=200
    )
    support_needed = TextField(
        required=False,
        allow_blank=True,
        max_length=NOTE_MAX_LENGTH,
        help_text="A request for help sent with the check-in (to support_addressee or the leads).",
    )
    support_addressee = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )

    def service_arguments(self) -> dict:
        renamed = {
            "progress_notes": "note",
            "confidence_level": "confidence",
            "current_value": "value",
            "milestones_done": "milestone_ids",
            "support_needed": "support_message",
        }
        return {renamed.get(key, key): value for key, value in self.validated_data.items()}


class SupportRequestInputSerializer(StrictInput):
    message = TextField(max_length=NOTE_MAX_LENGTH)
    addressee = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        help_text="A teammate to ask; leave out to ask the team's leads.",
    )


class ReplyInputSerializer(StrictInput):
    reply = TextField(required=False, allow_blank=True, max_length=NOTE_MAX_LENGTH)


def field_errors(error: DjangoValidationError) -> serializers.ValidationError:
    return service_errors(error, {"milestones": "milestones_done"})


WRITE_RESPONSES = OBJECT_WRITE_ERRORS


def _readable_support_requests(user) -> Prefetch:
    """A check-in's support requests that the user may read, as `readable_support_requests`."""
    return Prefetch(
        "support_requests",
        queryset=visible_support_requests(user)
        .select_related("requester", "addressee")
        .order_by("pk"),
        to_attr="readable_support_requests",
    )


class GoalCheckInViewSet(viewsets.GenericViewSet):
    """`/api/goals/{id}/check-ins/`: the goal's check-ins; POST checks in for this week."""

    permission_classes = API_PERMISSIONS
    serializer_class = CheckInSerializer

    def _goal(self, request: Request, goal_id: int) -> Goal:
        return get_goal_for_user(request.user, goal_id)

    @extend_schema(
        summary="A goal's check-ins, newest week first",
        responses={200: CheckInSerializer(many=True), **OBJECT_READ_ERRORS},
    )
    def list(self, request: Request, goal_id: int) -> Response:
        goal = self._goal(request, goal_id)
        rows = (
            CheckIn.objects.filter(goal=goal)
            .select_related("user")
            .prefetch_related(_readable_support_requests(request.user))
            .order_by("-week_start", "-updated_at", "-pk")
        )
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(CheckInSerializer(page, many=True).data)

    @extend_schema(
        summary="Check in on a goal for the current ISO week (a second call updates it)",
        request=CheckInInputSerializer,
        responses={200: CheckInSerializer, 201: CheckInSerializer, **WRITE_RESPONSES},
    )
    def create(self, request: Request, goal_id: int) -> Response:
        goal = self._goal(request, goal_id)
        if not can_check_in(request.user, goal):
            raise deny(CHECK_IN_DENIED)
        data = CheckInInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            checkin, created = services.checkin_submit(
                goal=goal, user=request.user, **data.service_arguments()
            )
        except DjangoValidationError as error:
            raise field_errors(error) from None
        checkin = (
            CheckIn.objects.select_related("user")
            .prefetch_related(_readable_support_requests(request.user))
            .get(pk=checkin.pk)
        )
        return Response(
            CheckInSerializer(checkin).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class GoalSupportRequestViewSet(viewsets.GenericViewSet):
    """`/api/goals/{id}/support-requests/`: the goal's requests for help, and asking for help."""

    permission_classes = API_PERMISSIONS
    serializer_class = SupportRequestSerializer

    @extend_schema(
        summary="A goal's support requests you may see",
        responses={200: SupportRequestSerializer(many=True), **OBJECT_READ_ERRORS},
    )
    def list(self, request: Request, goal_id: int) -> Response:
        goal = get_goal_for_user(request.user, goal_id)
        rows = (
            visible_support_requests(request.user)
            .filter(goal=goal)
            .select_related("requester", "addressee")
            .order_by("-created_at", "-pk")
        )
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(SupportRequestSerializer(page, many=True).data)

    @extend_schema(
        summary="Ask for help on a goal (the team's leads, or a chosen teammate)",
        request=SupportRequestInputSerializer,
        responses={201: SupportRequestSerializer, **WRITE_RESPONSES},
    )
    def create(self, request: Request, goal_id: int) -> Response:
        goal = get_goal_for_user(request.user, goal_id)
        if not can_check_in(request.user, goal):
            raise deny(HELP_DENIED)
        data = SupportRequestInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            created = services.support_request_open(
                goal=goal,
                requester=request.user,
                message=data.validated_data["message"],
                addressee=data.validated_data.get("addressee"),
            )
        except DjangoValidationError as error:
            raise field_errors(error) from None
        return Response(SupportRequestSerializer(created).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(
        summary="Support requests you made, were asked, or that concern the team you lead",
        # 404: a page number past the end.
        responses={200: SupportRequestSerializer(many=True), **OBJECT_READ_ERRORS},
    ),
    retrieve=extend_schema(
        summary="One support request",
        responses={200: SupportRequestSerializer, **OBJECT_READ_ERRORS},
    ),
)
class SupportRequestViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = SupportRequestSerializer
    permission_classes = API_PERMISSIONS

    def get_queryset(self) -> QuerySet[SupportRequest]:
        return (
            visible_support_requests(self.request.user)
            .select_related("requester", "addressee")
            .order_by("-created_at", "-pk")
        )

    def get_object(self) -> SupportRequest:
        return get_support_request_for_user(self.request.user, self.kwargs["pk"])

    def _act(self, request: Request, pk, step: str) -> Response:
        support_request = get_support_request_for_user(request.user, pk)
        if not can_take_step(request.user, support_request, step):
            raise deny("Only the person asked, the team's leads and admins may do this.")
        reply = ""
        if step != "acknowledge":
            data = ReplyInputSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            reply = data.validated_data.get("reply", "")
        try:
            services.support_request_step(
                support_request=support_request, by=request.user, step=step, reply=reply
            )
        except DjangoValidationError as error:
            raise field_errors(error) from None
        return Response(SupportRequestSerializer(support_request).data)

    @extend_schema(
        summary="Acknowledge a support request (open -> acknowledged)",
        request=None,
        responses={200: SupportRequestSerializer, **WRITE_RESPONSES},
    )
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk=None) -> Response:
        return self._act(request, pk, "acknowledge")

    @extend_schema(
        summary="Reply to a support request (an open one becomes acknowledged)",
        request=ReplyInputSerializer,
        responses={200: SupportRequestSerializer, **WRITE_RESPONSES},
    )
    @action(detail=True, methods=["post"])
    def reply(self, request: Request, pk=None) -> Response:
        return self._act(request, pk, "reply")

    @extend_schema(
        summary="Resolve a support request, optionally with a last reply",
        request=ReplyInputSerializer,
        responses={200: SupportRequestSerializer, **WRITE_RESPONSES},
    )
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk=None) -> Response:
        return self._act(request, pk, "resolve")
