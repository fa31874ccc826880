/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A reboot, for real: the guest boots twice with the same disk
 * (tests/guest/run.sh, TN_GUEST_DISK), which holds the node's state
 * directory, its policy and its tagged data. Nothing else survives: the
 * pins, the maps, the cgroups, the network namespaces and the agent are
 * gone, and the module is not loaded. reboot_before_test runs in the first
 * boot, reboot_after_test in the second (tests/guest/suite.sh); what they
 * share is here.
 */
#ifndef TN_GUEST_REBOOT_H
#define TN_GUEST_REBOOT_H

#include <bpf/bpf.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include "kselftest_harness.h"
#include "tnlib.h"
#include "trustnode/bpf_shared.h"

/* Building a node under emulation takes tens of seconds: a hang bound. */
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 240

#define PORT 8080	/* TCP on the outside host */
#define UPORT 8081	/* UDP on the outside host */

/* Where each piece of the node lives; the same paths in both boots. */
struct boot_node {
	struct tn_node n;
	char disk[200];		/* what survives: TN_GUEST_DISK/node */
	char state[300];	/* the agent's state directory, on the disk */
};

static inline const char *cgroup2_dir(void)
{
	static char dir[256];
	char dev[256], type[64] = "";
	FILE *f = fopen("/proc/self/mounts", "r");

	while (f && fscanf(f, "%255s %255s %63s %*[^\n]", dev, dir, type) == 3)
		if (!strcmp(type, "cgroup2"))
			break;
	if (f)
		fclose(f);
	return strcmp(type, "cgroup2") ? "/sys/fs/cgroup" : dir;
}

/* Fills in the paths; creates nothing. -1 without a disk that survives. */
static inline int boot_node_paths(struct boot_node *b)
{
	const char *disk = getenv("TN_GUEST_DISK");
	struct tn_node *n = &b->n;
	struct stat root, d;

	memset(b, 0, sizeof(*b));
	/* A directory on the root file system would not survive: refuse it. */
	if (!disk || stat("/", &root) || stat(disk, &d) || root.st_dev == d.st_dev)
		return -1;
	snprintf(b->disk, sizeof(b->disk), "%.150s/node", disk);
	snprintf(b->state, sizeof(b->state), "%s/state", b->disk);
	snprintf(n->id, sizeof(n->id), "rb");
	snprintf(n->cgroot, sizeof(n->cgroot), "%.200s/tnreboot", cgroup2_dir());
	snprintf(n->wl_cg, sizeof(n->wl_cg), "%s/llm", n->cgroot);
	snprintf(n->wl2_cg, sizeof(n->wl2_cg), "%s/batch", n->cgroot);
	snprintf(n->tmp, sizeof(n->tmp), "%.60s/tnreboot",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	snprintf(n->data, sizeof(n->data), "%s/srv", b->disk);
	snprintf(n->socket, sizeof(n->socket), "%.80s/run/control.sock", n->tmp);
	snprintf(n->pin, sizeof(n->pin), "/sys/fs/bpf/tnreboot");
	snprintf(n->policy, sizeof(n->policy), "%s/policy.conf", b->disk);
	snprintf(n->ns_wl, sizeof(n->ns_wl), "tnrbwl");
	snprintf(n->ns_out, sizeof(n->ns_out), "tnrbout");
	n->mode = "enforce";
	n->state = b->state;
	return 0;
}

/* What a boot makes anew: cgroups, the two namespaces, scratch space. */
static inline int boot_node_up(struct boot_node *b)
{
	struct tn_node *n = &b->n;

	if (mkdir(n->cgroot, 0755) || mkdir(n->wl_cg, 0755) || mkdir(n->wl2_cg, 0755))
		return -1;
	return run_cmd("mkdir -p %s && ip netns add %s && ip netns add %s && "
		       "ip link add vrb type veth peer name orb && "
		       "ip link set vrb netns %s && ip link set orb netns %s && "
		       "ip -n %s link set lo up && ip -n %s link set lo up && "
		       "ip -n %s addr add 203.0.113.1/24 dev vrb && "
		       "ip -n %s addr add 198.51.100.1/24 dev vrb && "
		       "ip -n %s addr add 203.0.113.2/24 dev orb && "
		       "ip -n %s addr add 198.51.100.2/24 dev orb && "
		       "ip -n %s link set vrb up && ip -n %s link set orb up",
		       n->tmp, n->ns_wl, n->ns_out, n->ns_wl, n->ns_out,
		       n->ns_wl, n->ns_out, n->ns_wl, n->ns_wl, n->ns_out, n->ns_out,
		       n->ns_wl, n->ns_out);
}

/* Takes down what the boot made; the disk is left as it is. */
static inline void boot_node_down(struct boot_node *b)
{
	node_take_down(&b->n);
}

static inline int boot_id(char *buf, size_t len)
{
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");
	int ok = f && fgets(buf, len, f);

	if (f)
		fclose(f);
	return ok ? 0 : -1;
}

static inline int read_text(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t r;

	if (!f)
		return -1;
	r = fread(buf, 1, len - 1, f);
	buf[r] = '\0';
	fclose(f);
	return 0;
}

static inline int open_file(void *arg)
{
	return do_open(arg);
}

static inline int connect_out(void *arg)
{
	(void)arg;
	return do_connect(OUT4, PORT);
}

static inline int sendto_out(void *arg)
{
	(void)arg;
	return do_sendto(OUT4, UPORT);
}

static inline int connect_local(void *arg)
{
	(void)arg;
	return do_connect(LOCAL4, PORT);
}

/* Whether a connection or a datagram is waiting on fd (something got out). */
static inline int received_something(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 300) > 0;
}

/* The kernel's entry for cgroup cg in tn_workloads; -1 if none. */
static inline int kernel_workload(struct tn_node *n, const char *cg, struct tn_workload *w)
{
	char path[300];
	struct stat st;
	uint64_t id;
	int fd, ret;

	if (stat(cg, &st))
		return -1;
	id = st.st_ino;
	snprintf(path, sizeof(path), "%s/tn_workloads", n->pin);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -1;
	ret = bpf_map_lookup_elem(fd, &id, w);
	close(fd);
	return ret ? -1 : 0;
}

static inline int has_event(struct tn_node *n, const char *a, const char *b, const char *c)
{
	static char buf[1 << 20];
	char *line, *save = NULL;

	if (node_events(n, buf, sizeof(buf)))
		return 0;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (strstr(line, a) && strstr(line, b) && (!c || strstr(line, c)))
			return 1;
	return 0;
}

static inline const char *taint_of(struct tn_node *n, const char *wl)
{
	static char buf[256];

	return node_taint(n, wl, buf, sizeof(buf)) ? "?" : buf;
}

static inline int write_policy(struct boot_node *b)
{
	char text[2048];

	snprintf(text, sizeof(text),
		 "mode = \"enforce\";\n"
		 "local_prefixes = [ \"198.51.100.0/24\" ];\n"
		 "tags = ( { path = \"%s/records\"; labels = [ \"phi\" ]; } );\n"
		 "workloads = ( { name = \"llm\"; cgroup = \"%s\"; },\n"
		 "              { name = \"batch\"; cgroup = \"%s\"; } );\n",
		 b->n.data, b->n.wl_cg, b->n.wl2_cg);
	return write_file(b->n.policy, text);
}

#endif
