import re

import pytest
from django.core import mail
from django.urls import reverse

from tests.builders import PASSWORD

pytestmark = pytest.mark.django_db


def login(client, email, password):
    return client.post(reverse("login"), {"username": email, "password": password})


def test_login_with_email_and_password_lands_on_home(client, member):
    response = login(client, "member@example.com", PASSWORD)
    assert response.status_code == 302
    # A member lands on their own goals (a lead on the team dashboard).
    page = client.get(response.url, follow=True)
    assert page.redirect_chain[-1][0] == reverse("my_dashboard")
    assert "My goals" in page.text
    assert "Enterprise" in page.text


def test_login_ignores_the_case_of_the_email(client, member):
    response = login(client, "  Member@Example.COM ", PASSWORD)
    assert response.status_code == 302
    # Logged in as the member (not a new account), landing on their own goals.
    assert client.session["_auth_user_id"] == str(member.pk)
    page = client.get(response.url, follow=True)
    assert page.redirect_chain[-1][0] == reverse("my_dashboard")
    assert "Mo Member" in page.text


@pytest.mark.parametrize(
    "email,password", [("member@example.com", "wrong"), ("nobody@example.com", PASSWORD)]
)
def test_wrong_password_or_unknown_email_shows_one_clear_error(client, member, email, password):
    response = login(client, email, password)
    assert response.status_code == 200
    assert "That email and password do not match an account" in response.text
    assert "_auth_user_id" not in client.session


def test_repeated_failures_lock_the_account_with_a_clear_message(client, member, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert login(client, "member@example.com", "wrong").status_code == 200
    response = login(client, "member@example.com", "wrong")
    assert response.status_code == 429
    assert "Too many failed log-in attempts" in response.text
    # Even the right password is refused while locked.
    response = login(client, "member@example.com", PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_pages_need_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_a_signed_out_htmx_request_loads_the_login_page_whole(client, team):
    # The dashboard's poll after the session ended: no login form swapped into the poll's part.
    response = client.get(
        f"/teams/{team.pk}/?status=behind",
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL=f"http://testserver/teams/{team.pk}/",
    )
    assert response.status_code == 200 and response.content == b""
    assert response["HX-Redirect"] == f"{reverse('login')}?next=/teams/{team.pk}/"
    plain = client.get(f"/teams/{team.pk}/")  # a page load is redirected as before
    assert plain.status_code == 302 and plain.url.startswith(reverse("login"))


def test_logout_is_a_post_and_ends_the_session(client, member):
    client.force_login(member)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_password_reset_sends_a_working_link(client, member):
    response = client.post(reverse("password_reset"), {"email": "MEMBER@example.com"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["member@example.com"]
    link = re.search(r"http://\S+/accounts/reset/\S+/", mail.outbox[0].body).group(0)
    path = link.split("testserver", 1)[1]
    form_page = client.get(path, follow=True)
    assert "Choose a new password" in form_page.text
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a-new-long-password-9", "new_password2": "a-new-long-password-9"},
    )
    assert done.status_code == 302
    assert login(client, "member@example.com", "a-new-long-password-9").status_code == 302


def test_pages_send_a_strict_content_security_policy(client, member):
    client.force_login(member)
    response = client.get(reverse("home"), follow=True)
    policy = response.headers["Content-Security-Policy"]
    script_src = next(d for d in policy.split(";") if d.strip().startswith("script-src"))
    assert "'unsafe-inline'" not in script_src
    assert "nonce-" in script_src
    # Scripts and stylesheets come from this site (a random token may well spell "cdn").
    sources = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', response.text)
    assert any("htmx" in source for source in sources)
    assert all(source.startswith("/") and not source.startswith("//") for source in sources)
