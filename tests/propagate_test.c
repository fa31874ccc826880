// SPDX-License-Identifier: GPL-2.0-only
/*
 * Taint follows the data through files: a file a tainted workload opens for
 * writing becomes a derived tag carrying its labels, and whoever opens it
 * later is tainted as by an admin tag. Derived tags outlive the agent and
 * go only by an explicit, recorded untag.
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "node_fixture.h"
#include "trustnode/bpf_shared.h"

#define RELAY_PORT 9100

TEST_F(node, a_file_written_by_a_tainted_workload_taints_its_readers)
{
	char out[8192];

	ASSERT_EQ(0, ACT(&self->n, self->n.wl_cg, .open = data(&self->n, "secret"),
			 .write = data(&self->n, "summary.txt")));
	ASSERT_EQ(0, ctl(&self->n, out, sizeof(out), "tag list"));
	EXPECT_NE(NULL, strstr(out, "derived: written by wl (event ")) TH_LOG("%s", out);
	EXPECT_TRUE(HAS_EVENT(&self->n, "\"type\":\"derive-file\"", "\"workload\":\"wl\"",
			      "\"labels\":[\"phi\"]"));

	/* wl2 never touched the secret; reading the summary taints it. */
	EXPECT_STREQ("-", taint_of(&self->n, "wl2"));
	EXPECT_EQ(EPERM, ACT(&self->n, self->n.wl2_cg, .open = data(&self->n, "summary.txt"),
			     .connect = OUT4));
	EXPECT_STREQ("phi", taint_of(&self->n, "wl2"));
}

TEST_F(node, a_derived_tag_follows_the_file_through_rename)
{
	ASSERT_EQ(0, ACT(&self->n, self->n.wl_cg, .open = data(&self->n, "secret"),
			 .write = data(&self->n, "draft")));
	ASSERT_EQ(0, rename(data(&self->n, "draft"), data(&self->n, "final")));
	EXPECT_EQ(EPERM, ACT(&self->n, self->n.wl2_cg, .open = data(&self->n, "final"),
			     .connect = OUT4));
}

TEST_F(node, writes_of_untainted_workloads_derive_nothing)
{
	char out[8192];

	ASSERT_EQ(0, ACT(&self->n, self->n.wl2_cg, .write = data(&self->n, "clean.txt")));
	ASSERT_EQ(0, ACT(&self->n, self->n.wl_cg, .open = data(&self->n, "clean.txt"),
			 .connect = OUT4));
	EXPECT_STREQ("-", taint_of(&self->n, "wl"));
	ASSERT_EQ(0, ctl(&self->n, out, sizeof(out), "tag list"));
	EXPECT_EQ(NULL, strstr(out, "derived")) TH_LOG("%s", out);
}

TEST_F(node, derived_tags_survive_an_agent_crash_and_restart)
{
	char out[8192];

	ASSERT_EQ(0, ACT(&self->n, self->n.wl_cg, .open = data(&self->n, "secret"),
			 .write = data(&self->n, "kept.txt")));
	usleep(300 * 1000);	/* the agent records the derivation */
	node_kill_agent(&self->n);
	ASSERT_EQ(0, node_start_agent(&self->n));
	ASSERT_EQ(0, ctl(&self->n, out, sizeof(out), "tag list"));
	EXPECT_NE(NULL, strstr(out, "derived: written by wl")) TH_LOG("%s", out);
	/* A policy load, which rewrites the admin tags, keeps it too. */
	ASSERT_EQ(0, ctl(&self->n, NULL, 0, "policy load %s", self->n.policy));
	EXPECT_EQ(EPERM, ACT(&self->n, self->n.wl2_cg, .open = data(&self->n, "kept.txt"),
			     .connect = OUT4));
}

/*
 * An upgrade: the pinned tn_derived of an earlier version, whose programs
 * wrote no filter slot (here: the filter cleared while the agent is
 * down). The new agent must mark every entry it adopts, or the programs
 * skip the lookup and a reader of the derived file stays untainted.
 */
