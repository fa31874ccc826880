#!/bin/bash
# trustnode demo, attested-peers mode: three nodes on one LAN, each with its
# own TPM (a swtpm) and its own trustnoded serving attestation in its network
# namespace:
#
#            bridge
#     A 192.0.2.1      B 192.0.2.2      C 192.0.2.3
#
# A and B name each other as peers and enrol each other; C is in nobody's
# policy. A's llm reads patient records and may then send to B (attested)
# but not to C; what B's analytics receives from A taints it, so it cannot
# pass it on to C; when B's operator changes B's policy, A stops trusting B
# within about a second.
#
# Everything happens in network namespaces, cgroups, bpffs pins and a
# temporary directory this script creates (names carry its pid), and is
# removed on every exit path. Only documentation addresses (192.0.2.0/24).
set -eu
BUILD=${1:-build}
BUILD=$(cd "$BUILD" && pwd)
id=$$
cg2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
root=$cg2/tndemo-peers.$id
tmp=$(mktemp -d /tmp/tndemo-peers.$id.XXXXXX)
ns_lan=tndpL$id
ca=/var/lib/swtpm-localca
nodes="A B C"
declare -A ns addr agent pin
for n in $nodes; do
	ns[$n]=tndp$n$id
	pin[$n]=/sys/fs/bpf/tndemo_peers_${id}_$n
	agent[$n]=
done
addr[A]=192.0.2.1 addr[B]=192.0.2.2 addr[C]=192.0.2.3
receiver=

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

# One argument as it would be typed: quoted when it needs to be.
quote() {
	case $1 in
	'&') printf '&' ;;	# (only ever "run in the background")
	*[!A-Za-z0-9_./:=@%+,-]* | '') printf "'%s'" "${1//\'/\'\\\'\'}" ;;
	*) printf '%s' "$1" ;;
	esac
}
show() {
	local prompt=$1 a sep=
	shift
	printf '\033[2m%s ' "$prompt"
	for a in "$@"; do printf '%s' "$sep"; quote "$a"; sep=' '; done
	printf '\033[0m\n'
}
run() { show '$' "$@"; "$@"; }

# "on X CMD...": CMD as node X's operator runs it: in X's network namespace,
# talking to X's trustnoded (trustctl is the build's, its socket X's).
in_node() {
	local n=$1
	shift
	nsenter --net=/run/netns/"${ns[$n]}" \
		env TRUSTNODE_SOCKET="$tmp/$n/run/control.sock" PATH="$BUILD:$PATH" "$@"
}
on() {
	local n=$1
	shift
	show "[$n]#" "$@"
	in_node "$n" "$@"
}
# The same for a shell pipeline, shown as written.
on_sh() {
	printf '\033[2m[%s]# %s\033[0m\n' "$1" "$2"
	in_node "$1" bash -c "$2"
}
# The same, for a command that must be refused (EPERM): the demo fails if not.
refused() {
	local st=0
	on "$@" >"$tmp/refused.out" 2>&1 || st=$?
	cat "$tmp/refused.out"
	if [ "$st" = 0 ] || ! grep -q 'Operation not permitted' "$tmp/refused.out"; then
		echo "demo: that should have been refused with EPERM" >&2
		exit 1
	fi
	echo "(refused, exit status $st)"
}

