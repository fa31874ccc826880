// SPDX-License-Identifier: GPL-2.0-only
/*
 * Taint and egress enforcement on one node, with the real BPF programs in
 * cgroup mode. Every test gets its own node (tests/lib/tnlib.h): workload
 * "wl", workload "wl2", a cgroup "other" that is no workload, an outside
 * host at 203.0.113.2 / 2001:db8:1::2 and a local one at 198.51.100.2 /
 * 2001:db8:2::2. data/secret is tagged "phi" by the policy.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "node_fixture.h"
#include "trustnode/bpf_shared.h"

/* ---- taint ------------------------------------------------------------ */

TEST_F(node, opening_a_tagged_file_taints_the_workload)
{
	EXPECT_STREQ("-", taint_of(&self->n, "wl"));
	ASSERT_EQ(0, ACT(&self->n, self->n.wl_cg, .open = data(&self->n, "secret")));
	EXPECT_STREQ("phi", taint_of(&self->n, "wl"));
	EXPECT_STREQ("-", taint_of(&self->n, "wl2"));
}

TEST_F(node, opening_a_file_below_a_tagged_directory_taints)
{
	ASSERT_EQ(0, ctl(&self->n, NULL, 0, "tag %s --label fin", data(&self->n, "tagged-dir")));
	ASSERT_EQ(0, ACT(&self->n, self->n.wl_cg, .open = data(&self->n, "tagged-dir/old")));
	EXPECT_STREQ("fin", taint_of(&self->n, "wl"));
}

TEST_F(node, a_file_created_below_a_tagged_directory_after_the_tag_taints)
{
	ASSERT_EQ(0, ctl(&self->n, NULL, 0, "tag %s --label fin", data(&self->n, "tagged-dir")));
	ASSERT_EQ(0, write_file(data(&self->n, "tagged-dir/sub/new"), "created later\n"));
	ASSERT_EQ(0, ACT(&self->n, self->n.wl_cg, .open = data(&self->n, "tagged-dir/sub/new")));
	EXPECT_STREQ("fin", taint_of(&self->n, "wl"));
}

/*
 * An upgrade: the pinned tn_tags of an earlier version, whose agent wrote
 * no tn_tag_filter slot (here: the filter cleared while the agent is
 * down). The new agent must mark every tag before its programs run, or
 * the walk up the file's directories skips the tagged one.
 */
TEST_F(node, tags_written_before_their_filter_existed_still_taint)
{
	ASSERT_EQ(0, write_file(data(&self->n, "tagged-dir/sub/new"), "two levels down\n"));
	ASSERT_EQ(0, ctl(&self->n, NULL, 0, "tag %s --label fin", data(&self->n, "tagged-dir")));
	node_kill_agent(&self->n);
	ASSERT_EQ(0, node_clear_pinned_array(&self->n, "tn_tag_filter", TN_TAG_FILTER_SLOTS))
		TH_LOG("no tn_tag_filter pinned");
	ASSERT_EQ(0, node_start_agent(&self->n));
	/* The reader of the tagged tree tries to carry it out at once. */
	EXPECT_EQ(EPERM, ACT(&self->n, self->n.wl_cg, .open = data(&self->n, "tagged-dir/sub/new"),
			     .connect = OUT4));
	EXPECT_FALSE(connection_pending(self->listeners[0], 1000));
	EXPECT_STREQ("fin", taint_of(&self->n, "wl"));
}

TEST_F(node, after_untag_opening_the_file_no_longer_taints)
{
	ASSERT_EQ(0, ctl(&self->n, NULL, 0, "tag %s --label fin", data(&self->n, "plain")));
	ASSERT_EQ(0, ctl(&self->n, NULL, 0, "untag %s", data(&self->n, "plain")));
	EXPECT_EQ(0, ACT(&self->n, self->n.wl_cg, .open = data(&self->n, "plain"),
			 .connect = OUT4));
	EXPECT_STREQ("-", taint_of(&self->n, "wl"));
	EXPECT_TRUE(HAS_EVENT(&self->n, "\"type\":\"tag-remove\""));
}

