// SPDX-License-Identifier: GPL-2.0-only
/*
 * Attested-peers mode with three nodes on one LAN, each with its own swtpm
 * and agent, each agent in its node's network namespace:
 *
 *            bridge (netns tnpL<id>)
 *     A 192.0.2.1      B 192.0.2.2      C 192.0.2.3
 *
 * A and B name each other as peers and are enrolled both ways; C is in
 * nobody's policy. A tainted workload on A reaches B (attested) and not C;
 * what B's workload receives from A taints it, so it cannot reach C; when B
 * changes its policy, A refuses B within an interval and cuts the flow that
 * was open; B restored is allowed again. Workloads act through
 * `trustctl run` in their node's namespace, as an operator would.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>
#include "kselftest_harness.h"
#include "attnode.h"

#define ADDR(n) "192.0.2." #n

struct mesh_node {
	struct att_node att;
	const char *addr;
};

FIXTURE(mesh) {
	struct mesh_node a, b, c;
	char id[16];
	char out[16384];
};

/* The test policy plus peers: this node's workloads, its secret, its peer. */
static void write_policy(struct tn_node *n, char *buf, size_t len,
			 const char *peer_name, const char *peer_addr,
			 const char *extra_prefix)
{
	snprintf(buf, len,
		 "mode = \"enforce\";\n"
		 "local_prefixes = [ \"198.51.100.0/24\"%s%s%s ];\n"
		 "tags = ( { path = \"%s/secret\"; labels = [ \"phi\" ]; } );\n"
		 "workloads = ( { name = \"wl\"; cgroup = \"%s\"; },\n"
		 "              { name = \"wl2\"; cgroup = \"%s\"; } );\n"
		 "peers = ( { name = \"%s\"; url = \"http://%s:" ATT_PORT "\";\n"
		 "            addresses = [ \"%s\" ]; } );\n"
		 "attestation = { interval = 1; max_age = 3; };\n",
		 extra_prefix ? ", \"" : "", extra_prefix ? extra_prefix : "",
		 extra_prefix ? "\"" : "", n->data, n->wl_cg, n->wl2_cg,
		 peer_name, peer_addr, peer_addr);
}

/* Runs a shell command as workload wl of node m, in m's namespace. */
static int as_workload(struct mesh_node *m, const char *script)
{
	/* The namespace first: trustctl run drops CAP_SYS_ADMIN, which setns needs. */
	return run_cmd("TRUSTNODE_SOCKET=%s nsenter --net=/run/netns/%s %s/trustctl run "
		       "--workload wl -- bash -c '%s' >/dev/null 2>&1",
		       m->att.n.socket, m->att.ns, tn_build(), script);
}

/* Whether node m's peer list (--json when json) mentions text for peer. */
static int peer_list_says(struct mesh_node *m, const char *peer, const char *text,
			  int json, char *out, size_t n)
{
	const char *p;

	if (ctl(&m->att.n, out, n, "--state-dir %s/state peer list%s",
		m->att.n.tmp, json ? " --json" : ""))
		return 0;
	p = strstr(out, peer);
	return p && strstr(p, text);
}

/* Waits (up to secs) until node m's verdict on peer is want. */
static int wait_verdict(struct mesh_node *m, const char *peer, const char *want,
			int secs)
{
	char out[8192] = "", needle[128];

	snprintf(needle, sizeof(needle), "\"verdict\":\"%s\"", want);
	if (WAIT_UNTIL(peer_list_says(m, peer, needle, 1, out, sizeof(out)), secs * 1000))
		return 0;
	fprintf(stderr, "# %s: no verdict %s on %s: %s\n", m->att.n.id, want, peer, out);
	return -1;
}

/* Waits (up to secs) until node m's peer list mentions text for peer. */
static int wait_reason(struct mesh_node *m, const char *peer, const char *text,
		       int secs)
{
	char out[8192] = "";

	if (WAIT_UNTIL(peer_list_says(m, peer, text, 0, out, sizeof(out)), secs * 1000))
		return 0;
	fprintf(stderr, "# %s: peer list never said \"%s\" about %s:\n%s\n",
		m->att.n.id, text, peer, out);
	return -1;
}

