// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The policy in force: an RCU-protected pointer to an immutable object.
 * Writers hold tnk_config_lock; readers (the netfilter hooks) only
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

static struct tnk_policy __rcu *tnk_policy_cur;

struct tnk_policy *tnk_policy_alloc(u8 mode, unsigned int nr_max)
{
	struct tnk_policy *p;

	/* kvfree_rcu() requires the rcu_head within the first 4 KiB. */
	BUILD_BUG_ON(offsetof(struct tnk_policy, rcu) != 0);

	p = kvzalloc(struct_size(p, pfx, nr_max), GFP_KERNEL);
	if (!p)
		return NULL;
	p->mode = mode;
	return p;
}

void tnk_policy_finalize(struct tnk_policy *p)
{
	p->nr_given = p->nr;
	p->nr = tnk_prefixes_normalize(p->pfx, p->nr);
}

void tnk_policy_free(struct tnk_policy *p)
{
	kvfree(p);
}

bool tnk_policy_mode_allowed(const struct tnk_policy *cur,
			     const struct tnk_policy *next)
{
	/* No policy drops nothing: anything is at least as strict. */
	if (!cur)
		return true;
	return !(cur->mode == TRUSTNODE_MODE_ENFORCE &&
		 next->mode != TRUSTNODE_MODE_ENFORCE);
}

struct tnk_policy *tnk_policy_current_locked(void)
{
	return rcu_dereference_protected(tnk_policy_cur,
					 lockdep_is_held(&tnk_config_lock));
}

void tnk_policy_replace(struct tnk_policy *p)
{
	struct tnk_policy *old;

	lockdep_assert_held(&tnk_config_lock);
	old = rcu_replace_pointer(tnk_policy_cur, p,
				  lockdep_is_held(&tnk_config_lock));
	if (old)
		kvfree_rcu(old, rcu);
}

const struct tnk_policy *tnk_policy_current_rcu(void)
{
	return rcu_dereference(tnk_policy_cur);
}

bool tnk_policy_allows(const struct tnk_policy *p, const struct tnk_addr *a)
{
	const struct tnk_prefix *q;

	if (tnk_addr_local_always(a))
		return true;
	q = tnk_prefixes_find(p->pfx, p->nr, a);
	/* An expired peer is outside without the agent having to remove it. */
	return q && tnk_prefix_live(q, ktime_get_boottime_ns());
}

void tnk_policy_exit(void)
{
	/* No readers left: the hooks are unregistered and RCU has synced. */
	kvfree(rcu_dereference_protected(tnk_policy_cur, 1));
	RCU_INIT_POINTER(tnk_policy_cur, NULL);
}
