// SPDX-License-Identifier: GPL-2.0-only
/*
 * trustctl peer: enrol a peer (prove its AK lives in the TPM of its EK,
 * then pin the AK, the EK and its identity key), list and remove peers.
 */
#include <errno.h>
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <tss2/tss2_mu.h>
#include "attest_verify.h"
#include "hex.h"
#include "http.h"
#include "policy.h"
#include "tpm_verify.h"
#include "trustctl.h"
#include "trustnode/attest_api.h"

#define MAX_CA 8

struct enroll_args {
	const char *url, *name, *ek_file;
	const char *ca[MAX_CA];
	size_t nca;
	uint8_t policies[TN_PEER_MAX_ACCEPT][TN_DIGEST_LEN];
	int npolicies;
	unsigned pcr;
	int json;
};

/* A name from the URL's host: "http://192.0.2.1:8443" gives "192.0.2.1". */
static void name_from_url(const char *url, char *out, size_t n)
{
	const char *h = strstr(url, "://");
	size_t i = 0;

	h = h ? h + 3 : url;
	if (*h == '[')
		h++;
	for (; *h && *h != '/' && *h != ']' && i + 1 < n; h++) {
		if (*h == ':' && !strchr(h + 1, ':'))
			break;	/* the port */
		out[i++] = (*h >= 'A' && *h <= 'Z') ? *h - 'A' + 'a' :
			   strchr("abcdefghijklmnopqrstuvwxyz0123456789_.-", *h) ? *h : '-';
	}
	out[i] = '\0';
}

static int read_ek_file(const char *path, TPM2B_PUBLIC *ek, struct tn_err *err)
{
	uint8_t buf[sizeof(*ek)];
	size_t n, off = 0;
	FILE *f = fopen(path, "rb");

	if (!f)
		return tn_fail_errno(err, errno, "cannot read %s", path);
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	if (Tss2_MU_TPM2B_PUBLIC_Unmarshal(buf, n, &off, ek) || off != n)
		return tn_fail(err, "%s is not a TPM2B_PUBLIC (the format tpm2_createek -f tss writes)",
			       path);
	return 0;
}

/* Step 1: what the peer says it is, checked for form. */
static int read_identity(struct enroll_args *e, struct tn_peer *p,
			 uint8_t **cert, size_t *cert_len, struct tn_err *err)
{
	json_object *id;
	TPM2B_NAME name;
	char hex[2 * sizeof(name.name) + 1];
	size_t n;
	const char *served_name, *cert_hex;

	if (http_json(e->url, "/v1/identity", NULL, &id, err))
		return -1;
	if (tn_hex_decode(tn_json_str(id, "identity_key"), p->idkey, TN_IDKEY_LEN,
			  &n, "identity_key", err) || n != TN_IDKEY_LEN ||
	    tpmv_public_from_hex(tn_json_str(id, "ak_public"), &p->ak, "ak_public", err) ||
	    (e->ek_file ? read_ek_file(e->ek_file, &p->ek, err) :
	     tpmv_public_from_hex(tn_json_str(id, "ek_public"), &p->ek, "ek_public", err)) ||
	    tpmv_check_ak_public(&p->ak, err) || tpmv_check_ek_public(&p->ek, err) ||
	    tpmv_public_name(&p->ak, &name, err))
		goto fail;
	tn_hex_encode(name.name, name.size, hex);
	served_name = tn_json_str(id, "ak_name");
	if (!served_name || strcasecmp(served_name, hex)) {
		tn_fail(err, "the AK name the peer serves is not the name of its AK public area");
		goto fail;
	}
	cert_hex = tn_json_str(id, "ek_certificate");
	*cert = NULL;
	*cert_len = 0;
	if (cert_hex) {
		*cert = malloc(strlen(cert_hex) / 2 + 1);
		if (!*cert || tn_hex_decode(cert_hex, *cert, strlen(cert_hex) / 2 + 1,
					    cert_len, "ek_certificate", err))
			goto fail;
	}
	json_object_put(id);
	return 0;
fail:
	json_object_put(id);
	return -1;
}

