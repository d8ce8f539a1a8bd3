"""Settings for every environment, read from the process environment.

The defaults make ``make run`` work on a developer's machine (they point at the
services that ``deploy/dev/stack.py`` starts under ``var/dev``). With
``OAE_ENV=production`` every secret must be given and the secure defaults apply;
the process refuses to start otherwise. The README lists every variable.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
from pathlib import Path

from celery.schedules import crontab
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from config.env import (
    database_from_url,
    env_bool,
    env_float,
    env_int,
    env_list,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent.parent  # the checkout
PLATFORM_DIR = BASE_DIR / "platform"

OAE_ENV = env_str("OAE_ENV", "development")
if OAE_ENV not in {"development", "test", "production"}:
    raise ImproperlyConfigured(f"OAE_ENV={OAE_ENV!r}: use development, test or production.")
IS_PRODUCTION = OAE_ENV == "production"

DEBUG = env_bool("DEBUG", False)
if IS_PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG must be off when OAE_ENV=production.")

SECRET_KEY = env_str(
    "SECRET_KEY",
    None if IS_PRODUCTION else "insecure-development-key-not-for-production-use-0123456789",
    required=IS_PRODUCTION,
)

# The bare platform domain serves the platform site and console; every
# institution lives at <slug>.<PLATFORM_DOMAIN> (or a custom domain of its own).
PLATFORM_DOMAIN = env_str("PLATFORM_DOMAIN", "localhost").lower().rstrip(".")

# Hosts are validated by the tenant router against the Domain table (custom
# domains are added at run time), so Django's own check admits every host.
ALLOWED_HOSTS = ["*"]

# --- applications -----------------------------------------------------------
# Apps whose tables live in the public schema only, plus the framework apps
# that both schemas need (auth, sessions, contenttypes, people: platform admins
# are users of the public schema; an institution's people live in its schema).
SHARED_APPS = [
    "django_tenants",
    "tenants",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "tenant_apps.people",
    # Two-factor sign-in (TOTP and recovery codes) for platform admins and institutions' people.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "shared_apps.site",
    "shared_apps.audit",
    "shared_apps.console",
    "shared_apps.signup",
]
TENANT_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "tenant_apps.people",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "tenant_apps.institution",
    "tenant_apps.directory",
    "tenant_apps.groups",
    "tenant_apps.connections",
    "tenant_apps.messaging",
    "tenant_apps.discussions",
    "tenant_apps.blobs",
    "tenant_apps.content",
    "tenant_apps.avatars",
    "tenant_apps.home",
    "tenant_apps.search",
    "tenant_apps.manage",
    "tenant_apps.activity",
    "tenant_apps.authoring",
    "tenant_apps.folders",
    "tenant_apps.trash",
    "tenant_apps.account",
    "tenant_apps.invitations",
]
INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenants.Tenant"
TENANT_DOMAIN_MODEL = "tenants.Domain"
# Issue the `SET search_path` once per connection and tenant, not before every
# query (our backend also skips it when the tenant did not change, see config.db).
TENANT_LIMIT_SET_CALLS = True
# How long a process trusts its cached hostname -> tenant answer, and how many it keeps
# (tenants.selectors). A change clears every process's cache at once (Redis channel);
# the TTL bounds a stale answer only while Redis is unreachable. 0 disables.
TENANT_CACHE_SECONDS = env_float("TENANT_CACHE_SECONDS", 60.0)
TENANT_CACHE_MAX_ENTRIES = env_int("TENANT_CACHE_MAX_ENTRIES", 20_000)
# How long a process keeps an institution's profile, a signed-in user's row and a live
# token (config.localcache). Writes forget them in every process at once (Redis
# channel); this bounds a stale answer only while Redis is unreachable. 0 disables.
LOCAL_CACHE_SECONDS = env_float("LOCAL_CACHE_SECONDS", 60.0)
# The schema new institutions are cloned from (kept at head by migrate_tenants).
TENANT_TEMPLATE_SCHEMA = "oae_template"
# Ready schemas kept for provisioning by rename (refilled by a task after each use).
TENANT_POOL_SIZE = env_int("TENANT_POOL_SIZE", 5)
# Days a deleted institution can still be restored before its schema and blobs are purged.
TENANT_DELETE_GRACE_DAYS = env_int("TENANT_DELETE_GRACE_DAYS", 7)
# pg_dump (for provisioning templates and exports); found on PATH when empty.
PG_DUMP_PATH = env_str("PG_DUMP_PATH", "")

# Messaging: the most people one message reaches (groups are expanded to their members).
MESSAGING_MAX_RECIPIENTS = env_int("MESSAGING_MAX_RECIPIENTS", 5000)
# Invitations by e-mail (tenant_apps.invitations): days a link works, and how many one
# person may send in an hour.
INVITATION_DAYS = env_int("INVITATION_DAYS", 14)
INVITATIONS_PER_HOUR = env_int("INVITATIONS_PER_HOUR", 50)

AUTH_USER_MODEL = "people.User"
AUTHENTICATION_BACKENDS = [
    # Local accounts (password sign-in can be limited to admins per institution).
    "tenant_apps.directory.backends.InstitutionModelBackend",
    # Directory accounts, when the institution has configured LDAP (off by default).
    "tenant_apps.directory.backends.InstitutionLDAPBackend",
    # OpenID Connect single sign-on, when the institution has configured it.
    "tenant_apps.directory.oidc.InstitutionOIDCBackend",
    # SAML 2.0 sign-in keeps its people signed in (only /saml/acs signs anyone in).
    "tenant_apps.directory.saml.InstitutionSAMLBackend",
]
LOGIN_URL = "signin"

MIDDLEWARE = [
    # First, so that every answer carries the security headers (CSP, Permissions-Policy,
    # no-store for signed-in requests), the health endpoints and unknown hosts' included.
    "config.headers.SecurityHeadersMiddleware",
    # Health endpoints answer before anything else: no tenant lookup, no session.
    "config.health.HealthCheckMiddleware",
    # Counts and times every response per institution (Prometheus, console's last day).
    "config.metrics.MetricsMiddleware",
    "config.logging.RequestContextMiddleware",
    # A NUL byte in the path, the query or a cookie answers 400 before it reaches a query.
    "config.malformed.MalformedRequestMiddleware",
    "tenants.middleware.TenantRoutingMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Sessions that still owe a second factor reach only its pages (tenant_apps.people.two_factor).
    "tenant_apps.people.two_factor_middleware.TwoFactorMiddleware",
    # The person's language and time zone, else the institution's, else the browser's.
    "config.locale.LanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Signed-in people who have not accepted the current terms of use see /terms first.
    "tenant_apps.account.middleware.TermsOfUseMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls_tenant"
ASGI_APPLICATION = "config.asgi.application"
PUBLIC_SCHEMA_URLCONF = "config.urls_public"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PLATFORM_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tenant_apps.institution.context.institution",
                "tenant_apps.activity.context.live",
            ],
        },
    },
]

# --- database ---------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", "postgres://oae@127.0.0.1:54320/oae")
_database = database_from_url(DATABASE_URL)
DATABASE_POOLING = env_str("DATABASE_POOLING", "")
if DATABASE_POOLING not in ("", "transaction", "session"):
    raise ImproperlyConfigured("DATABASE_POOLING must be empty, 'session' or 'transaction'.")
DATABASES = {
    "default": {
        **_database,
        # django-tenants' schema-switching backend, with our once-per-tenant SET.
        "ENGINE": "config.db",
        # Keep connections across requests: opening one per request costs more
        # than the request itself. Health checks replace a dead one transparently.
        "CONN_MAX_AGE": env_int("DATABASE_CONN_MAX_AGE", 600),
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": {
            "connect_timeout": env_int("DATABASE_CONNECT_TIMEOUT", 5),
            "application_name": env_str("DATABASE_APPLICATION_NAME", "oae"),
            # PostgreSQL's JIT compiles any plan whose estimate passes jit_above_cost: for
            # our short queries it costs more than the query (50 ms of compiling for the
            # dashboard's 0.2 ms "shared with me" in a large institution). Off unless
            # DATABASE_JIT=on. (PgBouncer drops startup options: behind one, set it on the
            # role or database: ALTER ROLE oae SET jit = off.)
            "options": f"-c jit={'on' if env_bool('DATABASE_JIT', False) else 'off'}",
            **_database["OPTIONS"],
        },
        "TEST": {"NAME": env_str("DATABASE_TEST_NAME", f"test_{_database['NAME']}")},
        # Behind PgBouncer in transaction mode (or RDS Proxy): the search path travels
        # with every statement (SET LOCAL), never as session state; no server-side
        # cursors. Migrations and pg_dump still need a direct DATABASE_URL.
        "TRANSACTION_POOLING": DATABASE_POOLING == "transaction",
        "DISABLE_SERVER_SIDE_CURSORS": DATABASE_POOLING == "transaction",
        # Repeated reads as server-side prepared statements (config.db.prepared): never
        # behind a transaction pooler, whatever this says.
        "PREPARED_STATEMENTS": env_bool("DATABASE_PREPARED_STATEMENTS", True),
    }
}
# Hot API lists (first pages) run their SQL as learned once per process, only the
# viewer's id changing, instead of building and compiling the queryset per request
# (config.db.shapes).
SQL_SHAPES_CACHED = env_bool("DATABASE_SQL_SHAPES", True)
# {% remember %}: template fragments rendered once per their inputs (shared_apps/site
# templatetags/ui.py); off renders them every time. FRAGMENTS_CHECKED (tests) compares every
# remembered fragment with a fresh render.
FRAGMENTS_REMEMBERED = env_bool("TEMPLATE_FRAGMENTS", True)
FRAGMENTS_CHECKED = False
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache and Redis --------------------------------------------------------
REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:63790/0")
CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_URL,
        # Every key carries the tenant's schema (see django_tenants.cache).
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
        "OPTIONS": {
            "CLIENT_CLASS": "django_redis.client.DefaultClient",
            "SOCKET_CONNECT_TIMEOUT": 2,
            "SOCKET_TIMEOUT": 2,
        },
        "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "oae"),
    }
}

# --- Celery -----------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "oae")
# Keep our JSON log configuration in the worker too.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Broker loss (a Redis restart or fail-over) must not end the worker: it keeps
# reconnecting for as long as it takes, and tasks running when the connection drops
# finish (acks_late: a message whose ack was lost is delivered again, and every task
# is idempotent). Timeouts make a dead connection noticed instead of hanging on it.
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 5,
    "socket_timeout": 30,
    "socket_keepalive": True,
    "retry_on_timeout": True,
    "health_check_interval": 25,
    "visibility_timeout": 3600,
}
# Sending a task while Redis is down gives up after about a second (the caller's
# request must not hang): the work is in the database and the sweep re-sends it.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.3,
    "interval_max": 0.5,
}
# --- metrics (config.metrics) -------------------------------------------------
# Bearer token of GET /metrics (Prometheus); empty: the endpoint answers 404.
METRICS_TOKEN = env_str("METRICS_TOKEN", "")
# Institutions with a Prometheus label of their own per process; the rest count as _other.
METRICS_MAX_INSTITUTIONS = env_int("METRICS_MAX_INSTITUTIONS", 100)

CELERY_BEAT_SCHEDULE = {
    # Work left pending (a lost message, a killed worker) is queued again, and
    # temporary copies left by killed processes are removed (tenant_apps.content.tasks).
    "sweep-background-work": {
        "task": "content.sweep",
        "schedule": env_float("CONTENT_SWEEP_INTERVAL_SECONDS", 300.0),
    },
    # Deleted institutions past their grace period lose their schema and blobs.
    "purge-deleted-institutions": {"task": "tenants.purge_due", "schedule": 3600.0},
    # Items, folders and groups in the trash past the institution's period are purged.
    "purge-trash": {"task": "trash.purge_due", "schedule": 3600.0},
    # Unreferenced blobs past BLOB_GC_GRACE_HOURS leave storage.
    "collect-unreferenced-blobs": {"task": "blobs.collect_garbage", "schedule": 3600.0},
    # Per-institution request and task counters: Redis -> tenants_tenanttraffic.
    "flush-traffic-counters": {"task": "tenants.traffic_flush", "schedule": 300.0},
}

CELERY_BEAT_SCHEDULE.update(
    {
        # People whose erasure grace period is over are erased; expired export archives go.
        "account-sweep": {
            "task": "account.sweep",
            "schedule": env_float("ACCOUNT_SWEEP_INTERVAL_SECONDS", 3600.0),
        },
        # Activities whose fan-out message the broker lost, and e-mails not yet sent.
        "activity-sweep": {"task": "activity.sweep_all", "schedule": 60.0},
        # Vocabulary words of titles and names since made private or deleted leave
        # search_word (its triggers only add; tenant_apps.search.services).
        "search-prune-words": {
            "task": "search.prune_words_all",
            "schedule": crontab(hour=env_int("SEARCH_PRUNE_HOUR", 3), minute=30),
        },
        # Digests: each institution's people with a daily or weekly e-mail frequency.
        "activity-daily-digests": {
            "task": "activity.digests_all",
            "schedule": crontab(hour=env_int("ACTIVITY_DIGEST_HOUR", 7), minute=0),
            "kwargs": {"frequency": "daily"},
        },
        "activity-weekly-digests": {
            "task": "activity.digests_all",
            "schedule": crontab(
                hour=env_int("ACTIVITY_DIGEST_HOUR", 7), minute=0, day_of_week="monday"
            ),
            "kwargs": {"frequency": "weekly"},
        },
    }
)

# --- one's own account (tenant_apps.account) ---------------------------------------
# How long an e-mail change's confirmation link works (seconds).
EMAIL_CHANGE_MAX_AGE = env_int("EMAIL_CHANGE_MAX_AGE", 2 * 24 * 3600)
# How long a personal data export's link (and its archive) lasts (hours).
EXPORT_LINK_HOURS = env_int("EXPORT_LINK_HOURS", 72)

# --- the live channel (config.live, served by uvicorn: config.asgi) -----------------
# Pushes to open pages travel through Redis (channels-redis); the same Redis by default.
LIVE_REDIS_URL = env_str("LIVE_REDIS_URL", REDIS_URL)
# The pub/sub layer: a push is one PUBLISH, and a live process holds one subscribing
# connection for all its pages (the list-based core layer failed the 1,000-connection
# bench: a connection and a blocking read per page, timeouts under load). Nothing is
# queued for a page that is not connected - a push is only a nudge.
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {
            "hosts": [
                {
                    "address": LIVE_REDIS_URL,
                    "max_connections": env_int("LIVE_REDIS_MAX_CONNECTIONS", 500),
                }
            ],
            "prefix": env_str("LIVE_CHANNEL_PREFIX", "oae-live"),
        },
    }
}
# Where pages open the live channel: same host, this path (nginx sends /ws/ to uvicorn).
# LIVE_URL_PORT: a port for make run, where uvicorn listens apart from gunicorn.
LIVE_URL_PORT = env_str("LIVE_URL_PORT", "")
# Seconds between polls of a page that has no live connection.
LIVE_POLL_SECONDS = env_int("LIVE_POLL_SECONDS", 20)
# --- documents written together (tenant_apps.authoring, live in the ASGI process) -----
# A revision is taken after this many seconds without a change (and when the last
# editor leaves a document).
AUTHORING_REVISION_PAUSE_SECONDS = env_float("AUTHORING_REVISION_PAUSE_SECONDS", 60.0)
# The appended updates are folded into the snapshot once this many wait.
AUTHORING_COMPACT_EVERY = env_int("AUTHORING_COMPACT_EVERY", 500)
# Limits: the document's CRDT state (its whole history of text, compacted), the HTML a
# revision may hold, one update from an editor, and the people on one document at once
# (per live process).
AUTHORING_MAX_DOCUMENT_BYTES = env_int("AUTHORING_MAX_DOCUMENT_BYTES", 8 * 1024 * 1024)
AUTHORING_MAX_HTML_CHARS = env_int("AUTHORING_MAX_HTML_CHARS", 2_000_000)
AUTHORING_MAX_UPDATE_BYTES = env_int("AUTHORING_MAX_UPDATE_BYTES", 1024 * 1024)
AUTHORING_MAX_EDITORS = env_int("AUTHORING_MAX_EDITORS", 100)
# Viewers may watch a document live (read-only); False refuses their socket.
AUTHORING_VIEWERS_WATCH = env_bool("AUTHORING_VIEWERS_WATCH", True)
# Seconds between checks of every open editor's rights (shares are also pushed at once).
AUTHORING_RECHECK_SECONDS = env_float("AUTHORING_RECHECK_SECONDS", 30.0)

# Attempts at one e-mail before it is marked failed.
ACTIVITY_EMAIL_ATTEMPTS = env_int("ACTIVITY_EMAIL_ATTEMPTS", 5)

# --- object storage (S3) ----------------------------------------------------
S3_ENDPOINT_URL = env_str("S3_ENDPOINT_URL", "" if IS_PRODUCTION else "http://127.0.0.1:18333")
S3_BUCKET = env_str("S3_BUCKET", None if IS_PRODUCTION else "oae-dev", required=IS_PRODUCTION)
S3_REGION = env_str("S3_REGION", "us-east-1")
# Empty in production: boto3 then takes the task role's credentials.
S3_ACCESS_KEY_ID = env_str("S3_ACCESS_KEY_ID", "" if IS_PRODUCTION else "oaedev")
S3_SECRET_ACCESS_KEY = env_str("S3_SECRET_ACCESS_KEY", "" if IS_PRODUCTION else "oaedevsecret")

# --- blobs and the content library (tenant_apps.blobs, tenant_apps.content) ------
BLOB_STORAGE = env_str("BLOB_STORAGE", "s3")
if BLOB_STORAGE not in {"s3", "filesystem"}:
    raise ImproperlyConfigured(f"BLOB_STORAGE={BLOB_STORAGE!r}: use s3 or filesystem.")
BLOB_FILESYSTEM_ROOT = env_str("BLOB_FILESYSTEM_ROOT", str(BASE_DIR / "var" / "blobs"))
# Hours an unreferenced blob waits before the collector deletes it (and the age a
# stray object needs before the reconciler removes it).
BLOB_GC_GRACE_HOURS = env_float("BLOB_GC_GRACE_HOURS", 24.0)
# Objects up to this size are read back and hashed after writing (all are size-checked).
BLOB_VERIFY_READBACK_BYTES = env_int("BLOB_VERIFY_READBACK_BYTES", 64 * 1024 * 1024)
# Every uploaded file streams to a temporary file while hashed; none is kept in memory.
FILE_UPLOAD_HANDLERS = ["tenant_apps.blobs.uploads.HashingFileUploadHandler"]
FILE_UPLOAD_TEMP_DIR = env_str("FILE_UPLOAD_TEMP_DIR", "") or None
# The largest file an institution accepts unless it sets its own limit (bytes).
CONTENT_MAX_UPLOAD_BYTES = env_int("CONTENT_MAX_UPLOAD_BYTES", 2 * 1024 * 1024 * 1024)
# Files at least this large are downloaded through a presigned S3 URL (0: never).
CONTENT_PRESIGNED_REDIRECT_BYTES = env_int("CONTENT_PRESIGNED_REDIRECT_BYTES", 0)
CONTENT_PRESIGNED_SECONDS = env_int("CONTENT_PRESIGNED_SECONDS", 300)
# Attempts at previews and text extraction before the item records a failure for good.
CONTENT_PROCESSING_ATTEMPTS = env_int("CONTENT_PROCESSING_ATTEMPTS", 3)
# Files larger than this are not read for their text (search); the version records why.
CONTENT_EXTRACT_MAX_BYTES = env_int("CONTENT_EXTRACT_MAX_BYTES", 50 * 1024 * 1024)
# Seconds before a failed attempt is retried (times the attempts made so far).
CONTENT_PROCESSING_RETRY_SECONDS = env_int("CONTENT_PROCESSING_RETRY_SECONDS", 30)
# A version still pending this long after it was queued is queued again by the sweep.
CONTENT_PROCESSING_SWEEP_AFTER_SECONDS = env_int("CONTENT_PROCESSING_SWEEP_AFTER_SECONDS", 600)
# Temporary copies (oae-process-*, oae-blob-*) older than this are removed by the sweep
# even when their process still runs; those of processes that are gone go at once.
CONTENT_TEMP_MAX_AGE_SECONDS = env_int("CONTENT_TEMP_MAX_AGE_SECONDS", 6 * 3600)
# Previews (tenant_apps.content.processing): page images of a PDF or an Office file (at
# most this many pages), LibreOffice's and ffmpeg's time limits (seconds, per run).
CONTENT_PREVIEW_MAX_PAGES = env_int("CONTENT_PREVIEW_MAX_PAGES", 100)
CONTENT_PREVIEW_OFFICE_SECONDS = env_float("CONTENT_PREVIEW_OFFICE_SECONDS", 120.0)
CONTENT_PREVIEW_MEDIA_SECONDS = env_float("CONTENT_PREVIEW_MEDIA_SECONDS", 60.0)
# Link previews (OpenGraph/oEmbed) fetched through the outbound guard: seconds per fetch,
# and the most bytes read of the page (its head is enough) and of its image.
CONTENT_LINK_PREVIEW_SECONDS = env_float("CONTENT_LINK_PREVIEW_SECONDS", 5.0)
CONTENT_LINK_PREVIEW_MAX_BYTES = env_int("CONTENT_LINK_PREVIEW_MAX_BYTES", 512 * 1024)
CONTENT_LINK_PREVIEW_IMAGE_MAX_BYTES = env_int(
    "CONTENT_LINK_PREVIEW_IMAGE_MAX_BYTES", 5 * 1024 * 1024
)
# What a 503 (a service we depend on is down: config.outages) asks clients to wait.
SERVICE_UNAVAILABLE_RETRY_AFTER = env_int("SERVICE_UNAVAILABLE_RETRY_AFTER", 30)


# Parallel part uploads per large object, and the part size: boto3's own defaults
# (upload_file: 10 threads, 8 MiB parts). Staged blobs are sent from their file
# (BlobS3Storage), so parts are read as they go, not held in memory (S3's minimum
# part is 5 MiB).
BLOB_S3_CONCURRENCY = env_int("BLOB_S3_CONCURRENCY", 10)
BLOB_S3_PART_BYTES = env_int("BLOB_S3_PART_BYTES", 8 * 1024 * 1024)


# Where and as whom both S3 storages (default and blobs) connect.
S3_CONNECTION = {
    "bucket_name": S3_BUCKET,
    "endpoint_url": S3_ENDPOINT_URL or None,
    "region_name": S3_REGION,
    "access_key": S3_ACCESS_KEY_ID or None,
    "secret_key": S3_SECRET_ACCESS_KEY or None,
    "addressing_style": "path" if S3_ENDPOINT_URL else None,
}


def _blob_storage() -> dict:
    from boto3.s3.transfer import TransferConfig

    transfer = TransferConfig(
        multipart_chunksize=BLOB_S3_PART_BYTES, max_concurrency=BLOB_S3_CONCURRENCY
    )
    # Parts read ahead of the uploading threads when a blob is sent from memory rather
    # than from its file (s3transfer's default is 10).
    transfer.max_in_memory_upload_chunks = BLOB_S3_CONCURRENCY

    if BLOB_STORAGE == "filesystem":
        return {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": BLOB_FILESYSTEM_ROOT, "allow_overwrite": True},
        }
    return {
        "BACKEND": "tenant_apps.blobs.storage.BlobS3Storage",
        "OPTIONS": {
            **S3_CONNECTION,
            # Keys are content hashes: the same key always holds the same bytes.
            "file_overwrite": True,
            "default_acl": None,
            "querystring_auth": True,
            "signature_version": "s3v4",
            "transfer_config": transfer,
        },
    }


STORAGES = {
    "default": {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            **S3_CONNECTION,
            "file_overwrite": False,
            "default_acl": None,
            "querystring_auth": True,
        },
    },
    # Single-instance blobs (tenant_apps.blobs): S3 by default, the filesystem on request.
    "blobs": _blob_storage(),
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if IS_PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        ),
    },
}
STATIC_URL = "/static/"
# The browser bundles built from frontend/package-lock.json (frontend/build.mjs; git-ignored,
# built by `make run`/`make test` and by the image's node stage): /static/frontend/<name>.
STATICFILES_DIRS = [("frontend", BASE_DIR / "frontend" / "build")]
# collectstatic's target in production images; elsewhere files come from the apps.
STATIC_ROOT = env_str("STATIC_ROOT", str(BASE_DIR / "var" / "static")) if IS_PRODUCTION else None
# Outside production, serve app static files straight from the apps (no collectstatic).
WHITENOISE_USE_FINDERS = not IS_PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG

# --- secrets institutions give us -------------------------------------------
# Fernet keys (comma-separated, newest first) encrypting LDAP bind passwords and
# OpenID Connect client secrets in each institution's schema (see config.crypto).
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS", [])
if not FIELD_ENCRYPTION_KEYS:
    if IS_PRODUCTION:
        raise ImproperlyConfigured("The environment variable FIELD_ENCRYPTION_KEYS must be set.")
    # Outside production: a key derived from SECRET_KEY (config.crypto.derived_key).
    FIELD_ENCRYPTION_KEYS = [
        base64.urlsafe_b64encode(
            hashlib.sha256(f"oae-fields:{SECRET_KEY}".encode()).digest()
        ).decode()
    ]

for _key in FIELD_ENCRYPTION_KEYS:
    try:
        Fernet(_key.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS holds something that is not a Fernet key (32 url-safe "
            "base64-encoded bytes; make one with Fernet.generate_key())."
        ) from None

# Networks the servers may connect to although they are not public (config.outbound):
# comma-separated CIDRs, e.g. an institution's directory over a VPN. Empty by default:
# loopback, private, link-local and metadata addresses are refused for LDAP servers,
# OpenID Connect providers and anything else an institution's admins can point us at.
OUTBOUND_ALLOWED_NETWORKS = env_list("OUTBOUND_ALLOWED_NETWORKS", [])
for _network in OUTBOUND_ALLOWED_NETWORKS:
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"OUTBOUND_ALLOWED_NETWORKS holds {_network!r}, which is not a network "
            "(write CIDRs such as 10.20.0.0/16, separated by commas)."
        ) from None

# OpenID Connect: identity providers must use https in production; plain http is
# allowed elsewhere (the test provider runs on loopback).
OIDC_ALLOW_HTTP = env_bool("OIDC_ALLOW_HTTP", not IS_PRODUCTION)
# Seconds to wait for the provider's token, user-info and key endpoints.
OIDC_TIMEOUT = env_int("OIDC_TIMEOUT", 10)
OIDC_USE_PKCE = True
OIDC_AUTHENTICATION_CALLBACK_URL = "oidc-callback"
LOGIN_REDIRECT_URL = "/"
LOGIN_REDIRECT_URL_FAILURE = "/signin?sso=failed"

# --- passwords and sessions -------------------------------------------------
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
# Host-only cookies: a cookie set by one institution's host is never sent to
# another's, nor to the platform host.
SESSION_COOKIE_DOMAIN = None
CSRF_COOKIE_DOMAIN = None
SESSION_COOKIE_HTTPONLY = True
# Sessions in PostgreSQL with a copy in Redis: a signed-in request reads Redis alone.
SESSION_ENGINE = "config.sessions"
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# --- security (production) --------------------------------------------------
if IS_PRODUCTION:
    # The load balancer terminates TLS and says so in X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    # Every institution's subdomain is HTTPS-only too; custom domains are other
    # registrable domains and unaffected by the platform domain's HSTS.
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- e-mail -------------------------------------------------------------------
# Development prints mail to the console; production and tests send it over SMTP.
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if IS_PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", f"no-reply@{PLATFORM_DOMAIN}")
# How links in e-mails reach the platform: https in production.
PLATFORM_URL_SCHEME = env_str("PLATFORM_URL_SCHEME", "https" if IS_PRODUCTION else "http")
# A port to add to links (":8000" for make run); empty behind a load balancer.
PLATFORM_URL_PORT = env_str("PLATFORM_URL_PORT", "" if IS_PRODUCTION else ":8000")

# --- internationalisation ---------------------------------------------------
# The interface's languages (platform/locale/<code>/LC_MESSAGES/django.po; README:
# "Languages and time zones"). A person's choice, else the institution's default,
# else the browser's Accept-Language picks one (config.locale.LanguageMiddleware).
LANGUAGE_CODE = "en-gb"
LANGUAGES = [
    ("en-gb", "English"),
    ("es", "Español"),
    ("de", "Deutsch"),
]
LOCALE_PATHS = [PLATFORM_DIR / "locale"]
# Dates are stored in UTC and shown in the person's time zone (else the institution's).
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- API --------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "config.api.authentication.BearerTokenAuthentication",
        "config.api.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        # 403 terms-not-accepted until the caller accepts the current terms of use.
        "tenant_apps.account.permissions.TermsAccepted",
    ],
    "DEFAULT_PAGINATION_CLASS": "config.api.pagination.CursorPagination",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        # DRF's, refusing NUL, lone surrogates and deep nesting (config.malformed).
        "config.malformed.JSONParser",
        "config.malformed.MultiPartParser",
        "config.malformed.FormParser",
    ],
    "EXCEPTION_HANDLER": "config.api.problems.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "PAGE_SIZE": 25,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Open Academic Environment API",
    "DESCRIPTION": (
        "The API of one institution. Every id is opaque and typed (u_, g_, c_, ...); "
        "errors are RFC 9457 problem documents; lists are cursor-paginated."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.api.openapi.document_pages_and_problems",
    ],
    "ENUM_NAME_OVERRIDES": {
        "VisibilityEnum": "tenant_apps.institution.models.Visibility.choices",
        "GroupRoleEnum": "tenant_apps.groups.models.Role.choices",
        "GroupAudienceEnum": "tenant_apps.groups.models.Audience.choices",
        "ShareRoleEnum": "tenant_apps.content.models.ShareRole.choices",
        "FolderRoleEnum": "tenant_apps.folders.models.FolderRole.choices",
        "FolderMemberTypeEnum": "tenant_apps.folders.api.PRINCIPAL_TYPES",
        "TrashEntryTypeEnum": "tenant_apps.trash.selectors.KINDS",
    },
}

# --- observability ----------------------------------------------------------
LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
LOG_FORMAT = env_str("LOG_FORMAT", "json")
if LOG_FORMAT not in {"json", "console"}:
    raise ImproperlyConfigured(f"LOG_FORMAT={LOG_FORMAT!r}: use json or console.")
LOGGING_CONFIG = None  # config.logging.configure() below sets up stdlib + structlog

SENTRY_DSN = env_str("SENTRY_DSN", "")
SENTRY_ENVIRONMENT = env_str("SENTRY_ENVIRONMENT", OAE_ENV)
SENTRY_TRACES_SAMPLE_RATE = env_float("SENTRY_TRACES_SAMPLE_RATE", 0.0)


def _read_version() -> dict:
    path = BASE_DIR / "version.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        # No build stamped a version.json (a checkout): config.health fills in
        # the commit from git when asked.
        return {"version": "dev", "commit": "", "build": ""}


VERSION_INFO = _read_version()

from config.logging import configure as _configure_logging  # noqa: E402
from config.sentry import init_sentry as _init_sentry  # noqa: E402

_configure_logging(level=LOG_LEVEL, fmt=LOG_FORMAT)
_init_sentry(
    dsn=SENTRY_DSN,
    environment=SENTRY_ENVIRONMENT,
    release=VERSION_INFO.get("version"),
    traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE,
)
