// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for the audit log's parser and verifier
 * (common/audit_log.c): what someone with write access to a node's log
 * directory, or a hostile peer's /v1/log, can make a verifier read. The
 * input is a log: lines split on '\n', a last piece without one is torn.
 * It is fed to a verifier with a fixed node key and an anchor, and to one
 * with no key (which takes the log-start's).
 *
 * Invariants: never crash or leak; a verifier fails exactly when a call
 * returned -1, and then has an error sentence; one that passed began with a
 * log-start; a line that parses is byte for byte what tn_audit_format
 * writes for its values, and its hash is tn_audit_hash of it.
 *
 * The seeds in corpus/audit_line/ are logs this file writes, signed with
 * the fixed key, when built without libFuzzer:
 *   cc -DAUDIT_SEEDS -D_GNU_SOURCE -Iinclude -Icommon $(pkg-config --cflags json-c) \
 *      tests/fuzz/fuzz_audit_line.c common/audit_log.c common/hex.c common/err.c \
 *      common/proto.c -ljson-c -lsodium -o seeds && ./seeds tests/fuzz/corpus/audit_line
 */
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "audit_verify.h"
#include "hex.h"

#define T0 1700000000000000LL

static uint8_t pk[32], sk[64];
static const uint8_t log_id[TN_AUDIT_LOGID_LEN] = {
	0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
	0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
};

static void fail(const char *what, const char *msg)
{
	fprintf(stderr, "fuzz_audit_line: %s: %s\n", what, msg ? msg : "");
	abort();
}

/* ---- the writer of the seeds, and of the anchor's head ------------------ */

struct gen {
	char *buf;
	size_t len, cap;
	uint64_t next;
	uint8_t head[TN_AUDIT_HASH_LEN];
	uint8_t hashes[16][TN_AUDIT_HASH_LEN];
};

static void add_hex(json_object *o, const char *key, const uint8_t *b, size_t n)
{
	char hex[2 * TN_AUDIT_SIG_LEN + 1];

	tn_hex_encode(b, n, hex);
	json_object_object_add(o, key, json_object_new_string(hex));
}

/* Appends a record (data consumed) at seq. */
static void gen_line(struct gen *g, uint64_t seq, const char *type, json_object *d)
{
	char *line = tn_audit_format(seq, T0 + (int64_t)seq * 1000, type, g->head, d);
	size_t n;

	json_object_put(d);
	if (!line)
		fail("tn_audit_format", type);
	n = strlen(line);
	if (g->len + n + 2 > g->cap) {
		g->cap = 2 * (g->len + n + 2);
		g->buf = realloc(g->buf, g->cap);
		if (!g->buf)
			fail("out of memory", "");
	}
	memcpy(g->buf + g->len, line, n);
	g->buf[g->len + n] = '\n';
	g->len += n + 1;
	tn_audit_hash(line, n, g->head);
	if (seq < 16)
		memcpy(g->hashes[seq], g->head, TN_AUDIT_HASH_LEN);
	g->next = seq + 1;
	free(line);
}

static void gen_event(struct gen *g, const char *type)
{
	json_object *d = json_object_new_object();

	json_object_object_add(d, "workload", json_object_new_string("llm"));
	json_object_object_add(d, "path", json_object_new_string("/srv/phi/a \"b\"\n"));
	json_object_object_add(d, "labels", json_object_new_array());
	json_object_object_add(d, "n", json_object_new_int64((int64_t)g->next));
	gen_line(g, g->next, type, d);
}

static void gen_checkpoint(struct gen *g)
{
	uint8_t msg[TN_AUDIT_CP_MSG_LEN], sig[TN_AUDIT_SIG_LEN];
	json_object *d = json_object_new_object();

	tn_audit_checkpoint_msg(log_id, g->next - 1, g->head, msg);
	crypto_sign_detached(sig, NULL, msg, sizeof(msg), sk);
	add_hex(d, "log_id", log_id, sizeof(log_id));
	json_object_object_add(d, "covers", json_object_new_int64((int64_t)g->next - 1));
	add_hex(d, "head", g->head, TN_AUDIT_HASH_LEN);
	add_hex(d, "signature", sig, sizeof(sig));
	gen_line(g, g->next, "checkpoint", d);
}

/*
 * log-start 0, events 1-3, checkpoint 4, records-lost 5, a repair at 7
 * (6 skipped), event 8, checkpoint 9: every record type the log defines.
 */
static void gen_log(struct gen *g)
{
	json_object *d = json_object_new_object();

	memset(g, 0, sizeof(*g));
	add_hex(d, "log_id", log_id, sizeof(log_id));
	add_hex(d, "node_key", pk, sizeof(pk));
	gen_line(g, 0, "log-start", d);
	gen_event(g, "deny");
	gen_event(g, "taint-file");
	gen_event(g, "policy-load");
	gen_checkpoint(g);
	d = json_object_new_object();
	json_object_object_add(d, "count", json_object_new_int(3));
	json_object_object_add(d, "reason", json_object_new_string("the disk is full"));
	gen_line(g, g->next, "records-lost", d);
	d = json_object_new_object();
	json_object_object_add(d, "cut_bytes", json_object_new_int(17));
	json_object_object_add(d, "last_good_seq", json_object_new_int64(5));
	json_object_object_add(d, "skipped_seq", json_object_new_int64(6));
	gen_line(g, 7, "log-repaired", d);
	gen_event(g, "deny");
	gen_checkpoint(g);
}

static struct tn_audit_anchor anchor;

static void setup(void)
{
	static const uint8_t seed[32] = { 7, 7, 7, 7, 7, 7, 7 };
	struct gen g;

	if (sodium_init() < 0)
		fail("sodium_init", "");
	crypto_sign_seed_keypair(pk, sk, seed);
	gen_log(&g);
	memcpy(anchor.log_id, log_id, sizeof(log_id));
	anchor.covers = 3;
	memcpy(anchor.head, g.hashes[3], TN_AUDIT_HASH_LEN);
	anchor.source = "the fuzzer's anchor";
	free(g.buf);
}

/* ---- the target --------------------------------------------------------- */

static void check_line(const char *line, size_t len)
{
	uint8_t h[TN_AUDIT_HASH_LEN];
	struct tn_audit_rec r;
	struct tn_err err;
	char *again;

	memset(&err, 0, sizeof(err));
	if (tn_audit_parse(line, len, &r, &err)) {
		if (!err.msg[0] || r.obj)
			fail("a line was refused without a reason, or kept", err.msg);
		return;
	}
	again = tn_audit_format(r.seq, r.time_us, r.type, r.prev, r.data);
	if (!again || strlen(again) != len || memcmp(again, line, len))
		fail("a parsed line is not what the writer writes", again);
	tn_audit_hash(line, len, h);
	if (memcmp(h, r.hash, sizeof(h)))
		fail("the record's hash is not the hash of its line", "");
	free(again);
	tn_audit_rec_free(&r);
}

static void check_verdict(const struct tn_audit_verifier *v, int failed)
{
	if (memchr(v->error, '\0', sizeof(v->error)) == NULL)
		fail("unterminated error", "");
	if (failed != v->failed)
		fail("the return values and v->failed disagree", v->error);
	if (failed && !v->error[0])
		fail("a failed verifier has no error sentence", "");
	if (!failed && (!v->started || !v->have_log_id || v->error[0]))
		fail("a log passed without a log-start, or with an error", v->error);
	if (v->checkpoints > v->records)
		fail("more checkpoints than records", "");
}

/* Feeds the input's lines to v (and each line to the parser's checks). */
static int feed(struct tn_audit_verifier *v, const uint8_t *data, size_t size,
		int check)
{
	const char *p = (const char *)data, *end = p + size;
	unsigned long lineno = 0;
	int ret = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char where[48];

		snprintf(where, sizeof(where), "fuzz:%lu", ++lineno);
		if (check)
			check_line(p, len);
		if (tn_audit_verify_line(v, p, len, !nl, where))
			ret = -1;
		p += len + (nl != NULL);
	}
	if (tn_audit_verify_finish(v))
		ret = -1;
	return ret;
}