static int up(struct mesh_node *m, const char *ns, const char *addr,
	      const char *peer_name, const char *peer_addr)
{
	char policy[4096];

	m->addr = addr;
	snprintf(m->att.ns, sizeof(m->att.ns), "%s", ns);
	if (att_node_up(&m->att, addr, 0, NULL, NULL, NULL))
		return -1;
	/* The policy names the node's own paths: written once they exist. */
	write_policy(&m->att.n, policy, sizeof(policy), peer_name, peer_addr, NULL);
	if (write_file(m->att.n.policy, policy))
		return -1;
	return ctl(&m->att.n, NULL, 0, "policy load %s", m->att.n.policy);
}

/* Enrols peer p at node m: trustctl with the agent's own state dir. */
static int enrol(struct mesh_node *m, struct mesh_node *p, const char *name)
{
	char sdir[300], out[8192];

	snprintf(sdir, sizeof(sdir), "%s/state", m->att.n.tmp);
	return att_ctl(&m->att, sdir, out, sizeof(out), "peer enroll %s --name %s",
		       p->att.url, name);
}

/* Waits until something listens on addr:port in namespace ns. */
static int wait_listen(const char *ns, const char *addrport)
{
	return WAIT_UNTIL(!run_cmd("ip netns exec %s ss -ltnH | grep -q ' %s '",
				   ns, addrport), 10000) ? 0 : -1;
}

static void mesh_down(FIXTURE_DATA(mesh) *self)
{
	for (int i = 0; i < 3; i++)
		run_cmd("ip netns pids tnp%c%s 2>/dev/null | xargs -r kill 2>/dev/null; true",
			"ABC"[i], self->id);
	att_node_down(&self->a.att);
	att_node_down(&self->b.att);
	att_node_down(&self->c.att);
	for (int i = 0; i < 3; i++)
		run_cmd("ip netns del tnp%c%s 2>/dev/null; true", "ABC"[i], self->id);
	run_cmd("ip netns del tnpL%s 2>/dev/null; true", self->id);
}

static int mesh_up(FIXTURE_DATA(mesh) *self)
{
	const char *id = self->id;

	tn_unused_id(self->id, sizeof(self->id));
	if (run_cmd("ip netns add tnpL%s && ip -n tnpL%s link add br0 type bridge && "
		    "ip -n tnpL%s link set br0 up", id, id, id))
		return -1;
	for (int i = 0; i < 3; i++) {
		char c = "ABC"[i];

		if (run_cmd("ip netns add tnp%c%s && ip -n tnp%c%s link set lo up && "
			    "ip link add tnp%c%s type veth peer name tnl%c%s && "
			    "ip link set tnp%c%s netns tnp%c%s && ip link set tnl%c%s netns tnpL%s && "
			    "ip -n tnpL%s link set tnl%c%s master br0 && ip -n tnpL%s link set tnl%c%s up && "
			    "ip -n tnp%c%s addr add 192.0.2.%d/24 dev tnp%c%s && "
			    "ip -n tnp%c%s link set tnp%c%s up",
			    c, id, c, id, c, id, c, id, c, id, c, id, c, id, id,
			    id, c, id, id, c, id, c, id, i + 1, c, id, c, id, c, id))
			return -1;
	}
	{
		char ns[32];

		snprintf(ns, sizeof(ns), "tnpA%s", id);
		if (up(&self->a, ns, ADDR(1), "node-b", ADDR(2)))
			return -1;
		snprintf(ns, sizeof(ns), "tnpB%s", id);
		if (up(&self->b, ns, ADDR(2), "node-a", ADDR(1)))
			return -1;
		snprintf(ns, sizeof(ns), "tnpC%s", id);
		if (up(&self->c, ns, ADDR(3), "node-a", ADDR(1)))
			return -1;
	}
	if (enrol(&self->a, &self->b, "node-b") || enrol(&self->b, &self->a, "node-a") ||
	    wait_verdict(&self->a, "node-b", "attested", 10) ||
	    wait_verdict(&self->b, "node-a", "attested", 10))
		return -1;
	/* C listens on 9000, and B on 9002, for anyone who gets through. */
	if (run_cmd("ip netns exec tnpC%s python3 -c 'import socket,time\n"
		    "s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
		    "s.bind((\"192.0.2.3\", 9000)); s.listen(8); s.settimeout(120)\n"
		    "while True: s.accept()[0].close()' >/dev/null 2>&1 &", id) ||
	    run_cmd("ip netns exec tnpB%s python3 -c 'import socket,time\n"
		    "s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
		    "s.bind((\"192.0.2.2\", 9002)); s.listen(8); s.settimeout(120)\n"
		    "while True: s.accept()[0].close()' >/dev/null 2>&1 &", id))
		return -1;
	{
		char ns[32];

		snprintf(ns, sizeof(ns), "tnpB%s", id);
		if (wait_listen(ns, "192.0.2.2:9002"))
			return -1;
		snprintf(ns, sizeof(ns), "tnpC%s", id);
		if (wait_listen(ns, "192.0.2.3:9000"))
			return -1;
	}
	return 0;
}

