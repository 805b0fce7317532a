#!/usr/bin/env bash
# One-command test harness for the numberone.owu collection; CI runs it through .ci/run.
#
#   ./scripts/test.sh                       every stage: lint, changelog, sanity, pytest, molecule
#   ./scripts/test.sh --only lint,pytest    some stages (also OWU_TEST_STAGES=lint,pytest)
#   ./scripts/test.sh --scenario docker     one Molecule scenario (repeatable; OWU_SCENARIOS=a,b);
#                                           implies --only molecule unless stages were chosen
#   ./scripts/test.sh --list                stages and Molecule scenarios, then exit
#
# Environment:
#   OWU_TEST_STAGES       comma list of stages (lint, changelog, sanity, pytest, molecule;
#                         `unit` is an alias of pytest)
#   OWU_SCENARIOS         comma list of Molecule scenarios (default: every molecule/*/molecule.yml
#                         except molecule/shared)
#   OWU_KEEP_DOCKER=1     keep Molecule instances (`--destroy never`) and leave a dockerd this
#                         script started running
#   OWU_MOLECULE_TIMEOUT  seconds one scenario may take (default 3600)
#   OWU_MOLECULE_LANES    how many Molecule scenarios run at the same time (default 2; 1 runs them
#                         one after another). Each scenario has its own hosts, network and Molecule
#                         directory, so lanes never meet; most of a scenario's time is spent
#                         waiting for containers to start, so two lanes fit on 2 cores. Scenarios
#                         start longest first (SCENARIO_SECONDS below); progress lines carry the
#                         scenario's name in lane mode.
#   OWU_DOCKER_WAIT       seconds to wait for a dockerd this script starts (default 90)
#   OWU_PYTEST_ARGS       extra pytest arguments (e.g. "-k collection_build -x")
#   OWU_TEST_VERBOSE=1    stream every stage's whole output to stdout (default: progress lines
#                         only; the whole output is always in .build/logs/<stage>.log)
#
# Setup, each timed like a stage: .venv from the pinned requirements (a link to
# $OWU_CACHE_DIR/venv-<hash of the requirements>, built only when that hash is new); before
# pytest, `tests/standins/<name>/build.sh --prepare` for each stand-in build script that offers
# --prepare (host-side caches its pytest tests use); for Molecule only: a Docker
# engine (installed from Debian's archive and started when `docker info` fails), the Debian 13
# systemd image of the test hosts (tests/images/build-systemd-base.sh, cached by recipe hash) and
# each stand-in a selected scenario names (tests/standins/<name>/build.sh).
#   OWU_CACHE_DIR         where the expensive test inputs are cached, outside the clone so that a
#                         fresh clone on the same machine reuses them (compiled wheels, downloaded
#                         wheels, the GGUF; each keyed by its inputs). Default
#                         ${XDG_CACHE_HOME:-~/.cache}/numberone-owu. Built images are cached by
#                         the Docker engine itself, tagged by a hash of their inputs.
# Artifacts: .build/logs/<stage>.log, .build/junit/*.xml, .cache/dockerd.log.
#
# stdout stays short (a long CI log is often shown only in part): each stage prints its progress
# lines; a failing one prints the end of its log at once and again, with the tasks that failed,
# just before the summary table.
#
# Exit status is non-zero when any stage fails. The last line printed is
#   summary: N passed, M failed
# where the counted tests are: every pytest test case in the junit report (skipped ones are in
# neither number; their count is printed above), plus 1 each for ansible-lint, antsibull-changelog
# lint and ansible-test sanity, plus 1 per Molecule scenario. A setup step counts only when it
# fails (1 failed), and then every stage that needs it is counted as failed too (not run).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${ROOT}"

