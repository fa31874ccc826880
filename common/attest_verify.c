// SPDX-License-Identifier: GPL-2.0-only
#include <openssl/sha.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "attest_verify.h"
#include "audit_record.h"
#include <sodium.h>
#include "hex.h"
#include "http.h"
#include "proto.h"
#include "tpm_verify.h"
#include "trustnode/attest_api.h"

#define MAX_QUOTE_PCRS 24

static void note(struct tn_verdict *v, const char *check, int ok,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Records one check; the first failure becomes the verdict. */
static void note(struct tn_verdict *v, const char *check, int ok,
		 const char *fmt, ...)
{
	json_object *o = json_object_new_object();
	char detail[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	json_object_object_add(o, "check", json_object_new_string(check));
	json_object_object_add(o, "ok", json_object_new_boolean(ok));
	json_object_object_add(o, "detail", json_object_new_string(detail));
	json_object_array_add(v->checks, o);
	if (!ok && v->ok) {
		v->ok = 0;
		snprintf(v->check, sizeof(v->check), "%s", check);
		snprintf(v->reason, sizeof(v->reason), "%s", detail);
	}
}

static int get_hex(json_object *resp, const char *key, uint8_t *out,
		   size_t max, size_t *len, struct tn_err *err)
{
	return tn_hex_decode(tn_json_str(resp, key), out, max, len, key, err);
}

static int digest_in(const uint8_t d[TN_DIGEST_LEN],
		     const uint8_t (*set)[TN_DIGEST_LEN], int n)
{
	for (int i = 0; i < n; i++)
		if (!memcmp(d, set[i], TN_DIGEST_LEN))
			return 1;
	return 0;
}

int tn_is_software_measurement(const char *type)
{
	return !strcmp(type, TN_MEASURE_AGENT) || !strcmp(type, TN_MEASURE_BPF) ||
	       !strcmp(type, TN_MEASURE_MODULE);
}

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
		if (get_hex(values, key, vals[*n], 32, &len, err) || len != 32)
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

/* "entry 12 (policy 3fa2c1d09e8b7a65…, "name", measured 2026-12-02 13:55:01 UTC by the peer's clock)" */
static void describe(const struct tn_measurement *m, char *out, size_t n)
{
	char hex[2 * TN_DIGEST_LEN + 1], when[64] = "no time given";
	time_t t = (time_t)m->time;
	struct tm tm;

	tn_hex_encode(m->digest, TN_DIGEST_LEN, hex);
	if (m->time && gmtime_r(&t, &tm))
		strftime(when, sizeof(when), "measured %Y-%m-%d %H:%M:%S UTC by the peer's clock", &tm);
	snprintf(out, n, "entry %llu (%s %.16s…, \"%.80s\", %s)",
		 (unsigned long long)m->seq, m->type, hex, m->detail, when);
}

static void when_seen(const struct tn_peer *p, char *out, size_t n)
{
	time_t t = (time_t)p->seen_at;
	struct tm tm;

	if (p->seen_at && gmtime_r(&t, &tm))
		strftime(out, n, "%Y-%m-%d %H:%M:%S UTC", &tm);
	else
		snprintf(out, n, "an earlier check");
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
		describe(&m, what, sizeof(what));
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

/* In accept mode, what would have failed is noted as accepted instead. */
static void accepting(struct tn_verdict *v, const char *what)
{
	size_t n = strlen(v->accepted);

	note(v, "accept", 1, "accepted by the operator: %s", what);
	if (n + 3 < sizeof(v->accepted))
		snprintf(v->accepted + n, sizeof(v->accepted) - n, "%s%s", n ? "; " : "", what);
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

	when_seen(p, when, sizeof(when));
	for (size_t i = 0; i <= k; i++) {
		size_t abs = from + i;
		struct tn_log_checkpoint cp;
		struct tn_measurement m;
		uint8_t d[TN_DIGEST_LEN];
		json_object *c;

		if (caught && abs == K && from < K) {
			if (memcmp(w->chain, p->seen_chain, TN_DIGEST_LEN) ||
			    memcmp(w->pcr, p->seen_pcr, TN_DIGEST_LEN)) {
				note(v, "history", 0, "the first %zu entries of the log are not the ones this verifier judged at %s in this boot (TPM reset count %u): the log was rewritten",
				     K, when, v->reset_count);
				goto out;
			}
			if (tn_log_summary_cmp(&p->seen_summary, "what this verifier judged",
					       &w->sum, "the log sent", why, sizeof(why))) {
				note(v, "history", 0, "up to entry %zu, judged at %s: %s: the log was rewritten",
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
				note(v, "checkpoint", 0, "entry %zu is a checkpoint whose text was not sent", abs);
				goto out;
			}
			if (verified_checkpoint(p, c, v, &cp, d, &e)) {
				note(v, "checkpoint", 0, "entry %zu: %s", abs, e.msg);
				goto out;
			}
			if (cp.index != abs || memcmp(cp.pcr, w->pcr, TN_DIGEST_LEN) ||
			    memcmp(cp.chain, w->chain, TN_DIGEST_LEN)) {
				note(v, "checkpoint", 0, "the checkpoint at entry %zu claims entry %llu and PCR or chain values that the entries before it do not make",
				     abs, (unsigned long long)cp.index);
				goto out;
			}
			if (tn_log_summary_cmp(&w->sum, "the entries before it",
					       &cp.summary, "the checkpoint", why, sizeof(why))) {
				note(v, "checkpoint", 0, "the checkpoint at entry %zu lies about the log before it: %s",
				     abs, why);
				goto out;
			}
		}
		tn_pcr_extend_sw(w->pcr, m.digest);
		tn_log_chain_step(w->chain, &m);
		tn_log_summary_add(&w->sum, abs, &m);
	}
	if (w->sum.overflow) {
		note(v, "checkpoint", 0, "this boot's log has more than %d distinct judged measurements: this verifier cannot keep its summary; re-enrol after the peer's next reboot",
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
		note(v, "checkpoint", 0, "the log sent starts at entry %zu, which is not where this verifier stands, and no checkpoint vouches for the entries before it",
		     from);
		return -1;
	}
	if (verified_checkpoint(p, c, v, &cp, d, &e)) {
		note(v, "checkpoint", 0, "%s", e.msg);
		return -1;
	}
	if (cp.index != from || json_object_array_length(log) == 0 ||
	    tn_measurement_parse(json_object_array_get_idx(log, 0), &m, &e) ||
	    strcmp(m.type, TN_MEASURE_LOGCP) || memcmp(m.digest, d, TN_DIGEST_LEN)) {
		note(v, "checkpoint", 0, "the checkpoint (of entry %llu) is not the first entry sent (entry %zu): it is not measured where it claims",
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
				note(v, "checkpoint", 0, "the checkpoint at entry %zu lies about the log before it: %s",
				     from, why);
				return -1;
			}
		}
	}
	memcpy(w->pcr, cp.pcr, TN_DIGEST_LEN);
	memcpy(w->chain, cp.chain, TN_DIGEST_LEN);
	w->sum = cp.summary;
	*from_cp = 1;
	note(v, "checkpoint", 1, "the log sent starts at the checkpoint of entry %zu, signed by the pinned identity key and measured there; the %zu entries before it are judged by its summary (%d distinct measurements), as the node states them",
	     from, from, cp.summary.n);
	return 0;
}

/*
 * Every policy and weakening measured since this verifier's position
 * (fresh: the entries sent after it, and what a checkpoint summarises of
 * the entries it did not see) and every software measurement of the boot
 * (all) must be accepted; the boot must have measured the agent and its
 * BPF object (and the module, if the peer ran one at enrolment); the
 * policy text sent must be the one measured last, and that one accepted.
 */
static void judge_log(const struct tn_peer *p, json_object *resp,
		      const struct tn_log_summary *all,
		      const struct tn_measurement *fresh, size_t nfresh,
		      size_t start, int mode, struct tn_verdict *v)
{
	const char *text = tn_json_str(resp, "policy");
	char hex[2 * TN_DIGEST_LEN + 1], bad_sw[800] = "", bad_pol[800] = "";
	char bad_weak[900] = "", what[700], since[160] = "";
	int have_agent = 0, have_bpf = 0, judging = mode == TN_VERIFY;
	uint8_t d[TN_DIGEST_LEN];

	if (start > 0) {
		char when[64];

		when_seen(p, when, sizeof(when));
		snprintf(since, sizeof(since), ", after this verifier's check at %s (which judged its first %zu entries)",
			 when, start);
	}
	v->have_policy = all->have_last_policy;
	memcpy(v->policy, all->last_policy, TN_DIGEST_LEN);
	for (size_t i = 0; i < nfresh && mode != TN_VERIFY_ENROL; i++) {
		const struct tn_measurement *m = &fresh[i];

		describe(m, what, sizeof(what));
		if (!strcmp(m->type, TN_MEASURE_POLICY) &&
		    !digest_in(m->digest, p->policies, p->npolicies)) {
			if (!judging)
				accepting(v, what);
			else if (!bad_pol[0])
				snprintf(bad_pol, sizeof(bad_pol), "%s is not an accepted policy of this peer%s: it enforced that policy, even if it has changed back since",
					 what, since);
		} else if (!strcmp(m->type, TN_MEASURE_WEAKENING)) {
			if (!judging)
				accepting(v, what);
			else if (!bad_weak[0])
				snprintf(bad_weak, sizeof(bad_weak), "%s weakened enforcement at run time%s; refused until trustctl peer accept %s (or a new enrolment)",
					 what, since, p->name);
		}
	}
	for (int i = 0; i < all->n; i++) {
		const struct tn_log_item *it = &all->item[i];
		struct tn_measurement m = { .seq = it->last, .time = it->time };

		if (!strcmp(it->type, TN_MEASURE_SEAL))
			v->sealed = 1;
		if (!tn_is_software_measurement(it->type))
			continue;
		snprintf(m.type, sizeof(m.type), "%s", it->type);
		snprintf(m.detail, sizeof(m.detail), "%s", it->detail);
		memcpy(m.digest, it->digest, TN_DIGEST_LEN);
		describe(&m, what, sizeof(what));
		have_agent |= !strcmp(it->type, TN_MEASURE_AGENT);
		have_bpf |= !strcmp(it->type, TN_MEASURE_BPF);
		v->have_module |= !strcmp(it->type, TN_MEASURE_MODULE);
		if (!digest_in(it->digest, p->software, p->nsoftware)) {
			if (judging && !bad_sw[0])
				snprintf(bad_sw, sizeof(bad_sw), "%s is not an accepted measurement of this peer",
					 what);
			if (mode == TN_VERIFY_ACCEPT)
				accepting(v, what);
		}
		/* Enrolment and acceptance record what runs. */
		if (!judging && v->nsoftware < TN_PEER_MAX_ACCEPT &&
		    !digest_in(it->digest, (const uint8_t (*)[TN_DIGEST_LEN])v->software,
			       v->nsoftware))
			memcpy(v->software[v->nsoftware++], it->digest, TN_DIGEST_LEN);
	}
	if (!have_agent || !have_bpf) {
		note(v, "software", 0, "the quoted log of this boot has no %s measurement: trustnode's agent and BPF object are not shown to run",
		     !have_agent ? "agent (" TN_MEASURE_AGENT ")" : "BPF object (" TN_MEASURE_BPF ")");
		return;
	}
	if (mode != TN_VERIFY_ENROL && p->require_module && !v->have_module) {
		if (judging) {
			note(v, "software", 0, "the quoted log of this boot has no kernel module measurement, but the peer ran trustnode.ko at enrolment");
			return;
		}
		accepting(v, "no kernel module measured in this boot");
	}
	if (bad_sw[0]) {
		note(v, "software", 0, "%s", bad_sw);
		return;
	}
	note(v, "software", 1, "the agent and BPF object%s of this boot are measured, and every software measurement is %s",
	     v->have_module ? " (and module)" : "", judging ? "accepted" : "recorded");
	if (!v->have_policy) {
		note(v, "policy", 0, "the quoted event log measures no policy");
		return;
	}
	if (bad_pol[0]) {
		note(v, "policy", 0, "%s", bad_pol);
		return;
	}
	tn_hex_encode(v->policy, TN_DIGEST_LEN, hex);
	if (!text) {
		note(v, "policy", 0, "the response carries no policy text");
		return;
	}
	SHA256((const unsigned char *)text, strlen(text), d);
	if (memcmp(d, v->policy, TN_DIGEST_LEN)) {
		note(v, "policy", 0, "the policy text sent is not the policy measured (%.16s…)", hex);
		return;
	}
	if (!digest_in(v->policy, p->policies, p->npolicies)) {
		if (judging) {
			note(v, "policy", 0, "policy digest %s is not in the accepted set of this peer (it changed its policy?)",
			     hex);
			return;
		}
		if (mode == TN_VERIFY_ACCEPT)
			accepting(v, "the current policy");
	}
	note(v, "policy", 1, "policy %s %s; every policy entry judged (from entry %zu) was accepted",
	     hex, judging ? "accepted" : "measured", start);
	if (bad_weak[0]) {
		note(v, "weakening", 0, "%s", bad_weak);
		return;
	}
	note(v, "weakening", 1, "no run-time weakening %s since entry %zu",
	     judging ? "measured" : "left unaccepted", start);
}

/* "13,14" */
static void mask_text(uint32_t mask, char *out, size_t n)
{
	size_t off = 0;

	out[0] = '\0';
	for (unsigned i = 0; i < 32 && off < n; i++)
		if (mask & (1u << i))
			off += snprintf(out + off, n - off, "%s%u", off ? "," : "", i);
	if (!off)
		snprintf(out, n, "none");
}

/*
 * The verifier decides what is quoted: the pinned measurement PCR, in the
 * pinned bank, with exactly the pinned selection. A peer that picks its own
 * PCR could pick one it can reset and extend with whatever it likes.
 */
static int check_pcr(const struct tn_peer *p, json_object *resp,
		     const TPMS_ATTEST *at, int enrolling, struct tn_verdict *v)
{
	const TPML_PCR_SELECTION *sel = &at->attested.quote.pcrSelect;
	char got[128], want[128];
	uint32_t mask = 0;
	long long pcr;

	if (tn_pcr_resettable(p->pcr)) {
		note(v, "pcr", 0, "PCR %u is not acceptable as a measurement PCR: PCRs 16..23 can be reset without a reboot (16 and 23 by any software at locality 0), so a quote over one proves nothing; re-enrol with --pcr 0..15",
		     p->pcr);
		return -1;
	}
	if (tn_json_int(resp, "pcr", &pcr)) {
		note(v, "pcr", 0, "the response names no measurement PCR");
		return -1;
	}
	if (pcr != (long long)p->pcr) {
		note(v, "pcr", 0, "the response claims measurement PCR %lld, but PCR %u (" TN_PEER_BANK ") is what this verifier %s: the peer does not choose what is quoted",
		     pcr, p->pcr, enrolling ? "expects (trustctl peer enroll --pcr)" : "pinned at enrolment");
		return -1;
	}
	if (sel->count != 1 || sel->pcrSelections[0].hash != TPM2_ALG_SHA256) {
		note(v, "pcr", 0, "the quote selects %u bank(s), the first with hash algorithm 0x%04x, not exactly the " TN_PEER_BANK " bank",
		     sel->count, sel->count ? sel->pcrSelections[0].hash : 0);
		return -1;
	}
	for (unsigned i = 0; i < sel->pcrSelections[0].sizeofSelect && i < 4; i++)
		mask |= (uint32_t)sel->pcrSelections[0].pcrSelect[i] << (8 * i);
	mask_text(mask, got, sizeof(got));
	mask_text(p->quote_mask, want, sizeof(want));
	v->quote_mask = mask;
	if (enrolling) {
		if (!(mask & (1u << p->pcr)) || (mask & ~0xffffu)) {
			note(v, "pcr", 0, "the quote selects PCRs %s: it must include the measurement PCR %u and none of 16..23",
			     got, p->pcr);
			return -1;
		}
	} else if (mask != p->quote_mask) {
		note(v, "pcr", 0, "the quote selects PCRs %s in " TN_PEER_BANK ", not exactly the PCRs pinned at enrolment (%s)",
		     got, want);
		return -1;
	}
	note(v, "pcr", 1, "the quote selects PCRs %s in " TN_PEER_BANK "; measurement PCR %u%s",
	     got, p->pcr, p->pcr_assumed ?
	     " (assumed: this peer was enrolled before the PCR was pinned; enrol it again to pin it)" :
	     " (pinned at enrolment)");
	return 0;
}

/* TPM clock, resets, restarts: (reset, restart, clock) must move forward. */
static void check_clock(const struct tn_peer *p, const TPMS_ATTEST *at,
			struct tn_verdict *v)
{
	const TPMS_CLOCK_INFO *c = &at->clockInfo;
	int newer;

	v->reset_count = c->resetCount;
	v->restart_count = c->restartCount;
	v->clock = c->clock;
	if (!p->have_clock) {
		note(v, "clock", 1, "first quote seen: clock %llu, resets %u, restarts %u",
		     (unsigned long long)c->clock, c->resetCount, c->restartCount);
		return;
	}
	if (c->resetCount != p->reset_count)
		newer = c->resetCount > p->reset_count;
	else if (c->restartCount != p->restart_count)
		newer = c->restartCount > p->restart_count;
	else
		newer = c->clock > p->clock;
	if (!newer) {
		note(v, "clock", 0, "the quote is older than one already seen from this peer (TPM clock %llu, resets %u, restarts %u; newest seen %llu, %u, %u): a replayed quote",
		     (unsigned long long)c->clock, c->resetCount, c->restartCount,
		     (unsigned long long)p->clock, p->reset_count, p->restart_count);
		return;
	}
	note(v, "clock", 1, "TPM clock %llu, resets %u, restarts %u: newer than the last quote",
	     (unsigned long long)c->clock, c->resetCount, c->restartCount);
}

void tn_verify_quote(const struct tn_peer *p, const uint8_t *nonce,
		     size_t nonce_len, json_object *resp, int mode,
		     struct tn_verdict *v)
{
	uint8_t idkey[TN_IDKEY_LEN], *attest = NULL, *sig = NULL;
	uint8_t qual[TN_DIGEST_LEN], vals[MAX_QUOTE_PCRS][32];
	unsigned pcrs[MAX_QUOTE_PCRS];
	size_t len, alen, slen, n;
	json_object *log;
	TPMS_ATTEST at;
	struct tn_err e;
	struct walk *w = NULL;
	struct tn_log_summary *start_sum = NULL;
	struct tn_measurement *fresh = NULL;
	size_t nfresh = 0;
	long long from = 0;
	uint64_t judge_from;
	int caught, from_cp = 0;
	long used;

	memset(v, 0, sizeof(*v));
	v->ok = 1;
	v->checks = json_object_new_array();
	if (!json_object_is_type(resp, json_type_object)) {
		note(v, "response", 0, "the response is not a JSON object");
		return;
	}
	if (get_hex(resp, "identity_key", idkey, sizeof(idkey), &len, &e) ||
	    len != TN_IDKEY_LEN) {
		note(v, "identity", 0, "the response has no valid identity key");
		return;
	}
	if (memcmp(idkey, p->idkey, TN_IDKEY_LEN)) {
		note(v, "identity", 0, "the peer presents identity key %.16s…, not the one pinned at enrolment",
		     tn_json_str(resp, "identity_key"));
		return;
	}
	note(v, "identity", 1, "identity key is the pinned one");

	alen = slen = 0;
	attest = malloc(4096);
	sig = malloc(1024);
	if (!attest || !sig ||
	    get_hex(resp, "attest", attest, 4096, &alen, &e) ||
	    get_hex(resp, "signature", sig, 1024, &slen, &e)) {
		note(v, "signature", 0, "the response has no valid attest/signature: %s",
		     attest && sig ? e.msg : "out of memory");
		goto out;
	}
	if (tpmv_verify_quote(&p->ak, attest, alen, sig, slen, &at, &e)) {
		note(v, "signature", 0, "%s", e.msg);
		goto out;
	}
	note(v, "signature", 1, "the quote is signed by the pinned AK");

	tn_qualifying_data(nonce, nonce_len, p->idkey, qual);
	if (at.extraData.size != TN_DIGEST_LEN ||
	    memcmp(at.extraData.buffer, qual, TN_DIGEST_LEN)) {
		uint8_t other[TN_NONCE_MAX];
		size_t olen;

		/* Tell a stale nonce from a key swapped under a fresh one. */
		if (!get_hex(resp, "nonce", other, sizeof(other), &olen, &e) &&
		    olen == nonce_len && !memcmp(other, nonce, olen))
			note(v, "binding", 0, "the quote's qualifying data does not bind this nonce to the pinned identity key");
		else
			note(v, "nonce", 0, "the quote is not over this verifier's nonce: a replayed or foreign quote");
		goto out;
	}
	note(v, "nonce", 1, "the quote is over this verifier's fresh nonce");
	note(v, "binding", 1, "the quote binds the nonce to the pinned identity key");

	check_clock(p, &at, v);
	if (!v->ok)
		goto out;

	if (check_pcr(p, resp, &at, mode == TN_VERIFY_ENROL, v))
		goto out;
	if (!json_object_object_get_ex(resp, "event_log", &log) ||
	    !json_object_is_type(log, json_type_array)) {
		note(v, "event-log", 0, "the response has no event log");
		goto out;
	}
	if (quoted_values(resp, &at, pcrs, vals, &n, &e)) {
		note(v, "event-log", 0, "%s", e.msg);
		goto out;
	}
	if (json_object_object_get_ex(resp, "log_from", NULL) &&
	    (tn_json_int(resp, "log_from", &from) || from < 0 || from >= (1LL << 62))) {
		note(v, "event-log", 0, "the response's log_from is not an entry index");
		goto out;
	}
	caught = mode != TN_VERIFY_ENROL && p->have_log_seen &&
		 p->seen_reset_count == v->reset_count;
	w = malloc(sizeof(*w));
	start_sum = malloc(sizeof(*start_sum));
	if (!w || !start_sum) {
		note(v, "event-log", 0, "out of memory");
		goto out;
	}
	if (log_start(p, resp, log, (size_t)from, caught, w, &from_cp, v))
		goto out;
	*start_sum = w->sum;
	used = replay_to_quote(log, &at, pcrs, vals, n, p->pcr, w->pcr, (size_t)from, &e);
	if (used < 0 || check_entries(log, (size_t)used, &e)) {
		note(v, "event-log", 0, "%s", e.msg);
		goto out;
	}
	v->log_from = (size_t)from;
	v->from_checkpoint = from_cp;
	v->log_used = (size_t)from + used;
	v->log_total = (size_t)from + json_object_array_length(log);
	note(v, "event-log", 1, "%ld event log entries (%lld..%zu of this boot) replay to the quoted PCR %u%s",
	     used, from, v->log_used, p->pcr,
	     from_cp ? " from the checkpoint's PCR value" : from ? " from the PCR value this verifier judged" : "");
	if (caught && p->seen_entries > v->log_used) {
		char when[64];

		when_seen(p, when, sizeof(when));
		note(v, "history", 0, "the quoted log holds %zu entries, but this verifier judged %llu of this boot (TPM reset count %u) at %s: the log was replaced, or the PCR reset, within the boot",
		     v->log_used, (unsigned long long)p->seen_entries, v->reset_count, when);
		goto out;
	}
	if (walk_log(p, resp, log, (size_t)used, (size_t)from, caught, from_cp, w, v))
		goto out;
	memcpy(v->seen_pcr, w->pcr, TN_DIGEST_LEN);
	memcpy(v->seen_chain, w->chain, TN_DIGEST_LEN);
	v->seen_summary = w->sum;
	if (!caught)
		note(v, "history", 1, "%s: all %zu entries of this boot are judged%s",
		     mode == TN_VERIFY_ENROL || !p->have_log_seen ? "no earlier log of this peer was judged" :
		     "a new boot", v->log_used,
		     from_cp ? " (those before the checkpoint by its summary)" : "");
	else if ((size_t)from > p->seen_entries)
		note(v, "history", 1, "this verifier judged %llu entries; the log sent starts at a later checkpoint (entry %lld), which keeps every measurement judged then; %zu entries are judged, those before the checkpoint by its summary",
		     (unsigned long long)p->seen_entries, from, v->log_used - p->seen_entries);
	else
		note(v, "history", 1, "extends the %llu entries judged before; %llu new entries are judged",
		     (unsigned long long)p->seen_entries,
		     (unsigned long long)(v->log_used - p->seen_entries));
	if (v->checks && !from_cp)
		note(v, "checkpoint", 1, "every checkpoint entry sent states the log before it truthfully");
	judge_from = caught ? p->seen_entries : 0;
	fresh = calloc(start_sum->n + (size_t)used + 1, sizeof(*fresh));
	if (!fresh) {
		note(v, "policy", 0, "out of memory");
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
	judge_log(p, resp, &w->sum, fresh, nfresh, (size_t)judge_from, mode, v);
out:
	free(fresh);
	free(w);
	free(start_sum);
	free(attest);
	free(sig);
}

void tn_verdict_free(struct tn_verdict *v)
{
	json_object_put(v->checks);
	v->checks = NULL;
}

void tn_peer_note_clock(struct tn_peer *p, const struct tn_verdict *v)
{
	p->have_clock = 1;
	p->reset_count = v->reset_count;
	p->restart_count = v->restart_count;
	p->clock = v->clock;
	/* Two verifiers sharing the file (the agent, trustctl): keep the
	 * further point of this boot, never move back before it. */
	if (p->have_log_seen && p->seen_reset_count == v->reset_count &&
	    p->seen_entries > v->log_used)
		return;
	p->have_log_seen = 1;
	p->seen_reset_count = v->reset_count;
	p->seen_entries = v->log_used;
	memcpy(p->seen_chain, v->seen_chain, TN_DIGEST_LEN);
	memcpy(p->seen_pcr, v->seen_pcr, TN_DIGEST_LEN);
	p->seen_summary = v->seen_summary;
	p->seen_at = time(NULL);
}

int tn_attest_peer(const struct tn_peer *p, int mode, struct tn_verdict *v,
		   json_object **resp_out, struct tn_err *err)
{
	uint8_t nonce[32];
	char path[300], hex[65], at[65];
	json_object *resp;

	randombytes_buf(nonce, sizeof(nonce));
	tn_hex_encode(nonce, sizeof(nonce), hex);
	snprintf(path, sizeof(path), "/v1/quote?nonce=%s", hex);
	/*
	 * Only the entries after those judged: the node proves it has the
	 * same log there (chain value), and the answer stays small. Enrolment
	 * and acceptance ask the same way; a new boot gets a checkpoint.
	 */
	if (p->have_log_seen) {
		tn_hex_encode(p->seen_chain, TN_DIGEST_LEN, at);
		snprintf(path, sizeof(path), "/v1/quote?nonce=%s&since=%llu&at=%s", hex,
			 (unsigned long long)p->seen_entries, at);
	}
	if (http_json(p->url, path, NULL, &resp, err))
		return -1;
	tn_verify_quote(p, nonce, sizeof(nonce), resp, mode, v);
	if (resp_out)
		*resp_out = resp;
	else
		json_object_put(resp);
	return 0;
}
