"""What happens after a check-in or support request is committed: the app's signals (the in-app
notification centre listens) and the immediate emails the recipients asked for."""

import logging

from django.urls import reverse
from django.utils import timezone

from goals.access import can_view_goal
from goals.mentions import mention
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


def _send_email(support_request: SupportRequest, recipient: User, template: str, by=None) -> None:
    """Queue the email (a task retried with backoff; its last failure is recorded on the
    request, where admins see it). Sending errors never undo or fail the request itself."""
    from .tasks import support_email_send

    try:
        support_email_send.delay(
            support_request_id=support_request.pk,
            recipient_id=recipient.pk,
            template=template,
            by_id=by.pk if by is not None else None,
        )
    except Exception:
        logger.exception("Could not email %s (%s)", recipient.email, template)


def support_email(
    *, support_request_id: int, recipient_id: int, template: str, by_id: int | None = None
) -> None:
    """Send one support-request email, naming the goal as the recipient may read it."""
    support_request = SupportRequest.objects.select_related("goal", "requester").get(
        pk=support_request_id
    )
    recipient = User.objects.get(pk=recipient_id)
    goal = support_request.goal
    context = {
        "support_request": support_request,
        "goal": goal,
        "goal_label": mention(goal, visible=can_view_goal(recipient, goal)),
        "by": User.objects.filter(pk=by_id).first() if by_id else None,
        "queue_url": absolute_url(reverse("checkins:attention")),
        "checkin_url": absolute_url(reverse("checkins:week")),
    }
    build_email(to=recipient, template=template, context=context).send()


def support_email_failed(*, support_request_id: int, recipient_id: int, error: BaseException):
    """The retries are spent: record it on the request (Django admin, "email failed")."""
    recipient = User.objects.filter(pk=recipient_id).first()
    SupportRequest.objects.filter(pk=support_request_id).update(
        email_failed_at=timezone.now(),
        email_error=f"To {recipient.email if recipient else recipient_id}: "
        f"{type(error).__name__}: {error}"[:1000],
    )


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
    for recipient in support_request_recipients(support_request):
        if delivery_for(recipient, NotificationKind.SUPPORT_REQUEST) == Delivery.IMMEDIATE:
            _send_email(support_request, recipient, "support_request")


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
        _send_email(support_request, requester, "support_update", by=by)
