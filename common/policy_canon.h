/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The canonical form of a policy: what is measured into the PCR and what a
 * verifier compares. It is built from the parsed policy, so whitespace,
 * comments and the order of entries in the file do not change it; anything
 * that changes what is enforced does.
 */
#ifndef TN_POLICY_CANON_H
#define TN_POLICY_CANON_H

#include <stdint.h>
#include "err.h"
#include "policy.h"

#define TN_POLICY_DIGEST_LEN 32

/*
 * One line of JSON with a fixed key order and sorted lists (malloc'd into
 * *out), and its SHA-256 in digest.
 */
int tn_policy_canonical(const struct tn_policy *p, char **out,
			uint8_t digest[TN_POLICY_DIGEST_LEN], struct tn_err *err);

/* The same, from policy text (parsed, not resolved: paths are not stat'ed). */
int tn_policy_text_canonical(const char *text, const char *name, char **out,
			     uint8_t digest[TN_POLICY_DIGEST_LEN],
			     struct tn_err *err);

#endif
