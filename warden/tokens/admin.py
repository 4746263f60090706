"""Tokens in the admin: visible for support, revocable, never created or edited here (the
token itself exists only at minting)."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from warden.audit.origin import Interface, Origin
from warden.tokens.models import Token
from warden.tokens.services import token_revoke


@admin.register(Token)
class TokenAdmin(admin.ModelAdmin[Token]):
    list_display = ("id", "user", "description", "created", "expires", "last_used", "revoked",
                    "revoked_reason")
    list_filter = ("revoked", "revoked_reason")
    search_fields = ("user__username", "description")
    readonly_fields = ("id", "user", "description", "caveats", "created", "expires",
                       "last_used", "revoked", "revoked_reason")
    actions = ("revoke",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Revoke selected tokens")
    def revoke(self, request: HttpRequest, queryset: QuerySet[Token]) -> None:
        origin = Origin.from_request(request, interface=Interface.ADMIN)
        for token in queryset.filter(revoked__isnull=True).select_related("user"):
            token_revoke(token=token, origin=origin)
