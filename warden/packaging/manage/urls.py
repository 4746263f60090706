from django.urls import path

from warden.packaging.manage import views

urlpatterns = [
    path("projects/", views.projects, name="manage-projects"),
]
