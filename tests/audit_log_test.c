// SPDX-License-Identifier: GPL-2.0-only
/*
 * The audit log's verifier (common/audit_log.c), through the library and
 * through trustctl log: an intact log verifies, and every way of tampering
 * with one is caught and named with the record and where it is: edited,
 * deleted, reordered, spliced in from another log, torn, a forged
 * checkpoint; and, against a checkpoint vouched for from elsewhere (an
 * anchor: a TPM quote's event log), truncated, cut back, rewritten, or
 * deleted and started anew.
 *
 * Logs are written here with the library, as the agent's writer does. The
 * --quote tests build a real quote with swtpm and tpm2-tools, and are
 * skipped without them.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "kselftest_harness.h"
#include "tnlib.h"
#include "attest_wire.h"
#include "audit_segments.h"
#include "audit_verify.h"
#include "audit_page.h"
#include "hex.h"
#include "peer_store.h"
#include "tpm_verify.h"
#include "trustnode/attest_api.h"

#define MAX_RECORDS 64
#define T0 1700000000000000LL	/* 2023-11-14T22:13:20Z */
#define TPM_SOURCE "the TPM-anchored checkpoint"

/* ---- writing logs, as the agent's writer does --------------------------- */

struct tlog {
	char dir[512];
	uint8_t pk[32], sk[64], log_id[TN_AUDIT_LOGID_LEN];
	uint64_t next;				/* the next seq */
	uint8_t head[TN_AUDIT_HASH_LEN];
	uint8_t hashes[MAX_RECORDS][TN_AUDIT_HASH_LEN];	/* by seq */
	int per_segment;			/* rotate after N records; 0 never */
	int in_segment;
	const char *variant;			/* marks events, to fork a log */
	FILE *f;
};

static void seg_path(const char *dir, uint64_t first, char *out, size_t n)
{
	char name[TN_AUDIT_SEG_NAME_SIZE];

	tn_audit_seg_name(first, name);
	snprintf(out, n, "%s/%s", dir, name);
}

static int tlog_line(struct tlog *l, uint64_t seq, const char *type, json_object *data)
{
	char path[600], *line;

	if (!l->f || (l->per_segment && l->in_segment == l->per_segment)) {
		if (l->f)
			fclose(l->f);
		seg_path(l->dir, seq, path, sizeof(path));
		l->f = fopen(path, "w");
		l->in_segment = 0;
	}
	line = tn_audit_format(seq, T0 + (int64_t)seq * 1000, type, l->head, data);
	if (!l->f || !line) {
		free(line);
		return -1;
	}
	fprintf(l->f, "%s\n", line);
	tn_audit_hash(line, strlen(line), l->head);
	if (seq < MAX_RECORDS)
		memcpy(l->hashes[seq], l->head, TN_AUDIT_HASH_LEN);
	free(line);
	l->next = seq + 1;
	l->in_segment++;
	return 0;
}

static void add_hex(json_object *o, const char *key, const uint8_t *b, size_t n)
{
	char hex[2 * TN_AUDIT_SIG_LEN + 1];

	tn_hex_encode(b, n, hex);
	json_object_object_add(o, key, json_object_new_string(hex));
}

/* Starts a log in dir; with same, under its key and log id (a fork of it). */
static int tlog_start(struct tlog *l, const char *dir, int per_segment,
		      const struct tlog *same)
{
	json_object *d = json_object_new_object();
	int ret;

	memset(l, 0, sizeof(*l));
	snprintf(l->dir, sizeof(l->dir), "%s", dir);
	l->per_segment = per_segment;
	if (mkdir(dir, 0700) && errno != EEXIST)
		return -1;
	if (same) {
		memcpy(l->pk, same->pk, sizeof(l->pk));
		memcpy(l->sk, same->sk, sizeof(l->sk));
		memcpy(l->log_id, same->log_id, sizeof(l->log_id));
	} else {
		crypto_sign_keypair(l->pk, l->sk);
		randombytes_buf(l->log_id, sizeof(l->log_id));
	}
	add_hex(d, "log_id", l->log_id, sizeof(l->log_id));
	add_hex(d, "node_key", l->pk, sizeof(l->pk));
	ret = tlog_line(l, 0, "log-start", d);
	json_object_put(d);
	return ret;
}

static int tlog_event(struct tlog *l)
{
	json_object *d = json_object_new_object();
	char path[64];
	int ret;

	snprintf(path, sizeof(path), "/srv/phi/%s%llu", l->variant ? l->variant : "",
		 (unsigned long long)l->next);
	json_object_object_add(d, "workload", json_object_new_string("llm"));
	json_object_object_add(d, "path", json_object_new_string(path));
	json_object_object_add(d, "n", json_object_new_int64((int64_t)l->next));
	ret = tlog_line(l, l->next, "deny", d);
	json_object_put(d);
	return ret;
}

static json_object *checkpoint_data(const uint8_t log_id[TN_AUDIT_LOGID_LEN],
				    uint64_t covers, const uint8_t head[TN_AUDIT_HASH_LEN],
				    const uint8_t sk[64])
{
	uint8_t msg[TN_AUDIT_CP_MSG_LEN], sig[TN_AUDIT_SIG_LEN];
	json_object *d = json_object_new_object();

	tn_audit_checkpoint_msg(log_id, covers, head, msg);
	crypto_sign_detached(sig, NULL, msg, sizeof(msg), sk);
	add_hex(d, "log_id", log_id, TN_AUDIT_LOGID_LEN);
	json_object_object_add(d, "covers", json_object_new_int64((int64_t)covers));
	add_hex(d, "head", head, TN_AUDIT_HASH_LEN);
	add_hex(d, "signature", sig, sizeof(sig));
	return d;
}

static int tlog_checkpoint(struct tlog *l)
{
	json_object *d = checkpoint_data(l->log_id, l->next - 1, l->head, l->sk);
	int ret = tlog_line(l, l->next, "checkpoint", d);

	json_object_put(d);
	return ret;
}

static int tlog_repair(struct tlog *l, uint64_t seq, uint64_t last_good,
		       uint64_t skipped)
{
	json_object *d = json_object_new_object();
	int ret;

	json_object_object_add(d, "cut_bytes", json_object_new_int64(42));
	json_object_object_add(d, "last_good_seq", json_object_new_int64((int64_t)last_good));
	json_object_object_add(d, "skipped_seq", json_object_new_int64((int64_t)skipped));
	ret = tlog_line(l, seq, "log-repaired", d);
	json_object_put(d);
	return ret;
}

static int tlog_events(struct tlog *l, int n)
{
	for (int i = 0; i < n; i++)
		if (tlog_event(l))
			return -1;
	return 0;
}

static int tlog_close(struct tlog *l)
{
	int ret = l->f && fclose(l->f) ? -1 : 0;

	l->f = NULL;
	return ret;
}

/*
 * The log most tests start from: log-start 0, events 1-9, checkpoint 10
 * (covers 9), events 11-19, checkpoint 20 (covers 19), events 21-24.
 */
static int standard_log(struct tlog *l, const char *dir, int per_segment,
			const struct tlog *same, const char *variant)
{
	if (tlog_start(l, dir, per_segment, same))
		return -1;
	l->variant = variant;
	if (tlog_events(l, 9) || tlog_checkpoint(l) || tlog_events(l, 9) ||
	    tlog_checkpoint(l) || tlog_events(l, 4))
		return -1;
	return tlog_close(l);
}

/* What a checkpoint of l vouches for, as the TPM's event log says it. */
static struct tn_audit_anchor anchor_of(const struct tlog *l, uint64_t covers)
{
	struct tn_audit_anchor a = { .covers = covers, .source = TPM_SOURCE };

	memcpy(a.log_id, l->log_id, sizeof(a.log_id));
	memcpy(a.head, l->hashes[covers], sizeof(a.head));
	return a;
}

/* ---- tampering with the files ------------------------------------------- */

struct lines {
	char *l[MAX_RECORDS + 8];
	int n;
};

static int lines_load(const char *path, struct lines *ls)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t cap = 0;
	ssize_t n;

	ls->n = 0;
	if (!f)
		return -1;
	while ((n = getline(&buf, &cap, f)) > 0 && ls->n < MAX_RECORDS + 8) {
		buf[strcspn(buf, "\n")] = '\0';
		ls->l[ls->n++] = strdup(buf);
	}
	free(buf);
	fclose(f);
	return 0;
}

/* Writes the lines back; the last one without its newline when torn. */
static int lines_save(const char *path, struct lines *ls, int torn)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	for (int i = 0; i < ls->n; i++) {
		fputs(ls->l[i], f);
		if (i < ls->n - 1 || !torn)
			fputc('\n', f);
		free(ls->l[i]);
	}
	ls->n = 0;
	return fclose(f);
}

/* Replaces the first "from" in line i with "to". */
static int lines_edit(struct lines *ls, int i, const char *from, const char *to)
{
	char *at = strstr(ls->l[i], from), *s;

	if (!at)
		return -1;
	s = malloc(strlen(ls->l[i]) + strlen(to) + 1);
	sprintf(s, "%.*s%s%s", (int)(at - ls->l[i]), ls->l[i], to, at + strlen(from));
	free(ls->l[i]);
	ls->l[i] = s;
	return 0;
}

static void lines_delete(struct lines *ls, int i)
{
	free(ls->l[i]);
	memmove(&ls->l[i], &ls->l[i + 1], (ls->n - i - 1) * sizeof(ls->l[0]));
	ls->n--;
}

/* Keeps lines [0, n). */
static void lines_cut(struct lines *ls, int n)
{
	while (ls->n > n)
		lines_delete(ls, ls->n - 1);
}

/* ---- verifying: the library, and trustctl ------------------------------- */

FIXTURE(alog) {
	char dir[256], log[300], other[300], state[300];
	char out[16384];
	struct tlog l;
	struct tn_audit_verifier v;
};

