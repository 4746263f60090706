"""The one settings module. Everything an operator sets comes from WARDEN_* variables."""

from __future__ import annotations

import ipaddress
import secrets
from pathlib import Path

import dj_database_url

from warden.lib.env import ConfigError, env_bool, env_int, env_list, env_size, env_str

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
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "warden.accounts",
    "warden.audit",
    "warden.packaging",
    "warden.tokens",
    "warden.tuf",
    "warden.checks",
    "warden.review",
    "warden.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "warden.web.middleware.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "warden.web.middleware.TimeZoneMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
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
                "django.template.context_processors.i18n",
                "warden.web.context.site",
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

# Shared by every web process (rate-limit counters must be), on any database, and across
# restarts: `warden serve` creates the table; scale-out runs `warden createcachetable`.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "warden_cache",
    }
}

STORAGES = {
    "default": {
        "BACKEND": "warden.lib.storage.AtomicFileSystemStorage",
        "OPTIONS": {"location": DATA_DIR / "files"},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
# WhiteNoise serves the stylesheet and script from the web processes themselves (no CDN
# assets, no separate static server in the embedded default). `warden serve` collects them
# into STATIC_ROOT; finders are the fallback when that has not happened (tests, `migrate`).
WHITENOISE_USE_FINDERS = True

# Uploads go to disk past this size; our handler hashes while writing.
FILE_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024
FILE_UPLOAD_TEMP_DIR = DATA_DIR / "tmp"
FILE_UPLOAD_TEMP_DIR.mkdir(exist_ok=True)
FILE_UPLOAD_HANDLERS = ["warden.packaging.upload.handler.HashingUploadHandler"]
# Long descriptions (READMEs) arrive as form fields.
DATA_UPLOAD_MAX_MEMORY_SIZE = 8 * 1024 * 1024

# Audit events keep the client's IP hash and network prefix this long, then lose them.
WARDEN_AUDIT_IP_RETENTION_DAYS = env_int("WARDEN_AUDIT_IP_RETENTION_DAYS", 90, minimum=1)

WARDEN_MAX_FILE_SIZE = env_size("WARDEN_MAX_FILE_SIZE", 100 * 1024**2)
WARDEN_MAX_PROJECT_SIZE = env_size("WARDEN_MAX_PROJECT_SIZE", 10 * 1024**3)
WARDEN_MAX_UNCOMPRESSED_SIZE = env_size("WARDEN_MAX_UNCOMPRESSED_SIZE", 2 * 1024**3)

# Caps on abuse (warden.packaging.limits), per account and per client address, over a sliding
# day (new projects) or hour (uploaded files); 0 turns a cap off. A release pipeline
# uploading a hundred wheels stays far below them; a spammer creating projects by the
# hundred does not. An operator's `warden import` is never capped.
WARDEN_LIMIT_PROJECTS_PER_USER_DAY = env_int("WARDEN_LIMIT_PROJECTS_PER_USER_DAY", 50,
                                             minimum=0)
WARDEN_LIMIT_PROJECTS_PER_ADDRESS_DAY = env_int("WARDEN_LIMIT_PROJECTS_PER_ADDRESS_DAY", 100,
                                                minimum=0)
WARDEN_LIMIT_UPLOADS_PER_USER_HOUR = env_int("WARDEN_LIMIT_UPLOADS_PER_USER_HOUR", 500,
                                             minimum=0)
WARDEN_LIMIT_UPLOADS_PER_ADDRESS_HOUR = env_int("WARDEN_LIMIT_UPLOADS_PER_ADDRESS_HOUR", 1000,
                                                minimum=0)

# /.well-known/security.txt (RFC 9116): where to report a vulnerability. Unset, the file is
# not served (404): a security.txt without a contact would mislead. Space-separated URIs.
WARDEN_SECURITY_CONTACT = (env_str("WARDEN_SECURITY_CONTACT") or "").split()
for _contact in WARDEN_SECURITY_CONTACT:
    if not _contact.startswith(("mailto:", "https://", "tel:")):
        raise ConfigError(f"WARDEN_SECURITY_CONTACT: {_contact!r} is not a mailto:, https:// "
                          "or tel: URI.")
WARDEN_SECURITY_POLICY = env_str("WARDEN_SECURITY_POLICY", "") or ""
if WARDEN_SECURITY_POLICY and not WARDEN_SECURITY_POLICY.startswith("https://"):
    raise ConfigError("WARDEN_SECURITY_POLICY must be an https:// URL.")

TASKS = {
    "default": {
        "BACKEND": env_str("WARDEN_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("de", "Deutsch")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# Accounts (django-allauth). Policy is ours; allauth implements the flows.
# One backend for every password check (login, re-authentication, admin): it resolves the
# typed name to at most one account and always costs exactly one password hash, and it
# applies the sign-in caps below (warden.accounts.backends).
AUTHENTICATION_BACKENDS = ["warden.accounts.backends.LoginBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"
WARDEN_SIGNUP_OPEN = env_bool("WARDEN_SIGNUP_OPEN", True)
ACCOUNT_ADAPTER = "warden.accounts.adapter.AccountAdapter"
ACCOUNT_FORMS = {"login": "warden.accounts.forms.LoginForm",
                 "signup": "warden.accounts.forms.SignupForm"}
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_PREVENT_ENUMERATION = True
# Sensitive actions need the password again if the last entry is older than this.
ACCOUNT_REAUTHENTICATION_TIMEOUT = 300
# Deliberate limits: per IP and per key (account), so neither a botnet on one account nor
# one address across many accounts gets unbounded guesses.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    # Superseded by the WARDEN_LOGIN_LIMIT_* caps, which count per account rather than per
    # spelling of its name (allauth's key is the typed name plus the Host header).
    "login_failed": "",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "confirm_email": "1/3m/key",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
    "reauthenticate": "10/m/user",
}

# Failed passwords allowed before sign-in is refused for a while (warden.accounts.login_limits),
# per account (whatever name, address or host was used) and per client address (looser:
# offices share one). "Window" is WARDEN_LOGIN_LOCKOUT_MINUTES.
WARDEN_LOGIN_LOCKOUT_MINUTES = env_int("WARDEN_LOGIN_LOCKOUT_MINUTES", 15, minimum=1)
WARDEN_LOGIN_LIMIT_PER_ACCOUNT = env_int("WARDEN_LOGIN_LIMIT_PER_ACCOUNT", 5, minimum=1)
WARDEN_LOGIN_LIMIT_PER_ACCOUNT_DAY = env_int("WARDEN_LOGIN_LIMIT_PER_ACCOUNT_DAY", 20,
                                             minimum=1)
WARDEN_LOGIN_LIMIT_PER_ADDRESS = env_int("WARDEN_LOGIN_LIMIT_PER_ADDRESS", 30, minimum=1)
WARDEN_LOGIN_LIMIT_PER_ADDRESS_DAY = env_int("WARDEN_LOGIN_LIMIT_PER_ADDRESS_DAY", 300,
                                             minimum=1)
# Sign-ups from one client address (warden.accounts.signup_limits); answered with 429.
WARDEN_SIGNUP_LIMIT_PER_ADDRESS_HOUR = env_int("WARDEN_SIGNUP_LIMIT_PER_ADDRESS_HOUR", 5,
                                               minimum=1)
WARDEN_SIGNUP_LIMIT_PER_ADDRESS_DAY = env_int("WARDEN_SIGNUP_LIMIT_PER_ADDRESS_DAY", 20,
                                              minimum=1)

# Two-factor authentication (allauth's `mfa`; the rules are ours: warden.accounts.twofactor).
# Required by default to manage projects, create tokens and upload; staff always need it.
WARDEN_REQUIRE_2FA = env_bool("WARDEN_REQUIRE_2FA", True)
# Encrypts TOTP secrets (and pending recovery codes) at rest. It lives in the configuration,
# never in the database, so a stolen database alone yields no usable TOTP secret. Unset, it
# is derived from the secret key.
WARDEN_2FA_KEY = env_str("WARDEN_2FA_KEY")
if WARDEN_2FA_KEY is not None and len(WARDEN_2FA_KEY) < 32:
    raise ConfigError("WARDEN_2FA_KEY must be at least 32 characters.")
# Keys that sealed values before the current one (comma-separated): they still open, and
# `warden twofactor rekey` seals those values again with the current key.
WARDEN_2FA_PREVIOUS_KEYS = env_list("WARDEN_2FA_PREVIOUS_KEYS", [])
# WebAuthn binds every key to this host name: it must be the host people type in the
# browser (or a parent domain of it). It cannot change later without re-registering keys.
WARDEN_WEBAUTHN_RP_ID = env_str("WARDEN_WEBAUTHN_RP_ID", "localhost") or "localhost"
WARDEN_WEBAUTHN_RP_NAME = env_str("WARDEN_WEBAUTHN_RP_NAME", "Warden") or "Warden"
MFA_ADAPTER = "warden.accounts.twofactor.adapter.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_TOTP_ISSUER = WARDEN_WEBAUTHN_RP_NAME
# The half-logged-in state between the password and the second factor lasts this long.
ACCOUNT_LOGIN_TIMEOUT = 300

# Mail: SMTP when configured; otherwise written to files in the data dir (the embedded
# default has no mail server), and `warden serve` says where.
EMAIL_HOST = env_str("WARDEN_EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = int(env_str("WARDEN_EMAIL_PORT", "587") or "587")
    EMAIL_HOST_USER = env_str("WARDEN_EMAIL_USER", "") or ""
    EMAIL_HOST_PASSWORD = env_str("WARDEN_EMAIL_PASSWORD", "") or ""
    EMAIL_USE_TLS = env_bool("WARDEN_EMAIL_TLS", True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = DATA_DIR / "mail"
DEFAULT_FROM_EMAIL = env_str("WARDEN_EMAIL_FROM", "warden@localhost") or "warden@localhost"

# TLS: when Warden is served over https (directly or behind a proxy that says so), cookies
# are Secure and browsers are told to stay on https. The embedded default is plain http on
# loopback, where Secure cookies would never be sent back.
WARDEN_TLS = env_bool("WARDEN_TLS", False)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = WARDEN_TLS
SESSION_COOKIE_SAMESITE = CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_HTTPONLY = True
if WARDEN_TLS:
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("WARDEN_SSL_REDIRECT", True)
CSRF_TRUSTED_ORIGINS = env_list("WARDEN_CSRF_TRUSTED_ORIGINS", [])
# Reverse proxies (addresses or networks, comma-separated) whose X-Forwarded-For is believed:
# behind nginx or a CDN, every per-address limit and audit event would otherwise see the
# proxy. Empty (the default): the peer's address is the client's, and the header is ignored.
try:
    WARDEN_TRUSTED_PROXIES = [ipaddress.ip_network(item, strict=False)
                              for item in env_list("WARDEN_TRUSTED_PROXIES", [])]
except ValueError as _exc:
    raise ConfigError(f"WARDEN_TRUSTED_PROXIES: {_exc}") from None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "warden": {"handlers": ["console"], "level": env_str("WARDEN_LOG_LEVEL", "INFO")},
    },
}

# Leaked-token reports (docs/tokens-leaks.md): the public keys secret scanners sign reports
# with, as JSON in the shape GitHub publishes them; usually WARDEN_TOKEN_SCANNER_KEYS_FILE.
# Unset, the report endpoint answers 404. Checked at start-up, never fetched while serving.
WARDEN_TOKEN_SCANNER_KEYS = env_str("WARDEN_TOKEN_SCANNER_KEYS")

# Simple pages carry strong ETags, so clients revalidate cheaply (304). The default makes a
# yank or an upload visible at once; a CDN in front may want e.g. "public, max-age=60".
WARDEN_SIMPLE_CACHE_CONTROL = env_str(
    "WARDEN_SIMPLE_CACHE_CONTROL", "public, max-age=0, must-revalidate")

# TUF (PEP 458). On by default: `warden serve` initialises a repository with embedded keys
# on first start unless one exists (docs/tuf-operators.md for the ceremony). The online key
# is read by the signer process only.
WARDEN_TUF = env_bool("WARDEN_TUF", True)
WARDEN_TUF_ONLINE_KEY_FILE = Path(env_str("WARDEN_TUF_ONLINE_KEY_FILE", "") or
                                  DATA_DIR / "tuf-online-key.pem")
WARDEN_TUF_ONLINE_KEY_URI = env_str("WARDEN_TUF_ONLINE_KEY_URI")
WARDEN_TUF_BIT_LENGTH = env_int("WARDEN_TUF_BIT_LENGTH", 14, minimum=1)
if WARDEN_TUF_BIT_LENGTH > 16:
    # 65,536 bins already make a 9 MB snapshot that every publish writes again.
    raise ConfigError("WARDEN_TUF_BIT_LENGTH must be at most 16.")
WARDEN_TUF_TIMESTAMP_CACHE_CONTROL = env_str(
    "WARDEN_TUF_TIMESTAMP_CACHE_CONTROL", "public, max-age=0, must-revalidate")
# Tests only: publish (and sign) in the wake of each change's commit, inside the process
# that made it, instead of waiting for the signer.
WARDEN_TUF_SYNC = env_bool("WARDEN_TUF_SYNC", False)

# Malware screening (docs/screening.md). Every upload is scanned by the installed checks after
# its transaction commits; WARDEN_SCREEN_HOLD keeps a new file out of every listing until its
# enabled checks have finished.
WARDEN_SCREEN_HOLD = env_bool("WARDEN_SCREEN_HOLD", False)
# Enabled checks' combined verdict at or above which the policy quarantines by itself.
_quarantine_confidence = env_str("WARDEN_SCREEN_QUARANTINE_CONFIDENCE", "0.9") or "0.9"
try:
    WARDEN_SCREEN_QUARANTINE_CONFIDENCE = float(_quarantine_confidence)
except ValueError:
    raise ConfigError("WARDEN_SCREEN_QUARANTINE_CONFIDENCE must be a number from 0 to 1.") from None
if not 0.0 < WARDEN_SCREEN_QUARANTINE_CONFIDENCE <= 1.0:
    raise ConfigError("WARDEN_SCREEN_QUARANTINE_CONFIDENCE must be above 0 and at most 1.")
# A project older than this, with an earlier release, is "established": the policy then
# quarantines only the new release, not the project its users rely on.
WARDEN_SCREEN_ESTABLISHED_DAYS = env_int("WARDEN_SCREEN_ESTABLISHED_DAYS", 30, minimum=0)
# Address space a check's child process may add on top of its start-up size.
WARDEN_CHECKS_MEMORY_MB = env_int("WARDEN_CHECKS_MEMORY_MB", 1536, minimum=64)