cleanup() {
	set +e
	trap - INT TERM
	# trustctl run forwards the signal, then removes its child cgroup.
	[ -n "$receiver" ] && kill "$receiver" 2>/dev/null && wait "$receiver" 2>/dev/null
	for n in $nodes; do
		[ -n "${agent[$n]}" ] && kill "${agent[$n]}" 2>/dev/null
	done
	for n in $nodes; do
		[ -n "${agent[$n]}" ] && wait "${agent[$n]}" 2>/dev/null
		[ -f "$tmp/$n/tpm/pid" ] && kill "$(cat "$tmp/$n/tpm/pid")" 2>/dev/null
		TRUSTNODE_QUIET_LIBBPF=1 "$BUILD/trustnoded" --unload --pin-dir "${pin[$n]}" >/dev/null 2>&1
		ip netns pids "${ns[$n]}" 2>/dev/null | xargs -r kill 2>/dev/null
	done
	sleep 0.2
	for n in $nodes; do
		ip netns pids "${ns[$n]}" 2>/dev/null | xargs -r kill -9 2>/dev/null
		ip netns del "${ns[$n]}" 2>/dev/null
	done
	ip netns del "$ns_lan" 2>/dev/null
	[ -d "$root" ] && find "$root" -depth -type d -exec rmdir {} + 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

[ "$(id -u)" = 0 ] || { echo "demo: run as root" >&2; exit 1; }
[ -n "$cg2" ] || { echo "demo: no cgroup2 mount found" >&2; exit 1; }

# Waits (up to secs) until something listens on addr:port in node n.
wait_listen() {
	local i
	for i in $(seq $(($3 * 10))); do
		in_node "$1" ss -ltnH | grep -q " $2 " && return 0
		sleep 0.1
	done
	echo "demo: nothing listens on $2 in node $1" >&2
	return 1
}

# Node n's verdict on peer p, as its peer list says it.
verdict() {
	in_node "$1" trustctl --state-dir "$tmp/$1/state" peer list 2>/dev/null |
		awk -v p="$2" '$1 == p { print $3 }'
}
wait_verdict() {
	local i
	for i in $(seq $(($4 * 10))); do
		[ "$(verdict "$1" "$2")" = "$3" ] && return 0
		sleep 0.1
	done
	echo "demo: node $1 never said $2 is $3" >&2
	in_node "$1" trustctl --state-dir "$tmp/$1/state" peer list >&2
	return 1
}

say "Three nodes on one LAN (a bridge): A 192.0.2.1, B 192.0.2.2, C 192.0.2.3"
run ip netns add "$ns_lan"
run ip -n "$ns_lan" link add br0 type bridge
run ip -n "$ns_lan" link set br0 up
for n in $nodes; do
	run ip netns add "${ns[$n]}"
	run ip link add tdp$n$id type veth peer name tdl$n$id
	run ip link set tdp$n$id netns "${ns[$n]}"
	run ip link set tdl$n$id netns "$ns_lan"
	run ip -n "$ns_lan" link set tdl$n$id master br0 up
	run ip -n "${ns[$n]}" addr add "${addr[$n]}/24" dev tdp$n$id
	run ip -n "${ns[$n]}" link set tdp$n$id up
	run ip -n "${ns[$n]}" link set lo up
done
echo "(\"[X]# CMD\" below: CMD as node X's operator runs it, in namespace tndpX$id,"
echo " with TRUSTNODE_SOCKET=$tmp/X/run/control.sock and trustctl from $BUILD)"

say "Each node's TPM: a swtpm; A's and B's manufactured with EK certificates"
for n in $nodes; do
	mkdir -p "$tmp/$n/tpm"
	if [ "$n" != C ]; then
		show '$' swtpm_setup --tpm2 --tpmstate "$tmp/$n/tpm" --create-ek-cert \
			--create-platform-cert --lock-nvram
		swtpm_setup --tpm2 --tpmstate "$tmp/$n/tpm" --create-ek-cert \
			--create-platform-cert --lock-nvram >"$tmp/$n/swtpm_setup.log" 2>&1 ||
			{ cat "$tmp/$n/swtpm_setup.log"; exit 1; }
	fi
	run swtpm socket --tpm2 --tpmstate dir="$tmp/$n/tpm" \
		--server type=unixio,path="$tmp/$n/tpm/sock" \
		--ctrl type=unixio,path="$tmp/$n/tpm/sock.ctrl" \
		--flags startup-clear --pid file="$tmp/$n/tpm/pid" --daemon
done

say "A's policy: patient records (label phi), workload llm, peer B"
mkdir -p "$tmp/A/records" "$root/A/llm" "$root/B/analytics" "$root/C"
echo "patient 4711: diagnosis ..." > "$tmp/A/records/patient-4711.txt"
cat > "$tmp/A/policy.conf" <<POLICY
# Node A. The local network is the default (loopback, RFC 1918, link-local,
# ULA): B and C are outside it; B is allowed only while it attests.
mode = "enforce";
tags = ( { path = "$tmp/A/records"; labels = [ "phi" ]; } );
workloads = ( { name = "llm"; cgroup = "$root/A/llm"; } );
peers = ( { name = "node-b"; url = "http://192.0.2.2:8443";
            addresses = [ "192.0.2.2" ]; } );
attestation = { interval = 1; max_age = 3; };
POLICY
run cat "$tmp/A/policy.conf"

say "B's policy: workload analytics, peer A. C's: nothing to protect, no peers"
cat > "$tmp/B/policy.conf" <<POLICY
# Node B.
mode = "enforce";
workloads = ( { name = "analytics"; cgroup = "$root/B/analytics"; } );
peers = ( { name = "node-a"; url = "http://192.0.2.1:8443";
            addresses = [ "192.0.2.1" ]; } );
attestation = { interval = 1; max_age = 3; };
POLICY
cat > "$tmp/C/policy.conf" <<POLICY
# Node C: in nobody's policy, and names no peers.
mode = "enforce";
POLICY
run cat "$tmp/B/policy.conf" "$tmp/C/policy.conf"

say "Each node's trustnoded, in its namespace, attached below a cgroup of the demo's, serving attestation on ADDR:8443"
for n in $nodes; do
	show '$' nsenter --net=/run/netns/"${ns[$n]}" "$BUILD/trustnoded" \
		--cgroup "$root/$n" --state-dir "$tmp/$n/state" --run-dir "$tmp/$n/run" \
		--pin-dir "${pin[$n]}" --policy "$tmp/$n/policy.conf" \
		--tcti "swtpm:path=$tmp/$n/tpm/sock" --listen "${addr[$n]}:8443" '&'
	TRUSTNODE_QUIET_LIBBPF=1 nsenter --net=/run/netns/"${ns[$n]}" "$BUILD/trustnoded" \
		--cgroup "$root/$n" --state-dir "$tmp/$n/state" --run-dir "$tmp/$n/run" \
		--pin-dir "${pin[$n]}" --policy "$tmp/$n/policy.conf" \
		--tcti "swtpm:path=$tmp/$n/tpm/sock" --listen "${addr[$n]}:8443" \
		2>"$tmp/$n/agent.log" &
	agent[$n]=$!
done
for n in $nodes; do
	for _ in $(seq 100); do [ -S "$tmp/$n/run/control.sock" ] && break; sleep 0.1; done
	[ -S "$tmp/$n/run/control.sock" ] || { cat "$tmp/$n/agent.log"; exit 1; }
	wait_listen "$n" "${addr[$n]}:8443" 10 || { cat "$tmp/$n/agent.log"; exit 1; }
done
on_sh A 'trustctl status | head -5'

# C listens on 9000 for anyone who gets through: a plain listener, no workload.
ip netns exec "${ns[C]}" python3 -c 'import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("192.0.2.3", 9000)); s.listen(8)
while True: s.accept()[0].close()' >/dev/null 2>&1 &
wait_listen C 192.0.2.3:9000 10

say "1. A and B enrol each other: EK certificate chain, credential activation, first quote"
on A trustctl --state-dir "$tmp/A/state" peer enroll http://192.0.2.2:8443 --name node-b \
	--ca $ca/swtpm-localca-rootca-cert.pem --ca $ca/issuercert.pem
on B trustctl --state-dir "$tmp/B/state" peer enroll http://192.0.2.1:8443 --name node-a \
	--ca $ca/swtpm-localca-rootca-cert.pem --ca $ca/issuercert.pem
# Each agent attests its peer every second (jittered): the next round passes.
wait_verdict A node-b attested 10
wait_verdict B node-a attested 10
on A trustctl --state-dir "$tmp/A/state" peer list

say "2. On B, workload analytics listens on 192.0.2.2:9000"
cat > "$tmp/B/analytics.py" <<'PY'
import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("192.0.2.2", 9000))
s.listen(8)
while True:
    c, peer = s.accept()
    data = b""
    while chunk := c.recv(4096):
        data += chunk
    c.close()
    print(f"analytics on B received from {peer[0]}: {data.decode().strip()}", flush=True)
