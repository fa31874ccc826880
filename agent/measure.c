// SPDX-License-Identifier: GPL-2.0-only
/*
 * The measurement log and the PCR it explains. Each measurement is written
 * to the log and synced before the PCR is extended: a crash in between
 * leaves the log one entry ahead, which the next start completes. Any other
 * disagreement is reported as unexplained and never papered over.
 */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "agent.h"
#include "attest.h"
#include "hex.h"
#include "policy_canon.h"
#include "proto.h"
#include "tpm.h"
#include "trustnode.skel.h"
#include "trustnode/attest_api.h"

#define LOG_NAME "measurements.jsonl"
#define CP_NAME "measurement-checkpoints.jsonl"
#define LOG_LINE_MAX 2048

static const uint8_t zero_pcr[TN_DIGEST_LEN];

/* Reads the log; a torn last line (no newline) is cut off and reported. */
static int read_log(struct attest *t, struct tn_err *err)
{
	FILE *f = fopen(t->log_path, "r");
	char line[LOG_LINE_MAX + 2];
	long good_end = 0;
	int lineno = 0;

	t->entries = json_object_new_array();
	t->first = 0;
	if (measure_track_reset(t))
		return tn_fail(err, "out of memory");
	if (!f)
		return errno == ENOENT ? 0 :
			tn_fail_errno(err, errno, "cannot read %s", t->log_path);
	while (fgets(line, sizeof(line), f)) {
		size_t len = strlen(line);
		struct tn_measurement m;
		json_object *o;
		struct tn_err e;

		lineno++;
		if (len == 0 || line[len - 1] != '\n') {
			if (feof(f)) {
				fprintf(stderr, "trustnoded: %s: line %d is torn (a crash while writing it); it was never extended into the PCR, cutting it off\n",
					t->log_path, lineno);
				break;
			}
			fclose(f);
			return tn_fail(err, "%s: line %d is longer than %d bytes",
				       t->log_path, lineno, LOG_LINE_MAX);
		}
		good_end = ftell(f);
		o = json_tokener_parse(line);
		if (tn_measurement_parse(o, &m, &e)) {
			json_object_put(o);
			snprintf(t->unexplained, sizeof(t->unexplained),
				 "measurement log line %d is corrupt (%.900s); the log no longer explains the PCR",
				 lineno, e.msg);
			continue;
		}
		json_object_array_add(t->entries, o);
		if (m.seq >= t->next_seq)
			t->next_seq = m.seq + 1;
		/* Only a window of entries stays in memory: months of anchors. */
		if (measure_track(t, measure_count(t) - 1)) {
			fclose(f);
			return tn_fail(err, "out of memory");
		}
		measure_trim(t);
	}
	fclose(f);
	if (truncate(t->log_path, good_end))
		return tn_fail_errno(err, errno, "cannot repair %s", t->log_path);
	return 0;
}

static int append_line(struct attest *t, json_object *o, struct tn_err *err)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						       JSON_C_TO_STRING_NOSLASHESCAPE);

	if (fprintf(t->log, "%s\n", s) < 0 || fflush(t->log) ||
	    fdatasync(fileno(t->log)))
		return tn_fail_errno(err, errno, "cannot write %s", t->log_path);
	return 0;
}

