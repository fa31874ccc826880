#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make bench: what trustnode costs, as ratios to the same operations with
# nothing loaded, and what the nearest alternative (nftables) costs.
#
#   tests/bench/bench.sh [BUILD_DIR]        (root; BUILD_DIR defaults to build)
#
# Operations (tests/bench/tnbench.c): open()+close() of an untagged file,
# TCP connect() on loopback, loopback TCP throughput, UDP sendto() on
# loopback. Configurations:
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
#
# Timings on a small VM vary by 10-15% from run to run, so every round runs
# every configuration (in a rotating order) and the report gives, for each
# configuration, the median over rounds of its ratio to that round's
# baseline, with the lowest and highest per-round ratio. Everything runs in a
# network namespace of its own; BPF programs attach only below a cgroup this
# script creates. Informational: the exit status is 0 unless the benchmark
# could not run.
#
# Environment: TNBENCH_ROUNDS (6), TNBENCH_OPEN (150000), TNBENCH_CONNECT
# (10000), TNBENCH_TPUT_SECONDS (1), TNBENCH_UDP (70000).

set -u

O=${1:-build}
ROUNDS=${TNBENCH_ROUNDS:-6}
N_OPEN=${TNBENCH_OPEN:-150000}
N_CONNECT=${TNBENCH_CONNECT:-10000}
TPUT_SECONDS=${TNBENCH_TPUT_SECONDS:-1}
N_UDP=${TNBENCH_UDP:-70000}

PREFIX=198.51.100.0/24		# the policy's local prefix
PROBE=192.0.2.1			# exists only on lo in our network namespace
OPS="open connect tput udp"
CONFIGS="base aa tainted clean outside ext nft"

fail() {
	echo "bench: $*" >&2
	exit 1
}

[ "$(id -u)" = 0 ] || fail "must run as root (it loads BPF programs and creates a network namespace)"
for c in ip nsenter unshare nft bpftool mount timeout awk; do
	command -v $c >/dev/null || fail "$c is not installed"
done
TRUSTNODED=$(realpath -e "$O/trustnoded") || fail "build first: make all $O/bench/tnbench"
TRUSTCTL=$(realpath -e "$O/trustctl") || fail "build first"
TNBENCH=$(realpath -e "$O/bench/tnbench") || fail "build first: make $O/bench/tnbench"

CG2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
[ -n "$CG2" ] || fail "no cgroup2 file system is mounted"

ID=$$
R=$CG2/tnbench.$ID			# trustnode's cgroup
EXT=$CG2/tnbench-ext.$ID		# not below it
NS=tnbench-$ID
NSPATH=/var/run/netns/$NS
PIN=/sys/fs/bpf/tnbench-$ID		# bpffs names cannot contain dots
TMP=
FILES=
AGENT_PID=
NFT_LOADED=

# ---- cleanup: on every exit ----------------------------------------------

stop_agent() {
	local i

	[ -n "$AGENT_PID" ] || return 0
	kill -TERM "$AGENT_PID" 2>/dev/null
	for i in $(seq 50); do
		kill -0 "$AGENT_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$AGENT_PID" 2>/dev/null
	wait "$AGENT_PID" 2>/dev/null
	AGENT_PID=
}

unload() {
	[ -e "$PIN" ] || return 0
	"$TRUSTNODED" --unload --pin-dir "$PIN" 2>/dev/null ||
		echo "bench: trustnoded --unload --pin-dir $PIN failed" >&2
}

# Only this script puts processes in these cgroups.
remove_cgroup() {
	local cg=$1 i pid

	[ -d "$cg" ] || return 0
	for i in $(seq 50); do
		while read -r pid; do
			kill -KILL "$pid" 2>/dev/null
		done < "$cg/cgroup.procs"
		rmdir "$cg" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "bench: cannot remove cgroup $cg" >&2
}

