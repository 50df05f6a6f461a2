"""Helpers for the emails notifications send."""

from django.conf import settings


def absolute_url(path: str) -> str:
    """A site path made absolute (SITE_URL); a full address is kept as it is."""
    return f"{settings.SITE_URL.rstrip('/')}{path}" if path.startswith("/") else path


def one_line(text: str) -> str:
    """A header value (an email subject) on one line, whatever the text it comes from holds."""
    return " ".join(text.split())
