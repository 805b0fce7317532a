#!/usr/bin/env bash
# Build the Caddy test image: the real Caddy from Debian 13's `caddy` package, FROM the Debian 13
# systemd base, with the official docker.io/library/caddy image's contract (Dockerfile). Tags:
# numberone-owu/caddy-test:2-<hash> (cache key: the Dockerfile and the base image id) and :latest
# (tests/images/build-on-base.sh does the work).
#
# Usage: tests/images/caddy/build.sh            build if needed, print the image reference
#        tests/images/caddy/build.sh --prepare  nothing to prepare (no host-side cache); exits 0
# Env:   OWU_CADDY_IMAGE, OWU_IMAGE_DOCKER_BUILD_FLAGS
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
exec "${here}/../build-on-base.sh" "${here}" "${OWU_CADDY_IMAGE:-numberone-owu/caddy-test}" 2 Dockerfile "$@"
