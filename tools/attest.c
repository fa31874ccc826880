// SPDX-License-Identifier: GPL-2.0-only
/*
 * trustctl attest: asks an enrolled peer for a quote over a fresh nonce and
 * verifies it (common/attest_verify.c names the checks). Needs no agent and
 * no TPM on this side: everything is checked in software.
 */
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include "attest_verify.h"
#include "hex.h"
#include "http.h"
#include "trustctl.h"
#include "trustnode/attest_api.h"

int attest_online(struct tn_peer *p, int enrolling, struct tn_verdict *v,
		  struct tn_err *err)
{
	return attest_online_resp(p, enrolling, v, NULL, err);
}

int attest_online_resp(struct tn_peer *p, int enrolling, struct tn_verdict *v,
		       json_object **resp_out, struct tn_err *err)
{
	return tn_attest_peer(p, enrolling, v, resp_out, err);
}

/* Finds the peer by name, or by the URL it was enrolled with. */
int ctl_find_peer(const char *which, struct tn_peer *p, struct tn_err *err)
{
	int r;

	if (!strstr(which, "://"))
		return tn_peer_load(ctl_state_dir(), which, p, err);
	r = tn_peer_find_url(ctl_state_dir(), which, p, err);
	if (r > 0)
		return tn_fail(err, "no peer is enrolled with URL %s; enroll it first: trustctl peer enroll %s",
			       which, which);
	return r;
}

void print_verdict(const struct tn_peer *p, const struct tn_verdict *v)
{
	size_t n = json_object_array_length(v->checks);

	printf("peer %s (%s)\n", p->name, p->url);
	for (size_t i = 0; i < n; i++) {
		json_object *c = json_object_array_get_idx(v->checks, i);

		printf("  %-4s %-10s %s\n",
		       json_object_get_boolean(json_object_object_get(c, "ok")) ? "ok" : "FAIL",
		       tn_json_str(c, "check"), tn_json_str(c, "detail"));
	}
	if (v->ok)
		printf("verified%s\n", v->sealed ? " (its module is sealed)" : "");
}

json_object *verdict_json(const struct tn_peer *p, const struct tn_verdict *v)
{
	json_object *o = json_object_new_object();
	char hex[2 * TN_DIGEST_LEN + 1];

	json_object_object_add(o, "peer", json_object_new_string(p->name));
	json_object_object_add(o, "url", json_object_new_string(p->url));
	json_object_object_add(o, "verified", json_object_new_boolean(v->ok));
	json_object_object_add(o, "failed_check", v->ok ? NULL :
			       json_object_new_string(v->check));
	json_object_object_add(o, "reason", v->ok ? NULL :
			       json_object_new_string(v->reason));
	tn_hex_encode(v->policy, TN_DIGEST_LEN, hex);
	json_object_object_add(o, "policy_digest", v->have_policy ?
			       json_object_new_string(hex) : NULL);
	json_object_object_add(o, "sealed", json_object_new_boolean(v->sealed));
	json_object_object_add(o, "checks", json_object_get(v->checks));
	return o;
}

static int attest_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "response", required_argument, NULL, 'r' },
		{ "nonce", required_argument, NULL, 'n' },
		{ 0 }
	};
	const char *response = NULL, *nonce_hex = NULL;
	struct tn_verdict v;
	struct tn_peer p;
	struct tn_err err;
	int json = 0, c, ret;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'r': response = optarg; break;
		case 'n': nonce_hex = optarg; break;
		default: return ctl_usage(&cmd_attest);
		}
	}
	if (optind != argc - 1 || !response != !nonce_hex)
		return ctl_usage(&cmd_attest);
	if (ctl_find_peer(argv[optind], &p, &err))
		return ctl_error(TN_EXIT_NOT_FOUND, "%s", err.msg);
	if (response) {
		uint8_t nonce[TN_NONCE_MAX];
		size_t nlen;
		json_object *resp;

		if (tn_hex_decode(nonce_hex, nonce, sizeof(nonce), &nlen, "--nonce", &err))
			return ctl_error(TN_EXIT_USAGE, "%s", err.msg);
		resp = json_object_from_file(response);
		if (!resp)
			return ctl_error(TN_EXIT_INVALID, "%s is not a JSON file", response);
		tn_verify_quote(&p, nonce, nlen, resp, 0, &v);
		json_object_put(resp);
	} else if (attest_online(&p, 0, &v, &err)) {
		return ctl_error(TN_EXIT_FAILED, "attesting %s: %s", p.name, err.msg);
	}
	if (json) {
		json_object *o = verdict_json(&p, &v);

		ctl_print_json(o);
		json_object_put(o);
	} else {
		print_verdict(&p, &v);
	}
	ret = v.ok ? TN_EXIT_OK : TN_EXIT_FAILED;
	if (!v.ok && !json)
		ctl_error(TN_EXIT_FAILED, "%s did not attest: %s check failed: %s",
			  p.name, v.check, v.reason);
	/* Only a live quote moves the newest clock seen; a saved one must not. */
	if (v.ok && !response) {
		tn_peer_note_clock(&p, &v);
		if (tn_peer_save(ctl_state_dir(), &p, &err))
			ret = ctl_error(TN_EXIT_FAILED, "%s", err.msg);
	}
	tn_verdict_free(&v);
	return ret;
}

const struct subcommand cmd_attest = {
	.name = "attest",
	.run = attest_run,
	.summary = "verify an enrolled peer's attestation now",
	.usage =
"usage: trustctl attest PEER [--json]\n"
"       trustctl attest PEER --response FILE --nonce HEX [--json]\n"
"\n"
"PEER is an enrolled peer's name or URL. Asks it for a TPM quote over a fresh\n"
"nonce and checks, in order: its identity key is the pinned one; the quote is\n"
"signed by the pinned attestation key; it is over this nonce and binds the\n"
"nonce to the identity key; its TPM clock is newer than any quote seen before\n"
"(an old quote replayed is refused); its event log replays to the quoted PCR;\n"
"the policy it enforces and the software it runs are accepted (pinned at\n"
"enrolment). Prints each check; exits 0 only when all pass, 1 otherwise,\n"
"naming the check that failed.\n"
"\n"
"--response FILE --nonce HEX verifies a saved /v1/quote answer for that nonce\n"
"instead (it does not update the newest clock seen).\n",
};
