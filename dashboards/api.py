"""Dashboard API: the same data and visibility as the team dashboard, the individual view and
the leaderboard pages (the same selectors), documented in the OpenAPI schema."""

from decimal import Decimal

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from goals.api import API_PERMISSIONS
from goals.models import Goal, GoalPeriod
from goals.serializers import NoBlankParameters, id_field
from goals_project.api import OBJECT_READ_ERRORS
from goals_project.people import access as people_access
from goals_project.people.models import Team
from goals_project.people.selectors import membership_of
from metrics.breakdown import KIND_LABELS
from metrics.registry import get_metric

from . import customers, selectors
from . import leaderboard as leaderboard_selectors
from .conditional import conditional, not_modified_since
from .models import LeaderboardSetting


class CSVRenderer(BaseRenderer):
    """Text the view already wrote as CSV (`?format=csv`)."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data.encode(self.charset) if isinstance(data, str) else data


class PeriodSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField()
    period_type = serializers.CharField()
    start_date = serializers.DateField(source="start")
    end_date = serializers.DateField(source="end")


class GoalRowSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="goal.pk")
    name = serializers.CharField()
    url = serializers.CharField()
    owner_type = serializers.SerializerMethodField()
    user = serializers.IntegerField(source="owner_id", allow_null=True)
    user_name = serializers.CharField(source="owner_name")
    goal_type = serializers.CharField(source="goal.goal_type")
    metric_name = serializers.CharField(source="metric_key")
    unit = serializers.CharField()
    current_value = serializers.DecimalField(18, 4, source="value", allow_null=True)
    target_value = serializers.DecimalField(18, 4, source="goal.target", allow_null=True)
    stretch_target_value = serializers.DecimalField(
        18, 4, source="goal.stretch_target", allow_null=True
    )
    task_count_target = serializers.IntegerField(source="goal.task_target", allow_null=True)
    progress_percentage = serializers.DecimalField(18, 4, source="progress", allow_null=True)
    expected_progress_percentage = serializers.DecimalField(
        18, 4, source="goal.expected_progress", allow_null=True
    )
    status = serializers.CharField()
    status_label = serializers.CharField()
    forecast_value = serializers.DecimalField(18, 4, source="goal.forecast_value", allow_null=True)
    forecast_low = serializers.DecimalField(18, 4, source="goal.forecast_low", allow_null=True)
    forecast_high = serializers.DecimalField(18, 4, source="goal.forecast_high", allow_null=True)
    forecast_target_probability = serializers.DecimalField(
        18, 4, source="forecast_probability", allow_null=True
    )
    change_since_last_week = serializers.DecimalField(18, 4, source="week_change", allow_null=True)
    last_calculated_at = serializers.DateTimeField(source="last_updated", allow_null=True)

    @extend_schema_field(serializers.ChoiceField(choices=["team", "individual"]))
    def get_owner_type(self, row) -> str:
        return "team" if row.owner_id is None else "individual"


class StatusCountSerializer(serializers.Serializer):
    status = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()


class HeadlineSerializer(serializers.Serializer):
    name = serializers.CharField()
    metric_label = serializers.CharField()
    value = serializers.CharField(source="value_display")
    change_since_last_week = serializers.DecimalField(18, 4, source="change", allow_null=True)


class TeamRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField()


class TeamDashboardSerializer(serializers.Serializer):
    team = TeamRefSerializer()
    period = PeriodSerializer()
    total_goals = serializers.IntegerField()
    on_track_count = serializers.IntegerField()
    on_track_share = serializers.DecimalField(7, 2, allow_null=True)
    status_counts = StatusCountSerializer(many=True)
    headlines = HeadlineSerializer(many=True)
    goals = GoalRowSerializer(many=True, source="rows")


class ContributionLineSerializer(serializers.Serializer):
    goal = serializers.IntegerField(source="goal_id")
    goal_name = serializers.CharField()
    metric_label = serializers.CharField()
    points = serializers.DecimalField(18, 4, allow_null=True)
    user_value = serializers.CharField(source="member_value_display")
    book = serializers.CharField(source="book_display")
    team_value = serializers.CharField(source="team_value_display")
    sentence = serializers.CharField()
    as_of = serializers.DateField()


class PersonRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField(source="get_full_name")


class IndividualDashboardSerializer(serializers.Serializer):
    user = PersonRefSerializer(source="person")
    period = PeriodSerializer()
    goals = GoalRowSerializer(many=True, source="rows")
    contributions = ContributionLineSerializer(many=True)
    checkin_streak = serializers.IntegerField(allow_null=True)


class LeaderboardEntrySerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    tied = serializers.BooleanField()
    user = serializers.IntegerField(source="member_id")
    user_name = serializers.CharField(source="member_name")
    team_name = serializers.CharField()
    score = serializers.DecimalField(18, 4)
    detail = serializers.CharField()


class LeaderboardSerializer(serializers.Serializer):
    period = PeriodSerializer()
    team = TeamRefSerializer(allow_null=True)
    enabled = serializers.BooleanField()
    ranks_by = serializers.ChoiceField(LeaderboardSetting.RanksBy.choices)
    metric_name = serializers.CharField(source="metric_key")
    entries = LeaderboardEntrySerializer(many=True)


class PeriodQuery(NoBlankParameters, serializers.Serializer):
    period = id_field(required=False, help_text="Goal period id; default: the running quarter.")


class TeamDashboardQuery(PeriodQuery):
    team = id_field(required=False, help_text="Team id; default: your team.")
    status = serializers.ChoiceField(Goal.Status.choices, required=False)
    owner_type = serializers.ChoiceField(["team", "individual"], required=False)
    user = id_field(required=False, help_text="Only this member's goals.")
    goal_type = serializers.ChoiceField(Goal.Type.choices, required=False)
    metric_name = serializers.CharField(required=False, max_length=40)
    sort = serializers.ChoiceField(list(selectors.SORTS), required=False)

    def filters(self) -> selectors.GoalFilters:
        """The page's filters for these parameters (the page and the API filter alike)."""
        data = self.validated_data
        owner = str(data["user"]) if "user" in data else ""
        if data.get("owner_type") == "team":
            owner = selectors.TEAM_OWNER
        return selectors.GoalFilters(
            status=data.get("status", ""),
            owner=owner,
            goal_type=data.get("goal_type", ""),
            metric=data.get("metric_name", ""),
            sort=data.get("sort", "status"),
        )


