# Sourced by `make run`: fills in the settings derived from ports, unless .env or the caller set them.
set -a
[ -f .env ] && . ./.env
set +a
export RASA_HOST="${RASA_HOST:-127.0.0.1}" RASA_PORT="${RASA_PORT:-5005}"
export ACTION_HOST="${ACTION_HOST:-127.0.0.1}" ACTION_PORT="${ACTION_PORT:-5055}"
export HANDOFF_HOST="${HANDOFF_HOST:-127.0.0.1}" HANDOFF_PORT="${HANDOFF_PORT:-8000}"
export ACTION_ENDPOINT_URL="${ACTION_ENDPOINT_URL:-http://$ACTION_HOST:$ACTION_PORT/webhook}"
export HANDOFF_API_URL="${HANDOFF_API_URL:-http://$HANDOFF_HOST:$HANDOFF_PORT}"
export RASA_URL="${RASA_URL:-http://$RASA_HOST:$RASA_PORT}"
export RASA_PUBLIC_URL="${RASA_PUBLIC_URL:-http://$RASA_HOST:$RASA_PORT}"
export HELP_SITE_URL="${HELP_SITE_URL:-http://$HANDOFF_HOST:$HANDOFF_PORT}"
# Browsers may call Rasa (the widget's socket.io and REST) only from the help site's origin.
export RASA_CORS_ORIGINS="${RASA_CORS_ORIGINS:-$(printf '%s' "$HELP_SITE_URL" | sed -E 's#^([a-z]+://[^/]+).*#\1#')}"
export TRACKER_DB_URL="${TRACKER_DB_URL:-sqlite:///var/rasa_tracker.db}"
export DATABASE_URL="${DATABASE_URL:-sqlite:///var/handoff.db}"
export RASA_TELEMETRY_ENABLED=false HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
