"""The simple API's slow path: what the fast path in `fast.py` hands back to Django."""

from __future__ import annotations

from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseNotFound,
    HttpResponsePermanentRedirect,
)
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from warden.packaging.names import name_normalize
from warden.packaging.pages import simple_index_ensure
from warden.packaging.simple.negotiate import negotiate


def _not_acceptable() -> HttpResponse:
    return HttpResponse(
        "406 Not Acceptable: ask for application/vnd.pypi.simple.v1+json, "
        "application/vnd.pypi.simple.v1+html or text/html.\n",
        status=406, content_type="text/plain; charset=utf-8")


@csrf_exempt  # read-only: without this a POST gets a CSRF 403 instead of 405
@require_safe
def simple_index(request: HttpRequest) -> HttpResponse:
    if negotiate(accept=request.headers.get("Accept"),
                 format_param=request.GET.get("format")) is None:
        return _not_acceptable()
    # Only reached when the root page was never rendered (a database migrated by hand).
    simple_index_ensure()
    return HttpResponse(status=503, headers={"Retry-After": "1"})


@csrf_exempt  # read-only: without this a POST gets a CSRF 403 instead of 405
@require_safe
def simple_project(request: HttpRequest, name: str) -> HttpResponse:
    normalized = name_normalize(name)
    if normalized != name or not request.path.endswith("/"):
        target = f"/simple/{normalized}/"
        if request.META.get("QUERY_STRING"):
            target += "?" + request.META["QUERY_STRING"]
        return HttpResponsePermanentRedirect(target)
    if negotiate(accept=request.headers.get("Accept"),
                 format_param=request.GET.get("format")) is None:
        return _not_acceptable()
    return HttpResponseNotFound(f"404 Not Found: no project named {name!r}.\n",
                                content_type="text/plain; charset=utf-8")
