"""The kinds of notification, registered by the apps that send them.

Each feature app registers its kinds when it starts (in its AppConfig.ready) and then calls
`notifications.services.notify(kind=...)`. A kind says how it reads in the notification centre,
whether (and how) a user routes it on the preferences page, and, when the plain email is not
enough, how its email is written and what to record when that email fails for good.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.core.mail import EmailMessage

    from .models import Notification

IMMEDIATE, DIGEST, OFF = "immediate", "digest", "off"


@dataclass(frozen=True)
class Kind:
    key: str
    # What a notification of this kind is, in the centre and the admin ("Badge").
    label: str
    # Its line on the preferences page ("Achievements and badges"); empty when it is routed
    # with another kind's choice (`routed_with`) or has no in-app notification to route.
    preference: str = ""
    # Delivery for a user who never chose: immediate, digest or off.
    default: str = IMMEDIATE
    # The kind whose preference decides this one's delivery (badges go with achievements).
    routed_with: str = ""
    # False for a preference without in-app notifications (the check-in reminder email).
    in_app: bool = True
    # Whether "in the weekly digest only" lists it under the digest's Notifications; False when
    # the sending app reports it in its own digest section (support requests).
    in_digest: bool = True
    # The kind's own email (EmailMessage) for a notification; None sends the plain one.
    email: "Callable[[Notification], EmailMessage] | None" = None
    # Called once the email's retries are spent, besides recording it on the notification.
    email_failed: "Callable[[Notification, BaseException], None] | None" = None


_kinds: dict[str, Kind] = {}


def register(key: str, **options) -> Kind:
    """Register a kind (from the sending app's AppConfig.ready). Registering the same key again
    replaces it (a reloaded app); the order of registration is the preferences page's order."""
    if len(key) > 20:
        raise ValueError(f"Notification kind {key!r} is longer than 20 characters.")
    routed_with = options.get("routed_with", "")
    if routed_with and routed_with not in _kinds:
        raise ValueError(f"{key}: routed with {routed_with!r}, which is not registered yet.")
    if options.get("default", IMMEDIATE) not in (IMMEDIATE, DIGEST, OFF):
        raise ValueError(f"{key}: unknown default delivery {options['default']!r}.")
    kind = Kind(key=key, **options)
    _kinds[key] = kind
    return kind


def get(key: str) -> Kind | None:
    return _kinds.get(key)


def notification_kinds() -> list[Kind]:
    """Kinds that make in-app notifications, in registration order."""
    return [kind for kind in _kinds.values() if kind.in_app]


def preference_kinds() -> list[Kind]:
    """Kinds a user routes on the preferences page, in registration order."""
    return [kind for kind in _kinds.values() if kind.preference]


def preference_key(key: str) -> str:
    """The kind whose preference decides `key`'s delivery (itself unless routed with another)."""
    kind = _kinds.get(key)
    return kind.routed_with if kind is not None and kind.routed_with else key


def kind_choices() -> list[tuple[str, str]]:
    """Choices of Notification.kind (a callable, so migrations do not list the kinds)."""
    return [(kind.key, kind.label) for kind in notification_kinds()]
