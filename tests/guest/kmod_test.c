// SPDX-License-Identifier: GPL-2.0-only
/*
 * trustnode.ko in a real kernel (guest only: the host cannot load modules).
 * The module is the second egress guard: it must hold with the BPF programs
 * detached, refuse every malformed or unprivileged request without changing
 * anything, and after seal only ever get stricter. The seal test is last:
 * after it the module cannot be unloaded until the guest powers off.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include "kmod_nl.h"
#include "linux/trustnode.h"
#include "attnode.h"
#include "node_fixture.h"

static int module_loaded(void)
{
	return !access("/sys/module/trustnode", F_OK);
}

static int load_module(void)
{
	if (module_loaded())
		return 0;
	return run_cmd("insmod %s/kmod-tree/kmod/trustnode.ko", tn_build());
}

static struct tn_kmod_status status(void)
{
	struct tn_kmod_status st = { 0 };
	struct tn_err err;
	struct tn_kmod *k = tn_kmod_open(&err);

	if (k) {
		tn_kmod_status(k, &st, &err);
		tn_kmod_close(k);
	}
	return st;
}

/* Connect that gives up after ms: a dropped SYN shows up as ETIMEDOUT. */
static int connect_within(const char *addr, int port, int ms)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	int v6 = !!strchr(addr, ':'), fd, err = 0;
	socklen_t len = sizeof(err);
	struct pollfd p;

	if (v6) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		inet_pton(AF_INET6, addr, &sin6->sin6_addr);
	} else {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		inet_pton(AF_INET, addr, &sin->sin_addr);
	}
	fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (connect(fd, (struct sockaddr *)&ss, v6 ? sizeof(*sin6) : sizeof(*sin)) &&
	    errno != EINPROGRESS) {
		err = errno;
		close(fd);
		return err;
	}
	p = (struct pollfd){ .fd = fd, .events = POLLOUT };
	if (poll(&p, 1, ms) != 1) {
		close(fd);
		return ETIMEDOUT;
	}
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
	close(fd);
	return err;
}

struct reach {
	const char *addr;
};

static int reach(void *arg)
{
	return connect_within(((struct reach *)arg)->addr, PORT, 1500);
}

#define REACH(n, cg, a) in_cgroup(n, cg, reach, &(struct reach){ a })

/*
 * Becomes the audit daemon (what auditd does) and collects the kernel's
 * AUDIT_KERNEL_OTHER records, so the test reads what auditd would log.
 */
static int audit_listen(void)
{
	struct {
		struct nlmsghdr h;
		struct audit_status s;
	} req = { 0 };
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT);

	int big = 4 << 20;

	if (fd < 0)
		return -1;
	/* Registering flushes the backlog held so far: make room for it. */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	req.h.nlmsg_len = sizeof(req);
	req.h.nlmsg_type = AUDIT_SET;
	req.h.nlmsg_flags = NLM_F_REQUEST;
	req.s.mask = AUDIT_STATUS_PID | AUDIT_STATUS_ENABLED;
	req.s.enabled = 1;
	req.s.pid = getpid();
	if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&kernel,
		   sizeof(kernel)) != sizeof(req)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Whether a kernel audit record containing needle arrives within ms. */
static int audit_seen(int fd, const char *needle, int ms)
{
	static char buf[1 << 16];

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		struct nlmsghdr *h;
		ssize_t n;

		if (poll(&p, 1, ms) != 1)
			return 0;
		n = recv(fd, buf, sizeof(buf) - 1, 0);
		if (n <= 0)
			return 0;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
			char *text = NLMSG_DATA(h);

			if (h->nlmsg_type != AUDIT_KERNEL_OTHER)
				continue;
			text[h->nlmsg_len - NLMSG_HDRLEN] = '\0';
			if (strstr(text, needle))
				return 1;
		}
	}
}

/* ---- loading --------------------------------------------------------- */

