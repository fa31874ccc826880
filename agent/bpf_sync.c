// SPDX-License-Identifier: GPL-2.0-only
/*
 * Makes the kernel maps say what a registry says. Order matters: additions
 * first, then the flip of the live prefix generation and the mode, then the
 * removals, so a half-done sync is never more permissive than either the old
 * or the new state, and a failed one can be rolled back by syncing the old.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include "agent.h"
#include "allowed.h"
#include "proto.h"
#include "trustnode.skel.h"
#include "trustnode/bpf_shared.h"

static int map_fd(struct bpf_map *m)
{
	return bpf_map__fd(m);
}

/*
 * Deletes every key of map for which keep() says no. Keys are collected
 * first: deleting while walking with get_next_key can restart the walk.
 */
static int prune(int fd, size_t key_size,
		 int (*keep)(const void *key, const void *ctx), const void *ctx,
		 struct tn_err *err)
{
	size_t cap = 64, n = 0, i;
	char *keys = malloc(cap * key_size);
	char *prev = NULL;
	int ret = 0;

	if (!keys)
		return tn_fail(err, "out of memory");
	while (!bpf_map_get_next_key(fd, prev, keys + n * key_size)) {
		prev = keys + n * key_size;
		if (++n == cap) {
			char *nk = realloc(keys, cap * 2 * key_size);

			if (!nk) {
				free(keys);
				return tn_fail(err, "out of memory");
			}
			keys = nk;
			cap *= 2;
			prev = keys + (n - 1) * key_size;
		}
	}
	for (i = 0; i < n; i++) {
		if (keep(keys + i * key_size, ctx))
			continue;
		if (bpf_map_delete_elem(fd, keys + i * key_size) && errno != ENOENT) {
			ret = tn_fail_errno(err, errno, "cannot delete a map entry");
			break;
		}
	}
	free(keys);
	return ret;
}

static int keep_gen(const void *key, const void *ctx)
{
	return ((const struct tn_prefix_key *)key)->gen == *(const __u8 *)ctx;
}

/* The registry's file tags as sorted keys: pruning a large map stays n log n. */
struct key_set {
	struct tn_inode_key *keys;
	size_t n;
};

