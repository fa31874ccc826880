#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# One version: VERSION, and what is made from it agree — debian/changelog,
# dkms.conf (a placeholder dh_dkms fills in), the built module's
# MODULE_VERSION, the packages' versions and the dkms.conf they ship. TAP.
#   tests/pkg/version_test.sh [BUILD]
set -u
cd "$(dirname "$0")/../.."
. tests/pkg/lib.sh

v=$(cat VERSION)
check version_file_is_a_version grep -qxE '[0-9]+\.[0-9]+\.[0-9]+' VERSION
check changelog_agrees test "$(dpkg-parsechangelog -S Version)" = "$v"
check dkms_conf_takes_it_from_the_package \
	grep -qx 'PACKAGE_VERSION="#MODULE_VERSION#"' dkms.conf
check kmod_has_no_version_of_its_own bash -c '! grep -rn "define TRUSTNODE_VERSION" kmod/'
ko=$BUILD/kmod-tree/kmod/trustnode.ko
if [ -f "$ko" ]; then
	check module_version_agrees test "$(modinfo -F version "$ko")" = "$v"
else
	skip module_version_agrees "no $ko (make kmod)"
fi
for p in trustnode_"$v"_amd64 trustnode-dkms_"$v"_all; do
	deb=$BUILD/deb/$p.deb
	if [ ! -f "$deb" ]; then
		not_ok "package_${p%%_*}_is_built"
		continue
	fi
	check "package_${p%%_*}_version_agrees" test "$(dpkg-deb -f "$deb" Version)" = "$v"
done
deb=$BUILD/deb/trustnode-dkms_"$v"_all.deb
if [ -f "$deb" ]; then
	conf=$(dpkg-deb --fsys-tarfile "$deb" | tar -xOf - ./usr/src/trustnode-"$v"/dkms.conf)
	check packaged_dkms_conf_agrees grep -qx "PACKAGE_VERSION=\"$v\"" <<<"$conf"
	check packaged_source_has_VERSION test "$(dpkg-deb --fsys-tarfile "$deb" |
		tar -xOf - ./usr/src/trustnode-"$v"/VERSION)" = "$v"
fi
# A changelog that disagrees stops the package build.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -r debian VERSION "$tmp/" && echo 9.9.9 >"$tmp/VERSION"
check the_same_check_passes_here make -s -f debian/rules version-check
check a_disagreeing_VERSION_stops_the_build bash -c \
	"cd '$tmp' && ! make -s -f debian/rules version-check 2>/dev/null"
done_testing
