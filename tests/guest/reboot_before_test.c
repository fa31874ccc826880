// SPDX-License-Identifier: GPL-2.0-only
/*
 * The first boot of the reboot test (see reboot.h): a workload reads tagged
 * data; the agent is then killed (no clean shutdown) and the guest powers
 * off with the node's state on its disk.
 */
#include "reboot.h"

TEST(before_a_reboot_a_workload_is_tainted)
{
	struct boot_node b;
	struct tn_node *n = &b.n;
	char id[64], path[400];
	int lfd;

	ASSERT_EQ(0, boot_node_paths(&b)) {
		TH_LOG("no disk that outlives the reboot (TN_GUEST_DISK): run by tests/guest/run.sh");
	}
	/* A node installed on this disk: its data, its policy, no state yet. */
	ASSERT_EQ(0, run_cmd("rm -rf %s && mkdir -p %s && echo 'patient 1' > %s/records",
			     b.disk, n->data, n->data));
	ASSERT_EQ(0, write_policy(&b));
	ASSERT_EQ(0, boot_node_up(&b)) {
		boot_node_down(&b);
	}
	lfd = out_listen(n, OUT4, PORT);
	ASSERT_EQ(0, node_start_agent(n)) {
		TH_LOG("the agent did not start; see %s/agent.log", n->tmp);
		boot_node_down(&b);
	}
	snprintf(path, sizeof(path), "%s/records", n->data);
	EXPECT_EQ(0, in_cgroup(n, n->wl_cg, open_file, path));
	EXPECT_STREQ("phi", taint_of(n, "llm"));
	EXPECT_EQ(EPERM, in_cgroup(n, n->wl_cg, connect_out, NULL));
	EXPECT_STREQ("-", taint_of(n, "batch"));
	EXPECT_LE(0, lfd);
	EXPECT_FALSE(received_something(lfd));
	close(lfd);

	/* Power lost: no clean shutdown, the agent's last word is what it saved. */
	kill(n->agent, SIGKILL);
	waitpid(n->agent, NULL, 0);
	n->agent = 0;
	boot_node_down(&b);
	ASSERT_EQ(0, boot_id(id, sizeof(id)));
	snprintf(path, sizeof(path), "%s/boot-1.id", b.disk);
	ASSERT_EQ(0, write_file(path, id));
	sync();
}

TEST_HARNESS_MAIN
