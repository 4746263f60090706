from django.urls import path

from warden.web.tokens import views

urlpatterns = [
    path("", views.token_list_view, name="manage-tokens"),
    path("new/", views.token_create_view, name="manage-token-create"),
    path("<uuid:token_id>/revoke/", views.token_revoke_view, name="manage-token-revoke"),
]