TEST_F(node, untagged_opens_change_nothing)
{
	ASSERT_EQ(0, ACT(&self->n, self->n.wl_cg, .open = data(&self->n, "plain"),
			 .connect = OUT4));
	EXPECT_STREQ("-", taint_of(&self->n, "wl"));
	EXPECT_FALSE(HAS_EVENT(&self->n, "\"type\":\"taint-file\""));
}

TEST_F(node, connecting_to_a_tagged_endpoint_taints)
{
	ASSERT_EQ(0, ctl(&self->n, NULL, 0, "tag --net %s:%d --label db", LOCAL4, PORT));
	/* The endpoint itself is local: the connect succeeds, and taints. */
	ASSERT_EQ(0, ACT(&self->n, self->n.wl_cg, .connect = LOCAL4));
	EXPECT_STREQ("db", taint_of(&self->n, "wl"));
	EXPECT_EQ(EPERM, ACT(&self->n, self->n.wl_cg, .connect = OUT4));
	EXPECT_TRUE(HAS_EVENT(&self->n, "\"type\":\"taint-net\"", "\"dest\":\"198.51.100.2:8080\""));
}

TEST_F(node, processes_started_later_in_a_tainted_workload_are_tainted)
{
	ASSERT_EQ(0, ACT(&self->n, self->n.wl_cg, .open = data(&self->n, "secret")));
	/* A new process that opened nothing itself. */
	EXPECT_EQ(EPERM, ACT(&self->n, self->n.wl_cg, .connect = OUT4));
}

TEST_F(node, taint_covers_the_whole_cgroup_subtree)
{
	char sub[512];

	snprintf(sub, sizeof(sub), "%s/child", self->n.wl_cg);
	ASSERT_EQ(0, mkdir(sub, 0755));
	ASSERT_EQ(0, ACT(&self->n, sub, .open = data(&self->n, "secret")));
	EXPECT_STREQ("phi", taint_of(&self->n, "wl"));
	EXPECT_EQ(EPERM, ACT(&self->n, self->n.wl_cg, .connect = OUT4));
	EXPECT_EQ(EPERM, ACT(&self->n, sub, .connect = OUT4));
}

/*
 * The attacker's way around an open hook that decodes x86-64 syscall
 * numbers: the 32-bit entry (int $0x80) works from a 64-bit process, with
 * ia32 numbers (open is 5) and a path below 4 GiB.
 */
static int open_through_int80(void *path)
{
	char *low = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	long ret;

	if (low == MAP_FAILED)
		return 90;
	snprintf(low, 4096, "%s", (const char *)path);
	asm volatile("int $0x80"
		     : "=a"(ret)
		     : "a"(5L), "b"((long)low), "c"((long)O_RDONLY)
		     : "memory", "r8", "r9", "r10", "r11");
	if (ret < 0)
		return 91;	/* no ia32 emulation: the channel does not exist */
	close((int)ret);
	return 0;
}

/*
 * Whether the 32-bit entry exists here: a kernel without ia32 emulation
 * (or booted with ia32_emulation=0) answers int $0x80 with SIGSEGV, and
 * the channel is closed for every process.
 */
static bool int80_exists(void)
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		long ret;

		asm volatile("int $0x80" : "=a"(ret) : "a"(20L) : "memory");	/* getpid */
		_exit(ret > 0 ? 0 : 1);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return false;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

TEST_F(node, opening_a_tagged_file_through_the_32_bit_syscall_entry_taints)
{
	if (!int80_exists())
		SKIP(return, "this kernel has no 32-bit syscall entry (no ia32 emulation)");
	ASSERT_EQ(0, in_cgroup(&self->n, self->n.wl_cg, open_through_int80,
			       (void *)data(&self->n, "secret")));
	EXPECT_STREQ("phi", taint_of(&self->n, "wl"));
	EXPECT_EQ(EPERM, ACT(&self->n, self->n.wl_cg, .connect = OUT4));
}

/*
 * btrfs gives each subvolume its own st_dev, while the kernel hooks see the
 * file system's device: a tag made from stat() alone never matched there.
 * The file lives in a subvolume of a btrfs made for the test (loop device).
 */
