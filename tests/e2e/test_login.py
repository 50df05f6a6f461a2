import pytest
from playwright.sync_api import Page, expect

from tests.builders import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_wrong_password_shows_the_error(page: Page, live_server, transactional_db):
    UserFactory(email="elena.lead@goalpost.example")
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill("elena.lead@goalpost.example")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("do not match an account")
