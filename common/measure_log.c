// SPDX-License-Identifier: GPL-2.0-only
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hex.h"
#include "measure_log.h"
#include "proto.h"
#include "trustnode/attest_api.h"

int tn_log_judged_type(const char *type)
{
	return !strcmp(type, TN_MEASURE_POLICY) || !strcmp(type, TN_MEASURE_AGENT) ||
	       !strcmp(type, TN_MEASURE_BPF) || !strcmp(type, TN_MEASURE_MODULE) ||
	       !strcmp(type, TN_MEASURE_WEAKENING) || !strcmp(type, TN_MEASURE_SEAL);
}

const struct tn_log_item *tn_log_summary_find(const struct tn_log_summary *s,
					       const char *type,
					       const uint8_t d[TN_DIGEST_LEN])
{
	for (int i = 0; i < s->n; i++)
		if (!strcmp(s->item[i].type, type) &&
		    !memcmp(s->item[i].digest, d, TN_DIGEST_LEN))
			return &s->item[i];
	return NULL;
}

void tn_log_summary_add(struct tn_log_summary *s, uint64_t i,
			const struct tn_measurement *m)
{
	struct tn_log_item *it;

	if (!tn_log_judged_type(m->type))
		return;
	if (!strcmp(m->type, TN_MEASURE_POLICY)) {
		memcpy(s->last_policy, m->digest, TN_DIGEST_LEN);
		s->have_last_policy = 1;
	}
	it = (struct tn_log_item *)tn_log_summary_find(s, m->type, m->digest);
	if (it) {
		it->last = i;
		it->count++;
		return;
	}
	if (s->n == TN_LOG_SUMMARY_MAX) {
		/* Fail closed: a summary that cannot hold it is refused. */
		s->overflow = 1;
		return;
	}
	it = &s->item[s->n++];
	memset(it, 0, sizeof(*it));
	snprintf(it->type, sizeof(it->type), "%s", m->type);
	memcpy(it->digest, m->digest, TN_DIGEST_LEN);
	it->first = it->last = i;
	it->count = 1;
	it->time = m->time;
	/* Cut on purpose: the summary names it, the entry held it all. */
	memcpy(it->detail, m->detail, sizeof(it->detail) - 1);
	it->detail[sizeof(it->detail) - 1] = '\0';
	/* Not in the middle of a UTF-8 sequence. */
	for (size_t k = strlen(it->detail); k > 0 &&
	     ((unsigned char)it->detail[k - 1] & 0xc0) == 0x80; k--)
		it->detail[k - 1] = '\0';
	if (strlen(it->detail) && ((unsigned char)it->detail[strlen(it->detail) - 1] & 0xc0) == 0xc0)
		it->detail[strlen(it->detail) - 1] = '\0';
}

static void item_text(const struct tn_log_item *it, char *out, size_t n)
{
	char hex[2 * TN_DIGEST_LEN + 1];

	tn_hex_encode(it->digest, TN_DIGEST_LEN, hex);
	snprintf(out, n, "%s %.16s… (\"%.60s\", measured %llu time(s), first at entry %llu, last at %llu)",
		 it->type, hex, it->detail, (unsigned long long)it->count,
		 (unsigned long long)it->first, (unsigned long long)it->last);
}

int tn_log_summary_cmp(const struct tn_log_summary *a, const char *aname,
		       const struct tn_log_summary *b, const char *bname,
		       char *why, size_t n)
{
	char what[300];

	if (a->overflow || b->overflow) {
		snprintf(why, n, "%s holds more than %d distinct judged measurements: not comparable",
			 a->overflow ? aname : bname, TN_LOG_SUMMARY_MAX);
		return -1;
	}
	for (int i = 0; i < a->n; i++) {
		const struct tn_log_item *x = &a->item[i];
		const struct tn_log_item *y = tn_log_summary_find(b, x->type, x->digest);

		item_text(x, what, sizeof(what));
		if (!y) {
			snprintf(why, n, "%s omits %s, which %s has", bname, what, aname);
			return -1;
		}
		if (y->first != x->first || y->last != x->last || y->count != x->count) {
			snprintf(why, n, "%s has %s with other entries (%llu time(s), first %llu, last %llu)",
				 bname, what, (unsigned long long)y->count,
				 (unsigned long long)y->first, (unsigned long long)y->last);
			return -1;
		}
	}
	for (int i = 0; i < b->n; i++) {
		if (tn_log_summary_find(a, b->item[i].type, b->item[i].digest))
			continue;
		item_text(&b->item[i], what, sizeof(what));
		snprintf(why, n, "%s has %s, which %s does not", bname, what, aname);
		return -1;
	}
	if (a->have_last_policy != b->have_last_policy ||
	    (a->have_last_policy && memcmp(a->last_policy, b->last_policy, TN_DIGEST_LEN))) {
		snprintf(why, n, "%s and %s differ in the policy measured last", aname, bname);
		return -1;
	}
	return 0;
}

