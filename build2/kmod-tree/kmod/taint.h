/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#ifndef _TN_TAINT_H
#define _TN_TAINT_H

#include <linux/types.h>

struct cgroup;

/* Writers: process context, tnk_config_lock held. */
int tnk_taint_add(u64 cgid, u64 labels);
int tnk_taint_clear(u64 cgid);

/* Lockless; for the hooks' fast path and for status. */
unsigned int tnk_taint_count(void);

/*
 * The union of the labels of @cgrp and of all its ancestors that are in the
 * table (0: not tainted). *@taint_cgid is set to the nearest such cgroup.
 * Caller is in an RCU read-side section and holds a reference on @cgrp.
 */
u64 tnk_taint_cgroup(struct cgroup *cgrp, u64 *taint_cgid);

/* Module exit, after the hooks are gone and a grace period has passed. */
void tnk_taint_exit(void);

#endif /* _TN_TAINT_H */
