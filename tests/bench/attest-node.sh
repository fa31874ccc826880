# Sourced by attest-bench.sh and attest-log-bench.sh: a node of their own
# (a swtpm, a network namespace with only loopback, a cgroup), its agent
# serving the attestation API on 127.0.0.1:8443 inside that namespace, and
# the statistics both print. Set before sourcing: O (the build directory),
# TAG (names the namespace, the cgroup and the pin directory, with $$) and
# NAME (for the scratch directory and messages). Nothing leaves the
# namespace; the agent attaches below the cgroup made here.
id=$$ ns=$TAG$$
work=$(mktemp -d "${TMPDIR:-/tmp}/tn-$NAME.XXXXXX")
cg=$(awk '$3=="cgroup2"{print $2; exit}' /proc/self/mounts)/$TAG$id
tcti="swtpm:path=$work/tpm/sock"
agent=

cleanup() {
	# Finish even if signalled again meanwhile, or if a step fails (wait
	# returns the killed agent's status).
	trap '' INT TERM
	set +e
	[ -n "$agent" ] && kill "$agent" 2>/dev/null && wait "$agent" 2>/dev/null
	[ -f "$work/tpm/pid" ] && kill "$(cat "$work/tpm/pid")" 2>/dev/null
	"$O/trustnoded" --unload --pin-dir "/sys/fs/bpf/$TAG$id" >/dev/null 2>&1 || true
	rmdir "$cg" 2>/dev/null || true
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 143' INT TERM

mkdir -p "$work/tpm" "$cg"
swtpm_setup --tpm2 --tpmstate "$work/tpm" --create-ek-cert --lock-nvram >/dev/null
swtpm socket --tpm2 --tpmstate dir="$work/tpm" --server type=unixio,path="$work/tpm/sock" \
	--ctrl type=unixio,path="$work/tpm/sock.ctrl" --flags startup-clear \
	--pid file="$work/tpm/pid" --daemon
ip netns add "$ns"
ip -n "$ns" link set lo up

# Up to a minute: a large measurement log takes a while to read back.
start_agent() {
	nsenter --net="/run/netns/$ns" "$O/trustnoded" --cgroup "$cg" --state-dir "$work/state" \
		--run-dir "$work/run" --pin-dir "/sys/fs/bpf/$TAG$id" --tcti "$tcti" \
		--listen 127.0.0.1:8443 >>"$work/agent.log" 2>&1 &
	agent=$!
	for _ in $(seq 600); do
		ip netns exec "$ns" curl -sf -o /dev/null http://127.0.0.1:8443/v1/identity && return 0
		sleep 0.1
	done
	echo "$NAME: the agent did not come up; see $work/agent.log" >&2
	cat "$work/agent.log" >&2
	exit 1
}
stop_agent() { kill "$agent"; wait "$agent" 2>/dev/null || true; agent=; }
nonce() { head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'; }

# "median (min..max)" of the arguments, and the median alone.
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END { printf "%s (%s..%s)", a[int((NR+1)/2)], a[1], a[NR] }'; }
m() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END { print a[int((NR+1)/2)] }'; }
