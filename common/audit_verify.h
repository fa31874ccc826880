/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The audit log's verifier: trustctl log verify (over a directory) and
 * trustctl peer log (over pages fetched from a peer) share it.
 */
#ifndef TN_AUDIT_VERIFY_H
#define TN_AUDIT_VERIFY_H

#include <stddef.h>
#include <stdint.h>
#include "audit_record.h"

struct tn_audit_anchor_slot;

/*
 * A streaming verifier: feed it the log's lines in order, from seq 0 or from
 * just after a known point (tn_audit_verify_start_at). The first problem
 * stops it; error names the record (seq, and where: segment and line) and
 * what is wrong, in words an operator can act on:
 *   edited      "record N does not chain to record N-1 ... was edited"
 *   deleted     "record N is missing: seq jumps from N-1 to N+1"
 *   reordered   "record N comes after record M: records were reordered"
 *   spliced     a record from another log (log id, chain) in this one
 *   torn        a last line without its newline
 *   truncated   (finish) the log ends before an anchor it must contain
 *   restarted   (finish) the log id is not the anchor's: deleted and begun anew
 *   bad signature on a checkpoint, with the node key given
 */
struct tn_audit_verifier {
	/* inputs */
	int have_key;
	uint8_t node_key[32];		/* Ed25519 public key, when have_key */
	struct tn_audit_anchor anchors[16];
	int nanchors;

	/* state and results */
	int started;
	int failed;
	uint64_t records, checkpoints;
	uint64_t next_seq;		/* the seq expected next */
	uint8_t head[TN_AUDIT_HASH_LEN];	/* hash of the last record */
	int have_log_id;
	uint8_t log_id[TN_AUDIT_LOGID_LEN];
	int have_checkpoint;
	uint64_t cp_covers;		/* the latest checkpoint seen */
	uint8_t cp_head[TN_AUDIT_HASH_LEN];
	uint64_t bad_seq;		/* when failed */
	char error[1024];
	/*
	 * No key was given: checkpoints were checked with the key the
	 * log-start record names, which does not prove who wrote the log.
	 */
	int key_from_log;
	uint64_t repairs;		/* log-repaired records */
	uint64_t lost;			/* records-lost counts, summed */
	uint64_t anchored;		/* anchors checked by finish */

	/* internal */
	int fed, finished;
	char last_where[128];		/* where the last record accepted was */
	int from_start_at, start_seen;
	uint64_t start_seq;
	uint8_t start_hash[TN_AUDIT_HASH_LEN];
	int pending;			/* a chain break or seq jump, judged on the next line */
	uint64_t pend_seq;
	uint8_t pend_hash[TN_AUDIT_HASH_LEN];
	char pend_where[128];
	struct tn_audit_anchor_slot *slots;	/* every anchor, by covers */
	size_t nslots, slots_cap, next_slot;
};

void tn_audit_verify_init(struct tn_audit_verifier *v, const uint8_t *node_key);
/* Start after a known record (seq, hash) instead of at log-start. */
void tn_audit_verify_start_at(struct tn_audit_verifier *v,
			      const uint8_t log_id[TN_AUDIT_LOGID_LEN],
			      uint64_t seq, const uint8_t hash[TN_AUDIT_HASH_LEN]);
/*
 * Any number of anchors (anchors[] shows the first 16), all before the
 * first line; -1 when out of memory or too late. a->source must outlive v.
 */
int tn_audit_verify_add_anchor(struct tn_audit_verifier *v,
			       const struct tn_audit_anchor *a);
/* Frees what add_anchor allocated; v can be inspected until then. */
void tn_audit_verify_free(struct tn_audit_verifier *v);
/*
 * Feeds one line (without its newline; torn = it had none). where names it
 * in errors ("audit-0000000000000000.jsonl:18"). Returns -1 once failed.
 */
int tn_audit_verify_line(struct tn_audit_verifier *v, const char *line,
			 size_t len, int torn, const char *where);
/*
 * Checks the anchors against what was seen; -1 with error on failure.
 * Once finished, later calls return the same answer.
 */
int tn_audit_verify_finish(struct tn_audit_verifier *v);

/*
 * Verifies every segment in dir, in order (uses the functions above), and
 * finishes. After tn_audit_verify_start_at, records before the known one
 * are skipped and the known one must hash as given.
 */
int tn_audit_verify_dir(struct tn_audit_verifier *v, const char *dir);

#endif