static int cmp_inode_key(const void *a, const void *b)
{
	const struct tn_inode_key *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

static int file_tag_keys(const struct registry *r, struct key_set *set)
{
	int i;

	set->n = 0;
	set->keys = calloc(r->ntags + 1, sizeof(*set->keys));
	if (!set->keys)
		return -1;
	for (i = 0; i < r->ntags; i++) {
		if (r->tags[i].is_net || r->tags[i].source == TN_SRC_DERIVED)
			continue;
		set->keys[set->n].dev = r->tags[i].dev;
		set->keys[set->n].ino = r->tags[i].ino;
		set->n++;
	}
	qsort(set->keys, set->n, sizeof(*set->keys), cmp_inode_key);
	return 0;
}

static int keep_tag(const void *key, const void *ctx)
{
	const struct key_set *set = ctx;

	return bsearch(key, set->keys, set->n, sizeof(*set->keys),
		       cmp_inode_key) != NULL;
}

static void endpoint_key(struct tn_endpoint_key *k, const struct tn_endpoint *ep)
{
	memset(k, 0, sizeof(*k));
	k->family = ep->family;
	k->port = htons(ep->port);
	memcpy(k->addr, ep->addr, 16);
}

static int keep_endpoint(const void *key, const void *ctx)
{
	const struct registry *r = ctx;
	struct tn_endpoint_key k;
	int i;

	for (i = 0; i < r->ntags; i++) {
		if (!r->tags[i].is_net)
			continue;
		endpoint_key(&k, &r->tags[i].ep);
		if (!memcmp(&k, key, sizeof(k)))
			return 1;
	}
	return 0;
}

static int keep_trusted(const void *key, const void *ctx)
{
	return registry_trusted_by_cgid(ctx, *(const __u64 *)key) != NULL;
}

static int keep_reader(const void *key, const void *ctx)
{
	return registry_reader_by_cgid(ctx, *(const __u64 *)key) != NULL;
}

static int keep_workload(const void *key, const void *ctx)
{
	return registry_workload_by_cgid(ctx, *(const __u64 *)key) != NULL;
}

/* The OR of the labels of every tag on the same source. */
static uint64_t tag_labels(const struct registry *r, const struct reg_tag *t)
{
	uint64_t labels = 0;
	int i;

	for (i = 0; i < r->ntags; i++) {
		const struct reg_tag *o = &r->tags[i];

		if ((o->source == TN_SRC_DERIVED) == (t->source == TN_SRC_DERIVED) &&
		    registry_same_source(o, t))
			labels |= o->labels;
	}
	return labels;
}

/*
 * Writes one allowed prefix into generation gen. Where two entries share a
 * key (two peers with one address, or a peer at a policy prefix), the
 * longer permission stands: either alone allows the address.
 */
static int put_prefix(struct agent *a, const struct tn_prefix *p, __u8 gen,
		      __u64 valid_until, __u64 flags)
{
	int fd = map_fd(a->skel->maps.tn_prefixes);
	struct tn_prefix_key k = { .prefixlen = 16 + p->len, .gen = gen,
				   .family = p->family };
	struct tn_prefix_val v = { .valid_until = valid_until }, cur;

	memcpy(k.addr, p->addr, 16);
	if (!bpf_map_lookup_elem(fd, &k, &cur)) {
		if (!cur.valid_until || (valid_until && cur.valid_until >= valid_until))
			return 0;
	} else if (flags == BPF_EXIST) {
		return 0;	/* not in this generation: nothing to renew */
	}
	return bpf_map_update_elem(fd, &k, &v, BPF_ANY);
}

/*
 * A peer attested again: its entries in the live generation get the new
 * expiry in place (one atomic update each), without a policy flip.
 */
int maps_renew_peers(struct agent *a, const struct registry *r, struct tn_err *err)
{
	struct tn_config cfg = { 0 };
	struct allowed_set set;
	__u32 zero = 0;
	int i, ret = 0;

	if (bpf_map_lookup_elem(map_fd(a->skel->maps.tn_config), &zero, &cfg) ||
	    !cfg.loaded)
		return tn_fail(err, "no policy in the kernel to renew");
	if (allowed_set_build(r, &set))
		return tn_fail(err, "out of memory");
	/* Permanent entries are left as they are by put_prefix(). */
	for (i = 0; i < set.n && !ret; i++)
		if (put_prefix(a, &set.v[i].pfx, cfg.prefix_gen,
			       set.v[i].valid_until, BPF_EXIST))
			ret = tn_fail_errno(err, errno, "cannot renew allowed prefix %d", i);
	allowed_set_free(&set);
	return ret;
}

/* The effective allowed set into generation gen, after clearing it. */
static int put_allowed_set(struct agent *a, const struct registry *r,
			   __u8 gen, struct tn_err *err)
{
	struct allowed_set set;
	int i, ret = 0;

	if (prune(map_fd(a->skel->maps.tn_prefixes), sizeof(struct tn_prefix_key),
		  keep_gen, &(__u8){ !gen }, err))
		return -1;
	if (allowed_set_build(r, &set))
		return tn_fail(err, "out of memory");
	for (i = 0; i < set.n && !ret; i++)
		if (put_prefix(a, &set.v[i].pfx, gen, set.v[i].valid_until, BPF_ANY))
			ret = tn_fail_errno(err, errno, "cannot load allowed prefix %d", i);
	allowed_set_free(&set);
	return ret;
}

/*
 * Before a tn_derived or tn_tags entry is written: its slot in the filter
 * that lets the programs skip that map's lookup (bpf_shared.h).
 */
static int filter_set(struct bpf_map *filter, __u32 slot)
{
	__u32 one = 1;

	return bpf_map_update_elem(map_fd(filter), &slot, &one, BPF_ANY);
}

static int derived_filter_set(struct agent *a, const struct tn_inode_key *k)
{
	return filter_set(a->skel->maps.tn_derived_filter, tn_derived_filter_slot(k));
}

static int tag_filter_set(struct agent *a, const struct tn_inode_key *k)
{
	return filter_set(a->skel->maps.tn_tag_filter, tn_tag_filter_slot(k));
}

/* Every key of an inode map, its filter slot set by set(). */
static int filter_fill(struct agent *a, struct bpf_map *map,
		       int (*set)(struct agent *, const struct tn_inode_key *),
		       struct tn_err *err)
{
	int fd = map_fd(map);
	struct tn_inode_key k, next;
	const void *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		if (set(a, &next))
			return tn_fail_errno(err, errno, "cannot write the filter of %s",
					     bpf_map__name(map));
		k = next;
		prev = &k;
	}
	return 0;
}

