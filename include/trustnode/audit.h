/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The tamper-evident audit log: its on-disk format, its checkpoints, and how
 * a peer fetches it. common/audit_log.h implements it.
 *
 * Files. STATE_DIR/audit/ holds segments named audit-<first seq, %016llu>.jsonl,
 * read in name order. A segment is rotated when it passes the configured
 * size; the chain runs on across segments.
 *
 * Records. One JSON object per line, members in this order:
 *   {"seq":N,"time":"<UTC ISO-8601, microseconds>","type":"<type>",
 *    "prev":"<hex BLAKE2b-256 of the previous record's line>","data":{...}}
 * The hash of a record is BLAKE2b-256 (libsodium crypto_generichash, no key)
 * over the bytes of its line without the newline. seq grows by one from
 * record to record, except right after a repair (below).
 *
 * Record types with a defined "data":
 *   log-start     the first record (seq 0, prev all zero):
 *                 {"log_id":hex(16), "node_key":hex(32) Ed25519 public key}
 *   checkpoint    {"log_id":hex(16), "covers":S, "head":hex(32),
 *                  "signature":hex(64)}: head is the hash of record S, the
 *                 record just before the checkpoint (so head == prev);
 *                 signature is Ed25519 by the node key over
 *                 tn_audit_checkpoint_msg(log_id, S, head).
 *   log-repaired  written after a torn tail was cut at start:
 *                 {"cut_bytes":n, "last_good_seq":S, "skipped_seq":S+1};
 *                 the repair record has seq S+2, so a seq that might have
 *                 been half-written is never used again.
 *   records-lost  {"count":n, "reason":"<sentence>"}: records that could
 *                 not be written (a full disk) while enforcement went on.
 *   anything else an event of the agent (trustctl events lists the types);
 *                 data holds the event's members.
 *
 * TPM anchor. Checkpoints are also measured into the attestation PCR (at a
 * bounded rate), as measurement type "audit-checkpoint" whose digest is
 * SHA-256(tn_audit_checkpoint_msg(...)) and whose detail is
 * "log <log_id> covers <S> head <head>". A verified quote thereby vouches
 * that the log held exactly that head at seq S: truncating or rewriting the
 * log behind that point is detected by anyone who checks the log against it.
 *
 * HTTP. GET /v1/log?since=N[&limit=M] answers
 *   {"log_id":hex, "records":["<line>",...], "next":K, "more":bool,
 *    "checkpoint":"<line of the latest checkpoint>" | null}
 * with records from seq N (whole lines, so hashes can be recomputed), at
 * most M (default and maximum TN_AUDIT_PAGE).
 */
#ifndef TRUSTNODE_AUDIT_H
#define TRUSTNODE_AUDIT_H

#define TN_AUDIT_DIR		"audit"
#define TN_AUDIT_HASH_LEN	32	/* BLAKE2b-256 */
#define TN_AUDIT_LOGID_LEN	16
#define TN_AUDIT_SIG_LEN	64	/* Ed25519 */
#define TN_AUDIT_LINE_MAX	(64 * 1024)
#define TN_AUDIT_PAGE		1000
#define TN_AUDIT_CHECKPOINT_LABEL "trustnode-checkpoint-v1"

/* Defaults of the agent's options. */
#define TN_AUDIT_SEGMENT_BYTES	(16 * 1024 * 1024)
#define TN_AUDIT_CP_RECORDS	1000	/* a checkpoint every N records */
#define TN_AUDIT_CP_SECONDS	60	/* ... or every T seconds */
#define TN_AUDIT_ANCHOR_SECONDS	60	/* at most one PCR extend per T */

#endif
