#!/usr/bin/env bash
# Build a LOCAL, signed, flat apt repository laid out like NVIDIA's
# (https://nvidia.github.io/libnvidia-container/stable/deb/$(ARCH)) holding STAND-IN packages of
# the NVIDIA Container Toolkit, in two versions so a version pin can be told from "newest".
#
#   build-repo.sh OUTDIR
#
# OUTDIR/gpgkey                    armored public key (the role's nvidia_toolkit_apt_key_url)
# OUTDIR/stable/deb/<arch>/        *.deb, Packages(.gz), Release, Release.gpg, InRelease
#
# Needs dpkg-deb, gpg and apt-ftparchive (apt-utils). Test use only; see README.md.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:?usage: build-repo.sh OUTDIR}"
versions=(1.17.7-1 1.17.8-1)
arch="$(dpkg --print-architecture)"
repo="${out}/stable/deb/${arch}"
work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT
mkdir -p "${repo}"

# build_deb NAME VERSION DEPENDS [SRC:DEST ...]
build_deb() {
  local name="$1" version="$2" depends="$3"; shift 3
  local root="${work}/${name}_${version}"
  mkdir -p "${root}/DEBIAN" "${root}/usr/share/doc/${name}"
  {
    echo "Package: ${name}"
    echo "Version: ${version}"
    echo "Architecture: ${arch}"
    echo "Maintainer: numberone.owu tests <tests@owu.invalid>"
    [ -n "${depends}" ] && echo "Depends: ${depends}"
    echo "Section: utils"
    echo "Priority: optional"
    echo "Description: STAND-IN for NVIDIA's ${name} (numberone.owu tests)"
    echo " Not the real package: no driver libraries, no container hooks, no GPU access."
  } > "${root}/DEBIAN/control"
  echo "Stand-in for ${name} ${version}, built by tests/standins/nvidia/build-repo.sh." \
    > "${root}/usr/share/doc/${name}/README.standin"
  local pair src dest
  for pair in "$@"; do
    src="${pair%%:*}"; dest="${pair#*:}"
    install -D -m 0755 "${here}/pkg/${src}" "${root}${dest}"
    sed -i "s/@VERSION@/${version}/g" "${root}${dest}"
  done
  dpkg-deb --root-owner-group --build "${root}" "${repo}/${name}_${version}_${arch}.deb" >/dev/null
}

for v in "${versions[@]}"; do
  build_deb libnvidia-container1 "${v}" ""
  build_deb libnvidia-container-tools "${v}" "libnvidia-container1 (>= ${v})"
  build_deb nvidia-container-toolkit-base "${v}" "" \
    nvidia-ctk:/usr/bin/nvidia-ctk nvidia-container-runtime:/usr/bin/nvidia-container-runtime
  build_deb nvidia-container-toolkit "${v}" \
    "nvidia-container-toolkit-base (= ${v}), libnvidia-container-tools (>= ${v})"
done

# Signing key: throw-away, no passphrase, made fresh for this repository.
export GNUPGHOME="${work}/gnupg"
mkdir -m 0700 "${GNUPGHOME}"
gpg --batch --quiet --passphrase '' --quick-gen-key 'numberone.owu stand-in NVIDIA repo <repo@owu.invalid>' ed25519 sign never
gpg --batch --quiet --armor --export > "${out}/gpgkey"

cd "${repo}"
apt-ftparchive packages . > Packages
gzip -9c Packages > Packages.gz
apt-ftparchive -o APT::FTPArchive::Release::Origin=owu-standin -o APT::FTPArchive::Release::Label=nvidia-container-toolkit-standin release . > "${work}/Release"
mv "${work}/Release" Release
gpg --batch --quiet --yes --clearsign -o InRelease Release
gpg --batch --quiet --yes --armor --detach-sign -o Release.gpg Release
echo "stand-in repository: ${repo} ($(find . -name "*.deb" | wc -l) packages, key ${out}/gpgkey)"
