// SPDX-License-Identifier: GPL-2.0-only
#include <openssl/sha.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "attest_verify.h"
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

/* The policy and software measurements in the entries that were quoted. */
static void judge_log(const struct tn_peer *p, json_object *resp,
		      json_object *log, size_t used, int enrolling,
		      struct tn_verdict *v)
{
	const char *text = tn_json_str(resp, "policy");
	char hex[2 * TN_DIGEST_LEN + 1];
	uint8_t d[TN_DIGEST_LEN];
	struct tn_err e;

	for (size_t i = 0; i < used; i++) {
		struct tn_measurement m;

		tn_measurement_parse(json_object_array_get_idx(log, i), &m, &e);
		if (!strcmp(m.type, TN_MEASURE_POLICY)) {
			memcpy(v->policy, m.digest, TN_DIGEST_LEN);
			v->have_policy = 1;
		} else if (!strcmp(m.type, TN_MEASURE_SEAL)) {
			v->sealed = 1;
		} else if (tn_is_software_measurement(m.type)) {
			tn_hex_encode(m.digest, TN_DIGEST_LEN, hex);
			if (!enrolling && !digest_in(m.digest, p->software, p->nsoftware)) {
				note(v, "software", 0, "%s %s (%s) is not an accepted measurement of this peer",
				     m.type, hex, m.detail);
				return;
			}
			if (enrolling && v->nsoftware < TN_PEER_MAX_ACCEPT &&
			    !digest_in(m.digest, (const uint8_t (*)[TN_DIGEST_LEN])v->software,
				       v->nsoftware))
				memcpy(v->software[v->nsoftware++], m.digest, TN_DIGEST_LEN);
		}
	}
	note(v, "software", 1, "every agent, BPF and module measurement is %s",
	     enrolling ? "recorded" : "accepted");
	if (!v->have_policy) {
		note(v, "policy", 0, "the quoted event log measures no policy");
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
	if (!enrolling && !digest_in(v->policy, p->policies, p->npolicies)) {
		note(v, "policy", 0, "policy digest %s is not in the accepted set of this peer (it changed its policy?)",
		     hex);
		return;
	}
	note(v, "policy", 1, "policy %s %s", hex, enrolling ? "measured" : "accepted");
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
		     size_t nonce_len, json_object *resp, int enrolling,
		     struct tn_verdict *v)
{
	uint8_t idkey[TN_IDKEY_LEN], *attest = NULL, *sig = NULL;
	uint8_t qual[TN_DIGEST_LEN], vals[MAX_QUOTE_PCRS][32];
	unsigned pcrs[MAX_QUOTE_PCRS];
	size_t len, alen, slen, n;
	long long pcr;
	json_object *log;
	TPMS_ATTEST at;
	struct tn_err e;
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

	if (tn_json_int(resp, "pcr", &pcr) || pcr < 0 || pcr > 23 ||
	    !json_object_object_get_ex(resp, "event_log", &log) ||
	    !json_object_is_type(log, json_type_array)) {
		note(v, "event-log", 0, "the response has no event log or measurement PCR");
		goto out;
	}
	if (quoted_values(resp, &at, pcrs, vals, &n, &e)) {
		note(v, "event-log", 0, "%s", e.msg);
		goto out;
	}
	used = replay_to_quote(log, &at, pcrs, vals, n, (unsigned)pcr, &e);
	if (used < 0) {
		note(v, "event-log", 0, "%s", e.msg);
		goto out;
	}
	v->log_used = used;
	v->log_total = json_object_array_length(log);
	note(v, "event-log", 1, "%ld of %zu event log entries replay to the quoted PCR %lld",
	     used, v->log_total, pcr);
	judge_log(p, resp, log, used, enrolling, v);
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
}

int tn_attest_peer(const struct tn_peer *p, int enrolling, struct tn_verdict *v,
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
	tn_verify_quote(p, nonce, sizeof(nonce), resp, enrolling, v);
	if (resp_out)
		*resp_out = resp;
	else
		json_object_put(resp);
	return 0;
}
