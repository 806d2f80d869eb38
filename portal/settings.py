"""Settings for the Warranty+ portal, read from the environment (django-environ).

Development defaults just work (SQLite file, DEBUG on, console e-mail). With DEBUG off the
portal is in production mode: it refuses to start without a real SECRET_KEY and turns on the
HTTPS hardening that `manage.py check --deploy` asks for. See README.md, "Configuration".
"""

import datetime as dt
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=True)
# seed_demo creates logins with a published password: development only (test runners
# switch DEBUG off, so the flag is taken here, from the environment).
DEMO_SEEDING_ALLOWED = DEBUG

_DEV_SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"
SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET_KEY)
if not DEBUG and (
    SECRET_KEY == _DEV_SECRET_KEY
    or SECRET_KEY.startswith("django-insecure")
    or len(SECRET_KEY) < 50
):
    raise ImproperlyConfigured(
        "Production mode (DEBUG=false) needs a real SECRET_KEY: at least 50 random characters, "
        "e.g. python -c 'import secrets; print(secrets.token_urlsafe(64))'."
    )

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Shared secret of the platform event API (R81). Development has a fixed default so the
# simulator works out of the box; production must set its own.
PLATFORM_WEBHOOK_SECRET = env.str(
    "PLATFORM_WEBHOOK_SECRET", default="dev-platform-secret" if DEBUG else ""
)
if not DEBUG and len(PLATFORM_WEBHOOK_SECRET) < 32:
    raise ImproperlyConfigured(
        "Production mode needs PLATFORM_WEBHOOK_SECRET (at least 32 characters), "
        "shared with the marketplace."
    )

# R110-R113: where the portal posts its messages to the marketplace, signed with this secret
# (HMAC-SHA256 of "<timestamp>.<raw body>"). No URL: messages are kept and wait for one.
PLATFORM_CALLBACK_URL = env.str("PLATFORM_CALLBACK_URL", default="")
PLATFORM_CALLBACK_SECRET = env.str(
    "PLATFORM_CALLBACK_SECRET", default="dev-callback-secret" if DEBUG else ""
)
if not DEBUG and PLATFORM_CALLBACK_URL and len(PLATFORM_CALLBACK_SECRET) < 32:
    raise ImproperlyConfigured(
        "Production mode needs PLATFORM_CALLBACK_SECRET (at least 32 characters) to sign "
        "the messages posted to PLATFORM_CALLBACK_URL."
    )
CALLBACK_CONNECT_TIMEOUT = env.float("CALLBACK_CONNECT_TIMEOUT", default=3.0)  # seconds
CALLBACK_READ_TIMEOUT = env.float("CALLBACK_READ_TIMEOUT", default=10.0)
CALLBACK_RETRY_BASE_SECONDS = env.float("CALLBACK_RETRY_BASE_SECONDS", default=10.0)
CALLBACK_RETRY_MAX_SECONDS = env.float("CALLBACK_RETRY_MAX_SECONDS", default=3600.0)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_fsm_log",
    "django_tasks_db",
    "portal",
    "enrollment",
    "claims",
    "invoicing",
    "platform_api",
    "exports",
    "notifications",
    "outbox",
    "payouts",  # R114-R115: payout batches to the payment provider (issue 12)
    "simulator",  # the marketplace, simulated, through the signed event API (issue 13)
    "demo",  # manage.py seed_demo: on top of every app (issue 13)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "portal.errors.ErrorPagesMiddleware",  # a body for the empty 405s (issue 11)
]
CSRF_FAILURE_VIEW = "portal.errors.csrf_failure"

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.merchant",
                "notifications.context_processors.unread",
            ],
        },
    },
]
# The hot merchant lists render with Jinja2 (issue 10, portal/jinja2.py): their views ask
# for it by name (using="jinja2"); every other template is a Django template.
TEMPLATES.append(
    {
        "NAME": "jinja2",
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "jinja2"],
        "APP_DIRS": False,
        "OPTIONS": {
            "environment": "portal.jinja2.environment",
            "context_processors": TEMPLATES[0]["OPTIONS"]["context_processors"],
        },
    }
)

# R1/R2 storage: PostgreSQL in production, a SQLite file by default for the demo.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"}
    )
