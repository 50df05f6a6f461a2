"""What happens after a check-in or support request is committed: the app's signals, and the
notifications of a support request (in the centre, and emailed to who wants it at once)."""

import logging

from django.core.mail import EmailMessage
from django.urls import reverse
from django.utils import timezone

from goals.mentions import mention, named, unnamed
from goals_project.people.models import User
from goals_project.people.selectors import team_leads
from notifications import kinds
from notifications.models import Notification
from notifications.services import notify

from . import signals
from .emails import absolute_url, build_email
from .models import CheckIn, SupportRequest

logger = logging.getLogger(__name__)

# The kinds of notification this app sends (registered in CheckinsConfig.ready).
SUPPORT_REQUEST = "support_request"
SUPPORT_UPDATE = "support_update"
CHECKIN_REMINDER = "checkin_reminder"


def register_kinds() -> None:
    # Support requests are reported in the digest's own section (checkins.digest), so they
    # are not listed again under its Notifications.
    kinds.register(
        SUPPORT_REQUEST,
        label="Support request",
        preference="Support requests addressed to me",
        in_digest=False,
        email=support_email,
        email_failed=support_email_failed,
    )
    kinds.register(
        SUPPORT_UPDATE,
        label="Support request update",
        preference="Replies to my support requests",
        in_digest=False,
        email=support_email,
        email_failed=support_email_failed,
    )
    # The reminder is an email of the weekly jobs (checkins.digest), never a notification.
    kinds.register(
        CHECKIN_REMINDER,
        label="Check-in reminder",
        preference="Friday check-in reminder",
        in_app=False,
    )


def _send_signal(signal, sender, **kwargs) -> None:
    # A listener's failure (another app) must not undo or fail a check-in that is already saved.
    for receiver, result in signal.send_robust(sender=sender, **kwargs):
        if isinstance(result, Exception):
            logger.error("Signal receiver %r failed", receiver, exc_info=result)


def support_email(notification: Notification) -> EmailMessage:
    """A support request's email (support_request or support_update templates), naming the
    goal as its recipient may read it."""
    support_request = SupportRequest.objects.select_related("goal", "requester").get(
        pk=notification.data["support_request_id"]
    )
    by_id = notification.data.get("by_id")
    context = {
        "support_request": support_request,
        "goal": support_request.goal,
        "goal_label": mention(support_request.goal, visible=notification.goal_visible),
        "by": User.objects.filter(pk=by_id).first() if by_id else None,
        "queue_url": absolute_url(reverse("checkins:attention")),
        "checkin_url": absolute_url(reverse("checkins:week")),
    }
    return build_email(to=notification.user, template=notification.kind, context=context)


def support_email_failed(notification: Notification, error: BaseException) -> None:
    """The retries are spent: record it on the request too (Django admin, "email failed")."""
    SupportRequest.objects.filter(pk=notification.data.get("support_request_id")).update(
        email_failed_at=timezone.now(),
        email_error=f"To {notification.user.email}: {type(error).__name__}: {error}"[:1000],
    )


def support_request_recipients(support_request: SupportRequest) -> list[User]:
    """Who receives a support request: the chosen teammate, or every lead of the goal's team
    (never the requester)."""
    if support_request.addressee_id:
        return [support_request.addressee]
    leads = team_leads(support_request.goal.team).select_related("notification_settings")
    return [lead for lead in leads if lead.pk != support_request.requester_id]


def checkin_submitted(checkin: CheckIn) -> None:
    _send_signal(signals.checkin_submitted, CheckIn, checkin=checkin)


def support_request_opened(support_request: SupportRequest) -> None:
    _send_signal(signals.support_request_opened, SupportRequest, support_request=support_request)
    goal = support_request.goal
    asked = f"{support_request.requester.get_full_name()} asked for help on"
    notify(
        users=support_request_recipients(support_request),
        kind=SUPPORT_REQUEST,
        title=f"{asked} {named(goal)}",
        body=support_request.message[:300],
        goal=goal,
        neutral_title=f"{asked} {unnamed(goal)}",
        neutral_body=support_request.message[:300],
        url=reverse("checkins:attention"),
        data={"support_request_id": support_request.pk},
    )


def support_request_changed(
    support_request: SupportRequest, *, old_status: str, new_status: str, by: User
) -> None:
    _send_signal(
        signals.support_request_changed,
        SupportRequest,
        support_request=support_request,
        old_status=old_status,
        new_status=new_status,
    )
    if by.pk == support_request.requester_id:
        return
    verb = {
        SupportRequest.Status.RESOLVED: "was resolved",
        SupportRequest.Status.ACKNOWLEDGED: "was answered",
    }.get(new_status, "changed")
    goal = support_request.goal
    notify(
        users=[support_request.requester],
        kind=SUPPORT_UPDATE,
        title=f"Your request for help on {named(goal)} {verb}",
        body=support_request.reply[:300],
        goal=goal,
        neutral_title=f"Your request for help on {unnamed(goal)} {verb}",
        neutral_body=support_request.reply[:300],
        url=reverse("checkins:week"),
        data={"support_request_id": support_request.pk, "by_id": by.pk},
    )
