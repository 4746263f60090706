"""Users in the admin. Staff actions go through `warden.accounts.services` (and the two-factor
services), the same code any other interface uses; deleting a user outright is not offered
(disable instead), so nothing is lost from the journal or left half-owned.

The whole admin needs a second factor: see `_staff_two_factor`."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from allauth.account.decorators import secure_admin_login
from allauth.mfa.models import Authenticator
from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from warden.accounts.models import User
from warden.accounts.services import StaffActionError, user_disable, user_force_password_reset
from warden.accounts.twofactor.errors import SecondFactorError
from warden.accounts.twofactor.policy import has_two_factor, setup_url
from warden.accounts.twofactor.services import two_factor_reset
from warden.accounts.usernames import username_check
from warden.audit.origin import Interface, Origin

AdminView = Callable[..., HttpResponse]


def _staff_two_factor(view: AdminView) -> AdminView:
    """Staff always need a second factor in the admin, whatever WARDEN_REQUIRE_2FA says: the
    admin can change every account and project, so a staff password alone must not open it.
    Staff without one are sent to set one up, told why, and brought back afterwards. Anyone
    else passes through to the admin's own check (log in, or 403 for non-staff)."""
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if isinstance(user, User) and user.is_active and user.is_staff \
                and not has_two_factor(user):
            messages.warning(request, gettext(
                "Staff need two-factor authentication to use the administration. Set up an "
                "authenticator app or a security key to continue."))
            return HttpResponseRedirect(setup_url(request.get_full_path()))
        return view(request, *args, **kwargs)
    return never_cache(wrapper)


_admin_view = admin.site.admin_view
_has_permission = admin.site.has_permission


def _admin_view_with_two_factor(view: AdminView, cacheable: bool = False) -> AdminView:
    return _staff_two_factor(_admin_view(view, cacheable))


def _has_permission_with_two_factor(request: HttpRequest) -> bool:
    # Also for whatever asks the site directly (its templates' navigation, say), not only
    # for the views wrapped above.
    return bool(_has_permission(request)) and has_two_factor(request.user)  # type: ignore[arg-type]


# Every admin page (each ModelAdmin's too) is built with `admin_view` when the URLs are
# loaded, after this module is imported by the admin's autodiscovery.
admin.site.admin_view = _admin_view_with_two_factor  # type: ignore[method-assign,assignment]
admin.site.has_permission = _has_permission_with_two_factor  # type: ignore[method-assign]
# Staff log in through allauth's login page like everyone else, so its rate limits and
# second step apply; Django's own admin login form would bypass them.
admin.site.login = _staff_two_factor(  # type: ignore[method-assign]
    secure_admin_login(admin.site.login))


def _factors_described(user: User) -> list[str]:
    described = []
    for factor in Authenticator.objects.filter(user_id=user.pk).order_by("created_at"):
        if factor.type == Authenticator.Type.TOTP:
            described.append(gettext("An authenticator app"))
        elif factor.type == Authenticator.Type.WEBAUTHN:
            described.append(gettext("The security key “%(name)s”")
                             % {"name": factor.data.get("name", "")})
        else:
            described.append(gettext("The recovery codes"))
    return described


class TwoFactorResetForm(forms.Form):
    reason = forms.CharField(
        label=_("How did you verify that the request comes from this person?"),
        help_text=_("Required, and recorded in the audit trail with your name. For example: "
                    "a video call with an ID check, or a signed message from their known "
                    "key."),
        max_length=500, widget=forms.Textarea(attrs={"rows": 3, "cols": 60}))