FIXTURE_SETUP(mesh)
{
	/* A failed setup gets no teardown: take apart what was built. */
	if (mesh_up(self)) {
		mesh_down(self);
		ASSERT_TRUE(0);
	}
}

FIXTURE_TEARDOWN(mesh)
{
	mesh_down(self);
}

/* Starts python code as workload wl of node m, in m's namespace, in the background. */
static int spawn_workload_py(struct mesh_node *m, const char *name, const char *code)
{
	char path[300];

	snprintf(path, sizeof(path), "%s/%s.py", m->att.n.tmp, name);
	if (write_file(path, code))
		return -1;
	return run_cmd("TRUSTNODE_SOCKET=%s nsenter --net=/run/netns/%s %s/trustctl run "
		       "--workload wl -- python3 %s >%s.log 2>&1 &",
		       m->att.n.socket, m->att.ns, tn_build(), path, path);
}

static int wait_file(const char *path, int secs)
{
	return WAIT_UNTIL(!access(path, F_OK), secs * 1000) ? 0 : -1;
}

/* B's workload: takes one connection on 9000, then tries to reach C. */
#define B_RECEIVER \
	"import socket,errno\n" \
	"s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n" \
	"s.bind(('192.0.2.2', 9000)); s.listen(1); s.settimeout(30)\n" \
	"c=s.accept()[0]; d=c.recv(100)\n" \
	"t=socket.socket()\n" \
	"try:\n t.connect(('192.0.2.3', 9000)); r='connected'\n" \
	"except OSError as e:\n r=errno.errorcode.get(e.errno, str(e.errno))\n" \
	"open('%s.tmp', 'w').write(d.decode().strip() + ' ' + r)\n" \
	"import os; os.rename('%s.tmp', '%s')\n"

TEST_F_TIMEOUT(mesh, tainted_data_reaches_the_attested_peer_only_and_stays_tainted_there, 240)
{
	char result[300], code[2048], script[1024], text[256];
	FILE *f;

	snprintf(result, sizeof(result), "%s/b-result", self->b.att.n.tmp);
	snprintf(code, sizeof(code), B_RECEIVER, result, result, result);
	ASSERT_EQ(0, spawn_workload_py(&self->b, "receiver", code));
	ASSERT_EQ(0, wait_listen(self->b.att.ns, "192.0.2.2:9000"));
	/* A's workload reads tagged data, then sends to B: B is attested. */
	snprintf(script, sizeof(script), "cat %s/secret >/dev/null && echo hello >/dev/tcp/192.0.2.2/9000",
		 self->a.att.n.data);
	EXPECT_EQ(0, as_workload(&self->a, script));
	/* ... and not to C, which nobody attests. */
	snprintf(script, sizeof(script), "cat %s/secret >/dev/null && echo hello >/dev/tcp/192.0.2.3/9000",
		 self->a.att.n.data);
	EXPECT_NE(0, as_workload(&self->a, script));
	/* B's receiving workload was tainted by what came from A. */
	ASSERT_EQ(0, wait_file(result, 20));
	f = fopen(result, "r");
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(text, sizeof(text), f));
	fclose(f);
	EXPECT_STREQ("hello EPERM", text);
	ASSERT_EQ(0, ctl(&self->b.att.n, self->out, sizeof(self->out), "workload list"));
	EXPECT_NE(NULL, strstr(self->out, "peer.node-a")) TH_LOG("%s", self->out);
}