/* Makes the log and the PCR agree, or says that they do not. */
static int reconcile(struct attest *t, struct tn_err *err)
{
	size_t n = measure_count(t), len = json_object_array_length(t->entries);
	uint8_t pcr[TN_DIGEST_LEN];
	char hex[2 * TN_DIGEST_LEN + 1];

	if (tpm_pcr_read(t->tpm, t->opt.pcr, pcr, err))
		return -1;
	memcpy(t->replayed, t->pcr_at[n - t->first], TN_DIGEST_LEN);
	if (!memcmp(pcr, t->replayed, TN_DIGEST_LEN))
		return 0;
	if (len && !memcmp(pcr, t->pcr_at[n - 1 - t->first], TN_DIGEST_LEN)) {
		struct tn_measurement m;

		tn_measurement_parse(json_object_array_get_idx(t->entries, len - 1),
				     &m, err);
		fprintf(stderr, "trustnoded: completing measurement %llu (%s), logged but not extended before a crash\n",
			(unsigned long long)m.seq, m.type);
		return tpm_pcr_extend(t->tpm, t->opt.pcr, m.digest, err);
	}
	if (!memcmp(pcr, zero_pcr, TN_DIGEST_LEN)) {
		char prev[4200];

		/* A TPM reset (reboot): the old log belongs to another boot. */
		snprintf(prev, sizeof(prev), "%s.prev", t->log_path);
		if (rename(t->log_path, prev))
			return tn_fail_errno(err, errno, "cannot move %s aside", t->log_path);
		snprintf(prev, sizeof(prev), "%s.prev", t->cp_path);
		if (rename(t->cp_path, prev) && errno != ENOENT)
			return tn_fail_errno(err, errno, "cannot move %s aside", t->cp_path);
		fprintf(stderr, "trustnoded: PCR %u was reset (a reboot): new measurement log, the old one is %s.prev\n",
			t->opt.pcr, t->log_path);
		json_object_put(t->entries);
		t->entries = json_object_new_array();
		t->first = 0;
		memset(t->replayed, 0, TN_DIGEST_LEN);
		return measure_track_reset(t) ? tn_fail(err, "out of memory") : 0;
	}
	tn_hex_encode(pcr, TN_DIGEST_LEN, hex);
	snprintf(t->unexplained, sizeof(t->unexplained),
		 "PCR %u holds %.16s…, which the measurement log (%zu entries) does not explain: something else extended it, or the log was altered; peers will refuse this node's quotes until the next reboot",
		 t->opt.pcr, hex, n);
	fprintf(stderr, "trustnoded: %s\n", t->unexplained);
	return 0;
}

/*
 * Whether this boot's log already holds type with digest: the summary
 * holds every judged measurement (all of the boot's, not the window's).
 */
static int already_measured(struct attest *t, const char *type,
			    const uint8_t digest[TN_DIGEST_LEN])
{
	return tn_log_summary_find(&t->summary, type, digest) != NULL;
}

int measure(struct agent *a, const char *type, const uint8_t digest[TN_DIGEST_LEN],
	    const char *detail, struct tn_err *err)
{
	struct attest *t = a->att;
	struct tn_measurement m = { 0 };
	json_object *o;

	if (!t || !t->tpm || !t->log)
		return 0;
	m.seq = t->next_seq;
	snprintf(m.type, sizeof(m.type), "%s", type);
	memcpy(m.digest, digest, TN_DIGEST_LEN);
	snprintf(m.detail, sizeof(m.detail), "%s", detail);
	/* Informative: lets a verifier say when an entry it refuses was made. */
	m.time = time(NULL);
	o = tn_measurement_json(&m);
	if (append_line(t, o, err)) {
		json_object_put(o);
		return -1;
	}
	t->next_seq++;
	json_object_array_add(t->entries, o);
	if (measure_track(t, measure_count(t) - 1))
		fprintf(stderr, "trustnoded: out of memory tracking the measurement log\n");
	measure_trim(t);
	if (tpm_pcr_extend(t->tpm, t->opt.pcr, digest, err)) {
		snprintf(t->unexplained, sizeof(t->unexplained),
			 "measurement %llu is logged but extending PCR %u failed: %.900s",
			 (unsigned long long)m.seq, t->opt.pcr, err->msg);
		return -1;
	}
	tn_pcr_extend_sw(t->replayed, digest);
	if (strcmp(type, TN_MEASURE_LOGCP))
		measure_checkpoint_due(a);
	return 0;
}

static int hash_file(const char *path, uint8_t out[TN_DIGEST_LEN])
{
	crypto_hash_sha256_state st;
	uint8_t buf[65536];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	crypto_hash_sha256_init(&st);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		crypto_hash_sha256_update(&st, buf, n);
	close(fd);
	crypto_hash_sha256_final(&st, out);
	return n < 0 ? -1 : 0;
}

static void measure_once(struct agent *a, const char *type,
			 const uint8_t d[TN_DIGEST_LEN], const char *detail)
{
	struct tn_err e;

	if (already_measured(a->att, type, d))
		return;
	if (measure(a, type, d, detail, &e))
		fprintf(stderr, "trustnoded: measuring %s: %s\n", type, e.msg);
}

