/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Writing the audit log (format: include/trustnode/audit_api.h). Records are
 * chained and buffered by tn_audit_append; tn_audit_commit writes the batch
 * and fdatasyncs it once (group commit): only then do they count as
 * written. A batch that cannot be written (a full disk) is taken back whole,
 * so the chain on disk stays intact; it is counted, and a records-lost
 * record says so once writing works again.
 */
#ifndef TN_AUDIT_WRITER_H
#define TN_AUDIT_WRITER_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "err.h"
#include "trustnode/audit_api.h"

struct tn_audit_state {			/* a point of the chain */
	uint64_t next_seq;
	uint8_t head[TN_AUDIT_HASH_LEN];
	off_t seg_bytes;
};

struct tn_audit_writer {
	char dir[4000];
	char seg_path[4100];
	int fd;				/* the current segment */
	uint64_t seg_limit;
	uint8_t log_id[TN_AUDIT_LOGID_LEN];
	uint8_t sk[64];			/* the node's Ed25519 key */

	struct tn_audit_state durable;	/* what is on disk */
	struct tn_audit_state mem;	/* including the batch */
	char *batch;
	size_t batch_len, batch_cap;
	uint64_t batch_records;

	/* checkpoints */
	unsigned cp_records, cp_seconds;
	uint64_t since_cp;
	int64_t last_cp_us;
	int cp_in_batch;
	uint64_t cp_covers;		/* the latest durable checkpoint */
	uint8_t cp_head[TN_AUDIT_HASH_LEN];
	int have_cp, cp_new;		/* cp_new: durable, not yet taken */

	/* failures */
	uint64_t lost;			/* records taken back, not yet reported */
	uint64_t lost_total;
	char lost_reason[256];
	uint64_t written;		/* records made durable since open */
	char repaired[4400];		/* what open repaired, for the operator */
};

/*
 * Opens (creating when empty) the log in dir, signing checkpoints with sk.
 * A torn or unreadable tail of the last segment is cut off and recorded in a
 * log-repaired record; w->repaired says what happened.
 */
int tn_audit_open(struct tn_audit_writer *w, const char *dir,
		  const uint8_t sk[64], uint64_t seg_limit,
		  unsigned cp_records, unsigned cp_seconds, struct tn_err *err);
void tn_audit_close(struct tn_audit_writer *w);

/* Chains one record into the batch; data is not consumed. */
int tn_audit_append(struct tn_audit_writer *w, const char *type,
		    json_object *data, int64_t time_us, struct tn_err *err);
/* Writes and syncs the batch (a no-op when empty); rotates segments. */
int tn_audit_commit(struct tn_audit_writer *w, struct tn_err *err);
/* Appends a checkpoint when N records or T seconds have passed (or force). */
int tn_audit_maybe_checkpoint(struct tn_audit_writer *w, int64_t now_us,
			      int force, struct tn_err *err);
/* The newest durable checkpoint not yet taken (for the PCR); 0 or 1. */
int tn_audit_take_checkpoint(struct tn_audit_writer *w, uint64_t *covers,
			     uint8_t head[TN_AUDIT_HASH_LEN]);

int64_t tn_audit_now_us(void);

#endif
