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
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/types.h>
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

TEST_F_TIMEOUT(node, root_in_a_tainted_workload_cannot_clear_its_taint, 120)
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

TEST_F_TIMEOUT(node, a_caller_below_trustnodes_cgroup_in_no_workload_is_refused, 120)
{
	char out[4096], args[1024];

	snprintf(args, sizeof(args), "tag %s --label x", data(&self->n, "plain"));
	EXPECT_EQ(4, ctl_in(&self->n, self->n.other_cg, out, sizeof(out), args));
	EXPECT_NE(NULL, strstr(out, "below trustnoded's cgroup")) TH_LOG("%s", out);
	EXPECT_EQ(4, ctl_in(&self->n, self->n.cgroot, out, sizeof(out), "workload reset wl"));
	EXPECT_NE(NULL, strstr(out, "below trustnoded's cgroup")) TH_LOG("%s", out);
}

TEST_F_TIMEOUT(node, a_workload_may_still_read, 120)
{
	char out[4096];

	EXPECT_EQ(0, ctl_in(&self->n, self->n.wl_cg, out, sizeof(out), "workload list"));
	EXPECT_NE(NULL, strstr(out, "wl2"));
	EXPECT_EQ(0, ctl_in(&self->n, self->n.wl_cg, out, sizeof(out), "status"));
}

TEST_F_TIMEOUT(node, administrative_records_name_the_caller, 120)
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

/* ---- taint follows the process: cgroup.procs -------------------------- */

/* What the escaping process saw, shared with the test. */
struct escape {
	struct tn_node *n;
	const char *procs;	/* cgroup.procs to write into */
	int move_child;		/* move a child of its own instead of itself */
	int taint;		/* open data/secret first */
	/* results */
	int opened, wrote, werr;
	int child_tried, child_res;
};

static struct escape *escape_new(struct tn_node *n, const char *cg, int move_child)
{
	struct escape *e = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	static char procs[4][600];
	static int i;

	if (e == MAP_FAILED)
		return NULL;
	memset(e, 0, sizeof(*e));
	i = (i + 1) % 4;
	snprintf(procs[i], sizeof(procs[i]), "%s/cgroup.procs", cg);
	e->n = n;
	e->procs = procs[i];
	e->move_child = move_child;
	e->taint = 1;
	e->werr = -1;
	e->child_res = -1;
	return e;
}

static void write_pid(struct escape *e, pid_t pid)
{
	char buf[16];
	int fd = open(e->procs, O_WRONLY | O_CLOEXEC);

	snprintf(buf, sizeof(buf), "%d", (int)pid);
	if (fd < 0) {
		e->werr = errno;
		return;
	}
	e->wrote = 1;	/* tried: cgroup mode may kill it inside write() */
	e->werr = write(fd, buf, strlen(buf)) < 0 ? errno : 0;
	close(fd);
}

/*
 * The attacker: reads the secret (the workload is tainted), moves itself
 * (or a child waiting on a pipe) into another cgroup, then connects out.
 */
static int escape_fn(void *arg)
{
	struct escape *e = arg;
	int p[2];
	pid_t child;

	if (e->taint && do_open(data(e->n, "secret")))
		return 254;
	e->opened = 1;
	if (!e->move_child) {
		write_pid(e, 0);
		return do_connect(OUT4, PORT);
	}
	if (pipe(p))
		return 252;
	child = fork();
	if (child == 0) {
		char c;

		close(p[1]);
		/* Waits until the parent has moved it (or died). */
		if (read(p[0], &c, 1) < 0)
			_exit(1);
		usleep(100 * 1000);
		e->child_tried = 1;
		e->child_res = do_connect(OUT4, PORT);
		_exit(0);
	}
	close(p[0]);
	write_pid(e, child);
	close(p[1]);
	waitpid(child, NULL, 0);
	return 0;
}

/* The test's own cgroup: outside trustnoded's, standing in for the root. */
static const char *own_cgroup(struct tn_node *n)
{
	static char path[1024];
	char line[600] = "", mnt[300];
	FILE *f = fopen("/proc/self/cgroup", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "0::", 3))
			break;
	if (f)
		fclose(f);
	line[strcspn(line, "\n")] = '\0';
	snprintf(mnt, sizeof(mnt), "%s", n->cgroot);
	*strrchr(mnt, '/') = '\0';
	/* Never the machine's root cgroup: a sibling of the node's instead. */
	if (strncmp(line, "0::", 3) || !strcmp(line + 3, "/")) {
		snprintf(path, sizeof(path), "%s.outside", n->cgroot);
		mkdir(path, 0755);
	} else {
		snprintf(path, sizeof(path), "%s%s", mnt, line + 3);
	}
	return path;
}

