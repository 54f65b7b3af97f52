"""The one settings module. Everything comes from the environment (django-environ).

Two profiles, chosen by ``BAZAAR_PROFILE``:

* ``embedded`` (default): SQLite, local-memory cache, in-memory channel layer,
  in-process event dispatch, console e-mail and SMS. Needs no services at all.
* ``services``: PostgreSQL (psycopg 3), Redis (django-redis cache, channels-redis
  layer) and Celery over RabbitMQ (``amqp://``) or Kafka (``confluentkafka://``).

Each setting can still be overridden one by one; the profile only picks defaults.
See ``docs/configuration.md`` for the full reference.
"""

from __future__ import annotations

import contextlib
import secrets
from pathlib import Path
from typing import Any

import environ
from django.conf import global_settings

from bazaar_platform.observability.logging import build_logging_config

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

PROFILE: str = env.str("BAZAAR_PROFILE", default="embedded")
if PROFILE not in {"embedded", "services"}:
    raise environ.ImproperlyConfigured(
        f"BAZAAR_PROFILE must be embedded or services, not {PROFILE!r}"
    )
EMBEDDED = PROFILE == "embedded"

# Git-ignored folder for what the embedded default generates on first run
# (SQLite file, development secret key, development signing keys).
LOCAL_DIR = Path(env.str("BAZAAR_LOCAL_DIR", default=str(BASE_DIR / ".local")))


def _development_secret() -> str:
    LOCAL_DIR.mkdir(parents=True, exist_ok=True)
    path = LOCAL_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


DEBUG: bool = env.bool("DJANGO_DEBUG", default=EMBEDDED)
SECRET_KEY: str = env.str("DJANGO_SECRET_KEY", default="") or (
    _development_secret() if DEBUG else ""
)
if not SECRET_KEY:
    raise environ.ImproperlyConfigured("DJANGO_SECRET_KEY is required when DJANGO_DEBUG is off")
ALLOWED_HOSTS: list[str] = env.list(
    "DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"]
)
CSRF_TRUSTED_ORIGINS: list[str] = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL: str = env.str("BAZAAR_SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
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
    # platform layer
    "bazaar_platform.apps.PlatformConfig",
    "bazaar_platform.events.apps.EventsConfig",
    # bounded contexts
    "contexts.auth.apps.AuthContextConfig",
    "contexts.catalog.apps.CatalogConfig",
    "contexts.payments.apps.PaymentsConfig",
    "contexts.vendors.apps.VendorsConfig",
    "contexts.subscriptions.apps.SubscriptionsConfig",
    "contexts.notifications.apps.NotificationsConfig",
    "contexts.orders.apps.OrdersConfig",
    "contexts.ledger.apps.LedgerConfig",
    "contexts.reviews.apps.ReviewsConfig",
    "contexts.search.apps.SearchConfig",
]

MIDDLEWARE = [
    "bazaar_platform.observability.middleware.RequestContextMiddleware",
    "bazaar_platform.api.middleware.BodySizeLimitMiddleware",
    "bazaar_platform.observability.metrics.MetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
            ]
        },
    }
]

# --- data stores -------------------------------------------------------------
DATABASES = {
    "default": env.db_url(
        "DATABASE_URL",
        default=(
            f"sqlite:///{LOCAL_DIR / 'bazaar.sqlite3'}"
            if EMBEDDED
            else "postgres://postgres@127.0.0.1:5432/bazaar"
        ),
    )
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int(
    "DATABASE_CONN_MAX_AGE", default=0 if EMBEDDED else 60
)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    LOCAL_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL: str = env.str("REDIS_URL", default="" if EMBEDDED else "redis://127.0.0.1:6379/0")
CACHES: dict[str, dict[str, Any]] = (
    {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="bazaar"),
            "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient"},
        }
    }
    if REDIS_URL
    else {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
)
CHANNEL_LAYERS: dict[str, dict[str, Any]] = (
    {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": "bazaar:channels"},
        }
    }
    if REDIS_URL
    else {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
)

# --- events and Celery -------------------------------------------------------
# inprocess: handlers run right after commit in this process.
# celery:    one Celery task per subscribing handler, on that context's queue.
# broker:    the outbox relay publishes to RabbitMQ or Kafka; `manage.py consume_events`
#            runs each context's consumers.
EVENT_DISPATCH: str = env.str("EVENT_DISPATCH", default="inprocess")
EVENT_BROKER: str = env.str("EVENT_BROKER", default="rabbitmq")
EVENT_BROKER_URL: str = env.str(
    "EVENT_BROKER_URL",
    default="amqp://guest:guest@127.0.0.1:5672//"
    if EVENT_BROKER == "rabbitmq"
    else "127.0.0.1:9092",
)
EVENT_MAX_ATTEMPTS: int = env.int("EVENT_MAX_ATTEMPTS", default=5)
EVENT_RETRY_BACKOFF_SECONDS: float = env.float("EVENT_RETRY_BACKOFF_SECONDS", default=2.0)

CELERY_BROKER_URL: str = env.str(
    "CELERY_BROKER_URL", default="memory://" if EMBEDDED else "amqp://guest:guest@127.0.0.1:5672//"
)
CELERY_RESULT_BACKEND: str | None = env.str("CELERY_RESULT_BACKEND", default="") or None
CELERY_TASK_ALWAYS_EAGER: bool = env.bool("CELERY_TASK_ALWAYS_EAGER", default=EMBEDDED)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 4
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, Any] = {}
CELERY_BEAT_SCHEDULE: dict[str, dict[str, Any]] = {}

