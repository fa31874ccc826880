/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Internal to the verifier, shared by its three files (attest_verify.c:
 * the quote; attest_verify_log.c: the event log is the one quoted;
 * attest_verify_judge.c: what the log shows is accepted). Callers outside
 * them use attest_verify.h.
 */
#ifndef TN_ATTEST_VERIFY_INT_H
#define TN_ATTEST_VERIFY_INT_H

#include "attest_verify.h"
#include "tpm_verify.h"

#define MAX_QUOTE_PCRS 24

/* Records one check; the first failure becomes the verdict. */
void tn_note(struct tn_verdict *v, const char *check, int ok,
	     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int tn_get_hex(json_object *resp, const char *key, uint8_t *out,
	       size_t max, size_t *len, struct tn_err *err);
/* One entry as a verdict names it; when this verifier last judged p. */
void tn_describe(const struct tn_measurement *m, char *out, size_t n);
void tn_when_seen(const struct tn_peer *p, char *out, size_t n);

/* attest_verify_log.c: after the quote's own checks passed. */
void tn_verify_log(const struct tn_peer *p, json_object *resp,
		   const TPMS_ATTEST *at, int mode, struct tn_verdict *v);

/* attest_verify_judge.c: the software, policy and weakening checks. */
void tn_judge_log(const struct tn_peer *p, json_object *resp,
		  const struct tn_log_summary *all,
		  const struct tn_measurement *fresh, size_t nfresh,
		  size_t start, int mode, struct tn_verdict *v);

#endif