/* What runs: this binary, the BPF object inside it, the module if loaded. */
static void measure_software(struct agent *a)
{
	uint8_t d[TN_DIGEST_LEN];
	char exe[4096], text[512];
	const void *elf;
	ssize_t n;
	size_t sz;
	FILE *f;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	if (hash_file("/proc/self/exe", d) == 0)
		measure_once(a, TN_MEASURE_AGENT, d, exe);
	elf = trustnode_bpf__elf_bytes(&sz);
	crypto_hash_sha256(d, elf, sz);
	measure_once(a, TN_MEASURE_BPF, d, "trustnode.bpf.o (in trustnoded)");
	/* The module's text is not readable from userspace: its version and
	 * source hash identify the build that was loaded. */
	f = fopen("/sys/module/trustnode/srcversion", "r");
	if (f) {
		char src[64] = "", ver[64] = "";
		FILE *v = fopen("/sys/module/trustnode/version", "r");

		if (fscanf(f, "%63s", src) != 1)
			src[0] = '\0';
		if (v && fscanf(v, "%63s", ver) != 1)
			ver[0] = '\0';
		if (v)
			fclose(v);
		fclose(f);
		snprintf(text, sizeof(text), "trustnode.ko version=%s srcversion=%s",
			 ver, src);
		crypto_hash_sha256(d, (const uint8_t *)text, strlen(text));
		measure_once(a, TN_MEASURE_MODULE, d, text);
	}
}

int measure_weakening(struct agent *a, const char *what)
{
	uint8_t d[TN_DIGEST_LEN];
	struct tn_err e;

	crypto_hash_sha256(d, (const uint8_t *)what, strlen(what));
	if (!measure(a, TN_MEASURE_WEAKENING, d, what, &e))
		return 0;
	fprintf(stderr, "trustnoded: measuring \"%s\": %s\n", what, e.msg);
	return -1;
}

void weakening_seen(struct agent *a, const char *type, const char *what)
{
	json_object *d = json_object_new_object();

	fprintf(stderr, "trustnoded: %s\n", what);
	measure_weakening(a, what);
	json_object_object_add(d, "what", json_object_new_string(what));
	audit_record(a, type, d);
	json_object_put(d);
}

void measure_policy(struct agent *a)
{
	struct attest *t = a->att;
	uint8_t d[TN_DIGEST_LEN];
	char *canon = NULL, detail[512];
	struct tn_err e;

	if (!t || !t->tpm)
		return;
	if (tn_policy_text_canonical(a->reg.policy_text ? a->reg.policy_text : "",
				     a->reg.policy_name ? a->reg.policy_name : "(none)",
				     &canon, d, &e)) {
		fprintf(stderr, "trustnoded: cannot measure the policy: %s\n", e.msg);
		return;
	}
	free(canon);
	if (t->have_policy && !memcmp(d, t->last_policy, TN_DIGEST_LEN))
		return;
	snprintf(detail, sizeof(detail), "%s",
		 a->reg.policy_name ? a->reg.policy_name : "(no policy loaded)");
	if (measure(a, TN_MEASURE_POLICY, d, detail, &e)) {
		fprintf(stderr, "trustnoded: measuring the policy: %s\n", e.msg);
		return;
	}
	memcpy(t->last_policy, d, TN_DIGEST_LEN);
	t->have_policy = 1;
}

int measure_open(struct agent *a, struct tn_err *err)
{
	struct attest *t = a->att;

	snprintf(t->log_path, sizeof(t->log_path), "%s/" LOG_NAME, a->opt.state_dir);
	snprintf(t->cp_path, sizeof(t->cp_path), "%s/" CP_NAME, a->opt.state_dir);
	if (read_log(t, err) || reconcile(t, err))
		return -1;
	measure_load_checkpoints(t);
	t->log = fopen(t->log_path, "a");
	if (!t->log)
		return tn_fail_errno(err, errno, "cannot open %s", t->log_path);
	/* The policy measured last in this boot, so an unchanged one is not
	 * measured again at every restart. */
	if (t->summary.have_last_policy) {
		memcpy(t->last_policy, t->summary.last_policy, TN_DIGEST_LEN);
		t->have_policy = 1;
	}
	measure_software(a);
	/* A log that grew while no agent ran (or before checkpoints). */
	measure_checkpoint_due(a);
	return 0;
}

void measure_close(struct agent *a)
{
	if (a->att->log)
		fclose(a->att->log);
	a->att->log = NULL;
	json_object_put(a->att->entries);
	a->att->entries = NULL;
	json_object_put(a->att->cps);
	a->att->cps = NULL;
	free(a->att->pcr_at);
	free(a->att->chain_at);
	free(a->att->bytes_at);
	a->att->pcr_at = a->att->chain_at = NULL;
	a->att->bytes_at = NULL;
	a->att->at_cap = 0;
}