# --- e-mail and SMS ----------------------------------------------------------
_email = env.email_url("EMAIL_URL", default="consolemail://")
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email.get("EMAIL_HOST", "localhost")
EMAIL_PORT = _email.get("EMAIL_PORT", 25)
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL: str = env.str("DEFAULT_FROM_EMAIL", default="Bazaar <no-reply@bazaar.local>")
SMS_BACKEND: str = env.str("SMS_BACKEND", default="console")

# --- authentication ----------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- API ---------------------------------------------------------------------
# Seconds a search response stays cached (per request and read-model revision); 0: off.
SEARCH_RESPONSE_CACHE_SECONDS: int = env.int("SEARCH_RESPONSE_CACHE_SECONDS", default=60)
API_MAX_PAGE_SIZE: int = env.int("API_MAX_PAGE_SIZE", default=100)
API_DEFAULT_PAGE_SIZE: int = env.int("API_DEFAULT_PAGE_SIZE", default=20)
# Request bodies above this are refused with 413 before anything reads them.
API_MAX_BODY_BYTES: int = env.int("API_MAX_BODY_BYTES", default=2 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = API_MAX_BODY_BYTES

REST_FRAMEWORK: dict[str, Any] = {
    "DEFAULT_RENDERER_CLASSES": ["bazaar_platform.api.renderers.EnvelopeJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Access tokens verified locally (no call to the auth context); sessions for the admin.
        "bazaar_platform.tokens.drf.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_PAGINATION_CLASS": "bazaar_platform.api.pagination.LimitOffsetPagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "bazaar_platform.api.schema.EnvelopeAutoSchema",
    "EXCEPTION_HANDLER": "bazaar_platform.api.errors.exception_handler",
    "PAGE_SIZE": API_DEFAULT_PAGE_SIZE,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS: dict[str, Any] = {
    "TITLE": "Bazaar API",
    "DESCRIPTION": (
        "Multi-vendor marketplace API. Every response is wrapped in the Bazaar envelope "
        "(`data`, `meta`, `error`); errors carry a machine-readable `code`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1/",
    # Swagger UI and ReDoc assets served from our own static files, not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- observability -----------------------------------------------------------
LOG_FORMAT: str = env.str("LOG_FORMAT", default="console" if EMBEDDED else "json")
LOG_LEVEL: str = env.str("LOG_LEVEL", default="INFO")
OTEL_EXPORTER_OTLP_ENDPOINT: str = env.str("OTEL_EXPORTER_OTLP_ENDPOINT", default="")
OTEL_SERVICE_NAME: str = env.str("OTEL_SERVICE_NAME", default="bazaar")
# /metrics answers to staff sessions, or to `Authorization: Bearer <METRICS_TOKEN>`.
METRICS_TOKEN: str = env.str("METRICS_TOKEN", default="")
LOGGING_CONFIG = "logging.config.dictConfig"
LOGGING: dict[str, Any] = build_logging_config(LOG_FORMAT, LOG_LEVEL)

# --- i18n, static ------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fr", "Français"), ("de", "Deutsch")]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(LOCAL_DIR / "static")))
with contextlib.suppress(OSError):  # whitenoise warns on every request when it is missing
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(LOCAL_DIR / "media")))
WHITENOISE_USE_FINDERS = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- production hardening (passes `manage.py check --deploy`) ----------------
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"
    X_FRAME_OPTIONS = "DENY"
    SESSION_COOKIE_HTTPONLY = True


# === Auth (contexts/auth, bazaar_platform.tokens) =============================
# Access tokens: RS256 JWTs (RFC 9068 shape) signed by the auth context, verified
# locally by every context. See contexts/auth/README.md for the key store design.
AUTH_ACCESS_TOKEN_TTL_SECONDS: int = env.int("AUTH_ACCESS_TOKEN_TTL_SECONDS", default=300)
AUTH_REFRESH_TOKEN_TTL_SECONDS: int = env.int("AUTH_REFRESH_TOKEN_TTL_SECONDS", default=14 * 86400)
AUTH_SESSION_MAX_AGE_SECONDS: int = env.int("AUTH_SESSION_MAX_AGE_SECONDS", default=60 * 86400)
AUTH_TOKEN_AUDIENCE: str = env.str("AUTH_TOKEN_AUDIENCE", default="bazaar-api")
AUTH_TOKEN_CLIENT_ID: str = env.str("AUTH_TOKEN_CLIENT_ID", default="bazaar-first-party")
AUTH_FIRST_PARTY_SCOPES: str = env.str("AUTH_FIRST_PARTY_SCOPES", default="read write")
AUTH_TOKEN_LEEWAY_SECONDS: int = env.int("AUTH_TOKEN_LEEWAY_SECONDS", default=30)
AUTH_SIGNING_ALGORITHM = "RS256"  # what django-oauth-toolkit OIDC signs with: keys can be shared
AUTH_SIGNING_KEY_BITS: int = env.int("AUTH_SIGNING_KEY_BITS", default=2048)
# The first signing key comes from the environment (PEM text) or a key file; never
# from the repository. The embedded default generates a development key into
# LOCAL_DIR on first run. Keys created by rotation live in the SigningKey table,
# encrypted with AUTH_KEY_ENCRYPTION_KEYS (Fernet keys, first one encrypts) or, when
# that is empty, with a key derived from SECRET_KEY (and SECRET_KEY_FALLBACKS).
AUTH_SIGNING_KEY_PEM: str = env.str("AUTH_SIGNING_KEY_PEM", default="", multiline=True)
AUTH_SIGNING_KEY_FILE: str = env.str(
    "AUTH_SIGNING_KEY_FILE", default=str(LOCAL_DIR / "jwt_signing_key.pem") if DEBUG else ""
)
AUTH_SIGNING_KEY_GENERATE_FILE: bool = env.bool("AUTH_SIGNING_KEY_GENERATE_FILE", default=DEBUG)
AUTH_KEY_ENCRYPTION_KEYS: list[str] = env.list("AUTH_KEY_ENCRYPTION_KEYS", default=[])
AUTH_SIGNING_KEY_ROTATION_DAYS: int = env.int("AUTH_SIGNING_KEY_ROTATION_DAYS", default=30)
# Login throttling (shared by all processes through the cache, i.e. Redis).
AUTH_LOGIN_MAX_FAILURES_PER_ACCOUNT: int = env.int("AUTH_LOGIN_MAX_FAILURES_PER_ACCOUNT", default=5)
AUTH_LOGIN_MAX_FAILURES_PER_IP: int = env.int("AUTH_LOGIN_MAX_FAILURES_PER_IP", default=30)
AUTH_LOGIN_FAILURE_WINDOW_SECONDS: int = env.int("AUTH_LOGIN_FAILURE_WINDOW_SECONDS", default=900)
# A request header (META name, e.g. HTTP_X_REAL_IP) set by a trusted proxy; empty = REMOTE_ADDR.
AUTH_CLIENT_IP_META: str = env.str("AUTH_CLIENT_IP_META", default="")
AUTH_EMAIL_VERIFICATION_MAX_AGE_SECONDS: int = env.int(
    "AUTH_EMAIL_VERIFICATION_MAX_AGE_SECONDS", default=3 * 86400
)
PASSWORD_RESET_TIMEOUT: int = env.int("PASSWORD_RESET_TIMEOUT", default=3600)
# Where the e-mailed links point (the web front end); {token} is replaced.
AUTH_EMAIL_VERIFY_URL: str = env.str(
    "AUTH_EMAIL_VERIFY_URL", default=f"{SITE_URL}/verify-email?token={{token}}"
)
AUTH_PASSWORD_RESET_URL: str = env.str(
    "AUTH_PASSWORD_RESET_URL", default=f"{SITE_URL}/reset-password?token={{token}}"
)
# Social login: a provider is offered when its client id is set.
AUTH_SOCIAL_STATE_TTL_SECONDS = 600
AUTH_SOCIAL_PROVIDERS: dict[str, dict[str, str]] = {
    "github": {
        "CLIENT_ID": env.str("GITHUB_CLIENT_ID", default=""),
        "CLIENT_SECRET": env.str("GITHUB_CLIENT_SECRET", default=""),
        "AUTHORIZE_URL": env.str(
            "GITHUB_AUTHORIZE_URL", default="https://github.com/login/oauth/authorize"
        ),
        "TOKEN_URL": env.str(
            "GITHUB_TOKEN_URL", default="https://github.com/login/oauth/access_token"
        ),
        "API_URL": env.str("GITHUB_API_URL", default="https://api.github.com"),
    },
    "google": {
        "CLIENT_ID": env.str("GOOGLE_CLIENT_ID", default=""),
        "CLIENT_SECRET": env.str("GOOGLE_CLIENT_SECRET", default=""),
        "AUTHORIZE_URL": env.str(
            "GOOGLE_AUTHORIZE_URL", default="https://accounts.google.com/o/oauth2/v2/auth"
        ),
        "TOKEN_URL": env.str("GOOGLE_TOKEN_URL", default="https://oauth2.googleapis.com/token"),
        "USERINFO_URL": env.str(
            "GOOGLE_USERINFO_URL", default="https://openidconnect.googleapis.com/v1/userinfo"
        ),
    },
}
# The platform's token verifier and status guards. The platform imports no context:
# the key set and the account-status loader are named here.
BAZAAR_TOKENS: dict[str, Any] = {
    "ISSUER": SITE_URL,
    "AUDIENCE": AUTH_TOKEN_AUDIENCE,
    "ALGORITHMS": [AUTH_SIGNING_ALGORITHM],
    "LEEWAY_SECONDS": AUTH_TOKEN_LEEWAY_SECONDS,
    # In the monolith the key set is read in-process; an extracted context sets
    # BAZAAR_JWKS_URL=<site>/.well-known/jwks.json instead.
    "JWKS_SOURCE": env.str("BAZAAR_JWKS_SOURCE", default="contexts.auth.facade.jwks_document"),
    "JWKS_URL": env.str("BAZAAR_JWKS_URL", default=""),
    "JWKS_CACHE_TTL": env.int("BAZAAR_JWKS_CACHE_TTL", default=300),
    "STATUS_LOADER": "contexts.auth.facade.user_status_for_guard",
    "STATUS_MEMORY_TTL": env.int("BAZAAR_STATUS_MEMORY_TTL", default=60),
    "STATUS_SHARED_TTL": env.int("BAZAAR_STATUS_SHARED_TTL", default=900),
    "REDIS_URL": REDIS_URL,
}
CELERY_BEAT_SCHEDULE["auth-rotate-signing-key-if-due"] = {
    "task": "auth.rotate_signing_key_if_due",
    "schedule": 6 * 3600.0,  # checked 4x a day; rotates once the key is older than the period
}


# === OAuth 2.0 / OpenID Connect provider (contexts/auth, django-oauth-toolkit) ======
# Third-party applications get the same RS256 `at+jwt` access tokens as our own log-in
# (signed by the rotating key store, verified offline by bazaar_platform.tokens), and
# OIDC ID tokens signed with the same key. The issuer of both is SITE_URL. Every
# RFC 9700 gate of django-oauth-toolkit is on; see contexts/auth/README.md ("OAuth").
INSTALLED_APPS += ["oauth2_provider"]
# The toolkit's models live in the auth context (app label "accounts"): the context
# owns OAuth apps, grants and tokens, and access tokens keep their jti for revocation.
OAUTH2_PROVIDER_APPLICATION_MODEL = "accounts.OAuthApplication"
OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL = "accounts.OAuthAccessToken"  # noqa: S105 - a model name
OAUTH2_PROVIDER_REFRESH_TOKEN_MODEL = "accounts.OAuthRefreshToken"  # noqa: S105
OAUTH2_PROVIDER_ID_TOKEN_MODEL = "accounts.OAuthIDToken"  # noqa: S105
OAUTH2_PROVIDER_GRANT_MODEL = "accounts.OAuthGrant"
LOGIN_URL = "oauth2_provider:login"  # where /o/authorize/ sends a browser without a session
OAUTH_AUTHORIZATION_CODE_TTL_SECONDS: int = env.int(
    "OAUTH_AUTHORIZATION_CODE_TTL_SECONDS", default=60
)
OAUTH_REFRESH_TOKEN_TTL_SECONDS: int = env.int(
    "OAUTH_REFRESH_TOKEN_TTL_SECONDS", default=30 * 86400
)
OAUTH_ID_TOKEN_TTL_SECONDS: int = env.int("OAUTH_ID_TOKEN_TTL_SECONDS", default=600)
# A spent authorization code is kept this long so a replay still finds, and revokes,
# the tokens issued from it (RFC 6749 §4.1.2, RFC 9700 §4.5).
OAUTH_CODE_REPLAY_WINDOW_SECONDS = 86400
OAUTH2_PROVIDER: dict[str, Any] = {
    "OIDC_ENABLED": True,
    "OIDC_ISS_ENDPOINT": SITE_URL,  # the one issuer (the code reads SITE_URL at call time)
    "OIDC_RESPONSE_TYPES_SUPPORTED": ["code"],
    "OIDC_SUBJECT_TYPES_SUPPORTED": ["public"],
    "OIDC_TOKEN_ENDPOINT_AUTH_METHODS_SUPPORTED": [
        "client_secret_basic",
        "client_secret_post",
        "none",  # public clients (PKCE, no secret)
    ],
    "OAUTH2_RESPONSE_TYPES_SUPPORTED": ["code"],
    "OAUTH2_TOKEN_ENDPOINT_AUTH_METHODS_SUPPORTED": [
        "client_secret_basic",
        "client_secret_post",
        "none",
    ],
    "OAUTH2_GRANT_TYPES_SUPPORTED": ["authorization_code", "refresh_token", "client_credentials"],
    "OAUTH2_SERVER_CLASS": "contexts.auth.services.oauth.server.BazaarOAuthServer",
    "OAUTH2_VALIDATOR_CLASS": "contexts.auth.services.oauth.validator.BazaarOAuth2Validator",
    # The published scope catalogue (contexts/auth/services/oauth/scopes.py) replaces
    # the toolkit's SCOPES / DEFAULT_SCOPES settings.
    "SCOPES_BACKEND_CLASS": "contexts.auth.services.oauth.scopes.CatalogueScopes",
    # Access tokens are our RS256 at+jwt (RFC 9068); refresh tokens stay opaque random
    # strings (without this the toolkit would mint JWTs as refresh tokens too).
    "ACCESS_TOKEN_GENERATOR": "contexts.auth.services.oauth.tokens.access_token_generate",
    "REFRESH_TOKEN_GENERATOR": "oauthlib.oauth2.rfc6749.tokens.random_token_generator",
    "ACCESS_TOKEN_EXPIRE_SECONDS": AUTH_ACCESS_TOKEN_TTL_SECONDS,
    "ID_TOKEN_EXPIRE_SECONDS": OAUTH_ID_TOKEN_TTL_SECONDS,
    "REFRESH_TOKEN_EXPIRE_SECONDS": OAUTH_REFRESH_TOKEN_TTL_SECONDS,
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": OAUTH_AUTHORIZATION_CODE_TTL_SECONDS,
    "ROTATE_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,  # a replayed refresh token revokes its family
    "REFRESH_TOKEN_GRACE_PERIOD_SECONDS": 0,
    "PKCE_REQUIRED": True,  # every client, public or confidential; S256 only (server.py)
    # https only; loopback http for native apps/development is allowed per application
    # (OAuthApplication.get_allowed_schemes/clean), not globally.
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
    "ALLOW_URI_WILDCARDS": False,
    "REQUEST_APPROVAL_PROMPT": "force",  # remembered consent is ours (OAuthConsent)
    # Secrets are stored hashed (hash_client_secret=True), with a salted SHA-256 rather
    # than the password KDF: they are 128 random characters (services/oauth/hashers.py).
    "CLIENT_SECRET_HASHER": "bazaar_client_secret_sha256",
    "APPLICATION_ADMIN_CLASS": "contexts.auth.admin.OAuthApplicationAdmin",
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,  # only SHA-256 checksums at rest
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_SCHEME": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_MATCHING": True,
    "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": True,
}
BAZAAR_TOKENS["FIRST_PARTY_CLIENT_IDS"] = [AUTH_TOKEN_CLIENT_ID]
CELERY_BEAT_SCHEDULE["auth-oauth-clear-expired"] = {
    "task": "auth.oauth_clear_expired",
    "schedule": 24 * 3600.0,
}
# Django's password hashers, then the client-secret one (never used for passwords: only
# the first entry hashes new passwords).
PASSWORD_HASHERS = [
    *global_settings.PASSWORD_HASHERS,
    "contexts.auth.services.oauth.hashers.ClientSecretHasher",
]

# --- catalogue (contexts/catalog) ---------------------------------------------
# Product image uploads: bytes accepted (an HTTP upload is also bound by
# API_MAX_BODY_BYTES), pixels accepted (decompression bombs), thumbnail bounding box.
CATALOG_IMAGE_MAX_BYTES: int = env.int("CATALOG_IMAGE_MAX_BYTES", default=2 * 1024 * 1024)
CATALOG_IMAGE_MAX_PIXELS: int = env.int("CATALOG_IMAGE_MAX_PIXELS", default=40_000_000)
CATALOG_THUMBNAIL_SIZE: int = env.int("CATALOG_THUMBNAIL_SIZE", default=400)
# Currency of the prices shown in the product list and of sort=price when the request
# names none (offers in other currencies are not converted).
CATALOG_DEFAULT_CURRENCY: str = env.str("CATALOG_DEFAULT_CURRENCY", default="EUR")
# Browsing responses (category tree, brands, product list and detail) are cached in the
# shared cache until any catalogue change; this bounds an entry's life (0: no cache).
CATALOG_RESPONSE_CACHE_SECONDS: int = env.int("CATALOG_RESPONSE_CACHE_SECONDS", default=300)


# === Payments (contexts/payments) ============================================
# Which gateway new payment links go to: "sandbox" (built in: a hosted test page that
# sends signed webhooks back to us) or "stripe" (Checkout Sessions through the
# official SDK). Webhooks are accepted at /api/v1/payments/webhooks/<gateway> for
# every gateway that is enabled (sandbox: PAYMENTS_SANDBOX_ENABLED; stripe: keys set).
PAYMENTS_GATEWAY: str = env.str("PAYMENTS_GATEWAY", default="sandbox")
if PAYMENTS_GATEWAY not in {"sandbox", "stripe"}:
    raise environ.ImproperlyConfigured(
        f"PAYMENTS_GATEWAY must be sandbox or stripe, not {PAYMENTS_GATEWAY!r}"
    )
PAYMENTS_SANDBOX_ENABLED: bool = env.bool(
    "PAYMENTS_SANDBOX_ENABLED", default=PAYMENTS_GATEWAY == "sandbox"
)
# Empty: the sandbox gateway generates its signing secret on first use (stored in its
# SandboxAccount row, shared by every process through the database).
PAYMENTS_SANDBOX_WEBHOOK_SECRET: str = env.str("PAYMENTS_SANDBOX_WEBHOOK_SECRET", default="")
# Where the sandbox delivers its webhooks; empty = <SITE_URL>/api/v1/payments/webhooks/sandbox.
PAYMENTS_SANDBOX_WEBHOOK_URL: str = env.str("PAYMENTS_SANDBOX_WEBHOOK_URL", default="")
PAYMENTS_WEBHOOK_TOLERANCE_SECONDS: int = env.int("PAYMENTS_WEBHOOK_TOLERANCE_SECONDS", default=300)
# Upper bound on one payment, in minor units of any currency (a typo guard, not a limit
# of the business): 10^10 is 100 million in a 2-decimal currency.
PAYMENTS_MAX_AMOUNT_MINOR: int = env.int("PAYMENTS_MAX_AMOUNT_MINOR", default=10_000_000_000)
PAYMENTS_GATEWAY_TIMEOUT_SECONDS: float = env.float(
    "PAYMENTS_GATEWAY_TIMEOUT_SECONDS", default=10.0
)
STRIPE_SECRET_KEY: str = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET: str = env.str("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_API_BASE: str = env.str("STRIPE_API_BASE", default="https://api.stripe.com")
STRIPE_MAX_NETWORK_RETRIES: int = env.int("STRIPE_MAX_NETWORK_RETRIES", default=2)
if PAYMENTS_GATEWAY == "stripe" and not (STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET):
    raise environ.ImproperlyConfigured(
        "PAYMENTS_GATEWAY=stripe needs STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET"
    )


# === Vendors and subscriptions (contexts/vendors, contexts/subscriptions) ======
# Vendor API rate limits come from the plan (requests per minute, a sliding window
# in Redis shared by every process; in process memory without REDIS_URL).
RATE_LIMIT_REDIS_URL: str = env.str("RATE_LIMIT_REDIS_URL", default="")  # empty: REDIS_URL
RATE_LIMIT_KEY_PREFIX: str = env.str("RATE_LIMIT_KEY_PREFIX", default="bazaar:rl")
# When Redis does not answer: serve the request (true) or answer 503 (false).
VENDORS_RATE_LIMIT_FAIL_OPEN: bool = env.bool("VENDORS_RATE_LIMIT_FAIL_OPEN", default=True)
VENDORS_PLAN_LIMITS_CACHE_SECONDS: int = env.int("VENDORS_PLAN_LIMITS_CACHE_SECONDS", default=60)
# Anonymous vendor registrations per client IP per minute.
VENDORS_REGISTER_RATE_PER_MINUTE: int = env.int("VENDORS_REGISTER_RATE_PER_MINUTE", default=10)
VENDORS_ONBOARDING_LEASE_SECONDS: int = env.int("VENDORS_ONBOARDING_LEASE_SECONDS", default=120)
VENDORS_LOGO_MAX_BYTES: int = env.int("VENDORS_LOGO_MAX_BYTES", default=512 * 1024)
VENDORS_LOGO_MAX_PIXELS: int = env.int("VENDORS_LOGO_MAX_PIXELS", default=4096 * 4096)
# Stock held for a pending checkout is released after this long unless committed.
VENDORS_RESERVATION_TTL_SECONDS: int = env.int("VENDORS_RESERVATION_TTL_SECONDS", default=900)
VENDORS_RESERVATION_EXPIRY_RUN_SECONDS: float = env.float(
    "VENDORS_RESERVATION_EXPIRY_RUN_SECONDS", default=60.0
)
VENDORS_STOCK_IMPORT_MAX_BYTES: int = env.int("VENDORS_STOCK_IMPORT_MAX_BYTES", default=1024 * 1024)
VENDORS_STOCK_IMPORT_MAX_ROWS: int = env.int("VENDORS_STOCK_IMPORT_MAX_ROWS", default=5000)
SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {}).update(
    {
        "VendorMemberRoleEnum": "contexts.vendors.models.MemberRole",
        "VendorStaffRoleEnum": [("manager", "Manager"), ("staff", "Staff")],
        "ListingStatusEnum": "contexts.vendors.models.ListingStatus",
        "ListingConditionEnum": "contexts.vendors.models.ListingCondition",
        "SubscriptionChargeKindEnum": "contexts.subscriptions.models.ChargeKind",
        # the catalogue's attribute kinds share the field name "kind": name both
        "AttributeKindEnum": "contexts.catalog.models.Attribute.Kind",
    }
)
BAZAAR_VENDOR_ADMIN: dict[str, str] = {
    "MEMBERSHIP_RESOLVER": "contexts.vendors.facade.vendor_membership_for_user",
}
SUBSCRIPTIONS_DEFAULT_PLAN: str = env.str("SUBSCRIPTIONS_DEFAULT_PLAN", default="free")
SUBSCRIPTIONS_GRACE_DAYS: int = env.int("SUBSCRIPTIONS_GRACE_DAYS", default=7)
SUBSCRIPTIONS_RENEWAL_LEAD_DAYS: int = env.int("SUBSCRIPTIONS_RENEWAL_LEAD_DAYS", default=3)
SUBSCRIPTIONS_PENDING_PAYMENT_TTL_DAYS: int = env.int(
    "SUBSCRIPTIONS_PENDING_PAYMENT_TTL_DAYS", default=14
)
SUBSCRIPTIONS_BILLING_RUN_SECONDS: float = env.float(
    "SUBSCRIPTIONS_BILLING_RUN_SECONDS", default=900.0
)
SUBSCRIPTIONS_CHECKOUT_SUCCESS_URL: str = env.str(
    "SUBSCRIPTIONS_CHECKOUT_SUCCESS_URL", default=f"{SITE_URL}/vendor/billing/paid"
)
SUBSCRIPTIONS_CHECKOUT_CANCEL_URL: str = env.str(
    "SUBSCRIPTIONS_CHECKOUT_CANCEL_URL", default=f"{SITE_URL}/vendor/billing/cancelled"
)
CELERY_BEAT_SCHEDULE["subscriptions-billing-run"] = {
    "task": "subscriptions.billing_run",
    "schedule": SUBSCRIPTIONS_BILLING_RUN_SECONDS,
}
CELERY_BEAT_SCHEDULE["vendors-onboarding-stale-leases"] = {
    "task": "vendors.onboarding_stale_leases_release",
    "schedule": 300.0,
}
CELERY_BEAT_SCHEDULE["vendors-reservations-expire"] = {
    "task": "vendors.reservations_expire",
    "schedule": VENDORS_RESERVATION_EXPIRY_RUN_SECONDS,
}

# --- Orders ----------------------------------------------------------------------
# How long checkout holds the stock while the customer pays: the stock reservation's
# TTL and the order's payment deadline. Past it the order is cancelled (by the vendors
# context's expiry event, and by the orders beat task below as a second line).
ORDERS_PAYMENT_TTL_SECONDS: int = env.int("ORDERS_PAYMENT_TTL_SECONDS", default=900)
ORDERS_EXPIRY_RUN_SECONDS: float = env.float("ORDERS_EXPIRY_RUN_SECONDS", default=60.0)
ORDERS_CART_TOKEN_MAX_AGE_SECONDS: int = env.int(
    "ORDERS_CART_TOKEN_MAX_AGE_SECONDS", default=30 * 86400
)
ORDERS_MAX_LINE_QUANTITY: int = env.int("ORDERS_MAX_LINE_QUANTITY", default=99)
ORDERS_MAX_CART_LINES: int = env.int("ORDERS_MAX_CART_LINES", default=50)
ORDERS_PAYMENT_SUCCESS_URL: str = env.str(
    "ORDERS_PAYMENT_SUCCESS_URL", default=f"{SITE_URL}/orders/paid"
)
ORDERS_PAYMENT_CANCEL_URL: str = env.str(
    "ORDERS_PAYMENT_CANCEL_URL", default=f"{SITE_URL}/orders/cancelled"
)
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update(
    {
        "OrderStatusEnum": "contexts.orders.models.OrderStatus",
        "VendorOrderStatusEnum": "contexts.orders.models.VendorOrderStatus",
        "ReturnStatusEnum": "contexts.orders.models.ReturnStatus",
    }
)
CELERY_BEAT_SCHEDULE["orders-expire-unpaid"] = {
    "task": "orders.expire_unpaid",
    "schedule": ORDERS_EXPIRY_RUN_SECONDS,
}
CELERY_BEAT_SCHEDULE["orders-refunds-retry"] = {
    "task": "orders.refunds_retry",
    "schedule": 300.0,
}

# --- Event platform ----------------------------------------------------------
from bazaar_platform.events import celery_config as _celery_events  # noqa: E402

# Namespace of every broker name the event platform owns: RabbitMQ exchange
# `<ns>.events` and queues `<ns>.events.<context>`, Kafka topics
# `<ns>.events.<producer>` and consumer groups `<ns>.events.<context>`. Two
# deployments (or two test runs) sharing a broker use different namespaces.
EVENT_NAMESPACE: str = env.str("EVENT_NAMESPACE", default="bazaar")
# Deliver right after commit from the committing process (the fast path). The
# relay (`manage.py relay_outbox`, or the beat task below) delivers whatever the
# fast path could not; with EVENT_DISPATCH=inprocess the fast path is what runs handlers.
EVENT_RELAY_INLINE: bool = env.bool("EVENT_RELAY_INLINE", default=True)
# When another sender holds an aggregate, the fast path waits at most this long for it.
EVENT_RELAY_INLINE_LOCK_WAIT_MS: int = env.int("EVENT_RELAY_INLINE_LOCK_WAIT_MS", default=1000)
# With the fast path on, the sweep takes only rows at least this old (it collects
# what the fast path could not deliver instead of racing it for every event).
EVENT_RELAY_INLINE_GRACE_SECONDS: float = env.float("EVENT_RELAY_INLINE_GRACE_SECONDS", default=2.0)
EVENT_RELAY_BATCH_SIZE: int = env.int("EVENT_RELAY_BATCH_SIZE", default=500)
# `relay_outbox` sleeps on LISTEN (PostgreSQL NOTIFY from publish) at most this long.
EVENT_RELAY_POLL_SECONDS: float = env.float("EVENT_RELAY_POLL_SECONDS", default=1.0)
EVENT_RELAY_NOTIFY_CHANNEL: str = env.str("EVENT_RELAY_NOTIFY_CHANNEL", default="bazaar_outbox")
# After a failed fast-path delivery, leave delivery to the relay for this long
# so requests do not each wait for a connect timeout while the broker is down.
EVENT_RELAY_INLINE_COOLDOWN_SECONDS: float = env.float(
    "EVENT_RELAY_INLINE_COOLDOWN_SECONDS", default=5.0
)
# `relay_outbox` backs off exponentially while the transport is down, up to this.
EVENT_RELAY_MAX_BACKOFF_SECONDS: float = env.float("EVENT_RELAY_MAX_BACKOFF_SECONDS", default=30.0)
EVENT_BROKER_CONNECT_TIMEOUT: float = env.float("EVENT_BROKER_CONNECT_TIMEOUT", default=3.0)
# A broker consumer applies the messages it already has in one transaction (one
# commit per batch); anything failing in a batch makes it fall back to one by one.
EVENT_CONSUMER_BATCH_SIZE: int = env.int("EVENT_CONSUMER_BATCH_SIZE", default=50)
# Twice the batch: the next batch is on its way while one is applied (with prefetch =
# batch, every batch waited for a broker round trip after its ack).
EVENT_RABBITMQ_PREFETCH: int = env.int("EVENT_RABBITMQ_PREFETCH", default=100)
# Quorum queues count redeliveries; past this the broker moves a message that keeps
# killing its consumer to the `<ns>.events.dead-letter` queue (via the DLX).
EVENT_RABBITMQ_DELIVERY_LIMIT: int = env.int("EVENT_RABBITMQ_DELIVERY_LIMIT", default=20)
EVENT_KAFKA_PARTITIONS: int = env.int("EVENT_KAFKA_PARTITIONS", default=3)
EVENT_KAFKA_SESSION_TIMEOUT_MS: int = env.int("EVENT_KAFKA_SESSION_TIMEOUT_MS", default=6000)
# How long a produce may wait for the broker before the relay counts it failed.
EVENT_KAFKA_DELIVERY_TIMEOUT_MS: int = env.int("EVENT_KAFKA_DELIVERY_TIMEOUT_MS", default=5000)
# How long a consumer's fetch may wait for data. Real Kafka answers as soon as data
# arrives; some Kafka-protocol brokers (Tansu) wait the full time, which is then the
# consumer's latency floor.
EVENT_KAFKA_FETCH_WAIT_MAX_MS: int = env.int("EVENT_KAFKA_FETCH_WAIT_MAX_MS", default=25)
EVENT_KAFKA_COMMIT_EVERY: int = env.int("EVENT_KAFKA_COMMIT_EVERY", default=100)

CELERY_BROKER_TRANSPORT: str | None = _celery_events.broker_transport(CELERY_BROKER_URL)
CELERY_BROKER_TRANSPORT_OPTIONS.update(
    _celery_events.broker_transport_options(
        CELERY_BROKER_URL,
        delivery_timeout_ms=EVENT_KAFKA_DELIVERY_TIMEOUT_MS,
        session_timeout_ms=EVENT_KAFKA_SESSION_TIMEOUT_MS,
        fetch_wait_max_ms=EVENT_KAFKA_FETCH_WAIT_MAX_MS,
        polling_interval=env.float("CELERY_KAFKA_POLLING_INTERVAL", default=0.05),
        wait_time_seconds=env.float("CELERY_KAFKA_WAIT_TIME_SECONDS", default=1.0),
    )
)
# Records malformed Celery queue messages in the event dead-letter store.
CELERY_WORKER_CONSUMER = "bazaar_platform.events.celery_hooks:Consumer"
if _celery_events.is_kafka_url(CELERY_BROKER_URL):
    # kombu's Kafka transport has no fanout exchange: no remote control, no events.
    CELERY_WORKER_ENABLE_REMOTE_CONTROL = False
    CELERY_WORKER_SEND_TASK_EVENTS = False
# Celery's Django fix-up otherwise closes the database connection before and after
# every task (a new connection per event handler task, ~10x its own cost).
CELERY_DB_REUSE_MAX: int = env.int("CELERY_DB_REUSE_MAX", default=1000)
CELERY_BEAT_SCHEDULE["bazaar.events.relay_outbox"] = {
    "task": "bazaar.events.relay_outbox",
    "schedule": env.float("EVENT_RELAY_BEAT_SECONDS", default=10.0),
    "options": {"expires": env.float("EVENT_RELAY_BEAT_SECONDS", default=10.0)},
}
# === Notifications (contexts/notifications) ===================================
# SMS_BACKEND (above) picks the SMS provider: "console" prints, "twilio" calls
# Twilio's Messages API with plain HTTP (base URL configurable for tests/proxies).
TWILIO_ACCOUNT_SID: str = env.str("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN: str = env.str("TWILIO_AUTH_TOKEN", default="")
TWILIO_FROM_NUMBER: str = env.str("TWILIO_FROM_NUMBER", default="")
TWILIO_API_BASE_URL: str = env.str("TWILIO_API_BASE_URL", default="https://api.twilio.com")
TWILIO_TIMEOUT_SECONDS: float = env.float("TWILIO_TIMEOUT_SECONDS", default=10.0)
# Delivery tasks: attempts per delivery, then the exponential backoff
# base * 2^(attempt-1) seconds, capped.
NOTIFICATIONS_MAX_ATTEMPTS: int = env.int("NOTIFICATIONS_MAX_ATTEMPTS", default=5)
NOTIFICATIONS_RETRY_BACKOFF_SECONDS: float = env.float(
    "NOTIFICATIONS_RETRY_BACKOFF_SECONDS", default=30.0
)
NOTIFICATIONS_RETRY_BACKOFF_MAX_SECONDS: float = env.float(
    "NOTIFICATIONS_RETRY_BACKOFF_MAX_SECONDS", default=3600.0
)
# Celery queue of the delivery tasks (the Compose worker consumes "default").
NOTIFICATIONS_TASK_QUEUE: str = env.str("NOTIFICATIONS_TASK_QUEUE", default="default")
# An SMS longer than this many segments (153 GSM-7 / 67 UCS-2 characters each) is refused.
NOTIFICATIONS_SMS_MAX_SEGMENTS: int = env.int("NOTIFICATIONS_SMS_MAX_SEGMENTS", default=6)
# Websocket frames from clients larger than this are refused (error frame, close 1009).
NOTIFICATIONS_WS_MAX_FRAME_BYTES: int = env.int("NOTIFICATIONS_WS_MAX_FRAME_BYTES", default=4096)
CELERY_BEAT_SCHEDULE["notifications-resend-stuck"] = {
    "task": "notifications.resend_stuck",
    "schedule": 300.0,  # pending deliveries whose task was lost are enqueued again
}
# Websockets: redis-py 8 made socket_timeout default to 5 s, which aborts
# channels-redis's blocking 5 s BZPOPMIN and kills an idle consumer (and its socket)
# every ~5 s (django/channels_redis#422). Reads on the layer's connections may take
# longer than the blocking pop; a dead connection still fails after this timeout.
if CHANNEL_LAYERS["default"]["BACKEND"] == "channels_redis.core.RedisChannelLayer":
    CHANNEL_LAYERS["default"]["CONFIG"]["hosts"] = [{"address": REDIS_URL, "socket_timeout": 15}]


# === Reviews (contexts/reviews) ===============================================
# Verified-only by default: a product, store or vendor review needs a delivered order
# line for it (asked of the orders facade). True lets anyone with an account review,
# the review is then shown without the "verified purchase" mark.
REVIEWS_ALLOW_UNVERIFIED: bool = env.bool("REVIEWS_ALLOW_UNVERIFIED", default=False)
# Automatic moderation: a review matching one of these words (whole word, any case)
# waits for staff instead of being published.
REVIEWS_BANNED_WORDS: list[str] = env.list(
    "REVIEWS_BANNED_WORDS",
    default=["scam", "idiot", "stupid", "bastard", "fuck", "shit", "viagra", "casino"],
)
# More reviews than this by one customer within 24 hours wait for staff.
REVIEWS_MAX_PER_DAY: int = env.int("REVIEWS_MAX_PER_DAY", default=5)
REVIEWS_PHOTO_MAX_BYTES: int = env.int("REVIEWS_PHOTO_MAX_BYTES", default=2 * 1024 * 1024)
REVIEWS_PHOTO_MAX_PIXELS: int = env.int("REVIEWS_PHOTO_MAX_PIXELS", default=40_000_000)
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update(
    {
        # reviews and orders both have "status" fields with their own choices: name each
        "ReviewStatusEnum": "contexts.reviews.models.ReviewStatus",
        "VendorOrderStatusEnum": "contexts.orders.models.VendorOrderStatus",
        "ReviewSubjectTypeEnum": "contexts.reviews.models.SubjectType",
        "ReviewReportReasonEnum": "contexts.reviews.models.ReportReason",
    }
)