/* Make UBSan findings fatal (and so reported) when run by hand too. */
const char *__ubsan_default_options(void);
const char *__ubsan_default_options(void)
{
	return "halt_on_error=1:print_stacktrace=1";
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tn_audit_verifier v;
	static int ready;

	if (!ready) {
		setup();
		ready = 1;
	}
	tn_audit_verify_init(&v, pk);
	if (tn_audit_verify_add_anchor(&v, &anchor))
		fail("add_anchor", "");
	check_verdict(&v, feed(&v, data, size, 1) != 0);
	tn_audit_verify_free(&v);

	tn_audit_verify_init(&v, NULL);
	check_verdict(&v, feed(&v, data, size, 0) != 0);
	if (!v.failed && !v.key_from_log)
		fail("a log passed without a key, yet the key is not marked as the log's own", "");
	tn_audit_verify_free(&v);
	return 0;
}

#ifdef AUDIT_SEEDS
static void write_seed(const char *dir, const char *name, const char *buf, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f))
		fail("cannot write", path);
}

int main(int argc, char **argv)
{
	struct tn_audit_verifier v;
	struct gen g;
	size_t first;

	if (argc != 2)
		fail("usage", "seeds DIR");
	setup();
	gen_log(&g);
	/* The seed log verifies, anchor and all. */
	tn_audit_verify_init(&v, pk);
	tn_audit_verify_add_anchor(&v, &anchor);
	if (feed(&v, (const uint8_t *)g.buf, g.len, 1) || v.records != 9 ||
	    v.checkpoints != 2 || v.repairs != 1 || v.anchored != 1)
		fail("the seed log does not verify", v.error);
	tn_audit_verify_free(&v);
	write_seed(argv[1], "log", g.buf, g.len);
	first = strchr(g.buf, '\n') - g.buf + 1;
	write_seed(argv[1], "log-start", g.buf, first);
	/* Its tail, torn half-way through the last record. */
	write_seed(argv[1], "torn", g.buf, g.len - 40);
	/* Records 1 on, as a page fed without its start. */
	write_seed(argv[1], "no-start", g.buf + first, g.len - first);
	free(g.buf);
	return 0;
}
#endif
