"""Every two-factor page, under /accounts/2fa/. Included before allauth's URLs; the names
are allauth's where allauth reverses them (its login stage redirects to `mfa_authenticate`,
its re-authentication page links to `mfa_reauthenticate` and `mfa_reauthenticate_webauthn`),
so allauth's own `mfa.urls` are never included."""

from django.urls import path

from warden.accounts.twofactor import views_keys, views_login, views_manage

urlpatterns = [
    path("", views_manage.index, name="mfa_index"),
    path("totp/activate/", views_manage.totp_activate, name="mfa_activate_totp"),
    path("totp/deactivate/", views_manage.totp_deactivate, name="mfa_deactivate_totp"),
    path("recovery-codes/", views_manage.recovery_codes, name="mfa_view_recovery_codes"),
    path("recovery-codes/generate/", views_manage.recovery_codes_generate,
         name="mfa_generate_recovery_codes"),
    path("recovery-codes/download/", views_manage.recovery_codes_download,
         name="mfa_download_recovery_codes"),
    path("keys/", views_keys.keys_list, name="mfa_list_webauthn"),
    path("keys/add/", views_keys.key_add, name="mfa_add_webauthn"),
    path("keys/<int:pk>/edit/", views_keys.key_edit, name="mfa_edit_webauthn"),
    path("keys/<int:pk>/remove/", views_keys.key_remove, name="mfa_remove_webauthn"),
    path("authenticate/", views_login.authenticate, name="mfa_authenticate"),
    path("reauthenticate/", views_login.reauthenticate, name="mfa_reauthenticate"),
    path("reauthenticate/key/", views_login.reauthenticate_webauthn,
         name="mfa_reauthenticate_webauthn"),
    path("passkey-login/", views_login.login_webauthn, name="mfa_login_webauthn"),
]