TEST(the_module_loads_shows_its_version_and_unloads)
{
	char v[32] = "";
	FILE *f;

	if (module_loaded())
		ASSERT_EQ(0, run_cmd("rmmod trustnode"));
	ASSERT_EQ(0, load_module());
	f = fopen("/sys/module/trustnode/version", "r");
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(v, sizeof(v), f));
	fclose(f);
	EXPECT_STREQ(TN_VERSION "\n", v);
	EXPECT_STREQ(TN_VERSION, status().version);
	EXPECT_EQ(0, status().policy_loaded);
	EXPECT_EQ(0, run_cmd("rmmod trustnode"));
	EXPECT_FALSE(module_loaded());
	EXPECT_EQ(0, load_module());
}

TEST(the_in_kernel_prefix_selftest_passes)
{
	EXPECT_EQ(0, run_cmd("insmod %s/kmod-tree/kmod/trustnode_selftest.ko", tn_build()));
	run_cmd("rmmod trustnode_selftest 2>/dev/null");
	EXPECT_EQ(0, run_cmd("dmesg | grep -q 'trustnode_selftest: .*passed'"))
		TH_LOG("dmesg has no passing self-test summary");
}

/* ---- the agent keeps the module in step -------------------------------- */

static int wait_tainted(unsigned int n)
{
	int i;

	for (i = 0; i < 40; i++) {
		if (status().ntainted >= n)
			return 0;
		usleep(100 * 1000);
	}
	return -1;
}

TEST_F(node, the_agent_pushes_policy_and_taint_to_the_module)
{
	char out[8192];

	ASSERT_EQ(0, load_module());
	/* The agent started before; it picks the module up within a second. */
	usleep(1500 * 1000);
	EXPECT_EQ(1, status().policy_loaded);
	EXPECT_EQ(1, status().enforce);
	EXPECT_EQ(2, (int)status().nprefixes);
	ASSERT_EQ(0, ACT(&self->n, self->n.wl_cg, .open = data(&self->n, "secret")));
	EXPECT_EQ(0, wait_tainted(1));
	ASSERT_EQ(0, ctl(&self->n, out, sizeof(out), "status --json | grep -A14 kernel_module"));
	EXPECT_NE(NULL, strstr(out, "\"version\":\"" TN_VERSION "\"")) TH_LOG("%s", out);
	ASSERT_EQ(0, ctl(&self->n, out, sizeof(out), "status"));
	EXPECT_NE(NULL, strstr(out, "module:     trustnode " TN_VERSION ", enforce, not sealed")) TH_LOG("%s", out);
	ASSERT_EQ(0, ctl(&self->n, out, sizeof(out), "kmod status"));
	EXPECT_NE(NULL, strstr(out, "tainted:       1 cgroups")) TH_LOG("%s", out);
	/* Reset clears the module's taint too. */
	ASSERT_EQ(0, ctl(&self->n, NULL, 0, "workload reset wl"));
	EXPECT_EQ(0, (int)status().ntainted);
}

TEST_F(node, the_egress_guard_holds_with_the_bpf_programs_detached)
{
	int audit;

	ASSERT_EQ(0, load_module());
	usleep(1500 * 1000);
	ASSERT_EQ(0, ACT(&self->n, self->n.wl_cg, .open = data(&self->n, "secret")));
	ASSERT_EQ(0, wait_tainted(1));

	/* No agent, no BPF: only the module is left. */
	node_kill_agent(&self->n);
	ASSERT_EQ(0, run_cmd("%s/trustnoded --unload --pin-dir %s >/dev/null 2>&1",
			     tn_build(), self->n.pin));
	EXPECT_NE(0, run_cmd("bpftool cgroup show %s | grep -q connect4", self->n.cgroot));

	audit = audit_listen();
	ASSERT_LE(0, audit);
	EXPECT_EQ(ETIMEDOUT, REACH(&self->n, self->n.wl_cg, OUT4));
	/* What auditd would log. */
	EXPECT_TRUE(audit_seen(audit, "op=trustnode_egress verdict=drop", 8000));
	EXPECT_EQ(ETIMEDOUT, REACH(&self->n, self->n.wl_cg, OUT6));
	EXPECT_TRUE(audit_seen(audit, "daddr=2001:db8:1::2", 2000));
	close(audit);
	EXPECT_EQ(0, REACH(&self->n, self->n.wl_cg, LOCAL4));
	EXPECT_EQ(0, REACH(&self->n, self->n.wl_cg, LOCAL6));
	EXPECT_EQ(0, REACH(&self->n, self->n.wl2_cg, OUT4));
	EXPECT_LE(2, (int)status().drops);
}

