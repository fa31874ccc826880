// SPDX-License-Identifier: GPL-2.0-only
/*
 * The event log sent with a quote is the one quoted (attest_verify.h: the
 * event-log, checkpoint and history checks): a prefix of it replays to the
 * quoted PCR digest from zero, from this verifier's position or from a
 * signed checkpoint, each entry is of a known type, and the running PCR,
 * chain and summary match what was judged before and what each checkpoint
 * states. Kept apart from the quote's own checks (attest_verify.c) and from
 * judging the software and policy it shows (attest_verify_judge.c).
 */
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "attest_verify_int.h"
#include "audit_record.h"
#include "hex.h"
#include "proto.h"
#include "trustnode/attest_api.h"

/* The quoted PCRs and the values the response claims for them. */
static int quoted_values(json_object *resp, const TPMS_ATTEST *at,
			 unsigned *pcrs, uint8_t (*vals)[32], size_t *n,
			 struct tn_err *err)
{
	const TPML_PCR_SELECTION *sel = &at->attested.quote.pcrSelect;
	json_object *values;

	*n = 0;
	/* check_pcr has refused any other selection; kept for safety. */
	if (sel->count != 1 || sel->pcrSelections[0].hash != TPM2_ALG_SHA256)
		return tn_fail(err, "the quote does not select exactly the sha256 bank");
	if (!json_object_object_get_ex(resp, "pcr_values", &values))
		return tn_fail(err, "the response has no pcr_values");
	for (unsigned pcr = 0; pcr < 8u * sel->pcrSelections[0].sizeofSelect &&
	     pcr < MAX_QUOTE_PCRS; pcr++) {
		char key[8];
		size_t len;

		if (!(sel->pcrSelections[0].pcrSelect[pcr / 8] & (1u << (pcr % 8))))
			continue;
		snprintf(key, sizeof(key), "%u", pcr);
		if (tn_get_hex(values, key, vals[*n], 32, &len, err) || len != 32)
			return tn_fail(err, "pcr_values has no 32-byte value for quoted PCR %u", pcr);
		pcrs[(*n)++] = pcr;
	}
	return 0;
}

/*
 * Replays the log prefix by prefix from start (the PCR value before the
 * first entry sent) and returns how many entries make the quoted digest
 * (the log may run ahead of the quote), or -1.
 */
static long replay_to_quote(json_object *log, const TPMS_ATTEST *at,
			    const unsigned *pcrs, uint8_t (*vals)[32],
			    size_t n, unsigned pcr, const uint8_t start[TN_DIGEST_LEN],
			    size_t from, struct tn_err *err)
{
	size_t slot = n, len = json_object_array_length(log);
	uint8_t value[TN_DIGEST_LEN];
	struct tn_err ignore;

	memcpy(value, start, TN_DIGEST_LEN);
	for (size_t i = 0; i < n; i++)
		if (pcrs[i] == pcr)
			slot = i;
	if (slot == n)
		return tn_fail(err, "the quote does not cover the measurement PCR %u", pcr);
	for (size_t k = 0; k <= len; k++) {
		struct tn_measurement m;

		if (k > 0) {
			if (tn_measurement_parse(json_object_array_get_idx(log, k - 1),
						 &m, err))
				return -1;
			tn_pcr_extend_sw(value, m.digest);
		}
		memcpy(vals[slot], value, TN_DIGEST_LEN);
		if (!tpmv_check_pcr_digest(at, pcrs, (const uint8_t (*)[32])vals,
					   n, &ignore))
			return (long)k;
	}
	return tn_fail(err, "no prefix of the event log (%zu entries from entry %zu) replays to the quoted PCR digest: the log was altered, or something else extended PCR %u",
		       len, from, pcr);
}

/*
 * Every entry is of a known type and, where its digest is fixed by its
 * detail (seal, audit checkpoint), consistent with it: the PCR binds only
 * digests, so this is what stops a peer from relabelling an entry it would
 * rather not have judged (a loosened policy passed off as a checkpoint).
 */
