// SPDX-License-Identifier: GPL-2.0-only
/*
 * The audit log's records (include/trustnode/audit_api.h): the one form the
 * writer writes, the strict parser that accepts only that form, the chain
 * hash, and what a checkpoint signs and anchors in the TPM.
 */
#include <ctype.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "audit_record.h"
#include "signed_msg.h"
#include "hex.h"
#include "proto.h"

#define SEQ_MAX ((uint64_t)INT64_MAX)
#define JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

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
int tn_audit_json_hex(json_object *o, const char *key, uint8_t *out, size_t len)
{
	const char *s = tn_json_str(o, key);
	size_t n;

	if (!s || strlen(s) != 2 * len || strspn(s, "0123456789abcdef") != 2 * len)
		return -1;
	return tn_hex_decode(s, out, len, &n, key, NULL);
}

int tn_audit_json_u64(json_object *o, const char *key, uint64_t *out)
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

	if (f->kind == 'h' && tn_audit_json_hex(r->data, f->name, buf, f->len))
		return tn_fail(err, "a %s record's %s must be %zu lowercase hex digits",
			       r->type, f->name, 2 * f->len);
	if (f->kind == 'u' && tn_audit_json_u64(r->data, f->name, &u))
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
	if (tn_audit_json_u64(r->obj, "seq", &r->seq))
		return tn_fail(err, "seq must be an integer from 0 to 2^63-1");
	if (parse_time(tn_json_str(r->obj, "time"), &r->time_us))
		return tn_fail(err, "time must be a UTC time like 2024-01-02T03:04:05.000006Z");
	type = tn_json_str(r->obj, "type");
	if (!valid_type(type))
		return tn_fail(err, "type must be 1 to 31 characters from a-z, 0-9, '.', '_' and '-'");
	snprintf(r->type, sizeof(r->type), "%s", type);
	if (tn_audit_json_hex(r->obj, "prev", r->prev, TN_AUDIT_HASH_LEN))
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
	uint8_t *p;

	/* sizeof takes the label's NUL: the separator. */
	p = tn_msg_put(msg, TN_AUDIT_CHECKPOINT_LABEL, sizeof(TN_AUDIT_CHECKPOINT_LABEL));
	p = tn_msg_put(p, log_id, TN_AUDIT_LOGID_LEN);
	p = tn_msg_put_be64(p, covers);
	tn_msg_put(p, head, TN_AUDIT_HASH_LEN);
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
