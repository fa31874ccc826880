// SPDX-License-Identifier: GPL-2.0-only
/*
 * The second boot of the reboot test (see reboot.h): a workload process is
 * already in the (new) cgroup before trustnoded starts, with sockets it
 * opened then; trustnoded starts as at boot, with the policy naming that
 * workload; it is frozen the moment it sends READY=1 (to a NOTIFY_SOCKET the
 * test binds, as systemd's), and a workload process started at that moment
 * and the older one try to reach an outside host that must receive nothing.
 */
#include "reboot.h"

TEST(after_a_reboot_the_workload_is_refused_before_it_can_send)
{
	char id[64], before[64], path[400], sock[200];
	struct tn_workload kw;
	struct boot_node b;
	struct tn_node *n = &b.n;
	struct held e;
	int lfd, ufd, nfd, r[3] = { -1, -1, -1 };

	ASSERT_EQ(0, boot_node_paths(&b)) {
		TH_LOG("no disk that outlives the reboot (TN_GUEST_DISK): run by tests/guest/run.sh");
	}
	snprintf(path, sizeof(path), "%s/boot-1.id", b.disk);
	ASSERT_EQ(0, read_text(path, before, sizeof(before))) {
		TH_LOG("the first boot left nothing on the disk: did before_a_reboot_a_workload_is_tainted run?");
	}
	ASSERT_EQ(0, boot_id(id, sizeof(id)));
	ASSERT_STRNE(before, id) TH_LOG("not a new boot");
	/* Nothing of the first boot is in the kernel: no pins, no cgroup. */
	ASSERT_NE(0, access(n->pin, F_OK));
	ASSERT_NE(0, access(n->cgroot, F_OK));

	ASSERT_EQ(0, boot_node_up(&b)) {
		boot_node_down(&b);
	}
	lfd = out_listen(n, OUT4, PORT);
	ufd = out_udp(n, OUT4, UPORT);
	/*
	 * A workload process started before the agent, as a unit not ordered
	 * after it would be, with sockets from then.
	 */
	ASSERT_EQ(0, held_start(n, n->wl_cg, NULL, PORT, UPORT, &e)) {
		boot_node_down(&b);
	}

	snprintf(sock, sizeof(sock), "%s/notify.sock", n->tmp);
	nfd = notify_socket(sock);
	ASSERT_LE(0, nfd) {
		boot_node_down(&b);
	}
	setenv("NOTIFY_SOCKET", sock, 1);
	if (node_start_agent(n)) {
		unsetenv("NOTIFY_SOCKET");
		run_cmd("cat %s/agent.log >&2", n->tmp);
		boot_node_down(&b);
		ASSERT_TRUE(0) TH_LOG("the agent did not start at boot");
	}
	unsetenv("NOTIFY_SOCKET");
	ASSERT_EQ(0, wait_ready(nfd, 60000)) {
		boot_node_down(&b);
	}
	/*
	 * Frozen at READY=1: what systemd starts now (units ordered after
	 * trustnoded) finds only what the agent had done before saying so.
	 */
	kill(n->agent, SIGSTOP);
	EXPECT_EQ(0, kernel_workload(n, n->wl_cg, &kw));
	EXPECT_NE(0ULL, kw.taint);
	EXPECT_EQ(EPERM, in_cgroup(n, n->wl_cg, connect_out, NULL));
	EXPECT_EQ(EPERM, in_cgroup(n, n->wl_cg, sendto_out, NULL));
	ASSERT_EQ(0, held_try(&e, r));
	EXPECT_EQ(EPERM, r[0]);
	EXPECT_EQ(EPERM, r[1]);
	EXPECT_EQ(EPERM, r[2]);
	EXPECT_LE(0, lfd);
	EXPECT_LE(0, ufd);
	EXPECT_FALSE(received_something(lfd));
	EXPECT_FALSE(received_something(ufd));
	/* Local destinations still work: enforced, not cut off. */
	EXPECT_EQ(ECONNREFUSED, in_cgroup(n, n->wl_cg, connect_local, NULL));
	kill(n->agent, SIGCONT);
	close(nfd);

	EXPECT_STREQ("phi", taint_of(n, "llm"));
	EXPECT_TRUE(has_event(n, "\"type\":\"taint-restored\"", "\"workload\":\"llm\"",
			      "\"from\":\"state\""));
	EXPECT_TRUE(has_event(n, "\"type\":\"workload-preexisting\"", "\"workload\":\"llm\"",
			      "\"processes\":1"));
	/* The tag is the policy's, on a file that survived: it still taints. */
	EXPECT_STREQ("-", taint_of(n, "batch"));
	snprintf(path, sizeof(path), "%s/records", n->data);
	EXPECT_EQ(0, in_cgroup(n, n->wl2_cg, open_file, path));
	EXPECT_EQ(EPERM, in_cgroup(n, n->wl2_cg, connect_out, NULL));
	EXPECT_FALSE(received_something(lfd));
	close(lfd);
	close(ufd);
	boot_node_down(&b);
}

TEST_HARNESS_MAIN