static int check_entries(json_object *log, size_t used, struct tn_err *err)
{
	uint8_t seal[TN_DIGEST_LEN];
	char what[700];

	SHA256((const unsigned char *)TN_SEAL_TEXT, strlen(TN_SEAL_TEXT), seal);
	for (size_t i = 0; i < used; i++) {
		struct tn_measurement m;
		struct tn_audit_anchor a;
		struct tn_err e;

		if (tn_measurement_parse(json_object_array_get_idx(log, i), &m, err))
			return -1;
		tn_describe(&m, what, sizeof(what));
		if (!strcmp(m.type, TN_MEASURE_POLICY) || tn_is_software_measurement(m.type))
			continue;
		if (!strcmp(m.type, TN_MEASURE_WEAKENING)) {
			uint8_t d[TN_DIGEST_LEN];

			SHA256((const unsigned char *)m.detail, strlen(m.detail), d);
			if (memcmp(m.digest, d, TN_DIGEST_LEN))
				return tn_fail(err, "%s: a weakening's digest must be SHA-256 of its detail", what);
		} else if (!strcmp(m.type, TN_MEASURE_SEAL)) {
			if (memcmp(m.digest, seal, TN_DIGEST_LEN))
				return tn_fail(err, "%s claims to be the seal, but its digest is not the seal's", what);
		} else if (!strcmp(m.type, TN_MEASURE_LOGCP)) {
			/* Checked against its text by walk_log/log_start. */
		} else if (!strcmp(m.type, TN_MEASURE_CHECKPOINT)) {
			if (tn_audit_anchor_parse(m.detail, m.digest, &a, &e))
				return tn_fail(err, "%s: %s", what, e.msg);
		} else {
			return tn_fail(err, "%s has a type this verifier does not know; refused rather than ignored",
				       what);
		}
	}
	return 0;
}

/*
 * A checkpoint {"text","sig"}: signed by the pinned identity key, of the
 * quote's boot, with a summary that holds everything. Fills cp and the
 * digest its entry must carry; -1 with err.
 */
static int verified_checkpoint(const struct tn_peer *p, json_object *c,
			       const struct tn_verdict *v, struct tn_log_checkpoint *cp,
			       uint8_t digest[TN_DIGEST_LEN], struct tn_err *err)
{
	const char *text = tn_json_str(c, "text");
	uint8_t sig[64];
	size_t n;

	if (!text || tn_hex_decode(tn_json_str(c, "sig"), sig, sizeof(sig), &n,
				   "checkpoint signature", err) || n != sizeof(sig))
		return tn_fail(err, "a checkpoint needs its text and a 64-byte signature");
	if (tn_log_checkpoint_verify(text, p->idkey, sig))
		return tn_fail(err, "the checkpoint's signature does not verify with the pinned identity key");
	if (tn_log_checkpoint_parse(text, cp, err))
		return -1;
	if (cp->reset_count != v->reset_count)
		return tn_fail(err, "the checkpoint of entry %llu is of another boot (TPM reset count %u, the quote's is %u)",
			       (unsigned long long)cp->index, cp->reset_count, v->reset_count);
	if (cp->summary.overflow)
		return tn_fail(err, "the checkpoint of entry %llu says its summary overflowed (more than %d distinct judged measurements): it cannot vouch for the entries before it",
			       (unsigned long long)cp->index, TN_LOG_SUMMARY_MAX);
	tn_log_checkpoint_digest(text, digest);
	return 0;
}

/*
 * The digests of the texts in "checkpoints", hashed once (a peer could
 * otherwise make each checkpoint entry rehash them all); NULL when none.
 */
static uint8_t (*sent_digests(json_object *resp, size_t *n))[TN_DIGEST_LEN]
{
	uint8_t (*d)[TN_DIGEST_LEN];
	json_object *cps;
	size_t len;

	*n = 0;
	if (!json_object_object_get_ex(resp, "checkpoints", &cps) ||
	    !json_object_is_type(cps, json_type_array))
		return NULL;
	len = json_object_array_length(cps);
	if (len > TN_QUOTE_TAIL_MAX_ENTRIES)
		len = TN_QUOTE_TAIL_MAX_ENTRIES;
	d = calloc(len ? len : 1, TN_DIGEST_LEN);
	if (!d)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		const char *text = tn_json_str(json_object_array_get_idx(cps, i), "text");

		/* An unusable member gets a digest no entry can carry. */
		if (text && strlen(text) <= TN_LOG_CP_MAX)
			tn_log_checkpoint_digest(text, d[i]);
	}
	*n = len;
	return d;
}

/* The member of "checkpoints" whose text has digest d, or NULL. */
static json_object *sent_checkpoint(json_object *resp, uint8_t (*table)[TN_DIGEST_LEN],
				    size_t n, const uint8_t d[TN_DIGEST_LEN])
{
	static const uint8_t zero[TN_DIGEST_LEN];

	if (!memcmp(d, zero, TN_DIGEST_LEN))
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (!memcmp(table[i], d, TN_DIGEST_LEN))
			return json_object_array_get_idx(json_object_object_get(resp, "checkpoints"), i);
	return NULL;
}

