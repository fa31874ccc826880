// SPDX-License-Identifier: GPL-2.0-only
/*
 * Taint follows the data through files: a file a tainted workload opens for
 * writing becomes a derived tag carrying its labels, and whoever opens it
 * later is tainted as by an admin tag. Derived tags outlive the agent and
 * go only by an explicit, recorded untag.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "node_fixture.h"

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

TEST_F(node, only_an_explicit_untag_removes_a_derived_tag_and_it_is_recorded)
{
	ASSERT_EQ(0, ACT(&self->n, self->n.wl_cg, .open = data(&self->n, "secret"),
			 .write = data(&self->n, "report.txt")));
	usleep(300 * 1000);
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

TEST_HARNESS_MAIN