/* Step 2: TPM2_MakeCredential here, TPM2_ActivateCredential there. */
static int prove_ak(struct enroll_args *e, const struct tn_peer *p,
		    struct tn_err *err)
{
	uint8_t secret[TN_CREDENTIAL_SECRET], got[64], buf[1024];
	TPM2B_ID_OBJECT id;
	TPM2B_ENCRYPTED_SECRET enc;
	TPM2B_NAME name;
	char *idhex, *enchex, *body;
	json_object *req, *resp;
	size_t off = 0, off2 = 0, n;
	int ret = -1;

	randombytes_buf(secret, sizeof(secret));
	if (tpmv_public_name(&p->ak, &name, err) ||
	    tpmv_make_credential(&p->ek, &name, secret, sizeof(secret), &id, &enc, err))
		return -1;
	Tss2_MU_TPM2B_ID_OBJECT_Marshal(&id, buf, sizeof(buf), &off);
	idhex = tn_hex_dup(buf, off);
	Tss2_MU_TPM2B_ENCRYPTED_SECRET_Marshal(&enc, buf, sizeof(buf), &off2);
	enchex = tn_hex_dup(buf, off2);
	req = json_object_new_object();
	json_object_object_add(req, "id_object", json_object_new_string(idhex ? idhex : ""));
	json_object_object_add(req, "encrypted_secret", json_object_new_string(enchex ? enchex : ""));
	body = strdup(json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN));
	if (http_json(e->url, "/v1/enroll", body, &resp, err)) {
		tn_fail(err, "credential activation failed, so the AK is not proven to be in the TPM that holds this EK: %s",
			err->msg);
		goto out;
	}
	if (tn_hex_decode(tn_json_str(resp, "secret"), got, sizeof(got), &n,
			  "secret", err) || n != sizeof(secret) ||
	    sodium_memcmp(got, secret, sizeof(secret)))
		tn_fail(err, "credential activation returned the wrong secret: the AK is not in the TPM that holds this EK");
	else
		ret = 0;
	json_object_put(resp);
out:
	free(body);
	free(idhex);
	free(enchex);
	json_object_put(req);
	return ret;
}

