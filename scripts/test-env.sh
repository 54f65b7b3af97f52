# Source this to run parts of the suite by hand with the same settings as `make test`
# (the Kafka-dependent tests also need BAZAAR_TEST_KAFKA_BOOTSTRAP; `make test` starts Tansu).
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export BAZAAR_PROFILE=services
export DATABASE_URL="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/bazaar}"
export REDIS_URL="${TEST_REDIS_URL:-redis://127.0.0.1:6379/1}"
export CELERY_BROKER_URL="${TEST_CELERY_BROKER_URL:-amqp://guest:guest@127.0.0.1:5672//}"
export EVENT_DISPATCH=inprocess
export DJANGO_SECRET_KEY="${DJANGO_SECRET_KEY:-test-only-secret-key-not-for-production-0123456789abcdef}"
export DJANGO_SECURE_SSL_REDIRECT=false
export PYTHONPATH="$ROOT:$ROOT/platform"
