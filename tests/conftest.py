"""Persona fixtures used by name across the suite."""

import datetime as dt
import os

import pytest

from goals_project.people.models import Membership

from .factories import GoalPeriodFactory, MembershipFactory, TeamFactory, UserFactory

PASSWORD = "correct horse battery"

# Processes the suite starts (a Celery worker, manage.py) run with DEBUG off, which refuses to
# start without a key; the test process itself is allowed the local one.
os.environ.setdefault("SECRET_KEY", "test-suite-only-" + "k" * 50)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Users are made and log in by the hundred: a cheap hasher keeps the suite fast (the
    browser journeys log in through the real form)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache: kept values are keyed by ids a test database may
    give again (SQLite reuses them after a rollback)."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def team(db):
    return TeamFactory(name="Enterprise")


@pytest.fixture
def other_team(db):
    return TeamFactory(name="SMB")


@pytest.fixture
def admin_user(db):
    return UserFactory(email="admin@example.com", name="Admin", is_staff=True, is_superuser=True)


@pytest.fixture
def lead(team):
    return MembershipFactory(
        team=team, role=Membership.Role.LEAD, user__email="lead@example.com", user__name="Lena Lead"
    ).user


@pytest.fixture
def member(team):
    return MembershipFactory(
        team=team, user__email="member@example.com", user__name="Mo Member"
    ).user


@pytest.fixture
def teammate(team):
    return MembershipFactory(team=team, user__email="mate@example.com", user__name="Tia Mate").user


@pytest.fixture
def other_member(other_team):
    return MembershipFactory(
        team=other_team, user__email="other@example.com", user__name="Otto Other"
    ).user


@pytest.fixture
def outsider(db):
    return UserFactory(email="outsider@example.com", name="Out Sider")


@pytest.fixture
def quarter(db):
    """The active Q4 2026 period the check-in and recognition tests plan their goals in."""
    return GoalPeriodFactory(
        name="Q4 2026", start=dt.date(2026, 10, 1), end=dt.date(2026, 12, 31), status="active"
    )