static int enroll(struct enroll_args *e)
{
	struct tn_peer p, old;
	struct tn_verdict v;
	struct tn_err err;
	uint8_t *cert = NULL;
	size_t cert_len;
	char hex[2 * TN_DIGEST_LEN + 1];
	int ret;

	memset(&p, 0, sizeof(p));
	/* The verifier decides the measurement PCR; the quote must match. */
	tn_peer_pin_pcr(&p, e->pcr);
	snprintf(p.name, sizeof(p.name), "%s", e->name);
	snprintf(p.url, sizeof(p.url), "%s", e->url);
	if (!tn_valid_name(p.name))
		return ctl_error(TN_EXIT_USAGE, "\"%s\" is not a valid peer name ([a-z0-9_.-], 1..32); give --name", p.name);
	if (!tn_peer_load(ctl_state_dir(), p.name, &old, &err))
		return ctl_error(TN_EXIT_FAILED, "peer \"%s\" is already enrolled (%s); remove it first: trustctl peer remove %s",
				 p.name, old.url, p.name);
	if (!e->json)
		fprintf(stderr, "enrolling %s as \"%s\": reading its identity\n", e->url, p.name);
	if (read_identity(e, &p, &cert, &cert_len, &err))
		return ctl_error(TN_EXIT_FAILED, "enrolling %s: %s", e->url, err.msg);
	if (e->nca) {
		if (!cert) {
			free(cert);
			return ctl_error(TN_EXIT_FAILED, "enrolling %s: CA certificates were given but the peer's TPM has no EK certificate",
					 e->url);
		}
		if (tpmv_check_ek_certificate(cert, cert_len, &p.ek, e->ca, e->nca, &err)) {
			free(cert);
			return ctl_error(TN_EXIT_FAILED, "enrolling %s: EK certificate: %s", e->url, err.msg);
		}
		p.ek_cert_verified = 1;
	}
	free(cert);
	if (!e->json)
		fprintf(stderr, "proving the AK is in the EK's TPM (credential activation)\n");
	if (prove_ak(e, &p, &err))
		return ctl_error(TN_EXIT_FAILED, "enrolling %s: %s", e->url, err.msg);
	if (!e->json)
		fprintf(stderr, "asking for a first quote\n");
	if (attest_online(&p, 1, &v, &err))
		return ctl_error(TN_EXIT_FAILED, "enrolling %s: %s", e->url, err.msg);
	if (v.ok && e->npolicies) {
		int found = 0;

		for (int i = 0; i < e->npolicies; i++)
			found |= !memcmp(v.policy, e->policies[i], TN_DIGEST_LEN);
		if (!found) {
			tn_hex_encode(v.policy, TN_DIGEST_LEN, hex);
			v.ok = 0;
			snprintf(v.check, sizeof(v.check), "policy");
			snprintf(v.reason, sizeof(v.reason),
				 "the peer enforces policy %s, which is not one given with --accept-policy", hex);
		}
	}
	if (!v.ok) {
		print_verdict(&p, &v);
		ret = ctl_error(TN_EXIT_FAILED, "enrolling %s: the first quote failed the %s check: %s",
				e->url, v.check, v.reason);
		tn_verdict_free(&v);
		return ret;
	}
	if (e->npolicies) {
		memcpy(p.policies, e->policies, sizeof(p.policies));
		p.npolicies = e->npolicies;
	} else {
		memcpy(p.policies[0], v.policy, TN_DIGEST_LEN);
		p.npolicies = 1;
	}
	memcpy(p.software, v.software, sizeof(p.software));
	p.nsoftware = v.nsoftware;
	p.quote_mask = v.quote_mask;
	p.require_module = v.have_module;
	/* The log up to this quote is accepted by enrolling: later checks of
	 * this boot judge only what follows it. */
	tn_peer_note_clock(&p, &v);
	p.enrolled_at = time(NULL);
	if (tn_peer_save(ctl_state_dir(), &p, &err)) {
		tn_verdict_free(&v);
		return ctl_error(TN_EXIT_FAILED, "%s", err.msg);
	}
	if (e->json) {
		json_object *o = verdict_json(&p, &v);

		json_object_object_add(o, "enrolled", json_object_new_boolean(1));
		json_object_object_add(o, "ek_certificate_verified",
				       json_object_new_boolean(p.ek_cert_verified));
		ctl_print_json(o);
		json_object_put(o);
	} else {
		tn_hex_encode(v.policy, TN_DIGEST_LEN, hex);
		printf("enrolled peer %s (%s)\n", p.name, p.url);
		printf("  EK certificate:   %s\n", p.ek_cert_verified ?
		       "verified against the given CAs" : "not checked (no --ca given)");
		printf("  AK:               proven to be in the EK's TPM; pinned\n");
		printf("  identity key:     pinned (bound by the quote)\n");
		printf("  accepted policy:  %s%s\n", hex, e->npolicies ? " (given)" : " (what it enforces now)");
		printf("  accepted software: %d measurements (what it runs now)%s\n", p.nsoftware,
		       p.require_module ? ", a module required" : "");
		printf("  measurement PCR:  %u in " TN_PEER_BANK " (pinned)\n", p.pcr);
		printf("  log accepted:     %zu entries of this boot (TPM reset count %u)\n",
		       v.log_used, v.reset_count);
	}
	tn_verdict_free(&v);
	return 0;
}

static int parse_digest(const char *s, uint8_t out[TN_DIGEST_LEN])
{
	struct tn_err err;
	size_t n;

	if (tn_hex_decode(s, out, TN_DIGEST_LEN, &n, "--accept-policy", &err) ||
	    n != TN_DIGEST_LEN)
		return ctl_error(TN_EXIT_USAGE, "--accept-policy needs a 64-digit SHA-256 digest");
	return 0;
}