TEST_F(node, derived_tags_written_before_their_filter_existed_still_taint)
{
	ASSERT_EQ(0, ACT(&self->n, self->n.wl_cg, .open = data(&self->n, "secret"),
			 .write = data(&self->n, "older.txt")));
	usleep(300 * 1000);	/* the agent records the derivation */
	node_kill_agent(&self->n);
	ASSERT_EQ(0, node_clear_pinned_array(&self->n, "tn_derived_filter",
					     TN_DERIVED_FILTER_SLOTS))
		TH_LOG("no tn_derived_filter pinned");
	ASSERT_EQ(0, node_start_agent(&self->n));
	EXPECT_EQ(EPERM, ACT(&self->n, self->n.wl2_cg, .open = data(&self->n, "older.txt"),
			     .connect = OUT4));
	EXPECT_STREQ("phi", taint_of(&self->n, "wl2"));
}

TEST_F(node, only_an_explicit_untag_removes_a_derived_tag_and_it_is_recorded)
{
	ASSERT_EQ(0, ACT(&self->n, self->n.wl_cg, .open = data(&self->n, "secret"),
			 .write = data(&self->n, "report.txt")));
	ASSERT_TRUE(WAIT_UNTIL(HAS_EVENT(&self->n, "\"type\":\"derive-file\""), 5000));
	ASSERT_EQ(0, ctl(&self->n, NULL, 0, "untag %s", data(&self->n, "report.txt")));
	EXPECT_TRUE(HAS_EVENT(&self->n, "\"type\":\"tag-remove\"", "\"source\":\"derived\""));
	EXPECT_EQ(0, ACT(&self->n, self->n.wl2_cg, .open = data(&self->n, "report.txt"),
			 .connect = OUT4));
	EXPECT_STREQ("-", taint_of(&self->n, "wl2"));
}

/* ---- local network IPC ------------------------------------------------- */

struct relay {
	const char *listen;	/* loopback address the relay listens on */
	int type;		/* SOCK_STREAM or SOCK_DGRAM */
};

/*
 * The relay: receives one message on loopback, then forwards it to the
 * outside host. Returns the errno of that first forwarding connect.
 */
static int relay(void *arg)
{
	struct relay *r = arg;
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1, fd, c;
	char buf[64];

	if (sockaddr_of(r->listen, RELAY_PORT, &ss, &len) < 0)
		return 199;
	fd = socket(ss.ss_family, r->type, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len))
		return 200;
	if (r->type == SOCK_STREAM) {
		if (listen(fd, 1))
			return 201;
		c = accept(fd, NULL, NULL);
		if (c < 0 || read(c, buf, sizeof(buf)) <= 0)
			return 202;
	} else if (recv(fd, buf, sizeof(buf), 0) <= 0) {
		return 203;
	}
	return do_connect(OUT4, PORT);
}

struct sender {
	const char *secret;	/* read first when set: a tainted sender */
	const char *to;
	int type;
	int sport;		/* bound to this port of to's address when set */
};

static int send_to_relay(void *arg)
{
	struct sender *s = arg;
	struct sockaddr_storage ss;
	socklen_t len;
	int i, fd;

	if (sockaddr_of(s->to, RELAY_PORT, &ss, &len) < 0)
		return 209;
	if (s->secret && do_open(s->secret))
		return 210;
	for (i = 0; i < 50; i++) {	/* until the relay listens */
		fd = socket(ss.ss_family, s->type, 0);
		if (s->sport) {
			struct sockaddr_storage from;
			socklen_t flen;
			int one = 1;

			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
			if (sockaddr_of(s->to, s->sport, &from, &flen) < 0 ||
			    bind(fd, (struct sockaddr *)&from, flen))
				return 213;
		}
		if (s->type == SOCK_DGRAM) {
			if (sendto(fd, "data", 4, 0, (struct sockaddr *)&ss, len) == 4)
				return 0;
		} else if (!connect(fd, (struct sockaddr *)&ss, len)) {
			return send(fd, "data", 4, 0) == 4 ? 0 : 211;
		}
		close(fd);
		usleep(50 * 1000);
	}
	return 212;
}

