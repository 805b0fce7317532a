#!/usr/bin/env bash
# Build the PostgreSQL test image: the REAL PostgreSQL 17 from Debian 13 with the official postgres
# image's contract (README.md). Tags: numberone-owu/postgres-test:17-<hash> (hash of every build
# input) and :latest (tests/images/build-on-base.sh does the work).
#
# Usage: tests/images/postgres/build.sh            build if needed, print the image reference
#        tests/images/postgres/build.sh --prepare  nothing to prepare (accepted like the other images)
# Env:   OWU_POSTGRES_TEST_IMAGE, OWU_IMAGE_DOCKER_BUILD_FLAGS
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
exec "${here}/../build-on-base.sh" "${here}" "${OWU_POSTGRES_TEST_IMAGE:-numberone-owu/postgres-test}" 17 \
  "Dockerfile docker-entrypoint.sh" "$@"
