// SPDX-License-Identifier: GPL-2.0-only
/*
 * The audit log's records (include/trustnode/audit.h) and a streaming
 * verifier whose errors tell an operator which record was tampered with,
 * where it is, and how: edited, deleted, reordered, spliced, torn,
 * truncated, restarted, or a forged checkpoint.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "audit_log.h"
#include "hex.h"
#include "proto.h"

#define SEQ_MAX ((uint64_t)INT64_MAX)
#define JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

struct tn_audit_anchor_slot {
	struct tn_audit_anchor a;
	int seen;				/* the record at covers was read */
	uint8_t hash[TN_AUDIT_HASH_LEN];
	char where[128];
};

static const uint8_t zero_hash[TN_AUDIT_HASH_LEN];

/* What the verifier holds back to judge on the next line. */
enum { PEND_NONE, PEND_BREAK, PEND_JUMP };

/* sodium_init() picks the fast implementations; it is idempotent. */
static void sodium_ready(void)
{
	static int done;

	if (!done && sodium_init() >= 0)
		done = 1;
}

/* ---- records ------------------------------------------------------------ */

static int format_time(int64_t time_us, char out[64])
{
	int64_t secs = time_us / 1000000, us = time_us % 1000000;
	struct tm tm;
	time_t t;

	if (us < 0) {
		us += 1000000;
		secs--;
	}
	t = (time_t)secs;
	if (!gmtime_r(&t, &tm) || tm.tm_year < -1900 || tm.tm_year > 9999 - 1900)
		return -1;
	snprintf(out, 64, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, (int)us);
	return 0;
}

static int digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

