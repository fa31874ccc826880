// SPDX-License-Identifier: GPL-2.0-only
/* Starting and describing the agent's attestation side (see attest.h). */
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "agent.h"
#include "attest.h"
#include "hex.h"
#include "proto.h"
#include "tpm.h"

#define TPM_STATE "tpm.json"

/* The AK this node's peers have pinned, if one was made before. */
static char *known_ak_name(const char *path)
{
	json_object *o = json_object_from_file(path);
	const char *s = o ? tn_json_str(o, "ak_name") : NULL;
	char *ret = s ? strdup(s) : NULL;

	json_object_put(o);
	return ret;
}

static int save_tpm_state(struct agent *a, const char *path, struct tn_err *err)
{
	const TPM2B_NAME *name = tpm_ak_name(a->att->tpm);
	char hex[2 * sizeof(name->name) + 1], tmp[4200];
	json_object *o = json_object_new_object();
	int ret = 0;

	tn_hex_encode(name->name, name->size, hex);
	json_object_object_add(o, "ak_name", json_object_new_string(hex));
	json_object_object_add(o, "ak_handle", json_object_new_int64(a->att->opt.ak_handle));
	json_object_object_add(o, "ak_kind", json_object_new_string(tpm_ak_kind(a->att->tpm)));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (json_object_to_file_ext(tmp, o, JSON_C_TO_STRING_PRETTY) ||
	    rename(tmp, path))
		ret = tn_fail_errno(err, errno, "cannot write %s", path);
	json_object_put(o);
	return ret;
}

int attest_start(struct agent *a, struct tn_err *err)
{
	struct attest *t = a->att;
	char path[4000], *known;
	struct tn_err e;

	t->listen_fd = t->httpd_fd = -1;
	/* The identity signs audit checkpoints too, TPM or not. */
	if (identity_load(a->opt.state_dir, t->idkey_sk, t->idkey_pk, err))
		return -1;
	if (!strcmp(t->opt.tcti, "none")) {
		snprintf(t->unavailable, sizeof(t->unavailable),
			 "attestation is off (--tcti none)");
		return 0;
	}
	snprintf(path, sizeof(path), "%s/" TPM_STATE, a->opt.state_dir);
	known = known_ak_name(path);
	/* ESAPI logs expected misses (no AK yet, no EK certificate) as errors;
	 * ours say what matters. TSS2_LOG set by the operator still wins. */
	setenv("TSS2_LOG", "all+NONE", 0);
	if (tpm_open(t->opt.tcti, t->opt.ak_handle, known, &t->tpm, &e)) {
		free(known);
		/* Enforcement does not need the TPM: carry on, and say so. */
		snprintf(t->unavailable, sizeof(t->unavailable), "%s", e.msg);
		fprintf(stderr, "trustnoded: attestation unavailable: %s\n", e.msg);
		return 0;
	}
	if (!known && save_tpm_state(a, path, err)) {
		free(known);
		return -1;
	}
	free(known);
	if (measure_open(a, &e)) {
		snprintf(t->unavailable, sizeof(t->unavailable), "%s", e.msg);
		fprintf(stderr, "trustnoded: attestation unavailable: %s\n", e.msg);
		tpm_close(t->tpm);
		t->tpm = NULL;
		return 0;
	}
	fprintf(stderr, "trustnoded: attestation key %s at 0x%08x, measuring into PCR %u\n",
		tpm_ak_kind(t->tpm), t->opt.ak_handle, t->opt.pcr);
	if (t->opt.listen)
		return serve_start(a, err);
	return 0;
}

void attest_stop(struct agent *a)
{
	if (!a->att)
		return;
	serve_stop(a);
	if (a->att->tpm)
		measure_close(a);
	tpm_close(a->att->tpm);
	a->att->tpm = NULL;
	sodium_memzero(a->att->idkey_sk, sizeof(a->att->idkey_sk));
}

json_object *attest_status_json(struct agent *a)
{
	struct attest *t = a->att;
	json_object *o = json_object_new_object();
	char hex[2 * sizeof(TPM2B_NAME) + 1];

	json_object_object_add(o, "available", json_object_new_boolean(t->tpm != NULL));
	if (!t->tpm) {
		json_object_object_add(o, "reason", json_object_new_string(t->unavailable));
		return o;
	}
	json_object_object_add(o, "tcti", json_object_new_string(t->opt.tcti));
	json_object_object_add(o, "pcr", json_object_new_int(t->opt.pcr));
	tn_hex_encode(t->idkey_pk, TN_IDKEY_LEN, hex);
	json_object_object_add(o, "identity_key", json_object_new_string(hex));
	tn_hex_encode(tpm_ak_name(t->tpm)->name, tpm_ak_name(t->tpm)->size, hex);
	json_object_object_add(o, "ak_name", json_object_new_string(hex));
	json_object_object_add(o, "ak_kind", json_object_new_string(tpm_ak_kind(t->tpm)));
	json_object_object_add(o, "measurements",
			       json_object_new_int64((int64_t)measure_count(t)));
	/* Where a verifier new to this boot starts: the newest checkpoint. */
	json_object_object_add(o, "newest_log_checkpoint", t->have_cp ?
			       json_object_new_int64((int64_t)t->last_cp) : NULL);
	json_object_object_add(o, "pcr_unexplained", t->unexplained[0] ?
			       json_object_new_string(t->unexplained) : NULL);
	json_object_object_add(o, "listen", t->opt.listen ?
			       json_object_new_string(t->opt.listen) : NULL);
	json_object_object_add(o, "httpd_pid", json_object_new_int(t->httpd_pid));
	json_object_object_add(o, "quotes_served", json_object_new_int64(t->quotes_served));
	json_object_object_add(o, "log_reads", log_serve_status_json(a));
	return o;
}