/*
 * A's workload: connects to B (again and again for up to about 30 s: an
 * attestation of B may lapse for a moment on a loaded machine), then sends
 * a byte every 100 ms.
 */
#define A_SENDER \
	"import socket,time\n" \
	"for i in range(300):\n" \
	" try: s=socket.create_connection(('192.0.2.2', 9001), timeout=1); break\n" \
	" except OSError: time.sleep(0.1)\n" \
	"while True:\n" \
	" try: s.sendall(b'x')\n" \
	" except OSError: pass\n" \
	" time.sleep(0.1)\n"

/* B's workload: counts bytes received on 9001 into a file. */
#define B_COUNTER \
	"import socket\n" \
	"s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n" \
	"s.bind(('192.0.2.2', 9001)); s.listen(1)\n" \
	"c=s.accept()[0]; n=0\n" \
	"while True:\n" \
	" d=c.recv(100)\n" \
	" if not d: break\n" \
	" n+=len(d); open('%s', 'w').write(str(n))\n"

static long read_count(const char *path)
{
	FILE *f = fopen(path, "r");
	long n = -1;

	if (f) {
		if (fscanf(f, "%ld", &n) != 1)
			n = -1;
		fclose(f);
	}
	return n;
}

/*
 * A's workload is tainted, then keeps a flow to B's counter (which writes
 * what it received to count) open and busy: 0 once the counter counts.
 * The flow needs A's attestation of B valid at the time (max_age is 3 s):
 * on a loaded machine one may lapse, and TCP retries after a backoff, so
 * the first count may take a while.
 */
static int busy_tainted_flow_to_b(FIXTURE_DATA(mesh) *self, const char *count)
{
	char script[1024];

	snprintf(script, sizeof(script), "cat %s/secret >/dev/null", self->a.att.n.data);
	if (as_workload(&self->a, script)) {
		fprintf(stderr, "# busy flow: the workload could not read the secret\n");
		return -1;
	}
	if (spawn_workload_py(&self->a, "sender", A_SENDER)) {
		fprintf(stderr, "# busy flow: the sender did not start\n");
		return -1;
	}
	if (wait_file(count, 30)) {
		fprintf(stderr, "# busy flow: B's counter got nothing in 30 s\n");
		return -1;
	}
	/* The counter rewrites its file: a read between its truncate and its
	 * write finds it empty. */
	for (int i = 0; i < 50; i++) {
		if (read_count(count) > 0)
			return 0;
		usleep(100 * 1000);
	}
	fprintf(stderr, "# busy flow: B's counter file stayed empty for 5 s\n");
	return -1;
}

