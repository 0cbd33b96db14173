"""Django settings, read only from environment variables (see ``stromal.env``).

The embedded default (SQLite under ``var/``, a generated secret key) needs no
variables at all. ``STROMAL_ENV=production`` demands an explicit
``SECRET_KEY`` and allowed hosts.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import dj_database_url
from csp.constants import NONE, SELF

from stromal.env import SettingError, env_bool, env_int, env_list, env_secret, env_str, env_time_zone
from stromal.intake.client_address import parse_trusted_proxies

PACKAGE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(env_str("STROMAL_VAR_DIR", str(Path.cwd() / "var"))).resolve()

STROMAL_ENV = env_str("STROMAL_ENV", "development")
if STROMAL_ENV not in {"development", "test", "production"}:
    raise SettingError(f"STROMAL_ENV={STROMAL_ENV!r}: expected development, test or production")
PRODUCTION = STROMAL_ENV == "production"


def _secret_key() -> str:
    key = env_secret("SECRET_KEY")
    if key:
        return key
    if PRODUCTION:
        raise SettingError("SECRET_KEY (or SECRET_KEY_FILE) is required when STROMAL_ENV=production")
    # The embedded default keeps a generated key under var/ so sessions
    # survive restarts without the user having to invent a secret.
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50), encoding="utf-8")
        key_file.chmod(0o600)
    return key_file.read_text(encoding="utf-8").strip()


#: Shortest secret key production accepts (Django's own deployment check warns below 50).
MIN_PRODUCTION_SECRET_KEY_LENGTH = 50

SECRET_KEY = _secret_key()
DEBUG = env_bool("STROMAL_DEBUG", False)
ALLOWED_HOSTS = env_list(
    "STROMAL_ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"]
)
if PRODUCTION:
    # Each unsafe setting stops the start with the variable named (OWASP ASVS 14.1, 14.3).
    if not ALLOWED_HOSTS:
        raise SettingError("STROMAL_ALLOWED_HOSTS is required when STROMAL_ENV=production")
    if "*" in ALLOWED_HOSTS:
        raise SettingError(
            "STROMAL_ALLOWED_HOSTS: '*' is refused when STROMAL_ENV=production; name the hosts"
        )
    if DEBUG:
        raise SettingError("STROMAL_DEBUG: debug pages are refused when STROMAL_ENV=production")
    if len(SECRET_KEY) < MIN_PRODUCTION_SECRET_KEY_LENGTH:
        raise SettingError(
            f"SECRET_KEY: at least {MIN_PRODUCTION_SECRET_KEY_LENGTH} characters are required when "
            f"STROMAL_ENV=production (got {len(SECRET_KEY)})"
        )
CSRF_TRUSTED_ORIGINS = env_list("STROMAL_CSRF_TRUSTED_ORIGINS", [])
# Reverse proxies whose X-Forwarded-For is believed (see stromal.intake.client_address).
TRUSTED_PROXIES = parse_trusted_proxies(env_list("STROMAL_TRUSTED_PROXIES", []))

INSTALLED_APPS = [
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    # django-ninja's own templates and static files: the API docs load Swagger UI from here, no CDN.
    "ninja",
    "stromal.accounts",
    "stromal.audit",
    "stromal.calculator",
    "stromal.intake",
    "stromal.patients",
    "stromal.protocols",
    "stromal.examinations",
    "stromal.plans",
    "stromal.pathway",
    "stromal.products",
    "stromal.administrations",
    "stromal.followup",
    "stromal.monitoring",
    "stromal.printouts",
    "stromal.staff",
    "stromal.submissions",
    "stromal.mfa",
    "stromal.charts",
    "stromal.outcomes",
    "stromal.exports",
    "stromal.insilico",
    "stromal.api",
    "stromal.fhir",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): whether this session passed the second factor (django-otp).
    "django_otp.middleware.OTPMiddleware",
    "stromal.accounts.middleware.SiteTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "stromal.accounts.middleware.SessionLimitsMiddleware",
    # After the session limits: a session that timed out is signed out before any MFA step.
    "stromal.mfa.middleware.SecondFactorMiddleware",
    "stromal.submissions.middleware.RefuseNulMiddleware",
    "stromal.submissions.middleware.SubmissionTokenMiddleware",
    "stromal.post_only.PostOnlyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "stromal.audit.context.AuditSourceMiddleware",
    "stromal.accounts.middleware.NoStoreForSignedInMiddleware",
    # Last, as django-axes asks: turns a locked-out request into the lockout page.
    "axes.middleware.AxesMiddleware",
]

# Brute force (django-axes, OWASP ASVS 2.2.1): after STROMAL_LOCKOUT_FAILURES wrong passwords,
# on the sign-in page or on any signature's password re-entry, the account and the address
# are locked for STROMAL_LOCKOUT_MINUTES, or until an administrator unlocks them
# (`stromal manage axes_reset_username USER`, `... axes_reset_ip ADDRESS`). Every failure is
# kept in the database (axes AccessAttempt and AccessFailureLog).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("STROMAL_LOCKOUT_FAILURES", 10)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_COOLOFF_TIME = env_int("STROMAL_LOCKOUT_MINUTES", 60) / 60 or None
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_ENABLE_ADMIN = False
AXES_LOCKOUT_TEMPLATE = "registration/locked.html"
AXES_CLIENT_IP_CALLABLE = "stromal.intake.client_address.request_client_address"
AXES_VERBOSE = False
AXES_USERNAME_CALLABLE = "stromal.accounts.reauth.lockout_username"


def _mfa_required_roles() -> frozenset[str]:
    """Roles that must sign in with a second factor (TOTP or a recovery code), ``STROMAL_MFA_REQUIRED_ROLES``.

    Physicians sign treatment plans and administrators manage accounts, so both need one by
    default (OWASP ASVS 2.2.3 / 2.8); production refuses a list without them. An empty value
    (``STROMAL_MFA_REQUIRED_ROLES=``) requires nobody: ``make run`` sets it for the demo logins.
    """
    known = ("coordinator", "physician", "nurse", "lab", "investigator", "monitor", "admin")
    roles = frozenset(env_list("STROMAL_MFA_REQUIRED_ROLES", list(MFA_DEFAULT_ROLES)))
    unknown = sorted(roles - set(known))
    if unknown:
        raise SettingError(
            f"STROMAL_MFA_REQUIRED_ROLES: unknown role(s) {', '.join(unknown)}; expected some of "
            f"{', '.join(known)}"
        )
    if PRODUCTION and not MFA_DEFAULT_ROLES.issubset(roles):
        raise SettingError(
            "STROMAL_MFA_REQUIRED_ROLES: physician and admin must use a second factor when "
            "STROMAL_ENV=production (other roles may be added)"
        )
    return roles


#: Roles that need a second factor unless ``STROMAL_MFA_REQUIRED_ROLES`` says otherwise.
MFA_DEFAULT_ROLES = frozenset({"physician", "admin"})
MFA_REQUIRED_ROLES = _mfa_required_roles()
# Authenticator apps show the account as "Stromal (username)".
OTP_TOTP_ISSUER = env_str("STROMAL_MFA_ISSUER", "Stromal")
# Each wrong code doubles the wait before the device takes another (1 s, 2 s, 4 s, ...), kept on
# the device: a correct password, which resets django-axes' count, does not reset it.
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1

ROOT_URLCONF = "stromal.urls"
WSGI_APPLICATION = "stromal.wsgi.application"

TEMPLATES: list[dict[str, Any]] = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "stromal.accounts.context.stromal_context",
            ],
            # {{ value|when }}: every date-time shown with its zone (stromal.accounts.zones);
            # {% submission_token %} in every POST form without a {% load %} line.
            "builtins": [
                "stromal.accounts.templatetags.when",
                "stromal.submissions.templatetags.submissions",
            ],
        },
    },
]


def _database() -> dict[str, Any]:
    url = env_str("DATABASE_URL", "")
    if url:
        try:
            return dict(dj_database_url.parse(url, conn_max_age=env_int("STROMAL_DB_CONN_MAX_AGE", 60)))
        except ValueError as exc:
            raise SettingError(f"DATABASE_URL: {exc}") from exc
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(VAR_DIR / "stromal.sqlite3"),
        "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
    }


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        # OWASP ASVS 2.1.1: at least 12 characters.
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# How long an administrator's one-time password link works (``staff.services.password_link``).
PASSWORD_RESET_TIMEOUT = env_int("STROMAL_PASSWORD_LINK_HOURS", 72) * 3600

LANGUAGE_CODE = "en-gb"
# The default zone of every site (``accounts.Site.time_zone``); date-times are stored in
# UTC and shown in the signed-in user's site zone (``accounts.middleware``), zone named.
TIME_ZONE = env_time_zone("STROMAL_TIME_ZONE", "UTC")
USE_I18N = True
# ISO values in date and date-time inputs (browsers read no other), see ``stromal.formats``.
FORMAT_MODULE_PATH = ["stromal.formats"]
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
# Created up front: whitenoise warns about a missing root before collectstatic runs.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS: list[Any] = [PACKAGE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
# Django's two finders, plus Plotly.js straight from the installed plotly package (no copy, no CDN).
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "stromal.charts.finders.PlotlyFinder",
]
MEDIA_ROOT = VAR_DIR / "media"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
# Two limits on a session (OWASP ASVS 3.3.2), kept by ``accounts.middleware.SessionLimitsMiddleware``:
# idle (no request for this long) and absolute (since sign-in, however active).
SESSION_IDLE_SECONDS = env_int("STROMAL_IDLE_TIMEOUT_SECONDS", 15 * 60)
SESSION_ABSOLUTE_SECONDS = env_int("STROMAL_SESSION_SECONDS", 8 * 3600)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_SECONDS
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
# HTTPS: the redirect and HSTS are switched on from the environment once TLS is in place
# (turning HSTS on before TLS works locks browsers out for STROMAL_HSTS_SECONDS).
SECURE_SSL_REDIRECT = env_bool("STROMAL_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("STROMAL_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("STROMAL_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("STROMAL_HSTS_PRELOAD", False)
# Behind a TLS-terminating proxy that sets X-Forwarded-Proto (only then: a client could forge it).
if env_bool("STROMAL_BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy (django-csp 4, OWASP ASVS 14.4.3 and 5.3.3): scripts only from this
# server's static files, no inline script, handler or javascript: URL anywhere (templates pass
# data to scripts through json_script); no plugins, no <base>, no framing, forms post here only.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        # No 'unsafe-inline' for styles either: nothing needs it. Plotly.js (the patient page's
        # charts) still draws under style-src 'self' (its SVG styling goes through the CSSOM, which a
        # policy does not block); only its injected <style> rules for the mode bar and hover labels
        # are refused (a console warning). Checked in Chromium with plotly.py 7.1's bundled plotly.js.
        "style-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}
# Analytics pages keep their sites' rows between requests until the registry changes
# (``stromal.outcomes.memo``); this bounds how long (0: never kept).
STROMAL_ANALYTICS_CACHE_SECONDS = env_int("STROMAL_ANALYTICS_CACHE_SECONDS", 600)

TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("STROMAL_LOG_LEVEL", "WARNING")},
}
