"""Settings for chuangwen, driven by the environment.

With nothing set the site runs on SQLite with Celery jobs executed in-process
(the embedded default). Production sets DATABASE_URL, REDIS_URL, SECRET_KEY,
ALLOWED_HOSTS and leaves DEBUG off.
"""
from __future__ import annotations

import os
import sys
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.hardening import DEV_SECRET_KEY, production_problems

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = envbool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY and DEBUG:
    SECRET_KEY = DEV_SECRET_KEY

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
# Production refuses to start with a missing, weak or published key, or without ALLOWED_HOSTS
# (config/hardening.py; docs/security.md §4).
if not DEBUG and (_problems := production_problems(secret_key=SECRET_KEY, allowed_hosts=ALLOWED_HOSTS)):
    raise ImproperlyConfigured("\n".join(_problems))
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "rules",
    "config.third_party_apps.SimpleHistoryConfig",
    "config.third_party_apps.AxesConfig",
    "csp",
    # Imports flow one way, down this list: an app imports only the apps above it (README, 架构).
    "campaign",
    "notices",
    "ledgers",
    "tasks",
    "inspections",
    "materials",
    "surveys",
    "snaps",
    "reports",
    "dataload",
    # Self-hosted CAPTCHA for public submissions (campaign/public.py).
    "config.third_party_apps.CaptchaConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # NUL bytes in the query string answer the Chinese 400 page (campaign/security.py).
    "campaign.security.RejectNulBytesMiddleware",
    # A malformed id or foreign key in an admin URL (?campaign=abc, abc/history/) answers 400 too.
    "campaign.security.AdminBadInputMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "campaign.security.PasswordExpiryMiddleware",
    # django-axes turns a locked-out login into the lockout page; it must come last.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"

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
                "campaign.context_processors.navigation",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

# Two PostgreSQL roles (docs/security.md, "Database roles"; scripts/db_roles.sql). The site, the
# workers, beat and every command connect with DATABASE_URL — the app role, which may read and write
# rows and nothing else. `manage.py migrate`, or any command run with DATABASE_ROLE=owner, connects
# with DATABASE_MIGRATE_URL — the owner of the tables, triggers and functions. Without
# DATABASE_MIGRATE_URL everything uses DATABASE_URL (SQLite, a development database).
OWNER_COMMANDS = frozenset({"migrate"})


def database_url(argv: list[str], environ: os._Environ | dict) -> str:
    url = environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
    owner_url = environ.get("DATABASE_MIGRATE_URL", "")
    role = environ.get("DATABASE_ROLE", "")
    if role not in ("", "app", "owner"):
        raise ImproperlyConfigured(f"DATABASE_ROLE 只能是 app 或 owner，收到：{role!r}")
    if role == "owner" and not owner_url:
        raise ImproperlyConfigured("DATABASE_ROLE=owner 需要同时设置 DATABASE_MIGRATE_URL（数据库所有者角色的连接串）。")
    is_manage = len(argv) > 1 and Path(argv[0]).name in ("manage.py", "django-admin", "__main__.py")
    command = argv[1] if is_manage else ""
    if owner_url and role != "app" and (role == "owner" or command in OWNER_COMMANDS):
        return owner_url
    return url


DATABASES = {
    "default": dj_database_url.parse(database_url(sys.argv, os.environ), conn_max_age=envint("DB_CONN_MAX_AGE", 0))
}
# Connection pooling for PostgreSQL (psycopg_pool through Django's OPTIONS; README, 生产部署):
# DB_POOL=1 gives each process a pool of DB_POOL_MIN..DB_POOL_MAX connections instead of one new
# connection per request; waiting longer than DB_POOL_TIMEOUT seconds for a free one is an error.
# Meant for the gunicorn processes; persistent connections (DB_CONN_MAX_AGE) are then off.
if envbool("DB_POOL", False) and DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": envint("DB_POOL_MIN", 2),
        "max_size": envint("DB_POOL_MAX", 10),
        "timeout": envint("DB_POOL_TIMEOUT", 10),
    }
# PostgreSQL's JIT compiles any query its planner costs above jit_above_cost: the task dashboard's
# grouped counts (each ledger measure a CASE subquery) spent 16 s of 16.3 s compiling on the bench
# city, for queries that run in milliseconds. Pages here are short OLTP queries: JIT off (PG_JIT=1 on).
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and not envbool("PG_JIT", False):
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["options"] = (_options.get("options", "") + " -c jit=off").strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # First: refuses locked-out accounts/addresses before any password is checked (django-axes).
    "campaign.security.AxesLoginBackend",
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "campaign.validators.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "campaign.validators.CharacterClassesValidator", "OPTIONS": {"min_classes": 3}},
]
# Periodic password change: days a password may be used (0 = off). See campaign/security.py.
PASSWORD_MAX_AGE_DAYS = envint("PASSWORD_MAX_AGE_DAYS", 0)

