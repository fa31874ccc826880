/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#ifndef _TN_REPORT_H
#define _TN_REPORT_H

#include <linux/compiler.h>
#include <linux/in6.h>
#include <linux/types.h>

/* One packet the guard dropped or let through in audit mode. */
struct tnk_event {
	u64 cgid;		/* the socket's cgroup */
	u64 taint_cgid;		/* nearest tainted cgroup at or above it */
	u64 labels;
	u32 pid;		/* 0: no process context */
	u16 dport;		/* host order; 0: none or unknown */
	u8 family;		/* AF_INET or AF_INET6 */
	u8 proto;
	u8 verdict;		/* enum trustnode_verdict */
	union {
		__be32 v4;
		struct in6_addr v6;
	} daddr;
};

struct tnk_counters {
	u64 drops;
	u64 audit_allows;
	u64 suppressed;
	u64 events_lost;
};

/*
 * Counts one drop or audit-allow (any context). Returns true if it should
 * be reported now, false if the rate limit suppressed it (and counted so).
 */
bool tnk_report_account(u8 verdict);

/* Audit record for @ev. Any context, never sleeps. */
void tnk_report_packet(const struct tnk_event *ev);

/* Counts a DROP notification a multicast listener missed. Any context. */
void tnk_report_lost(void);

/* Audit record for a configuration request (process context). */
__printf(3, 4)
void tnk_report_config(const char *op, int err, const char *fmt, ...);

void tnk_report_counters(struct tnk_counters *c);

#endif /* _TN_REPORT_H */
