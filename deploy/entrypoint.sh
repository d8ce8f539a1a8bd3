#!/bin/sh
# The container's entrypoint: one image, one role per ECS service (its command).
#
#   web      migrate_tenants once per deploy (deploy/migrate_once.py), then gunicorn on
#            GUNICORN_BIND (127.0.0.1:8000: only the nginx container of the task reaches it)
#   nginx    render deploy/nginx/*.conf from the environment and run nginx in the foreground
#   live     uvicorn serving the live channel (WebSockets under /ws/, config.asgi) on
#            LIVE_HOST:LIVE_PORT (0.0.0.0:8001: the load balancer sends /ws/* to it)
#   worker   a Celery worker on CELERY_QUEUE
#   beat     Celery beat (exactly one per platform: the beat service runs one task)
#   migrate  only the migration step (a one-off ECS task, or by hand)
#   manage   python manage.py ... (e.g. `manage tenant_list`)
#   anything else is run as given (e.g. `sh`)
set -eu

APP_DIR="${APP_DIR:-$(cd "$(dirname "$0")/.." && pwd)}"
cd "$APP_DIR"

# On ECS the pieces arrive separately (the password from Secrets Manager): build the URLs
# the settings read, unless they were given whole.
if [ -z "${DATABASE_URL:-}" ] && [ -n "${DATABASE_HOST:-}" ]; then
    DATABASE_URL="$(python -c 'import os
from urllib.parse import quote
e = os.environ
print("postgres://%s:%s@%s:%s/%s?sslmode=%s" % (
    quote(e.get("DATABASE_USER", "oae"), safe=""), quote(e.get("DATABASE_PASSWORD", ""), safe=""),
    e["DATABASE_HOST"], e.get("DATABASE_PORT") or "5432", e.get("DATABASE_NAME") or "oae",
    e.get("DATABASE_SSLMODE") or "require"))')"
    export DATABASE_URL
fi
if [ -z "${REDIS_URL:-}" ] && [ -n "${REDIS_HOST:-}" ]; then
    # TLS (rediss) with the AUTH token; Celery insists on an explicit certificate policy.
    REDIS_URL="rediss://:${REDIS_AUTH_TOKEN:-}@${REDIS_HOST}:${REDIS_PORT:-6379}/0?ssl_cert_reqs=required"
    export REDIS_URL
fi

role="${1:-web}"
[ "$#" -gt 0 ] && shift

case "$role" in
    web)
        if [ "${OAE_MIGRATE_ON_START:-true}" = "true" ]; then
            python deploy/migrate_once.py
        fi
        exec gunicorn --config deploy/gunicorn.conf.py "$@"
        ;;
    nginx)
        conf="$(python deploy/nginx/render.py --out "${NGINX_RUN_DIR:-/tmp/oae-nginx}")"
        exec nginx -c "$conf" -g "daemon off;" "$@"
        ;;
    live)
        exec uvicorn config.asgi:application --app-dir platform \
            --host "${LIVE_HOST:-0.0.0.0}" --port "${LIVE_PORT:-8001}" \
            --ws websockets-sansio --lifespan off --no-access-log --proxy-headers \
            --forwarded-allow-ips "${FORWARDED_ALLOW_IPS:-127.0.0.1}" \
            --timeout-graceful-shutdown "${LIVE_GRACEFUL_SECONDS:-20}" "$@"
        ;;
    worker)
        exec celery -A config worker --loglevel "${LOG_LEVEL:-INFO}" \
            --queues "${CELERY_QUEUE:-oae}" --concurrency "${CELERY_CONCURRENCY:-2}" "$@"
        ;;
    beat)
        exec celery -A config beat --loglevel "${LOG_LEVEL:-INFO}" \
            --schedule "${CELERY_BEAT_SCHEDULE_FILE:-/tmp/celerybeat-schedule}" "$@"
        ;;
    migrate)
        exec python deploy/migrate_once.py "$@"
        ;;
    manage)
        exec python manage.py "$@"
        ;;
    *)
        exec "$role" "$@"
        ;;
esac
