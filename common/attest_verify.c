// SPDX-License-Identifier: GPL-2.0-only
/*
 * Verifying a peer's quote (the checks are listed in attest_verify.h), in
 * three files so that each reads as one concern: this one asks for the
 * quote and checks the quote itself (identity, signature, nonce, binding,
 * clock, PCR selection); attest_verify_log.c checks that the event log sent
 * is the one quoted (event-log, checkpoint, history); attest_verify_judge.c
 * judges what that log shows runs (software, policy, weakening).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sodium.h>
#include "attest_verify_int.h"
#include "hex.h"
#include "http.h"
#include "proto.h"
#include "trustnode/attest_api.h"

/* Records one check; the first failure becomes the verdict. */
void tn_note(struct tn_verdict *v, const char *check, int ok,
	     const char *fmt, ...)
{
	json_object *o = json_object_new_object(), *detail;
	va_list ap;

	va_start(ap, fmt);
	detail = tn_json_vstringf(fmt, ap);
	va_end(ap);
	json_object_object_add(o, "check", json_object_new_string(check));
	json_object_object_add(o, "ok", json_object_new_boolean(ok));
	json_object_object_add(o, "detail", detail);
	json_object_array_add(v->checks, o);
	if (!ok && v->ok) {
		v->ok = 0;
		snprintf(v->check, sizeof(v->check), "%s", check);
		snprintf(v->reason, sizeof(v->reason), "%s", json_object_get_string(detail));
	}
}

int tn_get_hex(json_object *resp, const char *key, uint8_t *out,
	       size_t max, size_t *len, struct tn_err *err)
{
	return tn_hex_decode(tn_json_str(resp, key), out, max, len, key, err);
}

/* "entry 12 (policy 3fa2c1d09e8b7a65…, "name", measured 2026-12-02 13:55:01 UTC by the peer's clock)" */
void tn_describe(const struct tn_measurement *m, char *out, size_t n)
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

void tn_when_seen(const struct tn_peer *p, char *out, size_t n)
{
	time_t t = (time_t)p->seen_at;
	struct tm tm;

	if (p->seen_at && gmtime_r(&t, &tm))
		strftime(out, n, "%Y-%m-%d %H:%M:%S UTC", &tm);
	else
		snprintf(out, n, "an earlier check");
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
		tn_note(v, "pcr", 0, "PCR %u is not acceptable as a measurement PCR: PCRs 16..23 can be reset without a reboot (16 and 23 by any software at locality 0), so a quote over one proves nothing; re-enrol with --pcr 0..15",
			p->pcr);
		return -1;
	}
	if (tn_json_int(resp, "pcr", &pcr)) {
		tn_note(v, "pcr", 0, "the response names no measurement PCR");
		return -1;
	}
	if (pcr != (long long)p->pcr) {
		tn_note(v, "pcr", 0, "the response claims measurement PCR %lld, but PCR %u (" TN_PEER_BANK ") is what this verifier %s: the peer does not choose what is quoted",
			pcr, p->pcr, enrolling ? "expects (trustctl peer enroll --pcr)" : "pinned at enrolment");
		return -1;
	}
	if (sel->count != 1 || sel->pcrSelections[0].hash != TPM2_ALG_SHA256) {
		tn_note(v, "pcr", 0, "the quote selects %u bank(s), the first with hash algorithm 0x%04x, not exactly the " TN_PEER_BANK " bank",
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
			tn_note(v, "pcr", 0, "the quote selects PCRs %s: it must include the measurement PCR %u and none of 16..23",
				got, p->pcr);
			return -1;
		}
	} else if (mask != p->quote_mask) {
		tn_note(v, "pcr", 0, "the quote selects PCRs %s in " TN_PEER_BANK ", not exactly the PCRs pinned at enrolment (%s)",
			got, want);
		return -1;
	}
	tn_note(v, "pcr", 1, "the quote selects PCRs %s in " TN_PEER_BANK "; measurement PCR %u%s",
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
		tn_note(v, "clock", 1, "first quote seen: clock %llu, resets %u, restarts %u",
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
		tn_note(v, "clock", 0, "the quote is older than one already seen from this peer (TPM clock %llu, resets %u, restarts %u; newest seen %llu, %u, %u): a replayed quote",
			(unsigned long long)c->clock, c->resetCount, c->restartCount,
			(unsigned long long)p->clock, p->reset_count, p->restart_count);
		return;
	}
	tn_note(v, "clock", 1, "TPM clock %llu, resets %u, restarts %u: newer than the last quote",
		(unsigned long long)c->clock, c->resetCount, c->restartCount);
}

