#!/usr/bin/env bash
# Smoke test of the Pipelines test image through its real API: GET / status and its time, /models with
# the PIPELINES_API_KEY, 401 with a wrong key, a trivial filter file from PIPELINES_DIR loaded and run
# (/filter/inlet), and the baked-in filter dependencies importable. With --with-role-filters the
# collection's filters (roles/pipelines/files/filters/*.py) are loaded too and must not land in failed/.
# Everything it creates is named owu-smoke-<pid>-* and removed at exit; it only talks to loopback.
#
# Usage: tests/images/pipelines/smoke.sh [--with-role-filters] [IMAGE]
# Env:   OWU_SMOKE_PORT (host loopback port, default 19099)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "${here}/../../.." && pwd)
role_filters=false
if [ "${1:-}" = --with-role-filters ]; then role_filters=true; shift; fi
image=${1:-numberone-owu/pipelines-test:latest}
port=${OWU_SMOKE_PORT:-19099}
prefix="owu-smoke-$$"
key="smoke-$(head -c 9 /dev/urandom | base64 | tr -d '/+=')"
url="http://127.0.0.1:${port}"
dir=$(mktemp -d)

log() { printf '[smoke pipelines] %s\n' "$*" >&2; }
fail() { log "FAIL: $*"; docker logs --tail 60 "${prefix}-pipelines" >&2 2>/dev/null || true; exit 1; }
cleanup() {
  docker rm -f "${prefix}-pipelines" >/dev/null 2>&1 || true
  rm -rf "${dir}"
}
trap cleanup EXIT

cat > "${dir}/owu_smoke_filter.py" <<'EOF'
"""
title: OWU smoke filter
"""
from typing import List, Optional

from pydantic import BaseModel


class Pipeline:
    class Valves(BaseModel):
        pipelines: List[str] = ["*"]
        priority: int = 0

    def __init__(self):
        self.type = "filter"
        self.name = "OWU smoke filter"
        self.valves = self.Valves()

    async def on_startup(self):
        pass

    async def on_shutdown(self):
        pass

    async def inlet(self, body: dict, user: Optional[dict] = None) -> dict:
        body.setdefault("metadata", {})["owu_smoke"] = "inlet ran"
        return body
EOF
expected=(owu_smoke_filter)
if "${role_filters}"; then
  for f in "${root}"/roles/pipelines/files/filters/*.py; do
    cp "${f}" "${dir}/"
    expected+=("$(basename "${f}" .py)")
  done
fi
chmod -R a+rX "${dir}"

start=$(date +%s.%N)
docker run -d --name "${prefix}-pipelines" -p "127.0.0.1:${port}:9099" \
  -v "${dir}:/app/pipelines" -e PIPELINES_API_KEY="${key}" "${image}" >/dev/null
status=""
for _ in $(seq 1 120); do
  status=$(curl -sf "${url}/" || true)
  [ -n "${status}" ] && break
  sleep 0.25
done
[ "$(jq -r .status <<<"${status}")" = true ] || fail "GET /: '${status}'"
log "GET / -> ${status} after $(echo "$(date +%s.%N) - ${start}" | bc | cut -c1-5) s"

models=$(curl -sf -H "Authorization: Bearer ${key}" "${url}/models") || fail "GET /models with the key"
[ "$(jq -r .pipelines <<<"${models}")" = true ] || fail "/models lacks pipelines:true: ${models}"
for id in "${expected[@]}"; do
  [ "$(jq -r --arg id "${id}" '.data[] | select(.id == $id) | .pipeline.type' <<<"${models}")" = filter ] \
    || fail "filter ${id} not loaded: ${models}; failed/: $(find "${dir}/failed" -name '*.py' -printf '%f ' 2>/dev/null)"
done
log "GET /models (key) -> filters loaded: ${expected[*]}"

code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer wrong-key' "${url}/models")
[ "${code}" = 401 ] || fail "wrong key answered ${code}, expected 401"
log "GET /models (wrong key) -> 401"

out=$(curl -sf -H "Authorization: Bearer ${key}" -H 'Content-Type: application/json' \
  -d '{"body":{"model":"m","messages":[{"role":"user","content":"hi"}]},"user":{"id":"u1","email":"u@example.com","name":"u","role":"user"}}' \
  "${url}/owu_smoke_filter/filter/inlet") || fail "POST /owu_smoke_filter/filter/inlet"
[ "$(jq -r .metadata.owu_smoke <<<"${out}")" = "inlet ran" ] || fail "inlet result: ${out}"
log "POST /owu_smoke_filter/filter/inlet -> the filter's code ran"

if docker exec "${prefix}-pipelines" test -s /opt/pipelines/requirements-filters.txt; then
  docker exec "${prefix}-pipelines" python3 -c 'import qdrant_client, langfuse, requests' \
    || fail "filter dependencies not importable"
  log "filter dependencies importable: qdrant_client, langfuse, requests"
else
  log "image built without roles/pipelines/files/requirements.txt: filter dependencies not checked"
fi
log "PASS"