/* Runs the relay in cg and the sender in wl; returns the relay's result. */
static int relay_in(struct tn_node *n, const char *cg, struct relay *r,
		    struct sender *s)
{
	pid_t pid = fork();
	int st, sent;

	if (pid == 0)
		_exit(in_cgroup(n, cg, relay, r));
	usleep(200 * 1000);
	sent = in_cgroup(n, n->wl_cg, send_to_relay, s);
	if (sent)
		kill(pid, SIGKILL);
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return sent ? 300 + sent : WEXITSTATUS(st);
}

static int relay_through(struct tn_node *n, struct relay *r, struct sender *s)
{
	return relay_in(n, n->wl2_cg, r, s);
}

TEST_F(node, a_loopback_tcp_relay_is_tainted_and_refused)
{
	struct relay r = { .listen = "127.0.0.1", .type = SOCK_STREAM };
	struct sender s = { .secret = data(&self->n, "secret"), .to = "127.0.0.1",
			    .type = SOCK_STREAM };

	EXPECT_EQ(EPERM, relay_through(&self->n, &r, &s));
	EXPECT_STREQ("phi", taint_of(&self->n, "wl2"));
	EXPECT_TRUE(HAS_EVENT(&self->n, "\"type\":\"taint-flow\"", "\"workload\":\"wl2\"",
			      "\"from\":\"wl\"", "\"channel\":\"tcp\""));
}

TEST_F(node, an_ipv6_loopback_tcp_relay_is_tainted_and_refused)
{
	struct relay r = { .listen = "::1", .type = SOCK_STREAM };
	struct sender s = { .secret = data(&self->n, "secret"), .to = "::1",
			    .type = SOCK_STREAM };

	EXPECT_EQ(EPERM, relay_through(&self->n, &r, &s));
	EXPECT_STREQ("phi", taint_of(&self->n, "wl2"));
}

TEST_F(node, a_udp_relay_on_a_local_address_is_tainted_and_refused)
{
	struct relay r = { .listen = "198.51.100.1", .type = SOCK_DGRAM };
	struct sender s = { .secret = data(&self->n, "secret"), .to = "198.51.100.1",
			    .type = SOCK_DGRAM };

	EXPECT_EQ(EPERM, relay_through(&self->n, &r, &s));
	EXPECT_STREQ("phi", taint_of(&self->n, "wl2"));
	EXPECT_TRUE(HAS_EVENT(&self->n, "\"type\":\"taint-flow\"", "\"channel\":\"udp\""));
}

/*
 * A flow's record names its sender. wl2, tainted, sends from a port to the
 * relay's address (nobody listens yet); the operator resets wl2; then the
 * tainted wl sends from the same port to wl2's relay. The packets match
 * wl2's old record, whose labels cover wl's: were the sender not written
 * anew, ingress would take them for wl2 talking to itself and leave it
 * untainted, and the relay would forward outside.
 */
TEST_F(node, a_flow_reused_by_another_sender_taints_the_receiver)
{
	struct relay r = { .listen = "198.51.100.1", .type = SOCK_DGRAM };
	struct sender before = { .secret = data(&self->n, "secret"), .to = "198.51.100.1",
				 .type = SOCK_DGRAM, .sport = 47001 };
	struct sender s = before;

	ASSERT_EQ(0, in_cgroup(&self->n, self->n.wl2_cg, send_to_relay, &before));
	ASSERT_STREQ("phi", taint_of(&self->n, "wl2"));
	ASSERT_EQ(0, ctl(&self->n, NULL, 0, "workload reset wl2"));
	ASSERT_STREQ("-", taint_of(&self->n, "wl2"));

	EXPECT_EQ(EPERM, relay_through(&self->n, &r, &s));
	EXPECT_STREQ("phi", taint_of(&self->n, "wl2"));
	/* The outside host's listener got no connection. */
	EXPECT_FALSE(connection_pending(self->listeners[0], 1000));
}

/*
 * The value of the one-entry map called name (tn_flow_clock: the boot
 * clock of the node's latest tainted packet or an adopting agent's start;
 * tn_flow_jiffies: the same in jiffies) into *v, after writing *set if
 * given; -1 if it is not pinned.
 */
