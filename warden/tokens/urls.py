from django.urls import path

from warden.tokens import views

urlpatterns = [
    path("", views.token_list_view, name="manage-tokens"),
]
