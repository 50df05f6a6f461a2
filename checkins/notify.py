"""What happens after a check-in or support request is committed: the app's signals (the in-app
notification centre listens) and the immediate emails the recipients asked for."""

import logging

from django.urls import reverse

from goals_project.people.models import User
from goals_project.people.selectors import team_leads

from . import signals
from .emails import absolute_url, build_email
from .models import CheckIn, Delivery, NotificationKind, SupportRequest
from .preferences import delivery_for

logger = logging.getLogger(__name__)


def _send_signal(signal, sender, **kwargs) -> None:
    # A listener's failure (another app) must not undo or fail a check-in that is already saved.
    for receiver, result in signal.send_robust(sender=sender, **kwargs):
        if isinstance(result, Exception):
            logger.error("Signal receiver %r failed", receiver, exc_info=result)


def _send_email(recipient: User, template: str, context: dict) -> None:
    try:
        build_email(to=recipient, template=template, context=context).send()
    except Exception:
        # The request itself is saved and visible in the queue; a mail outage only loses the ping.
        logger.exception("Could not email %s (%s)", recipient.email, template)


def support_request_recipients(support_request: SupportRequest) -> list[User]:
    """The chosen teammate, or every lead of the goal's team (never the requester)."""
    if support_request.addressee_id:
        return [support_request.addressee]
    leads = team_leads(support_request.goal.team).select_related("notification_settings")
    return [lead for lead in leads if lead.pk != support_request.requester_id]


def checkin_submitted(checkin: CheckIn) -> None:
    _send_signal(signals.checkin_submitted, CheckIn, checkin=checkin)


def support_request_opened(support_request: SupportRequest) -> None:
    _send_signal(signals.support_request_opened, SupportRequest, support_request=support_request)
    context = {
        "support_request": support_request,
        "goal": support_request.goal,
        "queue_url": absolute_url(reverse("checkins:attention")),
    }
    for recipient in support_request_recipients(support_request):
        if delivery_for(recipient, NotificationKind.SUPPORT_REQUEST) == Delivery.IMMEDIATE:
            _send_email(recipient, "support_request", context)


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
    requester = support_request.requester
    if by.pk == requester.pk:
        return
    if delivery_for(requester, NotificationKind.SUPPORT_UPDATE) == Delivery.IMMEDIATE:
        context = {
            "support_request": support_request,
            "goal": support_request.goal,
            "by": by,
            "checkin_url": absolute_url(reverse("checkins:week")),
        }
        _send_email(requester, "support_update", context)
