"""The REST API's contract, shared by every app's endpoints.

- Bodies are JSON. Numbers are parsed exactly: a JSON number with a fraction or an exponent
  becomes a Decimal, never a binary float; NaN and Infinity are not JSON and are refused; a body
  nested deeper than `MAX_JSON_DEPTH` or holding a lone surrogate is refused as malformed.
- A body field the endpoint does not know is a 400 that names it (`StrictInput`).
- Every 4xx answers one shape, `Error`: `{"detail": str, "code": str, "errors": [...]}` where each
  item of `errors` is `{"field": str | null, "message": str}` (imports add the `row`). This holds
  for DRF's own errors, for Django's (an oversize body, a CSRF failure) and for unknown paths.

Endpoints are written one way per kind:
- a resource (goals, periods, objectives, check-ins, support requests, achievements, an import
  of customer data) is a `GenericViewSet` (or `ViewSet`) with the standard methods it needs
  (`list`, `retrieve`, `create`, `partial_update`, `destroy`), routed by the router or, under
  a nested path, mounted with `as_view({"get": "list", ...})`;
- an action on one (acknowledge, celebrate, reply, resolve, refresh, progress, attainment) is
  an `@action(detail=True)` on that ViewSet;
- a report (a read computed over many objects: the dashboards, the leaderboard, a metric's
  breakdown) is an `APIView` with `get`.
Tasks retry one way too: `goals_project.celery.RETRY_ON_DATABASE_ERROR` / `RETRY_ANY`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import exceptions, parsers, serializers, status
from rest_framework.response import Response

API_PREFIX = "/api/"
# Deeper than any real body (a goal with milestones is 3 levels); json's recursion stops far later.
MAX_JSON_DEPTH = 32

# Service errors name model fields; the API spells some of them as the product's data model does.
API_FIELD_NAMES = {
    "period_type": "period_type",
    "start": "start_date",
    "end": "end_date",
    "goal_type": "goal_type",
    "metric_key": "metric_name",
    "owner": "user",
    "direction": "target_direction",
    "baseline": "baseline_value",
    "target": "target_value",
    "stretch_target": "stretch_target_value",
    "task_target": "task_count_target",
    "progress": "progress_percentage",
    "note": "progress_notes",
    "confidence": "confidence_level",
    "support_message": "support_needed",
    "value": "current_value",
    "kind": "achievement_type",
}


# --- parsing ---------------------------------------------------------------------------------


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def _depth_and_text_problem(value: Any, depth: int = 0) -> str | None:
    """Why the parsed body is refused (too deep, a lone surrogate), or None. Iterative in spirit:
    it stops at MAX_JSON_DEPTH, so it never recurses further than that."""
    if depth > MAX_JSON_DEPTH:
        return f"it is nested more than {MAX_JSON_DEPTH} levels deep"
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "a string holds a lone surrogate (\\ud800-\\udfff), which is not text"
        return None
    items: Iterator[Any]
    if isinstance(value, dict):
        items = (item for pair in value.items() for item in pair)
    elif isinstance(value, list):
        items = iter(value)
    else:
        return None
    for item in items:
        problem = _depth_and_text_problem(item, depth + 1)
        if problem:
            return problem
    return None


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with exact numbers and refusals that are 400s instead of 500s."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = stream.read().decode(encoding) if stream is not None else ""
        except RequestDataTooBig:
            raise
        except UnicodeDecodeError as error:
            raise exceptions.ParseError(f"The body is not valid JSON: {error}.") from None
        try:
            data = json.loads(text, parse_float=Decimal, parse_constant=_refuse_constant)
        except RecursionError:
            raise exceptions.ParseError(
                f"The body is not valid JSON: it is nested more than {MAX_JSON_DEPTH} levels deep."
            ) from None
        except ValueError as error:
            raise exceptions.ParseError(f"The body is not valid JSON: {error}.") from None
        problem = _depth_and_text_problem(data)
        if problem:
            raise exceptions.ParseError(f"The body is not valid JSON: {problem}.")
        return data


# --- input -------------------------------------------------------------------------------------


class StrictInput(serializers.Serializer):
    """A request body: a JSON object whose every field the endpoint knows (an unknown field,
    such as a misspelt one, is refused by name instead of being silently dropped)."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            known = {name for name, field in self.fields.items() if not field.read_only}
            unknown = sorted(str(key) for key in data if key not in known)
            if unknown:
                raise serializers.ValidationError(
                    {
                        key: [f"Unknown field: the fields are {', '.join(sorted(known))}."]
                        for key in unknown
                    }
                )
        return super().to_internal_value(data)


# --- errors ------------------------------------------------------------------------------------


def api_field(name: str) -> str:
    return API_FIELD_NAMES.get(name, name)


def service_errors(
    error: DjangoValidationError, renames: dict[str, str] | None = None
) -> serializers.ValidationError:
    """A service's ValidationError({field: message}) as the API's 400, fields spelt the API's
    way (`renames` for an endpoint's own spellings)."""
    if hasattr(error, "error_dict"):
        renames = renames or {}
        return serializers.ValidationError(
            {renames.get(key, api_field(key)): value for key, value in error.message_dict.items()}
        )
    return serializers.ValidationError({"non_field_errors": error.messages})


