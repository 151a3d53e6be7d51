"""Cursus settings. Every value that differs between machines comes from the environment."""

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from cursus.env import env_bool, env_int, env_list, env_str
from cursus.storage import storage_from_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

# Off unless set: `make run` and `make test` set DEBUG=1 for the demo and the suite.
DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off (production). For the demo use `make run`, "
            "which sets DEBUG=1."
        )
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"  # noqa: S105
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "cursus.admin_apps.CursusAdminConfig",  # django.contrib.admin with the institution-scoped site (I17)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_tasks_db",
    "cursus",
    "audit",
    "accounts",
    "catalog",
    "notifications",
    "applications",
    "admission",
    "registration",
    "billing",
    "studies",
    "privacy",
    "jobs",
]

MIDDLEWARE = [
    "cursus.uploads.UploadNamesMiddleware",
    "cursus.uploads.UploadLimitMiddleware",
    "cursus.requestlog.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files with DEBUG off (compressed, hashed names, cached forever), before anything that
    # reads the session or the user: a stylesheet costs no query (issue 11 item 1).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # The catalogue's pages whole from the cache for anonymous visitors, before the session, the user and
    # the template engine (catalog/middleware.py, issue 11 item 2).
    "catalog.middleware.SharedPageCacheMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.LanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.StaffSessionMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.NoStoreMiddleware",
]

ROOT_URLCONF = "cursus.urls"
WSGI_APPLICATION = "cursus.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "cursus.context_processors.site",
            ],
        },
    },
    {
        # Plain-text emails: no HTML escaping, so "l'école" is not sent as "l&#x27;école".
        "NAME": "text",
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {"autoescape": False},
    },
]

# With DEBUG off a worker keeps its connection for a minute (checked before reuse): opening one per
# request cost more than the whole empty page (issue 11 item 2). Count web workers × nodes + task workers
# against PostgreSQL's max_connections. The development server opens one per request.
DB_CONN_MAX_AGE = env_int("DB_CONN_MAX_AGE", 0 if DEBUG else 60)
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'cursus.sqlite3'}"),
        conn_max_age=DB_CONN_MAX_AGE,
        conn_health_checks=DB_CONN_MAX_AGE > 0,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # WAL + a busy timeout let the web server and the worker share the file.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL;",
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
    }
# Reports and exports may read from a PostgreSQL read replica (issue 11 item 4): only inside
# cursus.dbrouter.reading_from_replica(), never for writes nor inside a transaction on the primary. Under
# a test runner the alias mirrors the test database (TEST MIRROR); tests/test_scaleout.py adds one itself.
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL", "")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(
        DATABASE_REPLICA_URL, conn_max_age=DB_CONN_MAX_AGE, conn_health_checks=DB_CONN_MAX_AGE > 0
    ) | {"TEST": {"MIRROR": "default"}}
DATABASE_ROUTERS = ["cursus.dbrouter.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# Django's and allauth's backends, whose session user brings its permissions in the same query
# (accounts/backends.py, issue 11 item 2).
AUTHENTICATION_BACKENDS = [
    "accounts.backends.CursusModelBackend",
    "accounts.backends.CursusAccountBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard"

# django-allauth: email is the login; verification is mandatory; failed logins are throttled
# by allauth's default rate limits (5 per 5 minutes per account, 10 per minute per IP).
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_FORMS = {"signup": "accounts.adapter.CursusSignupForm"}
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
ACCOUNT_DEFAULT_HTTP_PROTOCOL = env_str("ACCOUNT_DEFAULT_HTTP_PROTOCOL", "http")
# Same page and same work whether the email is known or not (no account enumeration).
ACCOUNT_PREVENT_ENUMERATION = True
# The owner hears of every change of password, email or second factor.
ACCOUNT_EMAIL_NOTIFICATIONS = True
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_REAUTHENTICATION_TIMEOUT = 300
# Behind the TLS proxy every request comes from the proxy's address: the login limits per IP (30 logins a
# minute) would then count all candidates as one, and throttle a deadline rush (issue 11 item 3). With
# TRUSTED_PROXY_COUNT=1 the client's address is read from the X-Forwarded-For the proxy appends.
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

# Two-factor authentication (allauth MFA): required for every staff role and the superuser before
# any staff screen (accounts.middleware.StaffSessionMiddleware); candidates may turn it on.
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_ADAPTER = "accounts.mfa_adapter.MFAAdapter"
MFA_TOTP_ISSUER = env_str("MFA_TOTP_ISSUER", "Cursus")
# A code typed in the last second of its 30 s step arrives in the next one: RFC 6238 (section 5.2)
# advises accepting one step of delay. Without it a staff member is refused now and then for being quick,
# and so was the suite (a CI run failed on a code read at the end of its step). A used code stays refused.
MFA_TOTP_TOLERANCE = 1
MFA_RECOVERY_CODE_COUNT = 10
# Pages under these prefixes are staff screens: a second factor first.
STAFF_PATH_PREFIXES = ["/gestion/", "/admin/"]
# Staff sessions end after this idle time and this total time; candidates keep SESSION_COOKIE_AGE.
STAFF_SESSION_IDLE_SECONDS = env_int("STAFF_SESSION_IDLE_SECONDS", 30 * 60)
STAFF_SESSION_MAX_SECONDS = env_int("STAFF_SESSION_MAX_SECONDS", 12 * 3600)

# One cache shared by every process (login throttling counters live there): the database by default,
# Redis when CACHE_URL says redis://…
CACHE_URL = env_str("CACHE_URL", "db://cursus_cache")
if CACHE_URL.startswith(("redis://", "rediss://")):
    # django-redis (named by issue 11): its socket timeouts make a hung Redis fail a request in seconds
    # instead of holding a gunicorn worker. Errors are not swallowed (no IGNORE_EXCEPTIONS): login
    # throttle counters live here, and silently losing them would switch throttling off.
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": CACHE_URL,
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 5, "SOCKET_TIMEOUT": 5},
        }
    }
    # Sessions read from Redis and written through to the database ("cached_db"): every web node sees
    # the same session, and a Redis restart or eviction does not log anyone out mid-dossier.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
