from django.urls import path, re_path

from warden.packaging.simple import files, jsonapi
from warden.packaging.simple import views as simple
from warden.packaging.upload.views import legacy_upload

urlpatterns = [
    path("legacy/", legacy_upload, name="upload"),
    path("simple/", simple.simple_index, name="simple-index"),
    re_path(r"^simple/(?:[^/]+/)?[0-9a-f]{64}\.index\.(?:html|json)$",
            simple.simple_page_by_digest, name="simple-page-digest"),
    re_path(r"^simple/(?P<name>[^/]+)/?$", simple.simple_project, name="simple-project"),
    path("pypi/<str:name>/json", jsonapi.project_json, name="json-project"),
    path("pypi/<str:name>/<str:version>/json", jsonapi.release_json, name="json-release"),
    re_path(r"^packages/(?P<path>.+)$", files.package_file, name="package-file"),
]
