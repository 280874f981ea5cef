"""The one settings module. Every value comes from a WEIBAO_* variable (docs/configuration.md)."""

from __future__ import annotations

import secrets
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import dj_database_url
from django.utils.translation import gettext_lazy as _

from weibao.config.env import Env, EnvError

env = Env()
BASE_DIR = Path(__file__).resolve().parent.parent

DATA_DIR = Path(env.str("WEIBAO_DATA_DIR", "./var")).resolve()
try:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
except OSError as exc:
    raise EnvError("WEIBAO_DATA_DIR", str(DATA_DIR), f"a directory Weibao can create and write ({exc.strerror})") from None


def _secret_key() -> str:
    value = env.str("WEIBAO_SECRET_KEY", "")
    if value:
        if len(value) < 32:
            raise EnvError("WEIBAO_SECRET_KEY", "***", "at least 32 characters")
        return value
    # Generated once and kept beside the data so sessions survive restarts.
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env.bool("WEIBAO_DEBUG", False)
ALLOWED_HOSTS = env.list("WEIBAO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("WEIBAO_CSRF_TRUSTED_ORIGINS", [])
BASE_URL = env.url("WEIBAO_BASE_URL", "http://127.0.0.1:8000", ["http", "https"]).rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "huey.contrib.djhuey",
    "weibao.core",
    "weibao.accounts",
    "weibao.customers",
    "weibao.notify",
    "weibao.tickets",
    "weibao.records",
    "weibao.sla",
    "weibao.mail",
    "weibao.search",
    "weibao.knowledge",
    "weibao.monitoring",
    "weibao.staff",
    "weibao.portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "weibao.accounts.middleware.UserLocaleMiddleware",
    "weibao.accounts.middleware.UserTimezoneMiddleware",
    "weibao.accounts.middleware.RequireSecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "weibao.config.urls"
WSGI_APPLICATION = "weibao.config.wsgi.application"

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
                "weibao.core.context_processors.site",
            ],
        },
    },
]

