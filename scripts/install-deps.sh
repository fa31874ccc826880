#!/bin/sh
# Installs the Debian 12 packages trustnode needs to build, test and demo,
# when they are missing. Safe to run again: it does nothing when all are there.
set -eu

PKGS="make gcc clang llvm pkg-config bpftool libbpf-dev libelf-dev zlib1g-dev
libjson-c-dev libconfig-dev linux-source-6.1 iproute2 nftables util-linux
procps python3 libclang-rt-14-dev liburing-dev
qemu-system-x86 linux-image-amd64 linux-headers-amd64 swtpm swtpm-tools busybox-static
cpio xz-utils kmod dkms libnl-genl-3-dev
libtss2-dev libsodium-dev libmicrohttpd-dev libcurl4-openssl-dev libssl-dev tpm2-tools curl
libsystemd-dev btrfs-progs
dpkg-dev debhelper dh-dkms lintian pandoc bash-completion git systemd"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing packages:$missing; run as root to install them" >&2
	exit 1
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
