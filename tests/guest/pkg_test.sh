#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The packages on a node that boots with systemd (issue 15, part 6). Runs
# in the guest booted with systemd as PID 1 (run.sh, TN_GUEST_INIT=systemd;
# Debian's kernel as shipped, BPF LSM on) on the overlay of the host's root,
# with no package source and no network: `apt-get install ./*.deb` takes
# the dependencies from what is installed. One boot, as an operator would:
#   - install the previous version's trustnode (BUILD/deb-prev: this tree
#     labelled 0.0.9, see tests/pkg/upgrade_test.sh) with this version's
#     trustnode-dkms (one DKMS build under emulation, 2-3 minutes; DKMS's
#     own upgrade, new module in and old out, is upgrade_test's, on the
#     host); load the module the README's way; edit the policy; `systemctl
#     enable --now trustnoded` returns once READY;
#   - a workload service (the packaged drop-in trustnode-workload.conf,
#     in trustnode.slice) reaches a host outside (203.0.113.2, in a network
#     namespace made here) until it reads a tagged file; then its connect is
#     refused and the listener receives nothing;
#   - upgrade trustnode to this version: the running agent is restarted
#     (the new binary), state, taint and the operator's policy kept;
#   - `systemctl restart trustnoded` keeps the taint; a `trustnode` member
#     reads the status and may change nothing, a non-member may do neither;
#   - `apt-get purge` stops the agent, removes the pins (enforcement ends)
#     and the module's files, and leaves nothing it made (listed); the
#     module, still loaded, unloads.
# TAP; root, in the guest only (it installs packages and loads a module).
#   tests/guest/pkg_test.sh [BUILD]
set -u
cd "$(dirname "$0")/../.."
. tests/pkg/lib.sh
v=$(cat VERSION) old=0.0.9
new=("$BUILD/deb/trustnode_${v}_amd64.deb" "$BUILD/deb/trustnode-dkms_${v}_all.deb")
prev=("$BUILD/deb-prev/trustnode_${old}_amd64.deb")
if [ "$(cat /proc/1/comm)" != systemd ] || [ ! -d /tn-layers/upper/u ]; then
	not_ok "guest_booted_with_systemd (run.sh with TN_GUEST_INIT=systemd)"
	done_testing
fi
for d in "${new[@]}" "${prev[@]}"; do
	[ -f "$d" ] || { not_ok "package_$(basename "$d")_is_built (make deb deb-prev)"; done_testing; }
done
UPPER=/tn-layers/upper/u LOWER=/tn-layers/lower
T=/run/tnpkg
ns=tnpkg-out
kver=$(uname -r)
mkdir -p "$T/www" "$T/prev" "$T/new"
cp "${prev[@]}" "$T/prev/" && cp "${new[@]}" "$T/new/"
# No package source at all: what is not installed already cannot come in.
mkdir "$T/nosources.d" && : >"$T/nosources.list"
apt() {	# apt-get ARGS...: its output shown on failure
	local out
	out=$(DEBIAN_FRONTEND=noninteractive apt-get -y -o Dir::Etc::SourceList="$T/nosources.list" \
		-o Dir::Etc::SourceParts="$T/nosources.d" --no-install-recommends "$@" 2>&1) && return 0
	echo "$out" | tail -20 | sed 's/^/#   /'
	return 1
}
timed() {	# NAME CMD...: check, with the time it took
	local t0=$SECONDS
	check "$@"
	echo "# $1: $((SECONDS - t0)) s"
}
cleanup() {
	systemctl stop tnwl.service 2>/dev/null
	ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	umount /srv/tnpkg 2>/dev/null
}
trap cleanup EXIT

# The outside host: 203.0.113.2 (a documentation range) in a network
# namespace of its own, behind a veth; what it receives is logged.
ip netns add "$ns"
ip link add tnpkg0 type veth peer name tnpkg1
ip link set tnpkg1 netns "$ns"
ip addr add 203.0.113.1/24 dev tnpkg0 && ip link set tnpkg0 up
ip -n "$ns" addr add 203.0.113.2/24 dev tnpkg1 && ip -n "$ns" link set tnpkg1 up
ip netns exec "$ns" /usr/bin/python3 -m http.server --bind 203.0.113.2 --directory "$T/www" 8080 \
	>"$T/listener.log" 2>&1 &
for _ in $(seq 100); do
	ip netns exec "$ns" ss -ltn | grep -q '203.0.113.2:8080' && break
	sleep 0.2
