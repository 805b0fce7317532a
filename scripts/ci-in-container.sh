#!/usr/bin/env bash
# Run CI (`bash .ci/run`) the way CI does, from a fresh clone on a fresh Debian 12 machine, inside
# a throw-away systemd container of this machine's Docker engine. The container gets its own
# Docker engine (Docker-in-Docker), so its Molecule instances cannot collide with yours.
#
#   scripts/ci-in-container.sh [test.sh arguments...]     e.g. --only lint or --scenario docker
#
# The clone holds the tracked and untracked-but-not-ignored files of this working tree, committed
# once inside the container. OWU_KEEP_DOCKER=1 keeps the container (owu-ci-<pid>) afterwards.
# Needs a running Docker engine here (scripts/test.sh --only molecule starts one).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${ROOT}"
name="owu-ci-$$"
snapshot="$(mktemp -d /var/tmp/owu-ci.XXXXXX)"

cleanup() {
  if [[ "${OWU_KEEP_DOCKER:-0}" != 1 ]]; then
    docker rm -f -v "${name}" >/dev/null 2>&1 || true
  else
    echo "kept container ${name}"
  fi
  rm -rf "${snapshot}"
}
trap cleanup EXIT

tests/images/build-systemd-base.sh bookworm
git ls-files -z --cached --others --exclude-standard |
  while IFS= read -r -d '' f; do [[ -e "${f}" || -L "${f}" ]] && printf '%s\0' "${f}"; done |
  tar --null -T - -cf - | tar -xf - -C "${snapshot}"

# A CI machine of this kind has a local wheel (PyTorch CPU) in /opt/wheels that its pip finds
# (find-links); carry it so the Open WebUI test image builds as it would there.
wheels_mount=()
pip_env=()
if [[ -d /opt/wheels ]]; then
  wheels_mount=(-v /opt/wheels:/opt/wheels:ro)
  pip_env=(-e PIP_FIND_LINKS=/opt/wheels)
fi

# The run flags that work on these machines (tests/images, .config/molecule/config.yml), with
# every capability but the missing CAP_SYS_RESOURCE; a volume gives the inner engine overlay2.
docker run -d --name "${name}" --hostname owu-ci \
  --cap-add ALL --cap-drop SYS_RESOURCE \
  --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
  --cgroupns=host -v /sys/fs/cgroup:/sys/fs/cgroup:rw \
  --tmpfs /run --tmpfs /run/lock --tmpfs /tmp:exec \
  -v /var/lib/docker -v "${snapshot}:/src:ro" \
  ${wheels_mount[@]+"${wheels_mount[@]}"} \
  --stop-signal SIGRTMIN+3 numberone-owu/debian12-systemd:latest >/dev/null

for _ in $(seq 60); do
  state="$(docker exec "${name}" systemctl is-system-running 2>/dev/null || true)"
  [[ "${state}" == running || "${state}" == degraded ]] && break
  sleep 1
done
[[ "${state}" == running || "${state}" == degraded ]] || { echo "systemd in ${name} did not boot (${state})" >&2; exit 1; }
# A CI machine has git (it made the clone); pip there trusts the TLS-intercepting proxy's CA.
docker exec "${name}" bash -euc '
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq git >/dev/null
  cp -a /src /root/snapshot
  cd /root/snapshot
  git init -q && git add -A
  git -c user.name=ci -c user.email=ci@localhost commit -qm snapshot
  git clone -q /root/snapshot /root/clone
  # CI machines have /var/run/docker.sock before any engine runs there (seen in CI on 2026-11-21:
  # "Connection refused" during pytest): a socket file no daemon listens on, made here the same way.
  python3 -c "import socket; socket.socket(socket.AF_UNIX).bind(\"/var/run/docker.sock\")"'
docker exec -e CI=true -e PIP_CERT=/etc/ssl/certs/ca-certificates.crt ${pip_env[@]+"${pip_env[@]}"} \
  -w /root/clone "${name}" \
  bash .ci/run "$@" </dev/null