def _staff(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # the admin admits active staff only
    return user


def _origin(request: HttpRequest) -> Origin:
    """A staff action in the admin: the staff member signed in acted."""
    return Origin.from_request(request, interface=Interface.ADMIN, actor=_staff(request))


class UserCreationWithUsernameRule(AdminUserCreationForm):  # type: ignore[type-arg]
    def clean_username(self) -> str:
        # The sign-up rule (warden.accounts.usernames) holds for accounts staff create too.
        username: str = super().clean_username()
        username_check(username=username)
        return username


class UserChangeWithUsernameRule(UserChangeForm):  # type: ignore[type-arg]
    def clean_username(self) -> str:
        username: str = self.cleaned_data["username"]
        # Only a rename is checked: a username from before the rule keeps working while
        # staff change the account's other fields.
        if "username" in self.changed_data:
            username_check(username=username, exclude_pk=self.instance.pk)
        return username


@admin.register(User)
class WardenUserAdmin(UserAdmin):  # type: ignore[type-arg]
    form = UserChangeWithUsernameRule
    add_form = UserCreationWithUsernameRule
    list_display = ("username", "email", "is_active", "is_staff", "date_joined")
    list_filter = ("is_active", "is_staff", "is_superuser")
    actions = ("disable_users", "force_password_reset", "reset_two_factor")
    # History, not settings; and as read-only text they avoid Django's split date/time
    # inputs, which have no labels of their own (axe: "label").
    readonly_fields = ("last_login", "date_joined")
    # Plain multiple selects: the two-pane widget's search icons carry an aria-label on a
    # span, which axe reports as aria-prohibited-attr.
    filter_horizontal = ()

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.action(description=_("Disable selected users (and revoke their tokens)"))
    def disable_users(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        origin = _origin(request)
        disabled = tokens = 0
        for user in queryset.filter(is_active=True):
            try:
                tokens += user_disable(user=user, origin=origin)
            except StaffActionError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                disabled += 1
        self.message_user(request, ngettext(
            "Disabled %(count)d user; %(tokens)d token(s) revoked.",
            "Disabled %(count)d users; %(tokens)d token(s) revoked.",
            disabled) % {"count": disabled, "tokens": tokens}, messages.SUCCESS)

    @admin.action(description=_("Force a password reset for selected users"))
    def force_password_reset(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        origin = _origin(request)
        done = 0
        for user in queryset:
            try:
                user_force_password_reset(user=user, origin=origin, request=request)
            except StaffActionError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                done += 1
        self.message_user(request, ngettext(
            "Sent a password reset link to %(count)d user; their old password no longer works.",
            "Sent password reset links to %(count)d users; their old passwords no longer work.",
            done) % {"count": done}, messages.SUCCESS)

    @admin.action(description=_("Reset two-factor authentication"), permissions=["change"])
    def reset_two_factor(self, request: HttpRequest,
                         queryset: QuerySet[User]) -> HttpResponse | None:
        """Account recovery for someone who lost every second factor. It asks first, on a page
        where staff must say how they verified the person: a reset without that check hands
        the account to whoever knows the password."""
        # One at a time: each person needs their own verification, and their own reason.
        users = list(queryset[:2])
        if len(users) != 1:
            self.message_user(request, gettext(
                "Reset two-factor authentication for one user at a time: each needs their "
                "own check of who is asking."), messages.ERROR)
            return None
        user, staff_user = users[0], _staff(request)
        if user.pk == staff_user.pk:
            self.message_user(request, gettext(
                "Manage your own second factors on your Two-factor authentication page "
                "instead."),
                messages.ERROR)
            return None
        if not has_two_factor(user):
            self.message_user(request, gettext(
                "User %(username)s has no second factor; there is nothing to reset.")
                % {"username": user.username}, messages.ERROR)
            return None
        form = TwoFactorResetForm(request.POST if request.POST.get("post") == "yes" else None)
        if form.is_valid():
            try:
                two_factor_reset(user=user, reason=form.cleaned_data["reason"],
                                 origin=_origin(request))
            except SecondFactorError as exc:
                form.add_error("reason", str(exc.message))
            else:
                self.message_user(request, gettext(
                    "Removed every second factor and the recovery codes of %(username)s, "
                    "and told them by email. They can log in with their password and must "
                    "set up a new second factor.") % {"username": user.username},
                    messages.SUCCESS)
                return None
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Reset two-factor authentication of %(username)s?")
            % {"username": user.username},
            "subject": user,
            "factors": _factors_described(user),
            "form": form,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/accounts/user/reset_two_factor.html", context,
                                status=400 if form.is_bound else 200)