static int flow_time(struct tn_node *n, const char *name, const __u64 *set, __u64 *v)
{
	char path[300];
	__u32 zero = 0;
	int fd, ret;

	snprintf(path, sizeof(path), "%s/%s", n->pin, name);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -1;
	if (set)
		bpf_map_update_elem(fd, &zero, set, BPF_ANY);
	ret = bpf_map_lookup_elem(fd, &zero, v);
	close(fd);
	return ret ? -1 : 0;
}

static int flow_clock(struct tn_node *n, const __u64 *set, __u64 *v)
{
	return flow_time(n, "tn_flow_clock", set, v);
}

static int flow_jiffies(struct tn_node *n, const __u64 *set, __u64 *v)
{
	return flow_time(n, "tn_flow_jiffies", set, v);
}

/* How many of tn_flow_slots' slots are set (not 0); -1 if it is not pinned. */
static int flow_slots_set(struct tn_node *n)
{
	char path[300];
	int fd, set = 0;

	snprintf(path, sizeof(path), "%s/tn_flow_slots", n->pin);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -1;
	for (__u32 i = 0; i < TN_FLOW_SLOTS; i++) {
		__u64 v = 0;

		if (bpf_map_lookup_elem(fd, &i, &v)) {
			set = -1;
			break;
		}
		set += v != 0;
	}
	close(fd);
	return set;
}

/*
 * Ingress skips the flow maps while no tainted packet was sent for
 * TN_FLOW_QUIET_NS. The first one after such a spell (here: both clocks
 * set back to boot, as after a long quiet) must still taint its receiver.
 */
TEST_F(node, the_first_relay_after_a_quiet_spell_is_tainted_and_refused)
{
	struct relay r = { .listen = "198.51.100.1", .type = SOCK_DGRAM };
	struct sender s = { .secret = data(&self->n, "secret"), .to = "198.51.100.1",
			    .type = SOCK_DGRAM };
	const __u64 long_ago = 0;
	__u64 v = 1;
	int slots;

	ASSERT_EQ(0, flow_clock(&self->n, &long_ago, &v)) TH_LOG("no tn_flow_clock pinned");
	EXPECT_EQ(0ULL, v);
	ASSERT_EQ(0, flow_jiffies(&self->n, &long_ago, &v)) TH_LOG("no tn_flow_jiffies pinned");

	EXPECT_EQ(EPERM, relay_through(&self->n, &r, &s));
	EXPECT_STREQ("phi", taint_of(&self->n, "wl2"));
	ASSERT_EQ(0, flow_clock(&self->n, NULL, &v));
	EXPECT_NE(0ULL, v) TH_LOG("the tainted packet did not move the clock");
	ASSERT_EQ(0, flow_jiffies(&self->n, NULL, &v));
	EXPECT_NE(0ULL, v) TH_LOG("the tainted packet did not move the jiffies");
	/* Its flow's slot, and only the slots of the flows it sent on. */
	slots = flow_slots_set(&self->n);
	EXPECT_LE(1, slots);
	EXPECT_GT(16, slots);
}

/*
 * An agent that made the flow maps starts quiet: no flow exists, and its
 * own programs keep the clock for every flow they record. One that adopts
 * pinned maps cannot know what the previous programs recorded without
 * touching the clock, so ingress looks flows up for TN_FLOW_QUIET_NS.
 */
