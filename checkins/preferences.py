"""Who wants which notification how. The in-app notification centre (recognition) and every email
this app sends ask `delivery_for` before notifying."""

from django.db import transaction

from goals_project.people.models import User

from .models import Delivery, NotificationKind, NotificationSettings

# A new user is told at once about what needs them, and gets the quieter kinds in the digest.
DEFAULT_DELIVERY: dict[str, str] = {
    NotificationKind.SUPPORT_REQUEST: Delivery.IMMEDIATE,
    NotificationKind.SUPPORT_UPDATE: Delivery.IMMEDIATE,
    NotificationKind.CHECKIN_REMINDER: Delivery.IMMEDIATE,
    NotificationKind.ACHIEVEMENT: Delivery.IMMEDIATE,
    NotificationKind.CELEBRATION: Delivery.DIGEST,
    NotificationKind.PERIOD_SUMMARY: Delivery.IMMEDIATE,
}
# A kind this app does not know yet (added elsewhere later) is delivered immediately.
FALLBACK_DELIVERY = Delivery.IMMEDIATE


def _settings_of(user: User) -> NotificationSettings | None:
    try:
        return user.notification_settings
    except NotificationSettings.DoesNotExist:
        return None


def delivery_for(user: User, kind: str) -> str:
    """'immediate', 'digest' or 'off': how the user wants notifications of this kind.

    Reads the user's settings once per user object (Django caches the reverse one-to-one)."""
    chosen = _settings_of(user)
    if chosen is not None and chosen.deliveries.get(kind) in Delivery.values:
        return chosen.deliveries[kind]
    return DEFAULT_DELIVERY.get(kind, FALLBACK_DELIVERY)


def wants_digest(user: User) -> bool:
    """Whether the weekly digest email is on for the user (on unless turned off)."""
    chosen = _settings_of(user)
    return chosen.weekly_digest if chosen is not None else True


def deliveries_of(user: User) -> dict[str, str]:
    """Every kind with the user's current choice (defaults filled in), in display order."""
    return {kind: delivery_for(user, kind) for kind in NotificationKind.values}


@transaction.atomic
def notification_settings_update(
    *, user: User, weekly_digest: bool, deliveries: dict[str, str]
) -> NotificationSettings:
    """Save the user's choices; an unknown kind or delivery is a ValueError naming it."""
    for kind, delivery in deliveries.items():
        if kind not in NotificationKind.values:
            raise ValueError(f"Unknown notification kind {kind!r}.")
        if delivery not in Delivery.values:
            raise ValueError(f"{kind}: unknown delivery {delivery!r} (immediate, digest or off).")
    chosen, _ = NotificationSettings.objects.update_or_create(
        user=user, defaults={"weekly_digest": weekly_digest, "deliveries": dict(deliveries)}
    )
    user.notification_settings = chosen
    return chosen