elif CACHE_URL.startswith("db://"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": CACHE_URL.removeprefix("db://") or "cursus_cache",
        }
    }
elif CACHE_URL == "locmem://":
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    raise ImproperlyConfigured("CACHE_URL must be db://<table>, redis://host:port/db or locmem://")

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"  # fixed: deadlines are Paris time (I1)
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
# Uploaded files: local files under MEDIA_ROOT, or an S3-compatible bucket when STORAGE_URL says
# s3://bucket[/prefix]?endpoint_url=…&region=… (keys from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or the
# machine's role, never from the URL). Objects are private; documents leave only through checked views.
STORAGE_URL = env_str("STORAGE_URL", "")
STORAGES = {
    "default": storage_from_url(STORAGE_URL),
    # With DEBUG off, `collectstatic` writes compressed files with hashed names that WhiteNoise serves
    # with a far-future cache; the demo and the suite serve the source files as they are.
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# The health endpoint says "late" when the oldest waiting task has waited longer than this.
HEALTH_QUEUE_LATE_SECONDS = env_int("HEALTH_QUEUE_LATE_SECONDS", 300)
# Uploaded documents live outside the web root and are served only through checked views.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
# Never routed: documents go out only through access-checked views (a FileField .url is never used).
MEDIA_URL = "/media-not-served/"
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 10 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_PERMISSIONS = 0o640
# A file is cut while it streams, as soon as it passes UPLOAD_MAX_BYTES (issue 6 item 6).
FILE_UPLOAD_HANDLERS = [
    "cursus.uploads.SizeLimitUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# Replaced files kept per document of a dossier; older ones are deleted (issue 6 item 6).
DOCUMENT_HISTORY_MAX = env_int("DOCUMENT_HISTORY_MAX", 5)
# GDPR (issue 6 item 7): the files and personal data of candidates not admitted are erased this many
# days after the end of their session's campaign (deadline or last jury sitting, whichever is later).
PRIVACY_FILE_RETENTION_DAYS = env_int("PRIVACY_FILE_RETENTION_DAYS", 92)
# Audit rows are kept this many days (default 10 years), then deleted by audit_purge_expired; the
# PostgreSQL trigger lets nothing else delete or change them (issue 6 item 7).
AUDIT_RETENTION_DAYS = env_int("AUDIT_RETENTION_DAYS", 3653)

# Email (Django 6.1 MAILERS). Default: printed on the console.
EMAIL_MODE = env_str("EMAIL_MODE", "console")  # console | smtp | file
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Cursus <no-reply@cursus.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
if EMAIL_MODE == "smtp":
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": env_str("EMAIL_HOST", "localhost"),
                "port": env_int("EMAIL_PORT", 25),
                "username": env_str("EMAIL_HOST_USER", ""),
                "password": env_str("EMAIL_HOST_PASSWORD", ""),
                "use_tls": env_bool("EMAIL_USE_TLS", False),
                "timeout": env_int("EMAIL_TIMEOUT", 30),
            },
        }
    }
elif EMAIL_MODE == "file":
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": env_str("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))},
        }
    }
