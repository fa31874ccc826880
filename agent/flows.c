// SPDX-License-Identifier: GPL-2.0-only
/*
 * Retiring idle flows. tn_flows is a plain hash map, not an LRU: an LRU
 * would evict a live flow silently and its next packet would reach a local
 * receiver untainted. So the kernel drops a tainted packet whose flow it
 * cannot record, and the agent makes room: a flow idle for TN_FLOW_IDLE_NS
 * is copied into tn_flows_old and only then deleted from tn_flows. A packet
 * that passed egress just before the delete still finds its labels there at
 * ingress; a packet after it records the flow anew. The copies are deleted
 * one scan later, when every packet sent before has long arrived. While
 * tn_flows_old is known to be empty (tn_flows_old_empty), ingress does not
 * look there.
 *
 * A scan walks every bucket of both maps, empty or not: on an idle node it
 * was a third of the agent's CPU. So a scan that left tn_flows empty is
 * not repeated while tn_flow_clock stays where it was (egress moves it when
 * it records a flow, unless it moved less than TN_FLOW_TOUCH_NS before:
 * such a flow waits for the scan the clock's next move brings, keeping its
 * room in the map and its labels, which the next packets on its addresses
 * and ports add to theirs: more taint, never less), nor is the drop of
 * copies the agent knows it has not made.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include "agent.h"
#include "clock.h"
#include "trustnode.skel.h"
#include "trustnode/bpf_shared.h"

#define BATCH	4096

/*
 * One batch (a syscall) per tick, never a whole map: retiring a full map
 * at once kept the control socket waiting 0.4 s here (1.8 s flow by
 * flow). The copies are dropped at least TN_FLOW_SCAN_S after the scan
 * that made them ended.
 */
static struct {
	enum { WAIT, DROP, SCAN } phase;
	__u64 cursor;
	int first;
	uint64_t scan_end;
	int old_empty;	/* what we last wrote to tn_flows_old_empty; -1 none
			 * yet (a pinned one may say anything) */
	__u64 scan_clock;	/* tn_flow_clock when the last scan began */
	__u64 left;		/* flows that scan left in tn_flows */
	int flows_empty;	/* it left none, and the clock had not moved */
} st = { .old_empty = -1 };

/* tn_flow_clock; ~0 if unreadable, which no scan is skipped for. */
static __u64 flow_clock(struct agent *a)
{
	__u64 clock = ~0ULL;
	__u32 zero = 0;

	if (bpf_map_lookup_elem(bpf_map__fd(a->skel->maps.tn_flow_clock), &zero, &clock))
		return ~0ULL;
	return clock;
}

/* Says whether tn_flows_old is empty; 0 must be visible before a copy. */
static int mark_old_empty(int flag_fd, int empty)
{
	__u32 zero = 0, v = empty;

	if (st.old_empty == empty)
		return 0;
	if (bpf_map_update_elem(flag_fd, &zero, &v, BPF_ANY))
		return -1;
	st.old_empty = empty;
	return 0;
}

static struct tn_flow_key keys[BATCH], idle[BATCH];
static struct tn_flow vals[BATCH], ivals[BATCH];

/* Retires the idle flows of one batch of tn_flows; false at its end. */
static int scan_batch(int fd, int old, int flag_fd, uint64_t now)
{
	__u32 n = BATCH, i, k = 0;
	__u64 out = 0;
	int ret;

	ret = bpf_map_lookup_batch(fd, st.first ? NULL : &st.cursor, &out,
				   keys, vals, &n, NULL);
	if (ret && errno != ENOENT) {
		st.left++;	/* not read: not known empty */
		return 0;
	}
	for (i = 0; i < n; i++)
		if (now - vals[i].last_ns >= TN_FLOW_IDLE_NS) {
			idle[k] = keys[i];
			ivals[k++] = vals[i];
		}
	/* The copy first; only what was copied is deleted (fail closed). */
	if (k && mark_old_empty(flag_fd, 0))
		k = 0;	/* ingress might not look there: retire nothing */
	if (k) {
		__u32 copied = k;

		if (bpf_map_update_batch(old, idle, ivals, &copied, NULL))
			k = copied;
		if (k && bpf_map_delete_batch(fd, idle, &k, NULL))
			k = 0;	/* how many went is not said: count none */
	}
	st.left += n - k;
	st.cursor = out;
	st.first = 0;
	return !ret;
}

void flows_expire_tick(struct agent *a)
{
	int fd = bpf_map__fd(a->skel->maps.tn_flows);
	int old = bpf_map__fd(a->skel->maps.tn_flows_old);
	int flag_fd = bpf_map__fd(a->skel->maps.tn_flows_old_empty);
	uint64_t now = clock_ns(CLOCK_BOOTTIME);
	__u32 n = BATCH;
	__u64 out, clock;

	switch (st.phase) {
	case WAIT:
		if (now - st.scan_end < TN_FLOW_SCAN_S * 1000000000ULL)
			return;
		st.phase = DROP;
		/* fall through */
	case DROP:
		/* Copies are made only after the flag says "not empty". */
		if (st.old_empty != 1) {
			/* From the start each time: the batch removed what it read. */
			if (!bpf_map_lookup_and_delete_batch(old, NULL, &out, keys, vals, &n, NULL))
				return;
			if (errno == ENOENT)	/* the end of the map: it is empty */
				mark_old_empty(flag_fd, 1);
		}
		clock = flow_clock(a);
		if (st.flows_empty && clock == st.scan_clock) {
			st.phase = WAIT;	/* no flow recorded since */
			st.scan_end = now;
			return;
		}
		st.phase = SCAN;
		st.first = 1;
		st.scan_clock = clock;
		st.left = 0;
		return;
	case SCAN:
		if (scan_batch(fd, old, flag_fd, now))
			return;
		clock = flow_clock(a);
		st.flows_empty = !st.left && clock != ~0ULL && clock == st.scan_clock;
		st.phase = WAIT;
		st.scan_end = now;
	}
}
