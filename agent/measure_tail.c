// SPDX-License-Identifier: GPL-2.0-only
/*
 * What keeps quote answers small (include/trustnode/attest_api.h): the running
 * PCR value, chain value, size and summary of every prefix of the boot's
 * measurement log, the signed checkpoints of it, and the part of the log
 * an answer carries. measure.c owns the log; this file only reads it and
 * adds checkpoint entries through measure().
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "agent.h"
#include "attest.h"
#include "hex.h"
#include "proto.h"
#include "tpm.h"
#include "trustnode/attest_api.h"

#define CP_LINE_MAX (2 * TN_LOG_CP_MAX)

/*
 * The window kept in memory: what an answer from since can carry, plus the
 * entries since the newest checkpoint; trimmed when twice that.
 */
#define WINDOW (TN_QUOTE_TAIL_MAX_ENTRIES + 2 * TN_LOG_CP_EVERY)

size_t measure_count(const struct attest *t)
{
	return t->first + json_object_array_length(t->entries);
}

/* Room for the running values of indices first..n. */
static int track_room(struct attest *t, size_t n)
{
	size_t need = n - t->first + 1, cap = t->at_cap ? t->at_cap : 1024;
	void *p1, *p2, *p3;

	if (need <= t->at_cap)
		return 0;
	while (cap < need)
		cap *= 2;
	p1 = realloc(t->pcr_at, cap * TN_DIGEST_LEN);
	if (p1)
		t->pcr_at = p1;
	p2 = realloc(t->chain_at, cap * TN_DIGEST_LEN);
	if (p2)
		t->chain_at = p2;
	p3 = realloc(t->bytes_at, cap * sizeof(uint64_t));
	if (p3)
		t->bytes_at = p3;
	if (!p1 || !p2 || !p3)
		return -1;
	t->at_cap = cap;
	return 0;
}

int measure_track_reset(struct attest *t)
{
	if (track_room(t, t->first))
		return -1;
	memset(t->pcr_at[0], 0, TN_DIGEST_LEN);
	memset(t->chain_at[0], 0, TN_DIGEST_LEN);
	t->bytes_at[0] = 0;
	memset(&t->summary, 0, sizeof(t->summary));
	return 0;
}

/* Entry i (the last one added) moves the running values to i + 1. */
int measure_track(struct attest *t, size_t i)
{
	json_object *o = json_object_array_get_idx(t->entries, i - t->first);
	size_t k = i - t->first;
	struct tn_measurement m;
	struct tn_err e;

	if (track_room(t, i + 1))
		return -1;
	memcpy(t->pcr_at[k + 1], t->pcr_at[k], TN_DIGEST_LEN);
	memcpy(t->chain_at[k + 1], t->chain_at[k], TN_DIGEST_LEN);
	/* As served: one entry of the event_log array and its comma. */
	t->bytes_at[k + 1] = t->bytes_at[k] + 1 +
		strlen(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						      JSON_C_TO_STRING_NOSLASHESCAPE));
	if (tn_measurement_parse(o, &m, &e))
		return 0;
	tn_pcr_extend_sw(t->pcr_at[k + 1], m.digest);
	tn_log_chain_step(t->chain_at[k + 1], &m);
	tn_log_summary_add(&t->summary, i, &m);
	return 0;
}

void measure_trim(struct attest *t)
{
	size_t len = json_object_array_length(t->entries), n = measure_count(t);
	size_t keep = n - WINDOW, drop;
	json_object *kept, *cps;

	if (len <= 2 * WINDOW)
		return;
	/* The newest checkpoint stays: a new verifier's answer starts there. */
	if (t->have_cp && t->last_cp >= t->first && t->last_cp < keep)
		keep = t->last_cp;
	drop = keep - t->first;
	if (!drop || !(kept = json_object_new_array()))
		return;
	for (size_t i = drop; i < len; i++)
		json_object_array_add(kept, json_object_get(json_object_array_get_idx(t->entries, i)));
	json_object_put(t->entries);
	t->entries = kept;
	memmove(t->pcr_at, t->pcr_at + drop, (len - drop + 1) * TN_DIGEST_LEN);
	memmove(t->chain_at, t->chain_at + drop, (len - drop + 1) * TN_DIGEST_LEN);
	memmove(t->bytes_at, t->bytes_at + drop, (len - drop + 1) * sizeof(uint64_t));
	t->first = keep;
	/* Checkpoints before the window are served no more. */
	cps = json_object_new_array();
	for (size_t i = 0; t->cps && cps && i < json_object_array_length(t->cps); i++) {
		json_object *c = json_object_array_get_idx(t->cps, i);
		long long v;

		if (!tn_json_int(c, "index", &v) && (size_t)v >= t->first)
			json_object_array_add(cps, json_object_get(c));
	}
	if (cps && t->cps) {
		json_object_put(t->cps);
		t->cps = cps;
	} else {
		json_object_put(cps);
	}
}

