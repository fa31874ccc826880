// SPDX-License-Identifier: GPL-2.0-only
/*
 * trustctl peer log: fetch an enrolled peer's audit log and verify it
 * against (1) the peer's pinned identity key, which signs its checkpoints,
 * (2) the checkpoints its TPM vouches for in a fresh, verified quote, and
 * (3) the newest checkpoint this verifier saw before. (3) is what catches a
 * log cut back to an earlier point, or deleted and started anew, which no
 * signature alone can show.
 *
 * The peer serves its log only to nodes it enrolled: every page is asked
 * for with a request signed by this node's identity key over a fresh
 * challenge (include/trustnode/audit_api.h), one page of TN_AUDIT_PAGE records
 * at a time.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "attest_verify.h"
#include "audit_verify.h"
#include "hex.h"
#include "http.h"
#include "log_auth.h"
#include "trustctl.h"
#include "trustnode/attest_api.h"

/* The checkpoints in the part of the event log that the quote covers. */
static int tpm_anchors(json_object *resp, const struct tn_verdict *v,
		       struct tn_audit_verifier *ver, int *count,
		       uint64_t *latest, struct tn_err *err)
{
	json_object *log = json_object_object_get(resp, "event_log");

	*count = 0;
	for (size_t i = 0; i < v->log_used - v->log_from; i++) {
		struct tn_measurement m;
		struct tn_audit_anchor a = { .source = "the TPM-anchored checkpoint" };

		if (tn_measurement_parse(json_object_array_get_idx(log, i), &m, err))
			return -1;
		if (strcmp(m.type, TN_MEASURE_CHECKPOINT))
			continue;
		if (tn_audit_anchor_parse(m.detail, m.digest, &a, err))
			return tn_fail(err, "measurement %llu: %s",
				       (unsigned long long)m.seq, err->msg);
		a.source = "the TPM-anchored checkpoint";
		/* Every one counts: a rewrite between two shows only at the older. */
		if (tn_audit_verify_add_anchor(ver, &a))
			return tn_fail(err, "%s", ver->error);
		(*count)++;
		*latest = a.covers;
	}
	return 0;
}

/*
 * GET /v1/log for one page, signed with this node's identity key over a
 * fresh challenge and the peer's pinned key (include/trustnode/audit_api.h).
 */
static int fetch_page(const struct tn_peer *p, const uint8_t sk[64],
		      uint64_t since, json_object **page, struct tn_err *err)
{
	uint8_t challenge[TN_LOG_CHALLENGE_LEN], pk[TN_IDKEY_LEN], sig[TN_LOG_SIG_LEN];
	char path[512], ch_hex[2 * TN_LOG_CHALLENGE_LEN + 1];
	char pk_hex[2 * TN_IDKEY_LEN + 1], sig_hex[2 * TN_LOG_SIG_LEN + 1];
	json_object *ch;
	size_t n;

	if (http_json(p->url, "/v1/log/challenge", NULL, &ch, err))
		return -1;
	if (tn_hex_decode(tn_json_str(ch, "challenge"), challenge, sizeof(challenge),
			  &n, "challenge", err) || n != sizeof(challenge)) {
		json_object_put(ch);
		return tn_fail(err, "%s answered /v1/log/challenge without a %d-byte challenge",
			       p->url, TN_LOG_CHALLENGE_LEN);
	}
	json_object_put(ch);
	/* The pinned key, not what the peer says: a challenge it relays
	 * from another node is signed for the wrong node and worthless. */
	tn_log_read_sign(challenge, p->idkey, sk, since, TN_AUDIT_PAGE, sig);
	crypto_sign_ed25519_sk_to_pk(pk, sk);
	tn_hex_encode(challenge, sizeof(challenge), ch_hex);
	tn_hex_encode(pk, sizeof(pk), pk_hex);
	tn_hex_encode(sig, sizeof(sig), sig_hex);
	snprintf(path, sizeof(path), "/v1/log?since=%llu&limit=%d&challenge=%s&peer=%s&sig=%s",
		 (unsigned long long)since, TN_AUDIT_PAGE, ch_hex, pk_hex, sig_hex);
	return http_json(p->url, path, NULL, page, err);
}

