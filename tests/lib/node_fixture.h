/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * FIXTURE(node): a fresh node per test (see tnlib.h), its agent running the
 * test policy in enforce mode, listeners on every outside and local address.
 * Also the one action a workload process performs, and event matching.
 */
#ifndef NODE_FIXTURE_H
#define NODE_FIXTURE_H

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "kselftest_harness.h"
#include "tnlib.h"

/*
 * The harness's 30 s per test only bounds a hang. Building a node (netns,
 * cgroups, a real agent) under software emulation in the guest, on a busy
 * 2-core machine, has taken longer than that: 120 s, still a hang bound.
 */
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 120

#define PORT 8080

/*
 * TN_TESTS, if set, names the tests to run (separated by spaces); the
 * others are skipped before a node is built for them. The guest's second
 * boot (fentry mode) runs only the tests whose outcome depends on the mode.
 */
static inline int tn_test_selected(const char *name)
{
	const char *list = getenv("TN_TESTS"), *p;
	size_t n = strlen(name);

	if (!list)
		return 1;
	for (p = strstr(list, name); p; p = strstr(p + 1, name))
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return 1;
	return 0;
}

/*
 * A node with listeners on every outside and local address (OUT4, LOCAL4,
 * OUT6, LOCAL6). For fixtures of their own, such as variants.
 */
static inline void node_fixture_up(struct __test_metadata *_metadata,
				   struct tn_node *n, int listeners[4])
{
	/* Out through the harness's own setjmp: no body, no teardown. */
	if (!tn_test_selected(_metadata->name))
		SKIP(longjmp(_metadata->env, 1), "not selected for this run (TN_TESTS)");
	ASSERT_EQ(0, node_create(n, "enforce")) {
		TH_LOG("node_create failed; agent log in %s/agent.log", n->tmp);
	}
	listeners[0] = out_listen(n, OUT4, PORT);
	listeners[1] = out_listen(n, LOCAL4, PORT);
	listeners[2] = out_listen(n, OUT6, PORT);
	listeners[3] = out_listen(n, LOCAL6, PORT);
	for (int i = 0; i < 4; i++) {
		/* A failed setup gets no teardown: clean up before bailing. */
		if (listeners[i] < 0)
			node_destroy(n);
		ASSERT_LE(0, listeners[i]);
	}
}

static inline void node_fixture_down(struct tn_node *n, int listeners[4])
{
	for (int i = 0; i < 4; i++)
		if (listeners[i] >= 0)
			close(listeners[i]);
	node_destroy(n);
}

/* Whether a connection is waiting on listener lfd within ms. */
static inline int connection_pending(int lfd, int ms)
{
	struct pollfd p = { .fd = lfd, .events = POLLIN };

	return poll(&p, 1, ms) == 1;
}

FIXTURE(node) {
	struct tn_node n;
	int listeners[4];
};


FIXTURE_SETUP(node)
{
	node_fixture_up(_metadata, &self->n, self->listeners);
}

FIXTURE_TEARDOWN(node)
{
	node_fixture_down(&self->n, self->listeners);
}

/*
 * What one process of a workload does: optionally open a file, then
 * optionally write a file, then optionally connect or send. Returns 0, the
 * errno of the network call, 254 if the open failed, 253 if the write did.
 */
struct act {
	const char *open;
	const char *write;	/* created or truncated, then written */
	const char *connect;
	const char *sendto;
	int port;
};

static inline int act(void *arg)
{
	struct act *a = arg;
	int port = a->port ? a->port : PORT;

	if (a->open && do_open(a->open))
		return 254;
	if (a->write && write_file(a->write, "derived data\n"))
		return 253;
	if (a->connect)
		return do_connect(a->connect, port);
	if (a->sendto)
		return do_sendto(a->sendto, port);
	return 0;
}

#define ACT(node, cg, ...) in_cgroup(node, cg, act, &(struct act){ __VA_ARGS__ })

/* A path inside the node's data directory. */
static inline const char *data(struct tn_node *n, const char *name)
{
	static char buf[8][512];
	static int i;

	i = (i + 1) % 8;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", n->data, name);
	return buf[i];
}

/* Whether one event line contains every fragment (NULL-terminated). */
static inline int has_event(struct tn_node *n, ...)
{
	static char buf[1 << 20];
	char *line, *save = NULL;

	if (node_events(n, buf, sizeof(buf)))
		return 0;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const char *frag;
		va_list ap;
		int all = 1;

		va_start(ap, n);
		while ((frag = va_arg(ap, const char *)))
			if (!strstr(line, frag))
				all = 0;
		va_end(ap);
		if (all)
			return 1;
	}
	return 0;
}

#define HAS_EVENT(n, ...) has_event(n, __VA_ARGS__, NULL)

static inline const char *taint_of(struct tn_node *n, const char *wl)
{
	static char buf[256];

	if (node_taint(n, wl, buf, sizeof(buf)))
		return "?";
	return buf;
}

/* The node's mode as trustctl status names it: "lsm", "fentry", "cgroup"; "?". */
static inline const char *node_attach(struct tn_node *n)
{
	static const char *const modes[] = { "lsm", "fentry", "cgroup" };
	char out[8192], *p;
	size_t i, k;

	if (ctl(n, out, sizeof(out), "status") || !(p = strstr(out, "attach:     ")))
		return "?";
	p += strlen("attach:     ");
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		k = strlen(modes[i]);
		if (!strncmp(p, modes[i], k) && (p[k] == ' ' || p[k] == '\n'))
			return modes[i];
	}
	return "?";
}

/*
 * Whether the node's programs see what the LSM hooks see: lsm mode, or
 * fentry mode (the same decisions from the security_*() functions that
 * call the hooks). Opens through io_uring, received descriptors, unix
 * sockets, pipes, rename and link, sends on sockets made elsewhere: cgroup
 * mode sees none of them.
 */
static inline int node_sees_lsm_hooks(struct tn_node *n)
{
	const char *m = node_attach(n);

	return !strcmp(m, "lsm") || !strcmp(m, "fentry");
}

/*
 * Whether the node refuses before it happens what it must stop (an open
 * for writing that a full tn_derived cannot record, an open under
 * tagged_readers = "workloads", a move out of the workload, clone3 into
 * another cgroup): lsm mode, and fentry mode by its fmod_ret programs.
 * Cgroup mode sees these once done: it kills the process, or refuses
 * tagged_readers = "workloads" at policy load.
 */
static inline int node_refuses_synchronously(struct tn_node *n)
{
	const char *m = node_attach(n);

	return !strcmp(m, "lsm") || !strcmp(m, "fentry");
}

/*
 * The guest suite sets TN_EXPECT_ATTACH=lsm or fentry: there a test that
 * finds cgroup mode must fail, not quietly check the cgroup-mode gaps
 * instead.
 */
static inline int lsm_expected(void)
{
	const char *e = getenv("TN_EXPECT_ATTACH");

	return e && (!strcmp(e, "lsm") || !strcmp(e, "fentry"));
}

/* Whether trustctl status lists a gap containing what. */
static inline int gap_listed(struct tn_node *n, const char *what)
{
	char out[8192];

	return !ctl(n, out, sizeof(out), "status") && strstr(out, what);
}

#endif
