#!/usr/bin/env bash
# Build the Langfuse stack STAND-IN images (tests only), one build target each, sharing one base layer:
#   numberone-owu/langfuse-web-standin, numberone-owu/langfuse-worker-standin
#       one image per Langfuse version they stand in for (:3.225.4 behaves like v3, :4.16.0 like v4;
#       :latest = the newest), tagged :<version> and :<version>-<hash>;
#   numberone-owu/clickhouse-standin, numberone-owu/minio-standin   (:<hash> and :latest)
# The Python dependencies (pg8000, protobuf, opentelemetry-proto, botocore for SigV4) are installed on
# the host with the host's pip into a cache outside the clone keyed by their pins
# ($OWU_CACHE_DIR/langfuse-standin/<hash>/) and copied into the image: no network inside
# `docker build` except Debian's archive (wget).
#
# Usage: tests/standins/langfuse/build.sh            build if needed, print the image references
#        tests/standins/langfuse/build.sh --prepare  fill the cache only (no Docker; the unit tests
#                                                    need nothing from it)
# Env:   PYTHON (python3, CPython 3.11 like the image), OWU_LANGFUSE_STANDIN_CACHE,
#        OWU_STANDIN_DOCKER_BUILD_FLAGS (extra `docker build` flags, e.g. --no-cache)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "${here}/../../.." && pwd)
cache_root=${OWU_LANGFUSE_STANDIN_CACHE:-${OWU_CACHE_DIR:-${XDG_CACHE_HOME:-${HOME}/.cache}/numberone-owu}/langfuse-standin}
base_image=numberone-owu/debian12-systemd:latest
py=${PYTHON:-python3}
pins=(pg8000==1.31.6 scramp==1.5.0 asn1crypto==1.5.1 python-dateutil==2.9.0.post0 six==1.17.0 protobuf==7.36.2
  opentelemetry-proto==1.45.2 botocore==1.44.18 jmespath==1.1.0 urllib3==2.8.0)
# target:image[:langfuse version]; the last version of web/worker is also :latest.
targets=(web:langfuse-web-standin:3.225.4 worker:langfuse-worker-standin:3.225.4
  web:langfuse-web-standin:4.16.0 worker:langfuse-worker-standin:4.16.0
  clickhouse:clickhouse-standin minio:minio-standin)

log() { printf '[langfuse-standin] %s\n' "$*" >&2; }

if [ "${1:-}" = "--prepare" ]; then
  log "nothing to prepare: the unit tests use the venv's packages"
  exit 0
fi

"${py}" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' \
  || { log "PYTHON=${py} must be Python 3.11 (the image's python3)"; exit 2; }

pin_hash=$(printf '%s\n' "${pins[@]}" | sha256sum | cut -c1-16)
site="${cache_root}/${pin_hash}/site-packages"
if [ ! -f "${site}/.complete" ]; then
  log "installing ${pins[*]} into ${site}"
  rm -rf "${site}"
  "${py}" -m pip install --no-deps --no-compile --only-binary=:all: --disable-pip-version-check \
    --target "${site}" "${pins[@]}" >&2
  rm -rf "${site:?}/bin"
  touch "${site}/.complete"
fi

docker image inspect "${base_image}" >/dev/null 2>&1 || "${root}/tests/images/build-systemd-base.sh" bookworm >&2

work=$(mktemp -d)
trap 'rm -rf "${work}"' EXIT
ctx="${work}/context"
mkdir -p "${ctx}"
if ! cp -al "${site}" "${ctx}/site-packages" 2>/dev/null; then
  rm -rf "${ctx}/site-packages"
  cp -a "${site}" "${ctx}/site-packages"
fi
cp "${here}/Dockerfile" "${here}/standin.py" "${here}/minio" "${here}/mc" "${ctx}/"

hash=$( { (cd "${here}" && sha256sum Dockerfile standin.py minio mc); echo "${pins[*]}"; \
  docker image inspect --format '{{.Id}}' "${base_image}"; } | sha256sum | cut -c1-12)

for entry in "${targets[@]}"; do
  IFS=: read -r target name version <<<"${entry}"
  image=numberone-owu/${name}
  tag=${hash}
  build_args=()
  if [ -n "${version}" ]; then
    tag=${version}-${hash}
    build_args=(--build-arg "LANGFUSE_VERSION=${version}")
  fi
  if docker image inspect "${image}:${tag}" >/dev/null 2>&1; then
    log "up to date: ${image}:${tag}"
  else
    log "building ${image}:${tag} (target ${target})"
    # shellcheck disable=SC2086 # word splitting of extra flags (e.g. --no-cache) is intended
    docker build ${OWU_STANDIN_DOCKER_BUILD_FLAGS:-} "${build_args[@]}" --target "${target}" -t "${image}:${tag}" "${ctx}" >&2
  fi
  if [ -n "${version}" ]; then
    docker tag "${image}:${tag}" "${image}:${version}"
  fi
  docker tag "${image}:${tag}" "${image}:latest"
  echo "${image}:${tag}"
done
