# SPDX-License-Identifier: GPL-2.0-only
# Shared by tests/pkg/*_test.sh: TAP output, and a real trustnoded below a
# test cgroup (never the machine's root cgroup) with its own state, run
# directory and pins, removed again on exit. Source it from bash.

BUILD=${1:-${TN_BUILD:-build}}
_tn_n=0 _tn_failed=0
ok() {
	_tn_n=$((_tn_n + 1))
	echo "ok $_tn_n $1"
}
not_ok() {
	_tn_n=$((_tn_n + 1))
	echo "not ok $_tn_n $1"
	_tn_failed=1
}
skip() {
	_tn_n=$((_tn_n + 1))
	echo "ok $_tn_n $1 # SKIP $2"
}
# check NAME CMD...: ok when CMD succeeds; its output is shown when not.
check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		ok "$name"
	else
		printf '%s\n' "$out" | tail -20 | sed 's/^/#   /'
		not_ok "$name"
	fi
}
done_testing() {
	echo "1..$_tn_n"
	exit $_tn_failed
}

# agent_start [WRAPPER...]: starts BUILD/trustnoded (behind WRAPPER, e.g.
# setpriv ...) attached at a new cgroup $TN_CG with workload "wlcomp" at
# $TN_CG/wl and $TN_DIR/data/secret tagged "phi"; waits for its socket.
# $TN_CTL runs trustctl against it.
agent_start() {
	local cg2 i
	cg2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
	TN_ID=pkg$$x${_tn_seq:=0}
	_tn_seq=$((_tn_seq + 1))
	TN_CG=$cg2/tntest.$TN_ID
	TN_DIR=$(mktemp -d /tmp/tntest.XXXXXX)
	TN_PIN=/sys/fs/bpf/tntest_$TN_ID
	mkdir -p "$TN_CG/wl" "$TN_DIR/data" "$TN_DIR/state" "$TN_DIR/run"
	echo secret >"$TN_DIR/data/secret"
	cat >"$TN_DIR/policy.conf" <<-EOT
	version = 1;
	tags = ( { path = "$TN_DIR/data/secret"; labels = [ "phi" ]; } );
	workloads = ( { name = "wlcomp"; cgroup = "$TN_CG/wl"; } );
	EOT
	TN_CTL="$BUILD/trustctl --socket $TN_DIR/run/control.sock"
	TRUSTNODE_QUIET_LIBBPF=1 "$@" "$BUILD/trustnoded" --cgroup "$TN_CG" \
		--state-dir "$TN_DIR/state" --run-dir "$TN_DIR/run" --pin-dir "$TN_PIN" \
		--policy "$TN_DIR/policy.conf" --tcti none >"$TN_DIR/agent.log" 2>&1 &
	TN_AGENT=$!
	for i in $(seq 100); do
		[ -S "$TN_DIR/run/control.sock" ] && return 0
		kill -0 "$TN_AGENT" 2>/dev/null || break
		sleep 0.1
	done
	sed 's/^/#   agent: /' "$TN_DIR/agent.log"
	return 1
}

agent_stop() {
	[ -n "${TN_AGENT:-}" ] || return 0
	kill "$TN_AGENT" 2>/dev/null
	wait "$TN_AGENT" 2>/dev/null
	"$BUILD/trustnoded" --unload --pin-dir "$TN_PIN" >/dev/null 2>&1
	# Processes the test put into the workload are gone by now.
	rmdir "$TN_CG"/wl/* "$TN_CG/wl" "$TN_CG" 2>/dev/null
	rm -rf "$TN_DIR"
	TN_AGENT=
}
