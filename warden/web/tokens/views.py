"""The API token pages: list, create (shown once), revoke. The same services as `warden token`."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from warden.accounts.decorators import require_reauth
from warden.accounts.models import User
from warden.accounts.twofactor.policy import require_two_factor
from warden.audit.origin import Origin
from warden.packaging.authorize import upload_token_mint
from warden.tokens.caveats import ProjectName, TokenError, caveat_parse
from warden.tokens.models import Token
from warden.tokens.services import token_list, token_revoke
from warden.web.tokens.forms import TokenCreateForm

REPOSITORY_NAME = "warden"


@dataclass(frozen=True)
class TokenRow:
    token: Token
    projects: list[str] | None  # None: every project of the user
    expired: bool


def _token_projects(token: Token) -> list[str] | None:
    """The project names a token is scoped to, from the caveats stored for display."""
    names: list[str] | None = None
    for item in token.caveats:
        try:
            caveat = caveat_parse(json.dumps(item))
        except TokenError:
            continue
        if isinstance(caveat, ProjectName):
            names = list(caveat.normalized_names)
    return names


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # login_required let the request through
    return user


# Listing needs a second factor too, though it changes nothing: it is where "Create a token"
# starts, so a user without one learns there why, instead of halfway through creating one.
# Revoking stays open to everyone (below): taking a token away must never be blocked.
@login_required
@require_two_factor
@require_GET
def token_list_view(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    rows = [TokenRow(token=token, projects=_token_projects(token),
                     expired=token.expires is not None and token.expires <= now)
            for token in token_list(user=_user(request))]
    return render(request, "tokens/list.html", {"rows": rows})


def _pypirc(*, repository_url: str, raw: str) -> str:
    return (f"[distutils]\nindex-servers =\n    {REPOSITORY_NAME}\n\n"
            f"[{REPOSITORY_NAME}]\nrepository = {repository_url}\n"
            f"username = __token__\npassword = {raw}\n")


def _created(request: HttpRequest, *, token: Token, raw: str) -> HttpResponse:
    # The token exists only in this response: it is never stored (not even in the session)
    # nor put in a URL, and no cache may keep the page.
    repository_url = request.build_absolute_uri(reverse("upload"))
    response = render(request, "tokens/created.html", {
        "token": token,
        "projects": _token_projects(token),
        "raw": raw,
        "pypirc": _pypirc(repository_url=repository_url, raw=raw),
        "twine_command": f"twine upload --repository {REPOSITORY_NAME} dist/*",
    })
    add_never_cache_headers(response)
    return response


# A stolen password alone must not mint a token (which would then upload without it).
@login_required
@require_two_factor
@require_reauth
@require_http_methods(["GET", "POST"])
def token_create_view(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = TokenCreateForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        project = form.cleaned_data["project"]
        expires: datetime | None = form.cleaned_data["expires"]
        try:
            token, raw = upload_token_mint(
                user=user, description=form.cleaned_data["description"],
                projects=[project] if project else [], expires=expires,
                origin=Origin.from_request(request))
        except TokenError as exc:
            form.add_error(None, exc.message)
        else:
            return _created(request, token=token, raw=raw)
    return render(request, "tokens/create.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def token_revoke_view(request: HttpRequest, token_id: uuid.UUID) -> HttpResponse:
    # Only the owner's own tokens exist here; anyone else's id is "not found".
    token = get_object_or_404(Token, pk=token_id, user=_user(request))
    if request.method == "POST":
        if token.revoked is None:
            token_revoke(token=token, origin=Origin.from_request(request))
            messages.success(request, _("The token “%(description)s” was revoked; it no "
                                        "longer works.") % {"description": token.description})
        else:
            messages.info(request, _("The token “%(description)s” was already revoked.")
                          % {"description": token.description})
        return redirect("manage-tokens")
    return render(request, "tokens/revoke.html", {"token": token,
                                                  "projects": _token_projects(token)})
