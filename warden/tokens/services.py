"""API tokens: mint, authenticate, scope-check, revoke.

A token is `wdn_` + a serialized macaroon (version 2) + a checksum (`format.py`; tokens
minted before that format, `warden-` + macaroon, still work). Its identifier is the Token
row's id; its root key is HMAC-SHA256(SECRET_KEY, "warden-token-root:" + id), derived on demand and
never stored, so a copy of the database alone cannot forge or recover a token. The caveats
(see `caveats.py`) travel inside the token and are what verification enforces; a holder may
append more of them offline to narrow a token before handing it on.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import pymacaroons
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from warden.accounts.models import User
from warden.accounts.twofactor.errors import TwoFactorRequired
from warden.accounts.twofactor.policy import has_two_factor, two_factor_required
from warden.audit.origin import Origin
from warden.audit.services import record_event
from warden.audit.vocabulary import Tag
from warden.tokens.caveats import (
    Caveat,
    CaveatContext,
    Expiration,
    ProjectID,
    ProjectName,
    RequestUser,
    TokenError,
    caveat_check,
    caveat_parse,
    caveat_serialize,
    caveat_to_json,
)
from warden.tokens.format import TOKEN_PREFIX, token_body, token_encode
from warden.tokens.models import RevokedReason, Token

__all__ = [
    "TOKEN_PREFIX",
    "TokenContext",
    "TokenError",
    "duration_parse",
    "token_authenticate",
    "token_list",
    "token_mint",
    "token_minted_id",
    "token_record_use",
    "token_revoke",
]

TOKEN_LOCATION = "warden"  # noqa: S105


class ScopedProject(Protocol):
    """What a token's scope names of a project (a packaging Project): tokens know projects
    only by name and id."""

    @property
    def pk(self) -> Any: ...

    normalized_name: str


@dataclass(frozen=True)
class TokenContext:
    """A verified token. `project_names`/`project_ids` are the intersection of every
    project caveat the token carries (None: not scoped by that caveat type)."""

    token: Token
    user: User
    project_names: frozenset[str] | None
    project_ids: frozenset[str] | None

    @property
    def scoped(self) -> bool:
        return self.project_names is not None or self.project_ids is not None


def _root_key(token_id: uuid.UUID | str) -> bytes:
    # Derived from the server secret, so rotating SECRET_KEY invalidates every token and a
    # leaked database holds nothing that signs one.
    return hmac.new(settings.SECRET_KEY.encode(), b"warden-token-root:" + str(token_id).encode(),
                    hashlib.sha256).digest()


def token_mint(
    *,
    user: User,
    description: str,
    projects: Sequence[ScopedProject] = (),
    expires: datetime | None = None,
    not_before: datetime | None = None,
    origin: Origin,
) -> tuple[Token, str]:
    """Create a token for `user`; returns the row and the token, which is shown once.
    Scoping it to `projects` is for a caller that checked `user` may upload to them
    (`warden.packaging.authorize.upload_token_mint`)."""
    # A token is only as strong as the account behind it: where the policy requires a
    # second factor, an account without one gets no token, whichever interface asks.
    if two_factor_required(user) and not has_two_factor(user):
        raise TwoFactorRequired
    description = description.strip()
    if not description:
        raise TokenError("A token needs a description.")
    max_length = Token._meta.get_field("description").max_length or 100
    if len(description) > max_length:
        raise TokenError(f"A token's description can be at most {max_length} characters.")
    now = timezone.now()
    for moment in (expires, not_before):
        if moment is not None and timezone.is_naive(moment):
            raise ValueError("token_mint needs timezone-aware datetimes")
    if not_before is not None and expires is None:
        raise TokenError("A token with a start time needs an expiry too.")
    if expires is not None:
        not_before = not_before or now
        if expires <= now:
            raise TokenError("A token's expiry must be in the future.")
        if expires <= not_before:
            raise TokenError("A token's expiry must come after its start time.")

    projects = list({project.pk: project for project in projects}.values())
    token = Token(user=user, description=description, expires=expires)
    caveats: list[Caveat] = [RequestUser(user_id=str(user.pk))]
    if expires is not None:
        assert not_before is not None
        caveats.append(Expiration(expires_at=int(expires.timestamp()),
                                  not_before=int(not_before.timestamp())))
    if projects:
        # Both name and id: a project deleted and re-created under the same name gets a new
        # id, and an old token must not reach the newcomer.
        caveats.append(ProjectName(normalized_names=tuple(p.normalized_name for p in projects)))
        caveats.append(ProjectID(project_ids=tuple(str(p.pk) for p in projects)))
    token.caveats = [caveat_to_json(caveat) for caveat in caveats]

    macaroon = pymacaroons.Macaroon(location=TOKEN_LOCATION, identifier=str(token.id),
                                    key=_root_key(token.id), version=pymacaroons.MACAROON_V2)
    for caveat in caveats:
        macaroon.add_first_party_caveat(caveat_serialize(caveat))
    # The event names the token by id and description; its value exists only in the answer.
    details: dict[str, object] = {
        "projects": [p.normalized_name for p in projects],
        "expires": expires.isoformat() if expires is not None else None,
    }
    with transaction.atomic():
        try:
            with transaction.atomic():
                token.save(force_insert=True)
        except IntegrityError as exc:
            raise TokenError(f"You already have a live token named {description!r}.") from exc
        # From the web the user minted it; from `warden token create` an operator did.
        record_event(tag=Tag.ACCOUNT_TOKEN_CREATED, origin=origin, token=token, user=user,
                     details=details)
    return token, token_encode(macaroon.serialize())


def _macaroon_verified(raw: str) -> tuple[pymacaroons.Macaroon, uuid.UUID, bytes]:
    """The macaroon of `raw`, its token id and root key, once its signature matches; raises
    TokenError otherwise. No database work: what a token says is believed only after this."""
    # 0. The prefix and checksum: a mistyped, truncated or made-up token stops here.
    body = token_body(raw)
    try:
        macaroon = pymacaroons.Macaroon.deserialize(body)
        identifier = macaroon.identifier_bytes.decode()
        token_id = uuid.UUID(identifier)
        if identifier != str(token_id):  # only the form we mint
            raise ValueError("identifier is not a canonical token id")
    except Exception as exc:  # a malformed token can fail in many ways; all mean the same
        raise TokenError("Invalid API token: it is malformed. Was it copied in full?") from exc

    # Warden mints first-party caveats only; a third-party caveat would need a discharge
    # we never accept.
    if macaroon.third_party_caveats():
        raise TokenError("Invalid API token: it has a restriction Warden can't check.")
    key = _root_key(token_id)

    # 1. The signature, before anything the token says is believed. Caveats are accepted
    #    here only so the HMAC chain can be recomputed; step 3 enforces them.
    signature_only = pymacaroons.Verifier()
    signature_only.satisfy_general(lambda predicate: True)
    try:
        signature_only.verify(macaroon, key)
    except Exception as exc:  # a mismatch, or bytes pymacaroons can't even read
        raise TokenError("Invalid API token: its signature doesn't match.") from exc
    return macaroon, token_id, key


def token_minted_id(*, raw: str) -> uuid.UUID:
    """The id of token `raw` if its bytes are a token this server minted (format, checksum
    and signature against our root key), whatever its state; raises TokenError otherwise."""
    _, token_id, _ = _macaroon_verified(raw.strip())
    return token_id


def token_authenticate(*, raw: str, now: datetime | None = None) -> TokenContext:
    """The verified context of token `raw`; raises TokenError if it can't be used now."""
    now = now or timezone.now()
    macaroon, token_id, key = _macaroon_verified(raw.strip())

    # 2. The row: a revoked (or deleted) token stops working at once, whatever it says.
    token = Token.objects.select_related("user").filter(pk=token_id).first()
    if token is None:
        raise TokenError("Invalid API token: it doesn't exist on this server.")
    if token.revoked is not None:
        raise TokenError("This API token has been revoked.")

    # 3. Every caveat, including any the holder appended, must parse and hold. This verifier
    #    fails closed: a caveat that doesn't hold leaves the signature unmatched.
    context = CaveatContext(now=now, user_id=str(token.user_id))
    caveats: list[Caveat] = []
    failures: list[TokenError] = []

    def caveat_satisfied(predicate: str) -> bool:
        try:
            caveat = caveat_parse(predicate)
            caveat_check(caveat, context=context)
        except TokenError as exc:
            failures.append(exc)
            return False
        caveats.append(caveat)
        return True

    verifier = pymacaroons.Verifier()
    verifier.satisfy_general(caveat_satisfied)
    try:
        verifier.verify(macaroon, key)
    except Exception as exc:  # TokenError can't escape: caveat_satisfied catches it
        raise (failures[0] if failures else TokenError("Invalid API token.")) from exc
    if failures:  # unreachable while pymacaroons fails closed; kept so it can't regress
        raise failures[0]
    if not any(isinstance(caveat, RequestUser) for caveat in caveats):
        raise TokenError("Invalid API token: it isn't bound to a user.")

    if not token.user.is_active:
        raise TokenError(f"User {token.user.username!r} is disabled; its API tokens don't work.")

    names: frozenset[str] | None = None
    ids: frozenset[str] | None = None
    for caveat in caveats:
        # Intersect: each caveat (minted or appended by a holder) can only narrow the scope.
        if isinstance(caveat, ProjectName):
            found = frozenset(caveat.normalized_names)
            names = found if names is None else names & found
        elif isinstance(caveat, ProjectID):
            found = frozenset(caveat.project_ids)
            ids = found if ids is None else ids & found
    return TokenContext(token=token, user=token.user, project_names=names, project_ids=ids)