/*
 * Every entry of a tn_derived the agent adopts gets its filter slot:
 * before any program of this version runs, and again once an earlier
 * version's programs, which write entries without one, are gone.
 */
int maps_derived_filter_fill(struct agent *a, struct tn_err *err)
{
	return filter_fill(a, a->skel->maps.tn_derived, derived_filter_set, err);
}

/*
 * Every entry of a tn_tags the agent adopts, before any program of this
 * version runs: an earlier version's agent wrote tags without a slot.
 * Only the agent writes tags, so once is enough.
 */
int maps_tag_filter_fill(struct agent *a, struct tn_err *err)
{
	return filter_fill(a, a->skel->maps.tn_tags, tag_filter_set, err);
}

static int add_everything(struct agent *a, const struct registry *r,
			  __u8 gen, struct tn_err *err)
{
	struct trustnode_bpf *s = a->skel;
	int i;

	if (put_allowed_set(a, r, gen, err))
		return -1;
	for (i = 0; i < r->ntags; i++) {
		const struct reg_tag *t = &r->tags[i];
		__u64 labels = tag_labels(r, t);

		if (t->source == TN_SRC_DERIVED) {
			/* Restores after a reboot; never lowers what BPF wrote. */
			struct tn_inode_key k = { .dev = t->dev, .ino = t->ino };
			struct tn_derived d = { .labels = labels };
			int fd = map_fd(s->maps.tn_derived);

			if (!bpf_map_lookup_elem(fd, &k, &d) && (d.labels | labels) == d.labels)
				continue;
			/* Its age goes on from the last write the agent knew of. */
			if (!d.last_ns)
				d.last_ns = derived_boot_ns(t->last_write);
			d.labels |= labels;
			if (derived_filter_set(a, &k) || bpf_map_update_elem(fd, &k, &d, BPF_ANY))
				return tn_fail_errno(err, errno, "cannot restore a derived tag");
		} else if (t->is_net) {
			struct tn_endpoint_key k;

			endpoint_key(&k, &t->ep);
			if (bpf_map_update_elem(map_fd(s->maps.tn_endpoints), &k,
						&labels, BPF_ANY))
				return tn_fail_errno(err, errno, "cannot load an endpoint tag (at most %d)", TN_MAX_ENDPOINTS);
		} else {
			struct tn_inode_key k = { .dev = t->dev, .ino = t->ino };

			if (tag_filter_set(a, &k) ||
			    bpf_map_update_elem(map_fd(s->maps.tn_tags), &k,
						&labels, BPF_ANY))
				return tn_fail_errno(err, errno, "cannot load the tag on %s (at most %d)", t->path, TN_MAX_TAGS);
		}
	}
	for (i = 0; i < r->ntrusted; i++) {
		__u32 one = 1;

		if (bpf_map_update_elem(map_fd(s->maps.tn_trusted), &r->trusted[i].cgid,
					&one, BPF_ANY))
			return tn_fail_errno(err, errno, "cannot load trusted receiver %s (at most %d)",
					     r->trusted[i].name, TN_MAX_TRUSTED);
	}
	for (i = 0; i < r->nreaders; i++) {
		__u32 one = 1;

		if (!r->readers[i].cgid)
			continue;	/* not made yet: looked up when it is */
		if (bpf_map_update_elem(map_fd(s->maps.tn_readers), &r->readers[i].cgid,
					&one, BPF_ANY))
			return tn_fail_errno(err, errno, "cannot load trusted reader %s (at most %d)",
					     r->readers[i].name, TN_MAX_READERS);
	}
	for (i = 0; i < r->nwls; i++) {
		const struct reg_workload *w = &r->wls[i];
		struct tn_workload v = { .id = w->id, .taint = w->taint };
		struct tn_workload cur;
		int fd = map_fd(s->maps.tn_workloads);

		if (!w->cgid)
			continue;	/* its cgroup has never existed yet */
		if (!bpf_map_lookup_elem(fd, &w->cgid, &cur)) {
			__u64 was = cur.taint;
			__u32 was_id = cur.id;

			/* Taint in the kernel is never lowered by a sync. */
			cur.taint |= w->taint;
			cur.id = w->id;
			v = cur;
			/* The filter also for maps an agent without it kept. */
			if (v.taint && maps_taint_filter_set(a, w->cgid))
				return tn_fail_errno(err, errno, "cannot mark workload %s tainted in tn_taint_filter",
						     w->name);
			if (v.taint == was && was_id == w->id)
				continue;
		} else if (v.taint && maps_taint_filter_set(a, w->cgid)) {
			return tn_fail_errno(err, errno, "cannot mark workload %s tainted in tn_taint_filter",
					     w->name);
		}
		if (bpf_map_update_elem(fd, &w->cgid, &v, BPF_ANY))
			return tn_fail_errno(err, errno, "cannot load workload %s (at most %d)", w->name, TN_MAX_WORKLOADS);
	}
	return 0;
}

