"""Recording and checking audit events.

Every service that changes state calls `record_event` inside its own transaction, so the
event commits with the change or not at all.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from warden.audit.client import ip_hash, ip_prefix, user_agent_describe
from warden.audit.models import ChainHead, Event
from warden.audit.origin import Origin
from warden.audit.vocabulary import Tag

if TYPE_CHECKING:
    from warden.accounts.models import User
    from warden.packaging.models import Project
    from warden.tokens.models import Token

GENESIS = "0" * 64
# Keys that must never appear in details, at any depth: events are shown to people and
# exported, and an audit log must not become a place to steal credentials from.
FORBIDDEN_KEYS = {"password", "token", "secret", "macaroon", "key", "code", "otp"}
# A token of either format (warden.tokens.format: `wdn_`, the older `warden-`) anywhere in a
# string, e.g. inside a URL: both wrap a macaroon whose serialization starts this way.
TOKEN_SHAPE = re.compile(r"(?:wdn_|warden-)AgEGd2FyZGVu")


class SecretInEventError(ValueError):
    """A caller tried to put something secret into an event: a programming error."""


def _check_details(value: Any, path: str = "details") -> None:
    if isinstance(value, Mapping):
        for key, item in value.items():
            if str(key).lower() in FORBIDDEN_KEYS:
                raise SecretInEventError(f"{path}.{key}: audit events never carry secrets")
            _check_details(item, f"{path}.{key}")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _check_details(item, f"{path}[{index}]")
    elif isinstance(value, str) and TOKEN_SHAPE.search(value):
        raise SecretInEventError(f"{path}: looks like an API token")


def ip_commitment_of(ip_hash_value: str, ip_prefix_value: str) -> str:
    return hashlib.sha256(f"{ip_hash_value}|{ip_prefix_value}".encode()).hexdigest()


# The commitment of an event recorded without any address (a CLI command), as opposed to
# one whose address was erased after retention.
NO_ADDRESS_COMMITMENT = ip_commitment_of("", "")


def event_digest(event: Event) -> str:
    """The hash of everything an event says but its IP data (represented by the
    commitment), chained to the previous event of its chain."""
    fields = [
        event.chain, event.seq, event.previous_hash, event.tag,
        event.created.isoformat(), event.actor_id, event.actor_username, event.token_id,
        event.token_description, event.user_id, event.username, event.project_id,
        event.project_name, event.version, event.filename, event.ip_commitment,
        event.user_agent, event.details,
    ]
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _chain_for(tag: Tag, *, user_id: int | None, project_name: str) -> str:
    if tag.subject == "account":
        if user_id is None:
            raise ValueError(f"{tag}: an account event needs the user it is about")
        return f"user:{user_id}"
    if tag.subject == "project":
        if not project_name:
            raise ValueError(f"{tag}: a project event needs the project")
        return f"project:{project_name}"
    return "staff"


def _lock_head(chain: str) -> ChainHead:
    head = ChainHead.objects.select_for_update().filter(chain=chain).first()
    if head is not None:
        return head
    try:
        with transaction.atomic():
            return ChainHead.objects.create(chain=chain, seq=0, last_hash=GENESIS)
    except IntegrityError:
        # Another transaction started this chain first.
        return ChainHead.objects.select_for_update().get(chain=chain)


def record_event(*, tag: Tag, origin: Origin, token: Token | None = None,
                 user: User | None = None, project: Project | None = None,
                 project_name: str = "", version: str = "", filename: str = "",
                 details: Mapping[str, Any] | None = None) -> Event:
    """Append one event of what `origin` did. `user` is the account the event is about
    (defaults to the actor, then to the token's owner); `token` the token it concerns
    (defaults to the one the origin acted with), named by id and description, never by its
    value."""
    if not isinstance(tag, Tag):
        raise TypeError(f"{tag!r} is not an audit tag; add it to warden.audit.vocabulary")
    payload = dict(details or {})
    if origin.via:
        payload.setdefault("via", origin.via)
    _check_details(payload)
    actor = origin.actor
    token = token if token is not None else origin.token
    # No actor means an operator's command (`warden ...`) or the system, never "the token's
    # owner" by default: a revocation from the command line must not read as the owner's.
    subject = user if user is not None else (actor if actor is not None else (
        token.user if token is not None else None))
    name = project.normalized_name if project is not None else project_name
    address, agent = origin.address, origin.user_agent
    hashed, prefix = ip_hash(address), ip_prefix(address)
    with transaction.atomic():
        chain = _chain_for(tag, user_id=subject.pk if subject else None, project_name=name)
        head = _lock_head(chain)
        event = Event(
            tag=tag.value, created=timezone.now(), chain=chain, seq=head.seq + 1,
            previous_hash=head.last_hash,
            actor_id=actor.pk if actor else None,
            actor_username=actor.get_username() if actor else "",
            token_id=str(token.pk) if token else "",
            token_description=token.description if token else "",
            user_id=subject.pk if subject else None,
            username=subject.get_username() if subject else "",
            project_id=project.pk if project is not None else None, project_name=name,
            version=version, filename=filename, ip_hash=hashed, ip_prefix=prefix,
            ip_commitment=ip_commitment_of(hashed, prefix),
            user_agent=user_agent_describe(agent), details=payload,
        )
        event.hash = event_digest(event)
        event.save()
        ChainHead.objects.filter(chain=chain).update(seq=event.seq, last_hash=event.hash)
    return event


@dataclass(frozen=True)
class ChainBreak:
    chain: str
    seq: int
    reason: str


def _events_of(chain: str) -> Iterator[Event]:
    return Event.objects.filter(chain=chain).order_by("seq").iterator(chunk_size=2000)


def audit_verify() -> list[ChainBreak]:
    """Check every chain; return the first break in each broken chain."""
    breaks: list[ChainBreak] = []
    heads = {h.chain: h for h in ChainHead.objects.all()}
    chains = set(heads) | set(Event.objects.values_list("chain", flat=True).distinct())
    for chain in sorted(chains):
        found = _chain_check(chain, heads.get(chain))
        if found is not None:
            breaks.append(found)
    return breaks


def _chain_check(chain: str, head: ChainHead | None) -> ChainBreak | None:
    expected_seq, previous = 1, GENESIS
    for event in _events_of(chain):
        if event.seq != expected_seq:
            return ChainBreak(chain, expected_seq, "an event is missing (deleted)")
        if event.previous_hash != previous:
            return ChainBreak(chain, event.seq, "the link to the previous event is broken")
        if event_digest(event) != event.hash:
            return ChainBreak(chain, event.seq, "the event was changed after it was recorded")
        if (event.ip_hash or event.ip_prefix) and \
                ip_commitment_of(event.ip_hash, event.ip_prefix) != event.ip_commitment:
            return ChainBreak(chain, event.seq, "the event's IP data was changed")
        previous, expected_seq = event.hash, expected_seq + 1
    if head is None:
        return ChainBreak(chain, expected_seq - 1, "the chain has no head record")
    if head.seq != expected_seq - 1 or head.last_hash != previous:
        return ChainBreak(chain, expected_seq, "the newest events are missing (deleted)")
    return None


def audit_ip_erase(*, older_than: datetime) -> int:
    """Erase the IP hash and prefix of events older than `older_than`; the events stay."""
    return Event.objects.filter(created__lt=older_than).exclude(
        ip_hash="", ip_prefix="")._erase(ip_hash="", ip_prefix="")
