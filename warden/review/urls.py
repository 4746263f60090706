from django.urls import path

from warden.review import actions, checks, projects, views

urlpatterns = [
    path("staff/screening/", views.queue, name="review-queue"),
    path("staff/screening/failed/", views.failed, name="review-failed"),
    path("staff/screening/<int:screening_id>/", views.screening_detail,
         name="review-screening"),
    path("staff/screening/<int:screening_id>/results/<int:result_id>/review/",
         actions.review, name="review-result-review"),
    path("staff/screening/<int:screening_id>/project/quarantine/",
         actions.project_quarantine_view, name="review-project-quarantine"),
    path("staff/screening/<int:screening_id>/project/unquarantine/",
         actions.project_unquarantine_view, name="review-project-unquarantine"),
    path("staff/screening/<int:screening_id>/release/quarantine/",
         actions.release_quarantine_view, name="review-release-quarantine"),
    path("staff/screening/<int:screening_id>/release/unquarantine/",
         actions.release_unquarantine_view, name="review-release-unquarantine"),
    path("staff/screening/<int:screening_id>/project/remove/", actions.project_remove_view,
         name="review-project-remove"),
    path("staff/projects/", projects.project_list, name="review-projects"),
    path("staff/projects/<str:name>/", projects.project_status, name="review-project"),
    path("staff/projects/<str:name>/status/", projects.project_status_post,
         name="review-project-status"),
    path("staff/checks/", checks.check_list, name="review-checks"),
    path("staff/checks/<str:name>/", checks.check_detail, name="review-check"),
    path("staff/checks/<str:name>/state/", checks.check_state, name="review-check-state"),
    path("staff/checks/<str:name>/backfill/", checks.check_backfill_view,
         name="review-check-backfill"),
]
