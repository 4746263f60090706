"""Times in the visitor's time zone, from the cookie warden.js sets."""

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils import timezone

from warden.web.middleware import TimeZoneMiddleware


def _zone_seen(cookie: str | None) -> str:
    request = RequestFactory().get("/")
    if cookie is not None:
        request.COOKIES["warden_tz"] = cookie
    seen: list[str] = []

    def view(request):
        seen.append(timezone.get_current_timezone_name())
        return HttpResponse()

    TimeZoneMiddleware(view)(request)
    return seen[0]


def test_a_known_zone_in_the_cookie_is_used():
    assert _zone_seen("Europe/Berlin") == "Europe/Berlin"


@pytest.mark.parametrize("cookie", [None, "", "Mars/Olympus_Mons", "../../etc/passwd", "x" * 100])
def test_no_cookie_or_a_bogus_zone_leaves_utc(cookie):
    assert _zone_seen(cookie) == "UTC"


def test_the_zone_does_not_leak_into_the_next_request():
    _zone_seen("Asia/Tokyo")
    assert _zone_seen(None) == "UTC"
