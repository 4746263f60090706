"""What staff must know about the TUF repository, on the admin's front page: offline roles
that expire soon (only their key holders can renew them, which takes days to arrange) and a
signer that stopped publishing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django import template
from django.conf import settings
from django.utils.translation import gettext as _

from warden.packaging.models import PendingChange
from warden.tuf import repository as repo
from warden.tuf.models import Role

register = template.Library()
# A change waiting this long means no signer is publishing (it takes well under a second).
STALLED = timedelta(minutes=5)


def tuf_warnings(*, now: datetime) -> list[str]:
    if not settings.WARDEN_TUF or not repo.is_initialized():
        return []
    warnings = []
    for name, expires in Role.objects.filter(name__in=repo.OFFLINE_ROLES).values_list(
            "name", "expires"):
        if expires - now < repo.OFFLINE_WARNING:
            warnings.append(_(
                "The signed %(role)s metadata expires on %(date)s. Ask its key holders to "
                "renew it now (warden tuf refresh): installers that verify will refuse the "
                "index after that date.") % {"role": name, "date": f"{expires:%Y-%m-%d}"})
    oldest = PendingChange.objects.order_by("pk").values_list("created", flat=True).first()
    if oldest is not None and now - oldest > STALLED:
        warnings.append(_(
            "Changes have waited for the signer since %(time)s UTC: check that a "
            "`warden signer` process is running and can read the online key.")
            % {"time": f"{oldest:%Y-%m-%d %H:%M}"})
    return warnings


@register.inclusion_tag("admin/tuf_warnings.html")
def tuf_status() -> dict[str, Any]:
    return {"warnings": tuf_warnings(now=datetime.now(UTC))}