static int enroll_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "ca", required_argument, NULL, 'c' },
		{ "ek", required_argument, NULL, 'e' },
		{ "accept-policy", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "pcr", required_argument, NULL, 'P' },
		{ 0 }
	};
	struct enroll_args e = { .pcr = TN_DEFAULT_PCR };
	char name[33];
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'n': e.name = optarg; break;
		case 'e': e.ek_file = optarg; break;
		case 'j': e.json = 1; break;
		case 'P': {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);

			if (end == optarg || *end || v > 23)
				return ctl_error(TN_EXIT_USAGE, "--pcr needs a PCR number 0..15");
			if (tn_pcr_resettable(v))
				return ctl_error(TN_EXIT_USAGE, "--pcr %lu: PCRs 16..23 can be reset without a reboot (16 and 23 by any software at locality 0), so they cannot be measurement PCRs; use 0..15",
						 v);
			e.pcr = v;
			break;
		}
		case 'c':
			if (e.nca == MAX_CA)
				return ctl_error(TN_EXIT_USAGE, "at most %d --ca files", MAX_CA);
			e.ca[e.nca++] = optarg;
			break;
		case 'p':
			if (e.npolicies == TN_PEER_MAX_ACCEPT)
				return ctl_error(TN_EXIT_USAGE, "at most %d --accept-policy digests",
						 TN_PEER_MAX_ACCEPT);
			if (parse_digest(optarg, e.policies[e.npolicies++]))
				return TN_EXIT_USAGE;
			break;
		default:
			return ctl_usage(&cmd_peer);
		}
	}
	if (optind != argc - 1)
		return ctl_usage(&cmd_peer);
	e.url = argv[optind];
	if (strncmp(e.url, "http://", 7) && strncmp(e.url, "https://", 8))
		return ctl_error(TN_EXIT_USAGE, "\"%s\" is not an http:// or https:// URL", e.url);
	if (!e.name) {
		name_from_url(e.url, name, sizeof(name));
		e.name = name;
	}
	return enroll(&e);
}

/* Adds d to set unless it is there; -1 when the set is full. */
static int add_digest(uint8_t (*set)[TN_DIGEST_LEN], int *n, const uint8_t *d)
{
	for (int i = 0; i < *n; i++)
		if (!memcmp(set[i], d, TN_DIGEST_LEN))
			return 0;
	if (*n == TN_PEER_MAX_ACCEPT)
		return -1;
	memcpy(set[(*n)++], d, TN_DIGEST_LEN);
	return 0;
}

/*
 * trustctl peer accept NAME: after an upgrade, a policy change or a
 * run-time weakening the operator has looked into, the peer as it is now
 * (its policy, software and log) becomes what is accepted, without a new
 * enrolment: the AK, EK, identity key and PCR stay pinned, and the quote
 * must still pass every check up to the log's history.
 */
static int accept_run(int argc, char **argv)
{
	struct tn_verdict v;
	struct tn_peer p;
	struct tn_err err;
	char hex[2 * TN_DIGEST_LEN + 1];
	int json = argc == 3 && !strcmp(argv[2], "--json"), full = 0, ret;

	if (argc != 2 && !json)
		return ctl_usage(&cmd_peer);
	if (tn_peer_load(ctl_state_dir(), argv[1], &p, &err))
		return ctl_error(TN_EXIT_NOT_FOUND, "%s", err.msg);
	if (tn_attest_peer(&p, TN_VERIFY_ACCEPT, &v, NULL, &err))
		return ctl_error(TN_EXIT_FAILED, "accepting %s: %s", p.name, err.msg);
	if (!v.ok) {
		print_verdict(&p, &v);
		ret = ctl_error(TN_EXIT_FAILED, "nothing accepted for %s: the %s check failed: %s",
				p.name, v.check, v.reason);
		tn_verdict_free(&v);
		return ret;
	}
	full |= add_digest(p.policies, &p.npolicies, v.policy);
	for (int i = 0; i < v.nsoftware; i++)
		full |= add_digest(p.software, &p.nsoftware, v.software[i]);
	if (full) {
		tn_verdict_free(&v);
		return ctl_error(TN_EXIT_FAILED, "nothing accepted for %s: it would accept more than %d policies or software measurements; enrol it again (trustctl peer remove %s, then peer enroll)",
				 p.name, TN_PEER_MAX_ACCEPT, p.name);
	}
	p.require_module = v.have_module;
	tn_peer_note_clock(&p, &v);
	p.acceptances++;
	p.accepted_at = time(NULL);
	snprintf(p.accepted_what, sizeof(p.accepted_what), "%s",
		 v.accepted[0] ? v.accepted : "nothing new (already accepted)");
	if (tn_peer_save(ctl_state_dir(), &p, &err)) {
		tn_verdict_free(&v);
		return ctl_error(TN_EXIT_FAILED, "%s", err.msg);
	}
	if (json) {
		json_object *o = verdict_json(&p, &v);

		json_object_object_add(o, "accepted", json_object_new_string(p.accepted_what));
		json_object_object_add(o, "log_entries_accepted", json_object_new_int64((int64_t)v.log_used));
		ctl_print_json(o);
		json_object_put(o);
	} else {
		tn_hex_encode(v.policy, TN_DIGEST_LEN, hex);
		printf("accepted peer %s as it is now (acceptance %d, recorded in its peer file)\n",
		       p.name, p.acceptances);
		printf("  accepted:         %s\n", p.accepted_what);
		printf("  policy:           %s\n", hex);
		printf("  software:         %d measurements accepted%s\n", p.nsoftware,
		       p.require_module ? ", a module required" : "");
		printf("  log accepted:     %zu entries of this boot (TPM reset count %u)\n",
		       v.log_used, v.reset_count);
	}
	tn_verdict_free(&v);
	return 0;
}

