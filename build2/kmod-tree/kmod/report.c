// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Reporting: counters and kernel audit records (what auditd logs). The
 * guard sends the DROP notification itself (netlink.c), so that this file
 * and netlink.c depend one way only: netlink.c reads the counters here.
 *
 * Packet reports share one rate limit (TN_REPORT_BURST per
 * TN_REPORT_INTERVAL): a workload hammering an outside address must not
 * flood the audit log or the agent. Every packet is counted; those not
 * reported are counted as suppressed, and status shows all three counters.
 * Configuration requests are privileged and rare: always audited.
 */
#include <linux/atomic.h>
#include <linux/audit.h>
#include <linux/cred.h>
#include <linux/kernel.h>
#include <linux/preempt.h>
#include <linux/ratelimit.h>
#include <linux/sched.h>
#include <linux/socket.h>
#include <linux/uidgid.h>

#include <uapi/linux/trustnode.h>

#include "report.h"

#define TN_REPORT_INTERVAL	(5 * HZ)
#define TN_REPORT_BURST		50

/* We count suppressed reports ourselves: no "callbacks suppressed". */
static struct ratelimit_state tnk_report_rs =
	RATELIMIT_STATE_INIT_FLAGS(tnk_report_rs, TN_REPORT_INTERVAL,
				   TN_REPORT_BURST, RATELIMIT_MSG_ON_RELEASE);
static atomic64_t tnk_drops = ATOMIC64_INIT(0);
static atomic64_t tnk_audit_allows = ATOMIC64_INIT(0);
static atomic64_t tnk_suppressed = ATOMIC64_INIT(0);
static atomic64_t tnk_events_lost = ATOMIC64_INIT(0);

bool tnk_report_account(u8 verdict)
{
	if (verdict == TRUSTNODE_VERDICT_DROP)
		atomic64_inc(&tnk_drops);
	else
		atomic64_inc(&tnk_audit_allows);

	/* __ratelimit() only trylocks a raw spinlock: fine in any context. */
	if (__ratelimit(&tnk_report_rs))
		return true;
	atomic64_inc(&tnk_suppressed);
	return false;
}

static void tnk_audit_packet(const struct tnk_event *ev)
{
	const char *verdict = ev->verdict == TRUSTNODE_VERDICT_DROP ?
			      "drop" : "audit-allow";

	if (audit_enabled == AUDIT_OFF)
		return;
	/* No audit context: this may run in softirq, for any task. */
	if (ev->family == AF_INET)
		audit_log(NULL, GFP_ATOMIC, AUDIT_KERNEL_OTHER,
			  "op=trustnode_egress verdict=%s cgroup=%llu taint_cgroup=%llu pid=%u family=inet daddr=%pI4 proto=%u dport=%u labels=0x%llx",
			  verdict, ev->cgid, ev->taint_cgid, ev->pid,
			  &ev->daddr.v4, ev->proto, ev->dport, ev->labels);
	else
		audit_log(NULL, GFP_ATOMIC, AUDIT_KERNEL_OTHER,
			  "op=trustnode_egress verdict=%s cgroup=%llu taint_cgroup=%llu pid=%u family=inet6 daddr=%pI6c proto=%u dport=%u labels=0x%llx",
			  verdict, ev->cgid, ev->taint_cgid, ev->pid,
			  &ev->daddr.v6, ev->proto, ev->dport, ev->labels);
}

void tnk_report_packet(const struct tnk_event *ev)
{
	tnk_audit_packet(ev);
}

void tnk_report_lost(void)
{
	atomic64_inc(&tnk_events_lost);
}

void tnk_report_config(const char *op, int err, const char *fmt, ...)
{
	char detail[128];
	va_list args;

	if (audit_enabled == AUDIT_OFF)
		return;
	va_start(args, fmt);
	vscnprintf(detail, sizeof(detail), fmt, args);
	va_end(args);
	/*
	 * Runs in the sender's sendmsg(): with the task's audit context the
	 * record joins the syscall's event (uid, exe, ...) when syscall
	 * auditing is on.
	 */
	audit_log(audit_context(), GFP_KERNEL, AUDIT_KERNEL_OTHER,
		  "op=trustnode_%s %s pid=%d uid=%u auid=%u ses=%u err=%d res=%d",
		  op, detail, task_tgid_nr(current),
		  from_kuid(&init_user_ns, current_uid()),
		  from_kuid(&init_user_ns, audit_get_loginuid(current)),
		  audit_get_sessionid(current), err, !err);
}

void tnk_report_counters(struct tnk_counters *c)
{
	c->drops = atomic64_read(&tnk_drops);
	c->audit_allows = atomic64_read(&tnk_audit_allows);
	c->suppressed = atomic64_read(&tnk_suppressed);
	c->events_lost = atomic64_read(&tnk_events_lost);
}