TEST_F(node, a_tagged_file_in_a_btrfs_subvolume_taints)
{
	char img[160], mnt[160], file[200];
	const char *taint_file, *taint_dir;
	int tagged, denied;

	snprintf(img, sizeof(img), "%s/btrfs.img", self->n.tmp);
	snprintf(mnt, sizeof(mnt), "%s/btrfs", self->n.tmp);
	snprintf(file, sizeof(file), "%s/sub/records", mnt);
	if (mkdir(mnt, 0755) ||
	    run_cmd("truncate -s 300M %s && mkfs.btrfs -q %s >/dev/null 2>&1", img, img) ||
	    run_cmd("mount -o loop %s %s", img, mnt))
		SKIP(return, "cannot make a btrfs here (btrfs-progs, loop devices, btrfs in the kernel)");
	run_cmd("btrfs -q subvolume create %s/sub >/dev/null && mkdir %s/sub/dir && "
		"echo records > %s && echo more > %s/sub/dir/f", mnt, mnt, file, mnt);

	tagged = ctl(&self->n, NULL, 0, "tag %s --label bt", file);
	ACT(&self->n, self->n.wl_cg, .open = file);
	taint_file = strdupa(taint_of(&self->n, "wl"));
	denied = ACT(&self->n, self->n.wl_cg, .connect = OUT4);
	/* A directory tag in the subvolume covers the files below it. */
	ctl(&self->n, NULL, 0, "tag %s/sub/dir --label btd", mnt);
	{
		char f2[220];

		snprintf(f2, sizeof(f2), "%s/sub/dir/f", mnt);
		ACT(&self->n, self->n.wl2_cg, .open = f2);
	}
	taint_dir = strdupa(taint_of(&self->n, "wl2"));
	ctl(&self->n, NULL, 0, "untag %s", file);
	ctl(&self->n, NULL, 0, "untag %s/sub/dir", mnt);
	run_cmd("umount %s", mnt);
	unlink(img);

	ASSERT_EQ(0, tagged);
	EXPECT_STREQ("bt", taint_file);
	EXPECT_EQ(EPERM, denied);
	EXPECT_STREQ("btd", taint_dir);
}

/*
 * Moving data out of a tagged directory without opening it: rename() and
 * link() need no open(), and a directory tag matches by ancestors. In lsm
 * mode the labels the file would lose become a derived tag before the new
 * name exists, and a directory cannot be moved out; cgroup mode has no hook
 * on either (the listed gap: the next reader is not tainted).
 */
struct move {
	const char *from, *to;
	int link;
};

static int move_out(void *arg)
{
	struct move *m = arg;

	return (m->link ? link(m->from, m->to) : rename(m->from, m->to)) ? errno : 0;
}

TEST_F(node, a_file_renamed_or_linked_out_of_a_tagged_directory_keeps_its_labels)
{
	char a[320], b[320], moved_a[320], linked_b[320];
	struct move ren = { a, moved_a, 0 }, lnk = { b, linked_b, 1 };
	int lsm = node_sees_lsm_hooks(&self->n);

	snprintf(a, sizeof(a), "%s", data(&self->n, "tagged-dir/a"));
	snprintf(b, sizeof(b), "%s", data(&self->n, "tagged-dir/sub/b"));
	snprintf(moved_a, sizeof(moved_a), "%s", data(&self->n, "moved-a"));
	snprintf(linked_b, sizeof(linked_b), "%s", data(&self->n, "linked-b"));
	ASSERT_EQ(0, write_file(a, "records\n"));
	ASSERT_EQ(0, write_file(b, "records\n"));
	ASSERT_EQ(0, ctl(&self->n, NULL, 0, "tag %s --label fin", data(&self->n, "tagged-dir")));

	/* Workload wl moves them out; it opened nothing and stays clean. */
	ASSERT_EQ(0, in_cgroup(&self->n, self->n.wl_cg, move_out, &ren));
	ASSERT_EQ(0, in_cgroup(&self->n, self->n.wl_cg, move_out, &lnk));
	EXPECT_STREQ("-", taint_of(&self->n, "wl"));

	/* Workload wl2 reads them where they are now, then tries to send. */
	ASSERT_EQ(0, ACT(&self->n, self->n.wl2_cg, .open = moved_a));
	ASSERT_EQ(0, ACT(&self->n, self->n.wl2_cg, .open = linked_b));
	if (lsm || lsm_expected()) {
		EXPECT_STREQ("fin", taint_of(&self->n, "wl2"));
		EXPECT_EQ(EPERM, ACT(&self->n, self->n.wl2_cg, .connect = OUT4));
		EXPECT_TRUE(HAS_EVENT(&self->n, "\"type\":\"derive-file\"", "\"decision\":\"derive\""));
	} else {
		/* The gap cgroup mode lists: nothing sees rename or link. */
		EXPECT_STREQ("-", taint_of(&self->n, "wl2"));
	}
}

