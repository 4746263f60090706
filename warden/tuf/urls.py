from django.urls import re_path

from warden.tuf.serve import metadata

urlpatterns = [
    re_path(r"^tuf/(?P<name>[^/]+)$", metadata, name="tuf-metadata"),
]
