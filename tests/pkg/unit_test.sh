#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# trustnoded.service: systemd-analyze verify finds nothing to say about the
# units, the exposure score does not regress, and the agent works with
# exactly the unit's CapabilityBoundingSet and no_new_privs (setpriv, as
# systemd would set them): it attaches (in lsm mode where BPF LSM is on, as
# in the guest), a workload reading a tagged file is tainted, what it writes
# becomes a derived tag with a file handle, and tag prune can open that
# handle. Without CAP_SYS_PTRACE the handle is missing: the set is not
# larger than it must be there. systemd itself does not run here: the
# other settings are checked by systemd-analyze only. TAP; needs root.
#   tests/pkg/unit_test.sh [BUILD]
set -u
cd "$(dirname "$0")/../.."
. tests/pkg/lib.sh
trap agent_stop EXIT
unit=dist/trustnoded.service
MAX_EXPOSURE=${TN_MAX_EXPOSURE:-4.5}

if command -v systemd-analyze >/dev/null; then
	tmp=$(mktemp -d)
	# ExecStart= must name existing programs: the build's.
	sed "s|/usr/sbin/trustnoded|$PWD/$BUILD/trustnoded|; s|/usr/libexec/trustnode/trustnode-httpd|$PWD/$BUILD/trustnode-httpd|" \
		"$unit" >"$tmp/trustnoded.service"
	cp dist/trustnode.slice "$tmp/"
	out=$(systemd-analyze verify --man=no "$tmp/trustnoded.service" "$tmp/trustnode.slice" 2>&1)
	check units_verify_without_a_word test -z "$out"
	[ -n "$out" ] && echo "$out" | sed 's/^/#   /'
	score=$(systemd-analyze security --offline=true "$tmp/trustnoded.service" 2>&1 |
		sed -n 's/.*Overall exposure level for trustnoded.service: \([0-9.]*\).*/\1/p')
	echo "# systemd-analyze security --offline=true: exposure $score (at most $MAX_EXPOSURE)"
	check exposure_score_at_most_$MAX_EXPOSURE awk -v s="$score" -v m="$MAX_EXPOSURE" \
		'BEGIN { exit !(s != "" && s + 0 <= m + 0) }'
	rm -rf "$tmp"
else
	skip units_verify_without_a_word "no systemd-analyze"
	skip exposure_score "no systemd-analyze"
fi

check is_type_notify grep -qx 'Type=notify' "$unit"
check restarts_on_failure grep -qx 'Restart=on-failure' "$unit"
check attaches_at_the_slice_workloads_use grep -q \
	'^ExecStart=.* --cgroup /sys/fs/cgroup/trustnode.slice ' "$unit"
check workload_drop_in_uses_that_slice grep -qx 'Slice=trustnode.slice' examples/trustnode-workload.conf
check workload_drop_in_waits_for_ready grep -qx 'After=trustnoded.service' examples/trustnode-workload.conf

caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$unit")
setpriv_caps() {	# CAP_X CAP_Y... -> -all,+x,+y
	local s=-all c
	for c in "$@"; do
		c=${c#CAP_}
		s="$s,+${c,,}"
	done
	echo "$s"
}
# scenario: the agent behind setpriv with these capabilities; prints
# "handle" when the derived tag got its file handle.
# "all": as root with every capability, for reference.
scenario() {
	if [ "$1" = all ]; then
		agent_start || return 1
	else
		agent_start setpriv --bounding-set="$(setpriv_caps "$@")" --inh-caps=-all \
			--no-new-privs || return 1
	fi
	# A workload process reads the tagged file, then writes a file and
	# holds it open while the agent looks its handle up.
	bash -c "echo \$\$ > '$TN_CG/wl/cgroup.procs' && cat '$TN_DIR/data/secret' >/dev/null &&
		exec 3>'$TN_DIR/data/written' && echo x >&3 && sleep 2"
	for i in $(seq 30); do
		$TN_CTL tag list --json | tr -d ' \n' | grep -q '"source":"derived"' && break
		sleep 0.2
	done
	$TN_CTL tag list --json | tr -d ' \n' | grep -o '"handle"\|"source":"derived"'
	$TN_CTL workload list | grep -q '^wlcomp *phi ' && echo tainted
	$TN_CTL tag prune 2>&1 | grep -q '1 kept (file exists)' && echo pruned-checked
	$TN_CTL status | sed -n 's/^attach: *\([a-z]*\).*/attach=\1/p'
	# Why, when not in lsm mode: the agent's own words and libbpf's.
	$TN_CTL status | grep -q '^attach: *lsm' ||
		grep -E 'libbpf|trustnoded:' "$TN_DIR/agent.log" | tail -8 | sed 's/^/log: /'
	grep -q 'CapBnd:' /proc/"$TN_AGENT"/status && echo running
	agent_stop
}

full=$(scenario all)
echo "$full" | sed 's/^/# as root with every capability: /'
# shellcheck disable=SC2086
r=$(scenario $caps)
echo "$r" | sed 's/^/# with the unit'\''s set: /'
check agent_runs_with_the_unit_s_capabilities grep -qx running <<<"$r"
check workload_is_tainted grep -qx tainted <<<"$r"
check derived_tag_has_its_handle grep -qx '"handle"' <<<"$r"
check tag_prune_opens_the_handle grep -qx pruned-checked <<<"$r"
# lsm mode where the kernel allows it (the guest), cgroup mode otherwise.
check same_attach_mode_as_with_every_capability test \
	"$(grep attach= <<<"$r")" = "$(grep attach= <<<"$full")"
# shellcheck disable=SC2086
r=$(scenario $(tr ' ' '\n' <<<"$caps" | grep -vx CAP_SYS_PTRACE))
echo "$r" | sed 's/^/# without CAP_SYS_PTRACE: /'
if grep -qx '"source":"derived"' <<<"$r" && ! grep -qx '"handle"' <<<"$r"; then
	ok without_sys_ptrace_the_derived_tag_has_no_handle
else
	not_ok without_sys_ptrace_the_derived_tag_has_no_handle
fi
done_testing
