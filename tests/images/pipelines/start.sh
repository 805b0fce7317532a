#!/usr/bin/env bash
# Entry point of the Pipelines test image; follows the official image's start.sh contract (PORT, HOST,
# PIPELINES_DIR, RESET_PIPELINES_DIR, PIPELINES_REQUIREMENTS_PATH, UVICORN_LOOP, `--mode setup|run|full`)
# and runs `uvicorn main:app` from /app. PIPELINES_URLS needs GitHub/the internet: refused here.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")" || exit 1

PORT="${PORT:-9099}"
HOST="${HOST:-0.0.0.0}"
PIPELINES_DIR="${PIPELINES_DIR:-./pipelines}"
UVICORN_LOOP="${UVICORN_LOOP:-auto}"

mode=full
while [ "$#" -gt 0 ]; do
  case "$1" in
    --mode) mode="${2:-}"; shift ;;
    *) echo "Unknown parameter passed: $1"; exit 1 ;;
  esac
  shift
done
case "${mode}" in setup|run|full) ;; *) echo "Invalid script mode: ${mode}"; exit 1 ;; esac

if [ "${mode}" != run ]; then
  if [ "${RESET_PIPELINES_DIR:-}" = true ] && [ -d "${PIPELINES_DIR}" ]; then
    echo "Resetting pipelines directory: ${PIPELINES_DIR}"
    find "${PIPELINES_DIR}" -mindepth 1 -delete
  fi
  if [ -n "${PIPELINES_REQUIREMENTS_PATH:-}" ]; then
    if [ -f "${PIPELINES_REQUIREMENTS_PATH}" ]; then
      echo "Installing requirements from ${PIPELINES_REQUIREMENTS_PATH}"
      pip install -r "${PIPELINES_REQUIREMENTS_PATH}" || exit 1
    else
      echo "requirements.txt not found at ${PIPELINES_REQUIREMENTS_PATH}. Skipping installation of requirements."
    fi
  fi
  if [ -n "${PIPELINES_URLS:-}" ]; then
    echo "PIPELINES_URLS is not supported by this test image (no GitHub/internet access); put the files in ${PIPELINES_DIR}" >&2
    exit 1
  fi
fi

if [ "${mode}" != setup ]; then
  exec uvicorn main:app --host "${HOST}" --port "${PORT}" --forwarded-allow-ips '*' --loop "${UVICORN_LOOP}"
fi
