import io

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from tests.builders import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo(transactional_db):
    call_command("seed_demo", stdout=io.StringIO())


def test_demo_lead_logs_in_and_sees_the_home_page(page: Page, live_server, demo):
    page.goto(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="Log in to Goalpost")).to_be_visible()
    page.get_by_label("Email").fill("elena.lead@goalpost.example")
    page.get_by_label("Password").fill("demo")
    page.get_by_role("button", name="Log in").click()
    # A lead lands on the team dashboard.
    expect(page.get_by_role("heading", name="Enterprise dashboard")).to_be_visible()
    expect(page.get_by_text("Enterprise (lead)")).to_be_visible()


def test_wrong_password_shows_the_error(page: Page, live_server, transactional_db):
    UserFactory(email="elena.lead@goalpost.example")
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill("elena.lead@goalpost.example")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("do not match an account")
