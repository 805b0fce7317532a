#!/usr/bin/env bash
# Build the PostgreSQL test image: the REAL PostgreSQL 15 from Debian 12 with the official postgres
# image's contract (README.md). Tags: numberone-owu/postgres-test:15-<hash> (hash of every build
# input) and :latest. Nothing is downloaded on the host; the build uses Debian's archive.
#
# Usage: tests/images/postgres/build.sh            build if needed, print the image reference
#        tests/images/postgres/build.sh --prepare  nothing to prepare (accepted like the other images)
# Env:   OWU_POSTGRES_TEST_IMAGE, OWU_IMAGE_DOCKER_BUILD_FLAGS
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "${here}/../../.." && pwd)
image=${OWU_POSTGRES_TEST_IMAGE:-numberone-owu/postgres-test}
base_image=numberone-owu/debian12-systemd:latest

log() { printf '[postgres-test] %s\n' "$*" >&2; }

if [ "${1:-}" = "--prepare" ]; then
  log "nothing to prepare"
  exit 0
fi
docker image inspect "${base_image}" >/dev/null 2>&1 || "${root}/tests/images/build-systemd-base.sh" >&2

hash=$( { (cd "${here}" && sha256sum Dockerfile docker-entrypoint.sh); \
  docker image inspect --format '{{.Id}}' "${base_image}"; } | sha256sum | cut -c1-12)
tag="${image}:15-${hash}"
if docker image inspect "${tag}" >/dev/null 2>&1; then
  log "up to date: ${tag}"
else
  log "building ${tag}"
  # shellcheck disable=SC2086 # word splitting of extra flags (e.g. --no-cache) is intended
  docker build ${OWU_IMAGE_DOCKER_BUILD_FLAGS:-} -t "${tag}" "${here}" >&2
fi
docker tag "${tag}" "${image}:latest"
echo "${tag}"