elif EMAIL_MODE == "console":
    if not DEBUG:
        raise ImproperlyConfigured(
            "EMAIL_MODE=console prints emails (password-reset links included) to the log: it is for "
            "the demo only. With DEBUG=0 set EMAIL_MODE=smtp (and EMAIL_HOST…) or EMAIL_MODE=file."
        )
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
else:
    raise ImproperlyConfigured("EMAIL_MODE must be console, smtp or file")

# Background work: django.tasks with a durable database queue (run `manage.py db_worker`). More
# workers, on as many machines as wanted, share the queue: each claims a task with SELECT … FOR UPDATE
# SKIP LOCKED on PostgreSQL, so no task runs twice. TASKS_BACKEND=rq is refused (see the message).
TASKS_BACKEND = env_str("TASKS_BACKEND", "database")
if TASKS_BACKEND == "rq":
    raise ImproperlyConfigured(
        "TASKS_BACKEND=rq is not supported: django-tasks-rq 0.12 is built on the django-tasks backport, "
        "not on Django 6.1's django.tasks (its results and signals are the backport's, and it needs "
        "django-rq's worker with its own job class). To run tasks on several machines start several "
        "`manage.py db_worker` on PostgreSQL: they share the queue without running a task twice."
    )
if TASKS_BACKEND not in ("database", "immediate"):
    raise ImproperlyConfigured("TASKS_BACKEND must be database or immediate")
TASKS = {
    "default": {
        "BACKEND": {
            "database": "django_tasks_db.DatabaseBackend",
            "immediate": "django.tasks.backends.immediate.ImmediateBackend",
        }[TASKS_BACKEND]
    }
}

# Exports of more rows than this are written by the worker, with their progress on a page (issue 11
# item 5); their files are kept this many days for the person who asked, then deleted by the schedule.
EXPORT_SYNC_MAX_ROWS = env_int("EXPORT_SYNC_MAX_ROWS", 2000)
EXPORT_KEEP_DAYS = env_int("EXPORT_KEEP_DAYS", 7)

SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 14 * 24 * 3600)
# Written when it changes, not on every request (convention 25); staff timeouts are checked on the
# server (accounts.middleware.StaffSessionMiddleware).
SESSION_SAVE_EVERY_REQUEST = False
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
# Behind a TLS-terminating proxy: HTTPS redirect, HSTS and the proxy's forwarded-protocol header.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
_proxy_header = env_str("SECURE_PROXY_SSL_HEADER", "")  # e.g. HTTP_X_FORWARDED_PROTO
if _proxy_header:
    SECURE_PROXY_SSL_HEADER = (_proxy_header, "https")
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"

from django.utils.csp import CSP  # noqa: E402

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.SELF],
}

# One line per event, each with the request's id (cursus.requestlog); LOG_FORMAT=json for a collector.
LOG_FORMAT = env_str("LOG_FORMAT", "text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "cursus.requestlog.RequestIdFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "cursus.requestlog.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "json" if LOG_FORMAT == "json" else "text",
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        # Our access line replaces runserver's and gunicorn's (same content, with the request id).
        "django.server": {"level": "WARNING"},
        "cursus.access": {"level": env_str("ACCESS_LOG_LEVEL", "INFO")},
    },
}

# Absolute address used in emails (links to the site).
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# ---- finance (issue 9) ---------------------------------------------------------------------------
# IBANs are encrypted at rest (Fernet). IBAN_ENCRYPTION_KEYS: comma-separated Fernet keys, the first
# encrypts, all decrypt (rotation). Required when DEBUG is off; the demo and the suite derive one from
# SECRET_KEY. Make one with:
#   python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"
IBAN_ENCRYPTION_KEYS = env_list("IBAN_ENCRYPTION_KEYS", [])
if not IBAN_ENCRYPTION_KEYS and not DEBUG:
    raise ImproperlyConfigured("IBAN_ENCRYPTION_KEYS must be set when DEBUG is off (production).")
# The debtor is told of each debit at least this many days before it (I10).
SEPA_PRENOTIFICATION_DAYS = env_int("SEPA_PRENOTIFICATION_DAYS", 14)
# pain.008 schema of the exported files: pain.008.001.08 (default) or pain.008.001.02.
SEPA_SCHEMA = env_str("SEPA_SCHEMA", "pain.008.001.08")
# A mandate unused for this many months lapses (SEPA rulebook).
SEPA_MANDATE_LAPSE_MONTHS = env_int("SEPA_MANDATE_LAPSE_MONTHS", 36)
# Flywire's notifications are signed with this shared secret (X-Flywire-Digest); none: refused.
FLYWIRE_SHARED_SECRET = env_str("FLYWIRE_SHARED_SECRET", "")
