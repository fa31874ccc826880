/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#ifndef _TN_POLICY_H
#define _TN_POLICY_H

#include <linux/rcupdate.h>
#include <linux/types.h>

#include "prefix.h"

/*
 * One immutable policy: built completely, then published with one pointer
 * swap. Packets see the old policy or the new one, never a mix.
 */
struct tn_policy {
	struct rcu_head rcu;
	u8 mode;		/* enum trustnode_mode */
	u32 nr_given;		/* prefixes in the request, for status */
	u32 nr;			/* after tn_policy_finalize(): normalized */
	struct tn_prefix pfx[];
};

/* Building (process context, tn_config_lock not needed). */
struct tn_policy *tn_policy_alloc(u8 mode, unsigned int nr_max);
void tn_policy_finalize(struct tn_policy *p);
void tn_policy_free(struct tn_policy *p);

/*
 * May a sealed node move from @cur to @next? Checks the mode only; the
 * caller checks each prefix with tn_prefixes_cover(cur->pfx, cur->nr, ...)
 * so that it can point at the offending attribute. @cur may be NULL.
 */
bool tn_policy_mode_allowed(const struct tn_policy *cur,
			    const struct tn_policy *next);

/* The policy in force, or NULL. Caller holds tn_config_lock. */
struct tn_policy *tn_policy_current_locked(void);

/* Publishes @p (takes ownership); the old policy is freed after a grace. */
void tn_policy_replace(struct tn_policy *p);

/* Caller is in an RCU read-side section; NULL if none loaded. */
const struct tn_policy *tn_policy_current_rcu(void);

/*
 * Is @a an allowed destination under @p (loopback always is), now? A prefix
 * past its valid_until allows nothing.
 */
bool tn_policy_allows(const struct tn_policy *p, const struct tn_addr *a);

/* Module exit, after the hooks are gone and a grace period has passed. */
void tn_policy_exit(void);

#endif /* _TN_POLICY_H */