done
# The data: on a tmpfs (files on the overlay root cannot be tagged).
mkdir -p /srv/tnpkg && mount -t tmpfs -o mode=0755 tmpfs /srv/tnpkg
mkdir /srv/tnpkg/records && echo "patient 4711" >/srv/tnpkg/records/secret.txt
chmod 0644 /srv/tnpkg/records/secret.txt

# The workload: a service with the packaged drop-in (in /run: the test's
# own, not the node's), a user of its own; each start runs $T/step.
useradd --system --no-create-home --shell /usr/sbin/nologin trustnode-wl
mkdir -p /run/systemd/system/tnwl.service.d
cat >/run/systemd/system/tnwl.service <<EOT
[Unit]
Description=trustnode package test workload
[Service]
Type=oneshot
ExecStart=/bin/bash $T/step
StandardOutput=append:$T/wl.log
StandardError=append:$T/wl.log
EOT
# step NAME [read]: the workload's next run fetches /NAME from the outside
# host, after reading the tagged file when asked.
step() {
	{
		[ "${2:-}" = read ] && echo "cat /srv/tnpkg/records/secret.txt >/dev/null"
		echo "if (exec 3<>/dev/tcp/203.0.113.2/8080 && printf 'GET /$1 HTTP/1.0\r\n\r\n' >&3 && head -1 <&3 >/dev/null)"
		echo "then echo '$1: connected'; else echo '$1: refused'; exit 1; fi"
	} >"$T/step"
	chmod 0644 "$T/step"
	# A refused run fails the start: expected, shown by the log line.
	systemctl start tnwl.service 2>/dev/null
	grep -q "^$1: " "$T/wl.log" 2>/dev/null ||
		journalctl -u tnwl.service -o cat | tail -8 | sed 's/^/#   journal: /'
	grep "^$1: " "$T/wl.log" 2>/dev/null | tail -1 | sed 's/^/# workload: /'
}
dkms_status_installed() {	# VERSION: DKMS lists it installed for this kernel
	dkms status -m trustnode -v "$1" -k "$kver" 2>/dev/null | grep -q installed
}
reached() { grep -q "GET /$1 " "$T/listener.log"; }
refused() { grep -qx "$1: refused" "$T/wl.log" && ! reached "$1"; }
tainted() { trustctl workload list | grep -q '^tnwl  *phi '; }
mainpid() { systemctl show -p MainPID --value trustnoded.service; }

# What the overlay holds before the install: the baseline for leftovers.
upper_snapshot "$UPPER" >"$T/before"

# ---- the previous version, installed as the README says ------------------
timed install_both_packages apt install "$T/prev/${prev[0]##*/}" "$T/new/${new[1]##*/}"
check previous_version_installed test "$(dpkg-query -W -f '${Version}' trustnode)" = "$old"
check dkms_built_the_module_for_the_running_kernel dkms_status_installed "$v"
check modinfo_shows_the_version bash -c "modinfo trustnode | grep -qx 'version: *$v'"
cp /usr/share/doc/trustnode/examples/trustnode-workload.conf /run/systemd/system/tnwl.service.d/trustnode.conf
systemctl daemon-reload
# README: the module loads at boot from modules-load.d, before the agent.
echo trustnode >/etc/modules-load.d/trustnode.conf
check the_module_loads_as_at_boot systemctl restart systemd-modules-load.service
check the_module_is_loaded test -d /sys/module/trustnode
cat >>/etc/trustnode/policy.conf <<EOT
# The package test's: what to protect and what to confine.
tags = ( { path = "/srv/tnpkg/records"; labels = [ "phi" ]; } );
workloads = ( { name = "tnwl"; cgroup = "/sys/fs/cgroup/trustnode.slice/tnwl.service"; } );
EOT
check the_policy_checks trustctl policy check /etc/trustnode/policy.conf
timed enable_now_returns_once_ready systemctl enable --now trustnoded.service
check the_service_is_running test "$(systemctl show -p ActiveState,SubState --value trustnoded.service | paste -sd' ')" = "active running"
systemctl is-active -q trustnoded.service ||
	journalctl -u trustnoded.service -o cat | tail -15 | sed 's/^/#   journal: /'
check the_agent_attached_before_ready bash -c "trustctl events --json -n 0 | grep -q agent-start"
check lsm_mode bash -c "trustctl status | grep -qi 'lsm'"
check the_agent_drives_the_module bash -c "trustctl kmod status | grep -q '^policy: *enforce'"
check the_journal_has_the_agent_s_log bash -c "journalctl -u trustnoded.service -o cat | grep -q ."

