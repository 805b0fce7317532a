#!/usr/bin/env bash
# Same role as the official image's tools/entrypoint.sh: start ./qdrant (here exec'd, so the
# container's stop signal reaches the server directly).
exec ./qdrant "$@"