TEST_F_TIMEOUT(mesh, a_peer_whose_policy_changed_is_cut_off_until_enrolled_again, 240)
{
	char count[300], code[2048], other[300], policy[4096], script[1024];
	long before, after;

	snprintf(count, sizeof(count), "%s/b-count", self->b.att.n.tmp);
	snprintf(code, sizeof(code), B_COUNTER, count);
	ASSERT_EQ(0, spawn_workload_py(&self->b, "counter", code));
	ASSERT_EQ(0, wait_listen(self->b.att.ns, "192.0.2.2:9001"));
	/* A's workload is tainted, then keeps a flow to B open and busy. */
	ASSERT_EQ(0, busy_tainted_flow_to_b(self, count));

	/* B loads another policy: A refuses B at its next attestation. */
	snprintf(other, sizeof(other), "%s/other.conf", self->b.att.n.tmp);
	write_policy(&self->b.att.n, policy, sizeof(policy), "node-a", ADDR(1), "10.99.0.0/16");
	ASSERT_EQ(0, write_file(other, policy));
	ASSERT_EQ(0, ctl(&self->b.att.n, NULL, 0, "policy load %s", other));
	ASSERT_EQ(0, wait_verdict(&self->a, "node-b", "failed", 5));
	EXPECT_EQ(0, wait_reason(&self->a, "node-b", "is not an accepted policy", 1));
	/* The open flow carries nothing more... */
	usleep(300 * 1000);
	before = read_count(count);
	sleep(2);
	after = read_count(count);
	EXPECT_EQ(before, after);
	/* ... and a new connection is refused. */
	snprintf(script, sizeof(script), "echo again >/dev/tcp/192.0.2.2/9000");
	EXPECT_NE(0, as_workload(&self->a, script));

	/* B goes back to the policy A accepted: the loosened one stays in
	 * B's log of this boot, so A keeps refusing B... */
	ASSERT_EQ(0, ctl(&self->b.att.n, NULL, 0, "policy load %s", self->b.att.n.policy));
	EXPECT_EQ(0, wait_reason(&self->a, "node-b", "even if it has changed back since", 5));
	EXPECT_NE(0, wait_verdict(&self->a, "node-b", "attested", 2));
	/* ... until A's operator enrols B again, accepting its log as it is. */
	snprintf(other, sizeof(other), "%s/state", self->a.att.n.tmp);
	ASSERT_EQ(0, att_ctl(&self->a.att, other, NULL, 0, "peer remove node-b"));
	ASSERT_EQ(0, enrol(&self->a, &self->b, "node-b"));
	ASSERT_EQ(0, wait_verdict(&self->a, "node-b", "attested", 5));
	/*
	 * The open flow resumes at TCP's next retransmission, which backs off
	 * while packets are dropped (seconds after a long cut). The counter
	 * rewrites its file, so a read can find it empty: keep the largest.
	 */
	for (int i = 0; i < 200 && before <= after; i++) {
		long n = read_count(count);

		if (n > before)
			before = n;
		usleep(100 * 1000);
	}
	EXPECT_LT(after, before);
	ASSERT_EQ(0, ctl(&self->a.att.n, self->out, sizeof(self->out), "events --json"));
	EXPECT_NE(NULL, strstr(self->out, "peer-verdict"));
}

/*
 * Runs a shell command as workload wl of node m without its agent: the
 * process moves itself into the workload's cgroup, then enters m's
 * namespace. For when the agent cannot answer (frozen).
 */
static int as_workload_raw(struct mesh_node *m, const char *script)
{
	return run_cmd("sh -c 'echo $$ > %s/cgroup.procs && exec nsenter --net=/run/netns/%s "
		       "timeout 5 bash -c \"%s\"' >/dev/null 2>&1",
		       m->att.n.wl_cg, m->att.ns, script);
}

/*
 * The kernel does not wait for the agent: a peer's permission carries its
 * expiry (last passing attestation + max_age) into the kernel, so a frozen
 * agent, which can neither renew nor remove it, still has it refused on
 * time, and an open flow stops carrying data.
 */
