// SPDX-License-Identifier: GPL-2.0-only
/*
 * trustctl log verify: check this node's audit log (chain, checkpoint
 * signatures, and optionally the checkpoints a TPM quote vouches for).
 * Reads the segments directly (common/audit_verify.c): needs no agent.
 */
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "attest_verify.h"
#include "audit_verify.h"
#include "hex.h"
#include "trustctl.h"
#include "trustnode/attest_api.h"

#define IDENTITY_FILE "identity.key"

struct verify_opts {
	const char *dir, *key, *quote, *nonce, *peer;
	int json;
	char key_source[4400];
};

/*
 * This node's identity key (a libsodium Ed25519 secret key; the public key
 * is its second half): 1 when read, 0 when not readable, -1 when malformed.
 */
static int identity_public_key(uint8_t pk[32], char *path, size_t n,
			       struct tn_err *err)
{
	uint8_t sk[64];
	ssize_t got;
	int fd;

	snprintf(path, n, "%s/" IDENTITY_FILE, ctl_state_dir());
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	got = read(fd, sk, sizeof(sk));
	close(fd);
	if (got != (ssize_t)sizeof(sk)) {
		sodium_memzero(sk, sizeof(sk));
		return tn_fail(err, "%s is not a 64-byte Ed25519 secret key", path);
	}
	crypto_sign_ed25519_sk_to_pk(pk, sk);
	sodium_memzero(sk, sizeof(sk));
	return 1;
}

/* The "audit-checkpoint" measurements a verified quote vouches for. */
static int quote_anchors(struct tn_audit_verifier *v, const struct tn_peer *p,
			 const struct verify_opts *o, struct tn_err *err)
{
	uint8_t nonce[TN_NONCE_MAX];
	struct tn_verdict verdict;
	json_object *resp, *log;
	size_t nlen;
	int ret = 0;

	if (tn_hex_decode(o->nonce, nonce, sizeof(nonce), &nlen, "--nonce", err))
		return -1;
	resp = json_object_from_file(o->quote);
	if (!resp)
		return tn_fail(err, "%s is not a JSON file", o->quote);
	tn_verify_quote(p, nonce, nlen, resp, 0, &verdict);
	if (!verdict.ok) {
		ret = tn_fail(err, "the quote in %s does not verify, so it anchors nothing: the %s check failed: %s",
			      o->quote, verdict.check, verdict.reason);
		goto out;
	}
	log = json_object_object_get(resp, "event_log");
	for (size_t i = 0; i < verdict.log_used - verdict.log_from && !ret; i++) {
		struct tn_measurement m;
		struct tn_audit_anchor a;
		struct tn_err e;

		if (tn_measurement_parse(json_object_array_get_idx(log, i), &m, err)) {
			ret = -1;
			break;
		}
		if (strcmp(m.type, TN_MEASURE_CHECKPOINT))
			continue;
		if (tn_audit_anchor_parse(m.detail, m.digest, &a, &e)) {
			ret = tn_fail(err, "event log entry %" PRIu64 " of the quote: %s", m.seq, e.msg);
			break;
		}
		a.source = "the TPM-anchored checkpoint";
		if (tn_audit_verify_add_anchor(v, &a))
			ret = tn_fail(err, "out of memory");
	}
out:
	tn_verdict_free(&verdict);
	json_object_put(resp);
	return ret;
}

/*
 * Decides which key checks the checkpoints and says so in o->key_source;
 * 0, or the exit code after printing why not.
 */
static int choose_key(struct verify_opts *o, struct tn_peer *p, uint8_t key[32],
		      int *have)
{
	struct tn_err err;
	char path[4200];
	size_t n;
	int r;

	*have = 1;
	if (o->peer) {
		if (ctl_find_peer(o->peer, p, &err))
			return ctl_error(TN_EXIT_NOT_FOUND, "%s", err.msg);
		memcpy(key, p->idkey, 32);
		snprintf(o->key_source, sizeof(o->key_source),
			 "peer %s's pinned identity key", p->name);
		return 0;
	}
	if (o->key) {
		if (tn_hex_decode(o->key, key, 32, &n, "--key", &err) || n != 32)
			return ctl_error(TN_EXIT_USAGE, "--key must be 64 hex digits (an Ed25519 public key)");
		snprintf(o->key_source, sizeof(o->key_source), "the given key");
		return 0;
	}
	r = identity_public_key(key, path, sizeof(path), &err);
	if (r < 0)
		return ctl_error(TN_EXIT_FAILED, "%s; give the node's public key with --key", err.msg);
	if (r) {
		snprintf(o->key_source, sizeof(o->key_source),
			 "this node's identity key (%s)", path);
		return 0;
	}
	*have = 0;
	snprintf(o->key_source, sizeof(o->key_source),
		 "the log's own log-start key, which does not prove who wrote the log");
	fprintf(stderr, "trustctl: warning: no --key given and %s is not readable: checkpoint signatures are checked with the key the log itself names, which does not prove who wrote it\n",
		path);
	return 0;
}

