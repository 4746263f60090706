"""The site's URLconf plus one sensitive view, for the re-authentication tests."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import path

from warden.accounts.decorators import require_reauth
from warden.urls import urlpatterns as site_urlpatterns


@login_required
@require_reauth
def sensitive(request: HttpRequest) -> HttpResponse:
    return HttpResponse(f"done by {request.user} with {request.method}")


urlpatterns = [path("sensitive/", sensitive), *site_urlpatterns]