TEST_F(node, a_restarted_agent_has_ingress_look_flows_up_and_a_fresh_one_need_not)
{
	struct relay r = { .listen = "198.51.100.1", .type = SOCK_DGRAM };
	struct sender s = { .secret = data(&self->n, "secret"), .to = "198.51.100.1",
			    .type = SOCK_DGRAM };
	__u64 v = 1;

	ASSERT_EQ(0, flow_clock(&self->n, NULL, &v)) TH_LOG("no tn_flow_clock pinned");
	EXPECT_EQ(0ULL, v) TH_LOG("a fresh agent set the clock: every packet pays the lookups");
	ASSERT_EQ(0, flow_jiffies(&self->n, NULL, &v)) TH_LOG("no tn_flow_jiffies pinned");
	EXPECT_EQ(0ULL, v) TH_LOG("a fresh agent set the jiffies");
	EXPECT_EQ(0, flow_slots_set(&self->n));

	node_kill_agent(&self->n);
	ASSERT_EQ(0, node_start_agent(&self->n));
	ASSERT_EQ(0, flow_clock(&self->n, NULL, &v));
	EXPECT_NE(0ULL, v) TH_LOG("the adopting agent left the clock quiet");
	ASSERT_EQ(0, flow_jiffies(&self->n, NULL, &v));
	EXPECT_EQ((__u64)TN_FLOW_JIFFIES_UNKNOWN, v)
		TH_LOG("the adopting agent left the jiffies as they were: ingress would skip what earlier programs recorded");
	EXPECT_EQ((int)TN_FLOW_SLOTS, flow_slots_set(&self->n))
		TH_LOG("the adopting agent left slots quiet: flows of earlier programs would be skipped");
	/* And propagation works across it. */
	EXPECT_EQ(EPERM, relay_through(&self->n, &r, &s));
	EXPECT_STREQ("phi", taint_of(&self->n, "wl2"));
}

TEST_F(node, traffic_between_untainted_workloads_taints_nobody)
{
	struct relay r = { .listen = "127.0.0.1", .type = SOCK_STREAM };
	struct sender s = { .to = "127.0.0.1", .type = SOCK_STREAM };

	EXPECT_EQ(0, relay_through(&self->n, &r, &s));
	EXPECT_STREQ("-", taint_of(&self->n, "wl"));
	EXPECT_STREQ("-", taint_of(&self->n, "wl2"));
}

TEST_F(node, a_trusted_receiver_stays_untainted_and_every_flow_into_it_is_recorded)
{
	struct relay r = { .listen = "127.0.0.1", .type = SOCK_DGRAM };
	struct sender s = { .secret = data(&self->n, "secret"), .to = "127.0.0.1",
			    .type = SOCK_DGRAM };
	char out[8192];

	/* The deliberate hole: the trusted receiver still reaches outside. */
	EXPECT_EQ(0, relay_in(&self->n, self->n.trusted_cg, &r, &s));
	EXPECT_TRUE(HAS_EVENT(&self->n, "\"type\":\"trusted-flow\"", "\"receiver\":\"resolver\"",
			      "\"from\":\"wl\"", "\"labels\":[\"phi\"]"));
	ASSERT_EQ(0, ctl(&self->n, out, sizeof(out), "status"));
	EXPECT_NE(NULL, strstr(out, "trusted:    resolver")) TH_LOG("%s", out);
}

/* ---- unix sockets, pipes and FIFOs ---------------------------------------- */

/*
 * lsm mode sees these channels; cgroup mode cannot, and says so. Each test
 * has a relay in wl2 receive from wl and then connect to the outside host:
 * refused in lsm mode (wl2 was tainted before it could), allowed in cgroup
 * mode, where status must list the gap.
 */
#define IPC_GAP "unix stream and datagram sockets, pipes and FIFOs are not seen"

enum ipc_kind {
	IPC_UNIX_STREAM,
	IPC_UNIX_DGRAM,
	IPC_PIPE,
	IPC_FIFO,
	IPC_PIPE_SPLICE,	/* splice(2) into the pipe, splice(2) out of it */
	IPC_PIPE_VMSPLICE_TEE,	/* vmsplice(2) into the pipe, tee(2) out of it */
};

struct ipc {
	enum ipc_kind kind;
	char path[300];		/* the unix socket or the FIFO */
	int pipe[2];		/* the anonymous pipe, made before the fork */
	const char *secret;	/* the sender reads it first: a tainted sender */
};

static int unix_addr(const char *path, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun->sun_path))
		return -1;
	strcpy(sun->sun_path, path);
	return 0;
}

