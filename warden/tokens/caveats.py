"""Token caveats in PyPI's tagged-array JSON format.

Each first-party caveat of a token's macaroon is one compact JSON array whose first element
is a tag:

    [0, expires_at, not_before]   Expiration (unix seconds; valid from not_before until
                                  just before expires_at)
    [1, ["name", ...]]            ProjectName (normalized project names)
    [2, ["id", ...]]              ProjectID (project ids, as strings)
    [3, "user_id"]                RequestUser

Parsing is strict: an unknown tag, a wrong shape or text that isn't JSON is an error. A
caveat we don't understand must make verification fail; ignoring it would silently drop a
restriction the holder added.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


class TokenError(Exception):
    """An API token is unusable for the request. `message` is shown to the person (twine
    prints it), so it says what is wrong and never contains the token."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class CaveatError(TokenError):
    """A caveat could not be parsed."""


@dataclass(frozen=True)
class Expiration:
    expires_at: int
    not_before: int


@dataclass(frozen=True)
class ProjectName:
    normalized_names: tuple[str, ...]


@dataclass(frozen=True)
class ProjectID:
    project_ids: tuple[str, ...]


@dataclass(frozen=True)
class RequestUser:
    user_id: str


Caveat = Expiration | ProjectName | ProjectID | RequestUser


@dataclass(frozen=True)
class CaveatContext:
    """What a caveat is checked against when a token is presented."""

    now: datetime
    user_id: str


def caveat_serialize(caveat: Caveat) -> str:
    return json.dumps(caveat_to_json(caveat), separators=(",", ":"))


def caveat_to_json(caveat: Caveat) -> list[Any]:
    match caveat:
        case Expiration(expires_at=expires_at, not_before=not_before):
            return [0, expires_at, not_before]
        case ProjectName(normalized_names=names):
            return [1, list(names)]
        case ProjectID(project_ids=ids):
            return [2, list(ids)]
        case RequestUser(user_id=user_id):
            return [3, user_id]
    raise TypeError(f"not a caveat: {caveat!r}")


def _is_int(value: object) -> bool:
    # JSON `true` decodes to a bool, which Python counts as an int; it isn't a timestamp.
    return isinstance(value, int) and not isinstance(value, bool)


def _is_str_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def caveat_parse(predicate: str | bytes) -> Caveat:
    """The caveat encoded in `predicate`; raises CaveatError if it isn't exactly one of ours."""
    try:
        value = json.loads(predicate)
    except (ValueError, UnicodeDecodeError) as exc:
        raise CaveatError("This API token has a restriction that isn't valid JSON.") from exc
    if not isinstance(value, list) or not value or not _is_int(value[0]):
        raise CaveatError("This API token has a restriction in an unknown format.")
    tag, args = value[0], value[1:]
    match tag:
        case 0 if len(args) == 2 and _is_int(args[0]) and _is_int(args[1]):
            return Expiration(expires_at=args[0], not_before=args[1])
        case 1 if len(args) == 1 and _is_str_list(args[0]):
            return ProjectName(normalized_names=tuple(args[0]))
        case 2 if len(args) == 1 and _is_str_list(args[0]):
            return ProjectID(project_ids=tuple(args[0]))
        case 3 if len(args) == 1 and isinstance(args[0], str):
            return RequestUser(user_id=args[0])
        case 0 | 1 | 2 | 3:
            raise CaveatError(f"This API token has a malformed restriction (type {tag}).")
    raise CaveatError(f"This API token has a restriction of a type Warden doesn't know ({tag}).")


def _timestamp_format(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, tz=UTC).isoformat(timespec="seconds")


def caveat_check(caveat: Caveat, *, context: CaveatContext) -> None:
    """Raise TokenError unless `caveat` holds in `context`.

    Project caveats narrow where the token may upload; the project is not known until the
    upload form is read, so they are collected into the token's scope and enforced by
    `warden.packaging.authorize.upload_authorize`. Here they only need to be well formed,
    which parsing ensured.
    """
    match caveat:
        case Expiration(expires_at=expires_at, not_before=not_before):
            now = int(context.now.timestamp())
            # A leaked token stops working at its expiry, whatever the database says.
            if now >= expires_at:
                raise TokenError(f"This API token expired on {_timestamp_format(expires_at)}.")
            if now < not_before:
                raise TokenError(
                    f"This API token is not valid before {_timestamp_format(not_before)}."
                )
        case RequestUser(user_id=user_id):
            # The token is bound to the account it was minted for; a row moved to another
            # user (or a caveat naming someone else) must not authenticate.
            if user_id != context.user_id:
                raise TokenError("This API token belongs to a different user.")
        case ProjectName() | ProjectID():
            pass
        case _:
            raise TokenError("This API token has a restriction Warden can't check.")
