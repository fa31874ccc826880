/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The audit log's records (the format is documented in
 * include/trustnode/audit_api.h): formatting, strict parsing, the chain hash,
 * and what a checkpoint signs. The writer (common/audit_writer.c), the
 * verifier (common/audit_verify.c) and the readers share these.
 */
#ifndef TN_AUDIT_RECORD_H
#define TN_AUDIT_RECORD_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>
#include "err.h"
#include "trustnode/audit_api.h"

/* One record, parsed. */
struct tn_audit_rec {
	uint64_t seq;
	int64_t time_us;		/* unix microseconds */
	char type[32];
	uint8_t prev[TN_AUDIT_HASH_LEN];
	uint8_t hash[TN_AUDIT_HASH_LEN];	/* of this record's line */
	json_object *obj;		/* the whole record (owned) */
	json_object *data;		/* its "data" (borrowed from obj) */
};

/* The line of a record (no newline), malloc'd; data is not consumed. */
char *tn_audit_format(uint64_t seq, int64_t time_us, const char *type,
		      const uint8_t prev[TN_AUDIT_HASH_LEN], json_object *data);
void tn_audit_hash(const char *line, size_t len,
		   uint8_t out[TN_AUDIT_HASH_LEN]);
/* Strict: members, types, hex lengths; err says what is wrong. */
int tn_audit_parse(const char *line, size_t len, struct tn_audit_rec *r,
		   struct tn_err *err);
void tn_audit_rec_free(struct tn_audit_rec *r);

/*
 * Members of a record's data as the writer writes them: exactly 2*len
 * lowercase hex digits; an integer from 0 to 2^63-1. -1 otherwise.
 */
int tn_audit_json_hex(json_object *o, const char *key, uint8_t *out, size_t len);
int tn_audit_json_u64(json_object *o, const char *key, uint64_t *out);

/* What a checkpoint signs: label, NUL, log id, covers (8 bytes BE), head. */
#define TN_AUDIT_CP_MSG_LEN (sizeof(TN_AUDIT_CHECKPOINT_LABEL) + \
			     TN_AUDIT_LOGID_LEN + 8 + TN_AUDIT_HASH_LEN)
void tn_audit_checkpoint_msg(const uint8_t log_id[TN_AUDIT_LOGID_LEN],
			     uint64_t covers,
			     const uint8_t head[TN_AUDIT_HASH_LEN],
			     uint8_t msg[TN_AUDIT_CP_MSG_LEN]);
/* SHA-256 of that message: what is extended into the PCR. */
void tn_audit_checkpoint_digest(const uint8_t log_id[TN_AUDIT_LOGID_LEN],
				uint64_t covers,
				const uint8_t head[TN_AUDIT_HASH_LEN],
				uint8_t out[32]);

/* A checkpoint known from elsewhere: the TPM's event log, or a peer's memory. */
struct tn_audit_anchor {
	uint8_t log_id[TN_AUDIT_LOGID_LEN];
	uint64_t covers;
	uint8_t head[TN_AUDIT_HASH_LEN];
	const char *source;		/* "the TPM-anchored checkpoint", ... */
};

/* The detail of an "audit-checkpoint" measurement: "log <id> covers <S> head <head>". */
#define TN_AUDIT_DETAIL_LEN (4 + 2 * TN_AUDIT_LOGID_LEN + 8 + 20 + 6 + \
			     2 * TN_AUDIT_HASH_LEN + 1)
void tn_audit_checkpoint_detail(const uint8_t log_id[TN_AUDIT_LOGID_LEN],
				uint64_t covers,
				const uint8_t head[TN_AUDIT_HASH_LEN],
				char out[TN_AUDIT_DETAIL_LEN]);
/*
 * The anchor an "audit-checkpoint" measurement vouches for: its detail,
 * parsed strictly, and its digest, which must be tn_audit_checkpoint_digest
 * of those values. a->source is left NULL for the caller to name.
 */
int tn_audit_anchor_parse(const char *detail, const uint8_t digest[32],
			  struct tn_audit_anchor *a, struct tn_err *err);

#endif
