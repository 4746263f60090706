"""Our own 403 and 500 pages, in our layout, with the right status codes."""

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import path

from warden.urls import urlpatterns as warden_urlpatterns


def _forbidden(request):
    raise PermissionDenied


def _broken(request):
    raise RuntimeError("boom")


# Our two failing views beside the real site, whose URL names the error pages link to.
urlpatterns = [path("forbidden/", _forbidden), path("broken/", _broken), *warden_urlpatterns]
handler403 = "warden.web.errors.forbidden"
handler500 = "warden.web.errors.server_error"


@pytest.mark.urls("warden.web.tests.test_error_pages")
def test_permission_denied_renders_our_403_page(db):
    response = Client().get("/forbidden/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "<h1>Access denied</h1>" in html and 'href="#main"' in html


@pytest.mark.urls("warden.web.tests.test_error_pages")
def test_an_unhandled_error_renders_our_500_page_without_details(db):
    response = Client(raise_request_exception=False).get("/broken/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "<h1>Something went wrong</h1>" in html
    assert "boom" not in html and "Traceback" not in html