TEST_F_TIMEOUT(mesh, a_frozen_agent_still_has_the_peer_refused_at_max_age, 240)
{
	char count[300], code[2048], path[300];
	long before, after, later = -1;
	int refused, reached;

	/*
	 * B's counter is in no workload: B attests A too, and would stop a
	 * tainted counter's acknowledgements when A (frozen) stops answering.
	 * Only A's kernel may cut this flow.
	 */
	snprintf(count, sizeof(count), "%s/b-count", self->b.att.n.tmp);
	snprintf(code, sizeof(code), B_COUNTER, count);
	snprintf(path, sizeof(path), "%s/counter.py", self->b.att.n.tmp);
	ASSERT_EQ(0, write_file(path, code));
	ASSERT_EQ(0, run_cmd("ip netns exec %s timeout 120 python3 %s >/dev/null 2>&1 &",
			     self->b.att.ns, path));
	ASSERT_EQ(0, wait_listen(self->b.att.ns, "192.0.2.2:9001"));
	ASSERT_EQ(0, busy_tainted_flow_to_b(self, count));
	/* Past max_age: renewed attestations renewed the kernel's expiry. */
	sleep(4);
	/* Without the agent's help, the tainted workload reaches B now. */
	reached = as_workload_raw(&self->a, "echo x >/dev/tcp/192.0.2.2/9002");
	EXPECT_EQ(0, reached);

	/* A's agent freezes: it neither renews B nor removes it. */
	ASSERT_EQ(0, kill(self->a.att.n.agent, SIGSTOP));
	/* max_age is 3 s; the last passing attestation is at most ~1.2 s old. */
	sleep(4);
	refused = as_workload_raw(&self->a, "echo x >/dev/tcp/192.0.2.2/9002");
	usleep(300 * 1000);
	before = read_count(count);
	sleep(2);
	after = read_count(count);
	kill(self->a.att.n.agent, SIGCONT);
	EXPECT_NE(0, refused);
	EXPECT_EQ(before, after);

	/* Thawed, the agent attests B again and the flow resumes. */
	ASSERT_EQ(0, wait_verdict(&self->a, "node-b", "attested", 6));
	/* (TCP backs off while its packets were dropped: give it time.) */
	for (int i = 0; i < 100 && (later = read_count(count)) <= after; i++)
		usleep(100 * 1000);
	EXPECT_LT(after, later);
}

TEST_F_TIMEOUT(mesh, an_unreachable_peer_is_removed_and_a_restarted_verifier_attests_again, 240)
{
	char script[1024];

	/* B's agent stops: A cannot attest it and removes it. */
	node_kill_agent(&self->b.att.n);
	ASSERT_EQ(0, wait_verdict(&self->a, "node-b", "failed", 6));
	snprintf(script, sizeof(script), "cat %s/secret >/dev/null && echo x >/dev/tcp/192.0.2.2/9002",
		 self->a.att.n.data);
	EXPECT_NE(0, as_workload(&self->a, script));
	ASSERT_EQ(0, node_start_agent(&self->b.att.n));
	ASSERT_EQ(0, wait_verdict(&self->a, "node-b", "attested", 6));
	/* A restarts: nothing is allowed on trust; B is attested again. */
	node_kill_agent(&self->a.att.n);
	ASSERT_EQ(0, node_start_agent(&self->a.att.n));
	ASSERT_EQ(0, wait_verdict(&self->a, "node-b", "attested", 6));
	EXPECT_EQ(0, as_workload(&self->a, script));
}

TEST_F_TIMEOUT(mesh, a_peer_with_a_new_identity_key_is_refused, 240)
{
	node_kill_agent(&self->b.att.n);
	ASSERT_EQ(0, run_cmd("rm %s/state/identity.key", self->b.att.n.tmp));
	ASSERT_EQ(0, node_start_agent(&self->b.att.n));
	/* (While B restarts, A may first fail to reach it.) */
	EXPECT_EQ(0, wait_reason(&self->a, "node-b", "identity key", 8));
	EXPECT_EQ(0, wait_verdict(&self->a, "node-b", "failed", 1));
}

TEST_F_TIMEOUT(mesh, a_peer_running_other_software_is_refused, 240)
{
	char bin[300];

	/* B restarts with a different trustnoded (one byte more): the quote's
	 * log measures a binary A never accepted. */
	snprintf(bin, sizeof(bin), "%s/trustnoded-other", self->b.att.n.tmp);
	ASSERT_EQ(0, run_cmd("cp %s/trustnoded %s && printf x >> %s && "
			     "ln -sf $(readlink -f %s/trustnode-httpd) %s/trustnode-httpd",
			     tn_build(), bin, bin, tn_build(), self->b.att.n.tmp));
	node_kill_agent(&self->b.att.n);
	self->b.att.n.agent_bin = bin;
	ASSERT_EQ(0, node_start_agent(&self->b.att.n));
	EXPECT_EQ(0, wait_reason(&self->a, "node-b", "not an accepted measurement", 8));
	EXPECT_EQ(0, wait_verdict(&self->a, "node-b", "failed", 1));
}

/* ---- a flood of denials ------------------------------------------------ */

#define FLOOD_SECONDS 30