# Login lockout (django-axes, see docs/security.md §1): AXES_FAILURE_LIMIT failures of one account
# from one address lock that (account, address) pair for the cool-off time; a success resets only
# its own pair. Ceilings on top (campaign.security.LoginLockHandler; each pair counts at most the
# limit): LOGIN_ACCOUNT_FAILURE_CEILING failures of one account over all addresses lock the account
# everywhere (credential stuffing); LOGIN_ADDRESS_FAILURE_CEILING failures from one address over all
# accounts lock the address (password spraying). 0 switches a ceiling off.
# Axes counts failures while the previous one is younger than the cool-off time.
AXES_ENABLED = envbool("AXES_ENABLED", True)
AXES_HANDLER = "campaign.security.LoginLockHandler"
AXES_FAILURE_LIMIT = envint("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=envint("LOGIN_LOCK_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
LOGIN_ACCOUNT_FAILURE_CEILING = envint("LOGIN_ACCOUNT_FAILURE_CEILING", 20)
LOGIN_ADDRESS_FAILURE_CEILING = envint("LOGIN_ADDRESS_FAILURE_CEILING", 50)
AXES_LOCKOUT_TEMPLATE = "registration/lockout.html"
AXES_CLIENT_IP_CALLABLE = "campaign.audit.client_ip"
AXES_VERBOSE = False

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "zh-hans"
# The only language: LocaleMiddleware must not switch the admin to English for an en-US browser.
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
# Chinese names for third-party apps without a zh_Hans catalogue (config/third_party_apps.py).
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT") or BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]

# Uploaded evidence and generated reports go through Django's storage API.
# Nothing under MEDIA_ROOT is served by URL: every download passes an access check.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
MEDIA_URL = "/media-not-served/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# With S3_BUCKET set, uploaded evidence and generated reports live in S3-compatible object storage
# (django-storages), so web, worker and beat on separate machines share them. Objects are private
# (no public ACL, no query-string links handed out): downloads still stream through the site's
# access-checked, audited views. Static files stay on WhiteNoise.
S3_BUCKET = os.environ.get("S3_BUCKET", "")
if S3_BUCKET:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": os.environ.get("S3_ENDPOINT_URL") or None,
            "access_key": os.environ.get("S3_ACCESS_KEY_ID") or None,
            "secret_key": os.environ.get("S3_SECRET_ACCESS_KEY") or None,
            "region_name": os.environ.get("S3_REGION") or None,
            "location": os.environ.get("S3_PREFIX", ""),
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }

# Upload limits (bytes / pixels); see campaign/uploads.py.
UPLOAD_MAX_BYTES = envint("UPLOAD_MAX_BYTES", 20 * 1024 * 1024)
UPLOAD_MAX_PIXELS = envint("UPLOAD_MAX_PIXELS", 40_000_000)
# Excel imports (campaign/workbook.py): file size, data rows per sheet, expanded zip size.
IMPORT_MAX_BYTES = envint("IMPORT_MAX_BYTES", 20 * 1024 * 1024)
IMPORT_MAX_ROWS = envint("IMPORT_MAX_ROWS", 50_000)
IMPORT_MAX_UNCOMPRESSED = envint("IMPORT_MAX_UNCOMPRESSED", 300 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Celery: with REDIS_URL a real worker over Redis, otherwise jobs run in-process.
REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# socket_connect_timeout: a request made while Redis is unreachable fails fast (the job is marked
# failed with a message, reports/job_services.py) instead of hanging the web worker.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": envint("CELERY_VISIBILITY_TIMEOUT", 3600), "socket_connect_timeout": 5}
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE: dict = {}
# Reports (issue 6): PDF renders on their own queue ``pdf`` (run workers with ``-Q celery,pdf``);
# soft/hard time limits stay below the visibility timeout, so Redis never re-delivers a report
# whose first render is still running (see docs/reports.md).
from celery.schedules import crontab  # noqa: E402

REPORT_SOFT_TIME_LIMIT = envint("REPORT_SOFT_TIME_LIMIT", 20 * 60)
REPORT_TIME_LIMIT = envint("REPORT_TIME_LIMIT", REPORT_SOFT_TIME_LIMIT + 60)
if CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] <= REPORT_TIME_LIMIT:
    raise ImproperlyConfigured("CELERY_VISIBILITY_TIMEOUT 必须大于 REPORT_TIME_LIMIT（报表最长生成时间），否则任务会被重复投递。")
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_ROUTES = {
    "reports.jobs.render_pdf_report": {"queue": "pdf"},
    "reports.jobs.render_bulletin_chunk": {"queue": "pdf"},
    "reports.jobs.finish_bulletin": {"queue": "pdf"},
}
# Report jobs that always end (issue 11, docs/reports.md "Liveness"): a rendering worker writes a
# heartbeat every REPORT_HEARTBEAT_SECONDS; the sweeper (beat, every REPORT_SWEEP_SECONDS) re-queues a
# running job whose heartbeat is older than REPORT_STALE_SECONDS — far below the visibility timeout —
# at most REPORT_MAX_REQUEUES times, then fails it; a queued job nobody picked up is sent again after
# REPORT_QUEUED_STALE_SECONDS (counted against the same bound).
REPORT_HEARTBEAT_SECONDS = envint("REPORT_HEARTBEAT_SECONDS", 15)
REPORT_STALE_SECONDS = envint("REPORT_STALE_SECONDS", 120)
REPORT_QUEUED_STALE_SECONDS = envint("REPORT_QUEUED_STALE_SECONDS", 15 * 60)
REPORT_MAX_REQUEUES = envint("REPORT_MAX_REQUEUES", 2)
REPORT_SWEEP_SECONDS = envint("REPORT_SWEEP_SECONDS", 120)
if not 0 < REPORT_HEARTBEAT_SECONDS * 2 <= REPORT_STALE_SECONDS < CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]:
    raise ImproperlyConfigured("REPORT_STALE_SECONDS 必须至少是心跳间隔的 2 倍，并小于 CELERY_VISIBILITY_TIMEOUT。")
