#!/usr/bin/env bash
# Build the Redis test image: the REAL Redis 8 (8.0) from Debian 13 with the official redis
# image's contract (README.md). Tags: numberone-owu/redis-test:8-<hash> (hash of every build
# input) and :latest (tests/images/build-on-base.sh does the work).
#
# Usage: tests/images/redis/build.sh            build if needed, print the image reference
#        tests/images/redis/build.sh --prepare  nothing to prepare (accepted like the other images)
# Env:   OWU_REDIS_TEST_IMAGE, OWU_IMAGE_DOCKER_BUILD_FLAGS
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
exec "${here}/../build-on-base.sh" "${here}" "${OWU_REDIS_TEST_IMAGE:-numberone-owu/redis-test}" 8 \
  "Dockerfile docker-entrypoint.sh" "$@"
