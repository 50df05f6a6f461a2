"""Every write about people and teams."""

from django.core.exceptions import ValidationError
from django.db import transaction

from .models import Membership, Team, User


@transaction.atomic
def user_upsert(*, email: str, name: str = "", password: str | None = None, **extra) -> User:
    """Create or update a user by email (any case); a new user without a password cannot log in."""
    email = User.objects.normalize_email(email).strip().lower()
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=password, name=name, **extra)
        if password is None:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        return user
    changed = []
    if name and user.name != name:
        user.name = name
        changed.append("name")
    for field, value in extra.items():
        if getattr(user, field) != value:
            setattr(user, field, value)
            changed.append(field)
    if changed:
        user.save(update_fields=changed)
    return user


def team_get_or_create(*, name: str) -> Team:
    name = name.strip()
    if not name:
        raise ValidationError({"name": "A team needs a name."})
    team = Team.objects.filter(name__iexact=name).first()
    return team or Team.objects.create(name=name)


@transaction.atomic
def membership_set(*, user: User, team: Team, role: str = Membership.Role.MEMBER) -> Membership:
    """Put the user on the team with the role, moving them off any other team."""
    if role not in Membership.Role.values:
        raise ValidationError({"role": f"Unknown role {role!r}: use member or lead."})
    membership, _ = Membership.objects.update_or_create(
        user=user, defaults={"team": team, "role": role}
    )
    return membership
