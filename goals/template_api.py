"""The goal templates REST resource: every signed-in user reads them, admins write them.

Writes go through goals.goal_templates (the checks Django admin applies); a bad field is a 400
naming it.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
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

from . import access
from .api import API_PERMISSIONS, require
from .goal_templates import TEMPLATE_FIELDS, template_save
from .models import Goal, GoalTemplate
from .serializers import StrictInteger, TextField, name_field, value_field


class GoalTemplateSerializer(serializers.ModelSerializer):
    """A goal template as the API answers it."""

    unit = serializers.ChoiceField(
        choices=Goal.Unit.choices,
        allow_blank=True,
        help_text="What a goal measured by hand counts (blank for a metric or a task goal).",
    )
    milestones = serializers.ListField(child=serializers.CharField())

    class Meta:
        model = GoalTemplate
        fields = ["id", *TEMPLATE_FIELDS]
        read_only_fields = fields


class GoalTemplateInputSerializer(StrictInput):
    """A template to create (name, goal_type and cascade_rule required) or a PATCH of one."""

    name = name_field()
    description = TextField(required=False, allow_blank=True, max_length=5000)
    goal_type = serializers.ChoiceField(choices=Goal.Type.choices)
    metric_key = TextField(required=False, allow_blank=True, max_length=40)
    direction = serializers.ChoiceField(choices=Goal.Direction.choices, required=False)
    maintain_side = serializers.ChoiceField(choices=Goal.Side.choices, required=False)
    unit = serializers.ChoiceField(choices=Goal.Unit.choices, required=False, allow_blank=True)
    target = value_field(required=False, allow_null=True)
    stretch_target = value_field(required=False, allow_null=True)
    task_target = StrictInteger(required=False, allow_null=True, min_value=1, max_value=100000)
    milestones = serializers.ListField(
        child=TextField(max_length=200), required=False, max_length=50
    )
    cascade_rule = serializers.ChoiceField(choices=GoalTemplate.CascadeRule.choices)
    order = StrictInteger(required=False, min_value=0, max_value=10000)


@extend_schema_view(
    list=extend_schema(
        summary="List the goal templates",
        responses={200: GoalTemplateSerializer(many=True), **LIST_ERRORS},
    ),
    retrieve=extend_schema(
        summary="One goal template",
        responses={200: GoalTemplateSerializer, **OBJECT_READ_ERRORS},
    ),
    create=extend_schema(
        summary="Create a goal template (admins)",
        request=GoalTemplateInputSerializer,
        responses={201: GoalTemplateSerializer, **WRITE_ERRORS},
    ),
    partial_update=extend_schema(
        summary="Change a goal template (admins)",
        request=GoalTemplateInputSerializer,
        responses={200: GoalTemplateSerializer, **OBJECT_WRITE_ERRORS},
    ),
    destroy=extend_schema(
        summary="Delete a goal template (admins)", responses={204: None, **OBJECT_WRITE_ERRORS}
    ),
)
class GoalTemplateViewSet(viewsets.GenericViewSet):
    """Common CS goals to start from; the new-goal page offers them."""

    queryset = GoalTemplate.objects.all()
    serializer_class = GoalTemplateSerializer
    permission_classes = API_PERMISSIONS
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_template(self, pk) -> GoalTemplate:
        template_id = access.parse_id(pk)
        template = GoalTemplate.objects.filter(pk=template_id).first() if template_id else None
        if template is None:
            raise NotFound("No such goal template.")
        return template

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(GoalTemplate.objects.all())
        return self.get_paginated_response(GoalTemplateSerializer(page, many=True).data)

    def retrieve(self, request: Request, pk=None) -> Response:
        return Response(GoalTemplateSerializer(self.get_template(pk)).data)

    def _save(self, request: Request, template: GoalTemplate | None, partial: bool) -> Response:
        require(request.user.is_staff, "Only admins change goal templates.")
        serializer = GoalTemplateInputSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        try:
            saved = template_save(template=template, **serializer.validated_data)
        except DjangoValidationError as error:
            # The template's own field names (the goals API spells some differently).
            names = {name: name for name in GoalTemplateInputSerializer().fields}
            raise service_errors(error, renames=names) from None
        code = status.HTTP_200_OK if template else status.HTTP_201_CREATED
        return Response(GoalTemplateSerializer(saved).data, status=code)

    def create(self, request: Request) -> Response:
        return self._save(request, None, partial=False)

    def partial_update(self, request: Request, pk=None) -> Response:
        return self._save(request, self.get_template(pk), partial=True)

    def destroy(self, request: Request, pk=None) -> Response:
        template = self.get_template(pk)
        require(request.user.is_staff, "Only admins delete goal templates.")
        template.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)
