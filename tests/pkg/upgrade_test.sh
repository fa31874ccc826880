#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Upgrading keeps the node's state and taint: in a chroot on an overlay of
# this machine's root (as install_test), the "previous" packages are
# installed — this tree labelled 0.0.9 (scripts/build-deb.sh --as-version,
# kept in BUILD/deb-prev), so what is tested is the packaging's upgrade
# path, not compatibility with a real older release — an agent taints a
# workload and is stopped (its pins stay, as when systemd stops it for an
# upgrade), the operator edits the policy, then `apt-get install` of the
# current packages: the policy edit, the state and DKMS's module (now the
# new version, the old one gone) are as they should be, and the new agent
# adopts the pins with the workload still tainted. TAP; root.
#   tests/pkg/upgrade_test.sh [BUILD]
set -u
cd "$(dirname "$0")/../.."
. tests/pkg/lib.sh
v=$(cat VERSION) old=0.0.9
new=("$BUILD/deb/trustnode_${v}_amd64.deb" "$BUILD/deb/trustnode-dkms_${v}_all.deb")
prev=("$BUILD/deb-prev/trustnode_${old}_amd64.deb" "$BUILD/deb-prev/trustnode-dkms_${old}_all.deb")
for d in "${new[@]}"; do
	[ -f "$d" ] || { not_ok "package_$(basename "$d")_is_built"; done_testing; }
done
if [ ! -f "${prev[0]}" ] || [ ! -f "${prev[1]}" ]; then
	start=$(date +%s)
	check build_the_previous_version scripts/build-deb.sh --as-version "$old" "$BUILD/deb-prev"
	echo "# built $old in $(($(date +%s) - start)) s"
fi

reexec_private_mounts "$BUILD"
trap overlay_root_cleanup EXIT
overlay_root
mkdir -p "$R/tmp/prev" "$R/tmp/new"
cp "${prev[@]}" "$R/tmp/prev/"
cp "${new[@]}" "$R/tmp/new/"
kver=$(ls /lib/modules | grep -- '-amd64$' | sort -V | tail -1)
dkms_has() {	# VERSION: dkms lists it installed for $kver
	chroot "$R" dkms status -m trustnode -v "$1" -k "$kver" 2>/dev/null | grep -q installed
}

check install_the_previous_version apt_in_root install "/tmp/prev/${prev[0]##*/}" "/tmp/prev/${prev[1]##*/}"
check previous_version_installed test "$(chroot "$R" dpkg-query -W -f '${Version}' trustnode)" = "$old"
# Not through check: the agent's variables must stay in this shell.
unit_agent_start && ok previous_agent_starts || not_ok previous_agent_starts
echo secret >"$R/tmp/secret"
in_root trustctl tag /tmp/secret --label phi >/dev/null
in_root trustctl workload add wl "$TN_CG/wl" >/dev/null
chroot "$R" sh -c "echo \$\$ > '$TN_CG/wl/cgroup.procs' && cat /tmp/secret >/dev/null"
check workload_tainted_before bash -c "chroot '$R' trustctl workload list | grep -q '^wl  *phi '"
unit_agent_stop
echo '# edited by the operator' >>"$R/etc/trustnode/policy.conf"
state=$(md5sum <"$R/var/lib/trustnode/identity.key")

check upgrade_to_this_version apt_in_root install "/tmp/new/${new[0]##*/}" "/tmp/new/${new[1]##*/}"
check this_version_installed test "$(chroot "$R" dpkg-query -W -f '${Version}' trustnode)" = "$v"
check operator_s_policy_edit_kept grep -qx '# edited by the operator' "$R/etc/trustnode/policy.conf"
check identity_key_kept test "$(md5sum <"$R/var/lib/trustnode/identity.key")" = "$state"
check pins_outlived_the_upgrade test -d "$TN_PIN"
if [ -n "$kver" ] && [ -e "/lib/modules/$kver/build/Makefile" ]; then
	check dkms_has_the_new_module dkms_has "$v"
	dkms_has "$old" && not_ok dkms_dropped_the_old_module || ok dkms_dropped_the_old_module
else
	skip dkms_has_the_new_module "no linux-headers for a Debian kernel"
fi
unit_agent_start && ok new_agent_starts || not_ok new_agent_starts
check new_agent_adopted_the_pins grep -q 'links_adopted' <(in_root trustctl events --json -n 0 | grep agent-start | tail -1)
check workload_still_tainted_after_the_upgrade bash -c "chroot '$R' trustctl workload list | grep -q '^wl  *phi '"
check tag_kept bash -c "chroot '$R' trustctl tag list | grep -q '^/tmp/secret '"
unit_agent_unload
check purge apt_in_root purge trustnode trustnode-dkms
done_testing
