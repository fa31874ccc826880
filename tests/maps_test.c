// SPDX-License-Identifier: GPL-2.0-only
/*
 * The maps a decision depends on, as the operator sees them: how full each
 * is (trustctl status), and derived tags of files that no longer exist
 * pruned, with a record.
 */
#include <bpf/bpf.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "node_fixture.h"
#include "trustnode/bpf_shared.h"

/* Minutes, not the harness's 30 s: the guest suite runs these under emulation. */
#define LIFE_TIMEOUT 180

/* The entries of map name as trustctl status prints them; -2 if absent. */
static long long map_entries(struct tn_node *n, const char *name)
{
	static char out[65536];
	char key[96], *p;

	if (ctl(n, out, sizeof(out), "status"))
		return -2;
	snprintf(key, sizeof(key), "  %s ", name);
	p = strstr(out, key);
	return p ? atoll(p + strlen(key) + strspn(p + strlen(key), " ")) : -2;
}

TEST_F_TIMEOUT(node, status_shows_how_full_every_decision_map_is, LIFE_TIMEOUT)
{
	char out[16384];

	ASSERT_EQ(0, ctl(&self->n, out, sizeof(out), "status"));
	EXPECT_NE(NULL, strstr(out, "maps (entries / max):")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "tn_workloads             2 / 1024")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "tn_tags                  1 / 65536")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "tn_trusted               1 / 256")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "tn_derived               0 / 65536")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "tn_flows"));
	EXPECT_NE(NULL, strstr(out, "tn_channels"));
	/* Two generations of two prefixes, or one: the LPM trie is counted by keys. */
	EXPECT_LE(2, map_entries(&self->n, "tn_prefixes"));

	/* A tainted workload's writes: each a derived tag, each counted. */
	ASSERT_EQ(0, ACT(&self->n, self->n.wl_cg, .open = data(&self->n, "secret"),
			 .write = data(&self->n, "out1")));
	ASSERT_EQ(0, ACT(&self->n, self->n.wl_cg, .write = data(&self->n, "out2")));
	EXPECT_EQ(2, map_entries(&self->n, "tn_derived"));
}

/* A full map says so, and counting 65536 entries keeps status quick. */
TEST_F_TIMEOUT(node, a_full_map_is_shown_full_and_counted_quickly, LIFE_TIMEOUT)
{
	struct tn_derived d = { .labels = 1 };
	struct tn_inode_key k = { .dev = 0xfffff };
	struct timespec t0, t1;
	char path[300], out[16384];
	double ms;
	int fd;

	snprintf(path, sizeof(path), "%s/tn_derived", self->n.pin);
	fd = bpf_obj_get(path);
	ASSERT_LE(0, fd);
	/* Inodes of a device that does not exist: they match no file. */
	for (k.ino = 1; k.ino <= 65536; k.ino++)
		ASSERT_EQ(0, bpf_map_update_elem(fd, &k, &d, BPF_NOEXIST));
	EXPECT_NE(0, bpf_map_update_elem(fd, &k, &d, BPF_NOEXIST));
	close(fd);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ASSERT_EQ(0, ctl(&self->n, out, sizeof(out), "status"));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
	TH_LOG("trustctl status with tn_derived full: %.0f ms", ms);
	EXPECT_NE(NULL, strstr(out, "tn_derived               65536 / 65536 FULL")) TH_LOG("%s", out);
	/* Under emulation (the guest suite) everything is ~10 times slower. */
	EXPECT_LT(ms, lsm_expected() ? 5000 : 1000);
}

static int count_of(const char *s, const char *what)
{
	int n = 0;

	while ((s = strstr(s, what))) {
		n++;
		s += strlen(what);
	}
	return n;
}

/*
 * A derived tag whose file is deleted goes with trustctl tag prune,
 * recorded; one whose file exists stays and still taints.
 */
TEST_F_TIMEOUT(node, derived_tags_of_deleted_files_are_pruned_and_recorded, LIFE_TIMEOUT)
{
	const char *gone = data(&self->n, "gone"), *kept = data(&self->n, "kept");
	static char out[65536];
	int p[2], i, st;
	pid_t pid;

	ASSERT_EQ(0, pipe(p));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char procs[400], c;
		int a, b;

		close(p[1]);
		snprintf(procs, sizeof(procs), "%s/cgroup.procs", self->n.wl_cg);
		if (write_file(procs, "0") || do_open(data(&self->n, "secret")))
			_exit(1);
		a = open(gone, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		b = open(kept, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (a < 0 || b < 0 || write(a, "x\n", 2) != 2 || write(b, "y\n", 2) != 2)
			_exit(2);
		/* Open until the agent has recorded both (with their handles). */
		if (read(p[0], &c, 1) < 0)
			_exit(3);
		_exit(0);
	}
	close(p[0]);
	for (i = 0; i < 300; i++) {
		if (!ctl(&self->n, out, sizeof(out), "tag list --json") &&
		    count_of(out, "\"handle\"") == 2)
			break;
		usleep(10 * 1000);
	}
	EXPECT_EQ(2, count_of(out, "\"handle\"")) TH_LOG("%s", out);
	close(p[1]);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_EQ(0, WEXITSTATUS(st));
	EXPECT_EQ(2, map_entries(&self->n, "tn_derived"));

	/* Nothing is gone yet: prune changes nothing. */
	ASSERT_EQ(0, ctl(&self->n, out, sizeof(out), "tag prune"));
	EXPECT_NE(NULL, strstr(out, "0 derived tags pruned, 2 kept")) TH_LOG("%s", out);

	ASSERT_EQ(0, unlink(gone));
	ASSERT_EQ(0, ctl(&self->n, out, sizeof(out), "tag prune"));
	EXPECT_NE(NULL, strstr(out, "1 derived tags pruned, 1 kept")) TH_LOG("%s", out);
	EXPECT_EQ(1, map_entries(&self->n, "tn_derived"));
	EXPECT_TRUE(HAS_EVENT(&self->n, "\"type\":\"tag-pruned\"", "\"workload\":\"wl\""));
	ASSERT_EQ(0, ctl(&self->n, out, sizeof(out), "tag list --json"));
	EXPECT_EQ(1, count_of(out, "\"source\":\"derived\"")) TH_LOG("%s", out);

	/* The kept one still taints its reader. */
	EXPECT_EQ(EPERM, ACT(&self->n, self->n.wl2_cg, .open = kept, .connect = OUT4));
	EXPECT_STREQ("phi", taint_of(&self->n, "wl2"));
	/* A bad command line changes nothing. */
	EXPECT_EQ(2, ctl(&self->n, NULL, 0, "tag prune extra"));
}

TEST_HARNESS_MAIN
