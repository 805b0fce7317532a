#!/usr/bin/env bash
# Build the Open WebUI test image: the real Open WebUI 0.12.4 from PyPI, locally, FROM the Debian 12
# systemd base (ghcr.io cannot be reached here). Tags: numberone-owu/open-webui-test:0.12.4-<hash>
# (the cache key: a hash of every build input), :0.12.4 and :latest.
#
# PyPI is reachable from the host's pip (which also sees the local torch 2.13.0 CPU wheel), not from
# inside `docker build`: every wheel of requirements.lock is downloaded once into a cache outside the
# clone ($OWU_CACHE_DIR/wheels-owui/wheels, ~815 MB, default ~/.cache/numberone-owu) and the image installs them with --no-index.
#
# Usage: tests/images/open-webui/build.sh            build if needed, print the image reference
#        tests/images/open-webui/build.sh --prepare  only fill the wheel cache (no Docker)
# Env:   PYTHON (python3; its pip downloads the wheels, must be CPython 3.11 on x86_64 like the image),
#        OWU_WHEEL_CACHE, OWU_OPENWEBUI_IMAGE, OWU_IMAGE_DOCKER_BUILD_FLAGS (extra `docker build`
#        flags, e.g. --no-cache)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "${here}/../../.." && pwd)
cache=${OWU_WHEEL_CACHE:-${OWU_CACHE_DIR:-${XDG_CACHE_HOME:-${HOME}/.cache}/numberone-owu}/wheels-owui}
image=${OWU_OPENWEBUI_IMAGE:-numberone-owu/open-webui-test}
version=0.12.4
base_image=numberone-owu/debian12-systemd:latest
py=${PYTHON:-python3}
inputs=(Dockerfile requirements.lock start.sh seed-embedding-cache.sh warmup.sh)

log() { printf '[open-webui-test] %s\n' "$*" >&2; }

"${py}" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' \
  || { log "PYTHON=${py} must be Python 3.11 (the image's python3)"; exit 2; }
grep -q '^open-webui==0.12.4$' "${here}/requirements.lock" \
  || { log "requirements.lock does not pin open-webui==${version}"; exit 2; }

# 1. Wheel cache, refreshed when requirements.lock changes (pip skips files already downloaded).
mkdir -p "${cache}/wheels"
lock_hash=$(sha256sum "${here}/requirements.lock" | cut -c1-64)
if [ "$(cat "${cache}/.stamp" 2>/dev/null || true)" != "${lock_hash}" ]; then
  log "downloading the wheels of requirements.lock into ${cache}/wheels"
  "${py}" -m pip download --no-deps --only-binary=:all: --disable-pip-version-check \
    --python-version 3.11.2 -d "${cache}/wheels" -r "${here}/requirements.lock" >&2
  echo "${lock_hash}" > "${cache}/.stamp"
fi

if [ "${1:-}" = "--prepare" ]; then
  log "cache ready: ${cache}"
  exit 0
fi

# 2. Base image (built once per machine by the shared script).
docker image inspect "${base_image}" >/dev/null 2>&1 || "${root}/tests/images/build-systemd-base.sh" bookworm >&2

# 3. Cache key: the recipe files, the lock (it fixes every wheel) and the base image id.
hash=$(cd "${here}" && { sha256sum "${inputs[@]}"; \
  docker image inspect --format '{{.Id}}' "${base_image}"; } | sha256sum | cut -c1-12)
tag="${image}:${version}-${hash}"

if docker image inspect "${tag}" >/dev/null 2>&1; then
  log "up to date: ${tag}"
else
  # Build context: hard links into the cache (no copy of ~815 MB), only the wheels the lock names.
  ctx="${cache}/context"
  rm -rf "${ctx}"
  mkdir -p "${ctx}/wheels"
  trap 'rm -rf "${ctx}"' EXIT
  "${py}" - "${here}/requirements.lock" "${cache}/wheels" "${ctx}/wheels" <<'EOF'
import os, re, sys
lock, src, dst = sys.argv[1:4]
wanted = {}
for line in open(lock, encoding="utf-8"):
    line = line.split("#", 1)[0].strip()
    if line:
        name, version = line.split("==", 1)
        wanted[re.sub(r"[-_.]+", "_", name).lower()] = version
found = set()
for fname in os.listdir(src):
    if not fname.endswith(".whl"):
        continue
    name, version = fname.split("-")[:2]
    key = re.sub(r"[-_.]+", "_", name).lower()
    if wanted.get(key) == version:
        os.link(os.path.join(src, fname), os.path.join(dst, fname))
        found.add(key)
missing = sorted(set(wanted) - found)
if missing:
    sys.exit("wheels missing from the cache: " + ", ".join(missing))
EOF
  cp "${here}"/{Dockerfile,requirements.lock,start.sh,seed-embedding-cache.sh,warmup.sh} "${ctx}/"
  log "building ${tag} (first build: several minutes)"
  # shellcheck disable=SC2086 # word splitting of extra flags (e.g. --no-cache) is intended
  docker build ${OWU_IMAGE_DOCKER_BUILD_FLAGS:-} -t "${tag}" "${ctx}" >&2
fi
docker tag "${tag}" "${image}:${version}"
docker tag "${tag}" "${image}:latest"
echo "${tag}"
