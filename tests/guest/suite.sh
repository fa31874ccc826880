#!/bin/bash
# The guest suite: runs inside tests/guest/run.sh's QEMU guest.
#
#   suite.sh BUILD               BPF LSM active: trustnoded must choose lsm
#                                mode; every guest test, the module's last
#                                (it seals it); the first boot
#   suite.sh BUILD after-reboot  the second boot (same disk and TPM state)
#   suite.sh BUILD fentry        booted without bpf in lsm= (TN_GUEST_LSM): it
#                                must choose fentry mode by itself; the tests
#                                whose outcome depends on the mode (TN_TESTS)
#
# Same TAP as the host suite.
set -u
BUILD=${1:-build}
MODE=${2:-lsm}
[ "$MODE" = after-reboot ] && MODE=lsm AFTER_REBOOT=1
export TN_BUILD=$BUILD TN_EXPECT_ATTACH=$MODE
rc=0
# A misspelt name in a TN_TESTS list would silently run nothing.
names_exist() {
	local what=$1 name

	shift
	for name in "$@"; do
		grep -qE "^TEST_F(_TIMEOUT)?\([a-z_]+, $name[,)]" tests/*_test.c ||
			{ echo "not ok 1 $what: no test named $name"; return 1; }
	done
}
# Each program's wall time, for keeping the CI run short (a TAP comment),
# and a bound on it: a program still running after PROGRAM_TIMEOUT seconds
# (an agent that ignores SIGTERM, a test waiting forever) is reported with
# what each of its processes waits on, then killed, and the suite goes on.
# The watchdog sleeps once rather than polling, so that it adds no work
# beside the tests. The slowest program takes about 150 to 360 s here.
PROGRAM_TIMEOUT=${TN_GUEST_PROGRAM_TIMEOUT:-600}
timed() {
	local t0=$SECONDS pid dog r

	# Not a group leader (no job control here): setsid makes the
	# program's own session, with the same pid, without forking.
	setsid "$@" &
	pid=$!
	(
		sleep "$PROGRAM_TIMEOUT"
		kill -0 "$pid" 2>/dev/null || exit 0
		echo "not ok 1 $(basename "$1") still running after $PROGRAM_TIMEOUT s: stopped"
		hang_report "$pid"
		pkill -KILL -s "$pid"
	) &
	dog=$!
	wait "$pid"
	r=$?
	pkill -P "$dog"
	{ kill "$dog"; wait "$dog"; } 2>/dev/null
	echo "# ---- $(basename "$1") took $((SECONDS - t0)) s"
	return $r
}
# What a hung program's processes are doing: state, kernel wait channel
# and, for a task stuck in the kernel, its stack.
hang_report() {
	local pid

	ps -o pid,ppid,stat,wchan:32,etimes,args -s "$1" | sed 's/^/# /'
	for pid in $(ps -o pid= -s "$1"); do
		echo "# /proc/$pid/stack ($(tr '\0' ' ' < /proc/"$pid"/cmdline 2>/dev/null | cut -c1-80)):"
		sed 's/^/#   /' /proc/"$pid"/stack 2>/dev/null
	done
}
if [ "$MODE" = fentry ]; then
	if grep -qw bpf /sys/kernel/security/lsm; then
		echo "not ok 1 fentry suite: BPF LSM is active ($(cat /sys/kernel/security/lsm)); boot without bpf in lsm="
		exit 1
	fi
	# The tests whose outcome depends on the programs that differ between
	# the modes: opens, reads and writes of channels, socket sends,
	# rename and link, cgroup moves, clone3, socket families, and the
	# refusals at open and at SCM_RIGHTS (a full tn_derived,
	# tagged_readers) that fentry mode makes by fmod_ret (TN_TESTS;
	# the rest is skipped: the cgroup programs are the same in every mode,
	# and the whole of these four took 11 minutes; of the tests that share
	# one program, one stays, which keeps this boot to a few minutes). lsm_test
	# also checks that the mode was chosen by probing.
	export TN_TESTS="
	opening_a_tagged_file_taints_the_workload
	a_file_renamed_or_linked_out_of_a_tagged_directory_keeps_its_labels
	a_file_exchanged_out_of_a_tagged_directory_keeps_its_labels
	taint_and_denial_events_say_who_what_where_and_the_decision
	a_tagged_file_opened_through_io_uring
	a_tagged_file_descriptor_received_over_a_unix_socket
	the_mode_is_chosen_by_probing_and_explained
	a_file_written_by_a_tainted_workload_taints_its_readers
	a_unix_stream_relay_already_blocked_in_read_is_tainted_and_refused
	a_unix_datagram_relay_is_tainted_and_refused
	a_pipe_relay_reading_queued_data_is_tainted_and_refused
	a_pipe_relay_using_splice_is_tainted_and_refused
	a_pipe_relay_using_vmsplice_and_tee_is_tainted_and_refused
	a_tainted_process_cannot_move_itself_below_trustnoded_out_of_its_workload
	a_tainted_process_cannot_start_a_child_outside_its_workload
	a_socket_made_outside_the_workload_carries_nothing_out_once_tainted
	a_workload_whose_sends_were_just_allowed_sends_nothing_once_tainted
	a_tainted_workload_cannot_open_raw_ip_sockets
	a_raw_socket_opened_before_the_taint_sends_nothing_out
	sends_on_packet_and_raw_sockets_from_before_the_taint
	code_outside_every_workload_reads_tagged_files_unless_tagged_readers_closes_it
	trusted_readers_and_the_agent_still_work_under_tagged_readers
	a_full_derived_map_lets_no_untracked_copy_out
	"
	TN_TESTS=$(echo $TN_TESTS)
	names_exist "fentry suite" $TN_TESTS || exit 1
	for t in enforce_test lsm_test propagate_test adversary_test maps_test; do
		echo "# ==== guest (fentry mode): $t"
		timed "$BUILD/tests/$t" || rc=1
	done
	exit $rc
fi
if [ "${AFTER_REBOOT:-0}" = 1 ]; then
	echo "# ==== guest: reboot_after_test (second boot)"
	"$BUILD/tests/guest/reboot_after_test"
	exit
fi
# First: it leaves a tainted workload's state on the guest's disk for the
# second boot (and nothing else behind).
echo "# ==== guest: reboot_before_test (first boot)"
timed "$BUILD/tests/guest/reboot_before_test" || rc=1
# agent_test: only the tests whose outcome depends on the mode (the status
# it reports, the lsm links a restart adopts, the links pin_watch watches,
# denials flooding from the lsm hooks). The rest (policy and control-socket input, workload bookkeeping,
# help) runs the same code in every mode and runs on the host; here each
# test's node costs seconds of emulation.
AGENT_TESTS="status_shows_mode_attachment_counters_and_gaps
	the_lsm_programs_are_built_into_the_object
	enforcement_survives_kill_9_and_a_restart_adopts_the_pins
	every_link_unpinned_behind_the_agent_is_recorded_by_name
	a_restart_runs_the_new_programs_and_removes_links_the_mode_does_not_use
	a_flood_of_denials_starves_neither_the_agent_nor_the_count"
names_exist "guest suite" $AGENT_TESTS || exit 1
for t in enforce_test lsm_test propagate_test agent_test adversary_test lifecycle_test maps_test; do
	echo "# ==== guest: $t"
	if [ "$t" = agent_test ]; then
		TN_TESTS=$(echo $AGENT_TESTS) timed "$BUILD/tests/$t" || rc=1
	else
		timed "$BUILD/tests/$t" || rc=1
	fi
done
# The packaged unit's capability set, here where BPF LSM is on: the agent
# must reach lsm mode with it, as with every capability.
echo "# ==== guest: tests/pkg/unit_test.sh"
timed tests/pkg/unit_test.sh "$BUILD" || rc=1
# Attestation against the guest's TPM (/dev/tpmrm0, EK certificate from
# swtpm's local CA) for node A; node B keeps a swtpm of its own.
echo "# ==== guest: attest_tpm_test"
TN_ATTEST_TCTI_A=device:/dev/tpmrm0 TN_ATTEST_STATE_A=${TMPDIR:-/tmp}/attest-a \
	timed "$BUILD/tests/guest/attest_tpm_test" || rc=1
# The DKMS package: in the package test's boot (pkg_test.sh), not here.
echo "# ==== guest: kmod_test"
timed "$BUILD/tests/guest/kmod_test" || rc=1
exit $rc
