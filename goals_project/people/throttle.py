"""Login throttling: one spelling of each account, and a ceiling per client address.

django-axes counts failed logins. It is given the account as the backend will look it up (the
email without surrounding spaces, in lower case), so `Liam.Walsh@...` and `liam.walsh@...` are
one account with one count, whichever form (site login, admin login) was used. An address that
has failed `LOGIN_ADDRESS_FAILURE_LIMIT` times across any accounts within the cool-off is locked
out as a whole, so spreading guesses over many accounts does not escape the per-account limit.
"""

from datetime import timedelta

from django.conf import settings
from django.db.models import Sum
from django.utils import timezone


def normalize_login(username: str | None) -> str:
    """The one spelling of a login: the email stripped of spaces and in lower case."""
    return (username or "").strip().lower()


def axes_username(request, credentials: dict | None = None) -> str:
    """AXES_USERNAME_CALLABLE: the normalised account from the credentials or the posted form."""
    field = settings.AXES_USERNAME_FORM_FIELD
    if credentials and credentials.get(field) is not None:
        return normalize_login(credentials[field])
    return normalize_login(request.POST.get(field) if request is not None else None)


def address_failures(ip_address: str) -> int:
    """Failed logins from the address within the cool-off, over every account."""
    from axes.models import AccessAttempt

    since = timezone.now() - timedelta(hours=settings.AXES_COOLOFF_TIME)
    failures = AccessAttempt.objects.filter(ip_address=ip_address, attempt_time__gte=since)
    return failures.aggregate(total=Sum("failures_since_start"))["total"] or 0


def axes_lockout_parameters(request_or_attempt, credentials: dict | None = None) -> list:
    """AXES_LOCKOUT_PARAMETERS: account and address together; the address alone as well once it
    has reached its own, higher, limit (its failures over all accounts then exceed the per-account
    limit, so axes locks the address out)."""
    parameters: list = [["username", "ip_address"]]
    ip_address = getattr(request_or_attempt, "axes_ip_address", None)
    if ip_address and address_failures(ip_address) >= settings.LOGIN_ADDRESS_FAILURE_LIMIT:
        parameters.append("ip_address")
    return parameters
