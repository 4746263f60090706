from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("manage/", include("warden.packaging.manage.urls")),
    path("manage/tokens/", include("warden.tokens.urls")),
    path("", include("warden.audit.urls")),
    path("", include("warden.web.urls")),
    path("", include("warden.packaging.urls")),
]

handler403 = "warden.web.errors.forbidden"
handler404 = "warden.web.errors.not_found"
handler500 = "warden.web.errors.server_error"