FIXTURE_SETUP(alog)
{
	const char *tmp = getenv("TMPDIR");

	ASSERT_LE(0, sodium_init());
	snprintf(self->dir, sizeof(self->dir), "%s/tnaudit.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	ASSERT_NE(NULL, mkdtemp(self->dir)) TH_LOG("mkdtemp: %s", strerror(errno));
	snprintf(self->log, sizeof(self->log), "%s/audit", self->dir);
	snprintf(self->other, sizeof(self->other), "%s/other", self->dir);
	snprintf(self->state, sizeof(self->state), "%s/state", self->dir);
	ASSERT_EQ(0, mkdir(self->state, 0700));
}

FIXTURE_TEARDOWN(alog)
{
	char cmd[400];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", self->dir);
	if (system(cmd))
		TH_LOG("could not remove %s", self->dir);
}

/* The whole directory through tn_audit_verify_dir; v keeps the results. */
static int lib_verify(struct tn_audit_verifier *v, const char *dir, const uint8_t *key,
		      const struct tn_audit_anchor *a, int na)
{
	int ret;

	tn_audit_verify_init(v, key);
	for (int i = 0; i < na; i++)
		if (tn_audit_verify_add_anchor(v, &a[i]))
			return -2;
	ret = tn_audit_verify_dir(v, dir);
	tn_audit_verify_free(v);
	return ret;
}

/* Runs trustctl --state-dir STATE ARGS; its exit code, output in out. */
#define trustctl(state, out, n, fmt, ...)					\
	capture(out, n, "%s/trustctl --state-dir '%s' " fmt " 2>&1", tn_build(),	\
		state, ##__VA_ARGS__)

static const char *key_hex(const struct tlog *l)
{
	static char hex[65];

	tn_hex_encode(l->pk, sizeof(l->pk), hex);
	return hex;
}

/* The library and trustctl log verify both refuse the log in self->log with want. */
#define EXPECT_DETECTED(want) do {						\
	EXPECT_EQ(-1, lib_verify(&self->v, self->log, self->l.pk, NULL, 0));	\
	EXPECT_NE(NULL, strstr(self->v.error, want))				\
		TH_LOG("library: %s", self->v.error);				\
	EXPECT_EQ(1, trustctl(self->state, self->out, sizeof(self->out),	\
			      "log verify --dir '%s' --key %s", self->log,	\
			      key_hex(&self->l)));				\
	EXPECT_NE(NULL, strstr(self->out, want)) TH_LOG("trustctl: %s", self->out); \
} while (0)

#define SEG0(self, path) seg_path((self)->log, 0, path, sizeof(path))

/* ---- the records themselves --------------------------------------------- */

TEST(a_record_is_one_line_with_the_documented_members_in_order)
{
	uint8_t prev[TN_AUDIT_HASH_LEN] = { 0xab };
	json_object *d = json_object_new_object();
	struct tn_audit_rec r;
	struct tn_err e;
	char *line;

	json_object_object_add(d, "path", json_object_new_string("/srv/a b/c"));
	line = tn_audit_format(7, T0 + 123456, "deny", prev, d);
	ASSERT_NE(NULL, line);
	EXPECT_STREQ("{\"seq\":7,\"time\":\"2023-11-14T22:13:20.123456Z\",\"type\":\"deny\","
		     "\"prev\":\"ab00000000000000000000000000000000000000000000000000000000000000\","
		     "\"data\":{\"path\":\"/srv/a b/c\"}}", line);
	ASSERT_EQ(0, tn_audit_parse(line, strlen(line), &r, &e)) TH_LOG("%s", e.msg);
	EXPECT_EQ(7ULL, r.seq);
	EXPECT_EQ(T0 + 123456, r.time_us);
	EXPECT_STREQ("deny", r.type);
	EXPECT_EQ(0, memcmp(prev, r.prev, sizeof(prev)));
	EXPECT_STREQ("/srv/a b/c", json_object_get_string(json_object_object_get(r.data, "path")));
	tn_audit_rec_free(&r);
	free(line);
	json_object_put(d);
}

TEST(the_hash_of_a_record_is_blake2b_256_of_its_line)
{
	const char *line = "{\"seq\":0}";
	uint8_t want[32], got[32];
	struct tn_audit_rec r;
	struct tn_err e;
	char *ok;
	uint8_t zero[32] = { 0 };

	crypto_generichash(want, 32, (const uint8_t *)line, strlen(line), NULL, 0);
	tn_audit_hash(line, strlen(line), got);
	EXPECT_EQ(0, memcmp(want, got, 32));
	ok = tn_audit_format(0, T0, "x", zero, NULL);
	ASSERT_EQ(0, tn_audit_parse(ok, strlen(ok), &r, &e));
	tn_audit_hash(ok, strlen(ok), want);
	EXPECT_EQ(0, memcmp(want, r.hash, 32));
	tn_audit_rec_free(&r);
	free(ok);
}

/* Parses line, expecting failure with msg containing want. */
#define EXPECT_PARSE_ERROR(line, want) do {				\
	struct tn_audit_rec _r;						\
	struct tn_err _e = { .msg = "" };				\
	EXPECT_EQ(-1, tn_audit_parse(line, strlen(line), &_r, &_e));	\
	EXPECT_NE(NULL, strstr(_e.msg, want)) TH_LOG("%s: got %s", line, _e.msg); \
	EXPECT_EQ(NULL, _r.obj);					\
} while (0)

#define Z64 "0000000000000000000000000000000000000000000000000000000000000000"
#define OKTIME "\"time\":\"2023-11-14T22:13:20.000000Z\""

TEST(parsing_is_strict)
{
	char big[TN_AUDIT_LINE_MAX + 2];
	struct tn_audit_rec r;
	struct tn_err e;

	EXPECT_PARSE_ERROR("", "the line is empty");
	EXPECT_PARSE_ERROR("{\"seq\":1", "not JSON");
	EXPECT_PARSE_ERROR("[1]", "not a JSON object");
	EXPECT_PARSE_ERROR("{\"seq\":1," OKTIME ",\"type\":\"x\",\"prev\":\"" Z64 "\",\"data\":{}}x",
			   "not JSON");
	EXPECT_PARSE_ERROR("{\"time\":\"2023-11-14T22:13:20.000000Z\",\"seq\":1,\"type\":\"x\",\"prev\":\"" Z64 "\",\"data\":{}}",
			   "exactly the members seq, time, type, prev and data, in that order");
	EXPECT_PARSE_ERROR("{\"seq\":1," OKTIME ",\"type\":\"x\",\"prev\":\"" Z64 "\",\"data\":{},\"more\":1}",
			   "exactly the members");
	EXPECT_PARSE_ERROR("{\"seq\":-1," OKTIME ",\"type\":\"x\",\"prev\":\"" Z64 "\",\"data\":{}}",
			   "seq must be an integer from 0");
	EXPECT_PARSE_ERROR("{\"seq\":\"1\"," OKTIME ",\"type\":\"x\",\"prev\":\"" Z64 "\",\"data\":{}}",
			   "seq must be an integer from 0");
	EXPECT_PARSE_ERROR("{\"seq\":1,\"time\":\"2023-11-14 22:13:20Z\",\"type\":\"x\",\"prev\":\"" Z64 "\",\"data\":{}}",
			   "time must be a UTC time");
	EXPECT_PARSE_ERROR("{\"seq\":1," OKTIME ",\"type\":\"Deny\",\"prev\":\"" Z64 "\",\"data\":{}}",
			   "type must be 1 to 31 characters");
	EXPECT_PARSE_ERROR("{\"seq\":1," OKTIME ",\"type\":\"x\",\"prev\":\"00\",\"data\":{}}",
			   "prev must be 64 lowercase hex digits");
	EXPECT_PARSE_ERROR("{\"seq\":1," OKTIME ",\"type\":\"x\",\"prev\":\"" Z64 "\",\"data\":[]}",
			   "data must be a JSON object");
	/* What a reader sees must be what the verifier checks. */
	EXPECT_PARSE_ERROR("{\"seq\":1, " OKTIME ",\"type\":\"x\",\"prev\":\"" Z64 "\",\"data\":{}}",
			   "not written the way the log writes records");
	EXPECT_PARSE_ERROR("{\"seq\":1," OKTIME ",\"type\":\"x\",\"prev\":\"" Z64 "\",\"data\":{\"a\":1,\"a\":2}}",
			   "not written the way the log writes records");
	EXPECT_PARSE_ERROR("{\"seq\":1,\"time\":\"2023-02-30T22:13:20.000000Z\",\"type\":\"x\",\"prev\":\"" Z64 "\",\"data\":{}}",
			   "not written the way the log writes records");
	/* The types the log defines have exact data. */
	EXPECT_PARSE_ERROR("{\"seq\":0," OKTIME ",\"type\":\"log-start\",\"prev\":\"" Z64 "\",\"data\":{\"log_id\":\"00\"}}",
			   "a log-start record's data must have exactly the members log_id, node_key");
	EXPECT_PARSE_ERROR("{\"seq\":2," OKTIME ",\"type\":\"checkpoint\",\"prev\":\"" Z64 "\",\"data\":{\"log_id\":\"00000000000000000000000000000000\",\"covers\":-1,\"head\":\"" Z64 "\",\"signature\":\"" Z64 Z64 "\"}}",
			   "a checkpoint record's covers must be an integer");
	EXPECT_PARSE_ERROR("{\"seq\":2," OKTIME ",\"type\":\"records-lost\",\"prev\":\"" Z64 "\",\"data\":{\"count\":1,\"reason\":5}}",
			   "a records-lost record's reason must be a string");
	EXPECT_EQ(-1, tn_audit_parse("{\"seq\":1}\0x", 11, &r, &e));
	EXPECT_NE(NULL, strstr(e.msg, "NUL byte")) TH_LOG("%s", e.msg);
	memset(big, ' ', sizeof(big));
	EXPECT_EQ(-1, tn_audit_parse(big, sizeof(big), &r, &e));
	EXPECT_NE(NULL, strstr(e.msg, "longer than 65536 bytes")) TH_LOG("%s", e.msg);
}

