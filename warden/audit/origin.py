"""Who did something, with which credential, through which interface, from where.

Interfaces (pages, the upload endpoint, the CLI, the admin, tasks) build an `Origin` and pass
it down; services and the audit trail take it instead of an `HttpRequest`, so the same use
case reads the same from every interface and no service depends on the web.
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.http import HttpRequest

from warden.audit.client import client_ip

if TYPE_CHECKING:
    from warden.accounts.models import User
    from warden.tokens.models import Token


class Interface(enum.StrEnum):
    WEB = "web"
    UPLOAD = "upload"
    CLI = "cli"
    ADMIN = "admin"
    TASK = "task"


class _SignedIn(enum.Enum):
    SIGNED_IN = "signed in"


SIGNED_IN = _SignedIn.SIGNED_IN


@dataclass(frozen=True)
class Origin:
    """`actor` is the person who acted (None: an operator's command or the system, never
    "whoever owns the token"); `token` the API token they acted with; `via` names a command
    or flow when there is no page to say it (recorded as the event's `via`)."""

    interface: Interface
    actor: User | None = None
    token: Token | None = None
    address: str = ""
    user_agent: str = ""
    via: str = ""

    @classmethod
    def from_request(cls, request: HttpRequest, *, interface: Interface = Interface.WEB,
                     actor: User | _SignedIn | None = SIGNED_IN, token: Token | None = None,
                     via: str = "") -> Origin:
        """From a request: its address and user agent. The actor is the signed-in user
        (none for an anonymous request) unless given."""
        if isinstance(actor, _SignedIn):
            user = getattr(request, "user", None)
            actor = user if getattr(user, "is_authenticated", False) else None
        return cls(interface=interface, actor=actor, token=token, address=client_ip(request),
                   user_agent=request.headers.get("User-Agent", ""), via=via)

    @classmethod
    def command(cls, via: str, *, actor: User | None = None) -> Origin:
        """An operator's `warden ...` command: no address, no user agent."""
        return cls(interface=Interface.CLI, actor=actor, via=via)

    @classmethod
    def system(cls, via: str) -> Origin:
        """Warden itself (a scheduled task): nobody acted."""
        return cls(interface=Interface.TASK, via=via)

    def acting_as(self, actor: User | None) -> Origin:
        """The same origin with another actor (a login names its user only once it passed)."""
        return dataclasses.replace(self, actor=actor)