void tn_verify_quote(const struct tn_peer *p, const uint8_t *nonce,
		     size_t nonce_len, json_object *resp, int mode,
		     struct tn_verdict *v)
{
	uint8_t idkey[TN_IDKEY_LEN], *attest = NULL, *sig = NULL;
	uint8_t qual[TN_DIGEST_LEN];
	size_t len, alen, slen;
	TPMS_ATTEST at;
	struct tn_err e;

	memset(v, 0, sizeof(*v));
	v->ok = 1;
	v->checks = json_object_new_array();
	if (!json_object_is_type(resp, json_type_object)) {
		tn_note(v, "response", 0, "the response is not a JSON object");
		return;
	}
	if (tn_get_hex(resp, "identity_key", idkey, sizeof(idkey), &len, &e) ||
	    len != TN_IDKEY_LEN) {
		tn_note(v, "identity", 0, "the response has no valid identity key");
		return;
	}
	if (memcmp(idkey, p->idkey, TN_IDKEY_LEN)) {
		tn_note(v, "identity", 0, "the peer presents identity key %.16s…, not the one pinned at enrolment",
			tn_json_str(resp, "identity_key"));
		return;
	}
	tn_note(v, "identity", 1, "identity key is the pinned one");

	alen = slen = 0;
	attest = malloc(4096);
	sig = malloc(1024);
	if (!attest || !sig ||
	    tn_get_hex(resp, "attest", attest, 4096, &alen, &e) ||
	    tn_get_hex(resp, "signature", sig, 1024, &slen, &e)) {
		tn_note(v, "signature", 0, "the response has no valid attest/signature: %s",
			attest && sig ? e.msg : "out of memory");
		goto out;
	}
	if (tpmv_verify_quote(&p->ak, attest, alen, sig, slen, &at, &e)) {
		tn_note(v, "signature", 0, "%s", e.msg);
		goto out;
	}
	tn_note(v, "signature", 1, "the quote is signed by the pinned AK");

	tn_qualifying_data(nonce, nonce_len, p->idkey, qual);
	if (at.extraData.size != TN_DIGEST_LEN ||
	    memcmp(at.extraData.buffer, qual, TN_DIGEST_LEN)) {
		uint8_t other[TN_NONCE_MAX];
		size_t olen;

		/* Tell a stale nonce from a key swapped under a fresh one. */
		if (!tn_get_hex(resp, "nonce", other, sizeof(other), &olen, &e) &&
		    olen == nonce_len && !memcmp(other, nonce, olen))
			tn_note(v, "binding", 0, "the quote's qualifying data does not bind this nonce to the pinned identity key");
		else
			tn_note(v, "nonce", 0, "the quote is not over this verifier's nonce: a replayed or foreign quote");
		goto out;
	}
	tn_note(v, "nonce", 1, "the quote is over this verifier's fresh nonce");
	tn_note(v, "binding", 1, "the quote binds the nonce to the pinned identity key");

	check_clock(p, &at, v);
	if (!v->ok)
		goto out;

	if (check_pcr(p, resp, &at, mode == TN_VERIFY_ENROL, v))
		goto out;
	tn_verify_log(p, resp, &at, mode, v);
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

