"""PLACEHOLDER: replaced by the public pages work."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/placeholder.html")


search = project_detail = release_detail = user_detail = home