/*
 * An unprivileged process of workload cg on node m loops on sendto() to C
 * (in nobody's allowed set) for FLOOD_SECONDS, then writes to wfd how many
 * calls were refused with EPERM and how many were not.
 */
static pid_t flood_start(struct mesh_node *m, const char *cg, int wfd)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	{
		long counts[2];
		char procs[400];

		snprintf(procs, sizeof(procs), "%s/cgroup.procs", cg);
		if (write_file(procs, "0") || join_netns(m->att.ns))
			_exit(100);
		if (setgid(65534) || setuid(65534))
			_exit(99);
		if (flood_sendto(ADDR(3), 9000, FLOOD_SECONDS, counts))
			_exit(98);
		_exit(write(wfd, counts, sizeof(counts)) == sizeof(counts) ? 0 : 96);
	}
}

/*
 * C asks A for a quote over a fresh nonce (seq makes it fresh); 0 if an
 * answer with a quote came back.
 */
static int quote_from(FIXTURE_DATA(mesh) *self, unsigned seq)
{
	return run_cmd("ip netns exec %s curl -sf --max-time 20 --noproxy '*' "
		       "'%s/v1/quote?nonce=%064x' | grep -q '\"attest\"'",
		       self->c.att.ns, self->a.att.url, seq);
}

/* How many times node m has attested peer, and how many of those failed. */
static int peer_counts(struct mesh_node *m, const char *peer, long *att, long *fail)
{
	static char out[65536];
	json_object *o, *arr;
	int ret = -1;

	if (ctl(&m->att.n, out, sizeof(out), "status --json"))
		return -1;
	o = json_tokener_parse(out);
	arr = json_object_object_get(o, "peers");
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		json_object *p = json_object_array_get_idx(arr, i);

		if (strcmp(json_object_get_string(json_object_object_get(p, "name")), peer))
			continue;
		*att = json_object_get_int64(json_object_object_get(p, "attestations"));
		*fail = json_object_get_int64(json_object_object_get(p, "failures"));
		ret = 0;
	}
	json_object_put(o);
	return ret;
}

/* One connection to B's listener as workload wl2 of A, without A's agent. */
static int wl2_reaches_b(FIXTURE_DATA(mesh) *self)
{
	return run_cmd("sh -c 'echo $$ > %s/cgroup.procs && exec nsenter --net=/run/netns/%s "
		       "timeout 5 bash -c \"echo x >/dev/tcp/192.0.2.2/9002\"' >/dev/null 2>&1",
		       self->a.att.n.wl2_cg, self->a.att.ns);
}

/*
 * A tainted, unprivileged workload on A floods denials for 30 s. During
 * it A's agent answers its control socket, serves quotes (C asks, and B,
 * attesting A every second with a max_age of 3 s, never fails it), and a
 * peer whose attestation stops being renewed (B's agent killed) is refused
 * at max_age; afterwards the reported and counted denials add up exactly.
 */