/* The running values of the log: PCR, chain and summary. */
struct walk {
	uint8_t pcr[TN_DIGEST_LEN], chain[TN_DIGEST_LEN];
	struct tn_log_summary sum;
};

/*
 * Walks the k entries sent (from entry from) that explain the quote: at
 * this verifier's position K (same boot) the running values must be those
 * it judged (history); each checkpoint entry on the way must state the
 * running values and summary the entries before it make (checkpoint). w
 * holds the values at the start and, after, at the end. -1: noted.
 */
static int walk_log(const struct tn_peer *p, json_object *resp, json_object *log,
		    size_t k, size_t from, int caught, int skip_first,
		    struct walk *w, struct tn_verdict *v)
{
	size_t K = caught ? p->seen_entries : 0, ntable;
	uint8_t (*table)[TN_DIGEST_LEN] = sent_digests(resp, &ntable);
	char when[64], why[700];
	struct tn_err e;
	int ret = -1;

	tn_when_seen(p, when, sizeof(when));
	for (size_t i = 0; i <= k; i++) {
		size_t abs = from + i;
		struct tn_log_checkpoint cp;
		struct tn_measurement m;
		uint8_t d[TN_DIGEST_LEN];
		json_object *c;

		if (caught && abs == K && from < K) {
			if (memcmp(w->chain, p->seen_chain, TN_DIGEST_LEN) ||
			    memcmp(w->pcr, p->seen_pcr, TN_DIGEST_LEN)) {
				tn_note(v, "history", 0, "the first %zu entries of the log are not the ones this verifier judged at %s in this boot (TPM reset count %u): the log was rewritten",
					K, when, v->reset_count);
				goto out;
			}
			if (tn_log_summary_cmp(&p->seen_summary, "what this verifier judged",
					       &w->sum, "the log sent", why, sizeof(why))) {
				tn_note(v, "history", 0, "up to entry %zu, judged at %s: %s: the log was rewritten",
					K, when, why);
				goto out;
			}
		}
		if (i == k)
			break;
		tn_measurement_parse(json_object_array_get_idx(log, i), &m, &e);
		if (!strcmp(m.type, TN_MEASURE_LOGCP) && !(i == 0 && skip_first)) {
			c = sent_checkpoint(resp, table, ntable, m.digest);
			if (!c) {
				tn_note(v, "checkpoint", 0, "entry %zu is a checkpoint whose text was not sent", abs);
				goto out;
			}
			if (verified_checkpoint(p, c, v, &cp, d, &e)) {
				tn_note(v, "checkpoint", 0, "entry %zu: %s", abs, e.msg);
				goto out;
			}
			if (cp.index != abs || memcmp(cp.pcr, w->pcr, TN_DIGEST_LEN) ||
			    memcmp(cp.chain, w->chain, TN_DIGEST_LEN)) {
				tn_note(v, "checkpoint", 0, "the checkpoint at entry %zu claims entry %llu and PCR or chain values that the entries before it do not make",
					abs, (unsigned long long)cp.index);
				goto out;
			}
			if (tn_log_summary_cmp(&w->sum, "the entries before it",
					       &cp.summary, "the checkpoint", why, sizeof(why))) {
				tn_note(v, "checkpoint", 0, "the checkpoint at entry %zu lies about the log before it: %s",
					abs, why);
				goto out;
			}
		}
		tn_pcr_extend_sw(w->pcr, m.digest);
		tn_log_chain_step(w->chain, &m);
		tn_log_summary_add(&w->sum, abs, &m);
	}
	if (w->sum.overflow) {
		tn_note(v, "checkpoint", 0, "this boot's log has more than %d distinct judged measurements: this verifier cannot keep its summary; re-enrol after the peer's next reboot",
			TN_LOG_SUMMARY_MAX);
		goto out;
	}
	ret = 0;
out:
	free(table);
	return ret;
}

/*
 * Where the entries sent start, and the running values there: zero at
 * entry 0, this verifier's own at its position, or a checkpoint's. A
 * checkpoint after this verifier's position must keep every measurement
 * judged then. Returns 0, or -1 (noted).
 */
static int log_start(const struct tn_peer *p, json_object *resp, json_object *log,
		     size_t from, int caught, struct walk *w, int *from_cp,
		     struct tn_verdict *v)
{
	struct tn_log_checkpoint cp;
	struct tn_measurement m;
	uint8_t d[TN_DIGEST_LEN];
	char why[700];
	json_object *c;
	struct tn_err e;

