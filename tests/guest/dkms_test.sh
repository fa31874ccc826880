#!/bin/bash
# DKMS packaging, in the guest: trustnode-dkms as `make deb` (or `make
# dkms-deb`) builds it with dh-dkms installs, DKMS builds the module for the
# running Debian kernel, it loads, shows the version of VERSION, unloads,
# and the package removes cleanly. TAP output.
set -u
BUILD=${1:-build}
version=$(cat VERSION)
deb=$(ls "$BUILD"/deb/trustnode-dkms_"$version"_all.deb 2>/dev/null | head -1)
n=0 failed=0
check() {
	local what=$1
	shift
	n=$((n + 1))
	echo "# + $*"
	if "$@" >/tmp/dkms_test.out 2>&1; then
		echo "ok $n dkms.$what"
	else
		sed 's/^/#   /' /tmp/dkms_test.out | tail -15
		echo "not ok $n dkms.$what"
		failed=1
	fi
}
echo "1..6"
check package_exists test -n "$deb"
check installs_and_dkms_builds_for_the_running_kernel dpkg -i "$deb"
check modinfo_shows_the_version bash -c "modinfo trustnode | grep -qx 'version: *$version'"
check modprobe_loads_it modprobe trustnode
check rmmod_unloads_it rmmod trustnode
check the_package_removes_cleanly bash -c "dpkg -r trustnode-dkms && ! modinfo -n trustnode 2>/dev/null || { modinfo -n trustnode; dkms status; ls -la /lib/modules/\$(uname -r)/updates/dkms; false; }"
exit $failed
