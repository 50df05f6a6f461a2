"""Who wants which notification how. notify() and every email a feature app sends itself (the
weekly reminder) ask `delivery_for` first."""

from django.db import transaction

from goals_project.people.models import User

from . import kinds
from .models import Delivery, NotificationSettings

# A kind nobody registered (yet) is delivered immediately.
FALLBACK_DELIVERY = Delivery.IMMEDIATE


def _settings_of(user: User) -> NotificationSettings | None:
    try:
        return user.notification_settings
    except NotificationSettings.DoesNotExist:
        return None


def delivery_for(user: User, kind: str) -> str:
    """'immediate', 'digest' or 'off': how the user wants notifications of this kind (a kind
    routed with another follows that one's choice).

    Reads the user's settings once per user object (Django caches the reverse one-to-one)."""
    key = kinds.preference_key(kind)
    chosen = _settings_of(user)
    if chosen is not None and chosen.deliveries.get(key) in Delivery.values:
        return chosen.deliveries[key]
    registered = kinds.get(key)
    return registered.default if registered is not None else FALLBACK_DELIVERY


def wants_digest(user: User) -> bool:
    """Whether the weekly digest email is on for the user (on unless turned off)."""
    chosen = _settings_of(user)
    return chosen.weekly_digest if chosen is not None else True


def deliveries_of(user: User) -> dict[str, str]:
    """Every kind on the preferences page with the user's current choice, in display order."""
    return {kind.key: delivery_for(user, kind.key) for kind in kinds.preference_kinds()}


@transaction.atomic
def notification_settings_update(
    *, user: User, weekly_digest: bool, deliveries: dict[str, str]
) -> NotificationSettings:
    """Save the user's choices; an unknown kind or delivery is a ValueError naming it."""
    known = {kind.key for kind in kinds.preference_kinds()}
    for kind, delivery in deliveries.items():
        if kind not in known:
            raise ValueError(f"Unknown notification kind {kind!r}.")
        if delivery not in Delivery.values:
            raise ValueError(f"{kind}: unknown delivery {delivery!r} (immediate, digest or off).")
    chosen, _ = NotificationSettings.objects.update_or_create(
        user=user, defaults={"weekly_digest": weekly_digest, "deliveries": dict(deliveries)}
    )
    user.notification_settings = chosen
    return chosen
