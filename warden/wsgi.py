import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "warden.settings")

django_application = get_wsgi_application()

from warden.packaging.simple.fast import simple_fast_path  # noqa: E402  (needs settings)

application = simple_fast_path(django_application)