/*
 * A flow opened before the taint: once the module knows the taint, its
 * packets are dropped in netfilter (which runs before the BPF egress
 * program), and the agent records the module's DROP notification.
 */
static int flow_then_taint(void *arg)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(PORT) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	inet_pton(AF_INET, OUT4, &sin.sin_addr);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sin, sizeof(sin)))
		return 1;
	if (do_open(arg))
		return 2;
	usleep(1500 * 1000);	/* the agent pushes the taint within a second */
	send(fd, "after", 5, MSG_NOSIGNAL);
	usleep(3000 * 1000);	/* retransmissions meet the module */
	close(fd);
	return 0;
}

TEST_F(node, the_modules_drops_reach_the_event_log)
{
	ASSERT_EQ(0, load_module());
	usleep(1500 * 1000);
	ASSERT_EQ(0, in_cgroup(&self->n, self->n.wl_cg, flow_then_taint,
			       (void *)data(&self->n, "secret")));
	EXPECT_LE(1, (int)status().drops);
	EXPECT_TRUE(HAS_EVENT(&self->n, "\"type\":\"kmod-drop\"", "\"workload\":\"wl\"",
			      "\"dest\":\"203.0.113.2:8080\"", "\"labels\":[\"phi\"]"));
}

/* ---- hostile input ----------------------------------------------------- */

/* Sends one hand-built message; returns -errno and the extack text. */
static int raw(uint8_t cmd, void (*build)(struct nl_msg *), char *why, size_t n)
{
	struct tn_err err = { .msg = "" };
	struct tn_kmod *k = tn_kmod_open(&err);
	struct nl_msg *msg;
	int ret;

	if (!k)
		return -ENOENT;
	msg = tn_kmod_request(k, cmd);
	if (build)
		build(msg);
	ret = tn_kmod_send(k, msg, &err) ? -err.errnum : 0;
	snprintf(why, n, "%s", err.msg);
	tn_kmod_close(k);
	return ret;
}

/* ---- an attested peer's expiry, enforced by the module alone ---------- */

static uint64_t expiry_ns;

static uint64_t boot_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Only OUT4's prefix, as a peer's, allowed until expiry_ns. */
static void out4_until(struct nl_msg *m)
{
	static const uint8_t net[4] = { 203, 0, 113, 0 };
	struct nlattr *l, *p;

	nla_put_u8(m, TRUSTNODE_A_MODE, 1);
	l = nla_nest_start(m, TRUSTNODE_A_PREFIXES | NLA_F_NESTED);
	p = nla_nest_start(m, TRUSTNODE_A_PREFIX | NLA_F_NESTED);
	nla_put_u8(m, TRUSTNODE_A_PREFIX_FAMILY, AF_INET);
	nla_put(m, TRUSTNODE_A_PREFIX_ADDR, 4, net);
	nla_put_u8(m, TRUSTNODE_A_PREFIX_LEN, 24);
	nla_put_u64(m, TRUSTNODE_A_PREFIX_VALID_UNTIL, expiry_ns);
	nla_nest_end(m, p);
	nla_nest_end(m, l);
}

/*
 * With no agent to remove it, a prefix pushed with a valid_until allows a
 * tainted workload until then and nothing after: the module checks the
 * boot clock per packet.
 */
