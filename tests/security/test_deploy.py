"""Production settings: `check --deploy` is clean, and a production process sends HSTS, secure
cookies, clickjacking protection and a Content Security Policy whose script-src has no
'unsafe-inline'. Both run in a subprocess with production-like environment variables, because
the test run itself relaxes HTTPS (its client and live server speak plain HTTP)."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# No warning is tolerated: not a security finding, nor a warning about the API schema.
TOLERATED: tuple[str, ...] = ()


def production_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO"))}
    env.update(
        DEBUG="0",
        SECURE_HTTPS="1",
        SECRET_KEY=secrets.token_urlsafe(64),
        DATABASE_URL=f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
        EMAIL_URL="smtp+tls://goalpost:secret@127.0.0.1:587",
        ALLOWED_HOSTS="goalpost.example.com,testserver",
    )
    env.pop("CELERY_BROKER_URL", None)
    return env


def manage(tmp_path: Path, *args: str, database: str = "") -> subprocess.CompletedProcess:
    env = production_env(tmp_path)
    if database:
        env["DATABASE_URL"] = database
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING")
    findings = [
        line
        for line in (result.stdout + result.stderr).splitlines()
        if line.startswith("?:") and not line.startswith(tuple(f"?: ({n})" for n in TOLERATED))
    ]
    assert findings == []
    assert "security." not in result.stdout + result.stderr


def test_check_deploy_flags_a_short_secret_key_and_debug(tmp_path):
    env_overrides = "import os; os.environ.update(SECRET_KEY='short', DEBUG='1')"
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            f"{env_overrides}; import sys; sys.argv=['manage.py','check','--deploy'];"
            "from django.core.management import execute_from_command_line as run;"
            "import os; os.environ.setdefault('DJANGO_SETTINGS_MODULE','goals_project.settings');"
            "run(sys.argv)",
        ],
        cwd=ROOT,
        env=production_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "security.W009" in result.stderr  # the short SECRET_KEY
    assert "security.W018" in result.stderr  # DEBUG on


HEADERS_SCRIPT = """
import json
from django.conf import settings
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.test import Client
client = Client()
plain = client.get("/accounts/login/")
page = client.get("/accounts/login/", secure=True)
print(json.dumps({
    "redirect": [plain.status_code, plain.get("Location", "")],
    "status": page.status_code,
    "headers": dict(page.headers),
    "session_cookie": [settings.SESSION_COOKIE_SECURE, settings.SESSION_COOKIE_HTTPONLY],
    "cookies": {name: dict(morsel) for name, morsel in page.cookies.items()},
}))
"""


@pytest.fixture(scope="module")
def production_response(tmp_path_factory):
    """One production process: it migrates its database (in memory) and answers the requests."""
    tmp_path = tmp_path_factory.mktemp("deploy")
    result = manage(tmp_path, "shell", "-c", HEADERS_SCRIPT, database="sqlite://:memory:")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_plain_http_is_redirected_to_https(production_response):
    status, location = production_response["redirect"]
    assert status == 301
    assert location == "https://testserver/accounts/login/"


def test_hsts_frame_and_content_type_headers(production_response):
    headers = production_response["headers"]
    assert production_response["status"] == 200
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"


def test_csp_allows_scripts_only_from_self_and_the_page_nonce(production_response):
    policy = dict(
        directive.strip().split(" ", 1)
        for directive in production_response["headers"]["Content-Security-Policy"].split(";")
    )
    script_src = policy["script-src"].split()
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert script_src[0] == "'self'" and script_src[1].startswith("'nonce-")
    # Stylesheets: no 'unsafe-inline' either (plotly.js fills base.html's nonce'd <style>);
    # only style attributes, which cannot run script, stay allowed.
    assert policy["style-src"] == "'self'"
    style_elem = policy["style-src-elem"].split()
    assert "'unsafe-inline'" not in style_elem and style_elem[1].startswith("'nonce-")
    assert policy["default-src"] == "'self'"
    assert policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["base-uri"] == "'self'"


def test_session_and_csrf_cookies_are_secure(production_response):
    csrf = production_response["cookies"]["csrftoken"]
    assert csrf["secure"] is True
    assert csrf["samesite"] == "Lax"
    assert production_response["session_cookie"] == [True, True]  # secure, HttpOnly


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = production_env(tmp_path)
    del env["SECRET_KEY"]
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "SECRET_KEY" in lines[0] and "DEBUG" in lines[0]
    # The published local-development key never reaches a production process.
    assert "insecure-local-development-key" not in result.stdout + result.stderr


def test_a_debug_run_without_a_secret_key_still_starts(tmp_path):
    env = production_env(tmp_path)
    del env["SECRET_KEY"]
    env.update(DEBUG="1", SECURE_HTTPS="0")
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