TEST_F_TIMEOUT(mesh, a_flood_of_denials_starves_neither_quotes_nor_peer_expiry, 240)
{
	double calm = 0, calm_q = 0, worst = 0, worst_ctl = 0, worst_q = 0, t, t0, t_kill = 0;
	long counts[2] = { -1, -1 }, reported, unreported;
	int p[2], st = -1, answers = 0, quotes = 0, quotes_failed = 0;
	int reached_before = -1, reached_after = -1;
	char script[1024], events[400], why[300];
	long att0 = -1, fail0 = -1, att1 = -1, fail1 = -1;
	unsigned seq = 1;
	pid_t pid;

	snprintf(script, sizeof(script), "cat %s/secret >/dev/null", self->a.att.n.data);
	ASSERT_EQ(0, as_workload(&self->a, script));
	/* wl2 is tainted too: it checks B's expiry without touching wl's counts. */
	ASSERT_EQ(0, run_cmd("sh -c 'echo $$ > %s/cgroup.procs && exec cat %s/secret' >/dev/null",
			     self->a.att.n.wl2_cg, self->a.att.n.data));
	/* What a status and a quote cost here without a flood. */
	for (int i = 0; i < 3; i++) {
		t = tn_now_s();
		ASSERT_EQ(0, node_bare_status(&self->a.att.n));
		t = tn_now_s() - t;
		calm = t > calm ? t : calm;
		t = tn_now_s();
		ASSERT_EQ(0, quote_from(self, seq++));
		t = tn_now_s() - t;
		calm_q = t > calm_q ? t : calm_q;
	}

	/* B's attestations of A from here on are those made during the flood. */
	ASSERT_EQ(0, peer_counts(&self->b, "node-a", &att0, &fail0));
	ASSERT_EQ(0, pipe(p));
	pid = flood_start(&self->a, self->a.att.n.wl_cg, p[1]);
	ASSERT_LE(0, pid);
	close(p[1]);
	usleep(500 * 1000);
	t0 = tn_now_s();
	while (tn_now_s() - t0 < FLOOD_SECONDS - 2) {
		double e = tn_now_s() - t0;

		/* B is allowed while it is attested... */
		if (reached_before < 0 && e > 15)
			reached_before = wl2_reaches_b(self);
		/* ... and its agent dies (nothing renews it) ... */
		if (!t_kill && e > 20) {
			EXPECT_EQ(0, peer_counts(&self->b, "node-a", &att1, &fail1));
			node_kill_agent(&self->b.att.n);
			t_kill = tn_now_s();
		}
		/* ... so A's kernel refuses it by max_age (3 s) after the last renewal. */
		if (t_kill && reached_after < 0 && tn_now_s() - t_kill > 3.5)
			reached_after = wl2_reaches_b(self);

		t = tn_now_s();
		EXPECT_EQ(0, node_bare_status(&self->a.att.n));
		t = tn_now_s() - t;
		worst = t > worst ? t : worst;
		t = tn_now_s();
		EXPECT_EQ(0, ctl(&self->a.att.n, NULL, 0, "status"));
		t = tn_now_s() - t;
		worst_ctl = t > worst_ctl ? t : worst_ctl;
		answers++;
		t = tn_now_s();
		if (quote_from(self, seq++))
			quotes_failed++;
		else
			quotes++;
		t = tn_now_s() - t;
		worst_q = t > worst_q ? t : worst_q;
		usleep(200 * 1000);
	}
	EXPECT_EQ((ssize_t)sizeof(counts), read(p[0], counts, sizeof(counts)));
	close(p[0]);
	waitpid(pid, &st, 0);
	EXPECT_EQ(0, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	TH_LOG("flood: %ld sendto() refused, %ld not; %d status answers, slowest %.3f s (%.3f s calm), trustctl status slowest %.3f s; %d quotes served, %d not, slowest %.3f s (%.3f s calm)",
	       counts[0], counts[1], answers, worst, calm, worst_ctl, quotes, quotes_failed,
	       worst_q, calm_q);
	EXPECT_LT(1000, counts[0]);
	EXPECT_EQ(0, counts[1]);
	/* The agent's own answer: within a second, flood or not. */
	EXPECT_GT(1.0, worst);
	/* trustctl's start-up competes with the flooder for the CPU. */
	EXPECT_GT(2.0 + 5 * calm + 0.5, worst_ctl);
	EXPECT_EQ(0, quotes_failed);
	EXPECT_GT(2.0 + 3 * calm_q, worst_q);
	/* B attested A every second until its agent died, and never failed it. */
	TH_LOG("B attested A %ld times during the flood, %ld failed", att1 - att0, fail1 - fail0);
	EXPECT_LE(10, att1 - att0);
	EXPECT_EQ(fail0, fail1);
	EXPECT_EQ(0, reached_before);
	EXPECT_NE(0, reached_after);
	EXPECT_EQ(0, wait_verdict(&self->a, "node-b", "failed", 1));

	/* The agent turns counter increases into records once a second. */
	sleep(2);
	snprintf(events, sizeof(events), "%s/state/audit", self->a.att.n.tmp);
	EXPECT_EQ(0, denials_accounted(events, "wl", counts[0], FLOOD_SECONDS,
				       &reported, &unreported, why, sizeof(why)));
	TH_LOG("%s", why);
}

TEST_HARNESS_MAIN