TEST(a_checkpoint_signs_label_log_id_covers_and_head)
{
	uint8_t id[16], head[32], msg[TN_AUDIT_CP_MSG_LEN], d1[32], d2[32];
	char detail[TN_AUDIT_DETAIL_LEN];
	struct tn_audit_anchor a;
	struct tn_err e;

	memset(id, 0x11, sizeof(id));
	memset(head, 0x22, sizeof(head));
	tn_audit_checkpoint_msg(id, 0x0102030405060708ULL, head, msg);
	EXPECT_EQ(sizeof("trustnode-checkpoint-v1") + 16 + 8 + 32, sizeof(msg));
	EXPECT_EQ(0, memcmp(msg, "trustnode-checkpoint-v1", 24));	/* and its NUL */
	EXPECT_EQ(0x11, msg[24]);
	EXPECT_EQ(0x01, msg[40]);
	EXPECT_EQ(0x08, msg[47]);
	EXPECT_EQ(0x22, msg[48]);
	tn_audit_checkpoint_digest(id, 0x0102030405060708ULL, head, d1);
	crypto_hash_sha256(d2, msg, sizeof(msg));
	EXPECT_EQ(0, memcmp(d1, d2, 32));

	/* The TPM's event log names it; the detail must match the digest. */
	tn_audit_checkpoint_detail(id, 9, head, detail);
	EXPECT_STREQ("log 11111111111111111111111111111111 covers 9 head "
		     "2222222222222222222222222222222222222222222222222222222222222222", detail);
	tn_audit_checkpoint_digest(id, 9, head, d1);
	ASSERT_EQ(0, tn_audit_anchor_parse(detail, d1, &a, &e)) TH_LOG("%s", e.msg);
	EXPECT_EQ(9ULL, a.covers);
	EXPECT_EQ(0, memcmp(a.head, head, 32));
	d1[0] ^= 1;
	EXPECT_EQ(-1, tn_audit_anchor_parse(detail, d1, &a, &e));
	EXPECT_NE(NULL, strstr(e.msg, "is not the digest of the checkpoint its detail names"));
	EXPECT_EQ(-1, tn_audit_anchor_parse("log 11 covers 9 head 22", d1, &a, &e));
	EXPECT_EQ(-1, tn_audit_anchor_parse("log 11111111111111111111111111111111 covers +9 head "
					    "2222222222222222222222222222222222222222222222222222222222222222",
					    d2, &a, &e));
}

/* ---- an intact log ------------------------------------------------------ */

TEST_F(alog, an_intact_log_verifies)
{
	ASSERT_EQ(0, standard_log(&self->l, self->log, 0, NULL, NULL));
	ASSERT_EQ(0, lib_verify(&self->v, self->log, self->l.pk, NULL, 0)) TH_LOG("%s", self->v.error);
	EXPECT_EQ(25ULL, self->v.records);
	EXPECT_EQ(2ULL, self->v.checkpoints);
	EXPECT_EQ(19ULL, self->v.cp_covers);
	EXPECT_EQ(0, memcmp(self->v.cp_head, self->l.hashes[19], 32));
	EXPECT_EQ(0, memcmp(self->v.head, self->l.hashes[24], 32));
	EXPECT_EQ(0, memcmp(self->v.log_id, self->l.log_id, 16));
	EXPECT_EQ(0, self->v.key_from_log);
	EXPECT_EQ(0, trustctl(self->state, self->out, sizeof(self->out),
			      "log verify --dir '%s' --key %s", self->log, key_hex(&self->l)));
	EXPECT_NE(NULL, strstr(self->out, "ok: 25 records, 2 checkpoints, last checkpoint covers 19; "
			       "signatures checked with the given key; anchored: 0 checkpoints"))
		TH_LOG("%s", self->out);
	EXPECT_EQ(0, trustctl(self->state, self->out, sizeof(self->out),
			      "log verify --dir '%s' --key %s --json", self->log, key_hex(&self->l)));
	EXPECT_NE(NULL, strstr(self->out, "\"ok\":true")) TH_LOG("%s", self->out);
	EXPECT_NE(NULL, strstr(self->out, "\"records\":25"));
}

TEST_F(alog, an_intact_log_verifies_against_anchors_at_its_checkpoints)
{
	struct tn_audit_anchor a[2];

	ASSERT_EQ(0, standard_log(&self->l, self->log, 0, NULL, NULL));
	a[0] = anchor_of(&self->l, 9);
	a[1] = anchor_of(&self->l, 19);
	ASSERT_EQ(0, lib_verify(&self->v, self->log, self->l.pk, a, 2)) TH_LOG("%s", self->v.error);
	EXPECT_EQ(2ULL, self->v.anchored);
}

TEST_F(alog, many_anchors_are_all_checked)
{
	struct tn_audit_anchor a[40];

	ASSERT_EQ(0, standard_log(&self->l, self->log, 0, NULL, NULL));
	for (int i = 0; i < 40; i++)
		a[i] = anchor_of(&self->l, (i * 7) % 25);
	ASSERT_EQ(0, lib_verify(&self->v, self->log, self->l.pk, a, 40)) TH_LOG("%s", self->v.error);
	EXPECT_EQ(40ULL, self->v.anchored);
	EXPECT_EQ(16, self->v.nanchors);	/* the first 16, for display */
	a[33].head[0] ^= 1;
	EXPECT_EQ(-1, lib_verify(&self->v, self->log, self->l.pk, a, 40));
	EXPECT_NE(NULL, strstr(self->v.error, "the log was rewritten")) TH_LOG("%s", self->v.error);
}

TEST_F(alog, without_a_key_the_log_start_key_is_used_and_said_to_prove_nothing)
{
	ASSERT_EQ(0, standard_log(&self->l, self->log, 0, NULL, NULL));
	ASSERT_EQ(0, lib_verify(&self->v, self->log, NULL, NULL, 0)) TH_LOG("%s", self->v.error);
	EXPECT_EQ(1, self->v.key_from_log);
	EXPECT_EQ(2ULL, self->v.checkpoints);
	/* No identity.key in the state dir: the log's own key, with a warning. */
	EXPECT_EQ(0, trustctl(self->state, self->out, sizeof(self->out),
			      "log verify --dir '%s'", self->log));
	EXPECT_NE(NULL, strstr(self->out, "warning: no --key given")) TH_LOG("%s", self->out);
	EXPECT_NE(NULL, strstr(self->out, "signatures checked with the log's own log-start key, "
			       "which does not prove who wrote the log"));
	EXPECT_EQ(0, trustctl(self->state, self->out, sizeof(self->out),
			      "log verify --dir '%s' --json", self->log));
	EXPECT_NE(NULL, strstr(self->out, "\"key_from_log\":true")) TH_LOG("%s", self->out);
}

TEST_F(alog, the_node_identity_key_in_the_state_dir_is_used_by_default)
{
	char path[400];
	int fd;

	ASSERT_EQ(0, standard_log(&self->l, self->log, 0, NULL, NULL));
	snprintf(path, sizeof(path), "%s/identity.key", self->state);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(64, write(fd, self->l.sk, 64));
	close(fd);
	EXPECT_EQ(0, trustctl(self->state, self->out, sizeof(self->out),
			      "log verify --dir '%s'", self->log));
	EXPECT_NE(NULL, strstr(self->out, "signatures checked with this node's identity key"))
		TH_LOG("%s", self->out);
	EXPECT_EQ(NULL, strstr(self->out, "warning"));
}

TEST_F(alog, a_log_checked_with_another_nodes_key_is_refused)
{
	uint8_t pk[32], sk[64];
	char hex[65];

	ASSERT_EQ(0, standard_log(&self->l, self->log, 0, NULL, NULL));
	crypto_sign_keypair(pk, sk);
	EXPECT_EQ(-1, lib_verify(&self->v, self->log, pk, NULL, 0));
	EXPECT_NE(NULL, strstr(self->v.error, "names node key")) TH_LOG("%s", self->v.error);
	tn_hex_encode(pk, 32, hex);
	EXPECT_EQ(1, trustctl(self->state, self->out, sizeof(self->out),
			      "log verify --dir '%s' --key %s", self->log, hex));
	EXPECT_NE(NULL, strstr(self->out, "the log was written by another node")) TH_LOG("%s", self->out);
}

/* ---- tampering ---------------------------------------------------------- */

TEST_F(alog, an_edited_record_is_detected)
{
	struct lines ls;
	char seg[400];

	ASSERT_EQ(0, standard_log(&self->l, self->log, 0, NULL, NULL));
	SEG0(self, seg);
	ASSERT_EQ(0, lines_load(seg, &ls));
	ASSERT_EQ(0, lines_edit(&ls, 5, "\"workload\":\"llm\"", "\"workload\":\"web\""));
	ASSERT_EQ(0, lines_save(seg, &ls, 0));
	EXPECT_DETECTED("record 5 (audit-0000000000000000.jsonl:6) was edited: record 6 "
			"(audit-0000000000000000.jsonl:7) does not chain to it");
	EXPECT_EQ(5ULL, self->v.bad_seq);
}

TEST_F(alog, an_edited_record_before_a_checkpoint_is_named_by_the_checkpoint)
{
	struct lines ls;
	char seg[400];

	ASSERT_EQ(0, standard_log(&self->l, self->log, 0, NULL, NULL));
	SEG0(self, seg);
	ASSERT_EQ(0, lines_load(seg, &ls));
	ASSERT_EQ(0, lines_edit(&ls, 19, "\"n\":19", "\"n\":91"));
	ASSERT_EQ(0, lines_save(seg, &ls, 0));
	EXPECT_DETECTED("record 19 (audit-0000000000000000.jsonl:20) was edited: checkpoint 20 "
			"(audit-0000000000000000.jsonl:21), signed by the node key, vouches for a different record 19");
}

TEST_F(alog, an_edited_last_record_is_detected_against_an_anchor)
{
	struct tn_audit_anchor a;
	struct lines ls;
	char seg[400];

	ASSERT_EQ(0, standard_log(&self->l, self->log, 0, NULL, NULL));
	SEG0(self, seg);
	ASSERT_EQ(0, lines_load(seg, &ls));
	ASSERT_EQ(0, lines_edit(&ls, 24, "\"n\":24", "\"n\":42"));
	ASSERT_EQ(0, lines_save(seg, &ls, 0));
	a = anchor_of(&self->l, 24);
	EXPECT_EQ(-1, lib_verify(&self->v, self->log, self->l.pk, &a, 1));
	EXPECT_NE(NULL, strstr(self->v.error, "record 24 (audit-0000000000000000.jsonl:25) is not the one "
			       TPM_SOURCE " vouches for: the log was rewritten")) TH_LOG("%s", self->v.error);
}

TEST_F(alog, a_deleted_record_is_detected)
{
	struct lines ls;
	char seg[400];

	ASSERT_EQ(0, standard_log(&self->l, self->log, 0, NULL, NULL));
	SEG0(self, seg);
	ASSERT_EQ(0, lines_load(seg, &ls));
	lines_delete(&ls, 7);
	ASSERT_EQ(0, lines_save(seg, &ls, 0));
	EXPECT_DETECTED("record 7 is missing: seq jumps from 6 to 8 (audit-0000000000000000.jsonl:8): it was deleted");
	EXPECT_EQ(7ULL, self->v.bad_seq);
	ASSERT_EQ(0, lines_load(seg, &ls));
	lines_delete(&ls, 7);
	lines_delete(&ls, 7);
	ASSERT_EQ(0, lines_save(seg, &ls, 0));
	EXPECT_DETECTED("records 7 to 9 are missing: seq jumps from 6 to 10");
}

