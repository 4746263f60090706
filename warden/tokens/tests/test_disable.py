"""Disabling an account revokes its API tokens (tokens' receiver of `user_disabled`), and the
revocations are recorded as staff actions by the staff member who disabled it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.utils import timezone

from warden.accounts.models import User
from warden.accounts.services import user_disable
from warden.audit.models import Event
from warden.audit.origin import Interface, Origin
from warden.audit.vocabulary import Tag
from warden.lib import signals
from warden.packaging.authorize import upload_token_mint
from warden.packaging.models import Project
from warden.tokens.models import Token
from warden.tokens.services import TokenError, token_authenticate, token_mint, token_revoke

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(db: None, with_totp: Callable[[User], str]) -> User:
    user = User.objects.create_user(username="sam", email="sam@example.invalid",
                                    is_staff=True)
    with_totp(user)
    return user


def by(user: User) -> Origin:
    return Origin(interface=Interface.WEB, actor=user)


@pytest.fixture
def alices_tokens(alice: User, demo: Project) -> dict[str, tuple[Token, str]]:
    """Two live tokens (one scoped to demo) and one she revoked herself a day ago."""
    tokens = {
        "laptop": token_mint(user=alice, description="laptop", origin=by(alice)),
        "ci": upload_token_mint(user=alice, description="ci", projects=[demo],
                                origin=by(alice)),
        "old": token_mint(user=alice, description="old", origin=by(alice)),
    }
    token_revoke(token=tokens["old"][0], origin=by(alice),
                 now=timezone.now() - timedelta(days=1))
    return tokens


def refused_as_revoked(raw: str) -> None:
    with pytest.raises(TokenError, match="revoked"):
        token_authenticate(raw=raw)


def check_revoked_by_staff(alice: User, staff: User, tokens: dict[str, tuple[Token, str]],
                           old_revoked_at: object) -> None:
    for name in ("laptop", "ci"):
        token, raw = tokens[name]
        token.refresh_from_db()
        assert token.revoked is not None, name
        refused_as_revoked(raw)
        # The owner's history says staff revoked it, and so does the staff chain.
        for tag, chain in ((Tag.ACCOUNT_TOKEN_REVOKED, f"user:{alice.pk}"),
                           (Tag.STAFF_TOKEN_REVOKED, "staff")):
            event = Event.objects.get(tag=tag, token_id=str(token.pk))
            assert (event.actor_id, event.actor_username) == (staff.pk, "sam")
            assert (event.user_id, event.username) == (alice.pk, "alice")
            assert event.token_description == name
            assert event.chain == chain
    # A token revoked before keeps its revocation (time and record): nothing new about it.
    old, _ = tokens["old"]
    old.refresh_from_db()
    assert old.revoked == old_revoked_at
    assert not Event.objects.filter(tag=Tag.STAFF_TOKEN_REVOKED, token_id=str(old.pk)).exists()
    assert Event.objects.filter(tag=Tag.ACCOUNT_TOKEN_REVOKED, token_id=str(old.pk)).count() == 1


def test_disabling_a_user_revokes_every_live_token_as_the_staff_member(
        alice: User, mallory: User, staff: User,
        alices_tokens: dict[str, tuple[Token, str]]) -> None:
    _, mallorys = token_mint(user=mallory, description="mallory", origin=by(mallory))
    old_revoked_at = alices_tokens["old"][0].revoked

    revoked = user_disable(user=alice, origin=Origin(interface=Interface.ADMIN, actor=staff))

    assert revoked == 2  # the live ones; the one revoked before doesn't count
    alice.refresh_from_db()
    assert not alice.is_active
    check_revoked_by_staff(alice, staff, alices_tokens, old_revoked_at)
    # Revoked, not only refused while the account is disabled: enabling it again does not
    # bring them back.
    User.objects.filter(pk=alice.pk).update(is_active=True)
    for name in ("laptop", "ci"):
        refused_as_revoked(alices_tokens[name][1])
    # Nobody else's tokens are touched.
    assert token_authenticate(raw=mallorys).user == mallory


def test_the_user_disabled_signal_revokes_the_tokens_whoever_sends_it(
        alice: User, mallory: User, staff: User,
        alices_tokens: dict[str, tuple[Token, str]]) -> None:
    """The tokens side of the contract, without the accounts service: `user_disabled`
    (warden/lib/signals.py) is enough for tokens to revoke, recording the sender's origin."""
    _, mallorys = token_mint(user=mallory, description="mallory", origin=by(mallory))
    old_revoked_at = alices_tokens["old"][0].revoked

    signals.user_disabled.send(sender=User, user_id=alice.pk,
                               origin=Origin(interface=Interface.ADMIN, actor=staff))

    check_revoked_by_staff(alice, staff, alices_tokens, old_revoked_at)
    assert token_authenticate(raw=mallorys).user == mallory
    assert Token.objects.filter(user=alice, revoked__isnull=True).count() == 0
