#!/usr/bin/env bash
# The shared body of tests/images/{postgres,redis,caddy}/build.sh: build one test image FROM the
# Debian 13 systemd base (built first when missing) out of a context that holds only its build files.
# Cache key: the build files and the base image id. Tags <image>:<version>-<hash> and
# <image>:latest; prints the first. Nothing is downloaded on the host; builds use Debian's archive.
#
# Usage: tests/images/build-on-base.sh DIR IMAGE VERSION "FILE..." [--prepare]
#        (--prepare: nothing to prepare, accepted like the stand-ins' build.sh; exits 0)
# Env:   OWU_IMAGE_DOCKER_BUILD_FLAGS (extra `docker build` flags, e.g. --no-cache)
set -euo pipefail

dir=$1 image=$2 version=$3 files=$4
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
base_image=numberone-owu/debian13-systemd:latest

log() { printf '[%s] %s\n' "${image##*/}" "$*" >&2; }

if [ "${5:-}" = "--prepare" ]; then
  log "nothing to prepare"
  exit 0
fi
docker image inspect "${base_image}" >/dev/null 2>&1 || "${root}/tests/images/build-systemd-base.sh" trixie >&2

# shellcheck disable=SC2086 # FILE... is a list of names in DIR
hash=$( { (cd "${dir}" && sha256sum ${files}); \
  docker image inspect --format '{{.Id}}' "${base_image}"; } | sha256sum | cut -c1-12)
tag="${image}:${version}-${hash}"
if docker image inspect "${tag}" >/dev/null 2>&1; then
  log "up to date: ${tag}"
else
  ctx=$(mktemp -d)
  trap 'rm -rf "${ctx}"' EXIT
  # shellcheck disable=SC2086
  (cd "${dir}" && cp ${files} "${ctx}/")
  log "building ${tag}"
  # shellcheck disable=SC2086 # word splitting of extra flags is intended
  docker build ${OWU_IMAGE_DOCKER_BUILD_FLAGS:-} -t "${tag}" "${ctx}" >&2
fi
docker tag "${tag}" "${image}:latest"
echo "${tag}"
