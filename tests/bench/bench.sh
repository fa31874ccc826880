#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make bench: what trustnode costs, as ratios to the same operations with
# nothing loaded, and what the nearest alternative (nftables) costs.
#
#   tests/bench/bench.sh [BUILD_DIR]        (root; BUILD_DIR defaults to build)
#
# Operations (tests/bench/tnbench.c): open()+close() of an untagged file
# on a filesystem without tags (open) and of one in $TMP/tagfs/CFG/a/b/c/d/e
# on the filesystem that holds the tag (opentag: each open walks up to its
# root in search of a tagged directory), TCP connect() on loopback,
# loopback TCP throughput, UDP sendto() on loopback; and the hot paths of
# taint propagation: 64-byte pwrite()s to a file, loopback TCP throughput
# to a reader in another cgroup (a second workload), 64-byte write()s on a
# unix stream socket and on a pipe to a reader in that other cgroup.
# Configurations:
#
#   baseline     nothing loaded (agent stopped, trustnoded --unload run)
#   A/A          the baseline again, measured separately: the noise floor
#   tainted      trustnode loaded; a process in a workload that opened a
#                tagged file (loopback stays allowed, so this is the cost of
#                the checks)
#   untainted    trustnode loaded; a process in a workload that is not tainted
#   outside wl   trustnode loaded; a process below trustnode's cgroup but in
#                no workload
#   outside cg   trustnode loaded; a process in a cgroup not below trustnode's
#   nftables     no trustnode; an nftables output chain that rejects the
#                workload cgroups' traffic (socket cgroupv2) to anything but
#                the same prefixes and loopback
#   floor        no trustnode; on every hook trustnoded attached to in this
#                mode, a program that does nothing (tests/bench/tnfloor.c),
#                measured from the untainted workload's cgroup: what any
#                program on those hooks costs, before its first instruction
#
# The reader of the two-cgroup operations is in the untainted workload
# "clean2" for baseline, A/A, untainted, nftables and floor; in the sender's own
# cgroup for tainted (so nothing new gets tainted), outside wl and outside
# cg.
#
# Timings on a small VM drift by 10% and more within seconds, so the run is
# many short rounds; each round measures every configuration (in a rotating
# order), loading and unloading trustnode and the nftables rules. The report
# gives, per configuration, the median over rounds of its ratio to the same
# round's baseline, with a 95% confidence interval of that median. Everything
# runs in a network namespace of its own; BPF programs attach only below a
# cgroup this script creates. Informational: the exit status is 0 unless the
# benchmark could not run.
#
# Environment: TNBENCH_ROUNDS (24), TNBENCH_OPEN (40000), TNBENCH_WRITE
# (40000), TNBENCH_CONNECT (3000), TNBENCH_TPUT_SECONDS (0.15), TNBENCH_UDP
# (20000), TNBENCH_MSGS (20000, unix and pipe writes); TNBENCH_OPS (all of
# "open opentag write connect tput tput2 udp unix pipe") to run fewer; TNBENCH_RAW=DIR
# keeps the per-round numbers there; TNBENCH_ATTACH=lsm|fentry|cgroup forces
# trustnoded's mode; TNBENCH_COSTS=0 skips the per-program costs;
# TNBENCH_PAUSE_AGENT=1 stops trustnoded (SIGSTOP) while its configurations
# are measured: the programs' cost without the agent's periodic work (a
# diagnostic: no events are read meanwhile);
# TNBENCH_SUMMARY=1 adds machine-readable lines (bench-summary:).
#
# Per-program costs: after the rounds, one more pass over the trustnode
# configurations runs with kernel.bpf_stats_enabled=1 (it adds a clock read
# to every program run, so the ratios above are measured without it) and
# prints, for each operation, what each of trustnode's programs (those behind
# the links pinned under the pin directory) cost per operation: run_time_ns
# and run_cnt over the operation's count. That explains each ratio by the
# hooks that cause it; what is not in it (the syscall tracepoint's slow path,
# the kernel's own hook dispatch) is the rest of the gap.

set -u

O=${1:-build}
ROUNDS=${TNBENCH_ROUNDS:-24}
N_OPEN=${TNBENCH_OPEN:-40000}
N_CONNECT=${TNBENCH_CONNECT:-3000}
TPUT_SECONDS=${TNBENCH_TPUT_SECONDS:-0.15}
N_UDP=${TNBENCH_UDP:-20000}
N_WRITE=${TNBENCH_WRITE:-40000}
N_MSGS=${TNBENCH_MSGS:-20000}
COSTS=${TNBENCH_COSTS:-1}
PAUSE_AGENT=${TNBENCH_PAUSE_AGENT:-0}