/* Which kinds of endpoint tags there are (tn_config.endpoints). */
static __u32 endpoint_kinds(const struct registry *r)
{
	__u32 have = 0;
	int i;

	for (i = 0; i < r->ntags; i++)
		if (r->tags[i].is_net)
			have |= r->tags[i].ep.port ? TN_HAVE_ENDPOINT_PORT :
						     TN_HAVE_ENDPOINT_ANY;
	return have;
}

/*
 * The devices that hold file or directory tags (tn_tag_devs), written with
 * the tags, before the flip. More than TN_TAG_DEVS: not known, every open
 * walks.
 */
static int put_tag_devs(struct agent *a, const struct registry *r,
			struct tn_err *err)
{
	struct tn_tag_devs td = { .known = 1 };
	__u32 zero = 0, j;
	int i;

	for (i = 0; i < r->ntags && td.known; i++) {
		const struct reg_tag *t = &r->tags[i];

		if (t->is_net || t->source == TN_SRC_DERIVED)
			continue;
		for (j = 0; j < td.n && td.dev[j] != t->dev; j++)
			;
		if (j < td.n)
			continue;
		if (td.n == TN_TAG_DEVS)
			td.known = 0;
		else
			td.dev[td.n++] = t->dev;
	}
	if (bpf_map_update_elem(map_fd(a->skel->maps.tn_tag_devs), &zero, &td, BPF_ANY))
		return tn_fail_errno(err, errno, "cannot load the devices of the tags");
	return 0;
}

/*
 * Moves the agent's tn_clean_gen counter, so that no program trusts an
 * answer it cached before: after a tn_config write, and between a taint
 * filter slot and the taint. Under a lock: two threads adding to what
 * they read could move it back, and revive answers.
 */
static int clean_gen_bump(struct agent *a)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	__u32 which = TN_CLEAN_GEN_AGENT;
	int fd = map_fd(a->skel->maps.tn_clean_gen), ret;
	__u64 gen = 0;

	pthread_mutex_lock(&lock);
	ret = bpf_map_lookup_elem(fd, &which, &gen);
	if (!ret) {
		gen++;
		ret = bpf_map_update_elem(fd, &which, &gen, BPF_ANY);
	}
	pthread_mutex_unlock(&lock);
	return ret;
}