# --- database -------------------------------------------------------------------------------
DATABASE_URL = env.url(
    "WEIBAO_DATABASE_URL",
    f"sqlite:///{DATA_DIR / 'weibao.sqlite3'}",
    ["sqlite", "postgres", "postgresql"],
)
_db = dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
DB_IS_SQLITE = _db["ENGINE"] == "django.db.backends.sqlite3"
if DB_IS_SQLITE:
    # Django's backend, with the process's writers queueing in Python instead of SQLite's sleep-and-retry.
    _db["ENGINE"] = "weibao.core.sqlite"
    # Kept open like PostgreSQL's: opening one costs the PRAGMAs and Django's ~30 SQL functions, per request.
    _db["CONN_MAX_AGE"] = 60
    _db["OPTIONS"] = {
        # IMMEDIATE makes writers queue on the lock instead of failing with "database is locked"
        # when a read transaction tries to upgrade.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
    _db["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- queue (Huey) ---------------------------------------------------------------------------
QUEUE_URL = env.url(
    "WEIBAO_QUEUE_URL", f"sqlite:///{DATA_DIR / 'queue.sqlite3'}", ["sqlite", "redis", "postgres", "postgresql", "memory"]
)
QUEUE_IMMEDIATE = env.bool("WEIBAO_QUEUE_IMMEDIATE", False)
QUEUE_WORKERS = env.int("WEIBAO_QUEUE_WORKERS", 2, minimum=1)
_q = urlsplit(QUEUE_URL)
_queue_name = env.str("WEIBAO_QUEUE_NAME", "weibao")
if _q.scheme == "sqlite":
    HUEY: dict[str, object] = {
        "huey_class": "weibao.core.queue.EmbeddedHuey",
        "name": _queue_name,
        "filename": _q.path or str(DATA_DIR / "queue.sqlite3"),
    }
elif _q.scheme == "redis":
    HUEY = {"huey_class": "huey.RedisHuey", "name": _queue_name, "url": QUEUE_URL}
elif _q.scheme in ("postgres", "postgresql"):
    # Huey's SQL storage through peewee on psycopg 3; workers claim tasks with FOR UPDATE SKIP LOCKED.
    HUEY = {"huey_class": "huey.contrib.sql_huey.SqlHuey", "name": _queue_name,
            "database": "psycopg3://" + QUEUE_URL.split("://", 1)[1]}
else:
    HUEY = {"huey_class": "huey.MemoryHuey", "name": _queue_name}
HUEY["immediate"] = QUEUE_IMMEDIATE
HUEY["results"] = False
HUEY["utc"] = True
HUEY["consumer"] = {"workers": QUEUE_WORKERS, "worker_type": "thread"}

# --- cache ----------------------------------------------------------------------------------
CACHE_URL = env.url("WEIBAO_CACHE_URL", "locmem://", ["locmem", "redis"])
if CACHE_URL.startswith("redis"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- auth -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["weibao.accounts.backends.UsernameOrEmailBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
LOGIN_FAILURE_LIMIT = env.int("WEIBAO_LOGIN_FAILURE_LIMIT", 5, minimum=1)
LOGIN_FAILURE_WINDOW_MINUTES = env.int("WEIBAO_LOGIN_FAILURE_WINDOW_MINUTES", 15, minimum=1)
PASSWORD_RESET_LIMIT = env.int("WEIBAO_PASSWORD_RESET_LIMIT", 3, minimum=1)
PASSWORD_RESET_WINDOW_MINUTES = env.int("WEIBAO_PASSWORD_RESET_WINDOW_MINUTES", 60, minimum=1)
# Django's database sessions with the per-request lookup compiled once (accounts/sessions.py).
SESSION_ENGINE = "weibao.accounts.sessions"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env.bool("WEIBAO_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# --- i18n / time ----------------------------------------------------------------------------
LANGUAGE_CODE = env.choice("WEIBAO_LANGUAGE", "zh-hans", ["zh-hans", "en"])
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.timezone("WEIBAO_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- static and uploaded files --------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(DATA_DIR / "files")}},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Files are served only through views that check access; there is no MEDIA_URL on purpose.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
ATTACHMENT_MAX_BYTES = env.int("WEIBAO_ATTACHMENT_MAX_BYTES", 20 * 1024 * 1024, minimum=1)
DATA_UPLOAD_MAX_MEMORY_SIZE = ATTACHMENT_MAX_BYTES + 1024 * 1024

# --- service requests -----------------------------------------------------------------------
TICKET_REOPEN_DAYS = env.int("WEIBAO_TICKET_REOPEN_DAYS", 14, minimum=0)
SURVEY_LINK_DAYS = env.int("WEIBAO_SURVEY_LINK_DAYS", 14, minimum=1)

# --- mail -----------------------------------------------------------------------------------
SMTP_URL = env.str("WEIBAO_SMTP_URL", "")
DEFAULT_FROM_EMAIL = env.str("WEIBAO_MAIL_FROM", "Weibao <weibao@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
if SMTP_URL:
    _s = urlsplit(SMTP_URL)
    if _s.scheme not in ("smtp", "smtps", "smtp+starttls") or not _s.hostname:
        raise EnvError("WEIBAO_SMTP_URL", SMTP_URL, "smtp://[user:password@]host[:port], smtps:// or smtp+starttls://")
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = _s.hostname
    EMAIL_PORT = _s.port or (465 if _s.scheme == "smtps" else 25)
    EMAIL_HOST_USER = _s.username or ""
    EMAIL_HOST_PASSWORD = _s.password or ""
    EMAIL_USE_SSL = _s.scheme == "smtps"
    EMAIL_USE_TLS = _s.scheme == "smtp+starttls"
    EMAIL_TIMEOUT = int(parse_qs(_s.query).get("timeout", ["20"])[0])
else:
    # Without an SMTP server, mail is written to files so nothing is lost and an operator can read it.
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(DATA_DIR / "outbox-mail")

# Intake: loop guard, largest accepted message, the `weibao smtpd` listener (docs/configuration.md).
MAIL_RATE_LIMIT_PER_HOUR = env.int("WEIBAO_MAIL_RATE_LIMIT", 20, minimum=1)
MAIL_LINK_DAYS = env.int("WEIBAO_MAIL_LINK_DAYS", 14, minimum=1)
MAIL_MAX_BYTES = env.int("WEIBAO_MAIL_MAX_BYTES", 50 * 1024 * 1024, minimum=1024)
SMTPD_HOST = env.str("WEIBAO_SMTPD_HOST", "127.0.0.1")
SMTPD_PORT = env.int("WEIBAO_SMTPD_PORT", 2525, minimum=1)
MAIL_POLL_SECONDS = env.int("WEIBAO_MAIL_POLL_SECONDS", 60, minimum=5)
MAIL_CA_FILE = env.str("WEIBAO_MAIL_CA_FILE", "")

# --- vendor identity (printed on documents) -------------------------------------------------
VENDOR_NAME = env.str("WEIBAO_VENDOR_NAME", "维保软件服务有限公司")
VENDOR_LOGO = env.str("WEIBAO_VENDOR_LOGO", "")
CJK_FONT = env.str("WEIBAO_CJK_FONT", "")

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "weibao.api.auth.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["weibao.api.permissions.IsAuthenticatedWithTokenScope"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "weibao.api.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser", "rest_framework.parsers.MultiPartParser"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Weibao API",
    "DESCRIPTION": "维保 after-sales service and operations-maintenance platform, API v1.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "TicketStatusEnum": "weibao.tickets.states.STATUS_CHOICES",
        "TicketTransitionEnum": "weibao.tickets.states.TRANSITION_CHOICES",
        "LevelEnum": "weibao.tickets.models.Level",
        # Several choice sets share a field name ("kind", "type"): named here, not by a hash suffix.
        "TicketTypeEnum": "weibao.tickets.models.TicketType",
        "RecordKindEnum": "weibao.records.kinds.RecordKind",
        "AlarmSourceKindEnum": "weibao.monitoring.models.alarms.SourceKind",
        "ProbeKindEnum": "weibao.monitoring.models.probes.ProbeKind",
    },
}

# --- operations -----------------------------------------------------------------------------
HEARTBEAT_MAX_AGE_SECONDS = env.int("WEIBAO_HEARTBEAT_MAX_AGE", 180, minimum=10)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.choice("WEIBAO_LOG_LEVEL", "INFO", ["DEBUG", "INFO", "WARNING", "ERROR"])},
    "loggers": {"huey": {"level": "WARNING"}, "weasyprint": {"level": "WARNING"}, "fontTools": {"level": "WARNING"},
                # aiosmtpd (`weibao smtpd`) logs every SMTP command at INFO
                "mail.log": {"level": "WARNING"}},
}
