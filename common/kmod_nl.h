/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Userspace side of trustnode.ko's generic netlink family (see
 * include/uapi/linux/trustnode.h), over libnl. Used by trustnoded to push
 * policy and taint, and by trustctl for kmod status.
 */
#ifndef TN_KMOD_NL_H
#define TN_KMOD_NL_H

#include <stdint.h>
#include "addr.h"
#include "err.h"

struct tn_kmod;

struct tn_kmod_status {
	int enforce, sealed, policy_loaded;
	uint32_t nprefixes, ntainted;
	uint64_t drops, audit_allows, reports_suppressed, events_lost;
	char version[32];
};

/* NULL with err set when the module is not loaded (errno ENOENT). */
struct tn_kmod *tn_kmod_open(struct tn_err *err);
void tn_kmod_close(struct tn_kmod *k);

/* valid_until: per prefix, CLOCK_BOOTTIME ns, 0 none (NULL: all none). */
int tn_kmod_set_policy(struct tn_kmod *k, int enforce,
		       const struct tn_prefix *p, const uint64_t *valid_until,
		       int n, struct tn_err *err);
int tn_kmod_taint(struct tn_kmod *k, uint64_t cgid, uint64_t labels,
		  struct tn_err *err);
int tn_kmod_clear_taint(struct tn_kmod *k, uint64_t cgid, struct tn_err *err);
int tn_kmod_status(struct tn_kmod *k, struct tn_kmod_status *st,
		   struct tn_err *err);
int tn_kmod_seal(struct tn_kmod *k, struct tn_err *err);

/* For tests and tools that build their own messages. */
struct nl_msg;
struct nl_msg *tn_kmod_request(struct tn_kmod *k, uint8_t cmd);
/* Sends msg (consumed); on refusal err has the extack text and errnum. */
int tn_kmod_send(struct tn_kmod *k, struct nl_msg *msg, struct tn_err *err);

#endif