	memset(w, 0, sizeof(*w));
	*from_cp = 0;
	if (from == 0)
		return 0;
	if (caught && from == p->seen_entries) {
		memcpy(w->pcr, p->seen_pcr, TN_DIGEST_LEN);
		memcpy(w->chain, p->seen_chain, TN_DIGEST_LEN);
		w->sum = p->seen_summary;
		return 0;
	}
	if (!json_object_object_get_ex(resp, "checkpoint", &c)) {
		tn_note(v, "checkpoint", 0, "the log sent starts at entry %zu, which is not where this verifier stands, and no checkpoint vouches for the entries before it",
			from);
		return -1;
	}
	if (verified_checkpoint(p, c, v, &cp, d, &e)) {
		tn_note(v, "checkpoint", 0, "%s", e.msg);
		return -1;
	}
	if (cp.index != from || json_object_array_length(log) == 0 ||
	    tn_measurement_parse(json_object_array_get_idx(log, 0), &m, &e) ||
	    strcmp(m.type, TN_MEASURE_LOGCP) || memcmp(m.digest, d, TN_DIGEST_LEN)) {
		tn_note(v, "checkpoint", 0, "the checkpoint (of entry %llu) is not the first entry sent (entry %zu): it is not measured where it claims",
			(unsigned long long)cp.index, from);
		return -1;
	}
	/* What this verifier judged before must all be in it, unchanged. */
	if (caught && from > p->seen_entries) {
		for (int i = 0; i < p->seen_summary.n; i++) {
			const struct tn_log_item *x = &p->seen_summary.item[i];
			const struct tn_log_item *y = tn_log_summary_find(&cp.summary, x->type, x->digest);
			char hex[2 * TN_DIGEST_LEN + 1];

			tn_hex_encode(x->digest, TN_DIGEST_LEN, hex);
			if (!y || y->first != x->first || y->count < x->count || y->last < x->last) {
				snprintf(why, sizeof(why), "it %s %s %.16s… (\"%.60s\", first at entry %llu), which this verifier judged",
					 y ? "changes" : "omits", x->type, hex, x->detail,
					 (unsigned long long)x->first);
				tn_note(v, "checkpoint", 0, "the checkpoint at entry %zu lies about the log before it: %s",
					from, why);
				return -1;
			}
		}
	}
	memcpy(w->pcr, cp.pcr, TN_DIGEST_LEN);
	memcpy(w->chain, cp.chain, TN_DIGEST_LEN);
	w->sum = cp.summary;
	*from_cp = 1;
	tn_note(v, "checkpoint", 1, "the log sent starts at the checkpoint of entry %zu, signed by the pinned identity key and measured there; the %zu entries before it are judged by its summary (%d distinct measurements), as the node states them",
		from, from, cp.summary.n);
	return 0;
}

/*
 * The event-log, checkpoint and history checks of a quote whose signature,
 * nonce, clock and PCR selection have passed, then the judgement of what
 * the log shows (attest_verify_judge.c).
 */
