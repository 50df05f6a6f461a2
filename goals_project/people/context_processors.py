from django.http import HttpRequest

from .selectors import membership_of


def navigation(request: HttpRequest) -> dict:
    """What the navigation bar needs: the signed-in user's membership (team and role)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav_membership": membership_of(user)}
