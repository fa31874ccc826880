/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Internal to the policy parser, shared by policy.c and policy_peers.c:
 * where a mistake is reported (file name and line) and the checks every
 * setting goes through. Callers outside them use policy.h.
 */
#ifndef TN_POLICY_PARSE_H
#define TN_POLICY_PARSE_H

#include <libconfig.h>
#include "policy.h"

struct tn_parse_ctx {
	const char *name;
	struct tn_err *err;
};

/* "NAME:LINE: message" into the context's error; returns -1. */
int tn_fail_at(struct tn_parse_ctx *c, const config_setting_t *s,
	       const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A non-empty string, or NULL with the error set (what names it). */
const char *tn_string_of(struct tn_parse_ctx *c, const config_setting_t *s,
			 const char *what);
int tn_is_list(const config_setting_t *s);
/* Refuses, by name, a member of entry that is not in allowed. */
int tn_check_members(struct tn_parse_ctx *c, const config_setting_t *entry,
		     const char *what, const char *const *allowed);

extern const char *const tn_peer_members[];
extern const char *const tn_attestation_members[];

/* policy_peers.c */
int tn_parse_peers(struct tn_parse_ctx *c, struct tn_policy *p,
		   const config_setting_t *s);
int tn_parse_attestation(struct tn_parse_ctx *c, struct tn_policy *p,
			 const config_setting_t *s);
int tn_parse_local_network(struct tn_parse_ctx *c, struct tn_policy *p,
			   const config_setting_t *s);

#endif
