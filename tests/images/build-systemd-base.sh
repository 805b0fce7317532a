#!/usr/bin/env bash
# Build (once per machine) the Debian 12 systemd image the Molecule platforms boot from.
# No base image can be pulled here, so it is made with debootstrap from the Debian archive and
# `docker import`ed. The tag carries a hash of this script: editing the recipe rebuilds it.
set -euo pipefail
recipe_hash="$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-12)"
image="${OWU_BASE_IMAGE:-numberone-owu/debian12-systemd}"
tag="${image}:${recipe_hash}"
if docker image inspect "${tag}" >/dev/null 2>&1; then
  docker tag "${tag}" "${image}:latest"
  echo "base image ${tag} cached"
  exit 0
fi
command -v debootstrap >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap; }
root="$(mktemp -d /var/tmp/owu-rootfs.XXXXXX)"
trap 'rm -rf "${root}"' EXIT
debootstrap --variant=minbase \
  --include=python3,python3-apt,systemd,systemd-sysv,dbus,ca-certificates,iproute2,curl,gnupg,sudo,procps \
  bookworm "${root}" "${OWU_DEBIAN_MIRROR:-http://deb.debian.org/debian}" >/dev/null
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
echo 'debian12-owu-test' > "${root}/etc/hostname"
apt_clean() { rm -rf "${root}"/var/lib/apt/lists/* "${root}"/var/cache/apt/archives/*.deb; }
apt_clean
tar -C "${root}" -c . | docker import -c 'CMD ["/lib/systemd/systemd"]' -c 'ENV container=docker' - "${tag}" >/dev/null
docker tag "${tag}" "${image}:latest"
echo "base image ${tag} built"