# The full bulletin (issue 14) renders its appendix in parts of at most this many score lines (one
# ranking group never shares a part with another), each a Celery task of its own, merged with pypdf.
REPORT_CHUNK_ROWS = envint("REPORT_CHUNK_ROWS", 1500)
# The findings and task lists' Excel exports stream inside the request up to this many rows;
# larger ones are written by a report job (a worker, progress, audited download).
EXPORT_STREAM_MAX_ROWS = envint("EXPORT_STREAM_MAX_ROWS", 10_000)
# A worker process that grew past this (KiB) is replaced after its task; a bulletin part, or the merge, of
# the bench city's 21,600 lines peaks at about 0.5 GiB (docs/benchmarks.md, “Full bulletin”).
CELERY_WORKER_MAX_MEMORY_PER_CHILD = envint("CELERY_WORKER_MAX_MEMORY_PER_CHILD", 1024 * 1024)
CELERY_BEAT_SCHEDULE["reports-sweep"] = {"task": "reports.jobs.sweep_report_jobs", "schedule": float(REPORT_SWEEP_SECONDS)}
CELERY_BEAT_SCHEDULE["reports-monthly"] = {
    "task": "reports.jobs.monthly_reports",
    "schedule": crontab(day_of_month=1, hour=6, minute=0),  # last month's bulletin and workbook
}
# The digest chain of published months (manage.py verify_published), daily at 05:15: a broken month
# notifies the office admins once and leaves a period.digest_broken audit row (reports/digest.py).
CELERY_BEAT_SCHEDULE["reports-verify-published"] = {
    "task": "reports.jobs.verify_published", "schedule": crontab(hour=5, minute=15),
}
# tasks: daily deadline reminders (due within 3 working days, overdue) at 08:00.
from celery.schedules import crontab  # noqa: E402

CELERY_BEAT_SCHEDULE["tasks-reminders"] = {"task": "tasks.jobs.send_task_reminders", "schedule": crontab(hour=8, minute=0)}
# inspections: overdue rectification penalties, daily at 00:30 (after the deadline day has passed).
CELERY_BEAT_SCHEDULE["inspections-overdue-penalties"] = {
    "task": "inspections.jobs.apply_overdue_penalties", "schedule": crontab(hour=0, minute=30),
}
# materials: units told once per standard whose 材料审核 deadline passed with items still owed, daily at 08:10.
CELERY_BEAT_SCHEDULE["materials-overdue"] = {"task": "materials.jobs.notify_overdue_materials", "schedule": crontab(hour=8, minute=10)}

