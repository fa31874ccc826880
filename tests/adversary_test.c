// SPDX-License-Identifier: GPL-2.0-only
/*
 * The workload as the adversary (issue 12): a workload process running as
 * root, tainted by data/secret, tries each way to get rid of its taint or
 * out of its workload, and then connects to the outside host. The outside
 * listener must receive nothing. Each test asserts "protected" where the
 * running mode closes the way, and the listed gap where it does not.
 */
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "node_fixture.h"

/* Whether the outside listener lfd got no connection within ms. */
static int nothing_received(int lfd, int ms)
{
	struct pollfd p = { .fd = lfd, .events = POLLIN };
	int c;

	if (poll(&p, 1, ms) <= 0)
		return 1;
	c = accept(lfd, NULL, NULL);
	if (c >= 0)
		close(c);
	return 0;
}

/* ---- the control socket serves no workload ---------------------------- */

/* One trustctl run from inside a cgroup; its output lands in out. */
struct ctl_from {
	struct tn_node *n;
	const char *args;
	char *out;		/* shared with the parent */
	size_t outlen;
};

static int ctl_from_fn(void *arg)
{
	struct ctl_from *c = arg;

	return ctl(c->n, c->out, c->outlen, "%s", c->args);
}

static int ctl_in(struct tn_node *n, const char *cg, char *out, size_t outlen,
		  const char *args)
{
	char *shared = mmap(NULL, outlen, PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct ctl_from c = { n, args, shared, outlen };
	int ret;

	if (shared == MAP_FAILED)
		return -1;
	shared[0] = '\0';
	ret = in_cgroup(n, cg, ctl_from_fn, &c);
	snprintf(out, outlen, "%s", shared);
	munmap(shared, outlen);
	return ret;
}

TEST_F(node, root_in_a_tainted_workload_cannot_clear_its_taint)
{
	char out[4096], args[1024];

	ASSERT_EQ(0, ACT(&self->n, self->n.wl_cg, .open = data(&self->n, "secret")));
	ASSERT_STREQ("phi", taint_of(&self->n, "wl"));

	/* The attacker: root, in the tainted workload, asks trustnoded. */
	EXPECT_EQ(4, ctl_in(&self->n, self->n.wl_cg, out, sizeof(out), "workload reset wl"));
	EXPECT_NE(NULL, strstr(out, "refused: caller pid"));
	EXPECT_NE(NULL, strstr(out, "inside workload wl")) TH_LOG("%s", out);
	snprintf(args, sizeof(args), "untag %s", data(&self->n, "secret"));
	EXPECT_EQ(4, ctl_in(&self->n, self->n.wl_cg, out, sizeof(out), args));
	snprintf(args, sizeof(args), "policy load %s", self->n.policy);
	EXPECT_EQ(4, ctl_in(&self->n, self->n.wl_cg, out, sizeof(out), args));
	EXPECT_EQ(4, ctl_in(&self->n, self->n.wl_cg, out, sizeof(out), "workload remove wl2"));
	snprintf(args, sizeof(args), "tag %s --label x", data(&self->n, "plain"));
	EXPECT_EQ(4, ctl_in(&self->n, self->n.wl_cg, out, sizeof(out), args));

	/* Nothing changed: the taint stays and still holds. */
	EXPECT_STREQ("phi", taint_of(&self->n, "wl"));
	EXPECT_EQ(EPERM, ACT(&self->n, self->n.wl_cg, .connect = OUT4));
	EXPECT_TRUE(nothing_received(self->listeners[0], 300));
	EXPECT_TRUE(HAS_EVENT(&self->n, "\"type\":\"control-refused\"",
			      "\"command\":\"workload.reset\"", "\"caller\":{\"uid\":0"));
	EXPECT_FALSE(HAS_EVENT(&self->n, "\"type\":\"workload-reset\""));
}

TEST_F(node, a_caller_below_trustnodes_cgroup_in_no_workload_is_refused)
{
	char out[4096], args[1024];

	snprintf(args, sizeof(args), "tag %s --label x", data(&self->n, "plain"));
	EXPECT_EQ(4, ctl_in(&self->n, self->n.other_cg, out, sizeof(out), args));
	EXPECT_NE(NULL, strstr(out, "below trustnoded's cgroup")) TH_LOG("%s", out);
	EXPECT_EQ(4, ctl_in(&self->n, self->n.cgroot, out, sizeof(out), "workload reset wl"));
	EXPECT_NE(NULL, strstr(out, "below trustnoded's cgroup")) TH_LOG("%s", out);
}

TEST_F(node, a_workload_may_still_read)
{
	char out[4096];

	EXPECT_EQ(0, ctl_in(&self->n, self->n.wl_cg, out, sizeof(out), "workload list"));
	EXPECT_NE(NULL, strstr(out, "wl2"));
	EXPECT_EQ(0, ctl_in(&self->n, self->n.wl_cg, out, sizeof(out), "status"));
}

TEST_F(node, administrative_records_name_the_caller)
{
	char args[1024];

	ASSERT_EQ(0, ACT(&self->n, self->n.wl_cg, .open = data(&self->n, "secret")));
	ASSERT_EQ(0, ctl(&self->n, NULL, 0, "workload reset wl"));
	snprintf(args, sizeof(args), "tag %s --label fin", data(&self->n, "plain"));
	ASSERT_EQ(0, ctl(&self->n, NULL, 0, "%s", args));
	ASSERT_EQ(0, ctl(&self->n, NULL, 0, "policy load %s", self->n.policy));
	EXPECT_TRUE(HAS_EVENT(&self->n, "\"type\":\"workload-reset\"",
			      "\"caller\":{\"uid\":0,\"pid\":", "\"comm\":\"trustctl\"",
			      "\"cgroup\":\"/"));
	EXPECT_TRUE(HAS_EVENT(&self->n, "\"type\":\"tag-add\"", "\"comm\":\"trustctl\""));
	EXPECT_TRUE(HAS_EVENT(&self->n, "\"type\":\"policy-load\"", "\"comm\":\"trustctl\""));
}

TEST_HARNESS_MAIN
