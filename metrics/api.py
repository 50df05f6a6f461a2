"""POST /api/data/<kind>/: the import as JSON, for other systems (a CRM sync, a billing feed).

The body is a JSON list of objects with the kind's CSV columns as fields. All or nothing, like
the command: 400 with the row errors ({row, column, reason}, rows numbered from 1) and nothing
written, or 200 with how many rows were created, updated and left unchanged.

Staff only: a staff session, or a staff user's API token with the `import` scope.
"""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import permissions, serializers, status
from rest_framework.decorators import api_view, parser_classes, permission_classes
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response

from goals_project.people.tokens import has_scope

from .importing import KINDS, MAX_REPORTED_ERRORS, ImportRejected, import_json


class StaffWithImportScope(permissions.BasePermission):
    """Importing changes everyone's numbers: staff only, and a token needs the import scope."""

    message = "Importing customer data needs a staff account (and a token with the import scope)."

    def has_permission(self, request: Request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_staff) and has_scope(
            request, "import"
        )


class ImportRowErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField()
    column = serializers.CharField()
    reason = serializers.CharField()


@extend_schema(
    request={
        "application/json": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": {
                    "oneOf": [{"type": "string"}, {"type": "number"}],
                    "nullable": True,
                },
                "description": "One row: the kind's CSV columns as fields.",
            },
        }
    },
    parameters=[
        OpenApiParameter("kind", str, OpenApiParameter.PATH, enum=list(KINDS)),
    ],
    responses={
        200: inline_serializer(
            "ImportResult",
            fields={
                "kind": serializers.CharField(),
                "created": serializers.IntegerField(),
                "updated": serializers.IntegerField(),
                "unchanged": serializers.IntegerField(),
            },
        ),
        400: OpenApiResponse(
            inline_serializer(
                "ImportErrors",
                fields={
                    "detail": serializers.CharField(),
                    "error_count": serializers.IntegerField(),
                    "errors": ImportRowErrorSerializer(many=True),
                },
            ),
            description=f"Nothing was written; the first {MAX_REPORTED_ERRORS} row errors.",
        ),
        403: OpenApiResponse(description="Not staff, or the token lacks the import scope."),
    },
    description=__doc__,
)
@api_view(["POST"])
@parser_classes([JSONParser])
@permission_classes([StaffWithImportScope])
def import_data(request: Request, kind: str) -> Response:
    if kind not in KINDS:
        raise Http404(f"Unknown kind {kind!r}: use one of {', '.join(KINDS)}.")
    try:
        result = import_json(kind, request.data)
    except ImportRejected as rejected:
        return Response(
            {
                "detail": f"Nothing was imported: {len(rejected.errors)} error(s).",
                "error_count": len(rejected.errors),
                "errors": [
                    {"row": error.row, "column": error.column, "reason": error.reason}
                    for error in rejected.errors[:MAX_REPORTED_ERRORS]
                ],
            },
            status=status.HTTP_400_BAD_REQUEST,
        )
    return Response(
        {
            "kind": result.kind,
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
        }
    )
