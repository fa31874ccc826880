/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#ifndef _TN_NETLINK_H
#define _TN_NETLINK_H

#include <linux/types.h>

struct tnk_event;

int tnk_netlink_init(void);
void tnk_netlink_exit(void);

/*
 * DROP notification to the "drops" group. Any context, never sleeps.
 * Returns 0 if delivered or nobody listens, -errno if a listener missed it.
 */
int tnk_netlink_notify_drop(const struct tnk_event *ev);

#endif /* _TN_NETLINK_H */