readonly ALL_STAGES=(lint changelog sanity pytest molecule)
readonly VENV="${ROOT}/.venv"
readonly BUILD="${ROOT}/.build"
readonly CACHE="${ROOT}/.cache"
export OWU_CACHE_DIR="${OWU_CACHE_DIR:-${XDG_CACHE_HOME:-${HOME}/.cache}/numberone-owu}"
readonly LOGS="${BUILD}/logs"
readonly JUNIT="${BUILD}/junit"
readonly PYTHON_VERSION=3.11
readonly REQUIREMENTS=(requirements-controller.txt requirements-test.txt)

STAGES=()
SCENARIOS=()
STARTED_DOCKERD_PID=""
# One row per stage or scenario: name, seconds, result, detail.
ROW_NAMES=()
ROW_SECS=()
ROW_RESULTS=()
ROW_DETAILS=()
PASSED=0
FAILED=0
SKIPPED_TESTS=0
FAILED_LOGS=()
T0=$(date +%s)

log() { printf '\n==> [%(%H:%M:%S)T] %s\n' -1 "$*"; }
warn() { printf 'WARNING: %s\n' "$*" >&2; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 2; }

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'; }

# --- arguments ---------------------------------------------------------------------------------

split_csv() { tr ',' '\n' <<<"$1" | sed -e 's/^ *//' -e 's/ *$//' -e '/^$/d'; }

normalise_stage() {
  case "$1" in
    unit | pytest | integration) echo pytest ;;
    lint | ansible-lint) echo lint ;;
    changelog | sanity | molecule) echo "$1" ;;
    *) die "unknown stage '$1' (stages: ${ALL_STAGES[*]}, alias: unit=pytest)" ;;
  esac
}

parse_args() {
  local only="${OWU_TEST_STAGES:-}" list=0 stage
  local scenarios="${OWU_SCENARIOS:-}"
  while (($#)); do
    case "$1" in
      --only) [[ $# -ge 2 ]] || die "--only needs a stage"; only="${only:+${only},}$2"; shift 2 ;;
      --only=*) only="${only:+${only},}${1#--only=}"; shift ;;
      --scenario) [[ $# -ge 2 ]] || die "--scenario needs a name"; scenarios="${scenarios:+${scenarios},}$2"; shift 2 ;;
      --scenario=*) scenarios="${scenarios:+${scenarios},}${1#--scenario=}"; shift ;;
      --list) list=1; shift ;;
      -h | --help) usage; exit 0 ;;
      *) die "unknown argument '$1' (see --help)" ;;
    esac
  done
  if [[ -n "${scenarios}" ]]; then
    mapfile -t SCENARIOS < <(split_csv "${scenarios}")
    [[ -n "${only}" ]] || only=molecule
  fi
  if [[ -n "${only}" ]]; then
    local chosen=" "
    while read -r stage; do
      chosen+="$(normalise_stage "${stage}") "
    done < <(split_csv "${only}")
    for stage in "${ALL_STAGES[@]}"; do # always in the canonical order
      [[ "${chosen}" != *" ${stage} "* ]] || STAGES+=("${stage}")
    done
  else
    STAGES=("${ALL_STAGES[@]}")
  fi
  local known scenario
  known="$(discover_scenarios)"
  if ((list)); then
    echo "stages: ${ALL_STAGES[*]}"
    echo "molecule scenarios: ${known//$'\n'/ }"
    exit 0
  fi
  for scenario in "${SCENARIOS[@]}"; do
    grep -qxF "${scenario}" <<<"${known}" || die "no Molecule scenario '${scenario}' (have: ${known//$'\n'/ })"
  done
}

wants() { [[ " ${STAGES[*]} " == *" $1 "* ]]; }

