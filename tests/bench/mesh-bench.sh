#!/bin/bash
# Attested-peers mode at scale. N nodes (MESH_N, default 10) on one LAN, each
# in its own network namespace with its own swtpm and trustnoded, in a full
# mesh: every node's policy names the N-1 others as peers (interval
# ATTEST_INTERVAL, default 2 s; max_age 3x) and every node enrols every other
# (N(N-1) enrolments). Then, over MESH_WINDOW seconds (default 30):
#   - attestations per second, mesh-wide and per node (the agents' counters
#     from `trustctl peer list --json`);
#   - CPU per verification: utime+stime (/proc/PID/stat, clock ticks) of the
#     agent's peer worker thread (it fetches each quote over HTTP and checks
#     it) and of the whole agent (which also answers its peers' quote
#     requests), divided by the attestations it performed; swtpm and
#     trustnode-httpd CPU per quote served (quotes a node served = the
#     attestations the others performed on it);
# and how fast a policy change propagates: node 1 loads a policy with one
# more local prefix (its digest changes, so every other node must refuse
# it); time from that load to the LAST other node showing node 1 "failed",
# polled every 100 ms; node 1 restores its policy, time until the last one
# shows it "attested" again.
#
# The LAN is a bridge in a namespace of its own; the nodes are
# 192.0.2.1..N/24 (a documentation range) and all traffic stays between the
# namespaces the script creates. Each agent attaches below its own cgroup,
# under one the script creates. Agents, swtpms, namespaces, cgroups, bpffs
# pins and the work directory are removed on every exit path.
#
# usage: tests/bench/mesh-bench.sh [BUILD_DIR]
#   MESH_N (10), ATTEST_INTERVAL (2), MESH_WINDOW (30),
#   HW_TPM_QPS (20): an ASSUMED hardware TPM quote rate, only for the
#   scaling line at the end; nothing here measures a hardware TPM.
set -eu
O=$(cd "${1:-build}" && pwd)
N=${MESH_N:-10}
IV=${ATTEST_INTERVAL:-2}
WINDOW=${MESH_WINDOW:-30}
HW_QPS=${HW_TPM_QPS:-20}
MAXAGE=$((3 * IV))
PORT=8443

case "$N$IV$WINDOW" in *[!0-9]*) echo "mesh-bench: MESH_N, ATTEST_INTERVAL, MESH_WINDOW are integers" >&2; exit 2;; esac
if [ "$N" -lt 2 ] || [ "$N" -gt 254 ]; then echo "mesh-bench: MESH_N must be 2..254" >&2; exit 2; fi
if [ "$IV" -lt 1 ] || [ "$WINDOW" -lt 1 ]; then echo "mesh-bench: interval and window must be >= 1" >&2; exit 2; fi
[ "$(id -u)" = 0 ] || { echo "mesh-bench: run as root" >&2; exit 1; }
for b in trustnoded trustnode-httpd trustctl; do
	[ -x "$O/$b" ] || { echo "mesh-bench: $O/$b missing (make all)" >&2; exit 1; }
done
cg2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
[ -n "$cg2" ] || { echo "mesh-bench: no cgroup2 mount" >&2; exit 1; }

id=$$
lan=tnm$id-lan				# the bridge's namespace
nsof() { echo "tnm$id-$1"; }		# node i's namespace
pinof() { echo "/sys/fs/bpf/tnmesh_${id}_$1"; }
cgroot=$cg2/tnmesh.$id
work=$(mktemp -d "${TMPDIR:-/tmp}/tn-mesh-bench.XXXXXX")
declare -a agent=()
bg=		# a helper or sleep the script waits for (wait is interruptible)
started=$(date +%s)

stop_pid() {	# TERM, up to 5 s, then KILL; only pids this script started
	local p=$1
	kill "$p" 2>/dev/null || return 0
	for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	kill -9 "$p" 2>/dev/null
	wait "$p" 2>/dev/null
}