static int exchange(void *arg)
{
	struct move *m = arg;

	return renameat2(AT_FDCWD, m->from, AT_FDCWD, m->to, RENAME_EXCHANGE) ? errno : 0;
}

/*
 * renameat2(RENAME_EXCHANGE) swaps an untagged file outside with one in a
 * tagged directory: the tagged one leaves under the outside name. The LSM
 * hook runs once per direction, the function fentry mode hooks once.
 */
TEST_F(node, a_file_exchanged_out_of_a_tagged_directory_keeps_its_labels)
{
	char in[320], out[320];
	struct move swap = { out, in, 0 };
	int lsm = node_sees_lsm_hooks(&self->n);

	snprintf(in, sizeof(in), "%s", data(&self->n, "tagged-dir/a"));
	snprintf(out, sizeof(out), "%s", data(&self->n, "plain"));
	ASSERT_EQ(0, write_file(in, "records\n"));
	ASSERT_EQ(0, write_file(out, "nothing\n"));
	ASSERT_EQ(0, ctl(&self->n, NULL, 0, "tag %s --label fin", data(&self->n, "tagged-dir")));

	ASSERT_EQ(0, in_cgroup(&self->n, self->n.wl_cg, exchange, &swap));
	EXPECT_STREQ("-", taint_of(&self->n, "wl"));
	/* The records are at "plain" now; wl2 reads them there. */
	ASSERT_EQ(0, ACT(&self->n, self->n.wl2_cg, .open = out));
	if (lsm || lsm_expected()) {
		EXPECT_STREQ("fin", taint_of(&self->n, "wl2"));
		EXPECT_EQ(EPERM, ACT(&self->n, self->n.wl2_cg, .connect = OUT4));
	} else {
		EXPECT_STREQ("-", taint_of(&self->n, "wl2"));
		EXPECT_TRUE(gap_listed(&self->n, "renamed or hard-linked out of a tagged directory"));
	}
}

TEST_F(node, a_directory_cannot_be_moved_out_of_a_tagged_directory_in_lsm_mode)
{
	char from[320], to[320];
	struct move ren = { from, to, 0 };
	int rc;

	snprintf(from, sizeof(from), "%s", data(&self->n, "tagged-dir/sub"));
	snprintf(to, sizeof(to), "%s", data(&self->n, "sub-moved"));
	ASSERT_EQ(0, write_file(data(&self->n, "tagged-dir/sub/c"), "records\n"));
	ASSERT_EQ(0, ctl(&self->n, NULL, 0, "tag %s --label fin", data(&self->n, "tagged-dir")));
	rc = in_cgroup(&self->n, self->n.wl_cg, move_out, &ren);
	if (node_sees_lsm_hooks(&self->n) || lsm_expected()) {
		EXPECT_EQ(EPERM, rc);
		EXPECT_TRUE(HAS_EVENT(&self->n, "\"type\":\"derive-file\"", "\"decision\":\"deny\""));
	} else {
		EXPECT_EQ(0, rc);	/* the gap cgroup mode lists */
	}
}

/* ---- enforcement of a tainted workload -------------------------------- */

/*
 * The same rules for each way a workload can address a host: IPv4, IPv6,
 * and IPv4 through an IPv4-mapped IPv6 address (one AF_INET6 socket).
 */
FIXTURE(egress) {
	struct tn_node n;
	int listeners[4];
};

FIXTURE_VARIANT(egress) {
	const char *outside, *local;
};

FIXTURE_VARIANT_ADD(egress, ipv4) {
	.outside = OUT4, .local = LOCAL4,
};

FIXTURE_VARIANT_ADD(egress, ipv6) {
	.outside = OUT6, .local = LOCAL6,
};