PREFIX=198.51.100.0/24		# the policy's local prefix
PROBE=192.0.2.1			# exists only on lo in our network namespace
OPS=${TNBENCH_OPS:-open opentag write connect tput tput2 udp unix pipe}

fail() {
	echo "bench: $*" >&2
	exit 1
}

[ "$(id -u)" = 0 ] || fail "must run as root (it loads BPF programs and creates a network namespace)"
for c in ip nsenter unshare nft bpftool mount timeout awk; do
	command -v $c > /dev/null || fail "$c is not installed"
done
TRUSTNODED=$(realpath -e "$O/trustnoded") || fail "build first: make all $O/bench/tnbench"
TRUSTCTL=$(realpath -e "$O/trustctl") || fail "build first: make all $O/bench/tnbench"
TNBENCH=$(realpath -e "$O/bench/tnbench") || fail "build first: make all $O/bench/tnbench"
TNFLOOR=$(realpath -e "$O/bench/tnfloor") || fail "build first: make $O/bench/tnfloor"
BPF_OBJ=$(realpath -e "$O/trustnode.bpf.o") || fail "build first: make all"

CG2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
[ -n "$CG2" ] || fail "no cgroup2 file system is mounted"

ID=$$
R=$CG2/tnbench.$ID		# trustnode's cgroup
EXT=$CG2/tnbench-ext.$ID	# not below it
NS=tnbench-$ID
NSPATH=/var/run/netns/$NS
PIN=/sys/fs/bpf/tnbench-$ID	# bpffs names cannot contain dots
TMP=
FILES=
AGENT_PID=
FLOOR_PID=
STATS_WAS=

# ---- cleanup, on every exit ----------------------------------------------

stop_agent() {
	local i

	[ -n "$AGENT_PID" ] || return 0
	kill -CONT "$AGENT_PID" 2> /dev/null	# TNBENCH_PAUSE_AGENT
	kill -TERM "$AGENT_PID" 2> /dev/null
	for i in $(seq 50); do
		kill -0 "$AGENT_PID" 2> /dev/null || break
		sleep 0.1
	done
	kill -KILL "$AGENT_PID" 2> /dev/null
	wait "$AGENT_PID" 2> /dev/null
	AGENT_PID=
}

unload() {
	[ -e "$PIN" ] || return 0
	"$TRUSTNODED" --unload --pin-dir "$PIN" 2> /dev/null ||
		echo "bench: trustnoded --unload --pin-dir $PIN failed" >&2
}

# Only this script puts processes in these cgroups.
remove_cgroup() {
	local cg=$1 i pid

	[ -d "$cg" ] || return 0
	for i in $(seq 50); do
		while read -r pid; do
			kill -KILL "$pid" 2> /dev/null
		done < "$cg/cgroup.procs"
		rmdir "$cg" 2> /dev/null && return 0
		sleep 0.1
	done
	echo "bench: cannot remove cgroup $cg" >&2
}

