"""Our own error pages, in our layout, with the right status codes."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _


def _page(request: HttpRequest, status: int, title: str, text: str) -> HttpResponse:
    body: str
    try:
        body = render_to_string("web/error.html", {"title": title, "text": text,
                                                   "status": status}, request=request)
    except Exception:  # an error page must never fail itself
        body = f"<!DOCTYPE html><title>{status}</title><h1>{status}</h1>"
    return HttpResponse(body, status=status)


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, 403, _("Access denied"),
                 _("You do not have permission to see this page."))


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, 404, _("Page not found"),
                 _("There is nothing at this address. Check it, or search for a project."))


def server_error(request: HttpRequest) -> HttpResponse:
    return _page(request, 500, _("Something went wrong"),
                 _("The server hit an error. It has been logged; please try again later."))
