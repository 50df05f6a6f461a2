"""POST /api/data/<kind>/: the import as JSON, for other systems (a CRM sync, a billing feed).

The body is a JSON list of objects with the kind's CSV columns as fields (strings, numbers or
null). All or nothing, like the command: 400 in the API's error shape with the row errors
(`{row, field, message}`, rows numbered from 1; the first 50) and nothing written, or 200 with how
many rows were created, updated and left unchanged.

Staff only: a staff session, or a staff user's API token with the `import` scope.
"""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from goals_project.api import INVALID, NOT_FOUND, WRITE_ERRORS, error_body
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


class DataImportViewSet(viewsets.ViewSet):
    # One import of one kind of customer data (POST creates it); the module's docstring is the
    # operation's description.
    permission_classes = [StaffWithImportScope]

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
            **WRITE_ERRORS,
            400: INVALID,
            404: NOT_FOUND,
        },
        description=__doc__,
    )
    def create(self, request: Request, kind: str) -> Response:
        if kind not in KINDS:
            raise Http404(f"Unknown kind {kind!r}: use one of {', '.join(KINDS)}.")
        try:
            result = import_json(kind, request.data)
        except ImportRejected as rejected:
            return Response(
                error_body(
                    f"Nothing was imported: {len(rejected.errors)} error(s)"
                    + (
                        f"; the first {MAX_REPORTED_ERRORS} are listed."
                        if len(rejected.errors) > MAX_REPORTED_ERRORS
                        else "."
                    ),
                    "invalid",
                    [
                        {"row": error.row, "field": error.column, "message": error.reason}
                        for error in rejected.errors[:MAX_REPORTED_ERRORS]
                    ],
                ),
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
