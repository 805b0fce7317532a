#!/usr/bin/env bash
# Build the Caddy test image: the real Caddy from Debian 12's `caddy` package, FROM the Debian 12
# systemd base, with the official docker.io/library/caddy image's contract (Dockerfile). Tags:
# numberone-owu/caddy-test:2-<hash> (cache key: the Dockerfile and the base image id) and :latest.
#
# Usage: tests/images/caddy/build.sh            build if needed, print the image reference
#        tests/images/caddy/build.sh --prepare  nothing to prepare (no host-side cache); exits 0
# Env:   OWU_CADDY_IMAGE, OWU_IMAGE_DOCKER_BUILD_FLAGS
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "${here}/../../.." && pwd)
image=${OWU_CADDY_IMAGE:-numberone-owu/caddy-test}
base_image=numberone-owu/debian12-systemd:latest

log() { printf '[caddy-test] %s\n' "$*" >&2; }

if [ "${1:-}" = "--prepare" ]; then
  exit 0
fi

docker image inspect "${base_image}" >/dev/null 2>&1 || "${root}/tests/images/build-systemd-base.sh" >&2

hash=$( { (cd "${here}" && sha256sum Dockerfile); docker image inspect --format '{{.Id}}' "${base_image}"; } | sha256sum | cut -c1-12)
tag="${image}:2-${hash}"
if docker image inspect "${tag}" >/dev/null 2>&1; then
  log "up to date: ${tag}"
else
  ctx=$(mktemp -d)
  trap 'rm -rf "${ctx}"' EXIT
  cp "${here}/Dockerfile" "${ctx}/"
  log "building ${tag}"
  # shellcheck disable=SC2086 # word splitting of extra flags (e.g. --no-cache) is intended
  docker build ${OWU_IMAGE_DOCKER_BUILD_FLAGS:-} -t "${tag}" "${ctx}" >&2
fi
docker tag "${tag}" "${image}:latest"
echo "${tag}"