FIXTURE_VARIANT_ADD(egress, v4_mapped_ipv6) {
	.outside = OUT_MAPPED, .local = "::ffff:" LOCAL4,
};

FIXTURE_SETUP(egress)
{
	node_fixture_up(_metadata, &self->n, self->listeners);
}

FIXTURE_TEARDOWN(egress)
{
	node_fixture_down(&self->n, self->listeners);
}

TEST_F(egress, a_tainted_tcp_connect_outside_fails_with_eperm)
{
	EXPECT_EQ(0, ACT(&self->n, self->n.wl_cg, .connect = variant->outside));
	EXPECT_EQ(EPERM, ACT(&self->n, self->n.wl_cg, .open = data(&self->n, "secret"),
			     .connect = variant->outside));
}

TEST_F(egress, a_tainted_udp_sendto_outside_fails_with_eperm)
{
	EXPECT_EQ(0, ACT(&self->n, self->n.wl_cg, .sendto = variant->outside));
	ASSERT_EQ(0, ACT(&self->n, self->n.wl_cg, .open = data(&self->n, "secret")));
	EXPECT_EQ(EPERM, ACT(&self->n, self->n.wl_cg, .sendto = variant->outside));
}

/*
 * TCP Fast Open: sendto(MSG_FASTOPEN) on a stream socket that is not
 * connected connects inside the send, with no connect(2) (so no
 * socket_connect hook, and socket_sendmsg sees a socket with no peer yet),
 * and may carry the data in the SYN. The kernel's pre-connect hook runs
 * there: the connect programs refuse it, and no connection reaches the
 * outside listener.
 */
static int fastopen_send(void *arg)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int family = sockaddr_of(arg, PORT, &ss, &len), fd, ret = 0;

	if (family < 0)
		return EINVAL;
	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	if (sendto(fd, "fast;", 5, MSG_FASTOPEN, (struct sockaddr *)&ss, len) != 5)
		ret = errno;
	close(fd);
	return ret;
}

TEST_F(egress, a_tainted_tcp_fast_open_outside_fails_and_reaches_no_one)
{
	int lfd = self->listeners[strchr(variant->outside, '.') ? 0 : 2], c;

	/* Untainted, the same send connects: the test can see one arrive. */
	ASSERT_EQ(0, in_cgroup(&self->n, self->n.wl_cg, fastopen_send,
			       (void *)variant->outside));
	ASSERT_TRUE(connection_pending(lfd, 2000));
	c = accept(lfd, NULL, NULL);
	ASSERT_LE(0, c);
	close(c);

	ASSERT_EQ(0, ACT(&self->n, self->n.wl_cg, .open = data(&self->n, "secret")));
	EXPECT_EQ(EPERM, in_cgroup(&self->n, self->n.wl_cg, fastopen_send,
				   (void *)variant->outside));
	EXPECT_FALSE(connection_pending(lfd, 1000));
	EXPECT_TRUE(HAS_EVENT(&self->n, "\"type\":\"connect\"", "\"decision\":\"deny\""));
}

TEST_F(egress, a_tainted_workload_still_reaches_the_local_address)
{
	ASSERT_EQ(0, ACT(&self->n, self->n.wl_cg, .open = data(&self->n, "secret")));
	EXPECT_EQ(0, ACT(&self->n, self->n.wl_cg, .connect = variant->local));
	EXPECT_EQ(0, ACT(&self->n, self->n.wl_cg, .sendto = variant->local));
}

TEST_F(node, tainted_unconnected_udp_sendto_outside_fails)
{
	EXPECT_EQ(0, ACT(&self->n, self->n.wl_cg, .sendto = OUT4));
	ASSERT_EQ(0, ACT(&self->n, self->n.wl_cg, .open = data(&self->n, "secret")));
	EXPECT_EQ(EPERM, ACT(&self->n, self->n.wl_cg, .sendto = OUT4));
	EXPECT_EQ(EPERM, ACT(&self->n, self->n.wl_cg, .sendto = OUT6));
	EXPECT_TRUE(HAS_EVENT(&self->n, "\"type\":\"sendmsg\"", "\"decision\":\"deny\"",
			      "\"protocol\":\"udp\""));
}

