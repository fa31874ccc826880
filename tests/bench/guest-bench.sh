#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# What open()+close() and a 64-byte write() cost in lsm, fentry and cgroup
# mode, measured in the QEMU guest (Debian's kernel, BPF LSM on, so all
# three modes load there: fentry and cgroup are forced with --attach).
#
#   tests/bench/guest-bench.sh [BUILD_DIR]     (root, from the repository top)
#
# The guest is emulated (no KVM here), so wall-clock time in it is host
# scheduling noise. QEMU's instruction-count clock (-icount, sleep=off)
# makes guest time advance with the instructions the guest executes: the
# ratios below compare instructions executed, not time on real hardware
# (cache misses, the cost of an indirect call or a trampoline's memory
# traffic are not in them). Each mode is tests/bench/bench.sh with its A/A
# column, which shows whether the method is stable at all. Informational.
#
# Environment: GUEST_BENCH_ROUNDS (6), GUEST_BENCH_N (5000 opens and
# writes per run), GUEST_BENCH_MODES ("lsm fentry cgroup").
set -u
O=${1:-build}
rounds=${GUEST_BENCH_ROUNDS:-6}
n=${GUEST_BENCH_N:-5000}
modes=${GUEST_BENCH_MODES:-lsm fentry cgroup}
cmd="rc=0; for m in $modes; do echo \"# ==== guest bench: \$m mode\";"
cmd+=" TNBENCH_ATTACH=\$m TNBENCH_OPS='open write' TNBENCH_ROUNDS=$rounds"
cmd+=" TNBENCH_OPEN=$n TNBENCH_WRITE=$n tests/bench/bench.sh $O || rc=1; done; exit \$rc"
TN_GUEST_OUT=guest-bench TN_GUEST_TIMEOUT=${TN_GUEST_TIMEOUT:-3600} \
TN_GUEST_QEMU_ARGS="-icount shift=0,align=off,sleep=off" \
	exec tests/guest/run.sh "$O" "$cmd"
