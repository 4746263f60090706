from django.urls import path

from warden.packaging.manage import collaborators, views

PROJECT = "project/<str:name>/"
RELEASE = PROJECT + "release/<str:version>/"

urlpatterns = [
    path("projects/", views.projects, name="manage-projects"),
    path("invitations/<int:pk>/accept/", views.invitation_accept,
         name="manage-invitation-accept"),
    path("invitations/<int:pk>/decline/", views.invitation_decline,
         name="manage-invitation-decline"),
    path(PROJECT, views.project_overview, name="manage-project"),
    path(PROJECT + "settings/", views.project_settings, name="manage-project-settings"),
    path(PROJECT + "delete/", views.project_delete_view, name="manage-project-delete"),
    path(RELEASE, views.release_detail, name="manage-project-release"),
    path(RELEASE + "yank/", views.release_yank_view, name="manage-project-release-yank"),
    path(RELEASE + "unyank/", views.release_unyank_view, name="manage-project-release-unyank"),
    path(RELEASE + "delete/", views.release_delete_view, name="manage-project-release-delete"),
    path(RELEASE + "file/<str:filename>/delete/", views.file_delete_view,
         name="manage-project-file-delete"),
    path(PROJECT + "collaborators/", collaborators.collaborators,
         name="manage-project-collaborators"),
    path(PROJECT + "collaborators/invite/", collaborators.role_invite_view,
         name="manage-project-invite"),
    path(PROJECT + "collaborators/<str:username>/change/", collaborators.role_change_view,
         name="manage-project-role-change"),
    path(PROJECT + "collaborators/<str:username>/remove/", collaborators.role_remove_view,
         name="manage-project-role-remove"),
    path(PROJECT + "invitations/<int:pk>/revoke/", collaborators.invitation_revoke_view,
         name="manage-project-invitation-revoke"),
]