static json_object *verify_json(const struct verify_opts *o,
				const struct tn_audit_verifier *v, int ok)
{
	json_object *j = json_object_new_object();
	char id[2 * TN_AUDIT_LOGID_LEN + 1];

	tn_hex_encode(v->log_id, TN_AUDIT_LOGID_LEN, id);
	json_object_object_add(j, "ok", json_object_new_boolean(ok));
	json_object_object_add(j, "dir", json_object_new_string(o->dir));
	json_object_object_add(j, "log_id", v->have_log_id ? json_object_new_string(id) : NULL);
	json_object_object_add(j, "records", json_object_new_int64((int64_t)v->records));
	json_object_object_add(j, "checkpoints", json_object_new_int64((int64_t)v->checkpoints));
	json_object_object_add(j, "last_checkpoint_covers", v->have_checkpoint ?
			       json_object_new_int64((int64_t)v->cp_covers) : NULL);
	json_object_object_add(j, "key_source", json_object_new_string(o->key_source));
	json_object_object_add(j, "key_from_log", json_object_new_boolean(v->key_from_log));
	json_object_object_add(j, "anchored", json_object_new_int64((int64_t)v->anchored));
	json_object_object_add(j, "repairs", json_object_new_int64((int64_t)v->repairs));
	json_object_object_add(j, "records_lost", json_object_new_int64((int64_t)v->lost));
	json_object_object_add(j, "error", ok ? NULL : json_object_new_string(v->error));
	json_object_object_add(j, "bad_seq", ok ? NULL :
			       json_object_new_int64((int64_t)v->bad_seq));
	return j;
}

static void verify_print(const struct verify_opts *o, const struct tn_audit_verifier *v)
{
	char cp[64] = "no checkpoint yet";

	if (v->have_checkpoint)
		snprintf(cp, sizeof(cp), "last checkpoint covers %" PRIu64, v->cp_covers);
	printf("ok: %" PRIu64 " records, %" PRIu64 " checkpoints, %s; signatures checked with %s; anchored: %" PRIu64 " checkpoints\n",
	       v->records, v->checkpoints, cp, o->key_source, v->anchored);
	if (v->repairs)
		printf("note: %" PRIu64 " repair(s): a write torn by a crash was cut and its seq skipped (log-repaired)\n",
		       v->repairs);
	if (v->lost)
		printf("note: %" PRIu64 " record(s) could not be written and are lost (records-lost)\n",
		       v->lost);
}

static int verify_log(struct verify_opts *o)
{
	struct tn_audit_verifier v;
	struct tn_peer p;
	struct tn_err err;
	uint8_t key[32];
	int have, ok;

	ok = choose_key(o, &p, key, &have);
	if (ok)
		return ok;
	tn_audit_verify_init(&v, have ? key : NULL);
	if (o->quote && quote_anchors(&v, &p, o, &err)) {
		tn_audit_verify_free(&v);
		return ctl_error(TN_EXIT_FAILED, "%s", err.msg);
	}
	ok = !tn_audit_verify_dir(&v, o->dir);
	if (o->json) {
		json_object *j = verify_json(o, &v, ok);

		ctl_print_json(j);
		json_object_put(j);
	} else if (ok) {
		verify_print(o, &v);
	} else {
		ctl_error(TN_EXIT_FAILED, "the audit log in %s does not verify: %s",
			  o->dir, v.error);
	}
	tn_audit_verify_free(&v);
	return ok ? TN_EXIT_OK : TN_EXIT_FAILED;
}

int log_verify_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "key", required_argument, NULL, 'k' },
		{ "quote", required_argument, NULL, 'q' },
		{ "nonce", required_argument, NULL, 'n' },
		{ "peer", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ 0 }
	};
	struct verify_opts o = { 0 };
	char dir[4200];
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': o.dir = optarg; break;
		case 'k': o.key = optarg; break;
		case 'q': o.quote = optarg; break;
		case 'n': o.nonce = optarg; break;
		case 'p': o.peer = optarg; break;
		case 'j': o.json = 1; break;
		default: return ctl_usage(&cmd_log);
		}
	}
	if (optind != argc)
		return ctl_usage(&cmd_log);
	if (!o.quote != !o.nonce || !o.quote != !o.peer)
		return ctl_error(TN_EXIT_USAGE, "--quote, --nonce and --peer go together");
	if (o.key && o.peer)
		return ctl_error(TN_EXIT_USAGE, "--key and --peer exclude each other: with a quote, the peer's pinned identity key checks the signatures");
	log_default_dir(&o.dir, dir, sizeof(dir));
	return verify_log(&o);
}