cleanup() {
	local cg

	trap - EXIT INT TERM HUP
	[ -n "$STATS_WAS" ] && sysctl -qw kernel.bpf_stats_enabled="$STATS_WAS"
	stop_agent
	stop_floor
	unload
	ip netns del "$NS" 2> /dev/null
	for cg in "$R/tainted" "$R/clean" "$R/clean2" "$R/outside" "$R" "$EXT/w" "$EXT"; do
		remove_cgroup "$cg"
	done
	[ -n "$TMP" ] && rm -rf "$TMP"
	[ -n "$FILES" ] && rm -rf "$FILES"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# ---- setup ---------------------------------------------------------------

# TMPDIR if set: the tagged file must not be on overlayfs (the guest suite).
TMP=$(mktemp -d "${TMPDIR:-/tmp}/tnbench.XXXXXX") || fail "mktemp failed"
# The untagged files go on tmpfs if there is one: the cheapest open(), so
# the largest relative overhead.
if [ "$(stat -f -c %T /dev/shm 2> /dev/null)" = tmpfs ]; then
	FILES=$(mktemp -d /dev/shm/tnbench.XXXXXX) || fail "mktemp failed"
else
	mkdir "$TMP/files" && FILES=$TMP/files
fi
echo "not really secret" > "$TMP/secret"
mkdir -p "$R/tainted" "$R/clean" "$R/clean2" "$R/outside" "$EXT/w" ||
	fail "cannot create cgroups below $CG2"

ip netns add "$NS" || fail "cannot create network namespace $NS"
ip -n "$NS" link set lo up || fail "cannot set up lo in $NS"
ip -n "$NS" addr add "$PROBE/32" dev lo || fail "cannot add $PROBE in $NS"

cat > "$TMP/policy" <<EOF
mode = "enforce";
local_prefixes = [ "$PREFIX" ];
workloads = ( { name = "tainted"; cgroup = "$R/tainted"; },
              { name = "clean"; cgroup = "$R/clean"; },
              { name = "clean2"; cgroup = "$R/clean2"; } );
EOF

# nftables resolves "socket cgroupv2" paths below /sys/fs/cgroup, relative
# to the cgroup2 root, when the rules are loaded.
rel=${R#"$CG2"/}
level=$(awk -F/ '{ print NF + 1 }' <<< "$rel")
cat > "$TMP/rules.nft" <<EOF
table inet tnbench {
	set local4 {
		type ipv4_addr; flags interval;
		elements = { 127.0.0.0/8, $PREFIX }
	}
	set local6 {
		type ipv6_addr; flags interval;
		elements = { ::1/128 }
	}
	chain out {
		type filter hook output priority filter; policy accept;
		socket cgroupv2 level $level "$rel/tainted" ip daddr != @local4 reject
		socket cgroupv2 level $level "$rel/tainted" ip6 daddr != @local6 reject
		socket cgroupv2 level $level "$rel/clean" ip daddr != @local4 reject
		socket cgroupv2 level $level "$rel/clean" ip6 daddr != @local6 reject
	}
}
EOF

# Runs a command in cgroup $1 and our network namespace. It moves into the
# cgroup first: ip netns exec would remount /sys and hide the cgroup mounts.
in_cgroup() {
	local cg=$1

	shift
	( echo "$BASHPID" > "$cg/cgroup.procs" &&
	  exec timeout 60 nsenter --net="$NSPATH" "$@" )
}

expect_reach() {
	local got

	got=$(in_cgroup "$1" "$TNBENCH" reach "$PROBE")
	case $got in
	"$2"*)	;;
	*)	fail "$3: from $1 a connect to $PROBE should be $2 but was: $got" ;;
	esac
}

# ---- trustnode and nftables, on and off -----------------------------------

attached_below_r() {
	bpftool cgroup show "$R" 2> /dev/null | awk 'NR > 1 && NF' | wc -l
}

start_trustnode() {
	local i

	rm -rf "$TMP/state" "$TMP/run"
	# Without a TPM (--tcti none): attestation is not on the measured
	# paths, and a TPM's latency is outside the guest's instruction-count
	# clock (tests/bench/guest-bench.sh), whose idle guest skips ahead: a
	# TPM command there can take seconds of guest time, or time out.
	# The wait below is long for the same reason (it ends at the socket).
	TRUSTNODE_QUIET_LIBBPF=1 "$TRUSTNODED" --cgroup "$R" \
		${TNBENCH_ATTACH:+--attach "$TNBENCH_ATTACH"} --state-dir "$TMP/state" --run-dir "$TMP/run" \
		--pin-dir "$PIN" --policy "$TMP/policy" --tcti none 2>> "$TMP/agent.log" &
	AGENT_PID=$!
	export TRUSTNODE_SOCKET=$TMP/run/control.sock
	for i in $(seq 1200); do
		[ -S "$TRUSTNODE_SOCKET" ] && break
		kill -0 "$AGENT_PID" 2> /dev/null || break
		sleep 0.05
	done
	[ -S "$TRUSTNODE_SOCKET" ] || { cat "$TMP/agent.log" >&2; fail "trustnoded did not start"; }
	"$TRUSTCTL" tag "$TMP/secret" --label phi > /dev/null || fail "trustctl tag failed"
	in_cgroup "$R/tainted" cat "$TMP/secret" > /dev/null || fail "cannot read $TMP/secret"
	check_taint
	# The checks must be live: a tainted workload may not reach $PROBE.
	expect_reach "$R/tainted" denied trustnode
	expect_reach "$R/clean" allowed trustnode
	MODE=$("$TRUSTCTL" status | awk '$1 == "attach:" { print $2 }')
}