/* Keeps a checkpoint of this boot in memory, for the answers. */
static void keep_checkpoint(struct attest *t, uint64_t index, const char *text,
			    const char *sig)
{
	json_object *c = json_object_new_object();

	json_object_object_add(c, "index", json_object_new_int64((int64_t)index));
	json_object_object_add(c, "text", json_object_new_string(text));
	json_object_object_add(c, "sig", json_object_new_string(sig));
	json_object_array_add(t->cps, c);
	t->last_cp = index;
	t->have_cp = 1;
}

/*
 * Checkpoints the log as it is now: the text is written (synced) before its
 * entry is measured, so an entry never names a text that is not on disk; a
 * text without its entry (a crash between) is dropped at the next start.
 */
static int make_checkpoint(struct agent *a, struct tn_err *err)
{
	struct attest *t = a->att;
	struct tn_log_checkpoint cp = { .version = TN_LOG_CP_VERSION };
	size_t n = measure_count(t);
	uint8_t sig[64], d[TN_DIGEST_LEN];
	char sighex[129], detail[128], *text;
	json_object *line;
	FILE *f;
	int ret = 0;

	if (tpm_reset_count(t->tpm, &cp.reset_count, err))
		return -1;
	cp.index = n;
	memcpy(cp.pcr, t->pcr_at[n - t->first], TN_DIGEST_LEN);
	memcpy(cp.chain, t->chain_at[n - t->first], TN_DIGEST_LEN);
	cp.time = time(NULL);
	cp.summary = t->summary;
	text = tn_log_checkpoint_text(&cp);
	if (!text)
		return tn_fail(err, "out of memory");
	tn_log_checkpoint_sign(text, t->idkey_sk, sig);
	tn_hex_encode(sig, sizeof(sig), sighex);
	line = json_object_new_object();
	json_object_object_add(line, "text", json_object_new_string(text));
	json_object_object_add(line, "sig", json_object_new_string(sighex));
	f = fopen(t->cp_path, "a");
	if (!f || fprintf(f, "%s\n", json_object_to_json_string_ext(line,
			JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)) < 0 ||
	    fflush(f) || fdatasync(fileno(f)))
		ret = tn_fail_errno(err, errno, "cannot write %s", t->cp_path);
	if (f)
		fclose(f);
	json_object_put(line);
	if (!ret) {
		tn_log_checkpoint_digest(text, d);
		snprintf(detail, sizeof(detail), "measurement log checkpoint of entries 0..%zu",
			 n ? n - 1 : 0);
		ret = measure(a, TN_MEASURE_LOGCP, d, detail, err);
		if (!ret) {
			keep_checkpoint(t, n, text, sighex);
			t->checkpoints_made++;
		}
	}
	free(text);
	return ret;
}

/* Every TN_LOG_CP_EVERY entries or TN_LOG_CP_EVERY_BYTES bytes. */
void measure_checkpoint_due(struct agent *a)
{
	struct attest *t = a->att;
	size_t n = measure_count(t), from = t->have_cp ? t->last_cp : 0;
	struct tn_err e;

	if (from >= t->first && n - from < TN_LOG_CP_EVERY &&
	    t->bytes_at[n - t->first] - t->bytes_at[from - t->first] < TN_LOG_CP_EVERY_BYTES)
		return;
	if (make_checkpoint(a, &e))
		fprintf(stderr, "trustnoded: checkpointing the measurement log: %s\n", e.msg);
}

