#!/bin/bash
# tagged_readers' cost in lsm mode, run in the guest:
#   tests/guest/run.sh build 'tests/bench/readers-lsm.sh build'
# The per-call run time of tn_lsm_file_open (kernel.bpf_stats_enabled) on
# opens of untagged files five directories below their mount (tmpfs), from a process in no workload
# with tagged_readers off and on, and from a workload; interleaved rounds.
# Under QEMU's software emulation these are wall-clock nanoseconds of an
# emulated CPU: compare them with each other, not with real hardware.
set -u
B=${1:-build}
mkdir -p $B/bench
cc -O2 -o $B/bench/openloop tests/bench/openloop.c || exit 1
CG2=$(awk '$3=="cgroup2"{print $2; exit}' /proc/self/mounts)
ROOT=$CG2/tnbench
mkdir -p $ROOT/wl $ROOT/other
T=$(mktemp -d)
mkdir -p $T/data/d1/d2/d3
echo s > $T/data/secret
for i in $(seq 1 100); do echo x > $T/data/d1/d2/d3/f$i; done
mkpol() {
	cat > $T/$1.conf <<P
tags = ( { path = "$T/data/secret"; labels = [ "phi" ]; } );
workloads = ( { name = "wl"; cgroup = "$ROOT/wl"; } );
$2
P
}
mkpol off ""
mkpol on 'tagged_readers = "workloads";'
export TRUSTNODE_SOCKET=$T/run/control.sock
TRUSTNODE_QUIET_LIBBPF=1 $B/trustnoded --cgroup $ROOT --state-dir $T/state --run-dir $T/run \
	--pin-dir /sys/fs/bpf/tnbench --tcti none --no-kmod --policy $T/off.conf > $T/agent.log 2>&1 &
AG=$!
for i in $(seq 1 300); do [ -S $TRUSTNODE_SOCKET ] && break; sleep 0.1; done
$B/trustctl status | head -3
sysctl -qw kernel.bpf_stats_enabled=1
stat_of() { bpftool prog show name tn_lsm_file_open | sed -n 's/.*run_time_ns \([0-9]*\) run_cnt \([0-9]*\).*/\1 \2/p'; }
run_in() { # cgroup
	sh -c "echo \$\$ > $1/cgroup.procs; exec $B/bench/openloop $T/data/d1/d2/d3 20000"
}
one() { # label cgroup
	read ns0 c0 < <(stat_of)
	wall=$(run_in $2)
	read ns1 c1 < <(stat_of)
	echo "$1 prog_ns_per_call=$(( (ns1 - ns0) / (c1 - c0) )) calls=$((c1 - c0)) wall_ns_per_open_close=$wall"
}
for r in 1 2 3 4 5; do
	$B/trustctl policy load $T/off.conf > /dev/null
	one "round$r outside/off" $ROOT/other
	one "round$r workload   " $ROOT/wl
	$B/trustctl policy load $T/on.conf > /dev/null
	one "round$r outside/on " $ROOT/other
done
$B/trustctl status | grep -i 'readers'
sysctl -qw kernel.bpf_stats_enabled=0
kill $AG; wait $AG
TRUSTNODE_QUIET_LIBBPF=1 $B/trustnoded --unload --pin-dir /sys/fs/bpf/tnbench > /dev/null 2>&1
rmdir $ROOT/wl $ROOT/other $ROOT
rm -rf $T