/* Fetches every page from seq 0 and feeds it to the verifier. */
static int fetch_and_verify(struct tn_peer *p, const uint8_t sk[64],
			    struct tn_audit_verifier *ver, const char *show,
			    json_object *shown, char *log_id, struct tn_err *err)
{
	uint64_t since = 0;
	int more = 1;

	while (more) {
		json_object *page, *recs;
		long long next;

		if (fetch_page(p, sk, since, &page, err))
			return -1;
		recs = json_object_object_get(page, "records");
		if (!json_object_is_type(recs, json_type_array) ||
		    tn_json_int(page, "next", &next) || next < (long long)since) {
			json_object_put(page);
			return tn_fail(err, "%s answered /v1/log with a malformed page", p->url);
		}
		snprintf(log_id, 2 * TN_AUDIT_LOGID_LEN + 1, "%s",
			 tn_json_str(page, "log_id") ? tn_json_str(page, "log_id") : "?");
		for (size_t i = 0; i < json_object_array_length(recs); i++) {
			json_object *r = json_object_array_get_idx(recs, i);
			const char *line = json_object_get_string(r);
			char where[64];

			snprintf(where, sizeof(where), "page from %llu, entry %zu",
				 (unsigned long long)since, i);
			if (tn_audit_verify_line(ver, line, strlen(line), 0, where)) {
				json_object_put(page);
				return 0;	/* the verifier holds the reason */
			}
			if (show && strstr(line, show))
				json_object_array_add(shown, json_object_new_string(line));
		}
		more = json_object_get_boolean(json_object_object_get(page, "more"));
		if (more && (uint64_t)next == since) {
			json_object_put(page);
			return tn_fail(err, "%s: /v1/log makes no progress at seq %llu",
				       p->url, (unsigned long long)since);
		}
		since = next;
		json_object_put(page);
	}
	return 0;
}

static void print_result(const struct tn_peer *p, const struct tn_audit_verifier *ver,
			 int ok, int n_tpm, uint64_t tpm_latest, int had_seen,
			 json_object *shown, int json)
{
	if (json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "peer", json_object_new_string(p->name));
		json_object_object_add(o, "verified", json_object_new_boolean(ok));
		json_object_object_add(o, "error", ok ? NULL : json_object_new_string(ver->error));
		json_object_object_add(o, "records", json_object_new_int64((int64_t)ver->records));
		json_object_object_add(o, "checkpoints", json_object_new_int64((int64_t)ver->checkpoints));
		json_object_object_add(o, "tpm_anchored_checkpoints", json_object_new_int(n_tpm));
		json_object_object_add(o, "tpm_anchored_covers", n_tpm ?
				       json_object_new_int64((int64_t)tpm_latest) : NULL);
		json_object_object_add(o, "records_shown", json_object_get(shown));
		ctl_print_json(o);
		json_object_put(o);
		return;
	}
	printf("audit log of %s (%s)\n", p->name, p->url);
	if (!ok) {
		printf("  FAIL %s\n", ver->error);
		return;
	}
	printf("  ok   %llu records, chained; %llu checkpoints signed by the pinned identity key\n",
	       (unsigned long long)ver->records, (unsigned long long)ver->checkpoints);
	if (n_tpm)
		printf("  ok   %d TPM-anchored checkpoints match (newest covers seq %llu, vouched for by a fresh quote)\n",
		       n_tpm, (unsigned long long)tpm_latest);
	else
		printf("  --   no checkpoint is anchored in the TPM yet: records are not vouched for by a quote\n");
	if (had_seen)
		printf("  ok   the checkpoint seen last time (seq %llu) is still there, unchanged\n",
		       (unsigned long long)p->log_cp_covers);
	for (size_t i = 0; i < json_object_array_length(shown); i++) {
		const char *line = json_object_get_string(json_object_array_get_idx(shown, i));
		struct tn_audit_rec r;
		struct tn_err e;

		if (tn_audit_parse(line, strlen(line), &r, &e))
			continue;
		printf("  record %llu %s %s%s\n", (unsigned long long)r.seq, r.type,
		       json_object_to_json_string_ext(r.data, JSON_C_TO_STRING_PLAIN |
						      JSON_C_TO_STRING_NOSLASHESCAPE),
		       n_tpm && r.seq <= tpm_latest ? "\n         covered by the TPM-anchored checkpoint" :
		       "\n         NOT yet covered by a TPM-anchored checkpoint");
		tn_audit_rec_free(&r);
	}
}

