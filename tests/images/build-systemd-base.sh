#!/usr/bin/env bash
# Build (once per machine) a Debian systemd image from the Debian archive: no base image can be
# pulled here, so it is made with debootstrap and `docker import`ed. The tag carries a hash of
# this script and the suite: editing the recipe rebuilds it.
#
#   tests/images/build-systemd-base.sh            Debian 13 (trixie): the Molecule test hosts and
#                                                 the postgres/redis/caddy test images
#                                                 -> numberone-owu/debian13-systemd:latest
#   tests/images/build-systemd-base.sh bookworm   Debian 12: the base of the stand-in and app test
#                                                 images whose Python 3.11 wheels are built on the
#                                                 host (Python 3.11, like bookworm's python3)
#                                                 -> numberone-owu/debian12-systemd:latest
#
# Both boot systemd with the run flags of .config/molecule/config.yml (trixie's systemd 257 too:
# the cgroup-v1 refusal applies to bare metal, not to a container boot; test-environment.md).
set -euo pipefail
suite="${1:-trixie}"
case "${suite}" in
  trixie) major=13 ;;
  bookworm) major=12 ;;
  *) echo "unknown suite '${suite}' (trixie or bookworm)" >&2; exit 2 ;;
esac
recipe_hash="$( { sha256sum "${BASH_SOURCE[0]}"; echo "${suite}"; } | sha256sum | cut -c1-12)"
image="numberone-owu/debian${major}-systemd"
tag="${image}:${recipe_hash}"
if docker image inspect "${tag}" >/dev/null 2>&1; then
  docker tag "${tag}" "${image}:latest"
  echo "base image ${tag} cached"
  exit 0
fi
command -v debootstrap >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap; }
# bookworm's debootstrap knows trixie through its generic script; the keyring is the archive's.
root="$(mktemp -d /var/tmp/owu-rootfs.XXXXXX)"
trap 'rm -rf "${root}"' EXIT
debootstrap --variant=minbase \
  --include=python3,python3-apt,systemd,systemd-sysv,dbus,ca-certificates,iproute2,curl,gnupg,sudo,procps \
  "${suite}" "${root}" "${OWU_DEBIAN_MIRROR:-http://deb.debian.org/debian}" >/dev/null
# Containers reach PyPI only through a TLS-intercepting proxy: carry the host's CA bundle.
if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
  install -D -m 0644 /etc/ssl/certs/ca-certificates.crt "${root}/usr/local/share/ca-certificates/host-bundle.crt"
  chroot "${root}" update-ca-certificates >/dev/null 2>&1 || true
fi
# Units that make no sense in a container and slow or break boot.
for unit in getty.target systemd-logind.service systemd-udevd.service systemd-remount-fs.service \
            systemd-firstboot.service console-getty.service; do
  ln -sf /dev/null "${root}/etc/systemd/system/${unit}"
done
echo "debian${major}-owu-test" > "${root}/etc/hostname"
apt_clean() { rm -rf "${root}"/var/lib/apt/lists/* "${root}"/var/cache/apt/archives/*.deb; }
apt_clean
tar -C "${root}" -c . | docker import -c 'CMD ["/lib/systemd/systemd"]' -c 'ENV container=docker' - "${tag}" >/dev/null
docker tag "${tag}" "${image}:latest"
echo "base image ${tag} built"