cleanup() {
	local cg

	trap - EXIT INT TERM HUP
	stop_agent
	unload
	ip netns del "$NS" 2>/dev/null
	for cg in "$R/tainted" "$R/clean" "$R/outside" "$R" "$EXT/w" "$EXT"; do
		remove_cgroup "$cg"
	done
	[ -n "$TMP" ] && rm -rf "$TMP"
	[ -n "$FILES" ] && rm -rf "$FILES"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# ---- setup ---------------------------------------------------------------

TMP=$(mktemp -d /tmp/tnbench.XXXXXX) || fail "mktemp"
# Untagged files on tmpfs if there is one: the cheapest open(), so the
# largest relative overhead.
if [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ]; then
	FILES=$(mktemp -d /dev/shm/tnbench.XXXXXX) || fail "mktemp"
else
	mkdir "$TMP/files" && FILES=$TMP/files
fi
echo "not really secret" > "$TMP/secret"
mkdir -p "$R/tainted" "$R/clean" "$R/outside" "$EXT/w" ||
	fail "cannot create cgroups below $CG2"

ip netns add "$NS" || fail "cannot create network namespace $NS"
ip -n "$NS" link set lo up &&
	ip -n "$NS" addr add "$PROBE/32" dev lo || fail "cannot set up lo in $NS"

cat > "$TMP/policy" <<EOF
mode = "enforce";
local_prefixes = [ "$PREFIX" ];
workloads = ( { name = "tainted"; cgroup = "$R/tainted"; },
              { name = "clean"; cgroup = "$R/clean"; } );
EOF

# nftables resolves "socket cgroupv2" paths below /sys/fs/cgroup when the
# rules are loaded, as a path relative to the cgroup2 root at that level.
rel_tainted=${R#"$CG2"/}/tainted
rel_clean=${R#"$CG2"/}/clean
level=$(awk -F/ '{ print NF }' <<< "$rel_tainted")
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
		socket cgroupv2 level $level "$rel_tainted" ip daddr != @local4 reject
		socket cgroupv2 level $level "$rel_tainted" ip6 daddr != @local6 reject
		socket cgroupv2 level $level "$rel_clean" ip daddr != @local4 reject
		socket cgroupv2 level $level "$rel_clean" ip6 daddr != @local6 reject
	}
}
EOF

# Runs a command in cgroup $1 (moved there first, then into the namespace:
# ip netns exec would remount /sys).
in_cgroup() {
	local cg=$1

	shift
	( echo "$BASHPID" > "$cg/cgroup.procs" &&
	  exec timeout 60 nsenter --net="$NSPATH" "$@" )
}

# ---- trustnode and nftables on and off ------------------------------------

attached_below_r() {
	bpftool cgroup show "$R" 2>/dev/null | awk 'NR > 1 && NF' | wc -l
}

start_trustnode() {
	local i taint

	rm -rf "$TMP/state" "$TMP/run"
	TRUSTNODE_QUIET_LIBBPF=1 "$TRUSTNODED" --cgroup "$R" \
		--state-dir "$TMP/state" --run-dir "$TMP/run" \
		--pin-dir "$PIN" --policy "$TMP/policy" 2>> "$TMP/agent.log" &
	AGENT_PID=$!
	export TRUSTNODE_SOCKET=$TMP/run/control.sock
	for i in $(seq 100); do
		[ -S "$TRUSTNODE_SOCKET" ] && break
		kill -0 "$AGENT_PID" 2>/dev/null || break
		sleep 0.1
	done
	[ -S "$TRUSTNODE_SOCKET" ] || { cat "$TMP/agent.log" >&2; fail "trustnoded did not start"; }
	"$TRUSTCTL" tag "$TMP/secret" --label phi > /dev/null || fail "trustctl tag failed"
	in_cgroup "$R/tainted" cat "$TMP/secret" > /dev/null || fail "cannot read $TMP/secret"
	taint=$("$TRUSTCTL" workload list | awk '$1 == "tainted" { t = $2 } $1 == "clean" { c = $2 } END { print t "/" c }')
	[ "$taint" = "phi/-" ] || fail "expected workload tainted to be tainted with phi and clean untainted, got $taint"
	# The checks must be live: a tainted workload may not reach $PROBE.
	expect_reach "$R/tainted" denied trustnode
	expect_reach "$R/clean" allowed trustnode
	MODE=$("$TRUSTCTL" status | awk '$1 == "attach:" { print $2 }')
}

stop_trustnode() {
	stop_agent
	unload
	[ "$(attached_below_r)" = 0 ] || fail "programs still attached to $R after trustnoded --unload"
}

start_nft() {
	nsenter --net="$NSPATH" unshare -m sh -c \
		'mount -t cgroup2 none /sys/fs/cgroup && exec nft -f "$1"' \
		sh "$TMP/rules.nft" || fail "cannot load the nftables rules"
	NFT_LOADED=1
	expect_reach "$R/tainted" denied nftables
	expect_reach "$R/outside" allowed nftables
}

stop_nft() {
	nsenter --net="$NSPATH" nft delete table inet tnbench || fail "cannot delete the nftables table"
	NFT_LOADED=
}

expect_reach() {
	local got

	got=$(in_cgroup "$1" "$TNBENCH" reach "$PROBE")
	case $got in
	"$2"*)	;;
	*)	fail "$3: from $1 a connect to $PROBE should be $2 but was: $got" ;;
	esac
}

