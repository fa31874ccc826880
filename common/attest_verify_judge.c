// SPDX-License-Identifier: GPL-2.0-only
/*
 * Judging what a verified event log shows runs on the peer (attest_verify.h:
 * the software, policy and weakening checks) against what the operator
 * accepted, or recording it at enrolment and acceptance. Apart from the
 * checks that the log is the one quoted (attest_verify_log.c), which are
 * about integrity, not about what is acceptable.
 */
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "attest_verify_int.h"
#include "hex.h"
#include "proto.h"
#include "trustnode/attest_api.h"

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

/* In accept mode, what would have failed is noted as accepted instead. */
static void accepting(struct tn_verdict *v, const char *what)
{
	size_t n = strlen(v->accepted);

	tn_note(v, "accept", 1, "accepted by the operator: %s", what);
	if (n + 3 < sizeof(v->accepted))
		snprintf(v->accepted + n, sizeof(v->accepted) - n, "%s%s", n ? "; " : "", what);
}

/*
 * Every policy and weakening measured since this verifier's position
 * (fresh: the entries sent after it, and what a checkpoint summarises of
 * the entries it did not see) and every software measurement of the boot
 * (all) must be accepted; the boot must have measured the agent and its
 * BPF object (and the module, if the peer ran one at enrolment); the
 * policy text sent must be the one measured last, and that one accepted.
 */
void tn_judge_log(const struct tn_peer *p, json_object *resp,
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

		tn_when_seen(p, when, sizeof(when));
		snprintf(since, sizeof(since), ", after this verifier's check at %s (which judged its first %zu entries)",
			 when, start);
	}
	v->have_policy = all->have_last_policy;
	memcpy(v->policy, all->last_policy, TN_DIGEST_LEN);
	for (size_t i = 0; i < nfresh && mode != TN_VERIFY_ENROL; i++) {
		const struct tn_measurement *m = &fresh[i];

		tn_describe(m, what, sizeof(what));
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
		tn_describe(&m, what, sizeof(what));
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
		tn_note(v, "software", 0, "the quoted log of this boot has no %s measurement: trustnode's agent and BPF object are not shown to run",
			!have_agent ? "agent (" TN_MEASURE_AGENT ")" : "BPF object (" TN_MEASURE_BPF ")");
		return;
	}
	if (mode != TN_VERIFY_ENROL && p->require_module && !v->have_module) {
		if (judging) {
			tn_note(v, "software", 0, "the quoted log of this boot has no kernel module measurement, but the peer ran trustnode.ko at enrolment");
			return;
		}
		accepting(v, "no kernel module measured in this boot");
	}
	if (bad_sw[0]) {
		tn_note(v, "software", 0, "%s", bad_sw);
		return;
	}
	tn_note(v, "software", 1, "the agent and BPF object%s of this boot are measured, and every software measurement is %s",
		v->have_module ? " (and module)" : "", judging ? "accepted" : "recorded");
	if (!v->have_policy) {
		tn_note(v, "policy", 0, "the quoted event log measures no policy");
		return;
	}
	if (bad_pol[0]) {
		tn_note(v, "policy", 0, "%s", bad_pol);
		return;
	}
	tn_hex_encode(v->policy, TN_DIGEST_LEN, hex);
	if (!text) {
		tn_note(v, "policy", 0, "the response carries no policy text");
		return;
	}
	SHA256((const unsigned char *)text, strlen(text), d);
	if (memcmp(d, v->policy, TN_DIGEST_LEN)) {
		tn_note(v, "policy", 0, "the policy text sent is not the policy measured (%.16s…)", hex);
		return;
	}
	if (!digest_in(v->policy, p->policies, p->npolicies)) {
		if (judging) {
			tn_note(v, "policy", 0, "policy digest %s is not in the accepted set of this peer (it changed its policy?)",
				hex);
			return;
		}
		if (mode == TN_VERIFY_ACCEPT)
			accepting(v, "the current policy");
	}
	tn_note(v, "policy", 1, "policy %s %s; every policy entry judged (from entry %zu) was accepted",
		hex, judging ? "accepted" : "measured", start);
	if (bad_weak[0]) {
		tn_note(v, "weakening", 0, "%s", bad_weak);
		return;
	}
	tn_note(v, "weakening", 1, "no run-time weakening %s since entry %zu",
		judging ? "measured" : "left unaccepted", start);
}
