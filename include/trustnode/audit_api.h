/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The tamper-evident audit log: its on-disk format, its checkpoints, and how
 * a peer fetches it. common/audit_record.h, audit_segments.h and
 * audit_verify.h implement it.
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
 * HTTP: the log is for enrolled peers only. A reader proves that it holds
 * the identity key of a node that this node has enrolled
 * (STATE_DIR/peers/NAME.json pins it) by signing a fresh, single-use
 * challenge this node issued:
 *
 *   GET /v1/log/challenge
 *       {"challenge":hex(32), "expires_in":TN_LOG_CHALLENGE_TTL_S}
 *       32 random bytes, accepted once, within TN_LOG_CHALLENGE_TTL_S
 *       seconds; the node remembers at most TN_LOG_CHALLENGES (the oldest
 *       is forgotten first). Unauthenticated: a challenge is not a secret.
 *
 *   GET /v1/log?since=N&limit=M&challenge=HEX&peer=HEX&sig=HEX
 *       since defaults to 0, limit to TN_AUDIT_PAGE (its maximum);
 *       challenge as issued (32 bytes), peer the reader's Ed25519 identity
 *       public key (32 bytes), sig its Ed25519 signature (64 bytes) over
 *       tn_log_read_msg (common/log_auth.h):
 *         "trustnode-log-read-v1" NUL || challenge || this node's identity
 *         key || the reader's key || since (8 bytes BE) || limit (8 bytes BE)
 *       with since and limit as the node reads them (defaults filled in).
 *       The node accepts only a challenge it issued, unused and unexpired
 *       (it is used up by this request whatever its outcome), a signature
 *       that verifies, and a key pinned by one of its enrolled peers.
 *       Anything else is a 401 {"error":"<why>"} with no records; a request
 *       the front finds malformed is a 400 and never reaches the agent.
 *       Refusals are counted (trustctl status: attestation.log_reads), not
 *       recorded one by one; a "log-reads" record sums up reads served and
 *       refused, at most once per TN_LOG_SUMMARY_S.
 *     answers
 *       {"log_id":hex, "records":["<line>",...], "next":K, "more":bool,
 *        "reader":"<the name this node enrolled the reader under>"}
 *       with the records from seq N on (whole lines, so hashes can be
 *       recomputed), at most M of them and at most TN_AUDIT_PAGE_BYTES once
 *       encoded as JSON strings; next is the seq after the last one sent
 *       (N when none), more says whether records from next on exist now.
 *       Only records already on disk are sent.
 *     The signature binds the challenge (no replay), this node's key (a
 *     challenge answered for another node is worthless here) and the page.
 *     It authenticates the request only: plain HTTP gives the answer no
 *     confidentiality and no integrity of its own (the reader verifies the
 *     records by their chain, the checkpoints and the TPM's anchors).
 */
#ifndef TRUSTNODE_AUDIT_API_H
#define TRUSTNODE_AUDIT_API_H

#define TN_AUDIT_DIR		"audit"
#define TN_AUDIT_HASH_LEN	32	/* BLAKE2b-256 */
#define TN_AUDIT_LOGID_LEN	16
#define TN_AUDIT_SIG_LEN	64	/* Ed25519 */
#define TN_AUDIT_LINE_MAX	(64 * 1024)
#define TN_AUDIT_PAGE		1000
#define TN_AUDIT_CHECKPOINT_LABEL "trustnode-checkpoint-v1"
/* A page's bound as JSON: well under the HTTP front's 1 MiB reply limit. */
#define TN_AUDIT_PAGE_BYTES	(512 * 1024)

/* Reading the log over HTTP (above). */
#define TN_LOG_READ_LABEL	"trustnode-log-read-v1"
#define TN_LOG_CHALLENGE_LEN	32
#define TN_LOG_CHALLENGE_TTL_S	30
#define TN_LOG_CHALLENGES	64
#define TN_LOG_SUMMARY_S	60

/* Defaults of the agent's options. */
#define TN_AUDIT_SEGMENT_BYTES	(16 * 1024 * 1024)
#define TN_AUDIT_CP_RECORDS	1000	/* a checkpoint every N records */
#define TN_AUDIT_CP_SECONDS	60	/* ... or every T seconds */
#define TN_AUDIT_ANCHOR_SECONDS	60	/* at most one PCR extend per T */

#endif