/*
 * An IPv4 UDP socket sends to the address in a sockaddr_in whose family is
 * AF_UNSPEC as if it were AF_INET (udp_sendmsg reads sin_addr and checks
 * only that the family is AF_INET or AF_UNSPEC). A check that takes the
 * family field at its word sees no address at all.
 */
static int unspec_sendto(void *arg)
{
	struct sockaddr_in sin = { .sin_family = AF_UNSPEC, .sin_port = htons(PORT) };
	int fd, ret = 0;

	if (inet_pton(AF_INET, arg, &sin.sin_addr) != 1)
		return EINVAL;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	if (sendto(fd, "unspec", 6, 0, (struct sockaddr *)&sin, sizeof(sin)) != 6)
		ret = errno;
	close(fd);
	return ret;
}

/* Whether a datagram waits on fd within ms (and reads it). */
static int datagram_arrives(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char buf[64];

	if (poll(&p, 1, ms) != 1)
		return 0;
	return recv(fd, buf, sizeof(buf), MSG_DONTWAIT) >= 0;
}

TEST_F(node, a_tainted_udp_sendto_with_family_af_unspec_reaches_no_one)
{
	int ufd = out_udp(&self->n, OUT4, PORT);

	ASSERT_LE(0, ufd);
	/* Untainted, the datagram arrives: the listener can see one. */
	ASSERT_EQ(0, in_cgroup(&self->n, self->n.wl_cg, unspec_sendto, (void *)OUT4));
	ASSERT_TRUE(datagram_arrives(ufd, 2000));

	ASSERT_EQ(0, ACT(&self->n, self->n.wl_cg, .open = data(&self->n, "secret")));
	EXPECT_EQ(EPERM, in_cgroup(&self->n, self->n.wl_cg, unspec_sendto, (void *)OUT4));
	EXPECT_FALSE(datagram_arrives(ufd, 1000));
	EXPECT_TRUE(HAS_EVENT(&self->n, "\"type\":\"sendmsg\"", "\"decision\":\"deny\""));
	close(ufd);
}

TEST_F(node, tainted_workload_still_reaches_the_local_network)
{
	ASSERT_EQ(0, ACT(&self->n, self->n.wl_cg, .open = data(&self->n, "secret")));
	EXPECT_EQ(0, ACT(&self->n, self->n.wl_cg, .connect = LOCAL4));
	EXPECT_EQ(0, ACT(&self->n, self->n.wl_cg, .connect = LOCAL6));
	EXPECT_EQ(0, ACT(&self->n, self->n.wl_cg, .sendto = LOCAL4));
	EXPECT_EQ(0, ACT(&self->n, self->n.wl_cg, .sendto = "127.0.0.1", .port = 9));
	EXPECT_EQ(0, ACT(&self->n, self->n.wl_cg, .sendto = "::1", .port = 9));
}

/*
 * A flow opened while untainted: the workload sends "before", becomes
 * tainted, sends "after". The outside host must only ever see "before".
 */
struct flow {
	const char *secret;
};

static int flow_then_taint(void *arg)
{
	struct flow *f = arg;
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(PORT) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	inet_pton(AF_INET, OUT4, &sin.sin_addr);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sin, sizeof(sin)))
		return 1;
	if (send(fd, "before;", 7, 0) != 7)
		return 2;
	usleep(300 * 1000);
	if (do_open(f->secret))
		return 3;
	/* Accepted into the socket buffer; its packets must not leave. */
	send(fd, "after;", 6, MSG_NOSIGNAL);
	usleep(1000 * 1000);
	return 0;
}

