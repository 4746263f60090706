"""The simple API's slow path: what the fast path in `fast.py` hands back to Django.

These views answer everything the fast path answers too, with the same bytes and headers
(`page_response`), so a request that reaches Django (the fast path not in front, a query it
does not parse) gets the page, never a 404 for a project that exists.
"""

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
from warden.packaging.pages import INDEX_KEY
from warden.packaging.simple.fast import digest_response, page_response
from warden.packaging.simple.negotiate import Format, negotiate


def _not_acceptable() -> HttpResponse:
    return HttpResponse(
        "406 Not Acceptable: ask for application/vnd.pypi.simple.v1+json, "
        "application/vnd.pypi.simple.v1+html or text/html.\n",
        status=406, content_type="text/plain; charset=utf-8")


def _page(request: HttpRequest, *, key: str, chosen: tuple[Format, str]) -> HttpResponse | None:
    page = page_response(key=key, chosen=chosen,
                         if_none_match=request.headers.get("If-None-Match"),
                         head=request.method == "HEAD")
    if page is None:
        return None
    status, headers, body = page
    response = HttpResponse(body, status=int(status.split()[0]), headers=headers)
    if response.status_code == 304:
        # HttpResponse always has a Content-Type; a 304 describes no body, and the fast
        # path sends none.
        del response.headers["Content-Type"]
    return response


@csrf_exempt  # read-only: without this a POST gets a CSRF 403 instead of 405
@require_safe
def simple_index(request: HttpRequest) -> HttpResponse:
    chosen = negotiate(accept=request.headers.get("Accept"),
                       format_param=request.GET.get("format"))
    if chosen is None:
        return _not_acceptable()
    response = _page(request, key=INDEX_KEY, chosen=chosen)
    # None: the publisher (the signer) has not run yet on this database.
    return response or HttpResponse(
        "503 Service Unavailable: the index is being published; try again in a moment.\n",
        status=503, headers={"Retry-After": "1"}, content_type="text/plain; charset=utf-8")


@csrf_exempt  # read-only: without this a POST gets a CSRF 403 instead of 405
@require_safe
def simple_project(request: HttpRequest, name: str) -> HttpResponse:
    normalized = name_normalize(name)
    if normalized != name or not request.path.endswith("/"):
        target = f"/simple/{normalized}/"
        if request.META.get("QUERY_STRING"):
            target += "?" + request.META["QUERY_STRING"]
        return HttpResponsePermanentRedirect(target)
    chosen = negotiate(accept=request.headers.get("Accept"),
                       format_param=request.GET.get("format"))
    if chosen is None:
        return _not_acceptable()
    response = _page(request, key=normalized, chosen=chosen)
    if response is not None:
        return response
    return HttpResponseNotFound(f"404 Not Found: no project named {name!r}.\n",
                                content_type="text/plain; charset=utf-8")


@csrf_exempt  # read-only: without this a POST gets a CSRF 403 instead of 405
@require_safe
def simple_page_by_digest(request: HttpRequest) -> HttpResponse:
    page = digest_response(request.path, head=request.method == "HEAD")
    if page is None:
        return HttpResponseNotFound("404 Not Found\n", content_type="text/plain; charset=utf-8")
    status, headers, body = page
    return HttpResponse(body, status=int(status.split()[0]), headers=dict(headers))
