"""Every write of the checkins app: check-ins, support requests and blocker acknowledgements."""

from collections.abc import Collection
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from goals.models import Goal
from goals_project.people.models import Membership, User
from goals_project.people.selectors import team_leads

from . import notify
from .access import CHECK_IN_DENIED, HELP_DENIED, can_check_in
from .goal_progress import manual_fields_refused, record_manual_progress, value_refused
from .models import NOTE_MAX_LENGTH, CheckIn, SupportRequest
from .weeks import current_week_start

CONFIDENCE_CHOICES = range(1, 6)


def _check_length(errors: dict[str, str], field: str, label: str, text: str) -> None:
    if len(text) > NOTE_MAX_LENGTH:
        errors[field] = f"{label} can be at most {NOTE_MAX_LENGTH} characters (it has {len(text)})."


def _parse_confidence(confidence: object) -> int | None:
    text = str(confidence).strip()
    if not text.isdigit() or int(text) not in CONFIDENCE_CHOICES:
        return None
    return int(text)


def support_addressee_choices(goal: Goal, requester: User) -> list[User]:
    """Teammates a request on this goal may be addressed to instead of the team's leads."""
    return list(
        User.objects.filter(membership__team_id=goal.team_id, is_active=True)
        .exclude(pk=requester.pk)
        .order_by("name", "email")
    )


def _validate_support_request(
    errors: dict[str, str], *, goal: Goal, requester: User, message: str, addressee: User | None
) -> None:
    _check_length(errors, "support_message", "The support request", message)
    if addressee is not None:
        is_teammate = Membership.objects.filter(user=addressee, team_id=goal.team_id).exists()
        if addressee.pk == requester.pk or not is_teammate or not addressee.is_active:
            errors["support_addressee"] = "Ask one of the goal team's members, not yourself."
    elif not team_leads(goal.team).exclude(pk=requester.pk).exists():
        errors["support_addressee"] = "The team has no other lead: choose a teammate to ask."


@transaction.atomic
def checkin_submit(
    *,
    goal: Goal,
    user: User,
    confidence: object,
    note: str = "",
    blockers: str = "",
    value: Decimal | None = None,
    tasks_done: int | None = None,
    milestone_ids: Collection[int] = (),
    support_message: str = "",
    support_addressee: User | None = None,
    now: datetime | None = None,
) -> tuple[CheckIn, bool]:
    """Create or update the user's check-in on the goal for the current ISO week.

    Returns (check-in, created). Manual goals also get their new value, tasks done or ticked
    milestones through the goals services; a support message opens a support request. Invalid
    input raises ValidationError naming each field, and nothing is saved."""
    note, blockers, support_message = note.strip(), blockers.strip(), support_message.strip()
    errors: dict[str, str] = {}
    if not can_check_in(user, goal):
        errors["goal"] = CHECK_IN_DENIED
    parsed_confidence = _parse_confidence(confidence)
    if parsed_confidence is None:
        errors["confidence"] = "Confidence must be a whole number from 1 to 5."
    _check_length(errors, "note", "The progress note", note)
    _check_length(errors, "blockers", "Blockers", blockers)
    given = {
        "value": value is not None,
        "tasks_done": tasks_done is not None,
        "milestones": bool(milestone_ids),
    }
    refused = manual_fields_refused(goal)
    errors.update(
        {name: refused[name] for name, is_given in given.items() if is_given and name in refused}
    )
    if value is not None and "value" not in errors:
        refusal = value_refused(goal, value)
        if refusal:
            errors["value"] = refusal
    if tasks_done is not None and "tasks_done" not in errors and tasks_done < 0:
        errors["tasks_done"] = "Tasks done cannot be negative."
    milestones = []
    if milestone_ids and "milestones" not in errors:
        milestones = list(goal.milestones.filter(pk__in=milestone_ids, done_at__isnull=True))
        known = set(goal.milestones.filter(pk__in=milestone_ids).values_list("pk", flat=True))
        if known != set(milestone_ids):
            errors["milestones"] = "One of the ticked milestones is not part of this goal."
    if support_message:
        _validate_support_request(
            errors, goal=goal, requester=user, message=support_message, addressee=support_addressee
        )
    if errors:
        raise ValidationError(errors)

    week_start = current_week_start(now)
    previous = (
        CheckIn.objects.select_for_update()
        .filter(goal=goal, user=user, week_start=week_start)
        .order_by()
        .first()
    )
    checkin, created = CheckIn.objects.update_or_create(
        goal=goal,
        user=user,
        week_start=week_start,
        defaults={
            "note": note,
            "confidence": parsed_confidence,
            "blockers": blockers,
            "value": value if value is not None else getattr(previous, "value", None),
            "tasks_done": tasks_done
            if tasks_done is not None
            else getattr(previous, "tasks_done", None),
        },
    )
    # A changed blocker is news again for the lead's queue.
    if previous is not None and previous.blockers != blockers and previous.blocker_acknowledged_at:
        checkin.blocker_acknowledged_at = None
        checkin.blocker_acknowledged_by = None
        checkin.save(update_fields=["blocker_acknowledged_at", "blocker_acknowledged_by"])

    # Saving the same check-in twice must not add a second manual entry with the same number.
    value_changed = value is not None and (previous is None or previous.value != value)
    tasks_changed = tasks_done is not None and (
        previous is None or previous.tasks_done != tasks_done
    )
    if value_changed or tasks_changed or milestones:
        record_manual_progress(
            goal=goal,
            by=user,
            value=value if value_changed else None,
            tasks_done=tasks_done if tasks_changed else None,
            milestones=milestones,
            note=note,
        )
    if support_message:
        support_request_open(
            goal=goal,
            requester=user,
            message=support_message,
            addressee=support_addressee,
            checkin=checkin,
        )
    transaction.on_commit(lambda: notify.checkin_submitted(checkin))
    return checkin, created


