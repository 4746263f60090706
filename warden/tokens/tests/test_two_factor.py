"""A token is only as strong as the account behind it: where the policy requires a second
factor (WARDEN_REQUIRE_2FA, and always for staff), `token_mint` refuses an account without
one, whichever interface asks. `warden token create` is tested in
warden/web/tokens/tests/test_command.py."""

from __future__ import annotations

from typing import Any

import pytest

from warden.accounts.models import User
from warden.accounts.twofactor.errors import TwoFactorRequired
from warden.audit.models import Event
from warden.audit.origin import Interface, Origin
from warden.audit.vocabulary import Tag
from warden.packaging.authorize import upload_token_mint
from warden.packaging.models import Role, RoleName
from warden.tokens.caveats import TokenError
from warden.tokens.models import Token
from warden.tokens.services import token_authenticate, token_mint
from warden.tokens.tests.conftest import project_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def nofactor(db: None) -> User:
    """An account without any second factor."""
    return User.objects.create_user(username="nofactor", email="nofactor@example.invalid")


def origin_of(interface: Interface, user: User) -> Origin:
    # On a page the person acts; an operator's command or the admin acts for them.
    return Origin(interface=interface, actor=user if interface is Interface.WEB else None)


def nothing_minted() -> None:
    assert not Token.objects.exists()
    assert not Event.objects.filter(tag=Tag.ACCOUNT_TOKEN_CREATED).exists()


@pytest.mark.parametrize("interface", [Interface.WEB, Interface.CLI, Interface.ADMIN,
                                       Interface.TASK])
def test_an_account_without_a_second_factor_gets_no_token_where_policy_requires_one(
        settings: Any, nofactor: User, interface: Interface) -> None:
    settings.WARDEN_REQUIRE_2FA = True
    with pytest.raises(TwoFactorRequired):
        token_mint(user=nofactor, description="ci", origin=origin_of(interface, nofactor))
    nothing_minted()


def test_the_refusal_is_not_a_token_error_a_caller_could_mistake_for_bad_input(
        settings: Any, nofactor: User) -> None:
    settings.WARDEN_REQUIRE_2FA = True
    with pytest.raises(TwoFactorRequired) as info:
        token_mint(user=nofactor, description="ci", origin=origin_of(Interface.WEB, nofactor))
    assert not isinstance(info.value, TokenError)
    assert "two-factor authentication" in str(info.value.message)


def test_a_scoped_token_is_refused_too(settings: Any, nofactor: User) -> None:
    settings.WARDEN_REQUIRE_2FA = True
    project = project_create("demo")
    Role.objects.create(project=project, user=nofactor, role_name=RoleName.OWNER)
    with pytest.raises(TwoFactorRequired):
        upload_token_mint(user=nofactor, description="ci", projects=[project],
                          origin=origin_of(Interface.WEB, nofactor))
    nothing_minted()


def test_without_the_policy_an_account_without_a_second_factor_gets_a_token(
        settings: Any, nofactor: User) -> None:
    settings.WARDEN_REQUIRE_2FA = False
    _, raw = token_mint(user=nofactor, description="ci",
                        origin=origin_of(Interface.WEB, nofactor))
    assert token_authenticate(raw=raw).user == nofactor


def test_staff_without_a_second_factor_get_no_token_even_without_the_policy(
        settings: Any, nofactor: User) -> None:
    settings.WARDEN_REQUIRE_2FA = False
    User.objects.filter(pk=nofactor.pk).update(is_staff=True)
    nofactor.refresh_from_db()
    with pytest.raises(TwoFactorRequired):
        token_mint(user=nofactor, description="ci", origin=origin_of(Interface.CLI, nofactor))
    nothing_minted()


def test_an_account_with_a_second_factor_gets_its_token(settings: Any, alice: User) -> None:
    settings.WARDEN_REQUIRE_2FA = True  # alice has TOTP (the root persona)
    _, raw = token_mint(user=alice, description="ci", origin=origin_of(Interface.CLI, alice))
    assert token_authenticate(raw=raw).user == alice