/* The agent's verdict on peer name (attested-peers mode), or NULL. */
static json_object *verdict_of(json_object *verdicts, const char *name)
{
	for (size_t i = 0; verdicts && i < json_object_array_length(verdicts); i++) {
		json_object *v = json_object_array_get_idx(verdicts, i);
		const char *n = tn_json_str(v, "name");

		if (n && !strcmp(n, name))
			return v;
	}
	return NULL;
}

static void print_peer_line(const char *name, const char *url, json_object *v)
{
	long long age = -1;
	const char *verdict = v ? tn_json_str(v, "verdict") : NULL;
	char agebuf[32] = "-";

	if (v && !tn_json_int(v, "age_s", &age))
		snprintf(agebuf, sizeof(agebuf), "%llds", age);
	printf("%-16s %-28s %-9s %-6s %s\n", name, url,
	       verdict ? verdict : v ? "?" : "-", agebuf,
	       v && tn_json_str(v, "reason") ? tn_json_str(v, "reason") :
	       v ? "" : "(not in the loaded policy)");
}

static int list_run(int json)
{
	json_object *arr = json_object_new_array(), *reply = NULL, *verdicts = NULL;
	struct tn_err err;
	char **names;
	int n;

	if (tn_peer_names(ctl_state_dir(), &names, &n, &err))
		return ctl_error(TN_EXIT_FAILED, "%s", err.msg);
	/* Verdicts live in the agent; without one, enrolment is all we know. */
	if (!ctl_call_quiet(ctl_request("peers"), &reply))
		verdicts = json_object_object_get(reply, "peers");
	if (!json)
		printf("%-16s %-28s %-9s %-6s %s\n", "NAME", "URL", "VERDICT", "AGE", "REASON");
	for (int i = 0; i < n; i++) {
		struct tn_peer p;
		json_object *o, *v;

		if (tn_peer_load(ctl_state_dir(), names[i], &p, &err)) {
			fprintf(stderr, "trustctl: %s\n", err.msg);
			continue;
		}
		v = verdict_of(verdicts, p.name);
		if (!json) {
			print_peer_line(p.name, p.url, v);
			continue;
		}
		o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(p.name));
		json_object_object_add(o, "url", json_object_new_string(p.url));
		json_object_object_add(o, "enrolled", json_object_new_boolean(1));
		json_object_object_add(o, "ek_certificate_verified",
				       json_object_new_boolean(p.ek_cert_verified));
		json_object_object_add(o, "accepted_policies", json_object_new_int(p.npolicies));
		json_object_object_add(o, "enrolled_at", json_object_new_int64(p.enrolled_at));
		json_object_object_add(o, "attestation", json_object_get(v));
		json_object_array_add(arr, o);
	}
	/* Peers the policy names that were never enrolled. */
	for (size_t i = 0; verdicts && i < json_object_array_length(verdicts); i++) {
		json_object *v = json_object_array_get_idx(verdicts, i), *o;
		const char *name = tn_json_str(v, "name");
		struct tn_peer p;

		if (!name || !tn_peer_load(ctl_state_dir(), name, &p, &err))
			continue;
		if (!json) {
			print_peer_line(name, tn_json_str(v, "url"), v);
			continue;
		}
		o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(name));
		json_object_object_add(o, "url", json_object_new_string(tn_json_str(v, "url")));
		json_object_object_add(o, "enrolled", json_object_new_boolean(0));
		json_object_object_add(o, "attestation", json_object_get(v));
		json_object_array_add(arr, o);
	}
	if (json)
		ctl_print_json(arr);
	json_object_put(arr);
	json_object_put(reply);
	tn_peer_names_free(names, n);
	return 0;
}

