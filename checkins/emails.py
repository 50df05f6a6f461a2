"""Emails this app sends, each with a plain-text and an HTML part rendered from templates."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from goals_project.people.models import User


def absolute_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def build_email(*, to: User, template: str, context: dict) -> EmailMultiAlternatives:
    """`checkins/email/<template>_subject.txt`, `.txt` and `.html` make one message."""
    context = {**context, "recipient": to, "site_url": settings.SITE_URL.rstrip("/")}
    subject = " ".join(render_to_string(f"checkins/email/{template}_subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"checkins/email/{template}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to.email],
    )
    message.attach_alternative(
        render_to_string(f"checkins/email/{template}.html", context), "text/html"
    )
    return message
