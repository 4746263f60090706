"""`/.well-known/security.txt` (RFC 9116): where a researcher reports a vulnerability in this
index, read by people and by scanners that look for it before they look for anything else."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

# RFC 9116 2.5.5 recommends an expiry less than a year ahead, so that a file nobody looks
# after stops being trusted. The contacts come from live settings, so each answer is as
# current as the configuration; a whole day keeps the text the same all day (cacheable).
EXPIRES_AFTER = timedelta(days=364)


def security_txt_render(*, canonical: str, now: datetime) -> str:
    expires = datetime.combine(now.astimezone(UTC).date() + EXPIRES_AFTER, time(), tzinfo=UTC)
    lines = [f"Contact: {contact}" for contact in settings.WARDEN_SECURITY_CONTACT]
    lines.append(f"Expires: {expires:%Y-%m-%dT%H:%M:%SZ}")
    lines.append("Preferred-Languages: " + ", ".join(code for code, _name in settings.LANGUAGES))
    lines.append(f"Canonical: {canonical}")
    if settings.WARDEN_SECURITY_POLICY:
        lines.append(f"Policy: {settings.WARDEN_SECURITY_POLICY}")
    return "\n".join(lines) + "\n"


@require_safe
def security_txt(request: HttpRequest) -> HttpResponse:
    # No contact configured: no file. One without a Contact is invalid (RFC 9116 2.5.3), and
    # a made-up address would send reports nowhere.
    if not settings.WARDEN_SECURITY_CONTACT:
        raise Http404
    # The host is one of ALLOWED_HOSTS (Django refuses others), so this names this index.
    canonical = request.build_absolute_uri(reverse("security-txt"))
    text = security_txt_render(canonical=canonical, now=timezone.now())
    response = HttpResponse(text, content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "public, max-age=3600"
    return response