TEST_F(node, a_connection_opened_before_the_taint_stops_carrying_data)
{
	struct flow f = { .secret = data(&self->n, "secret") };
	char got[256] = "";
	size_t len = 0;
	pid_t pid;
	int c, st;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(in_cgroup(&self->n, self->n.wl_cg, flow_then_taint, &f));
	c = accept(self->listeners[0], NULL, NULL);
	ASSERT_LE(0, c);
	for (;;) {
		struct pollfd p = { .fd = c, .events = POLLIN };
		ssize_t r;

		if (poll(&p, 1, 2500) <= 0)
			break;
		r = read(c, got + len, sizeof(got) - len - 1);
		if (r <= 0)
			break;
		len += r;
		got[len] = '\0';
	}
	close(c);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_EQ(0, WEXITSTATUS(st));
	EXPECT_STREQ("before;", got);
	/* lsm mode refuses the send itself (the sender decides); cgroup mode
	 * takes it and drops its packets. */
	if (node_sees_lsm_hooks(&self->n) || lsm_expected()) {
		EXPECT_TRUE(HAS_EVENT(&self->n, "\"type\":\"sendmsg\"", "\"decision\":\"deny\"",
				      "\"dest\":\"203.0.113.2:8080\""));
	} else {
		EXPECT_TRUE(HAS_EVENT(&self->n, "\"type\":\"egress\"", "\"decision\":\"deny\"",
				      "\"dest\":\"203.0.113.2:8080\""));
	}
}

TEST_F(node, untainted_workloads_are_unaffected)
{
	ASSERT_EQ(0, ACT(&self->n, self->n.wl_cg, .open = data(&self->n, "secret")));
	EXPECT_EQ(0, ACT(&self->n, self->n.wl2_cg, .connect = OUT4));
	EXPECT_EQ(0, ACT(&self->n, self->n.wl2_cg, .connect = OUT6));
	EXPECT_EQ(0, ACT(&self->n, self->n.wl2_cg, .sendto = OUT4));
}

TEST_F(node, processes_outside_any_workload_are_unaffected)
{
	/* Below the attach cgroup but in no workload, and entirely outside. */
	EXPECT_EQ(0, ACT(&self->n, self->n.other_cg, .open = data(&self->n, "secret"),
			 .connect = OUT4));
	EXPECT_EQ(0, ACT(&self->n, NULL, .open = data(&self->n, "secret"),
			 .connect = OUT4));
	EXPECT_FALSE(HAS_EVENT(&self->n, "\"type\":\"taint-file\""));
}

TEST_F(node, audit_mode_allows_everything_and_records_it)
{
	ASSERT_EQ(0, node_write_policy(&self->n, "audit"));
	ASSERT_EQ(0, ctl(&self->n, NULL, 0, "policy load %s", self->n.policy));
	EXPECT_EQ(0, ACT(&self->n, self->n.wl_cg, .open = data(&self->n, "secret"),
			 .connect = OUT4));
	EXPECT_EQ(0, ACT(&self->n, self->n.wl_cg, .sendto = OUT6));
	EXPECT_STREQ("phi", taint_of(&self->n, "wl"));
	EXPECT_TRUE(HAS_EVENT(&self->n, "\"type\":\"connect\"", "\"decision\":\"allow-audit\"",
			      "\"dest\":\"203.0.113.2:8080\""));
	EXPECT_TRUE(HAS_EVENT(&self->n, "\"type\":\"sendmsg\"", "\"decision\":\"allow-audit\""));
}

/* ---- events ----------------------------------------------------------- */

TEST_F(node, taint_and_denial_events_say_who_what_where_and_the_decision)
{
	char out[8192];

	ASSERT_EQ(EPERM, ACT(&self->n, self->n.wl_cg, .open = data(&self->n, "secret"),
			     .connect = OUT4));
	EXPECT_TRUE(HAS_EVENT(&self->n, "\"type\":\"taint-file\"", "\"decision\":\"taint\"",
			      "\"workload\":\"wl\"", "\"pid\":", "\"comm\":",
			      "\"labels\":[\"phi\"]", "/data/secret\"", "\"time\":\"20"));
	EXPECT_TRUE(HAS_EVENT(&self->n, "\"type\":\"connect\"", "\"decision\":\"deny\"",
			      "\"workload\":\"wl\"", "\"pid\":", "\"labels\":[\"phi\"]",
			      "\"dest\":\"203.0.113.2:8080\"", "\"protocol\":\"tcp\""));
	/* The human form carries the same facts. */
	ASSERT_EQ(0, ctl(&self->n, out, sizeof(out), "events"));
	EXPECT_NE(NULL, strstr(out, "deny")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "dest=203.0.113.2:8080/tcp"));
	EXPECT_NE(NULL, strstr(out, "workload=wl"));
}

TEST_HARNESS_MAIN