TEST_F(alog, swapped_records_are_detected_as_reordered)
{
	struct lines ls;
	char seg[400], *t;

	ASSERT_EQ(0, standard_log(&self->l, self->log, 0, NULL, NULL));
	SEG0(self, seg);
	ASSERT_EQ(0, lines_load(seg, &ls));
	t = ls.l[12];
	ls.l[12] = ls.l[13];
	ls.l[13] = t;
	ASSERT_EQ(0, lines_save(seg, &ls, 0));
	EXPECT_DETECTED("record 12 (audit-0000000000000000.jsonl:14) comes after record 13 "
			"(audit-0000000000000000.jsonl:13): records were reordered");
	ASSERT_EQ(0, lines_load(seg, &ls));
	t = ls.l[12];
	ls.l[12] = ls.l[13];
	ls.l[13] = t;
	/* A record repeated further on. */
	free(ls.l[15]);
	ls.l[15] = strdup(ls.l[14]);
	ASSERT_EQ(0, lines_save(seg, &ls, 0));
	EXPECT_DETECTED("record 14 (audit-0000000000000000.jsonl:16) comes after record 14 "
			"(audit-0000000000000000.jsonl:15): records were reordered");
}

TEST_F(alog, records_spliced_in_from_another_log_are_detected)
{
	struct tlog other, mine, key;
	struct lines ls, os;
	char seg[400], oseg[400];

	ASSERT_EQ(0, standard_log(&self->l, self->log, 0, NULL, NULL));
	mine = key = self->l;
	/* Another log of the same node: same key, another log id. */
	randombytes_buf(key.log_id, sizeof(key.log_id));
	ASSERT_EQ(0, standard_log(&other, self->other, 0, &key, "o"));
	SEG0(self, seg);
	seg_path(self->other, 0, oseg, sizeof(oseg));
	ASSERT_EQ(0, lines_load(oseg, &os));

	/* Its checkpoint 10 in place of ours. */
	ASSERT_EQ(0, lines_load(seg, &ls));
	free(ls.l[10]);
	ls.l[10] = strdup(os.l[10]);
	ASSERT_EQ(0, lines_save(seg, &ls, 0));
	EXPECT_DETECTED("checkpoint 10 (audit-0000000000000000.jsonl:11) belongs to log");
	EXPECT_DETECTED("it was spliced in from another log");

	/* Its record 5 in place of ours: neither neighbour chains with it. */
	ASSERT_EQ(0, standard_log(&self->l, self->log, 0, &mine, NULL));
	ASSERT_EQ(0, lines_load(seg, &ls));
	free(ls.l[5]);
	ls.l[5] = strdup(os.l[5]);
	ASSERT_EQ(0, lines_save(seg, &ls, 0));
	EXPECT_DETECTED("record 5 (audit-0000000000000000.jsonl:6) does not belong to this log's chain: "
			"neither record 4 (audit-0000000000000000.jsonl:5) before it nor record 6 "
			"(audit-0000000000000000.jsonl:7) after it chains with it, so it was spliced in from another log");

	/* Its log-start in the middle of ours. */
	ASSERT_EQ(0, standard_log(&self->l, self->log, 0, &mine, NULL));
	ASSERT_EQ(0, lines_load(seg, &ls));
	ls.l[ls.n++] = strdup(os.l[0]);
	ASSERT_EQ(0, lines_save(seg, &ls, 0));
	EXPECT_DETECTED("record 0 (audit-0000000000000000.jsonl:26) is the log-start record of log");
	EXPECT_DETECTED("a log starts only once, so it was spliced in from another log");
	for (int i = 0; i < os.n; i++)
		free(os.l[i]);
}

TEST_F(alog, a_torn_last_line_is_detected)
{
	struct lines ls;
	char seg[400];

	ASSERT_EQ(0, standard_log(&self->l, self->log, 0, NULL, NULL));
	SEG0(self, seg);
	ASSERT_EQ(0, lines_load(seg, &ls));
	ls.l[ls.n++] = strdup("{\"seq\":25,\"time\":\"2023-");
	ASSERT_EQ(0, lines_save(seg, &ls, 1));
	EXPECT_DETECTED("record 25 (audit-0000000000000000.jsonl:26) is torn: its line has no newline, "
			"so it was cut short while being written");
	/* A whole record without its newline is torn too. */
	ASSERT_EQ(0, lines_load(seg, &ls));
	lines_cut(&ls, 25);
	ASSERT_EQ(0, lines_save(seg, &ls, 1));
	EXPECT_DETECTED("record 24 (audit-0000000000000000.jsonl:25) is torn");
}

TEST_F(alog, a_forged_checkpoint_signature_is_detected)
{
	struct lines ls;
	char seg[400], sig[16];
	const char *s;

	ASSERT_EQ(0, standard_log(&self->l, self->log, 0, NULL, NULL));
	SEG0(self, seg);
	ASSERT_EQ(0, lines_load(seg, &ls));
	/* Record 21 no longer chains either, but the first problem is named. */
	s = strstr(ls.l[20], "\"signature\":\"") + 13;
	snprintf(sig, sizeof(sig), "%.8s", s);
	ASSERT_EQ(0, lines_edit(&ls, 20, sig, s[0] == '0' ? "10000000" : "00000000"));
	ASSERT_EQ(0, lines_save(seg, &ls, 0));
	EXPECT_DETECTED("checkpoint 20 (audit-0000000000000000.jsonl:21) has a bad signature: "
			"it was not made by the node key, so it was forged or altered");
	EXPECT_EQ(20ULL, self->v.bad_seq);
}

TEST_F(alog, a_checkpoint_signed_with_another_key_is_detected)
{
	uint8_t pk[32];

	/* A well-chained log whose checkpoint someone else signed. */
	ASSERT_EQ(0, tlog_start(&self->l, self->log, 0, NULL));
	ASSERT_EQ(0, tlog_events(&self->l, 9));
	crypto_sign_keypair(pk, self->l.sk);
	ASSERT_EQ(0, tlog_checkpoint(&self->l));
	ASSERT_EQ(0, tlog_events(&self->l, 3));
	ASSERT_EQ(0, tlog_close(&self->l));
	EXPECT_DETECTED("checkpoint 10 (audit-0000000000000000.jsonl:11) has a bad signature: "
			"it was not made by the node key, so it was forged or altered");
	/* Without a key, the one the log-start names is the judge. */
	EXPECT_EQ(-1, lib_verify(&self->v, self->log, NULL, NULL, 0));
	EXPECT_NE(NULL, strstr(self->v.error, "it was not made by the key the log-start record names"))
		TH_LOG("%s", self->v.error);
}

TEST_F(alog, a_log_truncated_before_an_anchor_is_detected)
{
	struct tn_audit_anchor a;
	struct lines ls;
	char seg[400];

	ASSERT_EQ(0, standard_log(&self->l, self->log, 0, NULL, NULL));
	a = anchor_of(&self->l, 19);
	SEG0(self, seg);
	ASSERT_EQ(0, lines_load(seg, &ls));
	lines_cut(&ls, 16);
	ASSERT_EQ(0, lines_save(seg, &ls, 0));
	/* Alone, the log still verifies: nothing in it shows the cut. */
	EXPECT_EQ(0, lib_verify(&self->v, self->log, self->l.pk, NULL, 0)) TH_LOG("%s", self->v.error);
	EXPECT_EQ(-1, lib_verify(&self->v, self->log, self->l.pk, &a, 1));
	EXPECT_NE(NULL, strstr(self->v.error, "the log ends at seq 15, before seq 19 which "
			       TPM_SOURCE " vouches for: it was truncated")) TH_LOG("%s", self->v.error);
	EXPECT_EQ(19ULL, self->v.bad_seq);
}

TEST_F(alog, a_log_deleted_and_started_anew_is_detected_against_an_old_anchor)
{
	struct tn_audit_anchor a;
	struct tlog again, key;
	char cmd[400];

	ASSERT_EQ(0, standard_log(&self->l, self->log, 0, NULL, NULL));
	a = anchor_of(&self->l, 19);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", self->log);
	ASSERT_EQ(0, system(cmd));
	/* Same node, same key, a perfectly good new log, longer than the old. */
	key = self->l;
	randombytes_buf(key.log_id, sizeof(key.log_id));
	ASSERT_EQ(0, tlog_start(&again, self->log, 0, &key));
	ASSERT_EQ(0, tlog_events(&again, 30));
	ASSERT_EQ(0, tlog_checkpoint(&again));
	ASSERT_EQ(0, tlog_close(&again));
	EXPECT_EQ(0, lib_verify(&self->v, self->log, self->l.pk, NULL, 0)) TH_LOG("%s", self->v.error);
	EXPECT_EQ(-1, lib_verify(&self->v, self->log, self->l.pk, &a, 1));
	EXPECT_NE(NULL, strstr(self->v.error, "the one " TPM_SOURCE " vouches for: "
			       "the log was deleted and started anew")) TH_LOG("%s", self->v.error);
}

TEST_F(alog, a_log_cut_back_to_an_earlier_checkpoint_is_detected_against_a_later_anchor)
{
	struct tn_audit_anchor a;
	struct lines ls;
	struct tlog orig;
	char seg[400];

	ASSERT_EQ(0, standard_log(&self->l, self->log, 0, NULL, NULL));
	orig = self->l;
	a = anchor_of(&orig, 19);
	/* Cut back to checkpoint 10: every checkpoint left is genuine. */
	SEG0(self, seg);
	ASSERT_EQ(0, lines_load(seg, &ls));
	lines_cut(&ls, 11);
	ASSERT_EQ(0, lines_save(seg, &ls, 0));
	EXPECT_EQ(0, lib_verify(&self->v, self->log, orig.pk, NULL, 0)) TH_LOG("%s", self->v.error);
	EXPECT_EQ(-1, lib_verify(&self->v, self->log, orig.pk, &a, 1));
	EXPECT_NE(NULL, strstr(self->v.error, "the log ends at seq 10, before seq 19 which "
			       TPM_SOURCE " vouches for: it was truncated")) TH_LOG("%s", self->v.error);
	/* ... and continued with the key (root on the node has it). */
	ASSERT_EQ(0, standard_log(&self->l, self->log, 0, &orig, "rewritten"));
	EXPECT_EQ(0, lib_verify(&self->v, self->log, orig.pk, NULL, 0)) TH_LOG("%s", self->v.error);
	EXPECT_EQ(-1, lib_verify(&self->v, self->log, orig.pk, &a, 1));
	EXPECT_NE(NULL, strstr(self->v.error, "record 19 (audit-0000000000000000.jsonl:20) is not the one "
			       TPM_SOURCE " vouches for: the log was rewritten")) TH_LOG("%s", self->v.error);
}

