from django.urls import path

from warden.web.audit import views

urlpatterns = [
    path("account/security-history/", views.user_history, name="audit-user-history"),
    path("manage/project/<str:name>/history/", views.project_history,
         name="manage-project-history"),
    path("manage/audit/", views.staff_search, name="audit-staff-search"),
]