/* Moving out of every workload: refused (lsm) or the mover killed (cgroup). */
static void assert_escape_stopped(struct __test_metadata *_metadata,
				  struct tn_node *n, int lfd, const char *dst)
{
	struct escape *e = escape_new(n, dst, 0);
	int lsm = node_lsm_mode(n), ret;

	ASSERT_NE(NULL, e);
	if (lsm_expected())
		ASSERT_TRUE(lsm);
	ret = in_cgroup(n, n->wl_cg, escape_fn, e);
	EXPECT_TRUE(e->opened);
	if (lsm) {
		EXPECT_EQ(EPERM, e->werr);
		EXPECT_EQ(EPERM, ret);
		EXPECT_TRUE(HAS_EVENT(n, "\"type\":\"cgroup-escape\"", "\"decision\":\"deny\"",
				      "\"workload\":\"wl\""));
	} else {
		/* The move happened; the process died before it could connect. */
		EXPECT_EQ(-1, ret);
		EXPECT_TRUE(HAS_EVENT(n, "\"type\":\"cgroup-escape\"", "\"decision\":\"kill\"",
				      "\"workload\":\"wl\"", "\"labels\":[\"phi\"]"));
		/* Detected after the fact, not refused: a listed gap. */
		EXPECT_TRUE(gap_listed(n, "is killed (with the process it moved or started) after the fact"));
	}
	EXPECT_TRUE(nothing_received(lfd, 500));
	EXPECT_STREQ("phi", taint_of(n, "wl"));
	munmap(e, 4096);
}

TEST_F_TIMEOUT(node, a_tainted_process_cannot_move_itself_below_trustnoded_out_of_its_workload, 120)
{
	assert_escape_stopped(_metadata, &self->n, self->listeners[0], self->n.other_cg);
}

TEST_F_TIMEOUT(node, a_tainted_process_cannot_move_itself_out_of_trustnodeds_cgroup, 120)
{
	const char *dst = own_cgroup(&self->n);

	assert_escape_stopped(_metadata, &self->n, self->listeners[0], dst);
	if (strstr(dst, ".outside"))
		rmdir(dst);
}

TEST_F_TIMEOUT(node, a_tainted_process_moving_into_another_workload_taints_it, 120)
{
	struct escape *e = escape_new(&self->n, self->n.wl2_cg, 0);

	ASSERT_NE(NULL, e);
	EXPECT_STREQ("-", taint_of(&self->n, "wl2"));
	EXPECT_EQ(EPERM, in_cgroup(&self->n, self->n.wl_cg, escape_fn, e));
	EXPECT_EQ(0, e->werr);
	EXPECT_STREQ("phi", taint_of(&self->n, "wl2"));
	EXPECT_TRUE(nothing_received(self->listeners[0], 300));
	EXPECT_TRUE(HAS_EVENT(&self->n, "\"type\":\"cgroup-escape\"", "\"decision\":\"taint\"",
			      "\"dest_workload\":\"wl2\""));
	/* wl2's own processes are held too now. */
	EXPECT_EQ(EPERM, ACT(&self->n, self->n.wl2_cg, .connect = OUT4));
	munmap(e, 4096);
}

TEST_F_TIMEOUT(node, a_tainted_process_cannot_move_a_child_out_of_its_workload, 120)
{
	struct escape *e = escape_new(&self->n, self->n.other_cg, 1);
	int lsm = node_lsm_mode(&self->n);

	ASSERT_NE(NULL, e);
	in_cgroup(&self->n, self->n.wl_cg, escape_fn, e);
	usleep(500 * 1000);	/* the child, if alive, has tried by now */
	EXPECT_TRUE(e->opened);
	EXPECT_TRUE(e->wrote);
	if (lsm) {
		EXPECT_EQ(EPERM, e->werr);
		EXPECT_EQ(EPERM, e->child_res);
	} else {
		EXPECT_FALSE(e->child_tried) TH_LOG("the moved child survived: %d", e->child_res);
	}
	EXPECT_TRUE(nothing_received(self->listeners[0], 300));
	EXPECT_TRUE(HAS_EVENT(&self->n, "\"type\":\"cgroup-escape\"", "\"workload\":\"wl\""));
	munmap(e, 4096);
}

