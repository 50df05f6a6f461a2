"""The demo organisation's people: three CS teams, their leads and CSMs, and one admin."""

from django.db import transaction

from .models import Membership, User
from .selectors import membership_of
from .services import membership_set, team_get_or_create, user_upsert

DEMO_PASSWORD = "demo"
DEMO_ADMIN = ("admin@goalpost.example", "Avery Admin")
DEMO_TEAMS: dict[str, list[tuple[str, str, str]]] = {
    "Enterprise": [
        ("elena.lead@goalpost.example", "Elena Lead", Membership.Role.LEAD),
        ("ana.ruiz@goalpost.example", "Ana Ruiz", Membership.Role.MEMBER),
        ("ben.okafor@goalpost.example", "Ben Okafor", Membership.Role.MEMBER),
        ("chloe.martin@goalpost.example", "Chloe Martin", Membership.Role.MEMBER),
        ("dev.patel@goalpost.example", "Dev Patel", Membership.Role.MEMBER),
        ("emma.schulz@goalpost.example", "Emma Schulz", Membership.Role.MEMBER),
    ],
    "Mid-Market": [
        ("marcus.lead@goalpost.example", "Marcus Lead", Membership.Role.LEAD),
        ("fatima.ali@goalpost.example", "Fatima Ali", Membership.Role.MEMBER),
        ("george.kim@goalpost.example", "George Kim", Membership.Role.MEMBER),
        ("hana.sato@goalpost.example", "Hana Sato", Membership.Role.MEMBER),
        ("ivan.petrov@goalpost.example", "Ivan Petrov", Membership.Role.MEMBER),
    ],
    "SMB": [
        ("sofia.lead@goalpost.example", "Sofia Lead", Membership.Role.LEAD),
        ("jamal.brown@goalpost.example", "Jamal Brown", Membership.Role.MEMBER),
        ("kira.novak@goalpost.example", "Kira Novak", Membership.Role.MEMBER),
        ("liam.walsh@goalpost.example", "Liam Walsh", Membership.Role.MEMBER),
        ("maya.cohen@goalpost.example", "Maya Cohen", Membership.Role.MEMBER),
    ],
}


def _ensure_user(email: str, name: str, **extra) -> User:
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        return user_upsert(email=email, name=name, password=DEMO_PASSWORD, **extra)
    return user


@transaction.atomic
def seed_people() -> list[tuple[str, str]]:
    """Create the demo people once; returns (email, description) for every demo login."""
    logins = []
    _ensure_user(DEMO_ADMIN[0], DEMO_ADMIN[1], is_staff=True, is_superuser=True)
    logins.append((DEMO_ADMIN[0], "admin (Django admin, sees everything)"))
    for team_name, people in DEMO_TEAMS.items():
        team = team_get_or_create(name=team_name)
        for email, name, role in people:
            user = _ensure_user(email, name)
            if membership_of(user) is None:
                membership_set(user=user, team=team, role=role)
            logins.append((email, f"{team_name} {Membership.Role(role).label.lower()}"))
    return logins
