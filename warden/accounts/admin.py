"""Users in the admin. Staff actions go through `warden.accounts.services`, the same code any
other interface uses; deleting a user outright is not offered (disable instead), so nothing
is lost from the journal or left half-owned."""

from __future__ import annotations

from allauth.account.decorators import secure_admin_login
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from warden.accounts.models import User
from warden.accounts.services import StaffActionError, user_disable, user_force_password_reset

# Staff log in through allauth's login page like everyone else, so its rate limits (and,
# later, the second factor) apply; Django's own admin login form would bypass them.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]


def _staff(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # the admin admits active staff only
    return user


@admin.register(User)
class WardenUserAdmin(UserAdmin):  # type: ignore[type-arg]
    list_display = ("username", "email", "is_active", "is_staff", "date_joined")
    list_filter = ("is_active", "is_staff", "is_superuser")
    actions = ("disable_users", "force_password_reset")
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
        staff_user = _staff(request)
        disabled = tokens = 0
        for user in queryset.filter(is_active=True):
            try:
                tokens += user_disable(user=user, staff_user=staff_user, request=request)
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
        staff_user = _staff(request)
        done = 0
        for user in queryset:
            try:
                user_force_password_reset(user=user, staff_user=staff_user, request=request)
            except StaffActionError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                done += 1
        self.message_user(request, ngettext(
            "Sent a password reset link to %(count)d user; their old password no longer works.",
            "Sent password reset links to %(count)d users; their old passwords no longer work.",
            done) % {"count": done}, messages.SUCCESS)
