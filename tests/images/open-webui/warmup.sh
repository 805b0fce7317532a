#!/usr/bin/env bash
# Build-time check of the Open WebUI test image (build stage only): start the real server once,
# offline, on a throw-away data dir; fail the build unless /health answers {"status":true} and the
# embedding model loaded. Side effect wanted: bytecode for exactly the modules a start imports.
set -euo pipefail
work=$(mktemp -d)
export DATA_DIR="${work}/data" SENTENCE_TRANSFORMERS_HOME="${work}/st" HF_HOME="${work}/st" \
       WEBUI_SECRET_KEY=build-time-only HF_HUB_OFFLINE=1 OFFLINE_MODE=true
unset PYTHONDONTWRITEBYTECODE
seed-embedding-cache "${SENTENCE_TRANSFORMERS_HOME}"
cd "${work}"
open-webui serve --host 127.0.0.1 --port 18080 > "${work}/serve.log" 2>&1 &
pid=$!
ok=0
for i in $(seq 1 300); do
  if curl -sf http://127.0.0.1:18080/health | grep -q '"status":true'; then ok=1; break; fi
  kill -0 "${pid}" 2>/dev/null || break
  sleep 1
done
kill "${pid}" 2>/dev/null || true
wait "${pid}" 2>/dev/null || true
if [ "${ok}" != 1 ] || grep -q 'Error loading SentenceTransformer' "${work}/serve.log"; then
  cat "${work}/serve.log"
  echo "warm-up: Open WebUI did not start cleanly" >&2
  exit 1
fi
echo "warm-up: /health true after ${i}s"
rm -rf "${work}" /root/.cache/huggingface