discover_scenarios() {
  local file
  for file in molecule/*/molecule.yml; do
    [[ -f "${file}" ]] || continue
    file="${file#molecule/}"
    file="${file%/molecule.yml}"
    [[ "${file}" == shared ]] || echo "${file}"
  done
}

# --- bookkeeping -------------------------------------------------------------------------------

record() { # name seconds result passed failed [detail]
  ROW_NAMES+=("$1"); ROW_SECS+=("$2"); ROW_RESULTS+=("$3"); ROW_DETAILS+=("${6:-}")
  PASSED=$((PASSED + $4)); FAILED=$((FAILED + $5))
}

log_file() { echo "${LOGS}/${1//[:\/]/_}.log"; }

# What a stage shows on stdout unless OWU_TEST_VERBOSE=1: Molecule's actions, plays, play recaps, task
# failures (ignored ones included, marked by the next line), pytest and sanity results. Every line
# is cut to 400 characters. The whole output is always in .build/logs/<name>.log.
readonly PROGRESS_RE='^INFO +\[[^]]* > [^]]*\] Execut|^PLAY \[|^CRITICAL|^ERROR|^(fatal|failed): |^\.\.\.ignoring|^PLAY RECAP|^[A-Za-z0-9_.-]+ +: ok=[0-9]|^(FAILED|ERROR) [^-]|^=+ .*(passed|failed|error).* =+$|^Docker engine|^summary:'

# Runs "$@" with its output in .build/logs/<name>.log and, filtered (all of it with
# OWU_TEST_VERBOSE=1), on stdout; set -e applies inside (the subshell is not part of a
# condition). Sets RC and SECS. A failing step's last lines follow its output.
timed() {
  local name="$1" start log
  shift
  log="$(log_file "${name}")"
  log "${name}: $*"
  start=$(date +%s)
  set +e
  if [[ "${OWU_TEST_VERBOSE:-0}" == 1 ]]; then
    ( set -euo pipefail; "$@" ) 2>&1 | tee "${log}"
    RC=${PIPESTATUS[0]}
  else
    # A line every 5 minutes, so a long quiet step (a compile, a side effect) is seen to be alive.
    ( while sleep 300 >/dev/null 2>&1; do printf '... %s still running (%s)\n' "${name}" "$(date +%H:%M:%S)"; done ) &
    local heartbeat=$!
    ( set -euo pipefail; "$@" ) 2>&1 | tee "${log}" | grep --line-buffered -E "${PROGRESS_RE}" |
      sed -u -e "s/^\(.\{400\}\).*/\1/" -e "s/^/${TIMED_PREFIX:-}/"
    RC=${PIPESTATUS[0]}
    kill "${heartbeat}" 2>/dev/null
    wait "${heartbeat}" 2>/dev/null
  fi
  set -e
  SECS=$(($(date +%s) - start))
  if ((RC != 0)); then
    FAILED_LOGS+=("${name}")
    if [[ "${OWU_TEST_VERBOSE:-0}" != 1 ]]; then
      echo "--- ${name} failed (exit ${RC}) after ${SECS}s; the end of ${log#"${ROOT}/"}:"
      tail -n 60 "${log}" | cut -c1-400
    fi
  fi
  return 0
}

