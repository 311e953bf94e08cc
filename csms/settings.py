"""Settings: one module, configured by environment variables with embedded defaults.

Every variable is documented in the README ("Configuration").
"""

import os
import zoneinfo
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value else default


def env_int(name: str, default: int) -> int:
    return int(env_float(name, default))


def env_time_zone(name: str, default: str) -> str:
    """An IANA time zone name (Europe/Amsterdam), refused at startup when the zone is unknown."""
    value = os.environ.get(name) or default
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as error:
        raise ImproperlyConfigured(f"{name} must be an IANA time zone, not {value!r}") from error
    return value


def env_seconds_range(name: str, default: str) -> tuple[int, int]:
    """MIN:MAX whole seconds (5:20), 0 <= MIN <= MAX, refused at startup otherwise."""
    value = os.environ.get(name) or default
    try:
        low, high = (int(part) for part in value.split(":"))
    except ValueError:
        low, high = 1, 0
    if not 0 <= low <= high:
        raise ImproperlyConfigured(f"{name} must be MIN:MAX seconds, 0 <= MIN <= MAX, not {value!r}")
    return low, high


def env_list(name: str, default: str = "") -> list[str]:
    """A comma-separated setting, each item stripped, empty ones dropped."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY") or "insecure-development-key-set-SECRET_KEY-in-production"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "daphne",
    "console.site.ConsoleAdminConfig",  # django.contrib.admin, its index grouped by operator task
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "accounts",
    "chargers",
    "charging",
    "smart_charging",
    "commands",
    "ocpp_ws",
    "simulator",
    "console",
    "webhooks",
    "compat",
    "pki",
    "billing",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "console.middleware.ConsoleTimeZone",
]

ROOT_URLCONF = "csms.urls"
ASGI_APPLICATION = "csms.asgi.application"

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

# Database: DATABASE_URL (postgres://user:pass@host:5432/name) or a SQLite file.
DATABASES = {"default": dj_database_url.config(default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}", conn_health_checks=True)}
# PostgreSQL connections a server process shares among its threads (Django's pool): HTTP requests
# borrow one for their database work and give it back when they end, and a command gives its own
# back while it waits for the charger. The frame workers keep one each of their own besides.
CSMS_DB_POOL_SIZE = env_int("CSMS_DB_POOL_SIZE", 16)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["OPTIONS"] = {
        # Checked (conn_health_checks) when borrowed; a borrower waits up to `timeout` s for one.
        "pool": {"min_size": 2, "max_size": CSMS_DB_POOL_SIZE, "timeout": 5},
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The live server and the test process share one SQLite file; wait for locks
    # instead of failing, and let readers run beside the writer (WAL).
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # Kept for good by the threads that opened them (request threads close theirs when they end): a
    # new SQLite connection costs more than an API command's own work (csms/request_threads.py).
    DATABASES["default"]["CONN_MAX_AGE"] = None
    # A file, not memory, so that the live server the tests start can share it.
    (BASE_DIR / "var").mkdir(exist_ok=True)
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "var" / "test-db.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Channel layer and background work: in-process unless REDIS_URL is set.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            # channels-redis with one-round-trip sends and batched reads, riding out a Redis restart.
            "BACKEND": "commands.channel_layers.ResilientRedisChannelLayer",
            "CONFIG": {
                # channels-redis waits up to 5 s in a blocking pop; redis-py's default read
                # timeout is also 5 s, and when it fires first the consumer holding a
                # charger's socket crashes. Reads wait longer than the pop instead.
                "hosts": [{"address": REDIS_URL, "socket_timeout": 15, "socket_connect_timeout": 5}],
                "capacity": 5000,
                "expiry": 30,
            },
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"pool_class": "csms.cache.SharedConnectionPool"},
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CHANNEL_LAYERS = {
        "default": {"BACKEND": "commands.channel_layers.SweepingInMemoryChannelLayer", "CONFIG": {"capacity": 5000}}
    }
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CELERY_BROKER_URL = "memory://"
    CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = "UTC"
CELERY_TASK_IGNORE_RESULT = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
# The operator console (/admin/, /dashboard/) writes and reads times in this IANA zone: the operators' local time.
CSMS_CONSOLE_TIME_ZONE = env_time_zone("CSMS_CONSOLE_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True
# Times in the console: year first, with seconds (csms/formats/).
FORMAT_MODULE_PATH = "csms.formats"

STATIC_URL = "/static/"
# Uploaded files (diagnostics chargers send to the CSMS); served to staff through the admin only.
MEDIA_ROOT = Path(os.environ.get("CSMS_MEDIA_ROOT") or BASE_DIR / "var" / "media")
MEDIA_URL = "/media/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"] if (BASE_DIR / "static").is_dir() else []

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["accounts.permissions.HasScope"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "csms.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "csms.errors.exception_handler",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "CSMS API",
    "DESCRIPTION": "Charging station management: chargers, commands, sessions. Authenticate with `X-API-Key`.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Named enums, so that fields called "status" with different values do not collide.
    "ENUM_NAME_OVERRIDES": {
        "ChargerPresenceEnum": "chargers.api.serializers.PRESENCE",
        "IdTagStatusEnum": "charging.models.IdTag.Status",
        "ResetInputTypeEnum": ["Soft", "Hard", "OnIdle", "Immediate"],  # shared with the compatible APIs
        "AvailabilityInputTypeEnum": ["Operative", "Inoperative"],
        "ChargingProfilePurposeEnum": "commands.api.serializers.PROFILE_PURPOSES",
        "ChargingProfilePurpose201Enum": "commands.api.serializers.PROFILE_PURPOSES_201",
        "RequestedMessageEnum": "commands.api.serializers.TRIGGERABLE",
        "ExtendedRequestedMessageEnum": "pki.api.serializers.EXTENDED_TRIGGERS",
    },
}

# The product's own settings (README, "Configuration").
CSMS_PUBLIC_WS_URL = os.environ.get("CSMS_PUBLIC_WS_URL", "ws://127.0.0.1:8000/ocpp").rstrip("/")
CSMS_COMMAND_TIMEOUT = env_float("CSMS_COMMAND_TIMEOUT", 10.0)
CSMS_COMMAND_RATE_LIMIT = env_float("CSMS_COMMAND_RATE_LIMIT", 10.0)
CSMS_HEARTBEAT_INTERVAL = env_int("CSMS_HEARTBEAT_INTERVAL", 300)
CSMS_HEARTBEAT_GRACE = env_float("CSMS_HEARTBEAT_GRACE", 60.0)
# A charger's last_seen_at is written at most this often while its frames come (ocpp_ws/consumer.py).
CSMS_PRESENCE_WRITE_INTERVAL = env_float("CSMS_PRESENCE_WRITE_INTERVAL", 30.0)
CSMS_MAX_FRAME_BYTES = env_int("CSMS_MAX_FRAME_BYTES", 65536)
# Chargers a server process admits at once (0: no limit); the handshakes beyond are denied with 503 and a
# Retry-After, their turn: spaced by the node's admission rate, MIN to MAX seconds (ocpp_ws/handshakes.py).
CSMS_HANDSHAKE_BACKLOG = env_int("CSMS_HANDSHAKE_BACKLOG", 200)
CSMS_HANDSHAKE_RETRY_AFTER = env_seconds_range("CSMS_HANDSHAKE_RETRY_AFTER", "5:600")
# Per connection: frames per second and burst before a charger is paced, and how long
# it may stay over its allowance before it is disconnected as flooding (ocpp_ws/pacing.py).
CSMS_FRAME_RATE = env_float("CSMS_FRAME_RATE", 50)
CSMS_FRAME_BURST = env_float("CSMS_FRAME_BURST", 200)
CSMS_FRAME_FLOOD_SECONDS = env_float("CSMS_FRAME_FLOOD_SECONDS", 20)
# Worker threads per server process that commit charger frames in batches (ocpp_ws/group_commit.py).
# SQLite has one writer at a time, so more than one worker only adds lock waits. On PostgreSQL two
# overlap one batch's commit with the next; more hold the interpreter's lock against the event loop
# that serves the sockets (5,000 chargers at 1,000 msg/s, five runs: p99 60-122 ms with two, 107-113 ms with four).
# Several nodes on one machine's cores do better with one each (deploy/run.sh sets it): two nodes, 5,000
# chargers at 1,000 msg/s, p99 428-935 ms with one each (three runs) against 1,047-3,828 ms with two.
CSMS_DB_WORKERS = env_int("CSMS_DB_WORKERS", 1 if DATABASES["default"]["ENGINE"].endswith("sqlite3") else 2)
# Threads kept per server process for HTTP requests (API, admin, console; csms/request_threads.py).
# More requests at once still run, on threads that end with them.
CSMS_HTTP_THREADS = env_int("CSMS_HTTP_THREADS", 64)
# An open transaction with no message from its charger for this many seconds is flagged suspect
# (charging.tasks.transactions_flag_suspect) so that an operator can look at it and close it by hand.
CSMS_TRANSACTION_SUSPECT_AFTER = env_float("CSMS_TRANSACTION_SUSPECT_AFTER", 6 * 3600)
CSMS_REQUIRE_SERVICES = env_bool("CSMS_REQUIRE_SERVICES", False)
# After a BootNotification, send the charger the charging profiles it held before (see README).
CSMS_RESEND_PROFILES_AFTER_BOOT = env_bool("CSMS_RESEND_PROFILES_AFTER_BOOT", True)
# The OCPP message log (ocpp_ws/message_log.py): every frame in and out ("all"), only
# CALLERRORs and frames that are not OCPP-J ("errors"), or nothing ("off").
CSMS_MESSAGE_LOG = os.environ.get("CSMS_MESSAGE_LOG", "all").strip().lower()
# {"vendorId": "dotted.path.to.handler"}: DataTransfer from chargers for these vendors
# is answered by the handler; every other vendor gets UnknownVendorId.
CSMS_DATA_TRANSFER_HANDLERS = {}
for pair in env_list("CSMS_DATA_TRANSFER_HANDLERS"):
    if "=" in pair:
        vendor, path = pair.split("=", 1)
        CSMS_DATA_TRANSFER_HANDLERS[vendor.strip()] = path.strip()
# OCPP 2.1 VatNumberValidation is answered by this function (dotted path), called with charger_id, vat_number
# and evse_id; it returns the answer's status ("Accepted" or "Rejected") and, if it knows it, the company
# ({"name", "address1", "city", "country"}). The default accepts every number without a lookup.
CSMS_VAT_NUMBER_VALIDATOR = os.environ.get("CSMS_VAT_NUMBER_VALIDATOR", "ocpp_ws.v21.actions.vat_number_accepted")

# Background work (README, "Background work"). Intervals and waits in seconds.
CSMS_PUBLIC_HTTP_URL = os.environ.get("CSMS_PUBLIC_HTTP_URL", "http://127.0.0.1:8000").rstrip("/")
# Run CELERY_BEAT_SCHEDULE inside each server process when REDIS_URL is unset.
CSMS_EMBEDDED_BEAT = env_bool("CSMS_EMBEDDED_BEAT", True)
CSMS_SWEEP_INTERVAL = env_float("CSMS_SWEEP_INTERVAL", 60.0)
CSMS_PRUNE_INTERVAL = env_float("CSMS_PRUNE_INTERVAL", 3600.0)
# A charger still "online" this long after heartbeat interval + grace without a frame lost its process.
CSMS_PRESENCE_MARGIN = env_float("CSMS_PRESENCE_MARGIN", 120.0)
# A command still pending/sent this long after its timeout lost the process that sent it.
CSMS_COMMAND_SWEEP_MARGIN = env_float("CSMS_COMMAND_SWEEP_MARGIN", 60.0)
# Days of history kept (status notifications, meter values of closed sessions, commands,
# data transfers, webhook deliveries); 0 keeps everything.
CSMS_HISTORY_RETENTION_DAYS = env_int("CSMS_HISTORY_RETENTION_DAYS", 365)
# Days of OCPP message log kept (ocpp_ws/message_log.py); 0 keeps everything.
CSMS_MESSAGE_LOG_RETENTION_DAYS = env_int("CSMS_MESSAGE_LOG_RETENTION_DAYS", 30)
# Firmware and diagnostics jobs: ask for a status (TriggerMessage) when none came this long after
# the job's start, and give up (TimedOut) after the deadline.
CSMS_FIRMWARE_STATUS_WAIT = env_float("CSMS_FIRMWARE_STATUS_WAIT", 900.0)
CSMS_FIRMWARE_JOB_DEADLINE = env_float("CSMS_FIRMWARE_JOB_DEADLINE", 4 * 3600.0)
CSMS_DIAGNOSTICS_STATUS_WAIT = env_float("CSMS_DIAGNOSTICS_STATUS_WAIT", 300.0)
CSMS_DIAGNOSTICS_JOB_DEADLINE = env_float("CSMS_DIAGNOSTICS_JOB_DEADLINE", 3600.0)
CSMS_DIAGNOSTICS_MAX_BYTES = env_int("CSMS_DIAGNOSTICS_MAX_BYTES", 100 * 1024 * 1024)
# Tariffs: restrictions' times of day and dates are read in this zone (IANA name).
CSMS_TARIFF_TIME_ZONE = env_time_zone("CSMS_TARIFF_TIME_ZONE", TIME_ZONE)
# The currency (ISO 4217) of the CDRs of sessions no tariff prices: they cost 0.
CSMS_FREE_SESSION_CURRENCY = os.environ.get("CSMS_FREE_SESSION_CURRENCY") or "EUR"
if not (CSMS_FREE_SESSION_CURRENCY.isascii() and CSMS_FREE_SESSION_CURRENCY.isalpha()
        and CSMS_FREE_SESSION_CURRENCY.isupper() and len(CSMS_FREE_SESSION_CURRENCY) == 3):  # fmt: skip
    raise ImproperlyConfigured(f"CSMS_FREE_SESSION_CURRENCY must be ISO 4217 (EUR), not {CSMS_FREE_SESSION_CURRENCY!r}")
# Seconds between running costs sent to chargers that show them (2.0.1 CostUpdated, 1.6 RunningCost); 0: none.
CSMS_COST_UPDATE_INTERVAL = env_float("CSMS_COST_UPDATE_INTERVAL", 300.0)
# A console bulk command on more chargers than this runs as a fleet job (live progress), not while the page waits.
CSMS_CONSOLE_FLEET_JOB_THRESHOLD = env_int("CSMS_CONSOLE_FLEET_JOB_THRESHOLD", 5)
# Webhooks: seconds per attempt, attempts in all, and the first retry's delay (doubled each time).
CSMS_WEBHOOK_TIMEOUT = env_float("CSMS_WEBHOOK_TIMEOUT", 5.0)
CSMS_WEBHOOK_MAX_ATTEMPTS = env_int("CSMS_WEBHOOK_MAX_ATTEMPTS", 6)
CSMS_WEBHOOK_RETRY_DELAY = env_float("CSMS_WEBHOOK_RETRY_DELAY", 10.0)
# Webhook secrets are stored encrypted with this key (SECRET_KEY unless set; changing it loses them).
CSMS_WEBHOOK_ENCRYPTION_KEY = os.environ.get("CSMS_WEBHOOK_ENCRYPTION_KEY") or SECRET_KEY
# The charging-station CA (pki/): its directory (ca.key, 0600, and ca.pem; created on first use), the
# name in its certificate, how long the certificates it signs are valid, how long before expiry a
# charger is asked for a new CSR, and a dotted path to a function that signs CSRs instead (an external CA).
CSMS_CA_DIR = Path(os.environ.get("CSMS_CA_DIR") or BASE_DIR / "var" / "ca")
CSMS_CA_NAME = os.environ.get("CSMS_CA_NAME", "CSMS Charging Station CA")
CSMS_CERTIFICATE_VALIDITY_DAYS = env_int("CSMS_CERTIFICATE_VALIDITY_DAYS", 365)
CSMS_CERTIFICATE_RENEW_DAYS = env_int("CSMS_CERTIFICATE_RENEW_DAYS", 30)
CSMS_CA_SIGNER = os.environ.get("CSMS_CA_SIGNER", "")
# 2.0.1 GetCertificateStatus and Get15118EVCertificate are forwarded (pki/forwarding.py): the OCSP
# responder's URL, the contract-certificate service's URL and the Authorization header it is sent with,
# and the seconds within which either must answer (past them the charger is answered Failed).
CSMS_OCSP_RESPONDER_URL = os.environ.get("CSMS_OCSP_RESPONDER_URL", "")
CSMS_EV_CERTIFICATE_URL = os.environ.get("CSMS_EV_CERTIFICATE_URL", "")
CSMS_EV_CERTIFICATE_AUTHORIZATION = os.environ.get("CSMS_EV_CERTIFICATE_AUTHORIZATION", "")
CSMS_PKI_FORWARD_TIMEOUT = env_float("CSMS_PKI_FORWARD_TIMEOUT", 10)
# Security profiles 2 and 3 (TLS through a proxy): the proxies' addresses whose X-Forwarded-Proto and
# client-certificate header are believed (comma-separated), and that header's name.
CSMS_TRUSTED_PROXIES = frozenset(env_list("CSMS_TRUSTED_PROXIES"))
CSMS_CLIENT_CERT_HEADER = os.environ.get("CSMS_CLIENT_CERT_HEADER", "X-SSL-Client-Subject")
# Seconds a charger moved to a higher security profile has to connect on it before it falls back (pki/profiles.py).
CSMS_PROFILE_UPGRADE_WINDOW = env_float("CSMS_PROFILE_UPGRADE_WINDOW", 600)
# Brute force: this many failed charger passwords within the window (seconds), per chargeBoxId or per
# source address, refuse it for the lockout (seconds) before any password is checked (pki/lockout.py).
CSMS_AUTH_FAILURE_LIMIT = env_int("CSMS_AUTH_FAILURE_LIMIT", 10)
CSMS_AUTH_FAILURE_WINDOW = env_int("CSMS_AUTH_FAILURE_WINDOW", 300)
CSMS_AUTH_LOCKOUT_SECONDS = env_int("CSMS_AUTH_LOCKOUT_SECONDS", 300)


def every(seconds: float, tasks: dict[str, str]) -> dict[str, dict]:
    """Beat entries that run each of `tasks` (entry name: task name) every `seconds`."""
    return {name: {"task": task, "schedule": seconds} for name, task in tasks.items()}


# One table for the periodic sweeps: `celery -A csms beat` with REDIS_URL, each server process without.
# Tasks named here may come from any app; a name no app registers is skipped, not an error.
CELERY_BEAT_SCHEDULE = {
    **every(
        CSMS_SWEEP_INTERVAL,
        {
            "chargers-offline": "chargers.tasks.chargers_offline_sweep",
            "commands-abandoned": "commands.tasks.commands_abandoned_sweep",
            "jobs-follow-up": "commands.tasks.jobs_follow_up",
            "fleet-jobs-resume": "commands.tasks.fleet_jobs_resume",
            "reservations-expire": "chargers.tasks.reservations_expire",
            "transactions-flag-suspect": "chargers.tasks.transactions_flag_suspect",
            "running-costs": "billing.tasks.running_costs_send",
            "certificates-renew": "pki.tasks.certificates_renew",
            "profile-upgrades-fall-back": "pki.tasks.profile_upgrades_fall_back",
        },
    ),
    **every(
        CSMS_PRUNE_INTERVAL,
        {
            "history-prune": "chargers.tasks.history_prune",
            "commands-prune": "commands.tasks.commands_prune",
            "webhook-deliveries-prune": "webhooks.tasks.deliveries_prune",
            "messages-prune": "ocpp_ws.tasks.messages_prune",
        },
    ),
}

# Graceful shutdown on SIGTERM (csms/shutdown.py): the process exits within CSMS_SHUTDOWN_GRACE seconds,
# closing chargers' sockets with CSMS_SHUTDOWN_CLOSE_CODE (1012 service restart, or 1001 going away)
# spread over CSMS_SHUTDOWN_CLOSE_WINDOW seconds, so that a fleet does not reconnect as one wave.
CSMS_SHUTDOWN_GRACE = env_float("CSMS_SHUTDOWN_GRACE", 25.0)
CSMS_SHUTDOWN_CLOSE_WINDOW = env_float("CSMS_SHUTDOWN_CLOSE_WINDOW", 5.0)
CSMS_SHUTDOWN_CLOSE_CODE = env_int("CSMS_SHUTDOWN_CLOSE_CODE", 1012)
if CSMS_SHUTDOWN_CLOSE_CODE not in (1001, 1012):
    raise ImproperlyConfigured(f"CSMS_SHUTDOWN_CLOSE_CODE must be 1001 or 1012, not {CSMS_SHUTDOWN_CLOSE_CODE}")
if not 0 <= CSMS_SHUTDOWN_CLOSE_WINDOW < CSMS_SHUTDOWN_GRACE:
    raise ImproperlyConfigured("CSMS_SHUTDOWN_CLOSE_WINDOW must be at least 0 and less than CSMS_SHUTDOWN_GRACE")

# Operations (README, "Operations"): `GET /metrics` asks for `Authorization: Bearer <token>` when this is set.
CSMS_METRICS_TOKEN = os.environ.get("CSMS_METRICS_TOKEN", "")

# LOG_FORMAT=json: one JSON object per line, with chargeBoxId, messageId and commandId as fields (csms/logs.py).
LOG_FORMAT = os.environ.get("LOG_FORMAT", "plain").strip().lower()
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be plain or json, not {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "csms.logs.ContextFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "csms.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "plain",
            "filters": ["context"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.channels.server": {"level": "WARNING"}, "daphne": {"level": "WARNING"}},
}
