#!/usr/bin/env bash
# Smoke test of the Open WebUI test image against the Ollama stand-in, through real APIs only:
# /health and its time, the Docker HEALTHCHECK, the headless admin (WEBUI_ADMIN_EMAIL/PASSWORD),
# /api/models listing the stand-in's model (OLLAMA_BASE_URLS over a user-defined network), one chat
# completion reaching the stand-in, and RAG: a file embedded offline with the baked-in
# sentence-transformers/all-MiniLM-L6-v2 and found again by a query.
# Everything it creates is named owu-smoke-<pid>-* and removed at exit; it only talks to loopback.
#
# Usage: tests/images/open-webui/smoke.sh [IMAGE]   (default numberone-owu/open-webui-test:latest)
# Env:   OWU_SMOKE_PORT (host loopback port, default 18088), OWU_STANDIN_IMAGE_REF
set -euo pipefail

image=${1:-numberone-owu/open-webui-test:latest}
standin=${OWU_STANDIN_IMAGE_REF:-numberone-owu/ollama-standin:latest}
port=${OWU_SMOKE_PORT:-18088}
prefix="owu-smoke-$$"
net="${prefix}-net"
model="qwen2.5:0.5b"
email="admin@example.com"
password="smoke-$(head -c 9 /dev/urandom | base64 | tr -d '/+=')"
url="http://127.0.0.1:${port}"

log() { printf '[smoke open-webui] %s\n' "$*" >&2; }
fail() { log "FAIL: $*"; docker logs --tail 60 "${prefix}-webui" >&2 2>/dev/null || true; exit 1; }
cleanup() {
  docker rm -f "${prefix}-webui" "${prefix}-ollama" >/dev/null 2>&1 || true
  docker volume rm "${prefix}-data" >/dev/null 2>&1 || true
  docker network rm "${net}" >/dev/null 2>&1 || true
}
trap cleanup EXIT

docker network create "${net}" >/dev/null
docker run -d --name "${prefix}-ollama" --network "${net}" --network-alias ollama "${standin}" >/dev/null
for _ in $(seq 1 60); do docker exec "${prefix}-ollama" ollama list >/dev/null 2>&1 && break; sleep 1; done
docker exec "${prefix}-ollama" ollama pull "${model}" >/dev/null || fail "stand-in pull ${model}"

start=$(date +%s.%N)
docker run -d --name "${prefix}-webui" --network "${net}" -p "127.0.0.1:${port}:8080" \
  -v "${prefix}-data:/app/backend/data" \
  -e OLLAMA_BASE_URLS=http://ollama:11434 \
  -e WEBUI_SECRET_KEY=smoke-secret-key-0123456789 \
  -e WEBUI_ADMIN_EMAIL="${email}" -e WEBUI_ADMIN_PASSWORD="${password}" \
  "${image}" >/dev/null

health=""
for _ in $(seq 1 240); do
  health=$(curl -sf "${url}/health" || true)
  [ -n "${health}" ] && break
  sleep 0.5
done
[ "$(jq -r .status <<<"${health}")" = true ] || fail "/health: '${health}'"
log "GET /health -> ${health} after $(echo "$(date +%s.%N) - ${start}" | bc | cut -c1-5) s"

token=$(curl -sf -H 'Content-Type: application/json' \
  -d "{\"email\":\"${email}\",\"password\":\"${password}\"}" "${url}/api/v1/auths/signin" | jq -r .token)
case "${token}" in ""|null) fail "sign-in of the WEBUI_ADMIN_EMAIL admin" ;; esac
role=$(curl -sf -H "Authorization: Bearer ${token}" "${url}/api/v1/auths/" | jq -r .role)
[ "${role}" = admin ] || fail "role of the bootstrap user is '${role}'"
signup=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
  -d '{"name":"x","email":"second@example.com","password":"second-password"}' "${url}/api/v1/auths/signup")
[ "${signup}" = 403 ] || fail "signup after the headless admin answered ${signup}, expected 403 (disabled)"
log "headless admin ${email} signed in (role admin); further signup refused (403)"

models=$(curl -sf -H "Authorization: Bearer ${token}" "${url}/api/models" | jq -r '.data[].id')
grep -qx "${model}" <<<"${models}" || fail "/api/models lacks ${model}: ${models}"
log "GET /api/models -> $(tr '\n' ' ' <<<"${models}")"

answer=$(curl -sf -H "Authorization: Bearer ${token}" -H 'Content-Type: application/json' \
  -d "{\"model\":\"${model}\",\"stream\":false,\"max_tokens\":16,\"messages\":[{\"role\":\"user\",\"content\":\"Say hello.\"}]}" \
  "${url}/api/chat/completions") || fail "POST /api/chat/completions"
content=$(jq -r '.choices[0].message.content' <<<"${answer}")
case "${content}" in ""|null) fail "empty completion: ${answer}" ;; esac
docker logs "${prefix}-ollama" 2>&1 | grep -q '/api/chat' || fail "the stand-in never saw /api/chat"
log "POST /api/chat/completions -> '$(head -c 60 <<<"${content}" | tr '\n' ' ')' (reached the stand-in)"

printf 'The owu smoke canary word is periwinkle. Open WebUI embeds this file offline.\n' > "/tmp/${prefix}.txt"
file_id=$(curl -sf -H "Authorization: Bearer ${token}" -F "file=@/tmp/${prefix}.txt;type=text/plain" \
  "${url}/api/v1/files/?process=true&process_in_background=false" | jq -r .id)
rm -f "/tmp/${prefix}.txt"
case "${file_id}" in ""|null) fail "file upload" ;; esac
status=$(curl -sf -H "Authorization: Bearer ${token}" "${url}/api/v1/files/${file_id}" | jq -r '.data.status')
[ "${status}" = completed ] || fail "file processing status '${status}'"
hit=$(curl -sf -H "Authorization: Bearer ${token}" -H 'Content-Type: application/json' \
  -d "{\"collection_name\":\"file-${file_id}\",\"query\":\"canary word\",\"k\":1}" \
  "${url}/api/v1/retrieval/query/doc" | jq -r '.documents[0][0]')
grep -q periwinkle <<<"${hit}" || fail "RAG query did not find the document: ${hit}"
log "RAG: file embedded with the offline all-MiniLM-L6-v2, query found it"

for _ in $(seq 1 90); do
  state=$(docker inspect --format '{{.State.Health.Status}}' "${prefix}-webui")
  [ "${state}" = healthy ] && break
  sleep 1
done
[ "${state}" = healthy ] || fail "Docker health status '${state}'"
log "Docker HEALTHCHECK: healthy"
log "PASS"
