"""The one settings module. Everything an operator sets comes from WARDEN_* variables."""

from __future__ import annotations

import secrets
from pathlib import Path

import dj_database_url

from warden.lib.env import ConfigError, env_bool, env_list, env_size, env_str

BASE_DIR = Path(__file__).resolve().parent

DATA_DIR = Path(env_str("WARDEN_DATA_DIR", "var") or "var").resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    configured = env_str("WARDEN_SECRET_KEY")
    if configured is not None:
        if len(configured) < 32:
            raise ConfigError("WARDEN_SECRET_KEY must be at least 32 characters.")
        return configured
    # Embedded default: generate once and keep it beside the data, readable by us only.
    # Tokens' root keys derive from it, so losing this file revokes every token.
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(48))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("WARDEN_DEBUG", False)
ALLOWED_HOSTS = env_list("WARDEN_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "warden.accounts",
    "warden.packaging",
    "warden.tokens",
    "warden.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "warden.urls"
WSGI_APPLICATION = "warden.wsgi.application"
AUTH_USER_MODEL = "accounts.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

_database_url = env_str("WARDEN_DATABASE_URL")
if _database_url:
    try:
        _db = dict(dj_database_url.parse(_database_url, conn_max_age=600, conn_health_checks=True))
    except ValueError as exc:
        raise ConfigError(f"WARDEN_DATABASE_URL: {exc}") from exc
else:
    _db = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": DATA_DIR / "warden.sqlite3",
        "OPTIONS": {
            # WAL lets readers (the simple API) proceed while an upload writes; IMMEDIATE
            # takes the write lock at BEGIN so two uploads queue instead of deadlocking.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
        },
    }
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

STORAGES = {
    "default": {
        "BACKEND": "warden.lib.storage.AtomicFileSystemStorage",
        "OPTIONS": {"location": DATA_DIR / "files"},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"

# Uploads go to disk past this size; our handler hashes while writing.
FILE_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024
FILE_UPLOAD_TEMP_DIR = DATA_DIR / "tmp"
FILE_UPLOAD_TEMP_DIR.mkdir(exist_ok=True)
FILE_UPLOAD_HANDLERS = ["warden.packaging.upload.handler.HashingUploadHandler"]
# Long descriptions (READMEs) arrive as form fields.
DATA_UPLOAD_MAX_MEMORY_SIZE = 8 * 1024 * 1024

WARDEN_MAX_FILE_SIZE = env_size("WARDEN_MAX_FILE_SIZE", 100 * 1024**2)
WARDEN_MAX_PROJECT_SIZE = env_size("WARDEN_MAX_PROJECT_SIZE", 10 * 1024**3)
WARDEN_MAX_UNCOMPRESSED_SIZE = env_size("WARDEN_MAX_UNCOMPRESSED_SIZE", 2 * 1024**3)

TASKS = {
    "default": {
        "BACKEND": env_str("WARDEN_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "warden": {"handlers": ["console"], "level": env_str("WARDEN_LOG_LEVEL", "INFO")},
    },
}

# Simple pages carry strong ETags, so clients revalidate cheaply (304). The default makes a
# yank or an upload visible at once; a CDN in front may want e.g. "public, max-age=60".
WARDEN_SIMPLE_CACHE_CONTROL = env_str(
    "WARDEN_SIMPLE_CACHE_CONTROL", "public, max-age=0, must-revalidate")
