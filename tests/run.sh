#!/bin/sh
# Runs every test program in BUILD/tests and prints one summary line:
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
trap 'rm -f "$log"' EXIT
for t in "$BUILD"/tests/*_test; do
	[ -x "$t" ] || continue
	echo "# ==== $(basename "$t")"
	# A hung program must not hang the run: the harness has per-test
	# timeouts; this bounds the whole program too.
	timeout -k 10 600 "$t" >"$log" 2>&1
	rc=$?
	cat "$log"
	p=$(grep -cE '^ok [0-9]+ ' "$log" | tr -d ' ')
	s=$(grep -cE '^ok [0-9]+ .*# SKIP' "$log" | tr -d ' ')
	f=$(grep -cE '^not ok [0-9]+ ' "$log" | tr -d ' ')
	pass=$((pass + p - s)) skip=$((skip + s)) fail=$((fail + f))
	# A program that died without reporting its plan counts as a failure.
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		echo "# $(basename "$t") exited with status $rc without a failed test"
		fail=$((fail + 1))
	fi
done

# The guest suite (lsm mode, a 6.1 Debian kernel, a TPM): its TAP lines
# count like the host's; a crashed, oopsed or hung guest is one failure.
if [ "${TN_SKIP_GUEST:-0}" = 1 ] && [ "${CI:-}" != true ]; then
	echo "# guest suite skipped (TN_SKIP_GUEST=1)"
	skip=$((skip + 1))
else
	echo "# ==== guest suite (QEMU, lsm mode)"
	tests/guest/run.sh "$BUILD" "tests/guest/suite.sh $BUILD" >"$log" 2>&1
	rc=$?
	cat "$log"
	p=$(grep -cE '^ok [0-9]+ ' "$log" | tr -d ' ')
	s=$(grep -cE '^ok [0-9]+ .*# SKIP' "$log" | tr -d ' ')
	f=$(grep -cE '^not ok [0-9]+ ' "$log" | tr -d ' ')
	pass=$((pass + p - s)) skip=$((skip + s)) fail=$((fail + f))
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		echo "# guest suite failed without a failed test (status $rc)"
		fail=$((fail + 1))
	fi
fi
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