static void add_hex(json_object *o, const char *key, const uint8_t *b, size_t n)
{
	char hex[2 * TN_DIGEST_LEN + 1];

	tn_hex_encode(b, n, hex);
	json_object_object_add(o, key, json_object_new_string(hex));
}

json_object *tn_log_summary_json(const struct tn_log_summary *s)
{
	json_object *o = json_object_new_object(), *items = json_object_new_array();

	for (int i = 0; i < s->n; i++) {
		const struct tn_log_item *it = &s->item[i];
		json_object *j = json_object_new_object();

		json_object_object_add(j, "type", json_object_new_string(it->type));
		add_hex(j, "digest", it->digest, TN_DIGEST_LEN);
		json_object_object_add(j, "first", json_object_new_int64((int64_t)it->first));
		json_object_object_add(j, "last", json_object_new_int64((int64_t)it->last));
		json_object_object_add(j, "count", json_object_new_int64((int64_t)it->count));
		json_object_object_add(j, "time", json_object_new_int64(it->time));
		json_object_object_add(j, "detail", json_object_new_string(it->detail));
		json_object_array_add(items, j);
	}
	json_object_object_add(o, "items", items);
	json_object_object_add(o, "overflow", json_object_new_boolean(s->overflow));
	if (s->have_last_policy)
		add_hex(o, "last_policy", s->last_policy, TN_DIGEST_LEN);
	else
		json_object_object_add(o, "last_policy", NULL);
	return o;
}

/* A non-negative integer member below 2^62. */
static int get_count(json_object *o, const char *key, uint64_t *v)
{
	long long x;

	if (tn_json_int(o, key, &x) || x < 0 || x >= (1LL << 62))
		return -1;
	*v = (uint64_t)x;
	return 0;
}

static int get_digest(json_object *o, const char *key, uint8_t out[TN_DIGEST_LEN],
		      struct tn_err *err)
{
	size_t n;

	if (tn_hex_decode(tn_json_str(o, key), out, TN_DIGEST_LEN, &n, key, err))
		return -1;
	return n == TN_DIGEST_LEN ? 0 : tn_fail(err, "%s is not 32 bytes", key);
}

int tn_log_summary_parse(json_object *o, struct tn_log_summary *s,
			 struct tn_err *err)
{
	json_object *items, *ov, *lp;
	size_t n;

	memset(s, 0, sizeof(*s));
	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, "items", &items) ||
	    !json_object_is_type(items, json_type_array) ||
	    !json_object_object_get_ex(o, "overflow", &ov) ||
	    !json_object_is_type(ov, json_type_boolean) ||
	    !json_object_object_get_ex(o, "last_policy", &lp))
		return tn_fail(err, "a summary needs items, overflow and last_policy");
	n = json_object_array_length(items);
	if (n > TN_LOG_SUMMARY_MAX)
		return tn_fail(err, "a summary holds at most %d items", TN_LOG_SUMMARY_MAX);
	s->overflow = json_object_get_boolean(ov);
	if (lp) {
		if (get_digest(o, "last_policy", s->last_policy, err))
			return -1;
		s->have_last_policy = 1;
	}
	for (size_t i = 0; i < n; i++) {
		json_object *j = json_object_array_get_idx(items, i);
		struct tn_log_item *it = &s->item[i];
		const char *type = tn_json_str(j, "type");
		const char *detail = tn_json_str(j, "detail");
		long long t;

		if (!type || !tn_log_judged_type(type) || !detail ||
		    strlen(detail) >= sizeof(it->detail) ||
		    get_digest(j, "digest", it->digest, err) ||
		    get_count(j, "first", &it->first) || get_count(j, "last", &it->last) ||
		    get_count(j, "count", &it->count) || tn_json_int(j, "time", &t) ||
		    it->count < 1 || it->last < it->first ||
		    it->count > it->last - it->first + 1)
			return tn_fail(err, "summary item %zu is malformed", i);
		if (tn_log_summary_find(s, type, it->digest))
			return tn_fail(err, "summary item %zu repeats an earlier one", i);
		snprintf(it->type, sizeof(it->type), "%s", type);
		snprintf(it->detail, sizeof(it->detail), "%s", detail);
		it->time = t;
		s->n = (int)i + 1;
	}
	return 0;
}

