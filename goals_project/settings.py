"""Goalpost settings: one module, driven by environment variables with safe local defaults.

Every variable is documented in docs/configuration.md.
"""

import sys
from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
# The test run relaxes a few production settings (HTTPS, the key below).
RUNNING_TESTS = "pytest" in sys.modules
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not (DEBUG or RUNNING_TESTS):
        # One line, no traceback: a production start never runs on a published key.
        raise SystemExit(
            "Refusing to start: SECRET_KEY is not set and DEBUG is off. Set SECRET_KEY to a long "
            "random value (python -c 'import secrets; print(secrets.token_urlsafe(50))'), or "
            "DEBUG=1 for local development."
        )
    SECRET_KEY = "insecure-local-development-key-change-me-in-production"
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "axes",
    "guardian",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "goals_project.people",
    "metrics",
    "goals",
    "notifications",
    "checkins",
    "recognition",
    "dashboards",
]

MIDDLEWARE = [
    "goals_project.observability.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # A signed-out htmx request (a poll after the session ended) loads the login page whole.
    "goals_project.people.middleware.HtmxLoginRedirectMiddleware",
    # Last, as django-axes asks: it turns a lock-out raised during login into the lock-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "goals_project.urls"
WSGI_APPLICATION = "goals_project.wsgi.application"
ASGI_APPLICATION = "goals_project.asgi.application"

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
                "goals_project.people.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Connections are kept open between requests (a new one is ~15 % of a dashboard request) and
# checked before reuse, so a connection the database dropped is replaced instead of failing.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # PostgreSQL's JIT compiles the metric queries at 100,000 customers for 100-130 ms each, more
    # than it saves them: it is off for the app's connections.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the dev server and eager tasks write without "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The progress-history index carries the value as an INCLUDE column on PostgreSQL (index-only
# reads of a goal's daily series); SQLite builds the same index without it, which is fine.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

AUTH_USER_MODEL = "people.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "goals_project.people.backends.EmailBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling (django-axes, goals_project/people/throttle.py): lock an account+address pair
# after repeated failures, the account counted in its one normalised spelling; and lock an address
# that fails too often across accounts.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = "goals_project.people.throttle.axes_lockout_parameters"
AXES_USERNAME_CALLABLE = "goals_project.people.throttle.axes_username"
AXES_USERNAME_FORM_FIELD = "username"
LOGIN_ADDRESS_FAILURE_LIMIT = env.int("LOGIN_ADDRESS_FAILURE_LIMIT", default=30)
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

# Object permissions (django-guardian): no anonymous user row is needed.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env.bool("STATIC_MANIFEST", default=False)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = True
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    # plotly.min.js straight from the installed plotly package (never copied, never a CDN).
    "dashboards.staticfinders.PlotlyFinder",
]

# Email: console locally; SMTP (or any backend) from the environment in production.
# EMAIL_URL examples: consolemail://, smtp+tls://user:password@smtp.example.com:587
_email = env.email_url("EMAIL_URL", default="consolemail://")
MAILERS = {
    "default": {
        "BACKEND": _email["EMAIL_BACKEND"],
        "OPTIONS": {
            key: value
            for key, value in {
                "host": _email.get("EMAIL_HOST"),
                "port": _email.get("EMAIL_PORT"),
                "username": _email.get("EMAIL_HOST_USER"),
                "password": _email.get("EMAIL_HOST_PASSWORD"),
                "use_tls": _email.get("EMAIL_USE_TLS"),
                "use_ssl": _email.get("EMAIL_USE_SSL"),
            }.items()
            if value and _email["EMAIL_BACKEND"].endswith("smtp.EmailBackend")
        },
    }
}
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Goalpost <goalpost@localhost>")
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

# Security: strict by default, relaxed only for local plain-HTTP development and the test run
# (whose test client and live server speak plain HTTP on loopback).
SECURE_HTTPS = env.bool("SECURE_HTTPS", default=not (DEBUG or RUNNING_TESTS))
SESSION_COOKIE_SECURE = SECURE_HTTPS
CSRF_COOKIE_SECURE = SECURE_HTTPS
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=SECURE_HTTPS)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if SECURE_HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HTTPS
SECURE_HSTS_PRELOAD = SECURE_HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    # Stylesheets only from here; plotly.js writes its rules into the nonce'd, empty
    # <style id="plotly.js-style-global"> of base.html (through CSSOM, which CSP allows) instead
    # of injecting a <style> of its own. Style attributes stay allowed: progress-bar widths, and
    # plotly.js writes style attributes itself when it draws.
    "style-src": [CSP.SELF],
    "style-src-elem": [CSP.SELF, CSP.NONCE],
    "style-src-attr": [CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}

# The cache: shared by every web and worker process in production (CACHE_URL, a Redis database
# of its own, e.g. redis://127.0.0.1:6379/1): the goal page's comparisons, an upload's progress.
# Locally (unset) each process keeps its own in memory.
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}
# django-environ lower-cases ?key_prefix= and ?timeout= for Django's own Redis backend, which
# reads them upper-case.
for _option in ("key_prefix", "timeout", "version"):
    if _option in CACHES["default"]:
        CACHES["default"][_option.upper()] = CACHES["default"].pop(_option)

# Celery: no broker configured means every task runs eagerly, in-process.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or None
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
# A task unacknowledged (its worker killed) is redelivered after twice the hard time limit, not
# Redis' default hour.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 2 * CELERY_TASK_TIME_LIMIT}
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE: dict = {}