int maps_sync(struct agent *a, const struct registry *r, struct tn_err *err)
{
	struct trustnode_bpf *s = a->skel;
	struct tn_config cfg = { 0 };
	struct key_set tags;
	__u32 zero = 0;
	__u8 gen;
	int ret;

	bpf_map_lookup_elem(map_fd(s->maps.tn_config), &zero, &cfg);
	gen = cfg.loaded ? !cfg.prefix_gen : 0;
	if (add_everything(a, r, gen, err) || put_tag_devs(a, r, err))
		return -1;

	cfg.mode = r->enforce ? TN_MODE_ENFORCE : TN_MODE_AUDIT;
	cfg.prefix_gen = gen;
	cfg.min_level = a->cgroup_root_level;
	cfg.loaded = 1;
	cfg.endpoints = endpoint_kinds(r);
	/*
	 * Only the file_open hook (lsm, or fmod_ret in fentry mode) can
	 * refuse; in cgroup mode the setting stays off in the kernel (and the
	 * channel is listed open).
	 */
	cfg.readers = attach_mode_refuses(a->mode) &&
		      r->tagged_readers != TN_TAGGED_READERS_ANYONE ?
		      TN_READERS_WORKLOADS : TN_READERS_ANYONE;
	if (bpf_map_update_elem(map_fd(s->maps.tn_config), &zero, &cfg, BPF_ANY) ||
	    clean_gen_bump(a))
		return tn_fail_errno(err, errno, "cannot switch to the new policy");

	if (file_tag_keys(r, &tags))
		return tn_fail(err, "out of memory");
	ret = prune(map_fd(s->maps.tn_prefixes), sizeof(struct tn_prefix_key),
		    keep_gen, &gen, err) ||
	      prune(map_fd(s->maps.tn_tags), sizeof(struct tn_inode_key),
		    keep_tag, &tags, err) ||
	      prune(map_fd(s->maps.tn_endpoints), sizeof(struct tn_endpoint_key),
		    keep_endpoint, r, err) ||
	      prune(map_fd(s->maps.tn_workloads), sizeof(__u64),
		    keep_workload, r, err) ||
	      prune(map_fd(s->maps.tn_trusted), sizeof(__u64),
		    keep_trusted, r, err) ||
	      prune(map_fd(s->maps.tn_readers), sizeof(__u64),
		    keep_reader, r, err);
	free(tags.keys);
	return ret ? -1 : 0;
}

int maps_read_counters(struct agent *a, uint64_t *out, int n)
{
	__u32 keys[TN_CNT__MAX], count = n, i;
	__u64 vals[TN_CNT__MAX], batch = 0;
	int fd = map_fd(a->skel->maps.tn_counters);

	/* One call for all (read every second); one by one where refused. */
	if (n <= TN_CNT__MAX &&
	    (!bpf_map_lookup_batch(fd, NULL, &batch, keys, vals, &count, NULL) ||
	     errno == ENOENT) && count == (__u32)n) {
		for (i = 0; i < count; i++)
			if (keys[i] < (__u32)n)
				out[keys[i]] = vals[i];
		return 0;
	}
	for (i = 0; i < (__u32)n; i++) {
		__u64 v = 0;

		bpf_map_lookup_elem(map_fd(a->skel->maps.tn_counters), &i, &v);
		out[i] = v;
	}
	return 0;
}

/*
 * Before a workload's taint goes into tn_workloads: its tn_taint_filter
 * slot, without which the programs take it for untainted, then the clean
 * cache's counter (bpf_shared.h).
 */
int maps_taint_filter_set(struct agent *a, uint64_t cgid)
{
	__u32 slot = tn_taint_filter_slot(cgid), one = 1;

	if (bpf_map_update_elem(map_fd(a->skel->maps.tn_taint_filter), &slot, &one, BPF_ANY))
		return -1;
	return clean_gen_bump(a);
}

int maps_workload_taint(struct agent *a, uint64_t cgid, uint64_t *taint)
{
	struct tn_workload w;

	if (bpf_map_lookup_elem(map_fd(a->skel->maps.tn_workloads), &cgid, &w))
		return -1;
	*taint = w.taint;
	return 0;
}

int maps_workload_denials(struct agent *a, uint64_t cgid, uint64_t *n)
{
	struct tn_workload w;

	if (bpf_map_lookup_elem(map_fd(a->skel->maps.tn_workloads), &cgid, &w))
		return -1;
	*n = w.denials_unreported;
	return 0;
}

int maps_derived_remove(struct agent *a, uint64_t dev, uint64_t ino,
		       struct tn_err *err)
{
	struct tn_inode_key k = { .dev = dev, .ino = ino };

	if (bpf_map_delete_elem(map_fd(a->skel->maps.tn_derived), &k) &&
	    errno != ENOENT)
		return tn_fail_errno(err, errno, "cannot remove the derived tag");
	return 0;
}

int maps_workload_reset(struct agent *a, uint64_t cgid, struct tn_err *err)
{
	int fd = map_fd(a->skel->maps.tn_workloads);
	struct tn_workload w;

	if (bpf_map_lookup_elem(fd, &cgid, &w))
		return tn_fail_errno(err, errno, "workload is not in the kernel map");
	w.taint = 0;
	w.last_drop_report_ns = 0;
	w.deny_tat_ns = 0;
	if (bpf_map_update_elem(fd, &cgid, &w, BPF_EXIST))
		return tn_fail_errno(err, errno, "cannot clear taint");
	return 0;
}
