#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make bench-guest: what each mode costs, measured where all three run.
# tests/bench/bench.sh runs in the QEMU guest (Debian's kernel) under QEMU's
# instruction-count clock (TN_GUEST_ICOUNT, tests/guest/run.sh): guest time
# then advances with the instructions the guest executes, so a rate is
# operations per instruction, whatever the host's load. Two boots: BPF LSM
# active (lsm mode, then cgroup mode forced with --attach cgroup), and the
# kernel as shipped without bpf in lsm= (fentry mode).
#
#   tests/bench/guest-bench.sh [BUILD_DIR]     (root; make all first)
#
# What it can show: the instructions each mode adds to an operation, against
# the same operation with nothing loaded (baseline), with nftables, and with
# a program that does nothing on each of the mode's hooks (floor), and
# the A/A column, which must stay near 1.00 for the rest to mean anything.
# What it cannot: time on real hardware. An instruction count weighs a cache
# miss, a TLB flush or a slow-path branch like any other instruction, and
# the emulated CPU has no caches to miss: the ratios are not a prediction
# of what the hooks cost in time, nor a proven bound (where both were
# measured, cgroup mode's timed ratios on the host were as low or lower).
# With one CPU an operation's count includes its peer's work (the reader
# of a pipe, the accept thread of connect).
#
# Environment: GUEST_BENCH_ROUNDS (4), GUEST_BENCH_OPS (open opentag write
# connect udp pipe tput: bench.sh's TNBENCH_OPS), TN_GUEST_ICOUNT (3: 8 ns a guest
# instruction); the counts are smaller than bench.sh's defaults, since
# every instruction is emulated (TNBENCH_OPEN, _WRITE, _CONNECT, _UDP,
# _MSGS change them; throughput runs TNBENCH_TPUT_SECONDS of guest time).
set -u
O=${1:-build}
ROUNDS=${GUEST_BENCH_ROUNDS:-4}
OPS=${GUEST_BENCH_OPS:-open opentag write connect udp pipe tput}
export TN_GUEST_ICOUNT=${TN_GUEST_ICOUNT:-3}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cd "$top" || exit 1
[ -x "$O/bench/tnbench" ] && [ -x "$O/bench/tnfloor" ] && [ -x "$O/trustnoded" ] ||
	{ echo "guest-bench: build first: make all $O/bench/tnbench $O/bench/tnfloor" >&2; exit 1; }

bench() {
	echo "env TNBENCH_SUMMARY=1 TNBENCH_ROUNDS=$ROUNDS" \
		"TNBENCH_OPEN=${TNBENCH_OPEN:-4000} TNBENCH_WRITE=${TNBENCH_WRITE:-4000}" \
		"TNBENCH_CONNECT=${TNBENCH_CONNECT:-300} TNBENCH_UDP=${TNBENCH_UDP:-2000}" \
		"TNBENCH_MSGS=${TNBENCH_MSGS:-2000} TNBENCH_TPUT_SECONDS=${TNBENCH_TPUT_SECONDS:-0.15}" \
		"TNBENCH_OPS='$OPS' TNBENCH_ATTACH=$1 tests/bench/bench.sh $O"
}

rc=0
echo "guest-bench: boot 1 (BPF LSM active): lsm mode, then cgroup mode" >&2
TN_GUEST_OUT=guest-bench tests/guest/run.sh "$O" "$(bench lsm) && $(bench cgroup)" || rc=1
echo "guest-bench: boot 2 (Debian's lsm= without bpf): fentry mode" >&2
TN_GUEST_OUT=guest-bench-fentry TN_GUEST_LSM=lockdown,capability,landlock,yama,apparmor \
	tests/guest/run.sh "$O" "$(bench fentry)" || rc=1

echo
echo "Guest, instruction-count clock (shift $TN_GUEST_ICOUNT), $ROUNDS rounds: medians of the"
echo "ratio to the baseline (1.00 = no cost), every mode on the same operations"
echo
printf '%-9s %-8s %-7s %-8s %-9s %-10s %-10s %-8s %s\n' op mode A/A tainted untainted "outside wl" "outside cg" nftables floor
cat "$O/guest-bench/console.log" "$O/guest-bench-fentry/console.log" 2> /dev/null |
	sed -n 's/^bench-summary: //p' | sort -k2,2 -s |
	awk '{ printf "%-9s %-8s %-7.3f %-8.3f %-9.3f %-10.3f %-10.3f %-8.3f %.3f\n", $2, $1, $3, $4, $5, $6, $7, $8, $9 }'
exit $rc
