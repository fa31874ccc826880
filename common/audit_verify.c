// SPDX-License-Identifier: GPL-2.0-only
/*
 * A streaming verifier of the audit log whose errors tell an operator which
 * record was tampered with, where it is, and how: edited, deleted,
 * reordered, spliced, torn, truncated, restarted, or a forged checkpoint.
 * tn_audit_verify_dir reads a log directory through the segment store.
 */
#include <inttypes.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "audit_segments.h"
#include "audit_verify.h"
#include "hex.h"

struct tn_audit_anchor_slot {
	struct tn_audit_anchor a;
	int seen;				/* the record at covers was read */
	uint8_t hash[TN_AUDIT_HASH_LEN];
	char where[128];
};

static const uint8_t zero_hash[TN_AUDIT_HASH_LEN];

/* What the verifier holds back to judge on the next line. */
enum { PEND_NONE, PEND_BREAK, PEND_JUMP };

static int vfail(struct tn_audit_verifier *v, uint64_t seq, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int vfail(struct tn_audit_verifier *v, uint64_t seq, const char *fmt, ...)
{
	va_list ap;

	v->failed = 1;
	v->bad_seq = seq;
	va_start(ap, fmt);
	vsnprintf(v->error, sizeof(v->error), fmt, ap);
	va_end(ap);
	return -1;
}

/* " (audit-0000000000000000.jsonl:7)", or nothing when where is unknown. */
static const char *at(const char *where, char buf[160])
{
	if (!where || !*where)
		return "";
	snprintf(buf, 160, " (%.150s)", where);
	return buf;
}

void tn_audit_verify_init(struct tn_audit_verifier *v, const uint8_t *node_key)
{
	/*
	 * Picks libsodium's fast implementations (idempotent). Verifying needs
	 * no randomness, so a failure (no /dev/urandom) changes nothing here.
	 */
	(void)!sodium_init();
	memset(v, 0, sizeof(*v));
	if (node_key) {
		v->have_key = 1;
		memcpy(v->node_key, node_key, sizeof(v->node_key));
	}
}

void tn_audit_verify_start_at(struct tn_audit_verifier *v,
			      const uint8_t log_id[TN_AUDIT_LOGID_LEN],
			      uint64_t seq, const uint8_t hash[TN_AUDIT_HASH_LEN])
{
	v->started = 1;
	v->have_log_id = 1;
	memcpy(v->log_id, log_id, TN_AUDIT_LOGID_LEN);
	v->next_seq = seq + 1;
	memcpy(v->head, hash, TN_AUDIT_HASH_LEN);
	v->from_start_at = 1;
	v->start_seq = seq;
	memcpy(v->start_hash, hash, TN_AUDIT_HASH_LEN);
}

int tn_audit_verify_add_anchor(struct tn_audit_verifier *v,
			       const struct tn_audit_anchor *a)
{
	struct tn_audit_anchor_slot *s;

	/* The anchors are looked up in covers order while lines are fed. */
	if (v->fed)
		return -1;
	if (v->nslots == v->slots_cap) {
		size_t cap = v->slots_cap ? 2 * v->slots_cap : 16;

		s = realloc(v->slots, cap * sizeof(*s));
		if (!s)
			return -1;
		v->slots = s;
		v->slots_cap = cap;
	}
	s = &v->slots[v->nslots++];
	memset(s, 0, sizeof(*s));
	s->a = *a;
	if (v->nanchors < (int)(sizeof(v->anchors) / sizeof(v->anchors[0])))
		v->anchors[v->nanchors++] = *a;
	return 0;
}

void tn_audit_verify_free(struct tn_audit_verifier *v)
{
	free(v->slots);
	v->slots = NULL;
	v->nslots = v->slots_cap = v->next_slot = 0;
}

static int by_covers(const void *a, const void *b)
{
	const struct tn_audit_anchor_slot *x = a, *y = b;

	return x->a.covers < y->a.covers ? -1 : x->a.covers > y->a.covers;
}

/* Remembers the hash of a record an anchor vouches for. */
static void note_anchor(struct tn_audit_verifier *v, const struct tn_audit_rec *r,
			const char *where)
{
	while (v->next_slot < v->nslots && v->slots[v->next_slot].a.covers < r->seq)
		v->next_slot++;
	for (size_t i = v->next_slot; i < v->nslots && v->slots[i].a.covers == r->seq; i++) {
		v->slots[i].seen = 1;
		memcpy(v->slots[i].hash, r->hash, TN_AUDIT_HASH_LEN);
		snprintf(v->slots[i].where, sizeof(v->slots[i].where), "%s", where ? where : "");
	}
}

static void accept(struct tn_audit_verifier *v, const struct tn_audit_rec *r,
		   const char *where)
{
	v->records++;
	memcpy(v->head, r->hash, TN_AUDIT_HASH_LEN);
	v->next_seq = r->seq + 1;
	snprintf(v->last_where, sizeof(v->last_where), "%s", where ? where : "");
	note_anchor(v, r, where);
}

static int sig_ok(const struct tn_audit_verifier *v, uint64_t covers,
		  const uint8_t head[TN_AUDIT_HASH_LEN],
		  const uint8_t sig[TN_AUDIT_SIG_LEN])
{
	uint8_t msg[TN_AUDIT_CP_MSG_LEN];

	tn_audit_checkpoint_msg(v->log_id, covers, head, msg);
	return v->have_key &&
	       !crypto_sign_verify_detached(sig, msg, sizeof(msg), v->node_key);
}

static int take_start(struct tn_audit_verifier *v, const struct tn_audit_rec *r,
		      const char *where)
{
	char w[160], k1[65], k2[65];
	uint8_t key[32];

	if (strcmp(r->type, "log-start"))
		return vfail(v, r->seq, "the log does not begin with its log-start record: its first line%s is record %" PRIu64 ", a %s record, so the start of the log was deleted",
			     at(where, w), r->seq, r->type);
	if (r->seq)
		return vfail(v, r->seq, "the log-start record%s has seq %" PRIu64 ", not 0: the start of the log was deleted or replaced",
			     at(where, w), r->seq);
	if (memcmp(r->prev, zero_hash, TN_AUDIT_HASH_LEN))
		return vfail(v, 0, "the log-start record%s does not begin a chain (its prev is not all zero): it was spliced in from another log",
			     at(where, w));
	tn_audit_json_hex(r->data, "log_id", v->log_id, TN_AUDIT_LOGID_LEN);
	tn_audit_json_hex(r->data, "node_key", key, sizeof(key));
	if (v->have_key && memcmp(key, v->node_key, sizeof(key))) {
		tn_hex_encode(key, 32, k1);
		tn_hex_encode(v->node_key, 32, k2);
		return vfail(v, 0, "the log-start record%s names node key %s, not the key it is checked with (%s): the log was written by another node or its start was replaced",
			     at(where, w), k1, k2);
	}
	if (!v->have_key) {
		memcpy(v->node_key, key, sizeof(key));
		v->have_key = 1;
		v->key_from_log = 1;
	}
	v->started = 1;
	v->have_log_id = 1;
	accept(v, r, where);
	return 0;
}

/* A record that names its log (log-start, checkpoint) but not this one. */
static int check_spliced(struct tn_audit_verifier *v, const struct tn_audit_rec *r,
			 const char *where)
{
	char w[160], id[33], ours[33];
	uint8_t log_id[TN_AUDIT_LOGID_LEN];

	if (strcmp(r->type, "log-start") && strcmp(r->type, "checkpoint"))
		return 0;
	tn_audit_json_hex(r->data, "log_id", log_id, sizeof(log_id));
	tn_hex_encode(log_id, sizeof(log_id), id);
	tn_hex_encode(v->log_id, sizeof(v->log_id), ours);
	if (!strcmp(r->type, "log-start"))
		return vfail(v, r->seq, "record %" PRIu64 "%s is the log-start record of log %s: a log starts only once, so it was spliced in from another log",
			     r->seq, at(where, w), id);
	if (memcmp(log_id, v->log_id, sizeof(log_id)))
		return vfail(v, r->seq, "checkpoint %" PRIu64 "%s belongs to log %s, not to this log (%s): it was spliced in from another log",
			     r->seq, at(where, w), id, ours);
	return 0;
}

/* A repair skips exactly the one seq that might have been half-written. */
static int check_repair(struct tn_audit_verifier *v, const struct tn_audit_rec *r,
			const char *where)
{
	uint64_t good, skipped, last = v->next_seq - 1;
	char w[160];

	tn_audit_json_u64(r->data, "last_good_seq", &good);
	tn_audit_json_u64(r->data, "skipped_seq", &skipped);
	if (good != last)
		return vfail(v, r->seq, "the log-repaired record %" PRIu64 "%s says the last good record is %" PRIu64 ", but it follows record %" PRIu64 ": the repair is false, records were deleted or reordered behind it",
			     r->seq, at(where, w), good, last);
	if (skipped != good + 1)
		return vfail(v, r->seq, "the log-repaired record %" PRIu64 "%s says it skipped seq %" PRIu64 ", but a repair skips exactly the seq after the last good record, %" PRIu64 ": the repair is false",
			     r->seq, at(where, w), skipped, good + 1);
	if (r->seq != good + 2)
		return vfail(v, r->seq, "the log-repaired record %" PRIu64 "%s must have seq %" PRIu64 " (the last good record, %" PRIu64 ", plus 2): the repair is false",
			     r->seq, at(where, w), good + 2, good);
	v->repairs++;
	return 0;
}

static void set_pending(struct tn_audit_verifier *v, int kind,
			const struct tn_audit_rec *r, const char *where)
{
	v->pending = kind;
	v->pend_seq = r->seq;
	memcpy(v->pend_hash, r->hash, TN_AUDIT_HASH_LEN);
	snprintf(v->pend_where, sizeof(v->pend_where), "%s", where ? where : "");
}

static int reordered(struct tn_audit_verifier *v, uint64_t seq, const char *where,
		     uint64_t after, const char *after_where)
{
	char w[160], w2[160];

	return vfail(v, seq, "record %" PRIu64 "%s comes after record %" PRIu64 "%s: records were reordered",
		     seq, at(where, w), after, at(after_where, w2));
}

/* A forward jump, once the next line did not show the records moved. */
static int deleted(struct tn_audit_verifier *v)
{
	uint64_t next = v->next_seq, last = next - 1, to = v->pend_seq;
	char w[160];

	if (to == next + 1)
		return vfail(v, next, "record %" PRIu64 " is missing: seq jumps from %" PRIu64 " to %" PRIu64 "%s: it was deleted",
			     next, last, to, at(v->pend_where, w));
	return vfail(v, next, "records %" PRIu64 " to %" PRIu64 " are missing: seq jumps from %" PRIu64 " to %" PRIu64 "%s: they were deleted",
		     next, to - 1, last, to, at(v->pend_where, w));
}

/*
 * Going back is reordering. Jumping ahead is deletion, unless the next
 * line brings the skipped record: judged there (resolve_pending).
 */
static int check_seq(struct tn_audit_verifier *v, const struct tn_audit_rec *r,
		     const char *where)
{
	if (!strcmp(r->type, "log-repaired"))
		return check_repair(v, r, where);
	if (r->seq < v->next_seq)
		return reordered(v, r->seq, where, v->next_seq - 1, v->last_where);
	if (r->seq > v->next_seq)
		set_pending(v, PEND_JUMP, r, where);
	return 0;
}

/* The record before a validly signed checkpoint that does not chain to it. */
static int signed_over_prev(struct tn_audit_verifier *v, const struct tn_audit_rec *r)
{
	uint8_t head[TN_AUDIT_HASH_LEN], sig[TN_AUDIT_SIG_LEN];
	uint64_t covers;

	if (strcmp(r->type, "checkpoint"))
		return 0;
	tn_audit_json_u64(r->data, "covers", &covers);
	tn_audit_json_hex(r->data, "head", head, sizeof(head));
	tn_audit_json_hex(r->data, "signature", sig, sizeof(sig));
	return covers + 1 == r->seq && !memcmp(head, r->prev, sizeof(head)) &&
	       sig_ok(v, covers, head, sig);
}

/*
 * Record N does not chain to N-1. Whether N-1 was edited or N was put in
 * from elsewhere shows on the next line: judged there (resolve_pending).
 */
static int chain_break(struct tn_audit_verifier *v, const struct tn_audit_rec *r,
		       const char *where)
{
	char w[160], w2[160];

	if (signed_over_prev(v, r))
		return vfail(v, r->seq - 1, "record %" PRIu64 "%s was edited: checkpoint %" PRIu64 "%s, signed by the node key, vouches for a different record %" PRIu64,
			     r->seq - 1, at(v->last_where, w), r->seq, at(where, w2), r->seq - 1);
	set_pending(v, PEND_BREAK, r, where);
	return 0;
}

static int break_unclear(struct tn_audit_verifier *v)
{
	uint64_t n = v->pend_seq;
	char w[160], w2[160];

	return vfail(v, n, "record %" PRIu64 "%s does not chain to record %" PRIu64 "%s: its prev is not the hash of that line, so record %" PRIu64 " was edited or record %" PRIu64 " replaced",
		     n, at(v->pend_where, w), n - 1, at(v->last_where, w2), n - 1, n);
}

/* The line after a chain break or a jump tells what happened (r: NULL if unreadable). */
static int resolve_pending(struct tn_audit_verifier *v, const struct tn_audit_rec *r,
			   const char *where)
{
	uint64_t n = v->pend_seq;
	char w[160], w2[160], w3[160];

	if (v->pending == PEND_JUMP)
		return r && r->seq < n ? reordered(v, r->seq, where, n, v->pend_where) :
		       deleted(v);
	if (!r || r->seq != n + 1)
		return break_unclear(v);
	if (!memcmp(r->prev, v->pend_hash, TN_AUDIT_HASH_LEN))
		return vfail(v, n - 1, "record %" PRIu64 "%s was edited: record %" PRIu64 "%s does not chain to it (its prev is not the hash of that line)",
			     n - 1, at(v->last_where, w), n, at(v->pend_where, w2));
	return vfail(v, n, "record %" PRIu64 "%s does not belong to this log's chain: neither record %" PRIu64 "%s before it nor record %" PRIu64 "%s after it chains with it, so it was spliced in from another log or rewritten",
		     n, at(v->pend_where, w), n - 1, at(v->last_where, w2), n + 1,
		     at(where, w3));
}

static int check_checkpoint(struct tn_audit_verifier *v, const struct tn_audit_rec *r,
			    const char *where)
{
	uint8_t head[TN_AUDIT_HASH_LEN], sig[TN_AUDIT_SIG_LEN];
	uint64_t covers;
	char w[160];

	tn_audit_json_u64(r->data, "covers", &covers);
	tn_audit_json_hex(r->data, "head", head, sizeof(head));
	tn_audit_json_hex(r->data, "signature", sig, sizeof(sig));
	if (covers + 1 != r->seq)
		return vfail(v, r->seq, "checkpoint %" PRIu64 "%s covers seq %" PRIu64 ", not the record just before it (%" PRIu64 ")",
			     r->seq, at(where, w), covers, r->seq - 1);
	if (memcmp(head, r->prev, sizeof(head)))
		return vfail(v, r->seq, "checkpoint %" PRIu64 "%s has a head that is not its prev: it does not vouch for the record before it",
			     r->seq, at(where, w));
	if (!v->have_key)
		return vfail(v, r->seq, "checkpoint %" PRIu64 "%s cannot be checked: no node key was given and the log-start record was not read",
			     r->seq, at(where, w));
	if (!sig_ok(v, covers, head, sig))
		return vfail(v, r->seq, "checkpoint %" PRIu64 "%s has a bad signature: it was not made by %s, so it was forged or altered",
			     r->seq, at(where, w), v->key_from_log ?
			     "the key the log-start record names" : "the node key");
	v->checkpoints++;
	v->have_checkpoint = 1;
	v->cp_covers = covers;
	memcpy(v->cp_head, head, sizeof(head));
	return 0;
}

static int take_next(struct tn_audit_verifier *v, const struct tn_audit_rec *r,
		     const char *where)
{
	uint64_t n;

	if (check_spliced(v, r, where) || check_seq(v, r, where))
		return -1;
	if (v->pending)
		return 0;
	if (memcmp(r->prev, v->head, TN_AUDIT_HASH_LEN))
		return chain_break(v, r, where);
	if (!strcmp(r->type, "checkpoint") && check_checkpoint(v, r, where))
		return -1;
	if (!strcmp(r->type, "records-lost") && !tn_audit_json_u64(r->data, "count", &n))
		v->lost += n;
	accept(v, r, where);
	return 0;
}

static int line_unusable(struct tn_audit_verifier *v, const char *where,
			 int torn, const char *why)
{
	char w[160];

	if (v->pending)
		return resolve_pending(v, NULL, where);
	if (torn && !v->started)
		return vfail(v, 0, "the log's first line%s is torn: it has no newline, so it was cut short while being written",
			     at(where, w));
	if (torn)
		return vfail(v, v->next_seq, "record %" PRIu64 "%s is torn: its line has no newline, so it was cut short while being written (trustnoded cuts a torn tail and records log-repaired when it next starts)",
			     v->next_seq, at(where, w));
	if (!v->started)
		return vfail(v, 0, "the log's first line%s cannot be read: %s", at(where, w), why);
	return vfail(v, v->next_seq, "record %" PRIu64 "%s cannot be read: %s",
		     v->next_seq, at(where, w), why);
}

int tn_audit_verify_line(struct tn_audit_verifier *v, const char *line,
			 size_t len, int torn, const char *where)
{
	struct tn_audit_rec r;
	struct tn_err err;
	int ret;

	if (v->failed)
		return -1;
	if (v->finished)
		return vfail(v, v->next_seq, "a line was fed to the verifier after it finished");
	if (!v->fed && v->nslots)
		qsort(v->slots, v->nslots, sizeof(*v->slots), by_covers);
	v->fed = 1;
	if (torn)
		return line_unusable(v, where, 1, NULL);
	if (tn_audit_parse(line, len, &r, &err))
		return line_unusable(v, where, 0, err.msg);
	if (v->pending)
		ret = resolve_pending(v, &r, where);
	else if (!v->started)
		ret = take_start(v, &r, where);
	else
		ret = take_next(v, &r, where);
	tn_audit_rec_free(&r);
	return ret;
}

static int check_anchor(struct tn_audit_verifier *v,
			const struct tn_audit_anchor_slot *s)
{
	const char *src = s->a.source ? s->a.source : "an anchor";
	uint64_t last = v->next_seq - 1, covers = s->a.covers;
	char id[33], theirs[33], w[160];

	if (memcmp(s->a.log_id, v->log_id, TN_AUDIT_LOGID_LEN)) {
		tn_hex_encode(v->log_id, TN_AUDIT_LOGID_LEN, id);
		tn_hex_encode(s->a.log_id, TN_AUDIT_LOGID_LEN, theirs);
		return vfail(v, 0, "log id %s is not %s, the one %s vouches for: the log was deleted and started anew",
			     id, theirs, src);
	}
	if (v->from_start_at && covers <= v->start_seq) {
		/* Before where verification began: only the start is known. */
		if (covers == v->start_seq &&
		    memcmp(v->start_hash, s->a.head, TN_AUDIT_HASH_LEN))
			return vfail(v, covers, "record %" PRIu64 " is not the one %s vouches for: the log was rewritten",
				     covers, src);
		v->anchored += covers == v->start_seq;
		return 0;
	}
	if (covers > last)
		return vfail(v, covers, "the log ends at seq %" PRIu64 ", before seq %" PRIu64 " which %s vouches for: it was truncated",
			     last, covers, src);
	if (!s->seen)
		return vfail(v, covers, "record %" PRIu64 ", which %s vouches for, is not in the log: a log-repaired record skipped its seq, so the log was rewritten",
			     covers, src);
	if (memcmp(s->hash, s->a.head, TN_AUDIT_HASH_LEN))
		return vfail(v, covers, "record %" PRIu64 "%s is not the one %s vouches for: the log was rewritten",
			     covers, at(s->where, w), src);
	v->anchored++;
	return 0;
}

int tn_audit_verify_finish(struct tn_audit_verifier *v)
{
	if (v->finished || v->failed) {
		v->finished = 1;
		return v->failed ? -1 : 0;
	}
	v->finished = 1;
	if (v->pending)
		return resolve_pending(v, NULL, NULL);
	if (!v->started)
		return vfail(v, 0, "the log is empty: it has no log-start record");
	for (size_t i = 0; i < v->nslots; i++)
		if (check_anchor(v, &v->slots[i]))
			return -1;
	return 0;
}

/*
 * After tn_audit_verify_start_at: 1 for a line before the known record
 * (skipped), after checking that the known one is the one given.
 */
static int before_start(struct tn_audit_verifier *v, const char *line,
			size_t len, const char *where)
{
	struct tn_audit_rec r;
	struct tn_err err;
	char w[160];
	int skip;

	if (!v->from_start_at || v->records || v->pending ||
	    tn_audit_parse(line, len, &r, &err))
		return 0;
	skip = r.seq <= v->start_seq;
	if (r.seq == v->start_seq) {
		v->start_seen = 1;
		if (memcmp(r.hash, v->start_hash, TN_AUDIT_HASH_LEN))
			skip = vfail(v, r.seq, "record %" PRIu64 "%s is not the record verification started from: the log was rewritten",
				     r.seq, at(where, w));
	}
	tn_audit_rec_free(&r);
	return skip;
}

/* One line of the log directory, from the segment store. */
static int verify_stored_line(void *ctx, const struct tn_audit_line *l)
{
	struct tn_audit_verifier *v = ctx;
	char where[160];

	tn_audit_line_where(l, where, sizeof(where));
	if (l->torn && l->next)
		return vfail(v, v->next_seq, "record %" PRIu64 " (%s) has no newline, yet segment %s follows it: the segment was cut short",
			     v->next_seq, where, l->next);
	if (!before_start(v, l->text, l->len, where))
		tn_audit_verify_line(v, l->text, l->len, l->torn, where);
	return v->failed ? -1 : 0;
}

int tn_audit_verify_dir(struct tn_audit_verifier *v, const char *dir)
{
	struct tn_err err;
	int n = 0;

	if (v->failed)
		return -1;
	if (tn_audit_read_log(dir, 0, TN_AUDIT_SETTLE, verify_stored_line, v,
			      &n, &err) && !v->failed)
		vfail(v, v->next_seq, "%s", err.msg);
	if (!v->failed && !n)
		vfail(v, 0, "%s holds no audit log segments (audit-<seq>.jsonl): the log was deleted or never written",
		      dir);
	if (!v->failed && v->from_start_at && !v->start_seen)
		vfail(v, v->start_seq, "record %" PRIu64 ", where verification started, is not in %s: the log was truncated or rewritten",
		      v->start_seq, dir);
	if (v->failed) {
		v->finished = 1;
		return -1;
	}
	return tn_audit_verify_finish(v);
}