def _flatten(detail: Any, path: str | None = None) -> Iterator[dict]:
    """DRF's nested error detail as a flat list of {field, message} ("milestones.1.name")."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            key = str(key)
            if key in ("non_field_errors", settings.REST_FRAMEWORK.get("NON_FIELD_ERRORS_KEY")):
                yield from _flatten(value, path)
            else:
                yield from _flatten(value, f"{path}.{key}" if path else key)
    elif isinstance(detail, list):
        if all(isinstance(item, str) for item in detail):
            for item in detail:
                yield {"field": path, "message": str(item)}
        else:
            for index, item in enumerate(detail):
                if item:
                    yield from _flatten(item, f"{path}.{index}" if path else str(index))
    else:
        yield {"field": path, "message": str(detail)}


def error_body(detail: str, code: str, errors: list[dict] | None = None) -> dict:
    return {"detail": detail, "code": code, "errors": errors or []}


def _validation_body(detail: Any) -> dict:
    errors = list(_flatten(detail))
    fields = sorted({error["field"] for error in errors if error["field"]})
    if fields:
        summary = f"Check {', '.join(fields)}: {errors[0]['message']}"
        if len(errors) > 1:
            summary += f" (and {len(errors) - 1} more)"
    else:
        summary = errors[0]["message"] if errors else "The request is not valid."
    return error_body(summary, "invalid", errors)


def exception_handler(exc, context):
    """DRF's handler, answering every error in the one `Error` shape."""
    if isinstance(exc, RequestDataTooBig):
        return Response(too_large_body(), status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(*exc.args)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    # Imported here: rest_framework.views reads DEFAULT_PARSER_CLASSES (this module's parser)
    # when it is first imported, so a top-level import is a cycle whenever this module is the
    # first to load DRF (the CSRF failure view during `check --deploy`).
    from rest_framework.views import exception_handler as drf_exception_handler

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = _validation_body(exc.detail)
    else:
        codes = exc.get_codes()
        response.data = error_body(str(exc.detail), codes if isinstance(codes, str) else "error")
    return response


def too_large_body() -> dict:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return error_body(
        f"The body is larger than {limit / 1048576:.1f} MB, the most the API takes (split it).",
        "too_large",
    )


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def json_error(detail: str, code: str, status_code: int) -> JsonResponse:
    return JsonResponse(error_body(detail, code), status=status_code)


# Django's own error views (bad request, CSRF failure), answering JSON on API paths.


def bad_request(request: HttpRequest, exception=None):
    if is_api(request):
        if isinstance(exception, RequestDataTooBig):
            return JsonResponse(too_large_body(), status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
        return json_error(f"Bad request: {exception or 'malformed'}.", "bad_request", 400)
    from django.views.defaults import bad_request as html_bad_request

    return html_bad_request(request, exception)


def csrf_failure(request: HttpRequest, reason: str = ""):
    if is_api(request):
        return json_error(f"CSRF check failed: {reason}.", "permission_denied", 403)
    from django.views.csrf import csrf_failure as html_csrf_failure

    return html_csrf_failure(request, reason)


# --- OpenAPI -----------------------------------------------------------------------------------

ERROR = inline_serializer(
    "Error",
    fields={
        "detail": serializers.CharField(help_text="What was wrong, in one sentence."),
        "code": serializers.CharField(
            help_text=(
                "invalid, parse_error, not_authenticated, authentication_failed, "
                "permission_denied, not_found, method_not_allowed, not_acceptable, "
                "unsupported_media_type, too_large, conflict, throttled"
            )
        ),
        "errors": inline_serializer(
            "ErrorItem",
            fields={
                "field": serializers.CharField(
                    allow_null=True,
                    help_text='The field at fault ("milestones.1.name"), null for the whole body.',
                ),
                "message": serializers.CharField(),
                "row": serializers.IntegerField(
                    required=False, help_text="Imports: the row, numbered from 1."
                ),
            },
            many=True,
        ),
    },
)


def error_response(description: str) -> OpenApiResponse:
    return OpenApiResponse(ERROR, description=description)


INVALID = error_response(
    "Invalid input: the body is not JSON, a field is unknown, or a value breaks a rule; "
    "`errors` names each field at fault."
)
UNAUTHENTICATED = error_response("Not signed in, or the token is unknown or revoked.")
FORBIDDEN = error_response("Not allowed: the token lacks the scope or the role lacks the right.")
NOT_FOUND = error_response("No such object, or you may not see it.")
PAGE_NOT_FOUND = error_response("No such page of results.")
UNSUPPORTED = error_response("The body is not JSON (send Content-Type: application/json).")
TOO_LARGE = error_response("The body is larger than the API takes.")
CONFLICT = error_response("The request conflicts with the current state.")

READ_ERRORS = {401: UNAUTHENTICATED, 403: FORBIDDEN}
LIST_ERRORS = {400: INVALID, **READ_ERRORS, 404: PAGE_NOT_FOUND}
OBJECT_READ_ERRORS = {400: INVALID, **READ_ERRORS, 404: NOT_FOUND}
WRITE_ERRORS = {
    400: INVALID,
    401: UNAUTHENTICATED,
    403: FORBIDDEN,
    413: TOO_LARGE,
    415: UNSUPPORTED,
}
OBJECT_WRITE_ERRORS = {**WRITE_ERRORS, 404: NOT_FOUND}
