"""Personas for token tests: alice owns `demo` and `other`; mallory is a stranger with an
account and no roles. Both have a second factor (TOTP): token pages and `warden token
create` require one by default (those rules are tested in warden/accounts/tests/
test_policy.py), and here what stops mallory must be her lack of a role."""

from __future__ import annotations

from collections.abc import Callable

import pymacaroons
import pytest

from warden.accounts.models import User
from warden.packaging.models import Project, Role, RoleName
from warden.tokens.format import token_body, token_encode


@pytest.fixture
def mallory(mallory: User, with_totp: Callable[[User], str]) -> User:
    with_totp(mallory)
    return mallory


def project_create(name: str) -> Project:
    return Project.objects.create(name=name, normalized_name=name, confusable_key=name)


@pytest.fixture
def demo(alice: User) -> Project:
    project = project_create("demo")
    Role.objects.create(project=project, user=alice, role_name=RoleName.OWNER)
    return project


@pytest.fixture
def other(alice: User) -> Project:
    project = project_create("other")
    Role.objects.create(project=project, user=alice, role_name=RoleName.MAINTAINER)
    return project


def macaroon_of(raw: str) -> pymacaroons.Macaroon:
    return pymacaroons.Macaroon.deserialize(token_body(raw))


def serialized(macaroon: pymacaroons.Macaroon) -> str:
    """In the current format, checksum included: what a holder's tools would write."""
    return token_encode(macaroon.serialize())


def attenuate(raw: str, predicate: str) -> str:
    """What a holder can do offline: append a first-party caveat (correctly signed)."""
    macaroon = macaroon_of(raw)
    macaroon.add_first_party_caveat(predicate)
    return serialized(macaroon)