/* ---- repairs ------------------------------------------------------------ */

/* Records 0-9, then a repair at seq, then events and a checkpoint. */
static int repaired_log(struct tlog *l, const char *dir, uint64_t seq,
			uint64_t last_good, uint64_t skipped)
{
	if (tlog_start(l, dir, 0, NULL) || tlog_events(l, 9) ||
	    tlog_repair(l, seq, last_good, skipped) || tlog_events(l, 3) ||
	    tlog_checkpoint(l))
		return -1;
	return tlog_close(l);
}

TEST_F(alog, a_consistent_log_repaired_record_is_accepted)
{
	ASSERT_EQ(0, repaired_log(&self->l, self->log, 11, 9, 10));
	ASSERT_EQ(0, lib_verify(&self->v, self->log, self->l.pk, NULL, 0)) TH_LOG("%s", self->v.error);
	EXPECT_EQ(1ULL, self->v.repairs);
	EXPECT_EQ(15ULL, self->v.records);
	EXPECT_EQ(0, trustctl(self->state, self->out, sizeof(self->out),
			      "log verify --dir '%s' --key %s", self->log, key_hex(&self->l)));
	EXPECT_NE(NULL, strstr(self->out, "ok: 15 records, 1 checkpoints")) TH_LOG("%s", self->out);
	EXPECT_NE(NULL, strstr(self->out, "1 repair(s)"));
}

TEST_F(alog, a_log_repaired_record_that_lies_is_refused)
{
	char cmd[400];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", self->log);
	/* It hides record 9: the last good record it names is not the one before it. */
	ASSERT_EQ(0, repaired_log(&self->l, self->log, 10, 8, 9));
	EXPECT_DETECTED("the log-repaired record 10 (audit-0000000000000000.jsonl:11) says the last good "
			"record is 8, but it follows record 9: the repair is false");
	ASSERT_EQ(0, system(cmd));
	ASSERT_EQ(0, repaired_log(&self->l, self->log, 12, 9, 11));
	EXPECT_DETECTED("says it skipped seq 11, but a repair skips exactly the seq after the last good record, 10");
	ASSERT_EQ(0, system(cmd));
	/* It jumps further than the one seq a torn write may have used. */
	ASSERT_EQ(0, repaired_log(&self->l, self->log, 14, 9, 10));
	EXPECT_DETECTED("the log-repaired record 14 (audit-0000000000000000.jsonl:11) must have seq 11");
}

/* ---- segments ----------------------------------------------------------- */

TEST_F(alog, a_log_rotated_across_segments_verifies)
{
	char seg[400];
	struct stat st;

	ASSERT_EQ(0, standard_log(&self->l, self->log, 7, NULL, NULL));
	seg_path(self->log, 21, seg, sizeof(seg));
	ASSERT_EQ(0, stat(seg, &st));	/* 0, 7, 14, 21 */
	ASSERT_EQ(0, lib_verify(&self->v, self->log, self->l.pk, NULL, 0)) TH_LOG("%s", self->v.error);
	EXPECT_EQ(25ULL, self->v.records);
	EXPECT_EQ(0, trustctl(self->state, self->out, sizeof(self->out),
			      "log verify --dir '%s' --key %s", self->log, key_hex(&self->l)));
	EXPECT_NE(NULL, strstr(self->out, "ok: 25 records")) TH_LOG("%s", self->out);
}

TEST_F(alog, editing_the_first_line_of_the_second_segment_is_detected)
{
	struct lines ls;
	char seg[400];

	ASSERT_EQ(0, standard_log(&self->l, self->log, 7, NULL, NULL));
	seg_path(self->log, 7, seg, sizeof(seg));
	ASSERT_EQ(0, lines_load(seg, &ls));
	ASSERT_EQ(0, lines_edit(&ls, 0, "\"n\":7", "\"n\":8"));
	ASSERT_EQ(0, lines_save(seg, &ls, 0));
	EXPECT_DETECTED("record 7 (audit-0000000000000007.jsonl:1) was edited: record 8 "
			"(audit-0000000000000007.jsonl:2) does not chain to it");
}

TEST_F(alog, a_deleted_segment_and_a_torn_middle_segment_are_detected)
{
	char seg[400];
	struct lines ls;

	ASSERT_EQ(0, standard_log(&self->l, self->log, 7, NULL, NULL));
	seg_path(self->log, 7, seg, sizeof(seg));
	ASSERT_EQ(0, lines_load(seg, &ls));
	ASSERT_EQ(0, lines_save(seg, &ls, 1));
	EXPECT_DETECTED("record 13 (audit-0000000000000007.jsonl:7) has no newline, yet segment "
			"audit-0000000000000014.jsonl follows it: the segment was cut short");
	ASSERT_EQ(0, unlink(seg));
	EXPECT_DETECTED("records 7 to 13 are missing: seq jumps from 6 to 14 (audit-0000000000000014.jsonl:1)");
}

/* ---- the segment store (common/audit_segments.c) ------------------------ */

struct seen {
	int lines, torn;
	char torn_where[64], torn_next[64];
};

static int see_line(void *ctx, const struct tn_audit_line *l)
{
	struct seen *s = ctx;

	s->lines++;
	if (l->torn && !s->torn++) {	/* the first one */
		tn_audit_line_where(l, s->torn_where, sizeof(s->torn_where));
		snprintf(s->torn_next, sizeof(s->torn_next), "%s", l->next ? l->next : "");
	}
	return 0;
}

TEST_F(alog, the_store_names_segments_and_reports_a_torn_line_once_for_every_reader)
{
	char name[TN_AUDIT_SEG_NAME_SIZE], seg[400];
	struct tn_audit_page pg;
	struct seen s = { 0 };
	struct lines ls;
	struct tn_err e;
	uint64_t first;

	tn_audit_seg_name(21, name);
	EXPECT_STREQ("audit-0000000000000021.jsonl", name);
	ASSERT_EQ(0, tn_audit_seg_first(name, &first));
	EXPECT_EQ(21U, first);
	EXPECT_EQ(-1, tn_audit_seg_first("audit-21.jsonl", &first));
	EXPECT_EQ(-1, tn_audit_seg_first("audit-0000000000000021.jsonl.bak", &first));
	/* Segments 0, 7, 14, 21; a torn write cuts the last record short. */
	ASSERT_EQ(0, standard_log(&self->l, self->log, 7, NULL, NULL));
	seg_path(self->log, 21, seg, sizeof(seg));
	ASSERT_EQ(0, lines_load(seg, &ls));
	ls.l[ls.n - 1][20] = '\0';
	ASSERT_EQ(0, lines_save(seg, &ls, 1));
	/* The store: every line once, the torn one last and marked so. */
	ASSERT_EQ(0, tn_audit_read_log(self->log, 0, 0, see_line, &s, NULL, &e));
	EXPECT_EQ(25, s.lines);
	EXPECT_EQ(1, s.torn);
	EXPECT_STREQ("audit-0000000000000021.jsonl:4", s.torn_where);
	EXPECT_STREQ("", s.torn_next);
	/* From seq 16: the segment holding it on. */
	memset(&s, 0, sizeof(s));
	ASSERT_EQ(0, tn_audit_read_log(self->log, 16, 0, see_line, &s, NULL, &e));
	EXPECT_EQ(11, s.lines);
	/* The verifier calls it torn; tail and export leave it out and say so; a page stops before it. */
	EXPECT_DETECTED("record 24 (audit-0000000000000021.jsonl:4) is torn");
	EXPECT_EQ(0, trustctl(self->state, self->out, sizeof(self->out),
			      "log tail -n 2 --json --dir '%s'", self->log));
	EXPECT_NE(NULL, strstr(self->out, "the last line of audit-0000000000000021.jsonl is torn"));
	EXPECT_NE(NULL, strstr(self->out, "{\"seq\":23,")) TH_LOG("%s", self->out);
	EXPECT_EQ(NULL, strstr(self->out, "{\"seq\":24,"));
	EXPECT_EQ(0, trustctl(self->state, self->out, sizeof(self->out),
			      "log export --since 20 --dir '%s'", self->log));
	EXPECT_NE(NULL, strstr(self->out, "the last line of audit-0000000000000021.jsonl is torn"));
	EXPECT_EQ(NULL, strstr(self->out, "{\"seq\":24,")) TH_LOG("%s", self->out);
	ASSERT_EQ(0, tn_audit_read_page(self->log, 20, 100, 100, TN_AUDIT_PAGE_BYTES, &pg, &e));
	EXPECT_EQ(4U, json_object_array_length(pg.records));
	EXPECT_EQ(24U, pg.next);
	EXPECT_EQ(0, pg.more);
	tn_audit_page_free(&pg);
	/* In a segment that another follows, the store names the next one. */
	seg_path(self->log, 7, seg, sizeof(seg));
	ASSERT_EQ(0, lines_load(seg, &ls));
	ASSERT_EQ(0, lines_save(seg, &ls, 1));
	memset(&s, 0, sizeof(s));
	ASSERT_EQ(0, tn_audit_read_log(self->log, 0, 0, see_line, &s, NULL, &e));
	EXPECT_EQ(2, s.torn);
	EXPECT_STREQ("audit-0000000000000007.jsonl:7", s.torn_where);
	EXPECT_STREQ("audit-0000000000000014.jsonl", s.torn_next);
}

/* ---- pages, as GET /v1/log serves them (common/audit_page.c) ------------ */

/* The seq of a page's record i, or -1. */
static long long page_seq(const struct tn_audit_page *pg, size_t i)
{
	const char *line = json_object_get_string(json_object_array_get_idx(pg->records, i));

	return line && !strncmp(line, "{\"seq\":", 7) ? atoll(line + 7) : -1;
}