TEST_F_TIMEOUT(node, an_expired_prefix_in_the_module_allows_nothing, 180)
{
	char why[1024];
	unsigned int before;

	ASSERT_EQ(0, load_module());
	usleep(1500 * 1000);
	/* Earlier tests' cgroups may still be in the table: count ours. */
	before = status().ntainted;
	ASSERT_EQ(0, ACT(&self->n, self->n.wl_cg, .open = data(&self->n, "secret")));
	ASSERT_EQ(0, wait_tainted(before + 1));
	node_kill_agent(&self->n);
	ASSERT_EQ(0, run_cmd("%s/trustnoded --unload --pin-dir %s >/dev/null 2>&1",
			     tn_build(), self->n.pin));

	expiry_ns = boot_now_ns() + 8000000000ULL;
	ASSERT_EQ(0, raw(TRUSTNODE_CMD_SET_POLICY, out4_until, why, sizeof(why)))
		TH_LOG("%s", why);
	EXPECT_EQ(0, REACH(&self->n, self->n.wl_cg, OUT4));
	/* The module alone guards: what the policy does not name is dropped. */
	EXPECT_EQ(ETIMEDOUT, REACH(&self->n, self->n.wl_cg, OUT6));
	while (boot_now_ns() < expiry_ns + 200000000ULL)
		usleep(100 * 1000);
	EXPECT_EQ(ETIMEDOUT, REACH(&self->n, self->n.wl_cg, OUT4));
	/* An untainted workload is not affected. */
	EXPECT_EQ(0, REACH(&self->n, self->n.wl2_cg, OUT4));
}

static void mode_as_u32(struct nl_msg *m)
{
	struct nlattr *l;

	nla_put_u32(m, TRUSTNODE_A_MODE, 1);
	l = nla_nest_start(m, TRUSTNODE_A_PREFIXES | NLA_F_NESTED);
	nla_nest_end(m, l);
}

static void no_prefixes(struct nl_msg *m)
{
	nla_put_u8(m, TRUSTNODE_A_MODE, 1);
}

static void prefix(struct nl_msg *m, int family, const void *addr, int alen,
		   int len, int nested)
{
	struct nlattr *p;

	/* libnl's nla_nest_start() always sets NLA_F_NESTED; clear it after. */
	p = nla_nest_start(m, TRUSTNODE_A_PREFIX);
	nla_put_u8(m, TRUSTNODE_A_PREFIX_FAMILY, family);
	nla_put(m, TRUSTNODE_A_PREFIX_ADDR, alen, addr);
	nla_put_u8(m, TRUSTNODE_A_PREFIX_LEN, len);
	nla_nest_end(m, p);
	if (!nested)
		p->nla_type &= ~NLA_F_NESTED;
}

#define POLICY_WITH(name, ...)						\
static void name(struct nl_msg *m)					\
{									\
	struct nlattr *l;						\
	nla_put_u8(m, TRUSTNODE_A_MODE, 1);				\
	l = nla_nest_start(m, TRUSTNODE_A_PREFIXES | NLA_F_NESTED);	\
	__VA_ARGS__;							\
	nla_nest_end(m, l);						\
}

static const uint8_t a10[4] = { 10, 0, 0, 0 }, a10_1[4] = { 10, 0, 0, 1 };
static const uint8_t a17[17] = { 0 };

POLICY_WITH(len_33, prefix(m, AF_INET, a10, 4, 33, 1))
POLICY_WITH(host_bits, prefix(m, AF_INET, a10_1, 4, 8, 1))
POLICY_WITH(addr_17_bytes, prefix(m, AF_INET6, a17, 17, 8, 1))
POLICY_WITH(v4_addr_for_v6, prefix(m, AF_INET6, a10, 4, 8, 1))
POLICY_WITH(bad_family, prefix(m, 99, a10, 4, 8, 1))
POLICY_WITH(not_nested, prefix(m, AF_INET, a10, 4, 8, 0))
POLICY_WITH(too_many, for (int i = 0; i < TRUSTNODE_MAX_PREFIXES + 1; i++)
			       prefix(m, AF_INET, a10, 4, 8, 1))

static void taint_no_labels(struct nl_msg *m)
{
	nla_put_u64(m, TRUSTNODE_A_CGROUP_ID, 12345);
}

static void taint_zero_cgroup(struct nl_msg *m)
{
	nla_put_u64(m, TRUSTNODE_A_CGROUP_ID, 0);
	nla_put_u64(m, TRUSTNODE_A_LABELS, 1);
}

static void taint_short_id(struct nl_msg *m)
{
	nla_put_u32(m, TRUSTNODE_A_CGROUP_ID, 12345);
	nla_put_u64(m, TRUSTNODE_A_LABELS, 1);
}

static void status_with_junk(struct nl_msg *m)
{
	nla_put_u64(m, TRUSTNODE_A_CGROUP_ID, 1);
}