/* The checkpoints of this boot whose entries are in the log. */
void measure_load_checkpoints(struct attest *t)
{
	size_t n = measure_count(t);
	FILE *f = fopen(t->cp_path, "r");
	char *line = malloc(CP_LINE_MAX + 2);

	t->cps = json_object_new_array();
	t->have_cp = 0;
	while (f && line && fgets(line, CP_LINE_MAX + 2, f)) {
		json_object *o = json_tokener_parse(line);
		const char *text = tn_json_str(o, "text"), *sig = tn_json_str(o, "sig");
		struct tn_log_checkpoint cp;
		struct tn_measurement m;
		uint8_t d[TN_DIGEST_LEN];
		struct tn_err e;

		if (text && sig && !tn_log_checkpoint_parse(text, &cp, &e) &&
		    cp.index < n && cp.index >= t->first &&
		    !tn_measurement_parse(json_object_array_get_idx(t->entries, cp.index - t->first), &m, &e) &&
		    !strcmp(m.type, TN_MEASURE_LOGCP)) {
			tn_log_checkpoint_digest(text, d);
			if (!memcmp(d, m.digest, TN_DIGEST_LEN))
				keep_checkpoint(t, cp.index, text, sig);
		}
		json_object_put(o);
	}
	free(line);
	if (f)
		fclose(f);
}

/* The stored checkpoint for entry index, or NULL. */
static json_object *checkpoint_at(struct attest *t, size_t index)
{
	size_t n = json_object_array_length(t->cps);

	for (size_t i = n; i-- > 0;) {
		json_object *c = json_object_array_get_idx(t->cps, i);
		long long v;

		if (!tn_json_int(c, "index", &v) && (size_t)v == index)
			return c;
	}
	return NULL;
}

static json_object *checkpoint_json(json_object *c)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "text", json_object_new_string(tn_json_str(c, "text")));
	json_object_object_add(o, "sig", json_object_new_string(tn_json_str(c, "sig")));
	return o;
}

static int tail_fits(struct attest *t, size_t from, size_t n)
{
	return from >= t->first && n - from <= TN_QUOTE_TAIL_MAX_ENTRIES &&
	       t->bytes_at[n - t->first] - t->bytes_at[from - t->first] <=
	       TN_QUOTE_TAIL_MAX_BYTES;
}

void measure_answer(struct agent *a, int have_since, uint64_t since,
		    const uint8_t at[TN_DIGEST_LEN], json_object *body)
{
	struct attest *t = a->att;
	size_t n = measure_count(t), from = 0;
	json_object *log = json_object_new_array(), *cps = json_object_new_array();
	const char *note = NULL;
	int found = 0;

	if (have_since) {
		if (since > n)
			note = "since is beyond this boot's log (the node rebooted, or this is another node's position)";
		else if (since < t->first)
			note = "the log from since exceeds the answer's limit: from a checkpoint";
		else if (memcmp(t->chain_at[since - t->first], at, TN_DIGEST_LEN))
			note = "this boot's log does not have the asked chain value at since (another boot, or a rewritten log)";
		else if (!tail_fits(t, since, n))
			note = "the log from since exceeds the answer's limit: from a checkpoint";
		else
			found = 1, from = since;
	}
	if (!found && !tail_fits(t, 0, n))
		from = t->have_cp && t->last_cp >= t->first ? t->last_cp : t->first;
	/* Without a checkpoint to start from, no verifier can take it: said. */
	if (from > 0 && from == t->first && !(t->have_cp && t->last_cp == from) &&
	    !(found && from == since))
		note = "no checkpoint to start from (checkpointing failed?): this answer cannot be verified";
	if (from > 0 && !(from == since && found)) {
		json_object *c = checkpoint_at(t, from);

		if (c)
			json_object_object_add(body, "checkpoint", checkpoint_json(c));
	}
	for (size_t i = from; i < n; i++) {
		json_object *e = json_object_array_get_idx(t->entries, i - t->first);

		json_object_array_add(log, json_object_get(e));
		if (!strcmp(tn_json_str(e, "type"), TN_MEASURE_LOGCP)) {
			json_object *c = checkpoint_at(t, i);

			if (c)
				json_object_array_add(cps, checkpoint_json(c));
		}
	}
	json_object_object_add(body, "event_log", log);
	json_object_object_add(body, "log_version", json_object_new_int(2));
	json_object_object_add(body, "log_from", json_object_new_int64((int64_t)from));
	json_object_object_add(body, "log_entries", json_object_new_int64((int64_t)n));
	json_object_object_add(body, "checkpoints", cps);
	if (note)
		json_object_object_add(body, "log_note", json_object_new_string(note));
}
