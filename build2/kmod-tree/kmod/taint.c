// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The taint table: cgroup v2 id -> labels, an RCU hash table.
 *
 * Writers hold tnk_config_lock. Entries are added with hlist_add_head_rcu()
 * and removed with hash_del_rcu() + kfree_rcu(); labels only grow while an
 * entry lives and are read with READ_ONCE(), so a reader sees the old or
 * the new label set of an entry, never a torn one (u64 stores are single
 * instructions on the 64-bit targets this module is built for).
 */
#include <linux/cgroup.h>
#include <linux/hashtable.h>
#include <linux/lockdep.h>
#include <linux/slab.h>

#include <uapi/linux/trustnode.h>

#include "seal.h"
#include "taint.h"

#define TN_TAINT_HASH_BITS	10

struct tnk_taint {
	struct hlist_node node;
	struct rcu_head rcu;
	u64 cgid;
	u64 labels;
};

static DEFINE_HASHTABLE(tnk_taint_hash, TN_TAINT_HASH_BITS);
static unsigned int tnk_taint_nr;

static struct tnk_taint *tnk_taint_find_locked(u64 cgid)
{
	struct tnk_taint *t;

	hash_for_each_possible_rcu(tnk_taint_hash, t, node, cgid,
				   lockdep_is_held(&tnk_config_lock))
		if (t->cgid == cgid)
			return t;
	return NULL;
}

int tnk_taint_add(u64 cgid, u64 labels)
{
	struct tnk_taint *t;

	lockdep_assert_held(&tnk_config_lock);

	t = tnk_taint_find_locked(cgid);
	if (t) {
		WRITE_ONCE(t->labels, t->labels | labels);
		return 0;
	}
	if (tnk_taint_nr >= TRUSTNODE_MAX_TAINTED)
		return -ENOSPC;
	t = kzalloc(sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	t->cgid = cgid;
	t->labels = labels;
	hash_add_rcu(tnk_taint_hash, &t->node, cgid);
	/* After the entry: a reader that sees the count may miss the entry
	 * (a race with the request itself), never the other way round.
	 */
	WRITE_ONCE(tnk_taint_nr, tnk_taint_nr + 1);
	return 0;
}

int tnk_taint_clear(u64 cgid)
{
	struct tnk_taint *t;

	lockdep_assert_held(&tnk_config_lock);

	t = tnk_taint_find_locked(cgid);
	if (!t)
		return -ENOENT;
	hash_del_rcu(&t->node);
	WRITE_ONCE(tnk_taint_nr, tnk_taint_nr - 1);
	kfree_rcu(t, rcu);
	return 0;
}

unsigned int tnk_taint_count(void)
{
	return READ_ONCE(tnk_taint_nr);
}

u64 tnk_taint_cgroup(struct cgroup *cgrp, u64 *taint_cgid)
{
	u64 labels = 0;

	*taint_cgid = 0;
	/*
	 * A cgroup pins its parent, and the caller pins @cgrp (through the
	 * socket), so the whole chain up to the root stays valid.
	 */
	for (; cgrp; cgrp = cgroup_parent(cgrp)) {
		u64 id = cgroup_id(cgrp);
		struct tnk_taint *t;

		hash_for_each_possible_rcu(tnk_taint_hash, t, node, id) {
			if (t->cgid != id)
				continue;
			labels |= READ_ONCE(t->labels);
			if (!*taint_cgid)
				*taint_cgid = id;
			break;
		}
	}
	return labels;
}

void tnk_taint_exit(void)
{
	struct hlist_node *tmp;
	struct tnk_taint *t;
	int bkt;

	/* No readers left: the hooks are unregistered and RCU has synced. */
	hash_for_each_safe(tnk_taint_hash, bkt, tmp, t, node) {
		hash_del(&t->node);
		kfree(t);
	}
	tnk_taint_nr = 0;
}
