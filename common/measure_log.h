/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What keeps a quote's answer small however long the node has run: the
 * running values of the measurement log, the summary of what a verifier
 * judges in it, and signed checkpoints (include/trustnode/attest_api.h).
 *
 * For the first i entries of a boot's log:
 *   pcr_i    the PCR value they make (tn_pcr_extend_sw from zero);
 *   chain_i  SHA-256(chain_{i-1} || entry_i as tn_measurement_json writes
 *            it || "\n"), chain_0 = zero: covers type, detail and time,
 *            which the PCR does not;
 *   summary  every distinct judged measurement (policy, agent, BPF object,
 *            module, weakening, seal) with its first and last entry and
 *            how often it was measured. Audit checkpoints and log
 *            checkpoints are not judged and not summarised.
 *
 * A checkpoint states (TPM reset count, i, pcr_i, chain_i, summary) in a
 * JSON text signed by the node's identity key and is itself measured (a
 * "log-checkpoint" entry whose digest is SHA-256 of that text), so that a
 * verifier that has seen the entries before it can tell whether it told
 * the truth, and one that has not can start from it.
 */
#ifndef TN_MEASURE_LOG_H
#define TN_MEASURE_LOG_H

#include <json-c/json.h>
#include <stdint.h>
#include "attest_wire.h"
#include "err.h"

#define TN_LOG_SUMMARY_MAX	64	/* distinct judged measurements per boot */
#define TN_LOG_ITEM_DETAIL	128	/* the first occurrence's detail, cut */
#define TN_LOG_CP_VERSION	1
#define TN_LOG_CP_LABEL		"trustnode-measure-checkpoint-v1"
#define TN_LOG_CP_MAX		65536	/* bytes of a checkpoint's text */

struct tn_log_item {
	char type[32];
	uint8_t digest[TN_DIGEST_LEN];
	uint64_t first, last, count;	/* entry indices in the boot's log */
	int64_t time;			/* of the first, the node's clock */
	char detail[TN_LOG_ITEM_DETAIL];
};

struct tn_log_summary {
	int n;
	int overflow;			/* more distinct values than fit */
	struct tn_log_item item[TN_LOG_SUMMARY_MAX];
	int have_last_policy;
	uint8_t last_policy[TN_DIGEST_LEN];
};

/* Whether entries of this type are judged (and so summarised). */
int tn_log_judged_type(const char *type);
/* Adds entry index i to s when its type is judged. */
void tn_log_summary_add(struct tn_log_summary *s, uint64_t i,
			const struct tn_measurement *m);
const struct tn_log_item *tn_log_summary_find(const struct tn_log_summary *s,
					       const char *type,
					       const uint8_t d[TN_DIGEST_LEN]);
/*
 * 0 when equal; otherwise a sentence in why naming the first difference
 * (what a has that b lacks, or differs in).
 */
int tn_log_summary_cmp(const struct tn_log_summary *a, const char *aname,
		       const struct tn_log_summary *b, const char *bname,
		       char *why, size_t n);
json_object *tn_log_summary_json(const struct tn_log_summary *s);
int tn_log_summary_parse(json_object *o, struct tn_log_summary *s,
			 struct tn_err *err);

/* chain = SHA-256(chain || serialised m || "\n"). */
void tn_log_chain_step(uint8_t chain[TN_DIGEST_LEN],
		       const struct tn_measurement *m);

struct tn_log_checkpoint {
	int version;
	uint32_t reset_count;		/* the TPM's, when it was made */
	uint64_t index;			/* entries before it: it is entry index */
	uint8_t pcr[TN_DIGEST_LEN];	/* pcr_index */
	uint8_t chain[TN_DIGEST_LEN];	/* chain_index */
	int64_t time;
	struct tn_log_summary summary;
};

/* The checkpoint's text (what is signed and measured); caller frees. */
char *tn_log_checkpoint_text(const struct tn_log_checkpoint *cp);
/* Strict: version, every member present and well-formed, at most TN_LOG_CP_MAX. */
int tn_log_checkpoint_parse(const char *text, struct tn_log_checkpoint *cp,
			    struct tn_err *err);
/* Ed25519 over TN_LOG_CP_LABEL, a NUL, and the text. */
void tn_log_checkpoint_sign(const char *text, const uint8_t sk[64],
			    uint8_t sig[64]);
int tn_log_checkpoint_verify(const char *text, const uint8_t pk[TN_IDKEY_LEN],
			     const uint8_t sig[64]);
/* The digest its "log-checkpoint" entry carries: SHA-256 of the text. */
void tn_log_checkpoint_digest(const char *text, uint8_t out[TN_DIGEST_LEN]);

#endif