TEST_F(alog, a_page_starts_in_the_segment_holding_since_and_stops_when_full)
{
	struct tn_audit_page pg;
	struct tn_err e;

	/* Segments start at 0, 7, 14 and 21; records 0..24. */
	ASSERT_EQ(0, standard_log(&self->l, self->log, 7, NULL, NULL));
	ASSERT_EQ(0, tn_audit_read_page(self->log, 16, 25, 5, TN_AUDIT_PAGE_BYTES, &pg, &e));
	ASSERT_EQ(5U, json_object_array_length(pg.records));
	EXPECT_EQ(16, page_seq(&pg, 0));
	EXPECT_EQ(20, page_seq(&pg, 4));
	EXPECT_EQ(21ULL, pg.next);
	EXPECT_TRUE(pg.more);
	/* Segments 0 and 7 are never opened; 14 and 15 are skipped unparsed. */
	EXPECT_EQ(2, pg.segments);
	EXPECT_EQ(2ULL, pg.skipped);
	tn_audit_page_free(&pg);
	/* The rest: nothing more. */
	ASSERT_EQ(0, tn_audit_read_page(self->log, 21, 25, 5, TN_AUDIT_PAGE_BYTES, &pg, &e));
	EXPECT_EQ(4U, json_object_array_length(pg.records));
	EXPECT_EQ(25ULL, pg.next);
	EXPECT_FALSE(pg.more);
	tn_audit_page_free(&pg);
	/* Past the end, and beyond: empty, and next stays. */
	ASSERT_EQ(0, tn_audit_read_page(self->log, 25, 25, 5, TN_AUDIT_PAGE_BYTES, &pg, &e));
	EXPECT_EQ(0U, json_object_array_length(pg.records));
	EXPECT_EQ(25ULL, pg.next);
	EXPECT_FALSE(pg.more);
	tn_audit_page_free(&pg);
	ASSERT_EQ(0, tn_audit_read_page(self->log, 1000, 25, 5, TN_AUDIT_PAGE_BYTES, &pg, &e));
	EXPECT_EQ(0U, json_object_array_length(pg.records));
	EXPECT_EQ(1000ULL, pg.next);
	tn_audit_page_free(&pg);
}

TEST_F(alog, a_page_holds_only_durable_records_and_stays_within_its_byte_bound)
{
	struct tn_audit_page pg;
	struct tn_err e;
	size_t len;

	ASSERT_EQ(0, standard_log(&self->l, self->log, 7, NULL, NULL));
	/* Records from 12 on are not durable yet: not sent, and not "more". */
	ASSERT_EQ(0, tn_audit_read_page(self->log, 0, 12, 1000, TN_AUDIT_PAGE_BYTES, &pg, &e));
	EXPECT_EQ(12U, json_object_array_length(pg.records));
	EXPECT_EQ(12ULL, pg.next);
	EXPECT_FALSE(pg.more);
	/* The bound counts the records as the agent's reply encodes them. */
	json_object_to_json_string_length(pg.records, JSON_C_TO_STRING_PLAIN, &len);
	EXPECT_LE(len, pg.bytes + 2);
	tn_audit_page_free(&pg);
	/* A bound of 1000 bytes: a few records, then "more". */
	ASSERT_EQ(0, tn_audit_read_page(self->log, 0, 25, 1000, 1000, &pg, &e));
	EXPECT_LT(0U, json_object_array_length(pg.records));
	EXPECT_GT(10U, json_object_array_length(pg.records));
	EXPECT_GE(1000U, pg.bytes);
	json_object_to_json_string_length(pg.records, JSON_C_TO_STRING_PLAIN, &len);
	EXPECT_GE(1000U + 2, len);
	EXPECT_TRUE(pg.more);
	EXPECT_EQ((unsigned long long)json_object_array_length(pg.records), pg.next);
	tn_audit_page_free(&pg);
}

TEST_F(alog, pages_read_one_after_another_verify_as_the_whole_log)
{
	struct tn_audit_page pg;
	struct tn_err e;
	uint64_t since = 0;
	int more = 1, pages = 0;

	ASSERT_EQ(0, standard_log(&self->l, self->log, 7, NULL, NULL));
	tn_audit_verify_init(&self->v, self->l.pk);
	while (more) {
		ASSERT_EQ(0, tn_audit_read_page(self->log, since, 25, 4, TN_AUDIT_PAGE_BYTES, &pg, &e));
		for (size_t i = 0; i < json_object_array_length(pg.records); i++) {
			const char *line = json_object_get_string(json_object_array_get_idx(pg.records, i));

			ASSERT_EQ(0, tn_audit_verify_line(&self->v, line, strlen(line), 0, "page"))
				TH_LOG("%s", self->v.error);
		}
		more = pg.more;
		since = pg.next;
		pages++;
		tn_audit_page_free(&pg);
	}
	EXPECT_EQ(0, tn_audit_verify_finish(&self->v)) TH_LOG("%s", self->v.error);
	EXPECT_EQ(25ULL, self->v.records);
	EXPECT_EQ(7, pages);
}

/* A tampered line is sent, not hidden: the reader's verifier names it. */
TEST_F(alog, a_line_without_a_seq_ends_the_page_and_is_sent_as_it_is)
{
	struct tn_audit_page pg;
	struct lines ls;
	struct tn_err e;
	char seg[400];

	ASSERT_EQ(0, standard_log(&self->l, self->log, 0, NULL, NULL));
	seg_path(self->log, 0, seg, sizeof(seg));
	ASSERT_EQ(0, lines_load(seg, &ls));
	ASSERT_EQ(0, lines_edit(&ls, 10, "{\"seq\":10,", "{\"seq\":\"10\","));
	ASSERT_EQ(0, lines_save(seg, &ls, 0));
	ASSERT_EQ(0, tn_audit_read_page(self->log, 8, 25, 1000, TN_AUDIT_PAGE_BYTES, &pg, &e));
	ASSERT_EQ(3U, json_object_array_length(pg.records));
	EXPECT_EQ(9, page_seq(&pg, 1));
	EXPECT_NE(NULL, strstr(json_object_get_string(json_object_array_get_idx(pg.records, 2)),
			       "{\"seq\":\"10\","));
	EXPECT_FALSE(pg.more);
	tn_audit_page_free(&pg);
	/* From after it, the page goes on from there. */
	ASSERT_EQ(0, tn_audit_read_page(self->log, 11, 25, 1000, TN_AUDIT_PAGE_BYTES, &pg, &e));
	EXPECT_EQ(11, page_seq(&pg, 0));
	EXPECT_EQ(25ULL, pg.next);
	tn_audit_page_free(&pg);
}

TEST_F(alog, an_empty_or_missing_log_does_not_verify)
{
	char bogus[400];

	ASSERT_EQ(0, mkdir(self->log, 0700));
	EXPECT_EQ(-1, lib_verify(&self->v, self->log, NULL, NULL, 0));
	EXPECT_NE(NULL, strstr(self->v.error, "holds no audit log segments")) TH_LOG("%s", self->v.error);
	snprintf(bogus, sizeof(bogus), "%s/nothing", self->dir);
	EXPECT_EQ(-1, lib_verify(&self->v, bogus, NULL, NULL, 0));
	EXPECT_NE(NULL, strstr(self->v.error, "cannot open the audit log directory")) TH_LOG("%s", self->v.error);
	EXPECT_EQ(1, trustctl(self->state, self->out, sizeof(self->out), "log verify --dir '%s'", bogus));
}

/* ---- incremental verification ------------------------------------------- */

TEST_F(alog, verification_can_start_from_a_known_record)
{
	struct tn_audit_anchor a;
	struct lines ls;
	char seg[400], where[64];

	ASSERT_EQ(0, standard_log(&self->l, self->log, 7, NULL, NULL));
	/* From the directory: what precedes record 10 is skipped. */
	tn_audit_verify_init(&self->v, self->l.pk);
	tn_audit_verify_start_at(&self->v, self->l.log_id, 10, self->l.hashes[10]);
	a = anchor_of(&self->l, 19);
	ASSERT_EQ(0, tn_audit_verify_add_anchor(&self->v, &a));
	ASSERT_EQ(0, tn_audit_verify_dir(&self->v, self->log)) TH_LOG("%s", self->v.error);
	EXPECT_EQ(14ULL, self->v.records);
	EXPECT_EQ(1ULL, self->v.checkpoints);
	EXPECT_EQ(1ULL, self->v.anchored);
	tn_audit_verify_free(&self->v);

	/* Line by line, as pages from a peer arrive. */
	tn_audit_verify_init(&self->v, self->l.pk);
	tn_audit_verify_start_at(&self->v, self->l.log_id, 13, self->l.hashes[13]);
	seg_path(self->log, 14, seg, sizeof(seg));
	ASSERT_EQ(0, lines_load(seg, &ls));
	for (int i = 0; i < ls.n; i++) {
		snprintf(where, sizeof(where), "page 2, entry %d", i);
		EXPECT_EQ(0, tn_audit_verify_line(&self->v, ls.l[i], strlen(ls.l[i]), 0, where))
			TH_LOG("%s", self->v.error);
	}
	lines_save(seg, &ls, 0);
	EXPECT_EQ(0, tn_audit_verify_finish(&self->v)) TH_LOG("%s", self->v.error);
	EXPECT_EQ(7ULL, self->v.records);
	EXPECT_EQ(1ULL, self->v.checkpoints);	/* 20, checked with the key */

	/* A known record that is no longer there as it was: rewritten. */
	tn_audit_verify_init(&self->v, self->l.pk);
	tn_audit_verify_start_at(&self->v, self->l.log_id, 10, self->l.hashes[11]);
	EXPECT_EQ(-1, tn_audit_verify_dir(&self->v, self->log));
	EXPECT_NE(NULL, strstr(self->v.error, "record 10 (audit-0000000000000007.jsonl:4) is not the record "
			       "verification started from: the log was rewritten")) TH_LOG("%s", self->v.error);
	/* ... or not there at all: truncated. */
	seg_path(self->log, 7, seg, sizeof(seg));
	ASSERT_EQ(0, lines_load(seg, &ls));
	lines_cut(&ls, 2);
	ASSERT_EQ(0, lines_save(seg, &ls, 0));
	seg_path(self->log, 14, seg, sizeof(seg));
	unlink(seg);
	seg_path(self->log, 21, seg, sizeof(seg));
	unlink(seg);
	tn_audit_verify_init(&self->v, self->l.pk);
	tn_audit_verify_start_at(&self->v, self->l.log_id, 10, self->l.hashes[10]);
	EXPECT_EQ(-1, tn_audit_verify_dir(&self->v, self->log));
	EXPECT_NE(NULL, strstr(self->v.error, "record 10, where verification started, is not in"))
		TH_LOG("%s", self->v.error);
}

