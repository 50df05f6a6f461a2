"""Conditional GET for the dashboards' live data: an ETag per version, 304 when unchanged."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import quote_etag


def not_modified_since(request: HttpRequest, etag: str) -> HttpResponse | None:
    """304 Not Modified when the client's If-None-Match names this version; else None."""
    return conditional(get_conditional_response(request, etag=quote_etag(etag)), etag)


def conditional(response: HttpResponse | None, etag: str) -> HttpResponse | None:
    """Mark a response as `etag`'s version, which the client must check before reusing it (a
    poll then sends If-None-Match, and gets 304 while nothing changed). Returns the response."""
    if response is not None:
        response.headers["ETag"] = quote_etag(etag)
        patch_cache_control(response, private=True, no_cache=True)
        patch_vary_headers(response, ["HX-Request"])
    return response