/* Only the form format_time writes; the canonical check catches the rest. */
static int parse_time(const char *s, int64_t *out)
{
	static const char pat[] = "dddd-dd-ddTdd:dd:dd.ddddddZ";
	struct tm tm = { 0 };

	if (!s || strlen(s) != sizeof(pat) - 1)
		return -1;
	for (size_t i = 0; i < sizeof(pat) - 1; i++)
		if (pat[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != pat[i])
			return -1;
	tm.tm_year = digits(s, 4) - 1900;
	tm.tm_mon = digits(s + 5, 2) - 1;
	tm.tm_mday = digits(s + 8, 2);
	tm.tm_hour = digits(s + 11, 2);
	tm.tm_min = digits(s + 14, 2);
	tm.tm_sec = digits(s + 17, 2);
	*out = (int64_t)timegm(&tm) * 1000000 + digits(s + 20, 6);
	return 0;
}

char *tn_audit_format(uint64_t seq, int64_t time_us, const char *type,
		      const uint8_t prev[TN_AUDIT_HASH_LEN], json_object *data)
{
	char t[64], hex[2 * TN_AUDIT_HASH_LEN + 1], *line = NULL;
	const char *s;
	json_object *o;

	if (seq > SEQ_MAX || !type || format_time(time_us, t) ||
	    (data && !json_object_is_type(data, json_type_object)))
		return NULL;
	tn_hex_encode(prev, TN_AUDIT_HASH_LEN, hex);
	o = json_object_new_object();
	if (!o)
		return NULL;
	/* json-c keeps insertion order: this is the documented member order. */
	json_object_object_add(o, "seq", json_object_new_int64((int64_t)seq));
	json_object_object_add(o, "time", json_object_new_string(t));
	json_object_object_add(o, "type", json_object_new_string(type));
	json_object_object_add(o, "prev", json_object_new_string(hex));
	json_object_object_add(o, "data", data ? json_object_get(data) :
			       json_object_new_object());
	s = json_object_to_json_string_ext(o, JSON_FLAGS);
	if (s)
		line = strdup(s);
	json_object_put(o);
	return line;
}

void tn_audit_hash(const char *line, size_t len, uint8_t out[TN_AUDIT_HASH_LEN])
{
	sodium_ready();
	crypto_generichash(out, TN_AUDIT_HASH_LEN, (const unsigned char *)line,
			   len, NULL, 0);
}

/* Exactly 2*len lowercase hex digits: the only form the writer uses. */
static int hex_member(json_object *o, const char *key, uint8_t *out, size_t len)
{
	const char *s = tn_json_str(o, key);
	size_t n;

	if (!s || strlen(s) != 2 * len || strspn(s, "0123456789abcdef") != 2 * len)
		return -1;
	return tn_hex_decode(s, out, len, &n, key, NULL);
}

static int uint_member(json_object *o, const char *key, uint64_t *out)
{
	json_object *v;
	int64_t x;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return -1;
	x = json_object_get_int64(v);
	/* json-c clamps what does not fit in an int64 to INT64_MAX. */
	if (x < 0 || (x == INT64_MAX && json_object_get_uint64(v) != SEQ_MAX))
		return -1;
	*out = (uint64_t)x;
	return 0;
}

/* Exactly these members, in this order. */
static int has_members(json_object *o, const char *const *names, int n)
{
	int i = 0;

	json_object_object_foreach(o, key, val) {
		(void)val;
		if (i >= n || strcmp(key, names[i]))
			return 0;
		i++;
	}
	return i == n;
}

struct field {
	const char *name;
	char kind;		/* 'h' hex of len bytes, 'u' count, 's' string */
	size_t len;
};

static const struct field start_fields[] = {
	{ "log_id", 'h', TN_AUDIT_LOGID_LEN }, { "node_key", 'h', 32 },
};
static const struct field cp_fields[] = {
	{ "log_id", 'h', TN_AUDIT_LOGID_LEN }, { "covers", 'u', 0 },
	{ "head", 'h', TN_AUDIT_HASH_LEN }, { "signature", 'h', TN_AUDIT_SIG_LEN },
};
static const struct field repair_fields[] = {
	{ "cut_bytes", 'u', 0 }, { "last_good_seq", 'u', 0 },
	{ "skipped_seq", 'u', 0 },
};
static const struct field lost_fields[] = {
	{ "count", 'u', 0 }, { "reason", 's', 0 },
};

static const struct {
	const char *type;
	const struct field *fields;
	int n;
	const char *members;
} defined_types[] = {
	{ "log-start", start_fields, 2, "log_id, node_key" },
	{ "checkpoint", cp_fields, 4, "log_id, covers, head, signature" },
	{ "log-repaired", repair_fields, 3, "cut_bytes, last_good_seq, skipped_seq" },
	{ "records-lost", lost_fields, 2, "count, reason" },
};

static int check_field(const struct tn_audit_rec *r, const struct field *f,
		       struct tn_err *err)
{
	uint8_t buf[TN_AUDIT_SIG_LEN];
	uint64_t u;

	if (f->kind == 'h' && hex_member(r->data, f->name, buf, f->len))
		return tn_fail(err, "a %s record's %s must be %zu lowercase hex digits",
			       r->type, f->name, 2 * f->len);
	if (f->kind == 'u' && uint_member(r->data, f->name, &u))
		return tn_fail(err, "a %s record's %s must be an integer from 0 to 2^63-1",
			       r->type, f->name);
	if (f->kind == 's' && !tn_json_str(r->data, f->name))
		return tn_fail(err, "a %s record's %s must be a string", r->type,
			       f->name);
	return 0;
}

/* The record types the log itself defines have an exact "data". */
static int check_data(const struct tn_audit_rec *r, struct tn_err *err)
{
	for (size_t i = 0; i < sizeof(defined_types) / sizeof(defined_types[0]); i++) {
		const char *names[4];

		if (strcmp(r->type, defined_types[i].type))
			continue;
		for (int j = 0; j < defined_types[i].n; j++)
			names[j] = defined_types[i].fields[j].name;
		if (!has_members(r->data, names, defined_types[i].n))
			return tn_fail(err, "a %s record's data must have exactly the members %s, in that order",
				       r->type, defined_types[i].members);
		for (int j = 0; j < defined_types[i].n; j++)
			if (check_field(r, &defined_types[i].fields[j], err))
				return -1;
	}
	return 0;
}

static int valid_type(const char *t)
{
	size_t n = t ? strlen(t) : 0;

	return n >= 1 && n < sizeof(((struct tn_audit_rec *)0)->type) &&
	       strspn(t, "abcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

static int parse_envelope(struct tn_audit_rec *r, struct tn_err *err)
{
	static const char *const names[] = { "seq", "time", "type", "prev", "data" };
	const char *type;

	if (!has_members(r->obj, names, 5))
		return tn_fail(err, "a record must have exactly the members seq, time, type, prev and data, in that order");
	if (uint_member(r->obj, "seq", &r->seq))
		return tn_fail(err, "seq must be an integer from 0 to 2^63-1");
	if (parse_time(tn_json_str(r->obj, "time"), &r->time_us))
		return tn_fail(err, "time must be a UTC time like 2024-01-02T03:04:05.000006Z");
	type = tn_json_str(r->obj, "type");
	if (!valid_type(type))
		return tn_fail(err, "type must be 1 to 31 characters from a-z, 0-9, '.', '_' and '-'");
	snprintf(r->type, sizeof(r->type), "%s", type);
	if (hex_member(r->obj, "prev", r->prev, TN_AUDIT_HASH_LEN))
		return tn_fail(err, "prev must be 64 lowercase hex digits (a BLAKE2b-256 hash)");
	r->data = json_object_object_get(r->obj, "data");
	if (!json_object_is_type(r->data, json_type_object))
		return tn_fail(err, "data must be a JSON object");
	return 0;
}

/*
 * The bytes must be what the writer would write for these values: no
 * duplicate members, spacing or escapes that show one thing to a reader
 * and another to a parser.
 */
static int check_canonical(const struct tn_audit_rec *r, const char *line,
			   size_t len, struct tn_err *err)
{
	char *again = tn_audit_format(r->seq, r->time_us, r->type, r->prev, r->data);
	int same = again && strlen(again) == len && !memcmp(again, line, len);

	if (!again)
		return tn_fail(err, "out of memory");
	free(again);
	if (!same)
		return tn_fail(err, "the line is not written the way the log writes records (spacing, escapes, number forms or repeated members differ)");
	return 0;
}

static json_object *parse_json(const char *line, size_t len, struct tn_err *err)
{
	struct json_tokener *tok;
	json_object *o;

	if (!len) {
		tn_fail(err, "the line is empty");
		return NULL;
	}
	tok = json_tokener_new();
	if (!tok) {
		tn_fail(err, "out of memory");
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, line, (int)len);
	if (!o || json_tokener_get_parse_end(tok) != len) {
		tn_fail(err, "the line is not JSON: %s at byte %zu",
			o ? "more after the object" :
			json_tokener_error_desc(json_tokener_get_error(tok)),
			json_tokener_get_parse_end(tok));
		json_object_put(o);
		o = NULL;
	} else if (!json_object_is_type(o, json_type_object)) {
		tn_fail(err, "the line is not a JSON object");
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

int tn_audit_parse(const char *line, size_t len, struct tn_audit_rec *r,
		   struct tn_err *err)
{
	memset(r, 0, sizeof(*r));
	if (len > TN_AUDIT_LINE_MAX)
		return tn_fail(err, "the line is longer than %d bytes", TN_AUDIT_LINE_MAX);
	if (memchr(line, '\0', len))
		return tn_fail(err, "the line contains a NUL byte");
	r->obj = parse_json(line, len, err);
	if (!r->obj)
		return -1;
	if (parse_envelope(r, err) || check_data(r, err) ||
	    check_canonical(r, line, len, err)) {
		tn_audit_rec_free(r);
		return -1;
	}
	tn_audit_hash(line, len, r->hash);
	return 0;
}

void tn_audit_rec_free(struct tn_audit_rec *r)
{
	json_object_put(r->obj);
	r->obj = NULL;
	r->data = NULL;
}

/* ---- checkpoints -------------------------------------------------------- */

void tn_audit_checkpoint_msg(const uint8_t log_id[TN_AUDIT_LOGID_LEN],
			     uint64_t covers,
			     const uint8_t head[TN_AUDIT_HASH_LEN],
			     uint8_t msg[TN_AUDIT_CP_MSG_LEN])
{
	uint8_t *p = msg;

	/* sizeof takes the label's NUL: the separator. */
	memcpy(p, TN_AUDIT_CHECKPOINT_LABEL, sizeof(TN_AUDIT_CHECKPOINT_LABEL));
	p += sizeof(TN_AUDIT_CHECKPOINT_LABEL);
	memcpy(p, log_id, TN_AUDIT_LOGID_LEN);
	p += TN_AUDIT_LOGID_LEN;
	for (int i = 0; i < 8; i++)
		*p++ = (uint8_t)(covers >> (56 - 8 * i));
	memcpy(p, head, TN_AUDIT_HASH_LEN);
}

void tn_audit_checkpoint_digest(const uint8_t log_id[TN_AUDIT_LOGID_LEN],
				uint64_t covers,
				const uint8_t head[TN_AUDIT_HASH_LEN],
				uint8_t out[32])
{
	uint8_t msg[TN_AUDIT_CP_MSG_LEN];

	sodium_ready();
	tn_audit_checkpoint_msg(log_id, covers, head, msg);
	crypto_hash_sha256(out, msg, sizeof(msg));
}

void tn_audit_checkpoint_detail(const uint8_t log_id[TN_AUDIT_LOGID_LEN],
				uint64_t covers,
				const uint8_t head[TN_AUDIT_HASH_LEN],
				char out[TN_AUDIT_DETAIL_LEN])
{
	char id[2 * TN_AUDIT_LOGID_LEN + 1], h[2 * TN_AUDIT_HASH_LEN + 1];

	tn_hex_encode(log_id, TN_AUDIT_LOGID_LEN, id);
	tn_hex_encode(head, TN_AUDIT_HASH_LEN, h);
	snprintf(out, TN_AUDIT_DETAIL_LEN, "log %s covers %" PRIu64 " head %s",
		 id, covers, h);
}

int tn_audit_anchor_parse(const char *detail, const uint8_t digest[32],
			  struct tn_audit_anchor *a, struct tn_err *err)
{
	char id[2 * TN_AUDIT_LOGID_LEN + 1], h[2 * TN_AUDIT_HASH_LEN + 1];
	char again[TN_AUDIT_DETAIL_LEN];
	unsigned long long covers;
	uint8_t d[32];
	size_t n;

	memset(a, 0, sizeof(*a));
	/* Parsed loosely, then required to be exactly what we would write. */
	if (!detail || sscanf(detail, "log %32s covers %llu head %64s", id, &covers, h) != 3 ||
	    covers > SEQ_MAX ||
	    tn_hex_decode(id, a->log_id, TN_AUDIT_LOGID_LEN, &n, "log id", NULL) ||
	    n != TN_AUDIT_LOGID_LEN ||
	    tn_hex_decode(h, a->head, TN_AUDIT_HASH_LEN, &n, "head", NULL) ||
	    n != TN_AUDIT_HASH_LEN)
		return tn_fail(err, "an audit-checkpoint detail must read \"log <32 hex digits> covers <seq> head <64 hex digits>\"");
	a->covers = covers;
	tn_audit_checkpoint_detail(a->log_id, a->covers, a->head, again);
	if (strcmp(again, detail))
		return tn_fail(err, "an audit-checkpoint detail must read \"log <32 hex digits> covers <seq> head <64 hex digits>\"");
	tn_audit_checkpoint_digest(a->log_id, a->covers, a->head, d);
	if (memcmp(d, digest, sizeof(d)))
		return tn_fail(err, "the audit-checkpoint digest is not the digest of the checkpoint its detail names (\"%s\")",
			       detail);
	return 0;
}

/* ---- the verifier ------------------------------------------------------- */

static int vfail(struct tn_audit_verifier *v, uint64_t seq, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int vfail(struct tn_audit_verifier *v, uint64_t seq, const char *fmt, ...)
{
	va_list ap;

	v->failed = 1;
	v->bad_seq = seq;
	va_start(ap, fmt);
	vsnprintf(v->error, sizeof(v->error), fmt, ap);
	va_end(ap);
	return -1;
}

/* " (audit-0000000000000000.jsonl:7)", or nothing when where is unknown. */
static const char *at(const char *where, char buf[160])
{
	if (!where || !*where)
		return "";
	snprintf(buf, 160, " (%.150s)", where);
	return buf;
}

void tn_audit_verify_init(struct tn_audit_verifier *v, const uint8_t *node_key)
{
	sodium_ready();
	memset(v, 0, sizeof(*v));
	if (node_key) {
		v->have_key = 1;
		memcpy(v->node_key, node_key, sizeof(v->node_key));
	}
}

void tn_audit_verify_start_at(struct tn_audit_verifier *v,
			      const uint8_t log_id[TN_AUDIT_LOGID_LEN],
			      uint64_t seq, const uint8_t hash[TN_AUDIT_HASH_LEN])
{
	v->started = 1;
	v->have_log_id = 1;
	memcpy(v->log_id, log_id, TN_AUDIT_LOGID_LEN);
	v->next_seq = seq + 1;
	memcpy(v->head, hash, TN_AUDIT_HASH_LEN);
	v->from_start_at = 1;
	v->start_seq = seq;
	memcpy(v->start_hash, hash, TN_AUDIT_HASH_LEN);
}

int tn_audit_verify_add_anchor(struct tn_audit_verifier *v,
			       const struct tn_audit_anchor *a)
{
	struct tn_audit_anchor_slot *s;

	/* The anchors are looked up in covers order while lines are fed. */
	if (v->fed)
		return -1;
	if (v->nslots == v->slots_cap) {
		size_t cap = v->slots_cap ? 2 * v->slots_cap : 16;

		s = realloc(v->slots, cap * sizeof(*s));
		if (!s)
			return -1;
		v->slots = s;
		v->slots_cap = cap;
	}
	s = &v->slots[v->nslots++];
	memset(s, 0, sizeof(*s));
	s->a = *a;
	if (v->nanchors < (int)(sizeof(v->anchors) / sizeof(v->anchors[0])))
		v->anchors[v->nanchors++] = *a;
	return 0;
}

void tn_audit_verify_free(struct tn_audit_verifier *v)
{
	free(v->slots);
	v->slots = NULL;
	v->nslots = v->slots_cap = v->next_slot = 0;
}

static int by_covers(const void *a, const void *b)
{
	const struct tn_audit_anchor_slot *x = a, *y = b;

	return x->a.covers < y->a.covers ? -1 : x->a.covers > y->a.covers;
}

/* Remembers the hash of a record an anchor vouches for. */
static void note_anchor(struct tn_audit_verifier *v, const struct tn_audit_rec *r,
			const char *where)
{
	while (v->next_slot < v->nslots && v->slots[v->next_slot].a.covers < r->seq)
		v->next_slot++;
	for (size_t i = v->next_slot; i < v->nslots && v->slots[i].a.covers == r->seq; i++) {
		v->slots[i].seen = 1;
		memcpy(v->slots[i].hash, r->hash, TN_AUDIT_HASH_LEN);
		snprintf(v->slots[i].where, sizeof(v->slots[i].where), "%s", where ? where : "");
	}
}

static void accept(struct tn_audit_verifier *v, const struct tn_audit_rec *r,
		   const char *where)
{
	v->records++;
	memcpy(v->head, r->hash, TN_AUDIT_HASH_LEN);
	v->next_seq = r->seq + 1;
	snprintf(v->last_where, sizeof(v->last_where), "%s", where ? where : "");
	note_anchor(v, r, where);
}

static int sig_ok(const struct tn_audit_verifier *v, uint64_t covers,
		  const uint8_t head[TN_AUDIT_HASH_LEN],
		  const uint8_t sig[TN_AUDIT_SIG_LEN])
{
	uint8_t msg[TN_AUDIT_CP_MSG_LEN];

	tn_audit_checkpoint_msg(v->log_id, covers, head, msg);
	return v->have_key &&
	       !crypto_sign_verify_detached(sig, msg, sizeof(msg), v->node_key);
}

static int take_start(struct tn_audit_verifier *v, const struct tn_audit_rec *r,
		      const char *where)
{
	char w[160], k1[65], k2[65];
	uint8_t key[32];

	if (strcmp(r->type, "log-start"))
		return vfail(v, r->seq, "the log does not begin with its log-start record: its first line%s is record %" PRIu64 ", a %s record, so the start of the log was deleted",
			     at(where, w), r->seq, r->type);
	if (r->seq)
		return vfail(v, r->seq, "the log-start record%s has seq %" PRIu64 ", not 0: the start of the log was deleted or replaced",
			     at(where, w), r->seq);
	if (memcmp(r->prev, zero_hash, TN_AUDIT_HASH_LEN))
		return vfail(v, 0, "the log-start record%s does not begin a chain (its prev is not all zero): it was spliced in from another log",
			     at(where, w));
	hex_member(r->data, "log_id", v->log_id, TN_AUDIT_LOGID_LEN);
	hex_member(r->data, "node_key", key, sizeof(key));
	if (v->have_key && memcmp(key, v->node_key, sizeof(key))) {
		tn_hex_encode(key, 32, k1);
		tn_hex_encode(v->node_key, 32, k2);
		return vfail(v, 0, "the log-start record%s names node key %s, not the key it is checked with (%s): the log was written by another node or its start was replaced",
			     at(where, w), k1, k2);
	}
	if (!v->have_key) {
		memcpy(v->node_key, key, sizeof(key));
		v->have_key = 1;
		v->key_from_log = 1;
	}
	v->started = 1;
	v->have_log_id = 1;
	accept(v, r, where);
	return 0;
}

/* A record that names its log (log-start, checkpoint) but not this one. */
static int check_spliced(struct tn_audit_verifier *v, const struct tn_audit_rec *r,
			 const char *where)
{
	char w[160], id[33], ours[33];
	uint8_t log_id[TN_AUDIT_LOGID_LEN];

	if (strcmp(r->type, "log-start") && strcmp(r->type, "checkpoint"))
		return 0;
	hex_member(r->data, "log_id", log_id, sizeof(log_id));
	tn_hex_encode(log_id, sizeof(log_id), id);
	tn_hex_encode(v->log_id, sizeof(v->log_id), ours);
	if (!strcmp(r->type, "log-start"))
		return vfail(v, r->seq, "record %" PRIu64 "%s is the log-start record of log %s: a log starts only once, so it was spliced in from another log",
			     r->seq, at(where, w), id);
	if (memcmp(log_id, v->log_id, sizeof(log_id)))
		return vfail(v, r->seq, "checkpoint %" PRIu64 "%s belongs to log %s, not to this log (%s): it was spliced in from another log",
			     r->seq, at(where, w), id, ours);
	return 0;
}

/* A repair skips exactly the one seq that might have been half-written. */
static int check_repair(struct tn_audit_verifier *v, const struct tn_audit_rec *r,
			const char *where)
{
	uint64_t good, skipped, last = v->next_seq - 1;
	char w[160];

	uint_member(r->data, "last_good_seq", &good);
	uint_member(r->data, "skipped_seq", &skipped);
	if (good != last)
		return vfail(v, r->seq, "the log-repaired record %" PRIu64 "%s says the last good record is %" PRIu64 ", but it follows record %" PRIu64 ": the repair is false, records were deleted or reordered behind it",
			     r->seq, at(where, w), good, last);
	if (skipped != good + 1)
		return vfail(v, r->seq, "the log-repaired record %" PRIu64 "%s says it skipped seq %" PRIu64 ", but a repair skips exactly the seq after the last good record, %" PRIu64 ": the repair is false",
			     r->seq, at(where, w), skipped, good + 1);
	if (r->seq != good + 2)
		return vfail(v, r->seq, "the log-repaired record %" PRIu64 "%s must have seq %" PRIu64 " (the last good record, %" PRIu64 ", plus 2): the repair is false",
			     r->seq, at(where, w), good + 2, good);
	v->repairs++;
	return 0;
}

static void set_pending(struct tn_audit_verifier *v, int kind,
			const struct tn_audit_rec *r, const char *where)
{
	v->pending = kind;
	v->pend_seq = r->seq;
	memcpy(v->pend_hash, r->hash, TN_AUDIT_HASH_LEN);
	snprintf(v->pend_where, sizeof(v->pend_where), "%s", where ? where : "");
}

static int reordered(struct tn_audit_verifier *v, uint64_t seq, const char *where,
		     uint64_t after, const char *after_where)
{
	char w[160], w2[160];

	return vfail(v, seq, "record %" PRIu64 "%s comes after record %" PRIu64 "%s: records were reordered",
		     seq, at(where, w), after, at(after_where, w2));
}

/* A forward jump, once the next line did not show the records moved. */
static int deleted(struct tn_audit_verifier *v)
{
	uint64_t next = v->next_seq, last = next - 1, to = v->pend_seq;
	char w[160];

	if (to == next + 1)
		return vfail(v, next, "record %" PRIu64 " is missing: seq jumps from %" PRIu64 " to %" PRIu64 "%s: it was deleted",
			     next, last, to, at(v->pend_where, w));
	return vfail(v, next, "records %" PRIu64 " to %" PRIu64 " are missing: seq jumps from %" PRIu64 " to %" PRIu64 "%s: they were deleted",
		     next, to - 1, last, to, at(v->pend_where, w));
}

/*
 * Going back is reordering. Jumping ahead is deletion, unless the next
 * line brings the skipped record: judged there (resolve_pending).
 */
static int check_seq(struct tn_audit_verifier *v, const struct tn_audit_rec *r,
		     const char *where)
{
	if (!strcmp(r->type, "log-repaired"))
		return check_repair(v, r, where);
	if (r->seq < v->next_seq)
		return reordered(v, r->seq, where, v->next_seq - 1, v->last_where);
	if (r->seq > v->next_seq)
		set_pending(v, PEND_JUMP, r, where);
	return 0;
}

/* The record before a validly signed checkpoint that does not chain to it. */
static int signed_over_prev(struct tn_audit_verifier *v, const struct tn_audit_rec *r)
{
	uint8_t head[TN_AUDIT_HASH_LEN], sig[TN_AUDIT_SIG_LEN];
	uint64_t covers;

	if (strcmp(r->type, "checkpoint"))
		return 0;
	uint_member(r->data, "covers", &covers);
	hex_member(r->data, "head", head, sizeof(head));
	hex_member(r->data, "signature", sig, sizeof(sig));
	return covers + 1 == r->seq && !memcmp(head, r->prev, sizeof(head)) &&
	       sig_ok(v, covers, head, sig);
}

/*
 * Record N does not chain to N-1. Whether N-1 was edited or N was put in
 * from elsewhere shows on the next line: judged there (resolve_pending).
 */
static int chain_break(struct tn_audit_verifier *v, const struct tn_audit_rec *r,
		       const char *where)
{
	char w[160], w2[160];

	if (signed_over_prev(v, r))
		return vfail(v, r->seq - 1, "record %" PRIu64 "%s was edited: checkpoint %" PRIu64 "%s, signed by the node key, vouches for a different record %" PRIu64,
			     r->seq - 1, at(v->last_where, w), r->seq, at(where, w2), r->seq - 1);
	set_pending(v, PEND_BREAK, r, where);
	return 0;
}

static int break_unclear(struct tn_audit_verifier *v)
{
	uint64_t n = v->pend_seq;
	char w[160], w2[160];

	return vfail(v, n, "record %" PRIu64 "%s does not chain to record %" PRIu64 "%s: its prev is not the hash of that line, so record %" PRIu64 " was edited or record %" PRIu64 " replaced",
		     n, at(v->pend_where, w), n - 1, at(v->last_where, w2), n - 1, n);
}

/* The line after a chain break or a jump tells what happened (r: NULL if unreadable). */
static int resolve_pending(struct tn_audit_verifier *v, const struct tn_audit_rec *r,
			   const char *where)
{
	uint64_t n = v->pend_seq;
	char w[160], w2[160], w3[160];

	if (v->pending == PEND_JUMP)
		return r && r->seq < n ? reordered(v, r->seq, where, n, v->pend_where) :
		       deleted(v);
	if (!r || r->seq != n + 1)
		return break_unclear(v);
	if (!memcmp(r->prev, v->pend_hash, TN_AUDIT_HASH_LEN))
		return vfail(v, n - 1, "record %" PRIu64 "%s was edited: record %" PRIu64 "%s does not chain to it (its prev is not the hash of that line)",
			     n - 1, at(v->last_where, w), n, at(v->pend_where, w2));
	return vfail(v, n, "record %" PRIu64 "%s does not belong to this log's chain: neither record %" PRIu64 "%s before it nor record %" PRIu64 "%s after it chains with it, so it was spliced in from another log or rewritten",
		     n, at(v->pend_where, w), n - 1, at(v->last_where, w2), n + 1,
		     at(where, w3));
}

static int check_checkpoint(struct tn_audit_verifier *v, const struct tn_audit_rec *r,
			    const char *where)
{
	uint8_t head[TN_AUDIT_HASH_LEN], sig[TN_AUDIT_SIG_LEN];
	uint64_t covers;
	char w[160];

	uint_member(r->data, "covers", &covers);
	hex_member(r->data, "head", head, sizeof(head));
	hex_member(r->data, "signature", sig, sizeof(sig));
	if (covers + 1 != r->seq)
		return vfail(v, r->seq, "checkpoint %" PRIu64 "%s covers seq %" PRIu64 ", not the record just before it (%" PRIu64 ")",
			     r->seq, at(where, w), covers, r->seq - 1);
	if (memcmp(head, r->prev, sizeof(head)))
		return vfail(v, r->seq, "checkpoint %" PRIu64 "%s has a head that is not its prev: it does not vouch for the record before it",
			     r->seq, at(where, w));
	if (!v->have_key)
		return vfail(v, r->seq, "checkpoint %" PRIu64 "%s cannot be checked: no node key was given and the log-start record was not read",
			     r->seq, at(where, w));
	if (!sig_ok(v, covers, head, sig))
		return vfail(v, r->seq, "checkpoint %" PRIu64 "%s has a bad signature: it was not made by %s, so it was forged or altered",
			     r->seq, at(where, w), v->key_from_log ?
			     "the key the log-start record names" : "the node key");
	v->checkpoints++;
	v->have_checkpoint = 1;
	v->cp_covers = covers;
	memcpy(v->cp_head, head, sizeof(head));
	return 0;
}

static int take_next(struct tn_audit_verifier *v, const struct tn_audit_rec *r,
		     const char *where)
{
	uint64_t n;

	if (check_spliced(v, r, where) || check_seq(v, r, where))
		return -1;
	if (v->pending)
		return 0;
	if (memcmp(r->prev, v->head, TN_AUDIT_HASH_LEN))
		return chain_break(v, r, where);
	if (!strcmp(r->type, "checkpoint") && check_checkpoint(v, r, where))
		return -1;
	if (!strcmp(r->type, "records-lost") && !uint_member(r->data, "count", &n))
		v->lost += n;
	accept(v, r, where);
	return 0;
}

static int line_unusable(struct tn_audit_verifier *v, const char *where,
			 int torn, const char *why)
{
	char w[160];

	if (v->pending)
		return resolve_pending(v, NULL, where);
	if (torn && !v->started)
		return vfail(v, 0, "the log's first line%s is torn: it has no newline, so it was cut short while being written",
			     at(where, w));
	if (torn)
		return vfail(v, v->next_seq, "record %" PRIu64 "%s is torn: its line has no newline, so it was cut short while being written (trustnoded cuts a torn tail and records log-repaired when it next starts)",
			     v->next_seq, at(where, w));
	if (!v->started)
		return vfail(v, 0, "the log's first line%s cannot be read: %s", at(where, w), why);
	return vfail(v, v->next_seq, "record %" PRIu64 "%s cannot be read: %s",
		     v->next_seq, at(where, w), why);
}

int tn_audit_verify_line(struct tn_audit_verifier *v, const char *line,
			 size_t len, int torn, const char *where)
{
	struct tn_audit_rec r;
	struct tn_err err;
	int ret;

	if (v->failed)
		return -1;
	if (v->finished)
		return vfail(v, v->next_seq, "a line was fed to the verifier after it finished");
	if (!v->fed && v->nslots)
		qsort(v->slots, v->nslots, sizeof(*v->slots), by_covers);
	v->fed = 1;
	if (torn)
		return line_unusable(v, where, 1, NULL);
	if (tn_audit_parse(line, len, &r, &err))
		return line_unusable(v, where, 0, err.msg);
	if (v->pending)
		ret = resolve_pending(v, &r, where);
	else if (!v->started)
		ret = take_start(v, &r, where);
	else
		ret = take_next(v, &r, where);
	tn_audit_rec_free(&r);
	return ret;
}

static int check_anchor(struct tn_audit_verifier *v,
			const struct tn_audit_anchor_slot *s)
{
	const char *src = s->a.source ? s->a.source : "an anchor";
	uint64_t last = v->next_seq - 1, covers = s->a.covers;
	char id[33], theirs[33], w[160];

	if (memcmp(s->a.log_id, v->log_id, TN_AUDIT_LOGID_LEN)) {
		tn_hex_encode(v->log_id, TN_AUDIT_LOGID_LEN, id);
		tn_hex_encode(s->a.log_id, TN_AUDIT_LOGID_LEN, theirs);
		return vfail(v, 0, "log id %s is not %s, the one %s vouches for: the log was deleted and started anew",
			     id, theirs, src);
	}
	if (v->from_start_at && covers <= v->start_seq) {
		/* Before where verification began: only the start is known. */
		if (covers == v->start_seq &&
		    memcmp(v->start_hash, s->a.head, TN_AUDIT_HASH_LEN))
			return vfail(v, covers, "record %" PRIu64 " is not the one %s vouches for: the log was rewritten",
				     covers, src);
		v->anchored += covers == v->start_seq;
		return 0;
	}
	if (covers > last)
		return vfail(v, covers, "the log ends at seq %" PRIu64 ", before seq %" PRIu64 " which %s vouches for: it was truncated",
			     last, covers, src);
	if (!s->seen)
		return vfail(v, covers, "record %" PRIu64 ", which %s vouches for, is not in the log: a log-repaired record skipped its seq, so the log was rewritten",
			     covers, src);
	if (memcmp(s->hash, s->a.head, TN_AUDIT_HASH_LEN))
		return vfail(v, covers, "record %" PRIu64 "%s is not the one %s vouches for: the log was rewritten",
			     covers, at(s->where, w), src);
	v->anchored++;
	return 0;
}

int tn_audit_verify_finish(struct tn_audit_verifier *v)
{
	if (v->finished || v->failed) {
		v->finished = 1;
		return v->failed ? -1 : 0;
	}
	v->finished = 1;
	if (v->pending)
		return resolve_pending(v, NULL, NULL);
	if (!v->started)
		return vfail(v, 0, "the log is empty: it has no log-start record");
	for (size_t i = 0; i < v->nslots; i++)
		if (check_anchor(v, &v->slots[i]))
			return -1;
	return 0;
}

/* ---- segments ----------------------------------------------------------- */

static int is_segment(const char *name)
{
	return strlen(name) == 6 + 16 + 6 && !strncmp(name, "audit-", 6) &&
	       strspn(name + 6, "0123456789") == 16 && !strcmp(name + 22, ".jsonl");
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void tn_audit_segments_free(char **names, int n)
{
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int tn_audit_segments(const char *dir, char ***names, int *n,
		      struct tn_err *err)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **v = NULL, **grown;
	int count = 0;

	*names = NULL;
	*n = 0;
	if (!d)
		return tn_fail_errno(err, errno, "cannot open the audit log directory %s", dir);
	while ((e = readdir(d))) {
		if (!is_segment(e->d_name))
			continue;
		grown = realloc(v, (count + 1) * sizeof(*v));
		if (grown) {
			v = grown;
			v[count] = strdup(e->d_name);
		}
		if (!grown || !v[count]) {
			tn_audit_segments_free(v, count);
			closedir(d);
			return tn_fail(err, "out of memory listing %s", dir);
		}
		count++;
	}
	closedir(d);
	/* Fixed-width numbers: name order is seq order. */
	if (count)
		qsort(v, count, sizeof(*v), by_name);
	*names = v;
	*n = count;
	return 0;
}

/* A writer may be appending right now: give a last line a moment to end. */
static ssize_t settle(FILE *f, char **buf, size_t *cap, ssize_t n)
{
	char *more = NULL, *grown;
	size_t mcap = 0;
	ssize_t m;

	for (int i = 0; i < 3 && (*buf)[n - 1] != '\n'; i++) {
		usleep(100 * 1000);
		clearerr(f);
		m = getline(&more, &mcap, f);
		if (m <= 0)
			continue;
		grown = realloc(*buf, n + m + 1);
		if (!grown)
			break;
		memcpy(grown + n, more, m + 1);
		*buf = grown;
		*cap = n + m + 1;
		n += m;
	}
	free(more);
	return n;
}

/*
 * After tn_audit_verify_start_at: 1 for a line before the known record
 * (skipped), after checking that the known one is the one given.
 */
static int before_start(struct tn_audit_verifier *v, const char *line,
			size_t len, const char *where)
{
	struct tn_audit_rec r;
	struct tn_err err;
	char w[160];
	int skip;

	if (!v->from_start_at || v->records || v->pending ||
	    tn_audit_parse(line, len, &r, &err))
		return 0;
	skip = r.seq <= v->start_seq;
	if (r.seq == v->start_seq) {
		v->start_seen = 1;
		if (memcmp(r.hash, v->start_hash, TN_AUDIT_HASH_LEN))
			skip = vfail(v, r.seq, "record %" PRIu64 "%s is not the record verification started from: the log was rewritten",
				     r.seq, at(where, w));
	}
	tn_audit_rec_free(&r);
	return skip;
}

static int verify_segment(struct tn_audit_verifier *v, const char *dir,
			  const char *name, const char *next)
{
	char path[4096], where[160], *buf = NULL;
	unsigned long lineno = 0;
	size_t cap = 0;
	ssize_t n;
	FILE *f;
	int torn;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "re");
	if (!f)
		return vfail(v, v->next_seq, "cannot read %s: %s", path, strerror(errno));
	while (!v->failed && (n = getline(&buf, &cap, f)) > 0) {
		snprintf(where, sizeof(where), "%s:%lu", name, ++lineno);
		if (buf[n - 1] != '\n' && !next)
			n = settle(f, &buf, &cap, n);
		torn = buf[n - 1] != '\n';
		if (torn && next) {
			vfail(v, v->next_seq, "record %" PRIu64 " (%s) has no newline, yet segment %s follows it: the segment was cut short",
			      v->next_seq, where, next);
			break;
		}
		n -= !torn;
		if (before_start(v, buf, n, where))
			continue;
		tn_audit_verify_line(v, buf, n, torn, where);
	}
	if (!v->failed && ferror(f))
		vfail(v, v->next_seq, "cannot read %s: %s", path, strerror(errno));
	free(buf);
	fclose(f);
	return v->failed ? -1 : 0;
}

int tn_audit_verify_dir(struct tn_audit_verifier *v, const char *dir)
{
	struct tn_err err;
	char **names;
	int n;

	if (v->failed)
		return -1;
	if (tn_audit_segments(dir, &names, &n, &err))
		return vfail(v, v->next_seq, "%s", err.msg);
	if (!n)
		vfail(v, 0, "%s holds no audit log segments (audit-<seq>.jsonl): the log was deleted or never written",
		      dir);
	for (int i = 0; i < n && !v->failed; i++)
		verify_segment(v, dir, names[i], i + 1 < n ? names[i + 1] : NULL);
	tn_audit_segments_free(names, n);
	if (!v->failed && v->from_start_at && !v->start_seen)
		vfail(v, v->start_seq, "record %" PRIu64 ", where verification started, is not in %s: the log was truncated or rewritten",
		      v->start_seq, dir);
	if (v->failed) {
		v->finished = 1;
		return -1;
	}
	return tn_audit_verify_finish(v);
}