static int peer_run(int argc, char **argv)
{
	struct tn_err err;

	if (argc >= 2 && !strcmp(argv[1], "enroll"))
		return enroll_run(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "log"))
		return peer_log_run(argc - 1, argv + 1);
	if (argc >= 3 && !strcmp(argv[1], "accept"))
		return accept_run(argc - 1, argv + 1);
	if (argc == 2 && !strcmp(argv[1], "list"))
		return list_run(0);
	if (argc == 3 && !strcmp(argv[1], "list") && !strcmp(argv[2], "--json"))
		return list_run(1);
	if (argc == 3 && !strcmp(argv[1], "remove")) {
		if (tn_peer_remove(ctl_state_dir(), argv[2], &err))
			return ctl_error(TN_EXIT_NOT_FOUND, "%s", err.msg);
		printf("removed peer %s: it must be enrolled again to be trusted\n", argv[2]);
		return 0;
	}
	return ctl_usage(&cmd_peer);
}

const struct subcommand cmd_peer = {
	.name = "peer",
	.run = peer_run,
	.summary = "enroll, accept, list and remove attested peers",
	.usage =
"usage: trustctl peer enroll URL [--name NAME] [--ca FILE]... [--ek FILE]\n"
"                                [--accept-policy DIGEST]... [--pcr N] [--json]\n"
"       trustctl peer accept NAME [--json]\n"
"       trustctl peer log PEER [--show TEXT] [--json]\n"
"       trustctl peer list [--json]     enrolled peers, and the agent's verdicts\n"
"       trustctl peer remove NAME\n"
"\n"
"enroll reads the peer's identity at URL (its trustnoded --listen address),\n"
"checks that its EK is a TCG EK and its AK a restricted signing key, and,\n"
"with --ca, that the EK certificate chains to those CA certificates (PEM;\n"
"give the root and any intermediates). It then proves that the AK lives in\n"
"the same TPM as the EK (TPM2_MakeCredential here, ActivateCredential\n"
"there), verifies a first quote, and pins the AK, the EK and the identity\n"
"key. --ek FILE uses an EK public you hold (tpm2_createek -f tss output)\n"
"instead of the one the peer reports. The policy the peer enforces now is\n"
"accepted unless --accept-policy names the digests to accept; the software\n"
"it runs now (agent, BPF object, module) is accepted. NAME defaults to the\n"
"URL's host. --pcr N is the peer's measurement PCR (its trustnoded --pcr;\n"
"default 13), pinned with the bank (sha256) and the quote's selection: every\n"
"later quote must select exactly those; 16..23 are refused (resettable).\n"
"The peer's measurement log up to the first quote is accepted; later checks\n"
"of the same boot judge every entry after it.\n"
"\n"
"accept takes a fresh quote from an enrolled peer and, if it passes every\n"
"check up to the log's history (the same pinned AK, identity key and PCR,\n"
"a log that extends the one judged before), accepts the peer as it is now:\n"
"its current policy and software join the accepted ones, and the policy,\n"
"software and run-time weakening entries that would have failed (named in\n"
"the output) are accepted with its log. Recorded in the peer file\n"
"(last_acceptance). Use it after an upgrade, or once a weakening such as a\n"
"workload reset was looked into; it does not re-enrol.\n"
"\n"
"log fetches the peer's audit log and verifies it: the chain of records, the\n"
"checkpoints' signatures by its pinned identity key, the checkpoints its TPM\n"
"vouches for in a fresh verified quote, and the newest checkpoint seen by an\n"
"earlier check (a log cut back or started anew fails here). --show TEXT\n"
"prints the records containing TEXT and whether a TPM-anchored checkpoint\n"
"covers them. A node serves its log only to peers it has enrolled: log\n"
"signs each page's request with this node's identity key\n"
"(STATE_DIR/identity.key, so it runs as root on a trustnode node) over a\n"
"fresh challenge from the peer, and the peer must have enrolled this node.\n",
};