cleanup() {
	local rc=$? i d
	set +e
	trap - EXIT INT TERM
	echo "+ cleanup" >&2
	[ -n "$bg" ] && kill "$bg" 2>/dev/null
	for i in $(seq "$N"); do
		[ -n "${agent[$i]:-}" ] && kill "${agent[$i]}" 2>/dev/null
	done
	for i in $(seq "$N"); do
		[ -n "${agent[$i]:-}" ] && stop_pid "${agent[$i]}"
		d=$work/n$i
		[ -n "$(cat "$d/httpd.pid" 2>/dev/null)" ] && kill "$(cat "$d/httpd.pid")" 2>/dev/null
		[ -f "$d/tpm/pid" ] && kill "$(cat "$d/tpm/pid")" 2>/dev/null
		TRUSTNODE_QUIET_LIBBPF=1 "$O/trustnoded" --unload --pin-dir "$(pinof "$i")" >/dev/null 2>&1
		ip netns del "$(nsof "$i")" 2>/dev/null
	done
	ip netns del "$lan" 2>/dev/null
	[ -d "$cgroot" ] && find "$cgroot" -depth -type d -exec rmdir {} + 2>/dev/null
	rm -rf "$work"
	echo "mesh-bench: done in $(( $(date +%s) - started )) s" >&2
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ECHO=1
run() { [ "$ECHO" = 1 ] && echo "+ $*" >&2; "$@"; }
say() { printf '\n== %s\n' "$*" >&2; }
ctl() { local i=$1; shift; TRUSTNODE_SOCKET=$work/n$i/run/control.sock "$O/trustctl" --state-dir "$work/n$i/state" "$@"; }
ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
# Run time in ns (schedstat, per task): the same CPU, without the 10 ms ticks.
runns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { print s + 0 }'; }

# Node i's policy: the N-1 others are its peers; $2 an extra local prefix.
policy() {
	local i=$1 extra=${2:-} j sep=
	echo "# mesh-bench node $i: every other node is a peer"
	echo 'mode = "enforce";'
	echo "local_prefixes = [ \"198.51.100.0/24\"${extra:+, \"$extra\"} ];"
	echo "workloads = ( { name = \"wl\"; cgroup = \"$cgroot/n$i/wl\"; } );"
	echo "peers = ("
	for j in $(seq "$N"); do
		[ "$j" = "$i" ] && continue
		printf '%s  { name = "node-%d"; url = "http://192.0.2.%d:%d"; addresses = [ "192.0.2.%d" ]; }' \
			"$sep" "$j" "$j" "$PORT" "$j"
		sep=$',\n'
	done
	printf '\n);\nattestation = { interval = %d; max_age = %d; };\n' "$IV" "$MAXAGE"
}

# The helper: asks the agents' control sockets what `trustctl peer list`
# asks ({"cmd":"peers"}), cheaply enough to poll every 100 ms, and sums up.
cat >"$work/mesh.py" <<'PY'
import json, socket, statistics, subprocess, sys, time

def call(sock, req):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    s.connect(sock)
    s.sendall(json.dumps(req).encode() + b"\n")
    buf = b""
    while not buf.endswith(b"\n"):
        d = s.recv(1 << 16)
        if not d:
            break
        buf += d
    s.close()
    return json.loads(buf)

def verdicts(sock):
    return {p["name"]: p for p in call(sock, {"cmd": "peers"}).get("peers", [])}

def nodes(args):  # "i=SOCK" ...
    return [(int(a.split("=", 1)[0]), a.split("=", 1)[1]) for a in args]

def wait_all(want, timeout, args):
    """Until every node shows every peer with verdict want."""
    t0 = time.time()
    while True:
        bad = []
        for i, sock in nodes(args):
            try:
                v = verdicts(sock)
            except OSError as e:
                bad.append(f"node-{i}: {e}")
                continue
            bad += [f"node-{i} -> {n}: {p['verdict']} {p.get('failed_check') or ''} {p.get('reason') or ''}"
                    for n, p in v.items() if p["verdict"] != want]
        if not bad:
            print(f"all {want} after {time.time() - t0:.1f} s", file=sys.stderr)
            return 0
        if time.time() - t0 > timeout:
            print(f"not all {want} after {timeout} s:", *bad[:20], sep="\n  ", file=sys.stderr)
            return 1
        time.sleep(0.2)

def watch(peer, want, timeout, rest):
    """Runs the command after --, then polls every 100 ms until each node
    shows peer with verdict want; prints "i seconds" per node ("i -" if not)."""
    k = rest.index("--")
    ns, cmd = nodes(rest[:k]), rest[k + 1:]
    seen, last = {}, {}
    t0 = time.time()
    if subprocess.run(cmd, stdout=subprocess.DEVNULL).returncode:
        print(f"  {' '.join(cmd)} failed", file=sys.stderr)
        return 1
    print(f"  ({' '.join(cmd[-3:])}: returned after {time.time() - t0:.3f} s)", file=sys.stderr)
    while len(seen) < len(ns) and time.time() - t0 < timeout:
        tick = time.time()
        for i, sock in ns:
            if i in seen:
                continue
            try:
                p = verdicts(sock).get(peer, {})
            except OSError:
                continue
            last[i] = p.get("verdict")
            if last[i] == want:
                seen[i] = time.time() - t0
        time.sleep(max(0.0, 0.1 - (time.time() - tick)))
    for i, _ in ns:
        print(i, f"{seen[i]:.3f}" if i in seen else "-", last.get(i))
    return 0 if len(seen) == len(ns) else 1

def last_seq(args):
    for i, sock in nodes(args):
        ev = call(sock, {"cmd": "events", "limit": 1}).get("events", [])
        print(i, ev[-1]["seq"] if ev else 0)

def bad_verdicts(out, since_file, until_file, skip, args):
    """peer-verdict events other than "attested" with since < seq <= until
    (until "-": no bound), not counting skip's "failed" (the refusal the
    script causes). Prints them grouped; writes "i expired failed" to out."""
    seqs = lambda f: {int(l.split()[0]): int(l.split()[1]) for l in open(f)}
    since = seqs(since_file)
    until = seqs(until_file) if until_file != "-" else {}
    groups, counts, total = {}, [], 0
    for i, sock in nodes(args):
        c = {"expired": 0, "failed": 0}
        for e in call(sock, {"cmd": "events", "limit": 1000000, "since": since.get(i, 0)}).get("events", []):
            if e.get("type") != "peer-verdict" or e.get("verdict") == "attested" or \
                    e.get("seq", 0) > until.get(i, 1 << 62) or \
                    (e.get("peer") == skip and e.get("verdict") == "failed"):
                continue
            c[e.get("verdict")] = c.get(e.get("verdict"), 0) + 1
            g = groups.setdefault((e.get("verdict"), e.get("check", "")), [0, set(), set(), ""])
            g[0] += 1
            g[1].add(f"node-{i}")
            g[2].add(e.get("peer"))
            g[3] = e.get("reason", "")
            total += 1
        counts.append(f"{i} {c['expired']} {c['failed']}")
    open(out, "w").write("\n".join(counts) + "\n")
    for (verdict, check), (n, by, on, reason) in sorted(groups.items()):
        print(f"  {n} {verdict} ({check}) by {len(by)} nodes on {len(on)} peers, e.g. \"{reason}\"")
    print(f"  {total} in all")

def load_snap(d, n):
    cpu = {}
    for l in open(f"{d}/cpu"):
        f = l.split()
        cpu[int(f[0])] = dict(zip(["t", "agent", "worker", "httpd", "swtpm",
                                   "agent_ns", "worker_ns", "httpd_ns", "swtpm_ns"], map(float, f[1:])))
    att = {}
    for i in range(1, n + 1):
        for p in json.load(open(f"{d}/peers.{i}.json")):
            a = p.get("attestation") or {}
            att[(i, p["name"])] = (a.get("attestations", 0), a.get("failures", 0), a.get("verdict"))
    return cpu, att

def summary(work, n, iv, window, hz, hw_qps):
    n, iv, hz, hw_qps = int(n), int(iv), float(hz), float(hw_qps)
    c0, a0 = load_snap(f"{work}/snap0", n)
    c1, a1 = load_snap(f"{work}/snap1", n)
    ms = lambda ticks: 1000.0 * ticks / hz
    flaps = {int(l.split()[0]): (int(l.split()[1]), int(l.split()[2])) for l in open(f"{work}/flaps.window")}
    rows, tot_att, tot_fail = [], 0, 0
    for i in range(1, n + 1):
        dt = c1[i]["t"] - c0[i]["t"]
        att = sum(a1[k][0] - a0[k][0] for k in a1 if k[0] == i)
        fail = sum(a1[k][1] - a0[k][1] for k in a1 if k[0] == i)
        served = sum(a1[k][0] - a0[k][0] for k in a1 if k[1] == f"node-{i}")
        d = {x: c1[i][x] - c0[i][x] for x in c1[i]}
        per = lambda x, m: ms(x) / m if m else float("nan")
        pern = lambda x, m: x / 1e6 / m if m else float("nan")
        rows.append(dict(i=i, dt=dt, att=att, fail=fail, served=served, rate=att / dt,
                         expired=flaps.get(i, (0, 0))[0],
                         worker=per(d["worker"], att), agent=per(d["agent"], att),
                         main=per(d["agent"] - d["worker"], served),
                         swtpm=per(d["swtpm"], served), httpd=per(d["httpd"], served),
                         worker_ns=pern(d["worker_ns"], att), agent_ns=pern(d["agent_ns"], att),
                         main_ns=pern(d["agent_ns"] - d["worker_ns"], served),
                         swtpm_ns=pern(d["swtpm_ns"], served), httpd_ns=pern(d["httpd_ns"], served),
                         ticks=d))
        tot_att += att
        tot_fail += fail
    dt = statistics.median(r["dt"] for r in rows)
    med = lambda key: statistics.median(r[key] for r in rows)
    print(f"\nper node over the window (CPU from utime+stime, {1000 / hz:.0f} ms ticks):")
    print(f"{'node':>7} {'att/s':>6} {'fail':>5} {'exp':>5} {'served':>6} {'worker':>9} {'agent':>9} "
          f"{'main':>9} {'swtpm':>9} {'httpd':>9}   CPU ticks agent/worker/swtpm/httpd")
    print(f"{'':>7} {'':>6} {'':>5} {'':>5} {'quotes':>6} {'ms/verif':>9} {'ms/verif':>9} "
          f"{'ms/quote':>9} {'ms/quote':>9} {'ms/quote':>9}")
    for r in rows:
        t = r["ticks"]
        print(f"{'node-' + str(r['i']):>7} {r['rate']:6.2f} {r['fail']:5d} {r['expired']:5d} {r['served']:6d} {r['worker']:9.2f} "
              f"{r['agent']:9.2f} {r['main']:9.2f} {r['swtpm']:9.2f} {r['httpd']:9.2f}   "
              f"{t['agent']:.0f}/{t['worker']:.0f}/{t['swtpm']:.0f}/{t['httpd']:.0f}")
    mesh_rate = tot_att / dt
    busy = sum(c1[i][k] - c0[i][k] for i in c1 for k in ("agent_ns", "httpd_ns", "swtpm_ns")) / 1e9 / dt
    print(f"""
summary: N = {n} nodes, interval {iv} s (max_age {3 * iv} s), window {dt:.1f} s
  attestations per second, mesh:          {mesh_rate:.2f}  (nominal N(N-1)/interval = {n * (n - 1) / iv:.1f})
  attestations per second, per node:      {med('rate'):.2f} median ({min(r['rate'] for r in rows):.2f}..{max(r['rate'] for r in rows):.2f})  (nominal (N-1)/interval = {(n - 1) / iv:.2f})
  mean time between attestations of a peer: {statistics.median((n - 1) / r['rate'] for r in rows):.2f} s median (nominal {iv} s +-20% jitter)
  failed attestations in the window:      {tot_fail}
  peers expired (max_age) in the window:  {sum(r['expired'] for r in rows)} (verdict events; an expired peer's addresses leave the allowed set)
  CPU per verification, worker thread:    {med('worker'):.2f} ms median over nodes (fetch over HTTP + all checks)
  CPU per verification, whole agent:      {med('agent'):.2f} ms median (includes answering its peers' quotes)
  agent main thread per quote served:     {med('main'):.2f} ms median
  swtpm CPU per quote served:             {med('swtpm'):.2f} ms median
  trustnode-httpd CPU per quote served:   {med('httpd'):.2f} ms median
  the same from schedstat run time (ns, no tick rounding), medians: worker {med('worker_ns'):.2f},
    agent {med('agent_ns'):.2f} ms per verification; main {med('main_ns'):.2f}, swtpm {med('swtpm_ns'):.2f},
    httpd {med('httpd_ns'):.2f} ms per quote served
  CPU of all agents, fronts and swtpms:   {100 * busy:.1f}% of one core""")
    return mesh_rate

def scaling(n, iv, hw_qps):
    n, iv, hw_qps = int(n), int(iv), float(hw_qps)
    print(f"""
how load grows: each node performs (N-1)/interval = {(n - 1) / iv:.1f} attestations/s and its TPM
  signs as many quotes; the mesh does N(N-1)/interval = {n * (n - 1) / iv:.0f}/s. Assuming (not measured
  here) a hardware TPM at ~{hw_qps:g} quotes/s, each node's TPM caps (N-1)/interval at {hw_qps:g}, so
  N <= 1 + {hw_qps:g}*interval = {1 + hw_qps * iv:.0f} at interval {iv} s (its worker, waiting on each
  remote quote in turn, hits the same bound). sqrt({hw_qps:g}*interval) = {(hw_qps * iv) ** 0.5:.1f} would
  be the limit only if ONE TPM signed for the whole mesh (N(N-1)/interval <= {hw_qps:g}).""")

def times(name, f):
    v = [float(l.split()[1]) for l in open(f) if l.split()[1] != "-"]
    miss = [l.split()[0] for l in open(f) if l.split()[1] == "-"]
    s = f"{max(v):.2f} s max, {statistics.median(v):.2f} s median over {len(v)} nodes" if v else "never"
    if miss:
        s += f" ({len(miss)} nodes never did: {' '.join('node-' + m for m in miss)})"
    print(f"  {name:<39} {s}")

cmd, args = sys.argv[1], sys.argv[2:]
if cmd == "wait-all":
    sys.exit(wait_all(args[0], float(args[1]), args[2:]))
elif cmd == "watch":
    sys.exit(watch(args[0], args[1], float(args[2]), args[3:]))
elif cmd == "last-seq":
    last_seq(args)
elif cmd == "bad-verdicts":
    bad_verdicts(args[0], args[1], args[2], args[3], args[4:])
elif cmd == "summary":
    summary(*args)
elif cmd == "scaling":
    scaling(*args)
elif cmd == "times":
    times(*args)
PY
# In the background and waited for, so that INT and TERM are handled at once.
mesh() {
	local rc=0
	python3 "$work/mesh.py" "$@" &
	bg=$!
	wait "$bg" || rc=$?
	bg=
	return "$rc"
}
socks() { local i; for i in "$@"; do echo "$i=$work/n$i/run/control.sock"; done; }
others=$(seq 2 "$N")

say "LAN: a bridge in $lan; nodes 192.0.2.1..$N/24, each in its own namespace"
run ip netns add "$lan"
run ip -n "$lan" link add br0 type bridge
run ip -n "$lan" link set br0 up
for i in $(seq "$N"); do
	ns=$(nsof "$i")
	run ip netns add "$ns"
	run ip -n "$ns" link set lo up
	run ip link add "tm${id}a$i" type veth peer name "tm${id}b$i"
	run ip link set "tm${id}a$i" netns "$ns"
	run ip link set "tm${id}b$i" netns "$lan"
	run ip -n "$lan" link set "tm${id}b$i" master br0 up
	run ip -n "$ns" addr add "192.0.2.$i/24" dev "tm${id}a$i"
	run ip -n "$ns" link set "tm${id}a$i" up
	if [ "$i" = 1 ]; then ECHO=0; echo "  (nodes 2..$N likewise)" >&2; fi
done
ECHO=1

say "Nodes: a swtpm and a trustnoded each, policies naming the $((N - 1)) others"
for i in $(seq "$N"); do
	d=$work/n$i ns=$(nsof "$i")
	run mkdir -p "$d/tpm" "$cgroot/n$i/wl"
	run swtpm socket --tpm2 --tpmstate dir="$d/tpm" --server type=unixio,path="$d/tpm/sock" \
		--ctrl type=unixio,path="$d/tpm/sock.ctrl" --flags startup-clear \
		--pid file="$d/tpm/pid" --daemon
	policy "$i" >"$d/policy.conf"
	[ "$ECHO" = 1 ] && echo "+ TRUSTNODE_QUIET_LIBBPF=1 nsenter --net=/run/netns/$ns $O/trustnoded" \
		"--cgroup $cgroot/n$i --state-dir $d/state --run-dir $d/run --pin-dir $(pinof "$i")" \
		"--tcti swtpm:path=$d/tpm/sock --listen 192.0.2.$i:$PORT --policy $d/policy.conf &" >&2
	TRUSTNODE_QUIET_LIBBPF=1 nsenter --net="/run/netns/$ns" "$O/trustnoded" \
		--cgroup "$cgroot/n$i" --state-dir "$d/state" --run-dir "$d/run" --pin-dir "$(pinof "$i")" \
		--tcti "swtpm:path=$d/tpm/sock" --listen "192.0.2.$i:$PORT" --policy "$d/policy.conf" \
		>"$d/agent.log" 2>&1 &
	agent[i]=$!
	if [ "$i" = 1 ]; then ECHO=0; echo "  (nodes 2..$N likewise)" >&2; fi
done
ECHO=1
t=$(date +%s)
for i in $(seq "$N"); do
	d=$work/n$i
	until [ -S "$d/run/control.sock" ] &&
	      ip netns exec "$(nsof "$i")" ss -ltnH 2>/dev/null | grep -q " 192.0.2.$i:$PORT "; do
		if ! kill -0 "${agent[$i]}" 2>/dev/null || [ $(( $(date +%s) - t )) -gt 120 ]; then
			echo "mesh-bench: node $i's agent did not come up:" >&2
			tail -20 "$d/agent.log" >&2
			exit 1
		fi
		sleep 0.2
	done
	[ "$(cat "/proc/${agent[$i]}/comm")" = trustnoded ] ||
		{ echo "mesh-bench: pid ${agent[$i]} is not trustnoded" >&2; exit 1; }
	pgrep -P "${agent[$i]}" -x trustnode-httpd | head -1 >"$d/httpd.pid"
	[ -s "$d/httpd.pid" ] || { echo "mesh-bench: node $i has no trustnode-httpd" >&2; exit 1; }
done
echo "all $N agents serving after $(( $(date +%s) - t )) s" >&2
run cat "$work/n1/policy.conf"

say "Enrolment: every node enrols every other ($((N * (N - 1))) enrolments)"
t=$(date +%s) k=0
for i in $(seq "$N"); do
	for j in $(seq "$N"); do
		[ "$i" = "$j" ] && continue
		cmd=(ip netns exec "$(nsof "$i")" "$O/trustctl" --state-dir "$work/n$i/state"
		     peer enroll "http://192.0.2.$j:$PORT" --name "node-$j")
		[ "$k" = 0 ] && echo "+ ${cmd[*]}" >&2
		"${cmd[@]}" >"$work/enroll.out" 2>&1 || {
			echo "mesh-bench: node $i enrolling node $j failed:" >&2
			cat "$work/enroll.out" >&2
			exit 1
		}
		k=$((k + 1))
		if [ $((k % 10)) = 0 ] || [ "$k" = $((N * (N - 1))) ]; then
			echo "  enrolled $k/$((N * (N - 1))) ($(( $(date +%s) - t )) s)" >&2
		fi
	done
done
# shellcheck disable=SC2046
mesh wait-all attested $((3 * IV + 30)) $(socks $(seq "$N"))

snapshot() {	# per node: time, CPU ticks, and its peer list (the counters)
	local dir=$work/$1 i p t w wns h s tid tids
	mkdir -p "$dir"
	: >"$dir/cpu"
	for i in $(seq "$N"); do
		p=${agent[$i]}
		# The peer worker: the agent's thread other than the main one.
		tids=
		for t in /proc/"$p"/task/*; do [ "${t##*/}" = "$p" ] || tids="$tids ${t##*/}"; done
		[ "$(echo "$tids" | wc -w)" = 1 ] ||
			echo "mesh-bench: node $i's agent has threads [$tids] besides the main one" >&2
		w=0 wns=0
		for tid in $tids; do
			w=$((w + $(ticks "$p/task/$tid")))
			wns=$((wns + $(cut -d' ' -f1 "/proc/$p/task/$tid/schedstat")))
		done
		h=$(cat "$work/n$i/httpd.pid") s=$(cat "$work/n$i/tpm/pid")
		echo "$i $(date +%s.%N) $(ticks "$p") $w $(ticks "$h") $(ticks "$s")" \
			"$(runns "$p") $wns $(runns "$h") $(runns "$s")" >>"$dir/cpu"
		ctl "$i" peer list --json >"$dir/peers.$i.json"
	done
}

say "Window: $WINDOW s of steady attestation"
# shellcheck disable=SC2046
mesh last-seq $(socks $(seq "$N")) >"$work/seq0"
snapshot snap0
sleep "$WINDOW" &
bg=$!
wait "$bg"
bg=
snapshot snap1
# shellcheck disable=SC2046
mesh last-seq $(socks $(seq "$N")) >"$work/seq1"
echo "verdicts other than attested during the window:" >&2
# shellcheck disable=SC2046
mesh bad-verdicts "$work/flaps.window" "$work/seq0" "$work/seq1" - $(socks $(seq "$N")) >&2

say "Propagation: node 1 loads a policy with one more local prefix"
policy 1 203.0.113.0/24 >"$work/n1/policy-changed.conf"
run diff "$work/n1/policy.conf" "$work/n1/policy-changed.conf" >&2 || true
# shellcheck disable=SC2046,SC2086
mesh watch node-1 failed $((MAXAGE + 10)) $(socks $others) -- \
	env TRUSTNODE_SOCKET="$work/n1/run/control.sock" "$O/trustctl" policy load "$work/n1/policy-changed.conf" \
	>"$work/refuse.times" || echo "mesh-bench: not every node refused node 1" >&2
echo "+ (each other node's first \"failed\" verdict on node-1, s after the load):" >&2
sed 's/^/  node-/' "$work/refuse.times" >&2
echo "  what they say about node-1 now (count, verdict, check: reason):" >&2
for j in $others; do
	ctl "$j" peer list --json | python3 -c 'import json,sys
a=[x for x in json.load(sys.stdin) if x["name"]=="node-1"][0]["attestation"]
print(a["verdict"], str(a.get("failed_check")) + ":", a.get("reason"))'
done | sort | uniq -c >&2

# The changed policy stays in node 1's log of this boot: every other node
# refuses it until its operator accepts it (trustctl peer accept), timed too.
say "Restore: node 1 loads its original policy again, and every other node accepts it"
# shellcheck disable=SC2046,SC2086
mesh watch node-1 attested $((MAXAGE + 10)) $(socks $others) -- \
	bash -c "TRUSTNODE_SOCKET='$work/n1/run/control.sock' '$O/trustctl' policy load '$work/n1/policy.conf' &&
		for j in $others; do '$O/trustctl' --state-dir '$work/n'\$j/state peer accept node-1 >/dev/null || exit 1; done" \
	>"$work/restore.times" || echo "mesh-bench: not every node attested node 1 again" >&2
echo "+ (each other node's first \"attested\" verdict on node-1, s after the restore):" >&2
sed 's/^/  node-/' "$work/restore.times" >&2
# shellcheck disable=SC2046
mesh wait-all attested $((3 * IV + 10)) $(socks $(seq "$N")) ||
	echo "mesh-bench: the mesh did not settle back to all attested" >&2
echo "verdicts other than attested since the window, besides the refusals of node 1:" >&2
# shellcheck disable=SC2046
mesh bad-verdicts "$work/flaps.after" "$work/seq1" - node-1 $(socks $(seq "$N")) >&2

mesh summary "$work" "$N" "$IV" "$WINDOW" "$(getconf CLK_TCK)" "$HW_QPS"
mesh times "refuse propagation (last node failed):" "$work/refuse.times"
mesh times "restore (last node attested again):" "$work/restore.times"
mesh scaling "$N" "$IV" "$HW_QPS"