TEST_F_TIMEOUT(node, moves_inside_the_workload_and_untainted_moves_are_left_alone, 120)
{
	struct escape *e;
	char sub[400];

	snprintf(sub, sizeof(sub), "%s/sub", self->n.wl_cg);
	ASSERT_EQ(0, mkdir(sub, 0755));
	/* Tainted, into its own workload's subtree: allowed, still held. */
	e = escape_new(&self->n, sub, 0);
	ASSERT_NE(NULL, e);
	EXPECT_EQ(EPERM, in_cgroup(&self->n, self->n.wl_cg, escape_fn, e));
	EXPECT_EQ(0, e->werr);
	munmap(e, 4096);
	/* Untainted (wl2), out to a cgroup in no workload: nothing to carry. */
	e = escape_new(&self->n, self->n.other_cg, 0);
	ASSERT_NE(NULL, e);
	e->taint = 0;
	EXPECT_EQ(0, in_cgroup(&self->n, self->n.wl2_cg, escape_fn, e));
	EXPECT_EQ(0, e->werr);
	EXPECT_FALSE(HAS_EVENT(&self->n, "\"type\":\"cgroup-escape\""));
	munmap(e, 4096);
}

/*
 * clone3(CLONE_INTO_CGROUP) starts the child in a cgroup outside the
 * workload: refused for a tainted workload in lsm mode (task_alloc); in
 * cgroup mode both are killed when clone3 returns to the parent. The child
 * runs for the microseconds before that (a listed gap): here it waits past
 * them, to check that it is killed.
 */
struct clone_args_ {
	__u64 flags, pidfd, child_tid, parent_tid, exit_signal, stack,
	      stack_size, tls, set_tid, set_tid_size, cgroup;
};

static int clone_into_fn(void *arg)
{
	struct escape *e = arg;
	struct clone_args_ ca = { .exit_signal = SIGCHLD };
	int cfd, st;
	long pid;

	if (do_open(data(e->n, "secret")))
		return 254;
	e->opened = 1;
	cfd = open(e->n->other_cg, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cfd < 0)
		return 253;
	ca.flags = 0x200000000ULL;	/* CLONE_INTO_CGROUP */
	ca.cgroup = cfd;
	e->wrote = 1;
	pid = syscall(SYS_clone3, &ca, sizeof(ca));
	if (pid < 0) {
		e->werr = errno;
		return do_connect(OUT4, PORT);
	}
	if (pid == 0) {
		usleep(200 * 1000);
		e->child_tried = 1;
		e->child_res = do_connect(OUT4, PORT);
		_exit(0);
	}
	e->werr = 0;
	if (waitpid(pid, &st, 0) != pid)
		return 251;
	return 0;
}

TEST_F_TIMEOUT(node, a_tainted_process_cannot_start_a_child_outside_its_workload, 120)
{
	struct escape *e = escape_new(&self->n, self->n.other_cg, 0);
	int lsm = node_lsm_mode(&self->n), ret;

	ASSERT_NE(NULL, e);
	if (lsm_expected())
		ASSERT_TRUE(lsm);
	ret = in_cgroup(&self->n, self->n.wl_cg, clone_into_fn, e);
	usleep(400 * 1000);	/* the child, if alive, has tried by now */
	EXPECT_TRUE(e->opened);
	EXPECT_TRUE(e->wrote);
	if (lsm) {
		EXPECT_EQ(EPERM, e->werr);
		EXPECT_EQ(EPERM, ret);
		EXPECT_TRUE(HAS_EVENT(&self->n, "\"type\":\"cgroup-escape\"", "\"decision\":\"deny\""));
	} else {
		EXPECT_EQ(-1, ret);
		EXPECT_FALSE(e->child_tried) TH_LOG("the child survived: %d", e->child_res);
		EXPECT_TRUE(HAS_EVENT(&self->n, "\"type\":\"cgroup-escape\"", "\"decision\":\"kill\""));
		EXPECT_TRUE(gap_listed(&self->n, "clone3(CLONE_INTO_CGROUP)"));
	}
	EXPECT_TRUE(nothing_received(self->listeners[0], 300));
	munmap(e, 4096);
}

/* Timeouts: each test builds a node; under emulation (the guest) that is slow. */

TEST_HARNESS_MAIN