/* Receives once, then tries the outside host: 0 or the connect's errno. */
static int ipc_relay(void *arg)
{
	struct ipc *p = arg;
	struct sockaddr_un sun;
	char buf[64];
	int fd, c, p2[2];

	switch (p->kind) {
	case IPC_UNIX_STREAM:
	case IPC_UNIX_DGRAM:
		fd = socket(AF_UNIX, p->kind == IPC_UNIX_STREAM ? SOCK_STREAM : SOCK_DGRAM, 0);
		if (fd < 0 || unix_addr(p->path, &sun) ||
		    bind(fd, (struct sockaddr *)&sun, sizeof(sun)))
			return 200;
		if (p->kind == IPC_UNIX_DGRAM) {
			if (recv(fd, buf, sizeof(buf), 0) <= 0)
				return 201;
			break;
		}
		if (listen(fd, 1) || (c = accept(fd, NULL, NULL)) < 0)
			return 202;
		/* Blocked in read() before the data comes (see the sender). */
		if (read(c, buf, sizeof(buf)) <= 0)
			return 203;
		break;
	case IPC_PIPE:
		close(p->pipe[1]);
		if (read(p->pipe[0], buf, sizeof(buf)) <= 0)
			return 204;
		break;
	case IPC_FIFO:
		fd = open(p->path, O_RDONLY);
		if (fd < 0 || read(fd, buf, sizeof(buf)) <= 0)
			return 205;
		break;
	case IPC_PIPE_SPLICE:
		close(p->pipe[1]);
		fd = open("/dev/null", O_WRONLY);
		if (fd < 0 || splice(p->pipe[0], NULL, fd, NULL, sizeof(buf), 0) <= 0)
			return 206;
		break;
	case IPC_PIPE_VMSPLICE_TEE:
		close(p->pipe[1]);
		if (pipe(p2) || tee(p->pipe[0], p2[1], sizeof(buf), 0) <= 0)
			return 207;
		break;
	}
	return do_connect(OUT4, PORT);
}

/*
 * The sender opens or connects its end first and only then reads the
 * secret: the channel was set up while it was clean (so a FIFO is no
 * derived tag), and only the data written afterwards carries the taint.
 */
static int ipc_send(void *arg)
{
	struct ipc *p = arg;
	struct sockaddr_un sun;
	struct iovec iov = { .iov_base = "data", .iov_len = 4 };
	int i, fd;

	switch (p->kind) {
	case IPC_UNIX_STREAM:
	case IPC_UNIX_DGRAM:
		if (unix_addr(p->path, &sun))
			return 211;
		for (i = 0; i < 50; i++) {	/* until the relay has bound */
			fd = socket(AF_UNIX, p->kind == IPC_UNIX_STREAM ? SOCK_STREAM : SOCK_DGRAM, 0);
			if (p->kind == IPC_UNIX_DGRAM) {
				if (p->secret && do_open(p->secret))
					return 210;
				if (sendto(fd, "data", 4, 0, (struct sockaddr *)&sun,
					   sizeof(sun)) == 4)
					return 0;
			} else if (!connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
				if (p->secret && do_open(p->secret))
					return 210;
				/* Let the relay block in read() first. */
				usleep(200 * 1000);
				return write(fd, "data", 4) == 4 ? 0 : 212;
			}
			close(fd);
			usleep(50 * 1000);
		}
		return 213;
	case IPC_PIPE:
		if (p->secret && do_open(p->secret))
			return 210;
		return write(p->pipe[1], "data", 4) == 4 ? 0 : 214;
	case IPC_FIFO:
		fd = open(p->path, O_WRONLY);	/* until the relay opens it */
		if (p->secret && do_open(p->secret))
			return 210;
		/* Let the relay block in read() first. */
		usleep(200 * 1000);
		return fd >= 0 && write(fd, "data", 4) == 4 ? 0 : 215;
	case IPC_PIPE_SPLICE:
		/* The file's bytes go into the pipe without a write(2). */
		fd = open(p->secret ? p->secret : "/etc/hostname", O_RDONLY);
		return fd >= 0 && splice(fd, NULL, p->pipe[1], NULL, 4, 0) > 0 ? 0 : 216;
	case IPC_PIPE_VMSPLICE_TEE:
		if (p->secret && do_open(p->secret))
			return 210;
		return vmsplice(p->pipe[1], &iov, 1, 0) == 4 ? 0 : 217;
	}
	return 218;
}

