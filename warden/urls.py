from django.contrib import admin
from django.urls import include, path

from warden.web.tokens.leaks import secret_scanning_report

urlpatterns = [
    path("admin/", admin.site.urls),
    # Our two-factor pages, under allauth's URL names. allauth's own (allauth.urls would add
    # them under accounts/2fa/ too, and `reverse` would pick those) are left out on purpose:
    # only its account URLs are included. No socialaccount or usersessions app is installed,
    # so allauth.urls would add nothing else.
    path("accounts/2fa/", include("warden.accounts.twofactor.urls")),
    path("accounts/", include("allauth.account.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("manage/", include("warden.packaging.manage.urls")),
    path("manage/tokens/", include("warden.web.tokens.urls")),
    # Machine-to-machine, signed by the scanner: no session, no CSRF (docs/tokens-leaks.md).
    path("_/secret-scanning/report/", secret_scanning_report, name="secret-scanning-report"),
    path("", include("warden.web.audit.urls")),
    path("", include("warden.review.urls")),
    path("", include("warden.web.urls")),
    path("", include("warden.packaging.urls")),
    path("", include("warden.tuf.urls")),
]

handler403 = "warden.web.errors.forbidden"
handler404 = "warden.web.errors.not_found"
handler500 = "warden.web.errors.server_error"