# ---- measuring -------------------------------------------------------------

cgroup_of() {
	case $1 in
	base|aa|nft|tainted)	echo "$R/tainted" ;;
	clean)			echo "$R/clean" ;;
	outside)		echo "$R/outside" ;;
	ext)			echo "$EXT/w" ;;
	esac
}

measure() {
	local round=$1 cfg=$2 cg op v

	cg=$(cgroup_of "$cfg")
	for op in $OPS; do
		case $op in
		open)		v=$(in_cgroup "$cg" "$TNBENCH" open "$N_OPEN" "$FILES") ;;
		connect)	v=$(in_cgroup "$cg" "$TNBENCH" connect "$N_CONNECT") ;;
		tput)		v=$(in_cgroup "$cg" "$TNBENCH" tput "$TPUT_SECONDS") ;;
		udp)		v=$(in_cgroup "$cg" "$TNBENCH" udp "$N_UDP") ;;
		esac
		[ -n "$v" ] || fail "tnbench $op failed in $cg ($cfg)"
		echo "$round $v" >> "$TMP/res.$op.$cfg"
	done
	printf ' %s' "$cfg" >&2
}

run_block() {
	local round=$1 block=$2 cfg i

	case $block in
	base|aa)
		measure "$round" "$block" ;;
	nft)
		start_nft
		measure "$round" nft
		stop_nft ;;
	tn)
		start_trustnode
		# Rotate the order of the trustnode configurations too.
		set -- tainted clean outside ext
		for i in $(seq $((round % 4))); do set -- "$@" "$1"; shift; done
		for cfg in "$@"; do measure "$round" "$cfg"; done
		stop_trustnode ;;
	esac
}

# Other BPF programs on syscall tracepoints or on an ancestor cgroup run in
# every configuration, baseline included.
foreign=$(bpftool link list 2>/dev/null | grep -E "tp '(sys_exit|sys_enter)'" | wc -l)
foreign_cg=$(bpftool cgroup show "$CG2" 2>/dev/null | awk 'NR > 1 && NF' | wc -l)
[ "$(attached_below_r)" = 0 ] || fail "$R already has programs attached"

MODE=?
echo "bench: $ROUNDS rounds of every configuration, about 30 s each" >&2
start=$(date +%s)
for round in $(seq "$ROUNDS"); do
	set -- base nft tn aa
	for i in $(seq $((round % 4))); do set -- "$@" "$1"; shift; done
	printf 'round %d:' "$round" >&2
	for block in "$@"; do run_block "$round" "$block"; done
	echo >&2
done
elapsed=$(( $(date +%s) - start ))

# ---- report ----------------------------------------------------------------

# Median, min and max of column 2 of the lines on stdin.
stats() {
	sort -g -k2 | awk '{ v[NR] = $2 } END {
		if (!NR) exit 1
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		print m, v[1], v[NR] }'
}