class IndividualDashboardQuery(PeriodQuery):
    user = id_field(required=False, help_text="User id; default: you.")


class LeaderboardQuery(PeriodQuery):
    team = serializers.CharField(
        required=False, help_text="Team id, or `all` for every team whose leaderboard is on."
    )
    ranks_by = serializers.ChoiceField(
        LeaderboardSetting.RanksBy.choices,
        required=False,
        help_text="Ranking across teams (one team uses its lead's choice).",
    )
    metric_name = serializers.CharField(required=False, max_length=40)

    def validate_team(self, value: str) -> str:
        if value != leaderboard_selectors.ALL_TEAMS and not value.isdigit():
            raise serializers.ValidationError("Give a team id or `all`.")
        return value


def _query(serializer_class, request: Request):
    query = serializer_class(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query


def _period(query: dict) -> tuple[GoalPeriod, list[GoalPeriod]]:
    today = selectors.local_today()
    periods = selectors.all_periods(today)
    try:
        period = selectors.pick_period(
            periods, str(query["period"]) if "period" in query else None, today
        )
    except GoalPeriod.DoesNotExist:
        raise NotFound("No such goal period.") from None
    return period, periods


class TeamDashboardView(APIView):
    permission_classes = API_PERMISSIONS

    @extend_schema(
        summary="A team's dashboard: summary, headline metrics and one row per goal",
        parameters=[TeamDashboardQuery],
        responses={
            200: TeamDashboardSerializer,
            304: OpenApiResponse(
                description="Not modified: nothing changed since the version the request's "
                "If-None-Match names (the ETag of an earlier answer)."
            ),
            **OBJECT_READ_ERRORS,
        },
    )
    def get(self, request: Request) -> Response:
        parameters = _query(TeamDashboardQuery, request)
        query = parameters.validated_data
        if "team" in query:
            team = Team.objects.filter(pk=query["team"]).first()
        else:
            membership = membership_of(request.user)
            team = membership.team if membership else None
        if team is None or not people_access.can_view_team(request.user, team):
            raise NotFound("No such team, or you may not see it.")
        period, periods = _period(query)
        # Unchanged since the client's version (its If-None-Match): 304 Not Modified.
        etag = "api-" + selectors.team_dashboard_version(
            viewer=request.user,
            team=team,
            period=period,
            query=request.query_params.urlencode(),
            today=selectors.local_today(),
        )
        if (response := not_modified_since(request, etag)) is not None:
            return response
        board = selectors.team_dashboard(
            viewer=request.user,
            team=team,
            period=period,
            periods=periods,
            filters=parameters.filters(),
            today=selectors.local_today(),
        )
        return conditional(Response(TeamDashboardSerializer(board).data), etag)


class IndividualDashboardView(APIView):
    permission_classes = API_PERMISSIONS

    @extend_schema(
        summary="A person's goals and contributions to team goals (you, or a member you lead)",
        parameters=[IndividualDashboardQuery],
        responses={200: IndividualDashboardSerializer, **OBJECT_READ_ERRORS},
    )
    def get(self, request: Request) -> Response:
        query = _query(IndividualDashboardQuery, request).validated_data
        try:
            person = people_access.get_managed_person(
                request.user, query.get("user", request.user.pk)
            )
        except Http404:
            raise NotFound("No such person, or you may not see them.") from None
        period, periods = _period(query)
        board = selectors.individual_dashboard(
            viewer=request.user,
            person=person,
            period=period,
            periods=periods,
            today=selectors.local_today(),
        )
        return Response(IndividualDashboardSerializer(board).data)


class LeaderboardView(APIView):
    permission_classes = API_PERMISSIONS

    @extend_schema(
        summary="The leaderboard of a team (its lead's settings) or across teams",
        parameters=[LeaderboardQuery],
        responses={200: LeaderboardSerializer, **OBJECT_READ_ERRORS},
    )
    def get(self, request: Request) -> Response:
        query = _query(LeaderboardQuery, request).validated_data
        teams = people_access.visible_teams(request.user)
        if not teams:
            raise NotFound("You are not on a team, so there is no leaderboard.")
        try:
            team = leaderboard_selectors.chosen_team(query.get("team", ""), teams)
        except Http404 as error:
            raise NotFound(str(error)) from None
        period, _ = _period(query)
        board = leaderboard_selectors.leaderboard(
            viewer=request.user,
            period=period,
            team=team,
            teams=teams,
            ranks_by=query.get("ranks_by"),
            metric_key=query.get("metric_name"),
        )
        return Response(LeaderboardSerializer(board).data)


# --- breakdowns -----------------------------------------------------------------------------


class BreakdownQuery(NoBlankParameters, serializers.Serializer):
    user = id_field(required=False, help_text="A person's book (give `user` or `team`).")
    team = id_field(required=False, help_text="A team's book: its members', leads included.")
    start_date = serializers.DateField(help_text="First day of the window (inclusive), ISO date.")
    end_date = serializers.DateField(help_text="Last day of the window (inclusive), ISO date.")
    format = serializers.ChoiceField(
        ["json", "csv"], required=False, help_text="`csv` for a spreadsheet (default: JSON)."
    )

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if ("user" in attrs) == ("team" in attrs):
            message = (
                "Give either `user` or `team`, not both."
                if "user" in attrs
                else ("Give `user` (a person's book) or `team` (a team's).")
            )
            raise serializers.ValidationError({"user": [message], "team": [message]})
        if attrs["end_date"] < attrs["start_date"]:
            raise serializers.ValidationError({"end_date": ["The window ends before it starts."]})
        if (attrs["end_date"] - attrs["start_date"]).days > customers.MAX_WINDOW_DAYS:
            raise serializers.ValidationError(
                {"end_date": ["A breakdown covers at most three years."]}
            )
        return attrs


class BreakdownRowSerializer(serializers.Serializer):
    customer = serializers.IntegerField(source="customer_id")
    customer_name = serializers.CharField()
    external_id = serializers.CharField()
    url = serializers.SerializerMethodField()
    csm = serializers.IntegerField(source="csm_id")
    csm_name = serializers.SerializerMethodField()
    kind = serializers.ChoiceField(list(KIND_LABELS))
    kind_label = serializers.CharField()
    counted = serializers.SerializerMethodField()
    points = serializers.DecimalField(18, 4, allow_null=True)
    numerator = serializers.DecimalField(18, 2)
    denominator = serializers.DecimalField(18, 2)
    arr_start = serializers.DecimalField(16, 2, allow_null=True)
    arr_end = serializers.DecimalField(16, 2, allow_null=True)
    arr_change = serializers.DecimalField(16, 2, allow_null=True)
    due_date = serializers.DateField(allow_null=True)
    promoters = serializers.IntegerField()
    passives = serializers.IntegerField()
    detractors = serializers.IntegerField()
    latest_score = serializers.IntegerField(allow_null=True)
    latest_responded_at = serializers.DateTimeField(source="latest_at", allow_null=True)
    comment = serializers.CharField(allow_blank=True)
    qbrs_held = serializers.IntegerField(source="held")
    qbrs_missed = serializers.IntegerField(source="missed")
    qbrs_not_yet_due = serializers.IntegerField(source="not_yet_due")

    def get_url(self, row) -> str:
        return customers.customer_url(row.customer_id)

    def get_csm_name(self, row) -> str:
        return self.context["result"].csm_name(row)

    def get_counted(self, row) -> bool:
        return row.points is not None


class ScopeSerializer(serializers.Serializer):
    type = serializers.ChoiceField(["user", "team"], source="kind")
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField()


class BreakdownSerializer(serializers.Serializer):
    metric_name = serializers.CharField(source="metric.key")
    metric_label = serializers.CharField(source="metric.label")
    unit = serializers.CharField(source="metric.unit")
    scope = ScopeSerializer()
    start_date = serializers.DateField(source="breakdown.start")
    end_date = serializers.DateField(source="breakdown.end")
    value = serializers.DecimalField(
        18,
        4,
        source="breakdown.value",
        allow_null=True,
        help_text="The metric's value; `base` plus the rows' points is exactly this.",
    )
    numerator = serializers.DecimalField(18, 2, source="breakdown.ratio.numerator")
    denominator = serializers.DecimalField(18, 2, source="breakdown.ratio.denominator")
    base = serializers.DecimalField(18, 4, source="breakdown.base")
    base_text = serializers.CharField(source="breakdown.base_text")
    rows = BreakdownRowSerializer(
        many=True, help_text="The rows counted in the value, the largest impact first."
    )
    apart = BreakdownRowSerializer(
        many=True,
        help_text="Rows outside the value: new logos (NRR, GRR), pending renewals.",
    )


def _fixed(value: Decimal | None, places: int) -> str | None:
    return None if value is None else str(value.quantize(Decimal(1).scaleb(-places)))


_MOMENT = serializers.DateTimeField()


def _row_data(result: customers.ScopeBreakdown, row) -> dict:
    return {
        "customer": row.customer_id,
        "customer_name": row.customer_name,
        "external_id": row.external_id,
        "url": customers.customer_url(row.customer_id),
        "csm": row.csm_id,
        "csm_name": result.csm_name(row),
        "kind": row.kind,
        "kind_label": row.kind_label,
        "counted": row.points is not None,
        "points": _fixed(row.points, 4),
        "numerator": _fixed(row.numerator, 2),
        "denominator": _fixed(row.denominator, 2),
        "arr_start": _fixed(row.arr_start, 2),
        "arr_end": _fixed(row.arr_end, 2),
        "arr_change": _fixed(row.arr_change, 2),
        "due_date": row.due_date.isoformat() if row.due_date else None,
        "promoters": row.promoters,
        "passives": row.passives,
        "detractors": row.detractors,
        "latest_score": row.latest_score,
        "latest_responded_at": _MOMENT.to_representation(row.latest_at) if row.latest_at else None,
        "comment": row.comment,
        "qbrs_held": row.held,
        "qbrs_missed": row.missed,
        "qbrs_not_yet_due": row.not_yet_due,
    }


def breakdown_data(result: customers.ScopeBreakdown) -> dict:
    """The answer BreakdownSerializer documents, built directly: a team's book is hundreds of
    rows, which a serializer per row would take most of the request's time to write."""
    found = result.breakdown
    ratio = found.ratio
    return {
        "metric_name": result.metric.key,
        "metric_label": result.metric.label,
        "unit": result.metric.unit,
        "scope": {"type": result.scope.kind, "id": result.scope.pk, "name": result.scope.name},
        "start_date": found.start.isoformat(),
        "end_date": found.end.isoformat(),
        "value": _fixed(found.value, 4),
        "numerator": _fixed(ratio.numerator, 2),
        "denominator": _fixed(ratio.denominator, 2),
        "base": _fixed(found.base, 4),
        "base_text": found.base_text,
        "rows": [_row_data(result, row) for row in found.rows],
        "apart": [_row_data(result, row) for row in found.apart],
    }


class BreakdownView(APIView):
    permission_classes = API_PERMISSIONS
    renderer_classes = [JSONRenderer, CSVRenderer]

    @extend_schema(
        summary="The accounts behind a metric's value for a person's or a team's book",
        description="One row per customer (per renewal for the renewal rate), from the same "
        "engine and data as the value: `base` plus the rows' `points` is the `value` exactly. "
        "NRR/GRR: starting and current ARR and the movement (expansion, contraction, churn, "
        "unchanged), new logos apart; renewal rate: decided renewals, pending ones apart; NPS: "
        "each customer's responses and its latest; QBR completion: QBRs held, missed and not "
        "yet due. `format=csv` answers the same as CSV (text cells a spreadsheet would run as "
        "a formula get a leading quote). A person or team you may not see is a 404.",
        parameters=[BreakdownQuery],
        responses={
            (200, "application/json"): BreakdownSerializer,
            (200, "text/csv"): OpenApiTypes.STR,
            **OBJECT_READ_ERRORS,
        },
    )
    def get(self, request: Request, metric_name: str) -> Response:
        try:
            metric = get_metric(metric_name)
        except KeyError as error:
            raise NotFound(str(error.args[0])) from None
        query = _query(BreakdownQuery, request).validated_data
        try:
            if "user" in query:
                scope = customers.person_scope(request.user, query["user"])
            else:
                scope = customers.team_scope(request.user, query["team"])
        except Http404 as error:
            raise NotFound(str(error)) from None
        result = customers.scope_breakdown(
            metric.key, scope, start=query["start_date"], end=query["end_date"]
        )
        if query.get("format") == "csv":
            return Response(
                customers.breakdown_csv(result),
                content_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": f'attachment; filename="{result.filename()}"'},
            )
        return Response(breakdown_data(result))

    def perform_content_negotiation(self, request, force=False):
        # An unknown `format` is the query's 400 (naming the field), not the renderers' 404.
        return super().perform_content_negotiation(request, force=True)

    def finalize_response(self, request, response, *args, **kwargs):
        # Errors answer the API's JSON error shape, whatever format was asked.
        if isinstance(response, Response) and response.status_code >= 400:
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = "application/json"
        return super().finalize_response(request, response, *args, **kwargs)