TEST_F(node, malformed_requests_are_refused_and_change_nothing)
{
	struct tn_kmod_status before, after;
	char why[1024];

	ASSERT_EQ(0, load_module());
	usleep(1500 * 1000);
	before = status();
	ASSERT_EQ(1, before.policy_loaded);
#define REFUSED(cmd, fn, want) do {					\
	EXPECT_GT(0, raw(cmd, fn, why, sizeof(why)));			\
	EXPECT_NE(NULL, strstr(why, want)) TH_LOG(#fn ": %s", why);	\
} while (0)
	REFUSED(TRUSTNODE_CMD_SET_POLICY, mode_as_u32, "");
	REFUSED(TRUSTNODE_CMD_SET_POLICY, no_prefixes, "");
	REFUSED(TRUSTNODE_CMD_SET_POLICY, len_33, "");
	REFUSED(TRUSTNODE_CMD_SET_POLICY, host_bits, "");
	REFUSED(TRUSTNODE_CMD_SET_POLICY, addr_17_bytes, "");
	REFUSED(TRUSTNODE_CMD_SET_POLICY, v4_addr_for_v6, "");
	REFUSED(TRUSTNODE_CMD_SET_POLICY, bad_family, "");
	REFUSED(TRUSTNODE_CMD_SET_POLICY, not_nested, "");
	REFUSED(TRUSTNODE_CMD_SET_POLICY, too_many, "");
	REFUSED(TRUSTNODE_CMD_TAINT, taint_no_labels, "");
	REFUSED(TRUSTNODE_CMD_TAINT, taint_zero_cgroup, "");
	REFUSED(TRUSTNODE_CMD_TAINT, taint_short_id, "");
	REFUSED(TRUSTNODE_CMD_GET_STATUS, status_with_junk, "");
	REFUSED(TRUSTNODE_CMD_DROP, NULL, "");
	REFUSED(42, NULL, "");
	/* Every refusal said why (extack), not just an errno. */
	EXPECT_GT(0, raw(TRUSTNODE_CMD_SET_POLICY, len_33, why, sizeof(why)));
	EXPECT_NE(NULL, strstr(why, "refused the request: ")) TH_LOG("%s", why);
	EXPECT_GT(strlen(why), strlen("trustnode module refused the request: ") + 12) TH_LOG("%s", why);
	after = status();
	EXPECT_EQ((int)before.nprefixes, (int)after.nprefixes);
	EXPECT_EQ((int)before.ntainted, (int)after.ntainted);
	EXPECT_EQ(before.enforce, after.enforce);
}

static int nobody_taints(void *arg)
{
	struct tn_kmod_status st;
	struct tn_err err;
	struct tn_kmod *k;

	if (setgid(65534) || setuid(65534))
		return 90;
	k = tn_kmod_open(&err);
	if (!k) {
		fprintf(stderr, "# as nobody: %s\n", err.msg);
		return 91;
	}
	if (tn_kmod_status(k, &st, &err))	/* reading is allowed */
		return 92;
	if (!tn_kmod_taint(k, 4242, 1, &err) || err.errnum != EPERM)
		return 93;
	if (!tn_kmod_seal(k, &err) || err.errnum != EPERM)
		return 94;
	tn_kmod_close(k);
	return 0;
}

