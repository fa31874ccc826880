// SPDX-License-Identifier: GPL-2.0-only
/*
 * Taint follows the data through files: a file a tainted workload opens for
 * writing becomes a derived tag carrying its labels, and whoever opens it
 * later is tainted as by an admin tag. Derived tags outlive the agent and
 * go only by an explicit, recorded untag.
 */
#include <stdio.h>
#include <sys/stat.h>
#include "node_fixture.h"

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

TEST_HARNESS_MAIN