PY
show "[B]#" trustctl run --workload analytics -- python3 "$tmp/B/analytics.py" '&'
in_node B trustctl run --workload analytics -- python3 "$tmp/B/analytics.py" \
	>"$tmp/B/analytics.log" 2>&1 &
receiver=$!
wait_listen B 192.0.2.2:9000 10

say "A's llm reads the patient records: it is tainted"
on A trustctl run --workload llm -- cat "$tmp/A/records/patient-4711.txt"
on A trustctl workload list

say "A's llm sends a summary to B: B is an attested peer, so it is allowed"
on A trustctl run --workload llm -- bash -c 'echo "summary: 1 patient, 1 diagnosis" >/dev/tcp/192.0.2.2/9000'
for _ in $(seq 50); do [ -s "$tmp/B/analytics.log" ] && break; sleep 0.1; done
run cat "$tmp/B/analytics.log"
grep -q 'summary' "$tmp/B/analytics.log" || { echo "demo: B received nothing" >&2; exit 1; }

say "3. The same llm tries C (192.0.2.3:9000), which nobody attests"
refused A trustctl run --workload llm -- bash -c 'echo "summary: 1 patient, 1 diagnosis" >/dev/tcp/192.0.2.3/9000'

say "4. On B, what came from A tainted analytics: A's labels (phi) and peer.node-a"
on B trustctl workload list
taint=$(in_node B trustctl workload list | awk '$1 == "analytics" { print $2 }')
case ",$taint," in
*,phi,*peer.node-a,* | *,peer.node-a,*phi,*) ;;
*) echo "demo: analytics is not tainted phi and peer.node-a (\"$taint\")" >&2; exit 1 ;;
esac
say "... so analytics cannot pass it on to C"
refused B trustctl run --workload analytics -- bash -c 'echo "forwarded summary" >/dev/tcp/192.0.2.3/9000'

