"""A signed-out htmx request goes to the login page as a whole page.

A part of a page that refreshes itself (the team dashboard's poll, the attention queue's
summary) can ask after the session has ended: signed out in another tab, or expired. Django's
login redirect would then be followed by the browser and the login form swapped into that part
of the old page. Instead the answer tells htmx to load the login page as the whole page
(`HX-Redirect`), to come back to the page the request came from (not to the part it asked for).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django_htmx.http import HttpResponseClientRedirect


class HtmxLoginRedirectMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            getattr(request, "htmx", False)
            and response.status_code == 302
            and response.get("Location", "").startswith(resolve_url(settings.LOGIN_URL))
        ):
            page = request.htmx.current_url_abs_path or request.get_full_path()
            return HttpResponseClientRedirect(redirect_to_login(page)["Location"])
        return response
