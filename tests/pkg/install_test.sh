#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The packages installed as an operator would, without touching this
# machine: in a private mount namespace, an overlay over / (writes go to a
# tmpfs) is the root of a chroot, where `apt-get install ./*.deb` resolves
# the dependencies from the packages already installed (no network). Then:
# the group, the user and the directories exist; DKMS built the module for
# the installed Debian kernel; the agent, started with the unit's ExecStart
# (its --cgroup moved below a test cgroup, its pins to a test directory,
# no TPM) and the unit's capability set, taints a workload that reads a
# file tagged with the installed trustctl; a member of the trustnode group
# may read its status and not change it, a non-member may do neither; and
# `apt-get purge` leaves nothing behind that the install made (listed).
# systemd is not PID 1 here: nothing is started through it. TAP; root.
#   tests/pkg/install_test.sh [BUILD]
set -u
cd "$(dirname "$0")/../.."
. tests/pkg/lib.sh
v=$(cat VERSION)
debs=("$BUILD/deb/trustnode_${v}_amd64.deb" "$BUILD/deb/trustnode-dkms_${v}_all.deb")
for d in "${debs[@]}"; do
	[ -f "$d" ] || { not_ok "package_$(basename "$d")_is_built"; done_testing; }
done

reexec_private_mounts "$BUILD"
trap overlay_root_cleanup EXIT
overlay_root
cp "${debs[@]}" "$R/tmp/"
# What the overlay holds before the install: the baseline for leftovers.
upper_snapshot "$W/upper" >"$W/before"

if apt_in_root install "/tmp/${debs[0]##*/}" "/tmp/${debs[1]##*/}"; then
	ok apt_get_install_both_packages
else
	not_ok apt_get_install_both_packages
	done_testing
fi
check the_trustnode_group_exists in_root getent group trustnode
check the_httpd_user_exists_without_a_login bash -c \
	"chroot '$R' getent passwd trustnode-httpd | grep -q ':/usr/sbin/nologin$'"
check state_dir_is_0700 test "$(stat -c %a "$R/var/lib/trustnode")" = 700
check run_dir_exists test -d "$R/run/trustnode"
check the_policy_is_installed test -f "$R/etc/trustnode/policy.conf"
kver=$(ls /lib/modules | grep -- '-amd64$' | sort -V | tail -1)
if [ -n "$kver" ] && [ -e "/lib/modules/$kver/build/Makefile" ]; then
	check dkms_built_the_module_for_the_debian_kernel test -n \
		"$(find "$R/lib/modules/$kver/updates" -name 'trustnode.ko*' 2>/dev/null)"
else
	skip dkms_built_the_module_for_the_debian_kernel "no linux-headers for a Debian kernel"
fi
check man_page_is_found in_root man -w trustctl

# The agent as the unit starts it, below a test cgroup with test pins.
unit_agent_start
check packaged_agent_starts_with_the_installed_policy test -S "$R/run/trustnode/control.sock"
check control_socket_is_root_trustnode_0660 test \
	"$(chroot "$R" stat -c '%U:%G %a' /run/trustnode/control.sock)" = "root:trustnode 660"
echo secret >"$R/tmp/secret"
check installed_trustctl_tags_a_file in_root trustctl tag /tmp/secret --label phi
check installed_trustctl_adds_a_workload in_root trustctl workload add wl "$TN_CG/wl"
chroot "$R" sh -c "echo \$\$ > '$TN_CG/wl/cgroup.procs' && cat /tmp/secret >/dev/null"
check the_reader_is_tainted bash -c "chroot '$R' trustctl workload list | grep -q '^wl  *phi '"

in_root useradd -M -G trustnode tnmember
in_root useradd -M tnother
as() { chroot "$R" setpriv --reuid "$1" --regid "$1" --init-groups trustctl "${@:2}" >/dev/null 2>&1; }
check member_reads_status as tnmember status
as tnmember workload reset wl
check member_may_not_reset_taint test $? = 4
as tnother status
check non_member_may_not_read test $? = 4
as tnother workload reset wl
check non_member_may_not_reset test $? = 4
check taint_held bash -c "chroot '$R' trustctl workload list | grep -q '^wl  *phi '"
in_root userdel tnmember
in_root userdel tnother
unit_agent_unload

check apt_get_purge_both_packages apt_in_root purge trustnode trustnode-dkms
upper_snapshot "$W/upper" >"$W/after"
left=$(leftovers "$W/upper" "" "$W/before" "$W/after")
check purge_leaves_nothing_behind test -z "$left"
[ -n "$left" ] && echo "$left" | head -20 | sed 's/^/#   left: /'
done_testing