/*
 * Runs the relay in cg, then (after it blocks in its receive) the sender in
 * wl; with sender_first, the sender's data is queued before the relay
 * starts. Returns the relay's result.
 */
static int ipc_relay_in(struct tn_node *n, const char *cg, struct ipc *p,
			int sender_first)
{
	int st, sent = 0;
	pid_t pid;

	if (p->kind >= IPC_PIPE && p->kind != IPC_FIFO && pipe(p->pipe))
		return -1;
	if (p->kind == IPC_FIFO && mkfifo(p->path, 0666))
		return -1;
	if (sender_first)
		sent = in_cgroup(n, n->wl_cg, ipc_send, p);
	pid = fork();
	if (pid == 0)
		_exit(in_cgroup(n, cg, ipc_relay, p));
	if (!sender_first) {
		usleep(200 * 1000);
		sent = in_cgroup(n, n->wl_cg, ipc_send, p);
	}
	if (sent)
		kill(pid, SIGKILL);
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		st = -1;
	if (p->kind >= IPC_PIPE && p->kind != IPC_FIFO) {
		close(p->pipe[0]);
		close(p->pipe[1]);
	}
	if (st < 0)
		return -1;
	return sent ? 300 + sent : WEXITSTATUS(st);
}

/* The relay in wl2, tainted (lsm) or a listed gap (cgroup); the event names channel. */
static void check_ipc_relay(struct __test_metadata *_metadata, struct tn_node *n,
			    enum ipc_kind kind, int sender_first, const char *channel)
{
	struct ipc p = { .kind = kind, .secret = data(n, "secret") };
	char ev[64];
	int lsm = node_sees_lsm_hooks(n);

	ASSERT_TRUE(lsm || !lsm_expected());
	snprintf(p.path, sizeof(p.path), "%s/relay.sock", n->tmp);
	if (lsm) {
		EXPECT_EQ(EPERM, ipc_relay_in(n, n->wl2_cg, &p, sender_first));
		EXPECT_STREQ("phi", taint_of(n, "wl2"));
		snprintf(ev, sizeof(ev), "\"channel\":\"%s\"", channel);
		EXPECT_TRUE(HAS_EVENT(n, "\"type\":\"taint-flow\"", "\"workload\":\"wl2\"",
				      "\"from\":\"wl\"", "\"labels\":[\"phi\"]", ev));
	} else {
		EXPECT_EQ(0, ipc_relay_in(n, n->wl2_cg, &p, sender_first));
		EXPECT_STREQ("-", taint_of(n, "wl2"));
		EXPECT_TRUE(gap_listed(n, IPC_GAP));
	}
	EXPECT_STREQ("phi", taint_of(n, "wl"));
}

TEST_F(node, a_unix_stream_relay_already_blocked_in_read_is_tainted_and_refused)
{
	check_ipc_relay(_metadata, &self->n, IPC_UNIX_STREAM, 0, "unix-stream");
}

TEST_F(node, a_unix_datagram_relay_is_tainted_and_refused)
{
	check_ipc_relay(_metadata, &self->n, IPC_UNIX_DGRAM, 0, "unix-dgram");
}

TEST_F(node, a_pipe_relay_reading_queued_data_is_tainted_and_refused)
{
	check_ipc_relay(_metadata, &self->n, IPC_PIPE, 1, "pipe");
}

TEST_F(node, a_fifo_relay_already_blocked_is_tainted_and_refused)
{
	check_ipc_relay(_metadata, &self->n, IPC_FIFO, 0, "fifo");
}

TEST_F(node, a_pipe_relay_using_splice_is_tainted_and_refused)
{
	check_ipc_relay(_metadata, &self->n, IPC_PIPE_SPLICE, 0, "pipe");
}

TEST_F(node, a_pipe_relay_using_vmsplice_and_tee_is_tainted_and_refused)
{
	check_ipc_relay(_metadata, &self->n, IPC_PIPE_VMSPLICE_TEE, 0, "pipe");
}