# Per-round ratio of a configuration to the baseline of the same round.
ratios() {
	awk 'NR == FNR { b[$1] = $2; next } ($1 in b) && b[$1] > 0 { print $1, $2 / b[$1] }' \
		"$TMP/res.$1.base" "$TMP/res.$1.$2"
}

human() {
	awk -v v="$1" -v u="$2" 'BEGIN {
		if (u == "MB/s") printf "%.0f MB/s", v
		else if (v >= 1e6) printf "%.2fM/s", v / 1e6
		else printf "%.1fk/s", v / 1e3 }'
}

declare -A MED
label() {
	case $1 in
	open)		echo "open()+close()" ;;
	connect)	echo "TCP connect()" ;;
	tput)		echo "TCP throughput" ;;
	udp)		echo "UDP sendto()" ;;
	esac
}

echo
echo "trustnode bench: $ROUNDS rounds in ${elapsed}s; kernel $(uname -r), $(nproc) CPUs, trustnode in $MODE mode"
echo "untagged files on $(stat -f -c %T "$FILES"); loopback in network namespace $NS"
if [ "$foreign" != 0 ] || [ "$foreign_cg" != 0 ]; then
	echo "WARNING: BPF programs not from this benchmark were attached in every configuration, baseline included:"
	[ "$foreign" != 0 ] && echo "  $foreign on the sys_enter/sys_exit tracepoints (bpftool link list): they slow every syscall"
	[ "$foreign_cg" != 0 ] && echo "  $foreign_cg on the cgroup2 root $CG2 (bpftool cgroup show $CG2)"
	echo "  The ratios below understate trustnode's cost on a clean machine."
fi
echo
printf '%-16s %-16s' "" "baseline"
for h in "A/A" "tainted" "untainted" "outside wl" "outside cg" "nftables"; do
	printf ' %-17s' "$h"
done
echo
for op in $OPS; do
	unit="op/s"; [ "$op" = tput ] && unit="MB/s"
	read -r m lo hi < <(stats < "$TMP/res.$op.base")
	spread=$(awk -v m="$m" -v lo="$lo" -v hi="$hi" 'BEGIN { printf "%.0f", 50 * (hi - lo) / m }')
	printf '%-16s %-16s' "$(label "$op")" "$(human "$m" "$unit") ±$spread%"
	for cfg in aa tainted clean outside ext nft; do
		read -r m lo hi < <(ratios "$op" "$cfg" | stats)
		MED[$op.$cfg]=$m
		printf ' %-17s' "$(printf '%.3f %.2f-%.2f' "$m" "$lo" "$hi")"
	done
	echo
done

cat <<EOF

Each cell: the median over rounds of (rate / that round's baseline rate),
then the lowest and highest per-round ratio; 0.970 = 3% slower. The baseline
column is the median rate, ± half its range over rounds. A/A is the baseline
measured a second time: its spread is the noise floor, and a difference
smaller than that cannot be told from none.
  tainted/untainted  a process in a trustnode workload, tainted (it opened a
                     tagged file) or not; its loopback traffic is allowed
  outside wl         below trustnode's cgroup, in no workload
  outside cg         in a cgroup not below trustnode's
  nftables           no trustnode; inet output chain rejecting the workload
                     cgroups (socket cgroupv2) to all but $PREFIX and loopback

Targets (median ratio):
EOF
verdict() {
	local op=$1 min=$2 cfg r worst=1 txt="" bad=0

	for cfg in tainted clean outside ext; do
		r=${MED[$op.$cfg]}
		txt="$txt $(printf '%.3f' "$r")"
		awk -v r="$r" -v m="$min" 'BEGIN { exit !(r < m) }' && bad=1
	done
	if [ $bad = 0 ]; then
		echo "met    (tainted, untainted, outside wl, outside cg:$txt)"
	else
		echo "NOT met (tainted, untainted, outside wl, outside cg:$txt)"
	fi
}
printf '  open() within 5%%:       %s\n' "$(verdict open 0.95)"
printf '  connect() within 5%%:    %s\n' "$(verdict connect 0.95)"
printf '  throughput within 3%%:   %s\n' "$(verdict tput 0.97)"
printf '  (UDP sendto(): no target)\n'
exit 0
