"""Networks an account signs in from. A successful sign-in from a network the account has
never used is mailed to its owner (as PyPI does), so a stolen password used from elsewhere
is noticed even when nothing else about the account changes.

A network is the address's /24 (IPv4) or /48 (IPv6): coarse enough that a home router's
new address or a phone moving between cells of one provider does not mail every day, fine
enough that another country, provider or office does. Kept as a keyed hash like audit
addresses: the table says which accounts share a network only to whoever has the key.
"""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from warden.accounts.models import KnownNetwork, User
from warden.accounts.tasks import notice_queue
from warden.audit.client import ip_hash, ip_prefix, user_agent_describe
from warden.audit.origin import Origin
from warden.audit.services import record_event
from warden.audit.vocabulary import Tag

NOTICE = "account/email/login_new_network"


def network_login_seen(*, user: User, origin: Origin) -> bool:
    """Remember that `user` signed in from `origin`'s network; if the account had signed in
    before but never from there, record it and queue a mail to the owner. True if it was a
    new network that was announced. The very first sign-in (the one that follows sign-up,
    or the first since this feature came) only remembers: there is nothing to compare with,
    and a mail about it would teach people to ignore these mails."""
    network = ip_prefix(origin.address)
    if not network:
        return False  # no address (a command, a test client): nothing to compare
    hashed = ip_hash(network)
    now = timezone.now()
    with transaction.atomic():
        # Two sign-ins from one new network at once announce it once.
        User.objects.select_for_update().filter(pk=user.pk).first()
        if KnownNetwork.objects.filter(user=user, network_hash=hashed).update(last_seen=now):
            return False
        first = not KnownNetwork.objects.filter(user=user).exists()
        KnownNetwork.objects.create(user=user, network_hash=hashed, first_seen=now,
                                    last_seen=now)
        if first:
            return False
        record_event(tag=Tag.ACCOUNT_LOGIN_NEW_NETWORK, origin=origin, user=user,
                     details={"network": network})
        notice_queue(user=user, template=NOTICE, origin=origin, context={
            "network": network, "browser": user_agent_describe(origin.user_agent),
            "password_path": reverse("account_change_password"),
            "history_path": reverse("audit-user-history"),
        })
    return True
