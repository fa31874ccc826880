#!/bin/sh
# Runs every test program in BUILD/tests, then the guest suite, and prints
# one summary line:
#   N passed, N failed, N skipped
# Each program speaks TAP (kselftest_harness.h); its output is shown as is.
set -u
BUILD=${1:-build}
export TN_BUILD="$BUILD"

if [ "$(id -u)" != 0 ]; then
	echo "tests: must run as root (BPF programs, cgroups, network namespaces)" >&2
	exit 1
fi

pass=0 fail=0 skip=0
log=$(mktemp)
glogs=$(mktemp -d) || exit 1
guest_lanes=
# A run cut short takes its guests along: each lane is a session of its
# own, and timeout(1) puts each emulator in a process group of its own
# within it.
trap 'for l in $guest_lanes; do pkill -TERM -s "$l"; done; rm -rf "$log" "$glogs"' EXIT
trap 'exit 130' INT TERM HUP

# Adds the TAP results in $log to the totals. A program that failed
# without reporting a failed test (crashed, hung, no plan) counts as one.
count() {
	name=$1 rc=$2 out=${3:-$log}
	cat "$out"
	p=$(grep -cE '^ok [0-9]+ ' "$out")
	s=$(grep -cE '^ok [0-9]+ .*# SKIP' "$out")
	f=$(grep -cE '^not ok [0-9]+ ' "$out")
	# Left out of a run on purpose (TN_TESTS): neither passed nor skipped.
	u=$(grep -cE '^ok [0-9]+ .*# SKIP not selected for this run' "$out")
	p=$((p - u)) s=$((s - u))
	pass=$((pass + p - s)) skip=$((skip + s)) fail=$((fail + f))
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		echo "# $name exited with status $rc without a failed test"
		fail=$((fail + 1))
	fi
}

# Unit tests need no privilege, and run without it to show that they do
# not (as nobody, when nobody can reach the build; otherwise as root, said).
UNPRIVILEGED="policy_test audit_log_test tpm_verify_test"
as_nobody="setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all"

# The guest runs (tests/guest/all.sh): lsm mode with the module and a TPM
# alongside the host's tests (an emulator is one host thread, and the
# host's tests run one at a time), then fentry mode and the packages under
# systemd, one after the other, alongside the lsm run once the host's tests
# are done. Their TAP lines count like the host's, shown after the host's;
# a crashed, oopsed or hung guest is a failure.
GUEST=1
if [ "${TN_SKIP_GUEST:-0}" = 1 ] && [ "${CI:-}" != true ]; then
	GUEST=0
fi
if [ "$GUEST" = 1 ]; then
	setsid -w tests/guest/all.sh "$BUILD" "$glogs" lsm &
	guest_lanes=$!
	echo "# the guest runs go on alongside, from now (their output follows the host's)"
fi

for t in "$BUILD"/tests/*_test; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	run=
	case " $UNPRIVILEGED " in
	*" $name "*)
		if $as_nobody test -x "$t" 2>/dev/null; then
			run=$as_nobody
			echo "# ==== $name (as nobody)"
		else
			echo "# ==== $name (as root: nobody cannot reach $BUILD)"
		fi ;;
	*)	echo "# ==== $name" ;;
	esac
	# The harness has per-test timeouts; this bounds the whole program.
	timeout -k 10 600 $run "$t" >"$log" 2>&1
	count "$name" $?
done

# Packaging: versions, man pages, completion, the unit's capabilities, and
# the packages `make tests` built (lintian, a second build compared).
for t in tests/pkg/*_test.sh; do
	echo "# ==== $t"
	timeout -k 10 600 "$t" "$BUILD" >"$log" 2>&1
	count "$(basename "$t")" $?
done

if [ "$GUEST" = 0 ]; then
	echo "# guest suite skipped (TN_SKIP_GUEST=1)"
	skip=$((skip + 1))
else
	setsid -w tests/guest/all.sh "$BUILD" "$glogs" rest &
	guest_lanes="$guest_lanes $!"
	echo "# waiting for the guest runs"
	for l in $guest_lanes; do wait "$l"; done
	guest_lanes=
	echo "# ==== guest suite (QEMU, lsm mode; booted twice, the second time for reboot_after_test)"
	count "the guest suite" "$(cat "$glogs/lsm.rc" 2>/dev/null || echo 1)" "$glogs/lsm"
	echo "# ==== guest suite (QEMU, fentry mode)"
	count "the guest suite in fentry mode" "$(cat "$glogs/fentry.rc" 2>/dev/null || echo 1)" "$glogs/fentry"
	echo "# ==== guest package test (QEMU, systemd as PID 1)"
	count "the guest package test" "$(cat "$glogs/pkg.rc" 2>/dev/null || echo 1)" "$glogs/pkg"
fi
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