def token_record_use(*, context: TokenContext, origin: Origin, project_name: str = "",
                     version: str = "", filename: str = "") -> None:
    """Note that the token was used (for `filename` of `project_name`, on an upload). Call
    inside the transaction of what it was used for."""
    now = timezone.now()
    with transaction.atomic():
        # One UPDATE, no lock held on the token row: concurrent uploads with one token
        # don't queue on it (the audit event queues only on its own chain's head).
        Token.objects.filter(pk=context.token.pk).update(last_used=now)
        record_event(tag=Tag.ACCOUNT_TOKEN_USED, origin=origin, token=context.token,
                     project_name=project_name, version=version, filename=filename)


def token_revoke(*, token: Token, origin: Origin, now: datetime | None = None) -> None:
    """Revoke `token`; authentication refuses it from the next request on. Idempotent: a
    token already revoked keeps its original revocation time (and records nothing).
    `origin.actor` is who revoked it: its owner, or staff (None: an operator's command)."""
    now = now or timezone.now()
    with transaction.atomic():
        revoked = Token.objects.filter(pk=token.pk, revoked__isnull=True).update(
            revoked=now, revoked_reason=RevokedReason.REVOKED)
        token.refresh_from_db(fields=["revoked", "revoked_reason"])
        if not revoked:
            return
        owner, actor = token.user, origin.actor
        # The owner's history shows every revocation of their tokens, whoever did it; one
        # done by someone else is a staff action and goes on the staff chain too.
        record_event(tag=Tag.ACCOUNT_TOKEN_REVOKED, origin=origin, token=token, user=owner)
        if actor is not None and actor.pk != owner.pk:
            record_event(tag=Tag.STAFF_TOKEN_REVOKED, origin=origin, token=token, user=owner)


def tokens_revoke_all(*, user: User, origin: Origin) -> int:
    """Revoke every live token of `user` (their account was disabled). Returns how many."""
    live = list(Token.objects.filter(user=user, revoked__isnull=True))
    for token in live:
        token_revoke(token=token, origin=origin)
    return len(live)


def token_list(*, user: User) -> QuerySet[Token]:
    """All of `user`'s tokens, live and revoked, newest first."""
    return Token.objects.filter(user=user).order_by("-created", "-id")


_DURATION = re.compile(r"([0-9]{1,5})([mhdw])")
_DURATION_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def duration_parse(text: str) -> timedelta:
    """`30d`, `12h`, `90m`, `2w` as a timedelta; ValueError on anything else."""
    match = _DURATION.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"{text!r} isn't a duration; use a number and m, h, d or w (e.g. 30d).")
    amount = int(match.group(1))
    if amount == 0:
        raise ValueError("A duration must be longer than zero.")
    return timedelta(**{_DURATION_UNITS[match.group(2)]: amount})
