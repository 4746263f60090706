import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "warden.settings")

django_application = get_wsgi_application()

from warden.packaging.simple.fast import WSGIApp, simple_fast_path  # noqa: E402  (needs settings)
from warden.tuf.serve import tuf_fast_path  # noqa: E402
from warden.web.middleware import fast_path_headers  # noqa: E402


def application_for(django_app: WSGIApp) -> WSGIApp:
    """`django_app` behind the fast paths of the simple API and TUF metadata, which send
    what `django_app`'s middleware would have sent (tests build one after changing
    settings, since Django's SecurityMiddleware reads them once, when the handler loads its
    middleware)."""
    return tuf_fast_path(simple_fast_path(django_app, headers=fast_path_headers),
                         headers=fast_path_headers)


application = application_for(django_application)
