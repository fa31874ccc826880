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
struct tnk_policy {
	struct rcu_head rcu;
	u8 mode;		/* enum trustnode_mode */
	u32 nr_given;		/* prefixes in the request, for status */
	u32 nr;			/* after tnk_policy_finalize(): normalized */
	struct tnk_prefix pfx[];
};

/* Building (process context, tnk_config_lock not needed). */
struct tnk_policy *tnk_policy_alloc(u8 mode, unsigned int nr_max);
void tnk_policy_finalize(struct tnk_policy *p);
void tnk_policy_free(struct tnk_policy *p);

/*
 * May a sealed node move from @cur to @next? Checks the mode only; the
 * caller checks each prefix with tnk_prefixes_cover(cur->pfx, cur->nr, ...)
 * so that it can point at the offending attribute. @cur may be NULL.
 */
bool tnk_policy_mode_allowed(const struct tnk_policy *cur,
			     const struct tnk_policy *next);

/* The policy in force, or NULL. Caller holds tnk_config_lock. */
struct tnk_policy *tnk_policy_current_locked(void);

/* Publishes @p (takes ownership); the old policy is freed after a grace. */
void tnk_policy_replace(struct tnk_policy *p);

/* Caller is in an RCU read-side section; NULL if none loaded. */
const struct tnk_policy *tnk_policy_current_rcu(void);

/*
 * Is @a an allowed destination under @p (loopback always is), now? A prefix
 * past its valid_until allows nothing.
 */
bool tnk_policy_allows(const struct tnk_policy *p, const struct tnk_addr *a);

/* Module exit, after the hooks are gone and a grace period has passed. */
void tnk_policy_exit(void);

#endif /* _TN_POLICY_H */