step before
check an_untainted_workload_reaches_the_outside_host reached before
step tainting read
check reading_a_tagged_file_then_connecting_is_refused refused tainting
check the_workload_is_tainted tainted
step after
check the_next_run_of_the_service_is_refused refused after
# PrivateUsers= (a user namespace) in a workload's unit: refused by
# trustnode's userns_create program, so systemd cannot start it.
mkdir -p /run/systemd/system/tnwl.service.d
printf '[Service]\nPrivateUsers=yes\n' >/run/systemd/system/tnwl.service.d/userns.conf
systemctl daemon-reload
check a_workload_service_with_private_users_does_not_start bash -c "! systemctl start tnwl.service 2>/dev/null"
check the_user_namespace_was_refused_by_trustnode bash -c "trustctl events --json -n 0 | grep -q '\"userns\"'"
rm /run/systemd/system/tnwl.service.d/userns.conf
systemctl daemon-reload
check the_module_has_the_taint bash -c "trustctl kmod status | grep -q '^tainted: *[1-9]'"

# ---- upgrade to this version ----------------------------------------------
pid=$(mainpid)
key=$(md5sum </var/lib/trustnode/identity.key)
check there_is_an_identity_key test -s /var/lib/trustnode/identity.key
timed upgrade_to_this_version apt install "$T/new/${new[0]##*/}"
check this_version_installed test "$(dpkg-query -W -f '${Version}' trustnode)" = "$v"
echo "# agent pid $pid before the upgrade, $(mainpid) after"
check the_upgrade_restarted_the_agent test "$(mainpid)" != "$pid" -a "$(mainpid)" != 0
check the_running_agent_is_the_new_binary test "$(readlink /proc/"$(mainpid)"/exe)" = /usr/sbin/trustnoded
check operator_s_policy_kept grep -q tnpkg/records /etc/trustnode/policy.conf
check identity_key_kept test "$(md5sum </var/lib/trustnode/identity.key)" = "$key"
check the_workload_is_still_tainted_after_the_upgrade tainted
step upgraded
check refused_after_the_upgrade refused upgraded

# ---- restart, and who may do what -----------------------------------------
pid=$(mainpid)
timed systemctl_restart systemctl restart trustnoded.service
check restarted test "$(mainpid)" != "$pid"
check the_restarted_agent_adopted_the_pins bash -c \
	"trustctl events --json -n 0 | grep agent-start | tail -1 | grep -q '\"links_adopted\": *[1-9]'"
check the_workload_is_still_tainted_after_restart tainted
step restarted
check refused_after_restart refused restarted
useradd --no-create-home -G trustnode tnmember
useradd --no-create-home tnother
as() { setpriv --reuid "$1" --regid "$1" --init-groups trustctl "${@:2}" >/dev/null 2>&1; }
check member_reads_status as tnmember status
as tnmember workload reset tnwl
check member_may_not_reset_taint test $? = 4
as tnmember tag /srv/tnpkg --label x
check member_may_not_tag test $? = 4
as tnother status
check non_member_may_not_read test $? = 4
as tnother workload reset tnwl
check non_member_may_not_reset test $? = 4
check taint_held tainted
userdel tnmember
userdel tnother

# ---- purge ----------------------------------------------------------------
rm -f /etc/modules-load.d/trustnode.conf	# the operator's, not the package's
systemctl disable --now tnwl.service 2>/dev/null
timed apt_get_purge_both_packages apt purge trustnode trustnode-dkms
check the_agent_stopped bash -c "! systemctl is-active -q trustnoded.service"
check the_pins_are_gone test ! -e /sys/fs/bpf/trustnode
check the_state_is_gone test ! -e /var/lib/trustnode
check the_module_files_are_gone bash -c "! modinfo -n trustnode 2>/dev/null"
# A purge does not unload the module (DKMS does not either): rmmod does,
# unsealed, with nothing left using it.
check rmmod_unloads_the_module rmmod trustnode
rm -rf /run/systemd/system/tnwl.service /run/systemd/system/tnwl.service.d
userdel trustnode-wl
systemctl daemon-reload
upper_snapshot "$UPPER" >"$T/after"
# Not the packages': what other services started meanwhile keep (logind's
# private /var/tmp and linger directory; PackageKit's record of the apt
# transactions, apt's hook).
left=$(leftovers "$UPPER" "$LOWER" "$T/before" "$T/after" |
	grep -vE '^/var/tmp/systemd-private-[0-9a-f]+-systemd-logind\.service-|^/var/lib/systemd/linger$|^/var/lib/PackageKit/')
check purge_leaves_nothing_behind test -z "$left"
[ -n "$left" ] && echo "$left" | head -30 | sed 's/^/#   left: /'
done_testing
