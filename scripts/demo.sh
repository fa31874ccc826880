#!/bin/bash
# trustnode demo: a workload reads a tagged file and can no longer reach an
# outside host; an untainted workload still can; the events say why. Then a
# second node enrols this one, verifies its TPM-backed attestation, and
# verifies the denial in its audit log against a TPM-anchored checkpoint.
#
# Everything happens in network namespaces and a cgroup this script creates
# (names carry its pid), and is removed on every exit path. The "outside"
# host is 203.0.113.2 (a documentation range) inside its own namespace.
set -eu
BUILD=${1:-build}
BUILD=$(cd "$BUILD" && pwd)
id=$$
ns_node=tndemo-node-$id
ns_out=tndemo-out-$id
cg2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
root=$cg2/tndemo.$id
tmp=$(mktemp -d /tmp/tndemo.XXXXXX)
pin=/sys/fs/bpf/tndemo_$id
export TRUSTNODE_SOCKET=$tmp/run/control.sock
agent=

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '\033[2m$ %s\033[0m\n' "$*"; "$@"; }

cleanup() {
	set +e
	[ -n "$agent" ] && kill "$agent" 2>/dev/null && wait "$agent" 2>/dev/null
	[ -f "$tmp/tpm/pid" ] && kill "$(cat "$tmp/tpm/pid")" 2>/dev/null
	"$BUILD/trustnoded" --unload --pin-dir "$pin" >/dev/null 2>&1
	ip netns pids "$ns_out" 2>/dev/null | xargs -r kill 2>/dev/null
	ip netns del "$ns_node" 2>/dev/null
	ip netns del "$ns_out" 2>/dev/null
	[ -d "$root" ] && find "$root" -depth -type d -exec rmdir {} + 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

[ "$(id -u)" = 0 ] || { echo "demo: run as root" >&2; exit 1; }
[ -n "$cg2" ] || { echo "demo: no cgroup2 mount found" >&2; exit 1; }

say "A node namespace and an outside host (203.0.113.2) joined by a veth"
run ip netns add "$ns_node"
run ip netns add "$ns_out"
run ip link add tnd$id type veth peer name tno$id
run ip link set tnd$id netns "$ns_node"
run ip link set tno$id netns "$ns_out"
run ip -n "$ns_node" addr add 203.0.113.1/24 dev tnd$id
run ip -n "$ns_out" addr add 203.0.113.2/24 dev tno$id
run ip -n "$ns_node" link set tnd$id up
run ip -n "$ns_node" link set lo up
run ip -n "$ns_out" link set tno$id up
run ip -n "$ns_out" link set lo up
mkdir -p "$tmp/www" && echo "hello from outside" > "$tmp/www/index.html"
ip netns exec "$ns_out" python3 -m http.server --bind 203.0.113.2 --directory "$tmp/www" 8080 \
	>/dev/null 2>&1 &
for _ in $(seq 50); do
	ip netns exec "$ns_out" ss -ltn 2>/dev/null | grep -q '203.0.113.2:8080' && break
	sleep 0.1
done

say "Patient records, and two workloads: llm and batch"
mkdir -p "$tmp/records" "$root/llm" "$root/batch"
echo "patient 4711: diagnosis ..." > "$tmp/records/patient-4711.txt"
cat > "$tmp/policy.conf" <<POLICY
# demo policy: the local network is the default (loopback, RFC 1918,
# link-local, ULA), so 203.0.113.2 is outside.
mode = "enforce";
tags = ( { path = "$tmp/records"; labels = [ "phi" ]; } );
workloads = (
  { name = "llm";   cgroup = "$root/llm"; },
  { name = "batch"; cgroup = "$root/batch"; }
);
POLICY
run cat "$tmp/policy.conf"

say "The node's TPM: a swtpm, manufactured with an EK certificate"
mkdir -p "$tmp/tpm"
run swtpm_setup --tpm2 --tpmstate "$tmp/tpm" --create-ek-cert --create-platform-cert --lock-nvram >/dev/null
run swtpm socket --tpm2 --tpmstate dir="$tmp/tpm" --server type=unixio,path="$tmp/tpm/sock" \
	--ctrl type=unixio,path="$tmp/tpm/sock.ctrl" --flags startup-clear --pid file="$tmp/tpm/pid" --daemon

say "Start trustnoded below the demo's own cgroup, serving attestation on 203.0.113.1:8443"
TRUSTNODE_QUIET_LIBBPF=1 nsenter --net=/var/run/netns/"$ns_node" "$BUILD/trustnoded" \
	--cgroup "$root" --state-dir "$tmp/state" --run-dir "$tmp/run" --pin-dir "$pin" \
	--policy "$tmp/policy.conf" --tcti "swtpm:path=$tmp/tpm/sock" --listen 203.0.113.1:8443 \
	2>"$tmp/agent.log" &
agent=$!
for _ in $(seq 100); do [ -S "$TRUSTNODE_SOCKET" ] && break; sleep 0.1; done
[ -S "$TRUSTNODE_SOCKET" ] || { cat "$tmp/agent.log"; exit 1; }
run "$BUILD/trustctl" status | head -8

fetch='exec 3<>/dev/tcp/203.0.113.2/8080 && printf "GET / HTTP/1.0\r\n\r\n" >&3 && head -1 <&3'
in_ns() { nsenter --net=/var/run/netns/"$ns_node" "$@"; }

say "llm is untainted: it reaches the outside host"
run in_ns "$BUILD/trustctl" run --workload llm -- bash -c "$fetch"

say "llm reads a tagged file"
run "$BUILD/trustctl" run --workload llm -- cat "$tmp/records/patient-4711.txt"
run "$BUILD/trustctl" workload list

say "llm's next connection to the outside host is refused"
run in_ns "$BUILD/trustctl" run --workload llm -- bash -c "$fetch" ||
	echo "(refused, exit status $?)"

say "The events say who, what, where and why"
run "$BUILD/trustctl" events

say "batch never read tagged data: the same connection still works"
run in_ns "$BUILD/trustctl" run --workload batch -- bash -c "$fetch"

say "Taint follows the data: llm writes a summary, batch reads it"
run "$BUILD/trustctl" run --workload llm -- sh -c "cut -c1-12 '$tmp/records/patient-4711.txt' > '$tmp/summary.txt'"
run "$BUILD/trustctl" tag list
run "$BUILD/trustctl" run --workload batch -- cat "$tmp/summary.txt"
run in_ns "$BUILD/trustctl" run --workload batch -- bash -c "$fetch" ||
	echo "(refused, exit status $?)"
run "$BUILD/trustctl" workload list

say "A peer node (203.0.113.2) enrols this node: EK certificate, credential activation"
peer() { ip netns exec "$ns_out" "$BUILD/trustctl" --state-dir "$tmp/peer" "$@"; }
ca=/var/lib/swtpm-localca
run peer peer enroll http://203.0.113.1:8443 --name node1 \
	--ca $ca/swtpm-localca-rootca-cert.pem --ca $ca/issuercert.pem

say "The peer verifies a fresh quote: what runs, what policy it enforces"
run peer attest node1

say "The node signs a checkpoint of its audit log and extends it into its TPM"
run "$BUILD/trustctl" log checkpoint
run "$BUILD/trustctl" --state-dir "$tmp/state" log verify

say "Its audit log is only for nodes it enrolled: this verifier is not one, so it gets 401"
run ip netns exec "$ns_out" curl -s --noproxy '*' -w ' (HTTP %{http_code})\n' http://203.0.113.1:8443/v1/log
echo "(two nodes that enrolled each other read each other's logs: the three-node demo shows it)"

say "Three nodes in attested-peers mode (scripts/demo-peers.sh)"
"$(dirname "$0")"/demo-peers.sh "$BUILD"

say "Done; cleaning up"
