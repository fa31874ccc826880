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
#include "trustnode/attest.h"

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
 * Replays the log prefix by prefix and returns how many entries make the
 * quoted digest (the log may run ahead of the quote), or -1.
 */
static long replay_to_quote(json_object *log, const TPMS_ATTEST *at,
			    const unsigned *pcrs, uint8_t (*vals)[32],
			    size_t n, unsigned pcr, struct tn_err *err)
{
	size_t slot = n, len = json_object_array_length(log);
	uint8_t value[TN_DIGEST_LEN] = { 0 };
	struct tn_err ignore;

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
	return tn_fail(err, "no prefix of the event log (%zu entries) replays to the quoted PCR digest: the log was altered, or something else extended PCR %u",
		       len, pcr);
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
 * Same boot as the log judged last time (TPM reset count): the first
 * entries must be exactly those, and only the rest needs judging. Returns
 * the first entry to judge, or -1 (noted).
 */
static long check_history(const struct tn_peer *p, json_object *log,
			  size_t used, int enrolling, struct tn_verdict *v)
{
	uint8_t d[TN_DIGEST_LEN];
	char when[64];
	struct tn_err e;

	if (tn_measurement_prefix_digest(log, used, v->seen_digest, &e)) {
		note(v, "history", 0, "%s", e.msg);
		return -1;
	}
	if (enrolling || !p->have_log_seen) {
		note(v, "history", 1, "no earlier log of this peer was judged: all %zu entries of this boot are judged",
		     used);
		return 0;
	}
	when_seen(p, when, sizeof(when));
	if (v->reset_count != p->seen_reset_count) {
		note(v, "history", 1, "a new boot (TPM reset count %u, was %u at %s): all %zu entries are judged",
		     v->reset_count, p->seen_reset_count, when, used);
		return 0;
	}
	if (used < p->seen_entries) {
		note(v, "history", 0, "the quoted log holds %zu entries, but this verifier judged %llu of this boot (TPM reset count %u) at %s: the log was replaced, or the PCR reset, within the boot",
		     used, (unsigned long long)p->seen_entries, v->reset_count, when);
		return -1;
	}
	tn_measurement_prefix_digest(log, p->seen_entries, d, &e);
	if (memcmp(d, p->seen_digest, TN_DIGEST_LEN)) {
		note(v, "history", 0, "the first %llu entries of the log are not the ones this verifier judged at %s in this boot (TPM reset count %u): the log was rewritten",
		     (unsigned long long)p->seen_entries, when, v->reset_count);
		return -1;
	}
	note(v, "history", 1, "extends the %llu entries judged at %s; %llu new entries are judged",
	     (unsigned long long)p->seen_entries, when,
	     (unsigned long long)(used - p->seen_entries));
	return (long)p->seen_entries;
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
 * Every policy and weakening entry since start and every software entry of
 * the boot must be accepted; the boot must have measured the agent and its
 * BPF object (and the module, if the peer ran one at enrolment); the policy
 * text sent must be the one measured last, and that one accepted.
 */
static void judge_log(const struct tn_peer *p, json_object *resp,
		      json_object *log, size_t used, size_t start,
		      int mode, struct tn_verdict *v)
{
	const char *text = tn_json_str(resp, "policy");
	char hex[2 * TN_DIGEST_LEN + 1], bad_sw[800] = "", bad_pol[800] = "";
	char bad_weak[900] = "", what[700], since[160] = "";
	int have_agent = 0, have_bpf = 0, judging = mode == TN_VERIFY;
	uint8_t d[TN_DIGEST_LEN];
	struct tn_err e;

	if (start > 0) {
		char when[64];

		when_seen(p, when, sizeof(when));
		snprintf(since, sizeof(since), ", after this verifier's check at %s (which judged its first %zu entries)",
			 when, start);
	}
	for (size_t i = 0; i < used; i++) {
		struct tn_measurement m;

		tn_measurement_parse(json_object_array_get_idx(log, i), &m, &e);
		describe(&m, what, sizeof(what));
		if (!strcmp(m.type, TN_MEASURE_POLICY)) {
			memcpy(v->policy, m.digest, TN_DIGEST_LEN);
			v->have_policy = 1;
			if (mode != TN_VERIFY_ENROL && i >= start &&
			    !digest_in(m.digest, p->policies, p->npolicies)) {
				if (!judging)
					accepting(v, what);
				else if (!bad_pol[0])
					snprintf(bad_pol, sizeof(bad_pol), "%s is not an accepted policy of this peer%s: it enforced that policy, even if it has changed back since",
						 what, since);
			}
		} else if (!strcmp(m.type, TN_MEASURE_SEAL)) {
			v->sealed = 1;
		} else if (!strcmp(m.type, TN_MEASURE_WEAKENING)) {
			if (mode != TN_VERIFY_ENROL && i >= start) {
				if (!judging)
					accepting(v, what);
				else if (!bad_weak[0])
					snprintf(bad_weak, sizeof(bad_weak), "%s weakened enforcement at run time%s; refused until trustctl peer accept %s (or a new enrolment)",
						 what, since, p->name);
			}
		} else if (tn_is_software_measurement(m.type)) {
			have_agent |= !strcmp(m.type, TN_MEASURE_AGENT);
			have_bpf |= !strcmp(m.type, TN_MEASURE_BPF);
			v->have_module |= !strcmp(m.type, TN_MEASURE_MODULE);
			if (!digest_in(m.digest, p->software, p->nsoftware)) {
				if (judging && !bad_sw[0])
					snprintf(bad_sw, sizeof(bad_sw), "%s is not an accepted measurement of this peer",
						 what);
				if (mode == TN_VERIFY_ACCEPT)
					accepting(v, what);
			}
			/* Enrolment and acceptance record what runs. */
			if (!judging && v->nsoftware < TN_PEER_MAX_ACCEPT &&
			    !digest_in(m.digest, (const uint8_t (*)[TN_DIGEST_LEN])v->software,
				       v->nsoftware))
				memcpy(v->software[v->nsoftware++], m.digest, TN_DIGEST_LEN);
		}
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
	long used, start;

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
	used = replay_to_quote(log, &at, pcrs, vals, n, p->pcr, &e);
	if (used < 0 || check_entries(log, (size_t)used, &e)) {
		note(v, "event-log", 0, "%s", e.msg);
		goto out;
	}
	v->log_used = used;
	v->log_total = json_object_array_length(log);
	note(v, "event-log", 1, "%ld of %zu event log entries replay to the quoted PCR %u",
	     used, v->log_total, p->pcr);
	start = check_history(p, log, (size_t)used, mode == TN_VERIFY_ENROL, v);
	if (start < 0)
		goto out;
	judge_log(p, resp, log, (size_t)used, (size_t)start, mode, v);
out:
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
	memcpy(p->seen_digest, v->seen_digest, TN_DIGEST_LEN);
	p->seen_at = time(NULL);
}

int tn_attest_peer(const struct tn_peer *p, int mode, struct tn_verdict *v,
		   json_object **resp_out, struct tn_err *err)
{
	uint8_t nonce[32];
	char path[128], hex[65];
	json_object *resp;

	randombytes_buf(nonce, sizeof(nonce));
	tn_hex_encode(nonce, sizeof(nonce), hex);
	snprintf(path, sizeof(path), "/v1/quote?nonce=%s", hex);
	if (http_json(p->url, path, NULL, &resp, err))
		return -1;
	tn_verify_quote(p, nonce, sizeof(nonce), resp, mode, v);
	if (resp_out)
		*resp_out = resp;
	else
		json_object_put(resp);
	return 0;
}