void tn_log_chain_step(uint8_t chain[TN_DIGEST_LEN],
		       const struct tn_measurement *m)
{
	json_object *o = tn_measurement_json(m);
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						       JSON_C_TO_STRING_NOSLASHESCAPE);
	crypto_hash_sha256_state c;

	crypto_hash_sha256_init(&c);
	crypto_hash_sha256_update(&c, chain, TN_DIGEST_LEN);
	crypto_hash_sha256_update(&c, (const uint8_t *)s, strlen(s));
	crypto_hash_sha256_update(&c, (const uint8_t *)"\n", 1);
	crypto_hash_sha256_final(&c, chain);
	json_object_put(o);
}

char *tn_log_checkpoint_text(const struct tn_log_checkpoint *cp)
{
	json_object *o = json_object_new_object();
	char *s;

	json_object_object_add(o, "version", json_object_new_int(cp->version));
	json_object_object_add(o, "reset_count", json_object_new_int64(cp->reset_count));
	json_object_object_add(o, "index", json_object_new_int64((int64_t)cp->index));
	add_hex(o, "pcr", cp->pcr, TN_DIGEST_LEN);
	add_hex(o, "chain", cp->chain, TN_DIGEST_LEN);
	json_object_object_add(o, "time", json_object_new_int64(cp->time));
	json_object_object_add(o, "summary", tn_log_summary_json(&cp->summary));
	s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						  JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return s;
}

int tn_log_checkpoint_parse(const char *text, struct tn_log_checkpoint *cp,
			    struct tn_err *err)
{
	json_object *o, *sum;
	long long v;
	int ret = -1;

	memset(cp, 0, sizeof(*cp));
	if (!text || strlen(text) > TN_LOG_CP_MAX)
		return tn_fail(err, "a checkpoint is a JSON text of at most %d bytes", TN_LOG_CP_MAX);
	o = json_tokener_parse(text);
	if (!o || !json_object_is_type(o, json_type_object)) {
		tn_fail(err, "the checkpoint is not a JSON object");
		goto out;
	}
	if (tn_json_int(o, "version", &v) || v != TN_LOG_CP_VERSION) {
		tn_fail(err, "the checkpoint is not of version %d", TN_LOG_CP_VERSION);
		goto out;
	}
	cp->version = (int)v;
	if (tn_json_int(o, "reset_count", &v) || v < 0 || v > 0xffffffffLL) {
		tn_fail(err, "the checkpoint has no valid reset_count");
		goto out;
	}
	cp->reset_count = (uint32_t)v;
	if (get_count(o, "index", &cp->index) || tn_json_int(o, "time", &v)) {
		tn_fail(err, "the checkpoint has no valid index or time");
		goto out;
	}
	cp->time = v;
	if (get_digest(o, "pcr", cp->pcr, err) || get_digest(o, "chain", cp->chain, err))
		goto out;
	if (!json_object_object_get_ex(o, "summary", &sum) ||
	    tn_log_summary_parse(sum, &cp->summary, err))
		goto out;
	ret = 0;
out:
	json_object_put(o);
	return ret;
}

static void signed_bytes(const char *text, uint8_t **buf, size_t *n)
{
	size_t l = sizeof(TN_LOG_CP_LABEL), t = strlen(text);

	*buf = malloc(l + t);
	if (!*buf)
		return;
	memcpy(*buf, TN_LOG_CP_LABEL, l);	/* with its NUL: the separator */
	memcpy(*buf + l, text, t);
	*n = l + t;
}

void tn_log_checkpoint_sign(const char *text, const uint8_t sk[64],
			    uint8_t sig[64])
{
	uint8_t *buf;
	size_t n;

	memset(sig, 0, 64);
	signed_bytes(text, &buf, &n);
	if (buf)
		crypto_sign_ed25519_detached(sig, NULL, buf, n, sk);
	free(buf);
}

int tn_log_checkpoint_verify(const char *text, const uint8_t pk[TN_IDKEY_LEN],
			     const uint8_t sig[64])
{
	uint8_t *buf;
	size_t n;
	int ret;

	signed_bytes(text, &buf, &n);
	if (!buf)
		return -1;
	ret = crypto_sign_ed25519_verify_detached(sig, buf, n, pk);
	free(buf);
	return ret ? -1 : 0;
}

void tn_log_checkpoint_digest(const char *text, uint8_t out[TN_DIGEST_LEN])
{
	crypto_hash_sha256(out, (const uint8_t *)text, strlen(text));
}