if REDIS_URL:
    # Django's Redis cache with a one-round-trip, atomic incr (the public pages' rate limits count with it).
    CACHES = {"default": {"BACKEND": "campaign.redis_cache.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# reports.score_cache: open months' scores kept this long (writes invalidate them at once); 0 = off,
# the default without Redis (a per-process memory cache could not see other processes' writes).
SCORE_CACHE_SECONDS = envint("SCORE_CACHE_SECONDS", 3600 if REDIS_URL else 0)

# Sessions and cookies.
SESSION_COOKIE_AGE = envint("SESSION_IDLE_SECONDS", 30 * 60)
SESSION_SAVE_EVERY_REQUEST = True  # idle timeout: each request pushes the expiry forward
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = not DEBUG and envbool("SECURE_COOKIES", True)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", True)
    # Load balancers probe /healthz on the plain-HTTP backend port.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
# X-Forwarded-Proto is trusted only when the operator says a reverse proxy (nginx) terminates TLS
# and gunicorn listens on 127.0.0.1 behind it (TRUSTED_PROXY=1, README); otherwise any client
# could claim HTTPS.
TRUSTED_PROXY = envbool("TRUSTED_PROXY", False)
if TRUSTED_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy (django-csp): scripts only from our own static files — no inline
# <script> or on*= handlers anywhere (tests/test_security_headers.py greps the templates).
# Styles allow 'unsafe-inline' for style attributes computed per row (progress bar widths, SVG
# charts, admin tree indentation); style cannot run code. Views that serve uploads set their own
# stricter policy (campaign/uploads.py), which the middleware leaves alone.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# The cockpit's map (reports/cockpit.py): a tile server such as an intranet 天地图 mirror
# ("https://{s}.tiles.example.gov.cn/{z}/{x}/{y}.png"); empty = the points on a plain background.
MAP_TILE_URL = os.environ.get("MAP_TILE_URL", "")
MAP_TILE_ATTRIBUTION = os.environ.get("MAP_TILE_ATTRIBUTION", "")
if MAP_TILE_URL:
    from urllib.parse import urlsplit

    _tiles = urlsplit(MAP_TILE_URL.replace("{s}", "*"))
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"].append(f"{_tiles.scheme}://{_tiles.netloc}")

# Public pages (campaign/public.py): rate limits count in the default cache; PUBLIC_RATES overrides an
# endpoint's rate ({"snaps-submit:ip": "10/h"}). The CAPTCHA draws with a font the server has (no
# external service); the bundled Vera font is the fallback.
RATELIMIT_USE_CACHE = "default"
PUBLIC_RATES: dict[str, str] = {}
CAPTCHA_FONT_PATH = next(
    (str(p) for p in (Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
                      Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")) if p.exists()),
    str(Path(__import__("captcha").__file__).parent / "fonts" / "Vera.ttf"),
)
CAPTCHA_LENGTH = 4
CAPTCHA_TIMEOUT = 10  # minutes a challenge stays valid
CAPTCHA_2X_IMAGE = False

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "chuangwen@localhost")
EMAIL_PORT = envint("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = envbool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", 10)

# Notices (notices/, docs/notifications.md): SMS gateway templates, retries, escalation. Robot
# webhooks and secrets are read per unit from NOTICE_ROBOT_<KEY>_URL / _SECRET, never stored.
SITE_URL = os.environ.get("SITE_URL", "")  # links in outside messages ("https://cw.example.gov.cn")
NOTICE_SMS_URL = os.environ.get("NOTICE_SMS_URL", "")
NOTICE_SMS_METHOD = os.environ.get("NOTICE_SMS_METHOD", "POST")
NOTICE_SMS_CONTENT_TYPE = os.environ.get("NOTICE_SMS_CONTENT_TYPE", "application/json")
NOTICE_SMS_BODY = os.environ.get("NOTICE_SMS_BODY", '{"mobile": "$mobile", "content": "$text"}')
NOTICE_SMS_OK_TEXT = os.environ.get("NOTICE_SMS_OK_TEXT", "")
NOTICE_HTTP_TIMEOUT = envint("NOTICE_HTTP_TIMEOUT", 5)
NOTICE_MAX_ATTEMPTS = envint("NOTICE_MAX_ATTEMPTS", 4)
NOTICE_RETRY_BASE_SECONDS = envint("NOTICE_RETRY_BASE_SECONDS", 60)
NOTICE_ESCALATE_LEADER_DAYS = envint("NOTICE_ESCALATE_LEADER_DAYS", 3)
NOTICE_ESCALATE_OFFICE_DAYS = envint("NOTICE_ESCALATE_OFFICE_DAYS", 5)
CELERY_BEAT_SCHEDULE["notices-release"] = {"task": "notices.jobs.release_notices", "schedule": 300.0}
CELERY_BEAT_SCHEDULE["notices-digests"] = {"task": "notices.jobs.send_digests", "schedule": crontab(minute=5)}
CELERY_BEAT_SCHEDULE["notices-escalate"] = {"task": "notices.jobs.escalate_overdue", "schedule": crontab(hour=8, minute=30)}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