# Customer-data CSV imports: the largest file and the most lines one import takes.
METRICS_IMPORT_MAX_BYTES = env.int("METRICS_IMPORT_MAX_BYTES", default=25 * 1024 * 1024)
METRICS_IMPORT_MAX_LINES = env.int("METRICS_IMPORT_MAX_LINES", default=250_000)

# Goals engine: status thresholds (points below the expected progress) and recalculation timing.
GOAL_STATUS_ON_TRACK_MARGIN = env.int("GOAL_STATUS_ON_TRACK_MARGIN", default=10)
GOAL_STATUS_AT_RISK_MARGIN = env.int("GOAL_STATUS_AT_RISK_MARGIN", default=25)
GOAL_RECALC_INTERVAL_MINUTES = env.int("GOAL_RECALC_INTERVAL_MINUTES", default=15)
# A burst of customer-data changes within this many seconds becomes one recalculation run.
GOAL_RECALC_COALESCE_SECONDS = env.float("GOAL_RECALC_COALESCE_SECONDS", default=1.0)
# Forecast calibration: how many closed quarters of the org's own customer data it measures.
GOAL_FORECAST_CALIBRATION_QUARTERS = env.int("GOAL_FORECAST_CALIBRATION_QUARTERS", default=4)
# Attainment export: progress is capped at this percent (and floored at 0).
GOAL_ATTAINMENT_CEILING = env.int("GOAL_ATTAINMENT_CEILING", default=150)
# Early warning: a goal on track or at risk whose chance of reaching its target is below this
# percent warns its owner and the team's leads (once a week at most).
GOAL_EARLY_WARNING_PROBABILITY = env.int("GOAL_EARLY_WARNING_PROBABILITY", default=30)
CELERY_BEAT_SCHEDULE.update(
    {
        "goals-recalculate-active": {
            "task": "goals.tasks.recalculate_active_goals",
            "schedule": GOAL_RECALC_INTERVAL_MINUTES * 60.0,
        },
        "goals-roll-over-periods": {
            "task": "goals.tasks.roll_over_periods",
            "schedule": crontab(hour=0, minute=5),
        },
        # Rebuilds only when a quarter has closed since the last calibration.
        "goals-calibrate-forecasts": {
            "task": "goals.tasks.calibrate_forecasts",
            "schedule": crontab(hour=0, minute=20),
        },
    }
)
# Recognition: badges for everyone once a day; summaries of completed periods that are missing
# or unsent (after the period roll-over and its last recalculation).
CELERY_BEAT_SCHEDULE.update(
    {
        "recognition-award-badges": {
            "task": "recognition.tasks.badges_award_daily",
            "schedule": crontab(hour=1, minute=15),
        },
        "recognition-period-summaries": {
            "task": "recognition.tasks.period_summaries_build_due",
            "schedule": crontab(hour=1, minute=0),
        },
    }
)
# Dashboards: the page-view log behind the program-health page (which reads its last 8 weeks) is
# pruned nightly of views older than this many days.
DASHBOARD_VIEW_RETENTION_DAYS = env.int("DASHBOARD_VIEW_RETENTION_DAYS", default=120)
# How often the team dashboard refreshes its numbers (htmx polling; paused in hidden tabs).
DASHBOARD_POLL_SECONDS = env.int("DASHBOARD_POLL_SECONDS", default=10)
CELERY_BEAT_SCHEDULE["dashboards-prune-views"] = {
    "task": "dashboards.tasks.prune_dashboard_views",
    "schedule": crontab(hour=2, minute=30),
}
# Check-ins: Monday digests and the Friday reminder, in the project's TIME_ZONE (CELERY_TIMEZONE).
CELERY_BEAT_SCHEDULE.update(
    {
        "checkins-weekly-updates": {
            "task": "checkins.tasks.send_weekly_updates_task",
            "schedule": crontab(hour=9, minute=0, day_of_week="mon"),
        },
        "checkins-friday-reminder": {
            "task": "checkins.tasks.send_checkin_reminders_task",
            "schedule": crontab(hour=14, minute=0, day_of_week="fri"),
        },
    }
)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "goals_project.people.tokens.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # Bodies are JSON only (goals_project/api.py: exact decimals, bounded nesting).
    "DEFAULT_PARSER_CLASSES": ["goals_project.api.JSONParser"],
    "EXCEPTION_HANDLER": "goals_project.api.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "goals_project.pagination.StrictPageNumberPagination",
    "PAGE_SIZE": 50,
    "COERCE_DECIMAL_TO_STRING": True,
}
# Django's own refusals (a CSRF failure) answer the API's JSON error shape on /api/ paths.
CSRF_FAILURE_VIEW = "goals_project.api.csrf_failure"
SPECTACULAR_SETTINGS = {
    "TITLE": "Goalpost API",
    "DESCRIPTION": "Team goal tracking for Customer Success teams.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "GoalStatusEnum": "goals.models.Goal.Status",
        "PeriodStatusEnum": "goals.models.GoalPeriod.Status",
        # Goals say target_direction, templates direction: one enum for both.
        "TargetDirectionEnum": "goals.models.Goal.Direction",
    },
}

LOG_FORMAT = env.str("LOG_FORMAT", default="plain")  # "json" for structured logs in production
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "goals_project.observability.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "goals_project.observability.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        # Eager tasks (no broker) would log every in-process run and a broker-less kombu warning.
        "celery.app.trace": {"level": "WARNING" if CELERY_TASK_ALWAYS_EAGER else "INFO"},
        "kombu.connection": {"level": "ERROR" if CELERY_TASK_ALWAYS_EAGER else "WARNING"},
        "goalpost.request": {
            "level": env.str("REQUEST_LOG_LEVEL", default="WARNING" if DEBUG else "INFO")
        },
    },
}
