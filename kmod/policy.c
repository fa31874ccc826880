// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The policy in force: an RCU-protected pointer to an immutable object.
 * Writers hold tn_config_lock; readers (the netfilter hooks) only
 * rcu_read_lock().
 */
#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>

#include <uapi/linux/trustnode.h>

#include "policy.h"
#include "seal.h"

static struct tn_policy __rcu *tn_policy_cur;

struct tn_policy *tn_policy_alloc(u8 mode, unsigned int nr_max)
{
	struct tn_policy *p;

	/* kvfree_rcu() requires the rcu_head within the first 4 KiB. */
	BUILD_BUG_ON(offsetof(struct tn_policy, rcu) != 0);

	p = kvzalloc(struct_size(p, pfx, nr_max), GFP_KERNEL);
	if (!p)
		return NULL;
	p->mode = mode;
	return p;
}

void tn_policy_finalize(struct tn_policy *p)
{
	p->nr_given = p->nr;
	p->nr = tn_prefixes_normalize(p->pfx, p->nr);
}

void tn_policy_free(struct tn_policy *p)
{
	kvfree(p);
}

bool tn_policy_mode_allowed(const struct tn_policy *cur,
			    const struct tn_policy *next)
{
	/* No policy drops nothing: anything is at least as strict. */
	if (!cur)
		return true;
	return !(cur->mode == TRUSTNODE_MODE_ENFORCE &&
		 next->mode != TRUSTNODE_MODE_ENFORCE);
}

struct tn_policy *tn_policy_current_locked(void)
{
	return rcu_dereference_protected(tn_policy_cur,
					 lockdep_is_held(&tn_config_lock));
}

void tn_policy_replace(struct tn_policy *p)
{
	struct tn_policy *old;

	lockdep_assert_held(&tn_config_lock);
	old = rcu_replace_pointer(tn_policy_cur, p,
				  lockdep_is_held(&tn_config_lock));
	if (old)
		kvfree_rcu(old, rcu);
}

const struct tn_policy *tn_policy_current_rcu(void)
{
	return rcu_dereference(tn_policy_cur);
}

bool tn_policy_allows(const struct tn_policy *p, const struct tn_addr *a)
{
	const struct tn_prefix *q;

	if (tn_addr_local_always(a))
		return true;
	q = tn_prefixes_find(p->pfx, p->nr, a);
	/* An expired peer is outside without the agent having to remove it. */
	return q && tn_prefix_live(q, ktime_get_boottime_ns());
}

void tn_policy_exit(void)
{
	/* No readers left: the hooks are unregistered and RCU has synced. */
	kvfree(rcu_dereference_protected(tn_policy_cur, 1));
	RCU_INIT_POINTER(tn_policy_cur, NULL);
}
