// SPDX-License-Identifier: GPL-2.0-only
/*
 * Retiring idle flows. tn_flows is a plain hash map, not an LRU: an LRU
 * would evict a live flow silently and its next packet would reach a local
 * receiver untainted. So the kernel drops a tainted packet whose flow it
 * cannot record, and the agent makes room: a flow idle for TN_FLOW_IDLE_NS
 * is copied into tn_flows_old and only then deleted from tn_flows. A packet
 * that passed egress just before the delete still finds its labels there at
 * ingress; a packet after it records the flow anew. The copies are deleted
 * one scan later, when every packet sent before has long arrived.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <stdlib.h>
#include <time.h>
#include "agent.h"
#include "trustnode.skel.h"
#include "trustnode/bpf_shared.h"

static uint64_t boot_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Keys of fd, at most max (deleting while walking would restart the walk). */
static struct tn_flow_key *all_keys(int fd, unsigned max, unsigned *n)
{
	struct tn_flow_key *keys = calloc(max ? max : 1, sizeof(*keys));

	*n = 0;
	if (!keys)
		return NULL;
	while (*n < max && !bpf_map_get_next_key(fd, *n ? &keys[*n - 1] : NULL,
						 &keys[*n]))
		(*n)++;
	return keys;
}

void flows_expire_tick(struct agent *a)
{
	static unsigned ticks;
	int fd = bpf_map__fd(a->skel->maps.tn_flows);
	int old = bpf_map__fd(a->skel->maps.tn_flows_old);
	unsigned max = bpf_map__max_entries(a->skel->maps.tn_flows), n, i;
	struct tn_flow_key *keys;
	struct tn_flow v;
	uint64_t now;

	if (ticks++ % TN_FLOW_SCAN_S)
		return;
	keys = all_keys(old, max, &n);
	for (i = 0; keys && i < n; i++)
		bpf_map_delete_elem(old, &keys[i]);
	free(keys);

	keys = all_keys(fd, max, &n);
	now = boot_ns();
	for (i = 0; keys && i < n; i++) {
		/* Read again, just before: the walk above took a while. */
		if (bpf_map_lookup_elem(fd, &keys[i], &v) ||
		    now - v.last_ns < TN_FLOW_IDLE_NS)
			continue;
		/* No copy, no delete: the flow stays recorded (fail closed). */
		if (bpf_map_update_elem(old, &keys[i], &v, BPF_ANY))
			continue;
		bpf_map_delete_elem(fd, &keys[i]);
	}
	free(keys);
}