TEST_F(alog, a_record_after_the_known_one_that_breaks_the_chain_is_detected)
{
	struct lines ls;
	char seg[400];

	ASSERT_EQ(0, standard_log(&self->l, self->log, 0, NULL, NULL));
	SEG0(self, seg);
	ASSERT_EQ(0, lines_load(seg, &ls));
	ASSERT_EQ(0, lines_edit(&ls, 15, "\"n\":15", "\"n\":51"));
	ASSERT_EQ(0, lines_save(seg, &ls, 0));
	tn_audit_verify_init(&self->v, self->l.pk);
	tn_audit_verify_start_at(&self->v, self->l.log_id, 12, self->l.hashes[12]);
	EXPECT_EQ(-1, tn_audit_verify_dir(&self->v, self->log));
	EXPECT_NE(NULL, strstr(self->v.error, "record 15 (audit-0000000000000000.jsonl:16) was edited"))
		TH_LOG("%s", self->v.error);
}

/* ---- tail and export ---------------------------------------------------- */

TEST_F(alog, tail_prints_the_last_records)
{
	struct lines ls;
	char seg[400], want[4096];

	ASSERT_EQ(0, standard_log(&self->l, self->log, 7, NULL, NULL));
	ASSERT_EQ(0, trustctl(self->state, self->out, sizeof(self->out),
			      "log tail -n 3 --dir '%s'", self->log));
	EXPECT_NE(NULL, strstr(self->out, "      22  2023-11-14T22:13:20.022000Z  deny")) TH_LOG("%s", self->out);
	EXPECT_NE(NULL, strstr(self->out, "      24  2023-11-14T22:13:20.024000Z  deny           "
			       "{\"workload\":\"llm\",\"path\":\"/srv/phi/24\",\"n\":24}\n"));
	EXPECT_EQ(NULL, strstr(self->out, "      21  "));
	/* Across segments, raw. */
	ASSERT_EQ(0, trustctl(self->state, self->out, sizeof(self->out),
			      "log tail -n 5 --json --dir '%s'", self->log));
	seg_path(self->log, 14, seg, sizeof(seg));
	ASSERT_EQ(0, lines_load(seg, &ls));
	snprintf(want, sizeof(want), "%s\n", ls.l[6]);
	lines_save(seg, &ls, 0);
	seg_path(self->log, 21, seg, sizeof(seg));
	ASSERT_EQ(0, lines_load(seg, &ls));
	for (int i = 0; i < ls.n; i++)
		snprintf(want + strlen(want), sizeof(want) - strlen(want), "%s\n", ls.l[i]);
	lines_save(seg, &ls, 0);
	EXPECT_STREQ(want, self->out);
	/* The default is 10. */
	ASSERT_EQ(0, trustctl(self->state, self->out, sizeof(self->out),
			      "log tail --dir '%s'", self->log));
	EXPECT_NE(NULL, strstr(self->out, "      15  "));
	EXPECT_EQ(NULL, strstr(self->out, "      14  "));
}

TEST_F(alog, tail_follows_new_records_across_segments)
{
	char cmd[1024], path[400], buf[16384] = "";
	struct tlog more;
	FILE *f;
	pid_t pid;
	int st;

	ASSERT_EQ(0, standard_log(&self->l, self->log, 10, NULL, NULL));
	snprintf(path, sizeof(path), "%s/follow.out", self->dir);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		snprintf(cmd, sizeof(cmd), "%s/trustctl", getenv("TN_BUILD") ?: "build");
		if (!freopen(path, "w", stdout))
			_exit(127);
		execl(cmd, cmd, "--state-dir", self->state, "log", "tail", "-n", "1", "-f",
		      "--dir", self->log, (char *)NULL);
		_exit(127);
	}
	usleep(400 * 1000);
	/* The writer goes on: into the last segment, then a new one. */
	more = self->l;
	more.f = NULL;
	seg_path(self->log, 20, path, sizeof(path));
	more.f = fopen(path, "a");
	more.in_segment = 5;
	ASSERT_NE(NULL, more.f);
	ASSERT_EQ(0, tlog_events(&more, 7));
	ASSERT_EQ(0, tlog_close(&more));
	usleep(800 * 1000);
	kill(pid, SIGINT);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) TH_LOG("status %d", st);
	snprintf(path, sizeof(path), "%s/follow.out", self->dir);
	f = fopen(path, "r");
	ASSERT_NE(NULL, f);
	buf[fread(buf, 1, sizeof(buf) - 1, f)] = '\0';
	fclose(f);
	EXPECT_NE(NULL, strstr(buf, "      24  ")) TH_LOG("%s", buf);
	EXPECT_EQ(NULL, strstr(buf, "      23  "));
	for (int s = 25; s <= 31; s++) {
		char want[16];

		snprintf(want, sizeof(want), "      %d  ", s);
		EXPECT_NE(NULL, strstr(buf, want)) TH_LOG("no %d in: %s", s, buf);
	}
	seg_path(self->log, 30, path, sizeof(path));
	EXPECT_EQ(0, access(path, F_OK));	/* it did rotate */
}

TEST_F(alog, export_writes_the_raw_lines_from_a_seq_on)
{
	struct lines ls;
	char seg[400], want[8192] = "";

	ASSERT_EQ(0, standard_log(&self->l, self->log, 7, NULL, NULL));
	ASSERT_EQ(0, trustctl(self->state, self->out, sizeof(self->out),
			      "log export --since 12 --dir '%s'", self->log));
	for (uint64_t first = 7; first <= 21; first += 7) {
		seg_path(self->log, first, seg, sizeof(seg));
		ASSERT_EQ(0, lines_load(seg, &ls));
		for (int i = 0; i < ls.n; i++)
			if (first + i >= 12)
				snprintf(want + strlen(want), sizeof(want) - strlen(want), "%s\n", ls.l[i]);
		lines_save(seg, &ls, 0);
	}
	EXPECT_STREQ(want, self->out);
	/* Elsewhere, it verifies from the record before it, known there. */
	tn_audit_verify_init(&self->v, self->l.pk);
	tn_audit_verify_start_at(&self->v, self->l.log_id, 11, self->l.hashes[11]);
	for (char *line = self->out, *nl; (nl = strchr(line, '\n')); line = nl + 1)
		EXPECT_EQ(0, tn_audit_verify_line(&self->v, line, nl - line, 0, "export"))
			TH_LOG("%s", self->v.error);
	EXPECT_EQ(0, tn_audit_verify_finish(&self->v)) TH_LOG("%s", self->v.error);
	EXPECT_EQ(13ULL, self->v.records);
	ASSERT_EQ(0, trustctl(self->state, self->out, sizeof(self->out),
			      "log export --since 25 --dir '%s'", self->log));
	EXPECT_STREQ("", self->out);
	EXPECT_EQ(2, trustctl(self->state, self->out, sizeof(self->out),
			      "log export --dir '%s'", self->log));
}

TEST_F(alog, help_describes_every_subcommand)
{
	EXPECT_EQ(0, trustctl(self->state, self->out, sizeof(self->out), "log --help"));
	EXPECT_NE(NULL, strstr(self->out, "trustctl log verify"));
	EXPECT_NE(NULL, strstr(self->out, "trustctl log tail"));
	EXPECT_NE(NULL, strstr(self->out, "trustctl log export"));
	EXPECT_EQ(2, trustctl(self->state, self->out, sizeof(self->out), "log frobnicate"));
	EXPECT_EQ(2, trustctl(self->state, self->out, sizeof(self->out), "log verify --quote x"));
}

/* ---- against a TPM quote: trustctl log verify --quote ------------------- */

#define QPCR 13
#define POLICY_TEXT "{\"version\":1}"

FIXTURE(quote) {
	char dir[256], log[300], state[300], tpm[300];
	char out[16384], nonce[65];
	pid_t swtpm;
	int missing;
	struct tlog l;
};

static int sh(const char *dir, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int sh(const char *dir, const char *fmt, ...)
{
	char line[3000], cmd[3400];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd), "cd '%s' && { %s; } >>log 2>&1", dir, line);
	rc = system(cmd);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static int read_file(const char *path, uint8_t *buf, size_t max, size_t *len)
{
	FILE *f = fopen(path, "rb");

	if (!f)
		return -1;
	*len = fread(buf, 1, max, f);
	fclose(f);
	return *len < max ? 0 : -1;
}

#define FLUSH "; rc=$?; tpm2_flushcontext -t; tpm2_flushcontext -s; " \
	      "tpm2_flushcontext -l; exit $rc"

/* swtpm on dir/tpm, started afresh: its pid, or -1. */
static pid_t tpm_start(const char *dir)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	char path[400], sock[420];
	uint8_t buf[32];
	size_t len;

	snprintf(path, sizeof(path), "%s/tpm", dir);
	if (sh(dir, "mkdir -p tpm && swtpm socket --tpm2 --tpmstate dir=%s "
	       "--server type=unixio,path=%s/sock --ctrl type=unixio,path=%s/sock.ctrl "
	       "--flags startup-clear --daemon --pid file=%s/pid", path, path, path, path))
		return -1;
	snprintf(sock, sizeof(sock), "%s/sock", path);
	snprintf(path, sizeof(path), "%s/tpm/pid", dir);
	for (int i = 0; i < 250; i++, nanosleep(&ts, NULL)) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		int fd, ok;

		if (read_file(path, buf, sizeof(buf) - 1, &len) || !len)
			continue;
		buf[len] = '\0';
		memcpy(sa.sun_path, sock, strlen(sock));
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		ok = fd >= 0 && !connect(fd, (struct sockaddr *)&sa, sizeof(sa));
		if (fd >= 0)
			close(fd);
		if (ok)
			return (pid_t)atoi((char *)buf);
	}
	return -1;
}

static void tpm_stop(pid_t pid)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };

	if (pid <= 0 || kill(pid, SIGTERM))
		return;
	/* Daemonized, so not our child: wait until it is gone. */
	for (int i = 0; i < 300 && !kill(pid, 0); i++)
		nanosleep(&ts, NULL);
}

static void add_measurement(json_object *log, int seq, const char *type,
			    const uint8_t digest[32], const char *detail)
{
	json_object *m = json_object_new_object();

	json_object_object_add(m, "seq", json_object_new_int(seq));
	json_object_object_add(m, "type", json_object_new_string(type));
	add_hex(m, "digest", digest, 32);
	json_object_object_add(m, "detail", json_object_new_string(detail));
	json_object_array_add(log, m);
}

/* Stand-ins for the agent's and the BPF object's measurements. */
static void software_digest(int i, uint8_t d[32])
{
	const char *what = i ? "bpf object" : "agent binary";

	crypto_hash_sha256(d, (const uint8_t *)what, strlen(what));
}

