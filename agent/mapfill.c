// SPDX-License-Identifier: GPL-2.0-only
/*
 * How full the maps are that a decision depends on. A full map is a
 * decision the kernel can no longer record (a derived tag, a flow, a
 * channel reader), so the operator must see it coming: trustctl status
 * shows entries / max_entries for each. Hash maps keep no count, so entries
 * are counted by batch lookups (or key iteration where the map type has no
 * batch operations), bounded by max_entries.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "agent.h"
#include "trustnode.skel.h"

#define BATCH 4096

static long long count_by_keys(int fd, size_t key_size, unsigned max)
{
	char *key = calloc(2, key_size);
	long long n = 0;
	void *prev = NULL;

	if (!key)
		return -1;
	while (n <= max && !bpf_map_get_next_key(fd, prev, key + (n & 1) * key_size)) {
		prev = key + (n & 1) * key_size;
		n++;
	}
	free(key);
	return n;
}

static long long count_entries(struct bpf_map *m)
{
	size_t ks = bpf_map__key_size(m), vs = bpf_map__value_size(m);
	unsigned max = bpf_map__max_entries(m);
	int fd = bpf_map__fd(m);
	char *keys, *vals;
	__u64 in = 0, out = 0;
	long long n = 0;
	int first = 1;

	if (bpf_map__type(m) == BPF_MAP_TYPE_LPM_TRIE)
		return count_by_keys(fd, ks, max);
	keys = malloc(BATCH * ks);
	vals = malloc(BATCH * vs);
	if (!keys || !vals) {
		free(keys);
		free(vals);
		return -1;
	}
	for (;;) {
		__u32 cnt = BATCH;
		int ret = bpf_map_lookup_batch(fd, first ? NULL : &in, &out,
					       keys, vals, &cnt, NULL);

		if (ret && errno != ENOENT) {
			/* No batch support here (or a bucket too big): walk the keys. */
			n = count_by_keys(fd, ks, max);
			break;
		}
		n += cnt;
		if (ret || n > max)
			break;
		in = out;
		first = 0;
	}
	free(keys);
	free(vals);
	return n;
}

/* What the kernel does when the map cannot take an entry, in this mode. */
static const char *when_full(struct agent *a, const char *name)
{
	int lsm = attach_mode_refuses(a->mode);	/* lsm or fentry mode */

	if (!strcmp(name, "tn_derived"))
		return lsm ? "a tainted workload's open for writing of a file not yet a derived tag is refused (EPERM), a map-full event" :
			     "a tainted workload's process that opened for writing a file not yet a derived tag is killed (SIGKILL) before the open returns, a map-full event; other threads of it may run for microseconds";
	if (!strcmp(name, "tn_flows"))
		return "packets of a tainted workload's new flows to allowed destinations are dropped, a map-full event a second per workload; flows idle 30 s are retired by the agent";
	if (!strcmp(name, "tn_flows_old"))
		return "flows are not retired (tn_flows keeps them)";
	if (!strcmp(name, "tn_channels"))
		return lsm ? "tainted writes into an untracked unix socket, pipe or FIFO are refused (EPERM), a channel-untracked event" : NULL;
	if (!strcmp(name, "tn_cgfiles"))
		return lsm ? NULL : "LRU: the oldest entry goes; a write into the cgroup.procs file it named is no longer judged (see README)";
	if (!strcmp(name, "tn_workloads") || !strcmp(name, "tn_tags") ||
	    !strcmp(name, "tn_endpoints") || !strcmp(name, "tn_trusted") ||
	    !strcmp(name, "tn_prefixes"))
		return "the agent's change is refused with an error, nothing changes";
	return NULL;
}

json_object *maps_fill_json(struct agent *a)
{
	struct trustnode_bpf *s = a->skel;
	struct bpf_map *maps[] = {
		s->maps.tn_workloads, s->maps.tn_tags, s->maps.tn_derived,
		s->maps.tn_endpoints, s->maps.tn_prefixes, s->maps.tn_trusted,
		s->maps.tn_readers, s->maps.tn_flows, s->maps.tn_flows_old,
		s->maps.tn_channels, s->maps.tn_cgfiles,
	};
	json_object *arr = json_object_new_array();
	size_t i;

	for (i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		json_object *o = json_object_new_object();
		unsigned max = bpf_map__max_entries(maps[i]);
		long long n = count_entries(maps[i]);
		const char *name = bpf_map__name(maps[i]), *w = when_full(a, name);

		json_object_object_add(o, "name", json_object_new_string(name));
		json_object_object_add(o, "entries", json_object_new_int64(n));
		json_object_object_add(o, "max_entries", json_object_new_int64(max));
		json_object_object_add(o, "full", json_object_new_boolean(n >= max));
		if (w)
			json_object_object_add(o, "when_full", json_object_new_string(w));
		json_object_array_add(arr, o);
	}
	return arr;
}
