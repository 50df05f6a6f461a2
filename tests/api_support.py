"""Reading the API's one error shape in tests: {"detail", "code", "errors": [{field, message}]}."""

from collections import defaultdict


def error(response) -> dict:
    """The error body, checked to have exactly the documented shape."""
    body = response.json()
    assert set(body) == {"detail", "code", "errors"}, body
    assert isinstance(body["detail"], str) and isinstance(body["code"], str)
    return body


def field_errors(response) -> dict[str | None, list[str]]:
    """{field: [messages]} of a 400 (field None for an error about the whole body)."""
    assert response.status_code == 400, response.content
    errors = defaultdict(list)
    for item in error(response)["errors"]:
        errors[item["field"]].append(item["message"])
    return dict(errors)