/* The event log: software, the policy, then checkpoints 10 and 20 (covering 9, 19). */
static json_object *event_log(const struct tlog *l, char *extends, size_t n)
{
	json_object *log = json_object_new_array();
	char detail[TN_AUDIT_DETAIL_LEN], hex[65];
	uint8_t d[32];
	uint64_t covers[] = { 9, 19 };

	/* A verifier requires the agent and its BPF object in the boot's log. */
	extends[0] = '\0';
	for (int i = 0; i < 2; i++) {
		software_digest(i, d);
		add_measurement(log, i, i ? TN_MEASURE_BPF : TN_MEASURE_AGENT, d, "software");
		tn_hex_encode(d, 32, hex);
		snprintf(extends + strlen(extends), n - strlen(extends),
			 "tpm2_pcrextend %d:sha256=%s && ", QPCR, hex);
	}
	crypto_hash_sha256(d, (const uint8_t *)POLICY_TEXT, strlen(POLICY_TEXT));
	add_measurement(log, 2, TN_MEASURE_POLICY, d, "policy");
	tn_hex_encode(d, 32, hex);
	snprintf(extends + strlen(extends), n - strlen(extends),
		 "tpm2_pcrextend %d:sha256=%s", QPCR, hex);
	for (int i = 0; i < 2; i++) {
		tn_audit_checkpoint_digest(l->log_id, covers[i], l->hashes[covers[i]], d);
		tn_audit_checkpoint_detail(l->log_id, covers[i], l->hashes[covers[i]], detail);
		add_measurement(log, i + 3, TN_MEASURE_CHECKPOINT, d, detail);
		tn_hex_encode(d, 32, hex);
		snprintf(extends + strlen(extends), n - strlen(extends),
			 " && tpm2_pcrextend %d:sha256=%s", QPCR, hex);
	}
	return log;
}

/* A /v1/quote answer over nonce, with the log's checkpoints measured. */
static int make_quote(FIXTURE_DATA(quote) *self, const uint8_t nonce[32])
{
	uint8_t qual[32], attest[2048], sig[1024], pcr[64];
	size_t alen, slen, plen;
	char extends[1024], qhex[65], path[400];
	json_object *resp = json_object_new_object(), *vals;
	int ret;

	json_object_object_add(resp, "event_log", event_log(&self->l, extends, sizeof(extends)));
	tn_qualifying_data(nonce, 32, self->l.pk, qual);
	tn_hex_encode(qual, 32, qhex);
	if (sh(self->dir, "%s && tpm2_quote -c ak.ctx -q %s -l sha256:%d -g sha256 "
	       "-m quote.msg -s quote.sig && tpm2_pcrread sha256:%d -o pcr.bin" FLUSH,
	       extends, qhex, QPCR, QPCR))
		return -1;
	snprintf(path, sizeof(path), "%s/quote.msg", self->dir);
	ret = read_file(path, attest, sizeof(attest), &alen);
	snprintf(path, sizeof(path), "%s/quote.sig", self->dir);
	ret = ret ?: read_file(path, sig, sizeof(sig), &slen);
	snprintf(path, sizeof(path), "%s/pcr.bin", self->dir);
	ret = ret ?: read_file(path, pcr, sizeof(pcr), &plen);
	if (ret || plen != 32)
		return -1;
	add_hex(resp, "nonce", nonce, 32);
	add_hex(resp, "identity_key", self->l.pk, 32);
	{
		char *a = tn_hex_dup(attest, alen), *s = tn_hex_dup(sig, slen);

		json_object_object_add(resp, "attest", json_object_new_string(a));
		json_object_object_add(resp, "signature", json_object_new_string(s));
		free(a);
		free(s);
	}
	vals = json_object_new_object();
	add_hex(vals, "13", pcr, 32);
	json_object_object_add(resp, "pcr_values", vals);
	json_object_object_add(resp, "pcr", json_object_new_int(QPCR));
	json_object_object_add(resp, "policy", json_object_new_string(POLICY_TEXT));
	snprintf(path, sizeof(path), "%s/quote.json", self->dir);
	ret = json_object_to_file(path, resp);
	json_object_put(resp);
	return ret;
}

/* Enrols the quoting TPM's AK and the log's key as peer "node-q". */
static int enrol(FIXTURE_DATA(quote) *self, struct tn_err *e)
{
	uint8_t buf[sizeof(TPM2B_PUBLIC)];
	char hex[2 * sizeof(buf) + 1], path[400];
	struct tn_peer p = { .name = "node-q", .url = "http://192.0.2.1:8443" };
	size_t len;

	snprintf(path, sizeof(path), "%s/ak.pub", self->dir);
	if (read_file(path, buf, sizeof(buf), &len))
		return tn_fail(e, "cannot read %s", path);
	tn_hex_encode(buf, len, hex);
	if (tpmv_public_from_hex(hex, &p.ak, "ak", e))
		return -1;
	snprintf(path, sizeof(path), "%s/ek.pub", self->dir);
	if (read_file(path, buf, sizeof(buf), &len))
		return tn_fail(e, "cannot read %s", path);
	tn_hex_encode(buf, len, hex);
	if (tpmv_public_from_hex(hex, &p.ek, "ek", e))
		return -1;
	memcpy(p.idkey, self->l.pk, 32);
	crypto_hash_sha256(p.policies[0], (const uint8_t *)POLICY_TEXT, strlen(POLICY_TEXT));
	p.npolicies = 1;
	software_digest(0, p.software[0]);
	software_digest(1, p.software[1]);
	p.nsoftware = 2;
	tn_peer_pin_pcr(&p, QPCR);
	return tn_peer_save(self->state, &p, e);
}

FIXTURE_SETUP(quote)
{
	const char *tmp = getenv("TMPDIR");
	struct tn_err e = { .msg = "" };
	uint8_t nonce[32];

	snprintf(self->dir, sizeof(self->dir), "%s/tnauq.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->log, sizeof(self->log), "%s/audit", self->dir);
	snprintf(self->state, sizeof(self->state), "%s/state", self->dir);
	if (strlen(self->dir) + sizeof("/tpm/sock.ctrl") > 108 ||
	    sh(self->dir, "command -v swtpm && command -v tpm2_createak && command -v tpm2_quote")) {
		self->missing = 1;
		SKIP(return, "swtpm or tpm2-tools missing, or TMPDIR too long for a unix socket");
	}
	self->swtpm = tpm_start(self->dir);
	ASSERT_LT(0, self->swtpm) TH_LOG("swtpm did not start");
	snprintf(self->tpm, sizeof(self->tpm), "swtpm:path=%s/tpm/sock", self->dir);
	setenv("TPM2TOOLS_TCTI", self->tpm, 1);
	ASSERT_EQ(0, sh(self->dir, "tpm2_createek -G rsa -c ek.ctx -u ek.pub && "
			"tpm2_createak -C ek.ctx -c ak.ctx -G ecc -g sha256 -s ecdsa -u ak.pub" FLUSH));
	ASSERT_EQ(0, standard_log(&self->l, self->log, 0, NULL, NULL));
	randombytes_buf(nonce, sizeof(nonce));
	tn_hex_encode(nonce, sizeof(nonce), self->nonce);
	ASSERT_EQ(0, make_quote(self, nonce)) TH_LOG("quote failed; see %s/log", self->dir);
	ASSERT_EQ(0, enrol(self, &e)) TH_LOG("%s", e.msg);
}

FIXTURE_TEARDOWN(quote)
{
	char cmd[400];

	tpm_stop(self->swtpm);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", self->dir);
	if (system(cmd))
		TH_LOG("could not remove %s", self->dir);
}

#define VERIFY_QUOTE(self) trustctl((self)->state, (self)->out, sizeof((self)->out), \
	"log verify --dir '%s' --quote '%s/quote.json' --nonce %s --peer node-q", \
	(self)->log, (self)->dir, (self)->nonce)

#define NEED_TPM() do {						\
	if (self->missing)					\
		SKIP(return, "swtpm or tpm2-tools missing");	\
} while (0)

TEST_F(quote, a_log_verifies_against_the_checkpoints_a_quote_vouches_for)
{
	NEED_TPM();
	EXPECT_EQ(0, VERIFY_QUOTE(self)) TH_LOG("%s", self->out);
	EXPECT_NE(NULL, strstr(self->out, "ok: 25 records, 2 checkpoints, last checkpoint covers 19; "
			       "signatures checked with peer node-q's pinned identity key; "
			       "anchored: 2 checkpoints")) TH_LOG("%s", self->out);
	/* A nonce the quote is not over: it anchors nothing. */
	EXPECT_EQ(1, trustctl(self->state, self->out, sizeof(self->out),
			      "log verify --dir '%s' --quote '%s/quote.json' --nonce 00112233445566778899aabbccddeeff "
			      "--peer node-q", self->log, self->dir));
	EXPECT_NE(NULL, strstr(self->out, "does not verify, so it anchors nothing")) TH_LOG("%s", self->out);
}

TEST_F(quote, a_truncated_log_fails_against_the_quote)
{
	struct lines ls;
	char seg[400];

	NEED_TPM();
	SEG0(self, seg);
	ASSERT_EQ(0, lines_load(seg, &ls));
	lines_cut(&ls, 16);
	ASSERT_EQ(0, lines_save(seg, &ls, 0));
	EXPECT_EQ(1, VERIFY_QUOTE(self));
	EXPECT_NE(NULL, strstr(self->out, "the log ends at seq 15, before seq 19 which "
			       TPM_SOURCE " vouches for: it was truncated")) TH_LOG("%s", self->out);
}

TEST_F(quote, a_log_cut_back_and_continued_fails_against_the_quote)
{
	struct tlog orig = self->l;

	NEED_TPM();
	ASSERT_EQ(0, standard_log(&self->l, self->log, 0, &orig, "rewritten"));
	EXPECT_EQ(1, VERIFY_QUOTE(self));
	EXPECT_NE(NULL, strstr(self->out, "record 9 (audit-0000000000000000.jsonl:10) is not the one "
			       TPM_SOURCE " vouches for: the log was rewritten")) TH_LOG("%s", self->out);
}

TEST_F(quote, a_log_deleted_and_started_anew_fails_against_the_quote)
{
	struct tlog again, key = self->l;
	char cmd[400];

	NEED_TPM();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", self->log);
	ASSERT_EQ(0, system(cmd));
	randombytes_buf(key.log_id, sizeof(key.log_id));
	ASSERT_EQ(0, standard_log(&again, self->log, 0, &key, NULL));
	EXPECT_EQ(1, VERIFY_QUOTE(self));
	EXPECT_NE(NULL, strstr(self->out, "the log was deleted and started anew")) TH_LOG("%s", self->out);
}

TEST_HARNESS_MAIN