static int nobody_in_the_initial_netns(void)
{
	pid_t pid = fork();
	int st;

	if (pid == 0)
		_exit(nobody_taints(NULL));	/* the family lives in the initial netns */
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

TEST_F(node, unprivileged_callers_may_read_but_not_change_the_module)
{
	ASSERT_EQ(0, load_module());
	EXPECT_EQ(0, nobody_in_the_initial_netns());
	EXPECT_EQ(0, status().sealed);
}

/* ---- seal: keep this test last ------------------------------------------ */

static const uint8_t a198[4] = { 198, 51, 100, 0 }, a198_128[4] = { 198, 51, 100, 128 };
static const uint8_t a203[4] = { 203, 0, 113, 0 };
POLICY_WITH(narrower, prefix(m, AF_INET, a198_128, 4, 25, 1))
POLICY_WITH(wider, prefix(m, AF_INET, a198, 4, 23, 1))
POLICY_WITH(elsewhere, prefix(m, AF_INET, a203, 4, 24, 1))

static void audit_mode(struct nl_msg *m)
{
	struct nlattr *l;

	nla_put_u8(m, TRUSTNODE_A_MODE, 0);
	l = nla_nest_start(m, TRUSTNODE_A_PREFIXES | NLA_F_NESTED);
	prefix(m, AF_INET, a198_128, 4, 25, 1);
	nla_nest_end(m, l);
}

static void clear_any(struct nl_msg *m)
{
	nla_put_u64(m, TRUSTNODE_A_CGROUP_ID, 4242);
}

/*
 * Attested-peers mode reaches the module too: an attested peer's address is
 * in the module's allowed set, and leaves it when its attestation fails.
 * Node B's agent leaves the module to node A's (--no-kmod): one kernel.
 */
static int peer_policy(struct att_node *a, const char *extra)
{
	char text[2048];

	snprintf(text, sizeof(text),
		 "local_prefixes = [ \"198.51.100.0/24\", \"2001:db8:2::/64\"%s ];\n"
		 "workloads = ( { name = \"wl\"; cgroup = \"%s\"; } );\n"
		 "peers = ( { name = \"node-b\"; url = \"http://192.0.2.2:8443\";\n"
		 "            addresses = [ \"192.0.2.2\" ]; } );\n"
		 "attestation = { interval = 1; max_age = 3; };\n",
		 extra, a->n.wl_cg);
	if (write_file(a->n.policy, text))
		return -1;
	return ctl(&a->n, NULL, 0, "policy load %s", a->n.policy);
}

/* Waits up to secs for the module to hold n prefixes. */
static int wait_prefixes(unsigned int n, int secs)
{
	for (int i = 0; i < secs * 10; i++) {
		if (status().nprefixes == n)
			return 0;
		usleep(100 * 1000);
	}
	return -1;
}

static int peers_in_module(struct att_node *a, struct att_node *b)
{
	char sdir[300], other[400], out[4096];

	/*
	 * Node A's agent drives the module, whose netlink family lives in the
	 * initial network namespace only (as agents do on real nodes): A's
	 * end of the link stays there. B gets a namespace of its own.
	 */
	if (run_cmd("ip netns add tnkB && ip link add tnkA type veth peer name tnkB && "
		    "ip link set tnkB netns tnkB && ip -n tnkB link set lo up && "
		    "ip addr add 192.0.2.1/24 dev tnkA && "
		    "ip -n tnkB addr add 192.0.2.2/24 dev tnkB && "
		    "ip link set tnkA up && ip -n tnkB link set tnkB up"))
		return 1;
	snprintf(b->ns, sizeof(b->ns), "tnkB");
	b->extra_args = "--no-kmod";
	if (load_module() || att_node_up(b, "192.0.2.2", 0, NULL, NULL, NULL) ||
	    att_node_up(a, "192.0.2.1", 0, NULL, NULL, NULL))
		return 2;
	snprintf(sdir, sizeof(sdir), "%s/state", a->n.tmp);
	if (att_ctl(a, sdir, out, sizeof(out), "peer enroll %s --name node-b", b->url) ||
	    peer_policy(a, ""))
		return 3;
	/* The two prefixes of the policy, and B once attested. */
	if (wait_prefixes(3, 15))
		return 4;
	/* B changes its policy: A drops B from the module's set too. */
	snprintf(other, sizeof(other), "%s/other.conf", b->n.tmp);
	if (write_file(other, "local_prefixes = [ \"10.99.0.0/16\" ];\n") ||
	    ctl(&b->n, NULL, 0, "policy load %s", other))
		return 5;
	if (wait_prefixes(2, 10))
		return 6;
	return 0;
}

/*
 * A node fixture only to run before the seal test; its own agent goes, so
 * that node A's alone drives the module. The guest emulates its CPU: node
 * B's own swtpm makes RSA keys slowly.
 */
TEST_F_TIMEOUT(node, the_module_allows_an_attested_peer_only_while_its_attestation_holds, 300)
{
	struct att_node a = { 0 }, b = { 0 };
	int step;

	node_kill_agent(&self->n);
	step = peers_in_module(&a, &b);

	if (step) {
		char out[8192];

		ctl(&a.n, out, sizeof(out), "--state-dir %s/state peer list", a.n.tmp);
		fprintf(stderr, "# node A's peer list:\n%s\n", out);
		ctl(&a.n, out, sizeof(out), "events");
		fprintf(stderr, "# node A's events:\n%s\n", out);
	}
	att_node_down(&a);
	att_node_down(&b);
	run_cmd("ip link del tnkA 2>/dev/null; ip netns del tnkB 2>/dev/null; true");
	EXPECT_EQ(0, step) TH_LOG("failed at step %d; module prefixes %u", step,
				 status().nprefixes);
}

/*
 * Root unloads the module behind the running agent: the agent notices
 * within a second or two (its netlink family is gone) and records it; with
 * a TPM it is also a measured weakening (attest_test covers measuring).
 */
TEST_F(node, the_module_unloaded_behind_the_agent_is_recorded)
{
	char sd[300];

	ASSERT_EQ(0, load_module());
	/* The agent picks the module up within a second. */
	usleep(1500 * 1000);
	ASSERT_EQ(1, status().policy_loaded);
	snprintf(sd, sizeof(sd), "%s", self->n.state ? self->n.state : "");
	if (!sd[0])
		snprintf(sd, sizeof(sd), "%s/state", self->n.tmp);
	EXPECT_NE(0, run_cmd("grep -rq kmod-unloaded %s/audit", sd));
	ASSERT_EQ(0, run_cmd("rmmod trustnode"));
	for (int i = 0; i < 40 && run_cmd("grep -rq 'its netlink family is gone' %s/audit", sd); i++)
		usleep(100 * 1000);
	EXPECT_EQ(0, run_cmd("grep -rq 'its netlink family is gone' %s/audit", sd));
	EXPECT_EQ(0, load_module());
}

TEST_F(node, after_seal_the_module_stays_and_only_gets_stricter)
{
	char out[4096], why[1024];

	ASSERT_EQ(0, load_module());
	usleep(1500 * 1000);
	ASSERT_EQ(0, ACT(&self->n, self->n.wl_cg, .open = data(&self->n, "secret")));
	ASSERT_EQ(0, wait_tainted(1));
	EXPECT_EQ(2, ctl(&self->n, NULL, 0, "seal"));	/* --yes is required */
	ASSERT_EQ(0, ctl(&self->n, out, sizeof(out), "seal --yes")) TH_LOG("%s", out);
	EXPECT_EQ(1, status().sealed);
	EXPECT_NE(0, run_cmd("rmmod trustnode 2>/dev/null"));
	EXPECT_TRUE(module_loaded());
	EXPECT_EQ(1, ctl(&self->n, out, sizeof(out), "workload reset wl"));
	EXPECT_NE(NULL, strstr(out, "Operation not permitted")) TH_LOG("%s", out);
	EXPECT_STREQ("phi", taint_of(&self->n, "wl"));
	EXPECT_EQ(-EPERM, raw(TRUSTNODE_CMD_CLEAR_TAINT, clear_any, why, sizeof(why)));
	EXPECT_EQ(-EPERM, raw(TRUSTNODE_CMD_SET_POLICY, wider, why, sizeof(why)));
	EXPECT_EQ(-EPERM, raw(TRUSTNODE_CMD_SET_POLICY, elsewhere, why, sizeof(why)));
	EXPECT_EQ(0, raw(TRUSTNODE_CMD_SET_POLICY, narrower, why, sizeof(why))) TH_LOG("%s", why);
	EXPECT_EQ(1, (int)status().nprefixes);
	EXPECT_EQ(-EPERM, raw(TRUSTNODE_CMD_SET_POLICY, audit_mode, why, sizeof(why)));
	EXPECT_EQ(1, status().enforce);
	EXPECT_TRUE(HAS_EVENT(&self->n, "\"type\":\"seal\""));
	ASSERT_EQ(0, ctl(&self->n, out, sizeof(out), "kmod status"));
	EXPECT_NE(NULL, strstr(out, "sealed:        yes")) TH_LOG("%s", out);
}

TEST_HARNESS_MAIN