void tn_verify_log(const struct tn_peer *p, json_object *resp,
		   const TPMS_ATTEST *at, int mode, struct tn_verdict *v)
{
	uint8_t vals[MAX_QUOTE_PCRS][32];
	unsigned pcrs[MAX_QUOTE_PCRS];
	json_object *log;
	struct tn_err e;
	struct walk *w = NULL;
	struct tn_log_summary *start_sum = NULL;
	struct tn_measurement *fresh = NULL;
	size_t n, nfresh = 0;
	long long from = 0;
	uint64_t judge_from;
	int caught, from_cp = 0;
	long used;

	if (!json_object_object_get_ex(resp, "event_log", &log) ||
	    !json_object_is_type(log, json_type_array)) {
		tn_note(v, "event-log", 0, "the response has no event log");
		goto out;
	}
	if (quoted_values(resp, at, pcrs, vals, &n, &e)) {
		tn_note(v, "event-log", 0, "%s", e.msg);
		goto out;
	}
	if (json_object_object_get_ex(resp, "log_from", NULL) &&
	    (tn_json_int(resp, "log_from", &from) || from < 0 || from >= (1LL << 62))) {
		tn_note(v, "event-log", 0, "the response's log_from is not an entry index");
		goto out;
	}
	caught = mode != TN_VERIFY_ENROL && p->have_log_seen &&
		 p->seen_reset_count == v->reset_count;
	w = malloc(sizeof(*w));
	start_sum = malloc(sizeof(*start_sum));
	if (!w || !start_sum) {
		tn_note(v, "event-log", 0, "out of memory");
		goto out;
	}
	if (log_start(p, resp, log, (size_t)from, caught, w, &from_cp, v))
		goto out;
	*start_sum = w->sum;
	used = replay_to_quote(log, at, pcrs, vals, n, p->pcr, w->pcr, (size_t)from, &e);
	if (used < 0 || check_entries(log, (size_t)used, &e)) {
		tn_note(v, "event-log", 0, "%s", e.msg);
		goto out;
	}
	v->log_from = (size_t)from;
	v->from_checkpoint = from_cp;
	v->log_used = (size_t)from + used;
	v->log_total = (size_t)from + json_object_array_length(log);
	tn_note(v, "event-log", 1, "%ld event log entries (%lld..%zu of this boot) replay to the quoted PCR %u%s",
		used, from, v->log_used, p->pcr,
		from_cp ? " from the checkpoint's PCR value" : from ? " from the PCR value this verifier judged" : "");
	if (caught && p->seen_entries > v->log_used) {
		char when[64];

		tn_when_seen(p, when, sizeof(when));
		tn_note(v, "history", 0, "the quoted log holds %zu entries, but this verifier judged %llu of this boot (TPM reset count %u) at %s: the log was replaced, or the PCR reset, within the boot",
			v->log_used, (unsigned long long)p->seen_entries, v->reset_count, when);
		goto out;
	}
	if (walk_log(p, resp, log, (size_t)used, (size_t)from, caught, from_cp, w, v))
		goto out;
	memcpy(v->seen_pcr, w->pcr, TN_DIGEST_LEN);
	memcpy(v->seen_chain, w->chain, TN_DIGEST_LEN);
	v->seen_summary = w->sum;
	if (!caught)
		tn_note(v, "history", 1, "%s: all %zu entries of this boot are judged%s",
			mode == TN_VERIFY_ENROL || !p->have_log_seen ? "no earlier log of this peer was judged" :
			"a new boot", v->log_used,
			from_cp ? " (those before the checkpoint by its summary)" : "");
	else if ((size_t)from > p->seen_entries)
		tn_note(v, "history", 1, "this verifier judged %llu entries; the log sent starts at a later checkpoint (entry %lld), which keeps every measurement judged then; %zu entries are judged, those before the checkpoint by its summary",
			(unsigned long long)p->seen_entries, from, v->log_used - p->seen_entries);
	else
		tn_note(v, "history", 1, "extends the %llu entries judged before; %llu new entries are judged",
			(unsigned long long)p->seen_entries,
			(unsigned long long)(v->log_used - p->seen_entries));
	if (v->checks && !from_cp)
		tn_note(v, "checkpoint", 1, "every checkpoint entry sent states the log before it truthfully");
	judge_from = caught ? p->seen_entries : 0;
	fresh = calloc(start_sum->n + (size_t)used + 1, sizeof(*fresh));
	if (!fresh) {
		tn_note(v, "policy", 0, "out of memory");
		goto out;
	}
	if (from_cp && (uint64_t)from > judge_from) {
		for (int i = 0; i < start_sum->n; i++) {
			const struct tn_log_item *it = &start_sum->item[i];
			struct tn_measurement *m = &fresh[nfresh];

			if (strcmp(it->type, TN_MEASURE_POLICY) && strcmp(it->type, TN_MEASURE_WEAKENING))
				continue;
			if (caught && it->last < judge_from &&
			    tn_log_summary_find(&p->seen_summary, it->type, it->digest))
				continue;
			m->seq = it->last;
			m->time = it->time;
			snprintf(m->type, sizeof(m->type), "%s", it->type);
			snprintf(m->detail, sizeof(m->detail), "%s", it->detail);
			memcpy(m->digest, it->digest, TN_DIGEST_LEN);
			nfresh++;
		}
	}
	for (long i = 0; i < used; i++) {
		if ((uint64_t)from + i < judge_from)
			continue;
		tn_measurement_parse(json_object_array_get_idx(log, i), &fresh[nfresh], &e);
		if (!strcmp(fresh[nfresh].type, TN_MEASURE_POLICY) ||
		    !strcmp(fresh[nfresh].type, TN_MEASURE_WEAKENING))
			nfresh++;
	}
	tn_judge_log(p, resp, &w->sum, fresh, nfresh, (size_t)judge_from, mode, v);
out:
	free(fresh);
	free(w);
	free(start_sum);
}