# The columns say what they measure: 'tainted' tainted, 'clean' and
# 'clean2' not (checked when trustnode starts and before it stops).
check_taint() {
	local taint

	taint=$("$TRUSTCTL" workload list |
		awk '$1 == "tainted" { t = $2 } $1 == "clean" { c = $2 } $1 == "clean2" { d = $2 }
		     END { print t "/" c "/" d }')
	[ "$taint" = "phi/-/-" ] ||
		fail "expected workload 'tainted' tainted with phi and 'clean', 'clean2' untainted, got $taint"
}

stop_trustnode() {
	check_taint
	stop_agent
	unload
	[ "$(attached_below_r)" = 0 ] ||
		fail "programs still attached to $R after trustnoded --unload"
}

# nftables' kernel side, loaded by hand: the test guest (tests/guest/) runs
# its userspace chrooted over 9p, where the kernel's own module autoloading
# finds no modprobe, so nft would fail with "Unable to initialize Netlink
# socket: Protocol not supported". Elsewhere this is a no-op (the modules
# are built in, loaded already, or loaded on demand). Checked once, before
# the rounds, so that a kernel without them fails here with the reason.
check_nft() {
	modprobe -q -a nf_tables nft_socket nft_reject_inet 2> /dev/null
	nsenter --net="$NSPATH" nft list tables > /dev/null 2> "$TMP/nft.err" ||
		fail "nftables does not work here ($(head -1 "$TMP/nft.err")); the nftables column needs nf_tables, nft_socket and nft_reject_inet (modprobe them)"
	start_nft
	stop_nft
}

start_nft() {
	nsenter --net="$NSPATH" unshare -m sh -c \
		'mount -t cgroup2 none /sys/fs/cgroup && exec nft -f "$1"' \
		sh "$TMP/rules.nft" || fail "cannot load the nftables rules"
	expect_reach "$R/tainted" denied nftables
	expect_reach "$R/outside" allowed nftables
}

stop_nft() {
	nsenter --net="$NSPATH" nft delete table inet tnbench ||
		fail "cannot delete the nftables table"
}

# The floor: the programs trustnoded attaches in this mode (names in
# $TN_PROGS, found by probe_floor), each replaced by one that does nothing.
probe_floor() {
	start_trustnode
	TN_PROGS=$(prog_counters "$(tn_prog_ids)" | awk '{ print $2 }')
	TN_LINKS=$(find "$PIN/links" -mindepth 1 -maxdepth 1 | wc -l)
	stop_trustnode
	[ -n "$TN_PROGS" ] || fail "no program of trustnoded's found behind its links in $PIN/links"
	start_floor
	stop_floor || fail "the floor's programs still attached to $R"
}

start_floor() {
	local i got

	rm -f "$TMP/floor.in" "$TMP/floor.out"
	mkfifo "$TMP/floor.in" || fail "mkfifo failed"
	# shellcheck disable=SC2086
	"$TNFLOOR" "$BPF_OBJ" "$R" $TN_PROGS < "$TMP/floor.in" > "$TMP/floor.out" 2> "$TMP/floor.err" &
	FLOOR_PID=$!
	exec 7> "$TMP/floor.in"		# tnfloor holds its programs until EOF
	for i in $(seq 1200); do
		got=$(awk '$1 == "attached" { print $2 }' "$TMP/floor.out")
		[ -n "$got" ] && break
		kill -0 "$FLOOR_PID" 2> /dev/null || break
		sleep 0.05
	done
	[ "$got" = "$TN_LINKS" ] ||
		fail "the floor: tnfloor attached '${got}' programs, trustnoded $TN_LINKS links ($(cat "$TMP/floor.err"))"
}

stop_floor() {
	[ -n "$FLOOR_PID" ] || return 0
	exec 7>&-
	wait "$FLOOR_PID" 2> /dev/null
	FLOOR_PID=
	[ "$(attached_below_r)" = 0 ]
}

# trustnoded's own CPU time so far, in ns (all its threads; schedstat).
agent_cpu_ns() {
	cat /proc/"$AGENT_PID"/task/*/schedstat 2> /dev/null | awk '{ s += $1 } END { printf "%.0f\n", s }'
}

# ---- measuring -------------------------------------------------------------

cgroup_of() {
	case $1 in
	base|aa|nft|tainted)	echo "$R/tainted" ;;
	clean|floor)		echo "$R/clean" ;;
	outside)		echo "$R/outside" ;;
	ext)			echo "$EXT/w" ;;
	esac
}

# Where the reader of the two-cgroup operations runs.
peer_of() {
	case $1 in
	base|aa|nft|clean|floor) echo "$R/clean2" ;;
	*)			cgroup_of "$1" ;;
	esac
}

# One run of operation $1 in configuration $2: prints its rate.
run_op() {
	local op=$1 cfg=$2 cg peer files v

	cg=$(cgroup_of "$cfg")
	peer=$(peer_of "$cfg")
	# A file of its own per configuration: the tainted workload's writes
	# give its file a derived tag, and the untainted one must not read it.
	files=$FILES/$cfg
	[ "$op" = opentag ] && files=$TMP/tagfs/$cfg/a/b/c/d/e
	mkdir -p "$files" || fail "cannot create $files"
	case $op in
	open|opentag)	v=$(in_cgroup "$cg" "$TNBENCH" open "$N_OPEN" "$files") ;;
	write)		v=$(in_cgroup "$cg" "$TNBENCH" write "$N_WRITE" "$files") ;;
	connect)	v=$(in_cgroup "$cg" "$TNBENCH" connect "$N_CONNECT") ;;
	tput)		v=$(in_cgroup "$cg" "$TNBENCH" tput "$TPUT_SECONDS") ;;
	tput2)		v=$(in_cgroup "$cg" "$TNBENCH" tput2 "$TPUT_SECONDS" "$peer") ;;
	udp)		v=$(in_cgroup "$cg" "$TNBENCH" udp "$N_UDP") ;;
	unix)		v=$(in_cgroup "$cg" "$TNBENCH" unix "$N_MSGS" "$peer") ;;
	pipe)		v=$(in_cgroup "$cg" "$TNBENCH" pipe "$N_MSGS" "$peer") ;;
	esac
	[ -n "$v" ] || fail "tnbench $op failed in $cg ($cfg)"
	echo "$v"
}

measure() {
	local round=$1 cfg=$2 op v

	for op in $OPS; do
		v=$(run_op "$op" "$cfg") || exit 1
		echo "$round $v" >> "$TMP/res.$op.$cfg"
	done
}

# How many operations one run of $1 did, given its rate $2: the counted
# loops run N, and N/10 untimed first; throughput counts megabytes.
ops_of() {
	local n

	case $1 in
	open|opentag)	n=$N_OPEN ;;
	write)		n=$N_WRITE ;;
	connect)	n=$N_CONNECT ;;
	udp)		n=$N_UDP ;;
	unix|pipe)	n=$N_MSGS ;;
	tput|tput2)	awk -v r="$2" -v s="$TPUT_SECONDS" 'BEGIN { print r * s }'; return ;;
	esac
	echo $(( n + n / 10 ))
}

# The ids of the programs behind the links trustnoded pinned, one a line.
tn_prog_ids() {
	local l

	for l in "$PIN"/links/*; do
		bpftool link show pinned "$l" 2> /dev/null |
			awk 'NR == 1 { for (i = 1; i < NF; i++) if ($i == "prog") print $(i + 1) }'
	done | sort -un
}

# "id name run_time_ns run_cnt" of the programs with the ids in $1
# (kernel.bpf_stats_enabled must be 1 for the two counters to move). One
# bpftool reads them all: its start opens and reads files, which
# trustnode's programs see, and with a bpftool per program those runs fell
# between one program's reading and the next, inside the measured interval
# (about one open and two reads per UDP send were bpftool's).
prog_counters() {
	bpftool prog show 2> /dev/null | awk -v ids="$1" '
		BEGIN { n = split(ids, a, " "); for (i = 1; i <= n; i++) want[a[i]] = 1 }
		/^[0-9]+:/ {
			id = $1; sub(":", "", id)
			if (!(id in want)) next
			name = ""; t = 0; c = 0
			for (i = 2; i < NF; i++) {
				if ($i == "name") name = $(i + 1)
				if ($i == "run_time_ns") t = $(i + 1)
				if ($i == "run_cnt") c = $(i + 1)
			}
			print id, name, t + 0, c + 0 }'
}

# The per-program pass: for each trustnode configuration and operation, the
# programs' counters before and after one run, as "name ns/op runs/op" in
# $TMP/cost.OP.CFG.
measure_costs() {
	local cfg op v n ids

	STATS_WAS=$(sysctl -n kernel.bpf_stats_enabled) || fail "no kernel.bpf_stats_enabled"
	sysctl -qw kernel.bpf_stats_enabled=1 || fail "cannot set kernel.bpf_stats_enabled"
	start_trustnode
	ids=$(tn_prog_ids)
	for cfg in tainted clean outside ext; do
		for op in $OPS; do
			prog_counters "$ids" > "$TMP/before"
			v=$(run_op "$op" "$cfg") || exit 1
			prog_counters "$ids" > "$TMP/after"
			n=$(ops_of "$op" "$v")
			awk -v n="$n" 'NR == FNR { t[$1] = $3; c[$1] = $4; next }
				$4 > c[$1] { printf "%s %.1f %.3f\n", $2, ($3 - t[$1]) / n, ($4 - c[$1]) / n }' \
				"$TMP/before" "$TMP/after" > "$TMP/cost.$op.$cfg"
		done
	done
	stop_trustnode
	sysctl -qw kernel.bpf_stats_enabled="$STATS_WAS"
	STATS_WAS=
}

run_block() {
	local round=$1 block=$2 cfg i cpu0 t0

	case $block in
	base|aa)
		# Nothing of ours is loaded now: a syscall tracepoint link is
		# someone else's (another trustnode, a tracer), and it would
		# slow this baseline.
		if bpftool link list 2> /dev/null | grep -qE "tp '(sys_exit|sys_enter)'"; then
			echo "$round" >> "$TMP/foreign"
		fi
		measure "$round" "$block" ;;
	nft)
		start_nft
		measure "$round" nft
		stop_nft ;;
	floor)
		start_floor
		measure "$round" floor
		stop_floor || fail "the floor's programs still attached to $R" ;;
	tn)
		start_trustnode
		set -- tainted clean outside ext
		for ((i = 0; i < round % 4; i++)); do set -- "$@" "$1"; shift; done
		# The agent's periodic work while its configurations run: on a
		# one-CPU machine it is part of every trustnode cell.
		cpu0=$(agent_cpu_ns) t0=$(date +%s%N)
		[ "$PAUSE_AGENT" = 1 ] && kill -STOP "$AGENT_PID"
		for cfg in "$@"; do measure "$round" "$cfg"; done
		[ "$PAUSE_AGENT" = 1 ] && kill -CONT "$AGENT_PID"
		echo "$(( $(agent_cpu_ns) - cpu0 )) $(( $(date +%s%N) - t0 ))" >> "$TMP/agentcpu"
		stop_trustnode ;;
	esac
}

# Programs on the cgroup2 root run in every configuration, baseline
# included; so do programs on the syscall tracepoints (checked before each
# baseline run).
foreign_cg=$(bpftool cgroup show "$CG2" 2> /dev/null | awk 'NR > 1 && NF' | wc -l)
[ "$(attached_below_r)" = 0 ] || fail "$R already has programs attached"

check_nft
probe_floor

printf 'bench: %d rounds of every configuration, about 12 s each: ' "$ROUNDS" >&2
start=$(date +%s)
for round in $(seq "$ROUNDS"); do
	set -- base nft tn aa floor
	for ((i = 0; i < round % 5; i++)); do set -- "$@" "$1"; shift; done
	for block in "$@"; do run_block "$round" "$block"; done
	printf '.' >&2
done
echo >&2
elapsed=$(( $(date +%s) - start ))
for op in $OPS; do
	[ -s "$TMP/res.$op.base" ] || fail "the rounds did not finish: no baseline result for $op"
done
if [ "$COSTS" = 1 ]; then
	echo "bench: the per-program pass (kernel.bpf_stats_enabled=1)" >&2
	measure_costs
fi
if [ -n "${TNBENCH_RAW:-}" ]; then
	mkdir -p "$TNBENCH_RAW" && cp "$TMP"/res.* "$TNBENCH_RAW"/ &&
		echo "bench: per-round rates (round value) in $TNBENCH_RAW/res.OP.CONFIG" >&2
fi

# ---- report ----------------------------------------------------------------

# "median low high" of column 2 of stdin: low and high bound a 95% confidence
# interval of the median (order statistics, normal approximation).
stats() {
	sort -g -k2 | awk '{ v[NR] = $2 } END {
		if (!NR) exit 1
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		d = 0.98 * sqrt(NR)
		lo = int(NR / 2 - d); if (lo < 1) lo = 1
		hi = int(NR / 2 + 1 + d + 0.999); if (hi > NR) hi = NR
		print m, v[lo], v[hi] }'
}

# Per-round ratio of a configuration to the same round's baseline: the mean
# of its two baseline runs (base, aa), which sit at different places in the
# round. A/A itself is aa / base.
ratios() {
	if [ "$2" = aa ]; then
		awk 'NR == FNR { b[$1] = $2; next } b[$1] > 0 { print $1, $2 / b[$1] }' \
			"$TMP/res.$1.base" "$TMP/res.$1.aa"
	else
		awk 'FILENAME ~ /base$|aa$/ { b[$1] += $2 / 2; next }
		     b[$1] > 0 { print $1, $2 / b[$1] }' \
			"$TMP/res.$1.base" "$TMP/res.$1.aa" "$TMP/res.$1.$2"
	fi
}

# Half the interquartile range of column 2, as a percentage of the median.
spread() {
	sort -g -k2 | awk '{ v[NR] = $2 } END {
		q1 = v[int(NR / 4) + 1]; q3 = v[int(3 * NR / 4) + 1]
		m = v[int(NR / 2) + 1]
		printf "%.0f", 50 * (q3 - q1) / m }'
}

rate() {
	awk -v v="$1" -v tput="$2" 'BEGIN {
		if (tput) printf "%.0f MB/s", v
		else if (v >= 1e6) printf "%.2fM/s", v / 1e6
		else printf "%.1fk/s", v / 1e3 }'
}

label() {
	case $1 in
	open)		echo "open()+close()" ;;
	opentag)	echo "open() tag fs" ;;
	write)		echo "write() 64 B" ;;
	connect)	echo "TCP connect()" ;;
	tput)		echo "TCP throughput" ;;
	tput2)		echo "TCP tput wl>wl" ;;
	udp)		echo "UDP sendto()" ;;
	unix)		echo "unix write()" ;;
	pipe)		echo "pipe write()" ;;
	esac
}

declare -A MED LO HI
echo
echo "trustnode bench: $ROUNDS rounds in ${elapsed}s; kernel $(uname -r), $(nproc) CPUs; trustnode in $MODE mode"
echo "files on $(stat -f -c %T "$FILES"), one per configuration (untagged; the tainted workload's is a derived tag, its own write made it one); opentag's on $(stat -f -c %T "$TMP"), with the tagged file; loopback traffic in network namespace $NS"
foreign_tp=$(sort -u "$TMP/foreign" 2> /dev/null | wc -l)
if [ "$foreign_tp" != 0 ] || [ "$foreign_cg" != 0 ]; then
	echo "WARNING: BPF programs not loaded by this benchmark ran during baseline runs:"
	[ "$foreign_tp" != 0 ] &&
		echo "  in $foreign_tp of $ROUNDS rounds, one on the sys_enter/sys_exit tracepoint (bpftool link list); it slows every syscall"
	[ "$foreign_cg" != 0 ] &&
		echo "  $foreign_cg on the cgroup2 root $CG2 (bpftool cgroup show $CG2), in every configuration"
	echo "  so the ratios understate trustnode's cost on a clean machine."
fi
awk -v cpus="$(nproc)" '{ c += $1; t += $2 } END {
	if (t > 0) printf "trustnoded itself: %.2f%% of one CPU while its configurations ran (its own threads; %d CPUs here)\n", 100 * c / t, cpus }' "$TMP/agentcpu"
echo
printf '%-15s %-19s' "" "baseline"
for h in "A/A" "tainted" "untainted" "outside wl" "outside cg" "nftables" "floor"; do
	printf ' %-18s' "$h"
done
echo
for op in $OPS; do
	cat "$TMP/res.$op.base" "$TMP/res.$op.aa" > "$TMP/all.$op.base"
	read -r m _ _ < <(stats < "$TMP/all.$op.base")
	printf '%-15s %-19s' "$(label "$op")" \
		"$(rate "$m" "$(case $op in tput*) echo 1 ;; *) echo 0 ;; esac)") ±$(spread < "$TMP/all.$op.base")%"
	for cfg in aa tainted clean outside ext nft floor; do
		read -r m lo hi < <(ratios "$op" "$cfg" | stats)
		MED[$op.$cfg]=$m LO[$op.$cfg]=$lo HI[$op.$cfg]=$hi
		printf ' %-18s' "$(printf '%.3f %.2f-%.2f' "$m" "$lo" "$hi")"
	done
	echo
done
# TNBENCH_SUMMARY=1: one line per operation for tests/bench/guest-bench.sh,
# which puts the modes side by side: mode, operation, then the medians of
# A/A, tainted, untainted, outside wl, outside cg, nftables, floor.
if [ "${TNBENCH_SUMMARY:-0}" = 1 ]; then
	for op in $OPS; do
		echo "bench-summary: $MODE $op ${MED[$op.aa]} ${MED[$op.tainted]} ${MED[$op.clean]} ${MED[$op.outside]} ${MED[$op.ext]} ${MED[$op.nft]} ${MED[$op.floor]}"
	done
fi

cat <<EOF

Each cell: the median over rounds of (rate / that round's baseline rate),
and a 95% confidence interval of that median; 0.970 means 3% slower. Each
round measures the baseline twice, at different places in the round; its
baseline rate is the mean of the two. The baseline column is the median of
all baseline runs, ± half their interquartile range. A/A is one baseline run
over the other: it should be 1.00, and its interval shows what this machine
can resolve (it is wider than the others, whose reference is a mean).
  tainted, untainted  a process in a trustnode workload that opened a tagged
                      file, or not; loopback traffic is allowed either way
  outside wl          below trustnode's cgroup, in no workload
  outside cg          in a cgroup that is not below trustnode's
  nftables            no trustnode; an output chain rejecting the workload
                      cgroups (socket cgroupv2) to all but $PREFIX and loopback
  floor               no trustnode; a program that does nothing on each hook
                      trustnoded uses in $MODE mode, run from the untainted
                      workload's cgroup: the hooks' own cost, which any
                      program there pays; what untainted costs beyond it is
                      trustnode's programs' work
The propagation hot paths: "write() 64 B" is pwrite() to an untagged file;
"TCP tput wl>wl", "unix write()" and "pipe write()" send to a reader in
another cgroup: the untainted workload clean2 (baseline, A/A, untainted,
nftables, floor), or the sender's own cgroup (tainted, outside wl, outside cg).
In cgroup mode unix sockets and pipes are not watched at all; in lsm mode
every read and write of a pipe or socket passes lsm/file_permission.

Targets, for each trustnode configuration: "met" if the whole interval is
within the target, "missed" if it is entirely outside, "unclear" otherwise.
EOF

verdict() {
	local op=$1 min=$2 cfg out="" v

	for cfg in tainted clean outside ext; do
		v=$(awk -v m="${MED[$op.$cfg]}" -v lo="${LO[$op.$cfg]}" \
			-v hi="${HI[$op.$cfg]}" -v t="$min" 'BEGIN {
			printf "%s %.3f", (lo >= t ? "met" : hi < t ? "missed" : "unclear"), m }')
		out="$out  $(printf '%-18s' "$v")"
	done
	echo "$out"
}
printf '  %-22s  %-18s  %-18s  %-18s  %s\n' "" tainted untainted "outside wl" "outside cg"
target() {
	case " $OPS " in
	*" $2 "*) printf '  %-22s%s\n' "$1" "$(verdict "$2" "$3")" ;;
	esac
}
target "open() within 5%" open 0.95
target "connect() within 5%" connect 0.95
target "throughput within 3%" tput 0.97
target "write() within 5%" write 0.95
target "wl>wl tput within 3%" tput2 0.97
echo "  (UDP sendto(), unix and pipe writes have no target.)"

[ "$COSTS" = 1 ] || exit 0
cat <<EOF

Per-program costs, from one run of each operation with
kernel.bpf_stats_enabled=1: nanoseconds of BPF run time per operation (per
MB for throughput) and, in brackets, runs per operation, for each of
trustnode's programs that ran. "all" is their sum, and after "=" the ratio
these programs alone would give against the baseline's time per operation
("base", 1 / its median rate). Programs on tracepoints run for every process
on the machine, so their counts include whatever else ran meanwhile; the
slow path a syscall tracepoint forces on every syscall is not BPF run time
and is not in these figures.
EOF
for op in $OPS; do
	read -r m _ _ < <(stats < "$TMP/all.$op.base")
	base=$(awk -v m="$m" -v op="$op" 'BEGIN {
		printf (op ~ /^tput/ ? "%.0f ns/MB" : "%.0f ns"), 1e9 / m }')
	echo
	printf '%-28s' "$(label "$op") (base $base)"
	for h in tainted untainted "outside wl" "outside cg"; do printf ' %-15s' "$h"; done
	echo
	cat "$TMP"/cost."$op".* 2> /dev/null | awk '{ print $1 }' | sort -u > "$TMP/names"
	while read -r name; do
		printf '  %-26s' "$name"
		for cfg in tainted clean outside ext; do
			printf ' %-15s' "$(awk -v p="$name" '$1 == p { printf "%.0f (%.2f)", $2, $3; f = 1 }
				END { if (!f) printf "-" }' "$TMP/cost.$op.$cfg")"
		done
		echo
	done < "$TMP/names"
	printf '  %-26s' "all"
	for cfg in tainted clean outside ext; do
		printf ' %-15s' "$(awk -v m="$m" '{ s += $2 } END {
			b = 1e9 / m; printf "%.0f =%.3f", s, b / (b + s) }' "$TMP/cost.$op.$cfg")"
	done
	echo
done
exit 0
