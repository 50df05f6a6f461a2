"""Thin views: the notification centre (list, bell, mark read) and the preferences page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET, require_POST

from goals_project.people.selectors import membership_of

from . import preferences, selectors, services
from .forms import NotificationSettingsForm

NOTIFICATIONS_PER_PAGE = 30


def _changed(response: HttpResponse) -> HttpResponse:
    # The bell listens for this event and reloads its count.
    response["HX-Trigger"] = "notifications-changed"
    return response


@login_required
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    """The notification centre: newest first, unread ones marked."""
    page = Paginator(selectors.notifications_for(request.user), NOTIFICATIONS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {"page": page, "unread": selectors.unread_count(request.user)}
    return render(request, "notifications/notifications.html", context)


@login_required
@require_GET
def notification_bell(request: HttpRequest) -> HttpResponse:
    """The unread count next to the bell (loaded and refreshed by htmx)."""
    count = selectors.unread_count(request.user)
    # Rendered without the request's context processors: the poll costs one query, the count.
    return HttpResponse(render_to_string("notifications/_bell.html#bell_count", {"unread": count}))


@login_required
@require_POST
def notification_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    services.mark_read(user=request.user, notification_id=notification_id)
    notification = selectors.notifications_for(request.user).filter(pk=notification_id).first()
    if notification is None:
        raise Http404("No such notification.")
    if request.htmx:
        return _changed(
            render(
                request,
                "notifications/notifications.html#notification_row",
                {"notification": notification},
            )
        )
    return redirect("notifications:list")


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    changed = services.mark_all_read(user=request.user)
    if request.htmx:
        page = Paginator(selectors.notifications_for(request.user), NOTIFICATIONS_PER_PAGE)
        return _changed(
            render(
                request,
                "notifications/notifications.html#notification_list",
                {"page": page.get_page(1), "unread": 0},
            )
        )
    messages.success(request, f"Marked {changed} notification{'s' if changed != 1 else ''} read.")
    return redirect("notifications:list")


@login_required
def notification_preferences(request: HttpRequest) -> HttpResponse:
    """Per kind: immediately, in the weekly digest only, or off; and the digest on or off."""
    form = NotificationSettingsForm(
        request.POST or None,
        deliveries=preferences.deliveries_of(request.user),
        weekly_digest=preferences.wants_digest(request.user),
    )
    if request.method == "POST" and form.is_valid():
        preferences.notification_settings_update(
            user=request.user,
            weekly_digest=form.cleaned_data["weekly_digest"],
            deliveries=form.deliveries(),
        )
        messages.success(request, "Notification preferences saved.")
        return redirect("notifications:preferences")
    return render(
        request,
        "notifications/preferences.html",
        {"form": form, "membership": membership_of(request.user)},
        status=400 if form.is_bound and form.errors else 200,
    )