# For each failed step: the tasks that failed without `ignore_errors` (with the task's name) and
# the end of its log, so the reason is the last thing a reader of a long CI output sees.
print_failures() {
  local name log
  for name in "${FAILED_LOGS[@]}"; do
    log="$(log_file "${name}")"
    echo
    echo "=== ${name} failed; full log: ${log#"${ROOT}/"}"
    echo "--- tasks that failed there (not ignored):"
    awk '
      pending != "" && /^[ \t]/ { if (extra++ < 6) pending = pending "\n        " substr($0, 1, 300); next }
      pending != "" && !/^\.\.\.ignoring/ { print pending }
      { pending = "" }
      /^TASK \[/ { task = $0 }
      /^(fatal|failed): / { pending = NR ": " task "\n    " substr($0, 1, 600); extra = 0 }
      END { if (pending != "") print pending }
    ' "${log}" | tail -n 20
    echo "--- its last 150 lines:"
    tail -n 150 "${log}" | cut -c1-400
  done
}

# A stage that counts as one test.
run_check() {
  local name="$1"
  shift
  timed "${name}" "$@"
  if ((RC == 0)); then record "${name}" "${SECS}" PASS 1 0; else record "${name}" "${SECS}" FAIL 0 1 "exit ${RC}"; fi
}

# A setup step: counted only when it fails; its exit status is left in RC. (Never call these in
# a condition: bash ignores set -e in everything a condition runs, subshells included.)
run_setup() {
  local name="$1"
  shift
  timed "${name}" "$@"
  if ((RC == 0)); then record "${name}" "${SECS}" ok 0 0; else record "${name}" "${SECS}" FAIL 0 1 "exit ${RC}"; fi
}

not_run() { # name reason: a test that could not run counts as failed
  record "$1" 0 FAIL 0 1 "not run: $2"
}

print_summary() {
  local i total=$(($(date +%s) - T0))
  printf '\n%-32s %8s  %-6s %s\n' stage seconds result detail
  printf '%-32s %8s  %-6s %s\n' -------------------------------- ------- ------ ------
  for i in "${!ROW_NAMES[@]}"; do
    printf '%-32s %8s  %-6s %s\n' "${ROW_NAMES[$i]}" "${ROW_SECS[$i]}" "${ROW_RESULTS[$i]}" "${ROW_DETAILS[$i]}"
  done
  printf '%-32s %8s\n' "total wall time" "${total}"
  ((SKIPPED_TESTS == 0)) || echo "skipped pytest tests (counted in neither number): ${SKIPPED_TESTS}"
  echo "summary: ${PASSED} passed, ${FAILED} failed"
}

# Stops a dockerd this run started (its Molecule instances are gone by then). Runs before the
# summary, and from the EXIT trap when the run is interrupted.
cleanup() {
  local pid="${STARTED_DOCKERD_PID}"
  STARTED_DOCKERD_PID=""
  if [[ -n "${pid}" && "${OWU_KEEP_DOCKER:-0}" != 1 ]]; then
    log "stopping the dockerd this run started (pid ${pid}; OWU_KEEP_DOCKER=1 keeps it)"
    kill "${pid}" 2>/dev/null || true
    timeout 30 tail --pid="${pid}" -f /dev/null 2>/dev/null || true
  fi
}

# --- setup -------------------------------------------------------------------------------------

as_root() { if ((EUID == 0)); then "$@"; elif command -v sudo >/dev/null; then sudo -n "$@"; else return 1; fi; }

apt_install() {
  echo "apt-get install $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive NEEDRESTART_MODE=l \
    apt-get install -y -qq "$@" >/dev/null
}

requirements_hash() {
  { cat "${REQUIREMENTS[@]}"; "python${PYTHON_VERSION}" --version; } | sha256sum | cut -c1-16
}

setup_venv() {
  local python="python${PYTHON_VERSION}" want built
  command -v "${python}" >/dev/null || die "${python} not found: the controller tests are pinned to Python ${PYTHON_VERSION}"
  want="$(requirements_hash)"
  # The environment itself lives in the cache outside the clone, keyed by the requirements' hash;
  # .venv is a link to it, so a fresh clone on the same machine reuses it.
  built="${OWU_CACHE_DIR}/venv-${want}"
  if [[ -x "${built}/bin/python" && "$(cat "${built}/.requirements-hash" 2>/dev/null)" == "${want}" ]]; then
    rm -rf "${VENV}"
    ln -s "${built}" "${VENV}"
    echo ".venv -> ${built} (cached, hash ${want})"
    return 0
  fi
  rm -rf "${VENV}" "${built}"
  mkdir -p "${OWU_CACHE_DIR}"
  if ! "${python}" -m venv "${built}" >/dev/null 2>&1; then
    echo "${python} -m venv failed: Debian ships ensurepip separately, in python${PYTHON_VERSION}-venv"
    rm -rf "${built}"
    apt_install "python${PYTHON_VERSION}-venv"
    "${python}" -m venv "${built}"
  fi
  ln -s "${built}" "${VENV}"
  "${VENV}/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
  "${VENV}/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements-test.txt
  "${VENV}/bin/python" -m pip check
  check_pins_complete
  echo "${want}" >"${built}/.requirements-hash"
}

# Every installed distribution must be pinned: requirements-test.txt is a full transitive closure.
check_pins_complete() {
  local unpinned
  unpinned="$(comm -23 \
    <("${VENV}/bin/python" -m pip freeze --exclude-editable | sed 's/==.*//' | tr 'A-Z_.' 'a-z--' | sort -u) \
    <(cat "${REQUIREMENTS[@]}" | sed -n 's/^\([A-Za-z0-9_.-]*\)\(\[[^]]*\]\)\{0,1\}==.*/\1/p' | tr 'A-Z_.' 'a-z--' | sort -u))"
  if [[ -n "${unpinned}" ]]; then
    echo "installed but not pinned in ${REQUIREMENTS[*]}: ${unpinned//$'\n'/ }" >&2
    return 1
  fi
}

engine_log() {
  if [[ -f "${CACHE}/dockerd.pid" ]]; then
    echo "--- the end of ${CACHE}/dockerd.log"
    tail -n 30 "${CACHE}/dockerd.log"
  else
    journalctl -u docker.service --no-pager -n 30
  fi
}

setup_docker() {
  if docker info >/dev/null 2>&1; then
    echo "Docker engine: $(docker info --format '{{.ServerVersion}} ({{.Driver}})')"
    return 0
  fi
  ((EUID == 0)) || { echo "no Docker engine answers and this is not root: start dockerd or run as root" >&2; return 1; }
  if ! command -v dockerd >/dev/null || ! command -v docker >/dev/null; then
    apt_install docker.io
  fi
  local waited=0 limit="${OWU_DOCKER_WAIT:-90}" pid
  if [[ "$(cat /proc/1/comm 2>/dev/null)" == systemd ]] && systemctl cat docker.service >/dev/null 2>&1; then
    # A machine booted with systemd: the package's service is the engine (not stopped at the end).
    echo "starting docker.service"
    systemctl start docker.service
    pid=1
  else
    mkdir -p "${CACHE}"
    echo "starting dockerd in the background (log: ${CACHE}/dockerd.log)"
    nohup dockerd >"${CACHE}/dockerd.log" 2>&1 </dev/null &
    pid=$!
    echo "${pid}" >"${CACHE}/dockerd.pid"
  fi
  until docker info >/dev/null 2>&1; do
    if ! kill -0 "${pid}" 2>/dev/null; then
      echo "dockerd exited:" >&2
      engine_log >&2
      return 1
    fi
    if ((waited >= limit)); then
      echo "dockerd did not answer within ${limit}s (OWU_DOCKER_WAIT):" >&2
      engine_log >&2
      return 1
    fi
    sleep 1
    waited=$((waited + 1))
  done
  echo "Docker engine up after ${waited}s: $(docker info --format '{{.ServerVersion}} ({{.Driver}})')"
}

# --- stages ------------------------------------------------------------------------------------

stage_lint() {
  "${VENV}/bin/ansible-lint" --version
  "${VENV}/bin/ansible-lint" --config-file .ansible-lint
}

stage_changelog() {
  "${VENV}/bin/antsibull-changelog" lint
}

# The collection as ansible-test wants it: .build/ansible_collections/numberone/owu holds the
# tracked and untracked-but-not-ignored files (not .collections), in a git repository of its own.
# The collections this one depends on are linked in beside it from the `ansible` package.
prepare_sanity_tree() {
  local tree="${BUILD}/ansible_collections/numberone/owu" dep
  rm -rf "${BUILD}/ansible_collections"
  mkdir -p "${tree}"
  git ls-files -z --cached --others --exclude-standard |
    grep -zv '^\.collections/' |
    while IFS= read -r -d '' f; do [[ -e "${f}" || -L "${f}" ]] && printf '%s\0' "${f}"; done |
    tar --null -T - -cf - | tar -xf - -C "${tree}"
  git -C "${tree}" init -q
  git -C "${tree}" add -A
  for dep in $("${VENV}/bin/python" -c 'import yaml; print(" ".join(yaml.safe_load(open("galaxy.yml"))["dependencies"] or {}))'); do
    local src="${VENV}/lib/python${PYTHON_VERSION}/site-packages/ansible_collections/${dep/.//}"
    [[ -d "${src}" ]] || { echo "dependency ${dep} is not in the ansible package" >&2; return 1; }
    mkdir -p "${BUILD}/ansible_collections/${dep%%.*}"
    ln -sfn "${src}" "${BUILD}/ansible_collections/${dep/.//}"
  done
}

# ansible-test builds each sanity test's virtual environment itself (~/.ansible/test/venv, from
# the sanity.*.txt pins that ship with the pinned ansible-core), so neither --requirements nor
# --venv is needed. Those environments get pip from a bootstrap script on ci-files.testing.ansible.com,
# which is unreachable here: scripts/ansible-test-get-pip.py stands in for it (see its docstring).
install_pip_bootstrap() {
  local version cached
  version="$("${VENV}/bin/python" -c 'import types
from ansible_test._internal.python_requirements import get_venv_packages
print(get_venv_packages(types.SimpleNamespace(version="'"${PYTHON_VERSION}"'"))["pip"])')"
  cached="${HOME}/.ansible/test/cache/get_pip_${version//./_}.py"
  if [[ ! -f "${cached}" ]]; then
    install -D -m 0644 scripts/ansible-test-get-pip.py "${cached}"
    echo "pip ${version} bootstrap for ansible-test: ${cached} (stand-in, scripts/ansible-test-get-pip.py)"
  fi
}

stage_sanity() {
  local ignore skips=()
  for ignore in tests/sanity/ignore-*.txt; do
    if [[ -f "${ignore}" ]] && grep -qv '^[[:space:]]*\(#.*\)\{0,1\}$' "${ignore}"; then
      echo "${ignore} must stay empty; fix the code instead of ignoring:" >&2
      cat "${ignore}" >&2
      return 1
    fi
  done
  if ! command -v shellcheck >/dev/null; then
    apt_install shellcheck || true
  fi
  if ! command -v shellcheck >/dev/null; then
    echo "SKIP sanity/shellcheck: shellcheck is not installed and could not be installed from apt"
    skips+=(--skip-test shellcheck)
  fi
  echo "SKIP sanity/pslint: PowerShell (pwsh) is in no reachable registry; the collection has no .ps1 files"
  skips+=(--skip-test pslint)
  echo "NOTE sanity/compile,import: run on Python ${PYTHON_VERSION} only; module code must also work on" \
    "Python 3.8+ but no other interpreter is installed here"
  install_pip_bootstrap
  prepare_sanity_tree
  cd "${BUILD}/ansible_collections/numberone/owu"
  "${VENV}/bin/ansible-test" sanity --python "${PYTHON_VERSION}" --color no "${skips[@]}"
}

stage_pytest() {
  local extra=()
  read -r -a extra <<<"${OWU_PYTEST_ARGS:-}"
  "${VENV}/bin/python" -m pytest --junitxml="${JUNIT}/pytest.xml" "${extra[@]}"
}

# Prints "tests failures errors skipped" from a junit file.
junit_counts() {
  "${VENV}/bin/python" - "$1" <<'EOF'
import sys
import xml.etree.ElementTree as ET

root = ET.parse(sys.argv[1]).getroot()
suites = [root] if root.tag == "testsuite" else root.iter("testsuite")
totals = [0, 0, 0, 0]
for suite in suites:
    for i, key in enumerate(("tests", "failures", "errors", "skipped")):
        totals[i] += int(suite.get(key, 0))
print(*totals)
EOF
}

# Stand-ins whose build script offers --prepare fill host-side caches (models, compiled wheels)
# that their pytest tests need; without them those tests would only be skipped.
prepare_standins() {
  local build
  for build in tests/standins/*/build.sh; do
    if [[ ! -x "${build}" ]] || ! grep -qF -- '--prepare' "${build}"; then continue; fi
    run_setup "prepare:$(basename "$(dirname "${build}")")" "${build}" --prepare
  done
}

run_pytest() {
  prepare_standins
  rm -f "${JUNIT}/pytest.xml"
  timed pytest stage_pytest
  local tests failures errors skipped passed failed
  if [[ ! -s "${JUNIT}/pytest.xml" ]]; then
    record pytest "${SECS}" FAIL 0 1 "exit ${RC}, no junit report"
    return
  fi
  read -r tests failures errors skipped < <(junit_counts "${JUNIT}/pytest.xml")
  failed=$((failures + errors))
  passed=$((tests - failed - skipped))
  SKIPPED_TESTS=$((SKIPPED_TESTS + skipped))
  if ((RC != 0 && failed == 0)); then failed=1; fi # e.g. exit 5: no tests collected
  if ((RC == 0)); then
    record pytest "${SECS}" PASS "${passed}" 0 "${passed} passed, ${skipped} skipped"
  else
    record pytest "${SECS}" FAIL "${passed}" "${failed}" "exit ${RC}: ${passed} passed, ${failed} failed, ${skipped} skipped"
  fi
}

molecule_scenario() {
  local args=(test -s "$1")
  [[ "${OWU_KEEP_DOCKER:-0}" == 1 ]] && args+=(--destroy never)
  timeout --kill-after=60 "${OWU_MOLECULE_TIMEOUT:-3600}" "${VENV}/bin/molecule" "${args[@]}"
}

# Seconds each scenario took in a whole fresh-clone run on a 2-core machine with nothing else
# running (the stage table of scripts/test.sh, 2026-12-06). Used only to start the longest first,
# so that two lanes end close together; a scenario not listed starts last.
declare -A SCENARIO_SECONDS=(
  [stack]=1900 [openwebui]=400 [pipelines]=370 [ollama]=230 [qdrant]=200 [langfuse_stack]=165
  [nvidia_toolkit_gpu]=145 [docker]=125 [nvidia_toolkit]=90
)

# Runs one scenario in the background (a lane); its exit status and seconds go to a file that
# collect_scenario reads.
start_scenario() {
  local scenario="$1"
  (
    TIMED_PREFIX="[${scenario}] "
    timed "molecule:${scenario}" molecule_scenario "${scenario}"
    echo "${RC} ${SECS}" >"${BUILD}/lanes/${scenario}"
  ) &
}

collect_scenario() {
  local scenario="$1" rc secs
  if ! read -r rc secs 2>/dev/null <"${BUILD}/lanes/${scenario}"; then
    rc=1 secs=0
  fi
  if ((rc == 0)); then
    record "molecule:${scenario}" "${secs}" PASS 1 0
  else
    FAILED_LOGS+=("molecule:${scenario}")
    record "molecule:${scenario}" "${secs}" FAIL 0 1 "exit ${rc}"
  fi
}

run_molecule() {
  local scenario
  ((${#SCENARIOS[@]})) || mapfile -t SCENARIOS < <(discover_scenarios)
  ((${#SCENARIOS[@]})) || { warn "no Molecule scenario found under molecule/"; return 0; }
  run_setup docker setup_docker
  STARTED_DOCKERD_PID="$(cat "${CACHE}/dockerd.pid" 2>/dev/null || true)"
  rm -f "${CACHE}/dockerd.pid"
  if ((RC == 0)); then
    run_setup base-image tests/images/build-systemd-base.sh
  fi
  local ready="${RC}" build name
  # Test images (tests/standins/<name>/build.sh and tests/images/<name>/build.sh, e.g. the real
  # Open WebUI): each built once, all of them before the first scenario starts (builds are
  # CPU-bound and would only slow a running scenario down); a scenario whose image failed to build
  # is not run.
  declare -A standin_rc=()
  local runnable=()
  for scenario in "${SCENARIOS[@]}"; do
    if ((ready != 0)); then
      not_run "molecule:${scenario}" "no Docker engine or base image"
      continue
    fi
    local missing=""
    for build in tests/standins/*/build.sh tests/images/*/build.sh; do
      [[ -x "${build}" ]] || continue
      name="$(basename "$(dirname "$(dirname "${build}")")")/$(basename "$(dirname "${build}")")"
      grep -rqF "${name}" "molecule/${scenario}" || continue
      if [[ -z "${standin_rc[${name}]:-}" ]]; then
        run_setup "image:${name}" "${build}"
        standin_rc[${name}]="${RC}"
      fi
      ((standin_rc[${name}] == 0)) || missing="${missing} ${name}"
    done
    if [[ -n "${missing}" ]]; then
      not_run "molecule:${scenario}" "stand-in build failed:${missing}"
    else
      runnable+=("${scenario}")
    fi
  done
  ((${#runnable[@]})) || return 0
  local lanes="${OWU_MOLECULE_LANES:-2}"
  [[ "${lanes}" =~ ^[1-9][0-9]*$ ]] || die "OWU_MOLECULE_LANES must be a positive number, not '${lanes}'"
  if ((lanes == 1 || ${#runnable[@]} == 1)); then
    for scenario in "${runnable[@]}"; do
      run_check "molecule:${scenario}" molecule_scenario "${scenario}"
    done
    return 0
  fi
  local ordered=() running=0
  mapfile -t ordered < <(for scenario in "${runnable[@]}"; do
    echo "${SCENARIO_SECONDS[${scenario}]:-0} ${scenario}"
  done | sort -k1,1nr -k2,2 | cut -d' ' -f2)
  rm -rf "${BUILD}/lanes"
  mkdir -p "${BUILD}/lanes"
  log "molecule: ${#ordered[@]} scenarios in ${lanes} lanes, longest first: ${ordered[*]}"
  for scenario in "${ordered[@]}"; do
    while ((running >= lanes)); do
      wait -n || true
      running=$((running - 1))
    done
    start_scenario "${scenario}"
    running=$((running + 1))
  done
  wait || true
  # The table keeps the order the scenarios were asked in.
  for scenario in "${runnable[@]}"; do
    collect_scenario "${scenario}"
  done
}

# --- main --------------------------------------------------------------------------------------

main() {
  parse_args "$@"
  mkdir -p "${LOGS}" "${JUNIT}" "${CACHE}"
  rm -f "${CACHE}/dockerd.pid"
  trap cleanup EXIT
  echo "numberone.owu tests: stages ${STAGES[*]}${SCENARIOS[*]:+, scenarios ${SCENARIOS[*]}}"

  local stage
  run_setup venv setup_venv
  if ((RC != 0)); then
    for stage in "${STAGES[@]}"; do not_run "${stage}" "no .venv"; done
  else
    export PATH="${VENV}/bin:${PATH}"
    export OWU_EXTRA_COLLECTIONS_PATH="${VENV}/lib/python${PYTHON_VERSION}/site-packages"
    export ANSIBLE_FORCE_COLOR=0 PY_COLORS=0
    for stage in "${STAGES[@]}"; do
      case "${stage}" in
        lint) run_check ansible-lint stage_lint ;;
        changelog) run_check changelog-lint stage_changelog ;;
        sanity) run_check ansible-test-sanity stage_sanity ;;
        pytest) run_pytest ;;
        molecule) run_molecule ;;
      esac
    done
  fi
  cleanup
  ((${#FAILED_LOGS[@]} == 0)) || print_failures
  print_summary
  ((FAILED == 0))
}

main "$@"
