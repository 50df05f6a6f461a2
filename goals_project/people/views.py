from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.views.decorators.http import require_POST

from .forms import ApiTokenForm
from .models import ApiToken
from .selectors import membership_of
from .tokens import api_token_create, api_token_revoke


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The signed-in landing page: a lead's team dashboard, a member's own goals; a user on no
    team sees a welcome. (URL names only: people does not import the apps above it.)"""
    membership = membership_of(request.user)
    if membership is not None:
        if membership.is_lead:
            return redirect("team_dashboard", team_id=membership.team_id)
        return redirect("my_dashboard")
    return render(request, "people/home.html", {"membership": membership})


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    """Who you are, and your personal API tokens: create one (its secret is shown once, on the
    response to the form, and never again) and revoke them."""
    form = ApiTokenForm(request.POST or None)
    new_secret = None
    if request.method == "POST" and form.is_valid():
        token, new_secret = api_token_create(
            user=request.user, name=form.cleaned_data["name"], scopes=form.cleaned_data["scopes"]
        )
        form = ApiTokenForm()
    context = {
        "membership": membership_of(request.user),
        "form": form,
        "new_secret": new_secret,
        "tokens": ApiToken.objects.filter(user=request.user),
    }
    return render(request, "people/profile.html", context)


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    # Someone else's token is a 404, exactly like one that does not exist.
    token = get_object_or_404(ApiToken, pk=token_id, user=request.user)
    api_token_revoke(token=token)
    messages.success(request, f"The token “{token.name}” is revoked; it no longer works.")
    return redirect("profile")


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever a page links: send them to the real icon."""
    return redirect(static("favicon.svg"), permanent=True)
