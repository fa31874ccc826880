// SPDX-License-Identifier: GPL-2.0-only
/*
 * The channels only lsm mode (and fentry mode) sees. In lsm and fentry mode
 * (the guest suite) each must taint; in cgroup mode (the host) each must
 * stay untainted *and* be listed as a gap by trustctl status, so that no gap
 * is silent. And how the mode is chosen.
 */
#include <fcntl.h>
#include <liburing.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include "node_fixture.h"

static int uring_open(void *arg)
{
	struct io_uring ring;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	int res;

	if (io_uring_queue_init(4, &ring, 0))
		return 253;
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_openat(sqe, AT_FDCWD, arg, O_RDONLY, 0);
	if (io_uring_submit(&ring) != 1 || io_uring_wait_cqe(&ring, &cqe))
		return 252;
	res = cqe->res;
	io_uring_cqe_seen(&ring, cqe);
	io_uring_queue_exit(&ring);
	if (res < 0)
		return 254;
	close(res);
	return 0;
}

TEST_F(node, a_tagged_file_opened_through_io_uring)
{
	int rc = ACT(&self->n, self->n.wl_cg, .connect = OUT4);

	ASSERT_EQ(0, rc);
	ASSERT_TRUE(node_sees_lsm_hooks(&self->n) || !lsm_expected());
	rc = in_cgroup(&self->n, self->n.wl_cg, uring_open, (void *)data(&self->n, "secret"));
	if (rc == 253 && !node_sees_lsm_hooks(&self->n)) {
		/* io_uring itself is disabled on this kernel: nothing to see. */
		EXPECT_TRUE(gap_listed(&self->n, "io_uring"));
		return;
	}
	ASSERT_EQ(0, rc);
	if (node_sees_lsm_hooks(&self->n)) {
		EXPECT_STREQ("phi", taint_of(&self->n, "wl"));
		EXPECT_EQ(EPERM, ACT(&self->n, self->n.wl_cg, .connect = OUT4));
	} else {
		EXPECT_STREQ("-", taint_of(&self->n, "wl"));
		EXPECT_TRUE(gap_listed(&self->n, "io_uring"));
	}
}

static int send_fd(int sock, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = "f", .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

static int receive_fd_and_read(void *arg)
{
	char cbuf[CMSG_SPACE(sizeof(int))], b[64], x;
	struct iovec iov = { .iov_base = &x, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c;
	int fd;

	if (recvmsg(*(int *)arg, &msg, 0) != 1 || !(c = CMSG_FIRSTHDR(&msg)))
		return 250;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return read(fd, b, sizeof(b)) > 0 ? 0 : 251;
}

TEST_F(node, a_tagged_file_descriptor_received_over_a_unix_socket)
{
	int sv[2], fd;

	ASSERT_TRUE(node_sees_lsm_hooks(&self->n) || !lsm_expected());
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	/* Opened outside any workload: this open taints no one. */
	fd = open(data(&self->n, "secret"), O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, send_fd(sv[0], fd));
	close(fd);
	ASSERT_EQ(0, in_cgroup(&self->n, self->n.wl_cg, receive_fd_and_read, &sv[1]));
	if (node_sees_lsm_hooks(&self->n)) {
		EXPECT_STREQ("phi", taint_of(&self->n, "wl"));
		EXPECT_EQ(EPERM, ACT(&self->n, self->n.wl_cg, .connect = OUT4));
	} else {
		EXPECT_STREQ("-", taint_of(&self->n, "wl"));
		EXPECT_TRUE(gap_listed(&self->n, "SCM_RIGHTS"));
	}
	close(sv[0]);
	close(sv[1]);
}

/*
 * The agent chooses the mode by probing, not by being told: lsm where BPF
 * LSM is active, fentry where it is not but fentry and fmod_ret programs
 * load (the guest booted without bpf in lsm=), cgroup otherwise (this
 * host, which lists bpf but refuses both). Each says why, and shows its
 * own programs and gaps only.
 */
TEST_F(node, the_mode_is_chosen_by_probing_and_explained)
{
	const char *e = getenv("TN_EXPECT_ATTACH");
	char out[8192];

	ASSERT_EQ(0, ctl(&self->n, out, sizeof(out), "status"));
	if (e && !strcmp(e, "fentry")) {
		EXPECT_NE(NULL, strstr(out, "attach:     fentry (BPF LSM is not active")) TH_LOG("%s", out);
		EXPECT_NE(NULL, strstr(out, "fmod_ret programs on the kernel's security_*() functions load"));
		EXPECT_NE(NULL, strstr(out, "tn_fentry_file_open      attached"));
		EXPECT_NE(NULL, strstr(out, "tn_fentry_file_permission attached"));
		EXPECT_NE(NULL, strstr(out, "tn_fentry_unix_may_send  attached"));
		EXPECT_NE(NULL, strstr(out, "tn_splice                attached"));
		EXPECT_EQ(NULL, strstr(out, "tn_lsm_"));
		EXPECT_EQ(NULL, strstr(out, "tn_sys_exit_open"));
		EXPECT_NE(NULL, strstr(out, "not covered in fentry mode:"));
		EXPECT_NE(NULL, strstr(out, "runs on that CPU"));
		EXPECT_EQ(NULL, strstr(out, "io_uring"));
	} else if (e && !strcmp(e, "lsm")) {
		EXPECT_NE(NULL, strstr(out, "attach:     lsm (BPF LSM is active")) TH_LOG("%s", out);
		EXPECT_EQ(NULL, strstr(out, "tn_fentry_"));
		EXPECT_EQ(NULL, strstr(out, "runs on that CPU"));
	} else {
		EXPECT_NE(NULL, strstr(out, "attach:     cgroup")) TH_LOG("%s", out);
		EXPECT_NE(NULL, strstr(out, "the kernel refused the fentry programs")) TH_LOG("%s", out);
		EXPECT_EQ(NULL, strstr(out, "tn_fentry_"));
	}
}

TEST_HARNESS_MAIN
