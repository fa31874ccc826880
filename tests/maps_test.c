// SPDX-License-Identifier: GPL-2.0-only
/*
 * The maps a decision depends on, as the operator sees them: how full each
 * is (trustctl status), and derived tags of files that no longer exist
 * pruned, with a record.
 */
#include <bpf/bpf.h>
#include <fcntl.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "node_fixture.h"
#include "trustnode/bpf_shared.h"

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

TEST_F(node, status_shows_how_full_every_decision_map_is)
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
TEST_F(node, a_full_map_is_shown_full_and_counted_quickly)
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
	EXPECT_LT(ms, 1000);
}

TEST_HARNESS_MAIN
