#!/usr/bin/env bash
# Entry point of the Open WebUI test image; mirrors backend/start.sh of the official image for what
# the roles rely on (PORT/HOST, the WEBUI_SECRET_KEY fallback file), then runs the PyPI CLI.
cd "$(dirname "${BASH_SOURCE[0]}")" || exit 1

PORT="${PORT:-8080}"
HOST="${HOST:-0.0.0.0}"

# Official behaviour: with neither WEBUI_SECRET_KEY nor WEBUI_JWT_SECRET_KEY set, a random key is
# generated into /app/backend/.webui_secret_key, i.e. OUTSIDE the data volume: a re-created
# container gets a new key (sessions/JWTs invalidated). Set WEBUI_SECRET_KEY to avoid that.
KEY_FILE=.webui_secret_key
if test "${WEBUI_SECRET_KEY:-} ${WEBUI_JWT_SECRET_KEY:-}" = " "; then
  echo "Loading WEBUI_SECRET_KEY from file, not provided as an environment variable."
  if ! [ -e "${KEY_FILE}" ]; then
    echo "Generating WEBUI_SECRET_KEY"
    head -c 12 /dev/random | base64 > "${KEY_FILE}"
  fi
  echo "Loading WEBUI_SECRET_KEY from ${KEY_FILE}"
  WEBUI_SECRET_KEY=$(cat "${KEY_FILE}")
fi
export WEBUI_SECRET_KEY

# Test image only: the default embedding model is baked in (no hub access). A bind-mounted or
# emptied data dir lacks the cache the image ships under /app/backend/data: seed it again.
if [ -n "${SENTENCE_TRANSFORMERS_HOME:-}" ] \
   && [ ! -e "${SENTENCE_TRANSFORMERS_HOME}/models--sentence-transformers--all-MiniLM-L6-v2/refs/main" ]; then
  seed-embedding-cache "${SENTENCE_TRANSFORMERS_HOME}" || echo "warning: could not seed the embedding model cache" >&2
fi

exec open-webui serve --host "${HOST}" --port "${PORT}"
