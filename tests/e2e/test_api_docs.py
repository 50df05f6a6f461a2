"""The interactive API docs (/api/docs/) work under the strict Content Security Policy: Swagger UI
from drf-spectacular-sidecar, its start-up script a file, no inline style or script."""

import pytest
from django.test import override_settings
from playwright.sync_api import Page, expect

from goals_project.people.tokens import api_token_create

pytestmark = pytest.mark.django_db(transaction=True)


@override_settings(DEBUG=False)
def test_the_docs_page_renders_every_operation_without_a_csp_violation(
    page: Page, live_server, lead
):
    violations = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    response = page.goto(f"{live_server.url}/api/docs/")
    policy = dict(
        directive.strip().split(" ", 1)
        for directive in response.headers["content-security-policy"].split(";")
    )
    for directive in ("script-src", "style-src", "style-src-elem"):
        assert (
            "'unsafe-inline'" not in policy[directive] and "'unsafe-eval'" not in policy[directive]
        )
    expect(page.get_by_role("heading", name="Goalpost API")).to_be_visible()
    # Every endpoint group is drawn; open one operation and read its documented error shape.
    expect(page.locator(".opblock").first).to_be_visible()
    assert page.locator(".opblock").count() >= 30
    page.locator(".opblock-summary-path", has_text="/api/goal-periods/").first.click()
    expect(page.get_by_text("Error").first).to_be_visible()
    # The page's own rules came from the stylesheet file, not an inline <style>.
    assert page.evaluate("getComputedStyle(document.body).margin") == "0px"
    assert (
        page.locator("style:not([nonce])").evaluate_all(
            "nodes => nodes.filter(n => n.textContent.includes('box-sizing')).length"
        )
        == 0
    )
    assert violations == []
    # A token works from the page's Authorize dialog (the API itself, same origin).
    _, secret = api_token_create(user=lead, name="docs", scopes=["read"])
    answer = page.request.get(
        f"{live_server.url}/api/goal-periods/", headers={"Authorization": f"Bearer {secret}"}
    )
    assert answer.status == 200
