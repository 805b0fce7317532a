#!/usr/bin/env bash
# Build the Qdrant stand-in image (tests only): numberone-owu/qdrant-standin:<hash>, :latest and
# :v<version> - the Qdrant release whose REST contract server.py follows (its VERSION), so a
# scenario can keep the role's pinned qdrant_version and swap only qdrant_image.
#
# The image's Python packages (qdrant-client and its pinned closure, requirements.txt) are installed
# on the host with the host's pip (PyPI is not reachable from inside `docker build`) into a
# cache outside the clone keyed by the requirements: $OWU_CACHE_DIR/qdrant-standin/<hash>/site-packages. The image
# is rebuilt only when the hash of its inputs (recipe files, requirements, base image) changes.
#
# Usage: tests/standins/qdrant/build.sh            build if needed, print the image reference
#        tests/standins/qdrant/build.sh --prepare  nothing to prepare: the pytest tests run the
#                                                  server from the .venv (qdrant-client is in
#                                                  requirements-test.txt); exits 0
# Env:   PYTHON (python3, must be 3.11 like the image), OWU_STANDIN_CACHE, OWU_STANDIN_IMAGE,
#        OWU_STANDIN_DOCKER_BUILD_FLAGS (extra `docker build` flags, e.g. --no-cache)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "${here}/../../.." && pwd)
cache=${OWU_STANDIN_CACHE:-${OWU_CACHE_DIR:-${XDG_CACHE_HOME:-${HOME}/.cache}/numberone-owu}/qdrant-standin}
image=${OWU_STANDIN_IMAGE:-numberone-owu/qdrant-standin}
base_image=numberone-owu/debian12-systemd:latest
py=${PYTHON:-python3}

log() { printf '[qdrant-standin] %s\n' "$*" >&2; }

if [ "${1:-}" = "--prepare" ]; then
  log "nothing to prepare (the unit tests use the .venv's qdrant-client)"
  exit 0
fi

"${py}" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' \
  || { log "PYTHON=${py} must be Python 3.11 (the image's python3)"; exit 2; }

# 1. site-packages for exactly these requirements (binary wheels only, no dependency resolution:
#    requirements.txt is the full closure).
req_hash=$(sha256sum "${here}/requirements.txt" | cut -c1-16)
site="${cache}/${req_hash}/site-packages"
if [ ! -f "${site}/.complete" ]; then
  log "installing the pinned packages into ${site}"
  rm -rf "${site}"
  mkdir -p "${site}"
  "${py}" -m pip install --no-deps --no-compile --only-binary=:all: --disable-pip-version-check \
    --target "${site}" -r "${here}/requirements.txt" >&2
  # Not needed at runtime: console scripts and numpy's tests.
  rm -rf "${site:?}/bin"
  find "${site}" -type d \( -name tests -path '*/numpy/*' \) -prune -exec rm -rf {} +
  touch "${site}/.complete"
fi

# 2. Base image (built once per machine by the shared script).
docker image inspect "${base_image}" >/dev/null 2>&1 || "${root}/tests/images/build-systemd-base.sh" bookworm >&2

# 3. Cache key: recipe files, requirements, base image id.
hash=$( { (cd "${here}" && sha256sum Dockerfile server.py qdrant entrypoint.sh requirements.txt); \
  docker image inspect --format '{{.Id}}' "${base_image}"; } | sha256sum | cut -c1-12)

if docker image inspect "${image}:${hash}" >/dev/null 2>&1; then
  log "up to date: ${image}:${hash}"
else
  ctx=$(mktemp -d)
  trap 'rm -rf "${ctx}"' EXIT
  # Hard links when the cache and the context share a file system, else a plain copy.
  if ! cp -al "${site}" "${ctx}/site-packages" 2>/dev/null; then
    rm -rf "${ctx}/site-packages"
    cp -a "${site}" "${ctx}/site-packages"
  fi
  rm -f "${ctx}/site-packages/.complete"
  cp "${here}/Dockerfile" "${here}/server.py" "${here}/qdrant" "${here}/entrypoint.sh" "${ctx}/"
  log "building ${image}:${hash}"
  # shellcheck disable=SC2086 # word splitting of extra flags (e.g. --no-cache) is intended
  docker build ${OWU_STANDIN_DOCKER_BUILD_FLAGS:-} -t "${image}:${hash}" "${ctx}" >&2
fi
version=$(sed -n 's/^VERSION = os.environ.get("QDRANT_STANDIN_VERSION", "\([0-9.]*\)")$/\1/p' "${here}/server.py")
[ -n "${version}" ] || { log "could not read VERSION from server.py"; exit 2; }
docker tag "${image}:${hash}" "${image}:latest"
docker tag "${image}:${hash}" "${image}:v${version}"
echo "${image}:${hash}"
