"""Small pieces the management views share."""

from __future__ import annotations

from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from warden.accounts.models import User
from warden.packaging.models import Project


def request_user(request: HttpRequest) -> User:
    """The logged-in user; only for views behind `login_required`."""
    assert isinstance(request.user, User)
    return request.user


def confirm_page(request: HttpRequest, *, project: Project, title: str, text: str,
                 button: str, cancel: str, form: Form | None = None,
                 status: int = 200) -> HttpResponse:
    """A page that asks before a destructive change; its form posts back to this URL."""
    return render(request, "manage/confirm.html",
                  {"project": project, "title": title, "text": text, "button": button,
                   "cancel": cancel, "form": form, "action": request.path}, status=status)