# Behind PgBouncer in transaction pooling (issue 14): consecutive transactions of one
# connection may run on different server connections, so no server-side cursor may outlive
# its transaction (Django's psycopg backend already leaves prepared statements off).
if env.str("DATABASE_POOL_MODE", default="") == "transaction":
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
# A streaming replica (issue 14, portal/db_router.py): merchant pages' and the event API's
# read-back reads go there; writes, reads inside a transaction and a session's reads right
# after its own write go to the primary; a replica down or lagging past the bound is skipped.
# Without DATABASE_REPLICA_URL: one database, no router, no middleware, as before.
# The primary itself, not through the pooler: the scheduler's session-level lock needs it.
DATABASE_DIRECT_URL = env.str("DATABASE_DIRECT_URL", default="")
DATABASE_REPLICA = None
DATABASE_REPLICA_MAX_LAG = env.float("DATABASE_REPLICA_MAX_LAG", default=5.0)  # seconds
# How long a session reads from the primary after a write at most (the replica's replay of
# the write ends it sooner); longer than the lag bound, so a usable replica has the write.
DATABASE_REPLICA_PIN_SECONDS = max(60, 2 * DATABASE_REPLICA_MAX_LAG)
DATABASE_REPLICA_PATHS = (
    "/dashboard/",
    "/policies/",
    "/refunds/",
    "/claims/",
    "/feedback/",
    "/payouts/",
    "/invoices/",
    "/enrollment/",
    "/api/v1/orders/",
    "/api/v1/refunds/",
)
if env.str("DATABASE_REPLICA_URL", default=""):
    DATABASE_REPLICA = "replica"
    DATABASES[DATABASE_REPLICA] = env.db("DATABASE_REPLICA_URL")
    DATABASES[DATABASE_REPLICA].setdefault("OPTIONS", {}).setdefault("connect_timeout", 2)
    if env.str("DATABASE_POOL_MODE", default="") == "transaction":
        DATABASES[DATABASE_REPLICA]["DISABLE_SERVER_SIDE_CURSORS"] = True
    DATABASE_ROUTERS = ["portal.db_router.PrimaryReplicaRouter"]
    MIDDLEWARE.insert(0, "portal.db_router.ReplicaReadsMiddleware")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = ["portal.auth.EmailCaseInsensitiveBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
FILE_UPLOAD_MAX_MEMORY_SIZE = 6 * 1024 * 1024  # evidence photos up to 5 MB stay in memory
LOGOUT_REDIRECT_URL = "login"

# R3: Simplified Chinese first, English too.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True

# R2: aware UTC in the database, shown in Asia/Shanghai.
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
STORAGES = {
    # Uploaded files (evidence, invoice PDFs) are private: no MEDIA_URL is routed (R102).
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env.bool("STATIC_MANIFEST", default=not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# E-mail: EMAIL_URL, e.g. smtp+tls://user:password@smtp.example.com:587; the console in
# development, a local MTA (smtp://localhost:25) in production unless set.
_email = env.email("EMAIL_URL", default="consolemail://" if DEBUG else "smtp://localhost:25")
_mailer = {"BACKEND": _email["EMAIL_BACKEND"]}
if _email["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend":
    _mailer["OPTIONS"] = {
        "host": _email.get("EMAIL_HOST") or "localhost",
        "port": _email.get("EMAIL_PORT") or 25,
        "username": _email.get("EMAIL_HOST_USER") or "",
        "password": _email.get("EMAIL_HOST_PASSWORD") or "",
        "use_tls": bool(_email.get("EMAIL_USE_TLS")),
        "use_ssl": bool(_email.get("EMAIL_USE_SSL")),
        "timeout": 10,
    }
MAILERS = {"default": _mailer}
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL", default="Warranty+ <noreply@warranty-plus.example>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Absolute links in e-mails (invitations) are built from this.
PORTAL_BASE_URL = env.str("PORTAL_BASE_URL", default="http://127.0.0.1:8000")

# Background work: django.tasks; the database backend (db_worker) in production.
TASKS = {
    "default": {
        "BACKEND": env.str(
            "TASKS_BACKEND",
            default="django.tasks.backends.immediate.ImmediateBackend"
            if DEBUG
            else "django_tasks_db.DatabaseBackend",
        )
    }
}

# CSV exports (issue 10): more rows than this are prepared by a background task (the page
# shows the progress, then a private download link) instead of streamed by the web worker;
# the files are kept this long, then deleted (exports.services.csv_exports_expire).
CSV_EXPORT_BACKGROUND_ROWS = env.int("CSV_EXPORT_BACKGROUND_ROWS", default=20_000)
CSV_EXPORT_KEEP = dt.timedelta(hours=env.int("CSV_EXPORT_KEEP_HOURS", default=24))

# HTTPS hardening, on by default in production mode (check --deploy prints nothing).
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_TLS_PROXY", default=False) else None
)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
# Content Security Policy (Django's own support): no inline or third-party scripts; inline
# style attributes are allowed for the admin and the SVG charts.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# Login throttling counts failures in the cache: use a shared one (Redis) in production.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    CACHES["default"]["BACKEND"] = "portal.cache.RedisCache"  # its client kept (issue 10)
# Sessions are read on every page: from that shared cache, written through to the database
# (cached_db: a cache restart logs no one out; logout deletes both, so it ends the session
# in every worker). With a per-process cache (local memory: development, tests) they stay in
# the database only, since another worker's copy would outlive a logout. Issue 10.
_SHARED_CACHES = ("RedisCache", "PyMemcacheCache", "PyLibMCCache")
SESSION_ENGINE = (
    "django.contrib.sessions.backends.cached_db"
    if CACHES["default"]["BACKEND"].endswith(_SHARED_CACHES)
    else "django.contrib.sessions.backends.db"
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.tasks": {"level": "WARNING"},
        "django_tasks": {"level": "WARNING"},
        "httpx": {"level": "WARNING"},  # a line per callback otherwise (outbox.delivery)
    },
}

# django-fsm-log: write audit rows synchronously, inside the service's transaction (R40).
DJANGO_FSM_LOG_STORAGE_METHOD = "django_fsm_log.backends.SimpleBackend"