int peer_log_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "show", required_argument, NULL, 's' },
		{ 0 }
	};
	struct tn_audit_verifier ver;
	uint8_t sk[64], pk[TN_IDKEY_LEN];
	struct tn_verdict v;
	struct tn_peer p;
	struct tn_err err = { 0 };
	json_object *resp = NULL, *shown = json_object_new_array();
	const char *show = NULL;
	char log_id[2 * TN_AUDIT_LOGID_LEN + 1] = "";
	uint64_t tpm_latest = 0;
	int json = 0, c, n_tpm = 0, ok, had_seen;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'j')
			json = 1;
		else if (c == 's')
			show = optarg;
		else
			return ctl_usage(&cmd_peer);
	}
	if (optind != argc - 1)
		return ctl_usage(&cmd_peer);
	if (ctl_find_peer(argv[optind], &p, &err))
		return ctl_error(TN_EXIT_NOT_FOUND, "%s", err.msg);
	/* The log is for enrolled peers: this node proves it is one. */
	if (tn_identity_read(ctl_state_dir(), sk, pk, &err))
		return ctl_error(TN_EXIT_FAILED, "%s; peer log signs its requests with this node's identity key, so run it as root on a trustnode node that %s has enrolled",
				 err.msg, p.name);
	/* A fresh quote first: it says which checkpoints the TPM vouches for. */
	if (attest_online_resp(&p, 0, &v, &resp, &err))
		return ctl_error(TN_EXIT_FAILED, "attesting %s: %s", p.name, err.msg);
	if (!v.ok) {
		print_verdict(&p, &v);
		json_object_put(resp);
		return ctl_error(TN_EXIT_FAILED, "%s did not attest (%s check: %s), so its log cannot be anchored",
				 p.name, v.check, v.reason);
	}
	tn_audit_verify_init(&ver, p.idkey);
	if (tpm_anchors(resp, &v, &ver, &n_tpm, &tpm_latest, &err)) {
		json_object_put(resp);
		return ctl_error(TN_EXIT_FAILED, "%s: %s", p.name, err.msg);
	}
	json_object_put(resp);
	had_seen = p.have_log_cp;
	if (had_seen) {
		struct tn_audit_anchor a = { .covers = p.log_cp_covers,
					     .source = "the checkpoint this verifier saw before" };

		memcpy(a.log_id, p.log_id, sizeof(a.log_id));
		memcpy(a.head, p.log_cp_head, sizeof(a.head));
		tn_audit_verify_add_anchor(&ver, &a);
	}
	c = fetch_and_verify(&p, sk, &ver, show, shown, log_id, &err);
	sodium_memzero(sk, sizeof(sk));
	if (c) {
		json_object_put(shown);
		tn_audit_verify_free(&ver);
		return ctl_error(TN_EXIT_FAILED, "%s", err.msg);
	}
	ok = !ver.failed && !tn_audit_verify_finish(&ver);
	print_result(&p, &ver, ok, n_tpm, tpm_latest, had_seen, shown, json);
	json_object_put(shown);
	if (!ok) {
		c = ctl_error(TN_EXIT_FAILED, "the audit log of %s does not verify: %s",
			      p.name, ver.error);
		tn_audit_verify_free(&ver);
		return c;
	}
	/* Remember the newest checkpoint: the next check must still find it. */
	if (ver.have_checkpoint) {
		p.have_log_cp = 1;
		memcpy(p.log_id, ver.log_id, sizeof(p.log_id));
		p.log_cp_covers = ver.cp_covers;
		memcpy(p.log_cp_head, ver.cp_head, sizeof(p.log_cp_head));
		if (tn_peer_save(ctl_state_dir(), &p, &err)) {
			tn_audit_verify_free(&ver);
			return ctl_error(TN_EXIT_FAILED, "%s", err.msg);
		}
	}
	tn_audit_verify_free(&ver);
	return 0;
}