@transaction.atomic
def support_request_open(
    *,
    goal: Goal,
    requester: User,
    message: str,
    addressee: User | None = None,
    checkin: CheckIn | None = None,
) -> SupportRequest:
    """Ask for help on a goal: addressed to the goal team's leads, or to a chosen teammate.
    The addressees are told in-app (signal) and by email per their preferences, after commit."""
    message = message.strip()
    errors: dict[str, str] = {}
    if not message:
        errors["support_message"] = "Say what you need help with."
    if not can_check_in(requester, goal):
        errors["goal"] = HELP_DENIED
    _validate_support_request(
        errors, goal=goal, requester=requester, message=message, addressee=addressee
    )
    if errors:
        raise ValidationError(errors)
    support_request = SupportRequest.objects.create(
        goal=goal, requester=requester, addressee=addressee, message=message, checkin=checkin
    )
    transaction.on_commit(lambda: notify.support_request_opened(support_request))
    return support_request


def _transition(
    support_request: SupportRequest,
    *,
    allowed_from: Collection[str],
    changes: dict,
    by: User,
) -> SupportRequest:
    """Move the request on with a conditional UPDATE, so two clicks or two leads at once change
    it once; a request already past the step is left as it is."""
    old_status = support_request.status
    updated = SupportRequest.objects.filter(
        pk=support_request.pk, status__in=list(allowed_from)
    ).update(**changes)
    support_request.refresh_from_db()
    if updated:
        new_status = support_request.status
        transaction.on_commit(
            lambda: notify.support_request_changed(
                support_request, old_status=old_status, new_status=new_status, by=by
            )
        )
    return support_request


@transaction.atomic
def support_request_acknowledge(*, support_request: SupportRequest, by: User) -> SupportRequest:
    """Tell the requester their request has been seen (open -> acknowledged)."""
    return _transition(
        support_request,
        allowed_from=[SupportRequest.Status.OPEN],
        changes={"status": SupportRequest.Status.ACKNOWLEDGED, "acknowledged_at": timezone.now()},
        by=by,
    )


@transaction.atomic
def support_request_reply(
    *, support_request: SupportRequest, by: User, reply: str
) -> SupportRequest:
    """Answer a request; an open request becomes acknowledged. A resolved one takes no reply."""
    reply = reply.strip()
    if not reply:
        raise ValidationError({"reply": "Write a reply first."})
    if len(reply) > NOTE_MAX_LENGTH:
        raise ValidationError(
            {"reply": f"A reply can be at most {NOTE_MAX_LENGTH} characters (it has {len(reply)})."}
        )
    if support_request.status == SupportRequest.Status.RESOLVED:
        raise ValidationError({"reply": "This request is already resolved."})
    now = timezone.now()
    changes = {"reply": reply, "replied_by": by, "status": SupportRequest.Status.ACKNOWLEDGED}
    if support_request.acknowledged_at is None:
        changes["acknowledged_at"] = now
    return _transition(
        support_request,
        allowed_from=[SupportRequest.Status.OPEN, SupportRequest.Status.ACKNOWLEDGED],
        changes=changes,
        by=by,
    )


@transaction.atomic
def support_request_resolve(
    *, support_request: SupportRequest, by: User, reply: str = ""
) -> SupportRequest:
    """Close a request, optionally with a last reply."""
    reply = reply.strip()
    if len(reply) > NOTE_MAX_LENGTH:
        raise ValidationError(
            {"reply": f"A reply can be at most {NOTE_MAX_LENGTH} characters (it has {len(reply)})."}
        )
    changes: dict = {
        "status": SupportRequest.Status.RESOLVED,
        "resolved_at": timezone.now(),
        "resolved_by": by,
    }
    if reply:
        changes.update(reply=reply, replied_by=by)
    return _transition(
        support_request,
        allowed_from=[SupportRequest.Status.OPEN, SupportRequest.Status.ACKNOWLEDGED],
        changes=changes,
        by=by,
    )


SUPPORT_STEPS = ("acknowledge", "reply", "resolve")


def support_request_step(
    *, support_request: SupportRequest, by: User, step: str, reply: str = ""
) -> SupportRequest:
    """One of the queue's one-click actions by name (acknowledge, reply, resolve)."""
    if step == "acknowledge":
        return support_request_acknowledge(support_request=support_request, by=by)
    if step == "reply":
        return support_request_reply(support_request=support_request, by=by, reply=reply)
    if step == "resolve":
        return support_request_resolve(support_request=support_request, by=by, reply=reply)
    raise ValueError(f"Unknown support request step {step!r}: use one of {SUPPORT_STEPS}.")


def blocker_acknowledge(*, checkin: CheckIn, by: User) -> CheckIn:
    """Take a blocker off the lead's queue (once; a second click changes nothing)."""
    CheckIn.objects.filter(pk=checkin.pk, blocker_acknowledged_at__isnull=True).update(
        blocker_acknowledged_at=timezone.now(), blocker_acknowledged_by=by
    )
    checkin.refresh_from_db()
    return checkin
