"""Settings for Onboarding, every value from the environment (the longer single-job values are
built in config/settings_parts/).

With no environment at all the app runs embedded: SQLite under var/, mail written to var/mail/
(staff see copies), tasks in the database. Production chooses PostgreSQL, Redis
and SMTP with DATABASE_URL, REDIS_URL and EMAIL_URL (see README.md).
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
import dj_email_url
from django.core.exceptions import ImproperlyConfigured
from whitenoise.compress import Compressor

from config.env import env_bool, env_int, env_list, env_seconds
from config.settings_parts.logging import logging_config
from config.settings_parts.schedule import worker_periodic_tasks
from config.settings_parts.security import content_security_policy

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


# "development" (the embedded default) or "production".
ENVIRONMENT = os.environ.get("ONBOARDING_ENV", "development")
if ENVIRONMENT not in {"development", "production"}:
    raise ImproperlyConfigured("ONBOARDING_ENV must be 'development' or 'production'")
PRODUCTION = ENVIRONMENT == "production"
DEBUG = env_bool("DEBUG", default=not PRODUCTION)


def _secret_key() -> str:
    """Production must pass SECRET_KEY; a development machine keeps a random one in var/."""
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set in production")
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(64))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")
if PRODUCTION and not ALLOWED_HOSTS:
    # Started without it, every request but /healthz would get a 400: say so at start instead.
    raise ImproperlyConfigured(
        "ALLOWED_HOSTS must be set in production (the host names the site answers to, "
        "comma-separated, e.g. support.example.com)"
    )
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# The product's name: every email names it, in its subject, greeting and signature.
SITE_NAME = " ".join(os.environ.get("SITE_NAME", "Onboarding").split())
if not SITE_NAME or len(SITE_NAME) > 60:
    raise ImproperlyConfigured("SITE_NAME must be a product name of 1 to 60 characters")

INSTALLED_APPS = [
    "onboarding.accounts.apps.AdminConfig",  # django.contrib.admin with our admin site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",
    "django_countries",
    "django_htmx",
    "phonenumber_field",
    "allauth",
    "onboarding.accounts.apps.AllauthAccountConfig",  # allauth.account, named for what it holds
    "allauth.mfa",
    "django_tasks",
    "django_tasks_db",
    "onboarding.core",
    "onboarding.accounts",
    "onboarding.audit",
    "onboarding.notifications",
    "onboarding.alerts",
    "onboarding.worker",
    "onboarding.webhooks",
    "onboarding.testclocks",
    "onboarding.catalog",
    "onboarding.tax",
    "onboarding.payments",
    "onboarding.billing",
    "onboarding.journey",
    "onboarding.sysops",
    "onboarding.contracts",
    "onboarding.sla",
    "onboarding.health",
    "onboarding.acceptance",
    "onboarding.risk",
    "onboarding.portal",
    "onboarding.demo",
]

MIDDLEWARE = [
    "onboarding.core.middleware.RequestIdMiddleware",
    "onboarding.core.metrics.MetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Answers /healthz here: liveness loads no session, user or template (docs/operations.md).
    "onboarding.core.middleware.LivenessMiddleware",
    "onboarding.core.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Builds the site-wide policy header once, not twice per response (django-csp otherwise).
    "onboarding.core.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The visitor's language: the switcher's cookie, else the browser's Accept-Language
    # (after the session, before CommonMiddleware; docs/i18n.md).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A signed-in customer's pages in their profile's language; staff pages in English for now.
    "onboarding.accounts.language.PersonLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "onboarding.accounts.middleware.StaffIdleTimeoutMiddleware",
    "onboarding.accounts.middleware.StaffAccessMiddleware",
    "onboarding.accounts.middleware.HiddenRowAuditMiddleware",
    "onboarding.alerts.failures.FailureAlertMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
                "onboarding.core.context_processors.site",
                "config.context_processors.staff_nav",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'onboarding.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server, the worker and the relay share one file: WAL lets readers run beside the
    # writer, IMMEDIATE takes the write lock at BEGIN so two writers queue instead of deadlocking.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # One test database file per test process, so two suites on one machine never share one.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache: shared by every process (login throttling must count across workers) -------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            # One redis client per connection pool, not one per call (core/cache.py).
            "BACKEND": "onboarding.core.cache.RedisCache",
            "LOCATION": REDIS_URL,
            # A Redis that hangs rather than refuses costs a cache call one second, not
            # redis-py's default of five.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "onboarding_cache",
        }
    }

# --- Accounts ------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "onboarding.accounts.validators.RepetitivePasswordValidator"},
    {"NAME": "onboarding.accounts.validators.BreachedLookingPasswordValidator"},
    # zxcvbn's estimate, with the user's details and the product's name as known to a guesser.
    {
        "NAME": "onboarding.accounts.validators.GuessablePasswordValidator",
        "OPTIONS": {"min_score": 3},
    },
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

ACCOUNT_ADAPTER = "onboarding.portal.adapters.PortalAccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_NOTIFICATIONS = True
# No "someone tried your address" mail to addresses without an account: all account mail then has
# a recipient and goes through the outbox (portal/signup.py).
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_RATE_LIMITS = {
    "login_failed": "5/5m/ip,5/5m/key",
    "signup": "20/h/ip",
    "reset_password": "20/m/ip,5/m/key",
    "confirm_email": "1/3m/key",
    # Every password confirmation of a signed-in user (the reauthentication page and the card
    # API share "reauthenticate"; the password change's current password): per user.
    "reauthenticate": "10/m/user",
    "change_password": "5/m/user",
}
# Changing email addresses, the second factor or the card asks for the password again unless it
# was given in the last 5 minutes (onboarding/accounts/reauthentication.py).
ACCOUNT_REAUTHENTICATION_REQUIRED = True
ACCOUNT_REAUTHENTICATION_TIMEOUT = 300
ACCOUNT_FORMS = {
    "signup": "onboarding.accounts.forms.SignupForm",
    "reauthenticate": "onboarding.accounts.reauthentication.ReauthenticateForm",
    "change_password": "onboarding.accounts.reauthentication.ChangePasswordForm",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Onboarding"

# Staff sessions end after this much inactivity (ASVS 3.3.2); customers keep the default.
STAFF_IDLE_TIMEOUT = timedelta(minutes=env_int("STAFF_IDLE_TIMEOUT_MINUTES", 30))
# ...and after this long however active they are: staff sign in again at least twice a day.
STAFF_SESSION_MAX_AGE = timedelta(hours=env_int("STAFF_SESSION_MAX_AGE_HOURS", 12))
SESSION_COOKIE_AGE = 60 * 60 * 12
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "config.views.csrf_failure"

# --- Security headers ----------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# CONTENT_SECURITY_POLICY is set under Payments below: it depends on the payment gateway.
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
    # __Host- cookies: Secure, path /, and no Domain, so no sibling host can set or read them.
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"

# /metrics answers loopback scrapes, or any scrape sending "Authorization: Bearer <token>".
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")

# --- Email ---------------------------------------------------------------------------------
EMAIL_URL = os.environ.get("EMAIL_URL", "")
if EMAIL_URL:
    vars().update(dj_email_url.parse(EMAIL_URL))
else:
    # Embedded default: nothing leaves the machine. Each email is written whole to MAIL_DROP_DIR
    # (and, with MAIL_DROP_ECHO, to the relay's terminal); staff's copy on /staff/mail/ has the
    # links and codes of password, verification and sign-in mail withheld.
    EMAIL_BACKEND = "onboarding.notifications.mailbox.DatabaseMailboxBackend"
MAIL_DROP_DIR = Path(os.environ.get("MAIL_DROP_DIR", VAR_DIR / "mail"))
MAIL_DROP_ECHO = env_bool("MAIL_DROP_ECHO", default=not PRODUCTION)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", f"{SITE_NAME} <support@onboarding.test>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Last resort for failures that cannot even be stored as an admin alert (the database is down).
ADMINS = [("Admins", address) for address in env_list("ADMINS_EMAILS")]

# --- Payments ------------------------------------------------------------------------------
# "sandbox" (Stripe test cards, no network) or "stripe" (needs the two STRIPE_ keys below).
PAYMENT_GATEWAY = os.environ.get("PAYMENT_GATEWAY", "sandbox")
STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "")
STRIPE_PUBLISHABLE_KEY = os.environ.get("STRIPE_PUBLISHABLE_KEY", "")
# The signing secret of the /webhooks/stripe/ endpoint (whsec_..., from Stripe's dashboard).
# Empty: every webhook is refused (400), as an unsigned one would be.
STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
# A signature older than this many seconds is refused (a captured request replayed later).
STRIPE_WEBHOOK_TOLERANCE_SECONDS = env_int("STRIPE_WEBHOOK_TOLERANCE_SECONDS", 300)
if PAYMENT_GATEWAY == "stripe" and not (STRIPE_SECRET_KEY and STRIPE_PUBLISHABLE_KEY):
    raise ImproperlyConfigured(
        "PAYMENT_GATEWAY=stripe needs STRIPE_SECRET_KEY and STRIPE_PUBLISHABLE_KEY"
    )
# A PENDING charge older than this is presumed crashed and goes to the reconciler.
PAYMENT_PENDING_STALE_SECONDS = env_int("PAYMENT_PENDING_STALE_SECONDS", 120)
# A charge the gateway has never heard of, this long after we sent it, never happened: failed.
PAYMENT_LOOKUP_GRACE_SECONDS = env_int("PAYMENT_LOOKUP_GRACE_SECONDS", 300)
# Unknown outcomes: ask the gateway this many times (base, 2x base, 4x base ...), then alert.
PAYMENT_RECONCILE_MAX_TRIES = env_int("PAYMENT_RECONCILE_MAX_TRIES", 5)
PAYMENT_RECONCILE_BASE_SECONDS = env_int("PAYMENT_RECONCILE_BASE_SECONDS", 60)
PAYMENT_RECONCILE_MAX_SECONDS = env_int("PAYMENT_RECONCILE_MAX_SECONDS", 3600)
# The content security policy: our own origin, and Stripe's when Stripe takes the cards
# (config/settings_parts/security.py).
CONTENT_SECURITY_POLICY = content_security_policy(stripe=PAYMENT_GATEWAY == "stripe")

# --- Billing (docs/billing.md) ----------------------------------------------------------------
# Dunning: after a failed payment, retry this many days after the first failure; when the last
# retry fails the invoice is uncollectible and the subscription past due.
BILLING_DUNNING_DAYS = [int(days) for days in env_list("BILLING_DUNNING_DAYS", "1,3,5,7")]
BILLING_PAYMENT_TERMS_DAYS = env_int("BILLING_PAYMENT_TERMS_DAYS", 14)  # issue date to due date
# Subscriptions per bill-run batch. A batch's attempts are committed pending, then charged one by
# one on a gateway without batch charges (Stripe): the batch must be sent well inside
# PAYMENT_LOOKUP_GRACE_SECONDS, or the reconciler books unsent attempts as not received.
BILLING_BATCH_SIZE = env_int("BILLING_BATCH_SIZE", 500)
# Claim-and-charge loops per bill-run process, each on its own connection (PostgreSQL only).
BILLING_RUN_LOOPS = env_int("BILLING_RUN_LOOPS", 1)
# A charge the gateway never received is sent again at once, this many times per invoice; the
# next one is a normal failure and an admin alert (billing/resend.py).
BILLING_NOT_RECEIVED_RESENDS = env_int("BILLING_NOT_RECEIVED_RESENDS", 3)
# A live subscription whose period began this long ago without an invoice raises an alert.
BILLING_MISSING_INVOICE_GRACE_MINUTES = env_int("BILLING_MISSING_INVOICE_GRACE_MINUTES", 120)
# Who the invoices are from; address lines separated by "|".
BILLING_SELLER_NAME = os.environ.get("BILLING_SELLER_NAME", "Onboarding Support Ltd")
BILLING_SELLER_ADDRESS = os.environ.get(
    "BILLING_SELLER_ADDRESS", "1 Service Street|Dublin D02 X285|Ireland"
)
BILLING_SELLER_TAX_ID = os.environ.get("BILLING_SELLER_TAX_ID", "")
# The seller's country (ISO 3166): a business customer with a VAT number of another EU member
# state is reverse-charged (tax/selectors.py).
BILLING_SELLER_COUNTRY = os.environ.get("BILLING_SELLER_COUNTRY", "IE").upper()
# Confirm a business's new EU VAT number with the EU's register (VIES) before saving it; off by
# default: the check digits need no network, and VIES is often slow (tax/vies.py).
TAX_VIES_ENABLED = env_bool("TAX_VIES_ENABLED", False)
TAX_VIES_URL = os.environ.get("TAX_VIES_URL", "https://ec.europa.eu/taxation_customs/vies/rest-api")
TAX_VIES_TIMEOUT_SECONDS = env_int("TAX_VIES_TIMEOUT_SECONDS", 5)

# --- Background work -----------------------------------------------------------------------
# QUEUES empty: any queue name is valid, for the test clocks' own queues (onboarding/core/clock.py).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": []}}
WORKER_HEARTBEAT_SECONDS = env_int("WORKER_HEARTBEAT_SECONDS", 5)
# A RUNNING task whose worker has not beaten its heart for this long is re-queued.
WORKER_STALE_AFTER_SECONDS = env_int("WORKER_STALE_AFTER_SECONDS", 30)
TASK_MAX_ATTEMPTS = env_int("TASK_MAX_ATTEMPTS", 5)
TASK_RETRY_BASE_SECONDS = env_int("TASK_RETRY_BASE_SECONDS", 10)
TASK_RETRY_MAX_SECONDS = env_int("TASK_RETRY_MAX_SECONDS", 3600)
# Successful task results are kept this many days (the worker prunes hourly); failed ones stay.
WORKER_TASK_RESULTS_KEPT_DAYS = env_int("WORKER_TASK_RESULTS_KEPT_DAYS", 7)
# A document the worker prepares (invoice PDF, certificate): past this wait, or failed, the
# page stops polling and says so; the admin hears once (billing/downloads.py).
DOCUMENT_PREPARE_WAIT_SECONDS = env_int("DOCUMENT_PREPARE_WAIT_SECONDS", 120)
# Staff nav counts are counted only while a staff page has asked for them this recently.
STAFF_NAV_COUNTS_WANTED_SECONDS = env_int("STAFF_NAV_COUNTS_WANTED_SECONDS", 300)
# The health queue's stored counts (onboarding/health/counts.py): older than this, the page says
# they are behind; pages mark them wanted for this long.
HEALTH_COUNTS_STALE_SECONDS = env_int("HEALTH_COUNTS_STALE_SECONDS", 120)
HEALTH_COUNTS_WANTED_SECONDS = env_int("HEALTH_COUNTS_WANTED_SECONDS", 600)
# A customer's fall into red opens a managers' review (onboarding/health/reviews.py): a manager
# acknowledges it within this (else a risk event and the admins alerted, once), and chooses the
# next action within the second (shown overdue after).
HEALTH_REVIEW_ACK_SECONDS = env_int("HEALTH_REVIEW_ACK_SECONDS", 4 * 3600)
HEALTH_REVIEW_ACTION_SECONDS = env_int("HEALTH_REVIEW_ACTION_SECONDS", 3 * 86400)
if not 0 <= HEALTH_REVIEW_ACK_SECONDS <= HEALTH_REVIEW_ACTION_SECONDS:
    raise ImproperlyConfigured(
        "HEALTH_REVIEW_ACK_SECONDS must be between 0 and HEALTH_REVIEW_ACTION_SECONDS"
    )
# An open staff page asks for the stored counts again this often (htmx poll; not while hidden).
STAFF_NAV_COUNTS_POLL_SECONDS = env_int("STAFF_NAV_COUNTS_POLL_SECONDS", 30)
# Periodic work the worker enqueues itself: task path -> every N seconds
# (config/settings_parts/schedule.py).
WORKER_PERIODIC_TASKS = worker_periodic_tasks()


# --- Outbound webhooks (docs/webhooks.md) ----------------------------------------------------
# Loopback endpoints (127.0.0.1, ::1, names resolving there) are refused unless this is on: for
# local testing and the test suite only. Private, link-local and metadata addresses always are.
WEBHOOKS_ALLOW_LOOPBACK = env_bool("WEBHOOKS_ALLOW_LOOPBACK", False)
# Endpoints must be https:// unless this is on (local testing).
WEBHOOKS_ALLOW_HTTP = env_bool("WEBHOOKS_ALLOW_HTTP", False)
WEBHOOKS_CONNECT_TIMEOUT_SECONDS = env_seconds("WEBHOOKS_CONNECT_TIMEOUT_SECONDS", 3)
WEBHOOKS_READ_TIMEOUT_SECONDS = env_seconds("WEBHOOKS_READ_TIMEOUT_SECONDS", 10)
# Retries: exponential backoff with jitter from BASE, capped at MAX, for FOR seconds (3 days)
# from the first attempt; then the endpoint is disabled and admins are alerted.
WEBHOOKS_RETRY_BASE_SECONDS = env_int("WEBHOOKS_RETRY_BASE_SECONDS", 30)
WEBHOOKS_RETRY_MAX_SECONDS = env_int("WEBHOOKS_RETRY_MAX_SECONDS", 6 * 3600)
WEBHOOKS_RETRY_FOR_SECONDS = env_int("WEBHOOKS_RETRY_FOR_SECONDS", 3 * 86400)
# After a rotation the previous secret keeps signing for this long.
WEBHOOKS_SECRET_OVERLAP_SECONDS = env_int("WEBHOOKS_SECRET_OVERLAP_SECONDS", 86400)
# Audit entries read per dispatch, replayed entries per replay and tick, deliveries per round.
WEBHOOKS_DISPATCH_BATCH = env_int("WEBHOOKS_DISPATCH_BATCH", 500)
WEBHOOKS_REPLAY_BATCH = env_int("WEBHOOKS_REPLAY_BATCH", 200)
WEBHOOKS_SEND_BATCH = env_int("WEBHOOKS_SEND_BATCH", 100)
WEBHOOKS_SEND_ROUNDS = env_int("WEBHOOKS_SEND_ROUNDS", 20)
# Requests of one round sent at once (a round holds at most one delivery per endpoint and
# customer, so each customer's order is kept).
WEBHOOKS_SEND_THREADS = env_int("WEBHOOKS_SEND_THREADS", 8)
if WEBHOOKS_SEND_THREADS < 1:
    raise ImproperlyConfigured("WEBHOOKS_SEND_THREADS must be at least 1")
if PRODUCTION and WEBHOOKS_RETRY_FOR_SECONDS < 3 * 86400:
    raise ImproperlyConfigured("WEBHOOKS_RETRY_FOR_SECONDS must be at least 3 days in production")
for _switch in ("WEBHOOKS_ALLOW_LOOPBACK", "WEBHOOKS_ALLOW_HTTP"):
    # For local testing only: on in production, the SSRF guard would let endpoints reach the
    # host's own services (loopback) or send signed events in the clear (http).
    if PRODUCTION and globals()[_switch]:
        raise ImproperlyConfigured(f"{_switch} must be off in production")

# --- Contracts (docs/contracts.md) ----------------------------------------------------------
# When a subscription's first contract is issued: "first_payment" (billing enqueues it once the
# first invoice is paid) or "purchase" (at once, without waiting on billing).
CONTRACT_ISSUE_ON = os.environ.get("CONTRACT_ISSUE_ON", "first_payment")
if CONTRACT_ISSUE_ON not in {"first_payment", "purchase"}:
    raise ImproperlyConfigured("CONTRACT_ISSUE_ON must be 'first_payment' or 'purchase'")
# Reminders before a term ends, to the customer and to SysOps: days before expiry.
CONTRACT_EXPIRY_REMINDER_DAYS = [
    int(days) for days in env_list("CONTRACT_EXPIRY_REMINDER_DAYS", "60,30,7")
]
# At the end of a term, a contract whose subscription still bills renews itself.
CONTRACT_AUTO_RENEW = env_bool("CONTRACT_AUTO_RENEW", True)
CONTRACT_PROVIDER_NAME = os.environ.get("CONTRACT_PROVIDER_NAME", "Onboarding Support Ltd")
# The provider's address on every contract, lines separated by "|".
CONTRACT_PROVIDER_ADDRESS = os.environ.get(
    "CONTRACT_PROVIDER_ADDRESS", "1 Service Street|Dublin D02 X285|Ireland"
)

# --- Outbox relay --------------------------------------------------------------------------
OUTBOX_MAX_ATTEMPTS = env_int("OUTBOX_MAX_ATTEMPTS", 8)
OUTBOX_RETRY_BASE_SECONDS = env_int("OUTBOX_RETRY_BASE_SECONDS", 5)
OUTBOX_RETRY_MAX_SECONDS = env_int("OUTBOX_RETRY_MAX_SECONDS", 3600)
OUTBOX_BATCH_SIZE = env_int("OUTBOX_BATCH_SIZE", 50)
OUTBOX_LEASE_SECONDS = env_int("OUTBOX_LEASE_SECONDS", 120)
# Delivered first within each relay batch: the real-time risk queue does not wait behind emails.
OUTBOX_URGENT_TOPICS = ["risk.raised"]
# Run by the relay before each pass (run_relay): due timers write outbox rows it then delivers.
RELAY_TICKS = ["onboarding.acceptance.timers.timers_fire_due"]

# --- Acceptance and risk (docs/acceptance.md, docs/events.md) -------------------------------
# How long an acknowledgement may wait: SysOps for a green acceptance (a soft failure after),
# a manager for yellow and red (a risk event after); red must be the shortest.
ACCEPTANCE_GREEN_ACK_SECONDS = env_int("ACCEPTANCE_GREEN_ACK_SECONDS", 24 * 3600)
ACCEPTANCE_YELLOW_ACK_SECONDS = env_int("ACCEPTANCE_YELLOW_ACK_SECONDS", 8 * 3600)
ACCEPTANCE_RED_ACK_SECONDS = env_int("ACCEPTANCE_RED_ACK_SECONDS", 3600)
if not 0 <= ACCEPTANCE_RED_ACK_SECONDS <= ACCEPTANCE_YELLOW_ACK_SECONDS:
    raise ImproperlyConfigured("ACCEPTANCE_RED_ACK_SECONDS must be between 0 and the yellow one")
# An active contract with no requirements captured (and rated) this long is a risk event.
ACCEPTANCE_REQUIREMENTS_DUE_SECONDS = env_int("ACCEPTANCE_REQUIREMENTS_DUE_SECONDS", 2 * 86400)
# The Redis Stream risk events are published to (with REDIS_URL), its approximate length cap,
# how long a published event id is remembered (so a redelivery is not added twice).
RISK_STREAM = os.environ.get("RISK_STREAM", "onboarding:risk-events")
RISK_STREAM_MAXLEN = env_int("RISK_STREAM_MAXLEN", 1_000_000)
RISK_PUBLISHED_MARKER_TTL_SECONDS = env_int("RISK_PUBLISHED_MARKER_TTL_SECONDS", 30 * 86400)
RISK_REDIS_TIMEOUT_SECONDS = env_int("RISK_REDIS_TIMEOUT_SECONDS", 2)
# An entry a consumer read and left unacknowledged this long (it died) is claimed by another.
RISK_STREAM_CLAIM_IDLE_SECONDS = env_int("RISK_STREAM_CLAIM_IDLE_SECONDS", 60)
if RISK_STREAM_CLAIM_IDLE_SECONDS < 0:
    raise ImproperlyConfigured("RISK_STREAM_CLAIM_IDLE_SECONDS must be 0 or more")
# The live risk board: how often its event stream looks for new events, and how long one
# connection lasts before the browser reconnects (a worker is not held forever).
RISK_BOARD_POLL_SECONDS = float(os.environ.get("RISK_BOARD_POLL_SECONDS", "0.5"))
RISK_BOARD_STREAM_SECONDS = env_int("RISK_BOARD_STREAM_SECONDS", 30)
# How far back each poll of the board's stream looks for risks that committed late.
RISK_BOARD_LOOKBACK_SECONDS = env_int("RISK_BOARD_LOOKBACK_SECONDS", 30)
# A comment line on an open board's stream this often, so proxies keep the connection open.
RISK_BOARD_KEEPALIVE_SECONDS = env_int("RISK_BOARD_KEEPALIVE_SECONDS", 15)

# --- Admin alerts --------------------------------------------------------------------------
# The same reason on the same object within this window is one alert with a count.
ALERT_DEDUPE_WINDOW = timedelta(minutes=env_int("ALERT_DEDUPE_WINDOW_MINUTES", 60))

# --- Audit ---------------------------------------------------------------------------------
AUDIT_SEAL_BATCH_SIZE = env_int("AUDIT_SEAL_BATCH_SIZE", 1000)

# --- Static files --------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise expects it even before collectstatic
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(VAR_DIR / "media")},
    },
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Pages name static files by their hashed names only ({% static %} reads the manifest), so
# collectstatic keeps and compresses only those; source maps are fetched by developer tools
# alone and are not worth compressing. Both halve the time collectstatic spends compressing.
WHITENOISE_KEEP_ONLY_HASHED_FILES = True
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = [*Compressor.SKIP_COMPRESS_EXTENSIONS, "map"]

# English, German and French (docs/i18n.md): the catalogues live in locale/, compiled at
# install time by `manage.py compile_catalogues`; English is the source language.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("de", "Deutsch"), ("fr", "Français")]
# The staff console (pages under /staff/ and the mail sent to staff) speaks fewer: each member of
# staff chooses one (User.staff_language).
STAFF_LANGUAGES = [("en", "English"), ("de", "Deutsch")]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "language"
LANGUAGE_COOKIE_SECURE = PRODUCTION
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
PHONENUMBER_DEFAULT_REGION = os.environ.get("PHONENUMBER_DEFAULT_REGION") or None
TIME_ZONE = "UTC"
# Dates are written one way everywhere ("3 December 2026"); the locale formats live there.
FORMAT_MODULE_PATH = ["config.formats"]
USE_I18N = True
USE_TZ = True

# --- Logging: one JSON object per line, each carrying the request id -------------------------
LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
LOGGING = logging_config(LOG_LEVEL)  # config/settings_parts/logging.py
