"""Personal API tokens: creation, revocation, and the DRF authentication that checks them."""

import datetime as dt
import hashlib
import secrets

from django.db import transaction
from django.utils import timezone
from rest_framework import authentication, exceptions

from .models import ApiToken, User

TOKEN_PREFIX = "gp_"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, user: User, name: str, scopes: list[str]) -> tuple[ApiToken, str]:
    """Create a token and return it with its secret, which is shown once and never stored."""
    unknown = set(scopes) - set(ApiToken.Scope.values)
    if unknown:
        raise ValueError(f"Unknown scope(s): {', '.join(sorted(unknown))}")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=secret[: len(TOKEN_PREFIX) + 8],
        key_hash=_hash(secret),
        scopes=sorted(set(scopes)),
    )
    return token, secret


def api_token_revoke(*, token: ApiToken) -> None:
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer gp_...`; `request.auth` is the ApiToken (its scopes are checked
    by the views' permission classes)."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if not header or header[0] not in (self.keyword, "Token"):
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                "Send the header as: Authorization: Bearer <token>."
            )
        token = (
            ApiToken.objects.select_related("user")
            .filter(key_hash=_hash(header[1]), revoked_at__isnull=True)
            .first()
        )
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed("This API token is unknown or revoked.")
        now = timezone.now()
        # Recorded to the minute, as the profile page shows it: a script calling many times a
        # minute costs no write per request.
        if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

    def authenticate_header(self, request):
        return self.keyword


def has_scope(request, scope: str) -> bool:
    """Session users act with every right their role gives; a token only with its scopes."""
    token = getattr(request, "auth", None)
    if isinstance(token, ApiToken):
        return scope in token.scopes
    return True