say "A's audit log is for the peers A enrolled: B reads it, with the refusal, anchored in A's TPM"
on A trustctl log checkpoint
on B trustctl --state-dir "$tmp/B/state" peer log node-a --show '"decision":"deny"'
say "... and C, which A never enrolled, gets 401 and no records"
on_sh C "curl -s --noproxy '*' -w ' (HTTP %{http_code})\n' http://192.0.2.1:8443/v1/log"

say "5. B's operator loads a different policy: the whole LAN, C included, becomes B's local network"
sed 's|^mode = "enforce";|&\nlocal_prefixes = [ "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "192.0.2.0/24" ];|' \
	"$tmp/B/policy.conf" > "$tmp/B/policy-wider.conf"
run diff "$tmp/B/policy.conf" "$tmp/B/policy-wider.conf" || true
t0=$(date +%s%N)
on B trustctl policy load "$tmp/B/policy-wider.conf"
wait_verdict A node-b failed 5
t1=$(date +%s%N)
in_node A trustctl --state-dir "$tmp/A/state" peer list | grep -q 'not an accepted policy' ||
	{ echo "demo: A refused B, but not for its policy" >&2; exit 1; }
cut=$(((t1 - t0 + 99999999) / 100000000))	# tenths of a second, rounded up
cut=$((cut / 10)).$((cut % 10))
say "Within ${cut} s A's next attestation of B finds a policy digest A never accepted"
on A trustctl --state-dir "$tmp/A/state" peer list
on A trustctl events
on_sh A 'trustctl events --json | grep peer-verdict | tail -n 1'
say "A's llm is refused B now"
refused A trustctl run --workload llm -- bash -c 'echo "another summary" >/dev/tcp/192.0.2.2/9000'

say "Summary"
echo "  A -> B (attested peer):             tainted data allowed, and it arrived"
echo "  A -> C (in nobody's policy):        refused (EPERM)"
echo "  B -> C, with what came from A:      refused (analytics tainted phi, peer.node-a)"
echo "  A's audit log:                      B (enrolled by A) reads and verifies it; C gets 401"
echo "  B changed its policy:               A refused B within ${cut} s, and said why"
say "Done; cleaning up"