TEST_F(node, unix_socket_and_pipe_traffic_between_untainted_workloads_taints_nobody)
{
	enum ipc_kind kinds[] = { IPC_UNIX_STREAM, IPC_UNIX_DGRAM, IPC_PIPE, IPC_FIFO };
	struct ipc p;
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		memset(&p, 0, sizeof(p));
		p.kind = kinds[i];
		snprintf(p.path, sizeof(p.path), "%s/clean%zu", self->n.tmp, i);
		EXPECT_EQ(0, ipc_relay_in(&self->n, self->n.wl2_cg, &p, 0)) TH_LOG("kind %d", kinds[i]);
	}
	EXPECT_STREQ("-", taint_of(&self->n, "wl"));
	EXPECT_STREQ("-", taint_of(&self->n, "wl2"));
	EXPECT_FALSE(HAS_EVENT(&self->n, "\"type\":\"taint-flow\""));
}

TEST_F(node, a_trusted_receiver_on_a_unix_socket_stays_untainted_and_is_recorded)
{
	struct ipc p = { .kind = IPC_UNIX_DGRAM, .secret = data(&self->n, "secret") };
	int lsm = node_sees_lsm_hooks(&self->n);

	ASSERT_TRUE(lsm || !lsm_expected());
	snprintf(p.path, sizeof(p.path), "%s/resolver.sock", self->n.tmp);
	EXPECT_EQ(0, ipc_relay_in(&self->n, self->n.trusted_cg, &p, 0));
	if (lsm)
		EXPECT_TRUE(HAS_EVENT(&self->n, "\"type\":\"trusted-flow\"",
				      "\"receiver\":\"resolver\"", "\"from\":\"wl\"",
				      "\"channel\":\"unix-dgram\""));
}

static int read_nonblocking(void *arg)
{
	char b[8];
	int fd = *(int *)arg;

	/* EAGAIN: the read is empty, but the reader has been seen. */
	return read(fd, b, sizeof(b)) < 0 && errno == EAGAIN ? 0 : 1;
}

static int write_tainted(void *arg)
{
	struct ipc *p = arg;

	if (do_open(p->secret))
		return 210;
	return write(p->pipe[1], "data", 4) == 4 ? 0 : errno;
}

TEST_F(node, a_pipe_with_more_reader_workloads_than_recorded_fails_closed)
{
	struct ipc p = { .kind = IPC_PIPE, .secret = data(&self->n, "secret") };
	char cg[400];
	int lsm = node_sees_lsm_hooks(&self->n), i;

	ASSERT_TRUE(lsm || !lsm_expected());
	ASSERT_EQ(0, pipe2(p.pipe, O_NONBLOCK));
	/* wl2 and eight more workloads read from it: one more than recorded. */
	ASSERT_EQ(0, in_cgroup(&self->n, self->n.wl2_cg, read_nonblocking, &p.pipe[0]));
	for (i = 0; i < 8; i++) {
		snprintf(cg, sizeof(cg), "%s/r%d", self->n.cgroot, i);
		ASSERT_EQ(0, mkdir(cg, 0755));
		ASSERT_EQ(0, ctl(&self->n, NULL, 0, "workload add r%d %s", i, cg));
		ASSERT_EQ(0, in_cgroup(&self->n, cg, read_nonblocking, &p.pipe[0]));
	}
	if (lsm) {
		/* Where not every reader is known, tainted data does not go. */
		EXPECT_EQ(EPERM, in_cgroup(&self->n, self->n.wl_cg, write_tainted, &p));
		EXPECT_STREQ("phi", taint_of(&self->n, "wl2"));
		EXPECT_TRUE(HAS_EVENT(&self->n, "\"type\":\"channel-untracked\"",
				      "\"readers_full\":1", "\"tainted_writes\":1"));
	} else {
		EXPECT_EQ(0, in_cgroup(&self->n, self->n.wl_cg, write_tainted, &p));
		EXPECT_TRUE(gap_listed(&self->n, IPC_GAP));
	}
	close(p.pipe[0]);
	close(p.pipe[1]);
}

TEST_HARNESS_MAIN
