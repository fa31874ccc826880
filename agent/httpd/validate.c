// SPDX-License-Identifier: GPL-2.0-only
/*
 * Request and reply validation for trustnode-httpd (see validate.h). Every
 * refusal names the problem; none echoes client bytes back, only names the
 * API knows, so error bodies and logs stay small and clean.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "hex.h"
#include "log_auth.h"
#include "proto.h"
#include "trustnode/attest_api.h"
#include "trustnode/audit_api.h"
#include "validate.h"

#define MAX_PARAMS	5

/* A query parameter's value as sent, or val == NULL when absent. */
struct param {
	const char *val;
	size_t len;
};

struct tn_http_route {
	const char *method;
	const char *path;
	const char *params[MAX_PARAMS + 1];	/* NULL-terminated */
	/* Builds the relay message from the query; p[i] is params[i]. */
	int (*from_query)(const struct param *p, json_object **relay,
			  struct tn_http_refusal *no);
	/* Builds it from the body, a JSON object (routes that take one). */
	int (*from_body)(json_object *body, json_object **relay,
			 struct tn_http_refusal *no);
	size_t body_max;
};

static int refuse(struct tn_http_refusal *no, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int refuse(struct tn_http_refusal *no, int status, const char *fmt, ...)
{
	va_list ap;

	no->status = status;
	va_start(ap, fmt);
	vsnprintf(no->err.msg, sizeof(no->err.msg), fmt, ap);
	va_end(ap);
	return -1;
}

static int out_of_memory(struct tn_http_refusal *no)
{
	return refuse(no, 500, "trustnode-httpd is out of memory");
}

/* {"op":op} plus, when key is set, key:val; NULL when out of memory. */
static json_object *message(const char *op, const char *key, const char *val)
{
	json_object *m = json_object_new_object();

	if (!m)
		return NULL;
	if (json_object_object_add(m, "op", json_object_new_string(op)) ||
	    (key && json_object_object_add(m, key, json_object_new_string(val)))) {
		json_object_put(m);
		return NULL;
	}
	return m;
}

static int from_identity(const struct param *p, json_object **relay,
			 struct tn_http_refusal *no)
{
	*relay = message("identity", NULL, NULL);
	return *relay ? 0 : out_of_memory(no);
}

/* A decimal count: digits only, at most max; *v untouched when absent. */
static int count_param(const struct param *p, const char *name,
		       unsigned long long max, unsigned long long *v,
		       struct tn_http_refusal *no)
{
	unsigned long long x = 0;

	if (!p->val)
		return 0;
	if (!p->len || p->len > 19)
		return refuse(no, 400, "%s must be a decimal number", name);
	for (size_t i = 0; i < p->len; i++) {
		if (p->val[i] < '0' || p->val[i] > '9')
			return refuse(no, 400, "%s must be a decimal number", name);
		x = x * 10 + (p->val[i] - '0');
	}
	if (x > max)
		return refuse(no, 400, "%s is at most %llu", name, max);
	*v = x;
	return 0;
}

/*
 * Copies a hex parameter of exactly bytes bytes into m as key, lowercase.
 * Checked before copying: the value may be as long as the target.
 */
static int add_hex_param(json_object *m, const struct param *p, const char *key,
			 size_t bytes, struct tn_http_refusal *no)
{
	char hex[2 * TN_LOG_SIG_LEN + 1];
	uint8_t raw[TN_LOG_SIG_LEN];
	struct tn_err err;
	size_t n;

	if (p->len != 2 * bytes)
		return refuse(no, 400, "%s must be %zu bytes of hex", key, bytes);
	memcpy(hex, p->val, p->len);
	hex[p->len] = '\0';
	if (tn_hex_decode(hex, raw, sizeof(raw), &n, key, &err))
		return refuse(no, 400, "%s", err.msg);
	tn_hex_encode(raw, n, hex);
	if (json_object_object_add(m, key, json_object_new_string(hex)))
		return out_of_memory(no);
	return 0;
}

static int from_quote(const struct param *p, json_object **relay,
		      struct tn_http_refusal *no)
{
	const struct param *nonce = &p[0];
	char hex[2 * TN_NONCE_MAX + 1];
	uint8_t raw[TN_NONCE_MAX];
	struct tn_err err;
	size_t n;

	if (!nonce->val)
		return refuse(no, 400, "GET /v1/quote needs ?nonce= with %d to %d bytes of hex",
			      TN_NONCE_MIN, TN_NONCE_MAX);
	/* Checked before copying: the value may be as long as the target. */
	if (nonce->len > 2 * TN_NONCE_MAX)
		return refuse(no, 400, "nonce is too long: %zu hex digits, at most %d bytes",
			      nonce->len, TN_NONCE_MAX);
	memcpy(hex, nonce->val, nonce->len);
	hex[nonce->len] = '\0';
	if (tn_hex_decode(hex, raw, sizeof(raw), &n, "nonce", &err))
		return refuse(no, 400, "%s", err.msg);
	if (n < TN_NONCE_MIN)
		return refuse(no, 400, "nonce is too short: %zu bytes, at least %d",
			      n, TN_NONCE_MIN);
	/* The agent gets one spelling: lowercase. */
	tn_hex_encode(raw, n, hex);
	*relay = message("quote", "nonce", hex);
	if (!*relay)
		return out_of_memory(no);
	/* since=K&at=HEX: the verifier's position in the log, both or none. */
	if (!p[1].val != !p[2].val) {
		json_object_put(*relay);
		*relay = NULL;
		return refuse(no, 400, "since and at go together (include/trustnode/attest_api.h)");
	}
	if (p[1].val) {
		unsigned long long since = 0;

		if (count_param(&p[1], "since", (1ULL << 62), &since, no) ||
		    add_hex_param(*relay, &p[2], "at", TN_DIGEST_LEN, no)) {
			json_object_put(*relay);
			*relay = NULL;
			return -1;
		}
		json_object_object_add(*relay, "since", json_object_new_int64((int64_t)since));
	}
	return 0;
}

/*
 * GET /v1/log?since=N&limit=M&challenge=HEX&peer=HEX&sig=HEX: a page of
 * the audit log for an enrolled peer. The agent judges the credentials;
 * here they must only be well formed, all three or none (a request
 * without them is relayed so that the agent counts its refusal).
 */
static int from_log(const struct param *p, json_object **relay,
		    struct tn_http_refusal *no)
{
	unsigned long long since = 0, limit = TN_AUDIT_PAGE;
	int given = !!p[2].val + !!p[3].val + !!p[4].val;

	if (count_param(&p[0], "since", (1ULL << 62), &since, no) ||
	    count_param(&p[1], "limit", TN_AUDIT_PAGE, &limit, no))
		return -1;
	if (!limit)
		return refuse(no, 400, "limit must be at least 1");
	if (given && given != 3)
		return refuse(no, 400, "challenge, peer and sig go together (include/trustnode/audit_api.h)");
	*relay = message("log", NULL, NULL);
	if (!*relay)
		return out_of_memory(no);
	json_object_object_add(*relay, "since", json_object_new_int64((int64_t)since));
	json_object_object_add(*relay, "limit", json_object_new_int64((int64_t)limit));
	if (given &&
	    (add_hex_param(*relay, &p[2], "challenge", TN_LOG_CHALLENGE_LEN, no) ||
	     add_hex_param(*relay, &p[3], "peer", TN_IDKEY_LEN, no) ||
	     add_hex_param(*relay, &p[4], "sig", TN_LOG_SIG_LEN, no))) {
		json_object_put(*relay);
		*relay = NULL;
		return -1;
	}
	return 0;
}

static int from_log_challenge(const struct param *p, json_object **relay,
			      struct tn_http_refusal *no)
{
	*relay = message("log-challenge", NULL, NULL);
	return *relay ? 0 : out_of_memory(no);
}

/* Decodes member key of body (1..max bytes) and adds it, lowercase, to m. */
static int add_hex_member(json_object *m, json_object *body, const char *key,
			  size_t max, struct tn_http_refusal *no)
{
	const char *hex = tn_json_str(body, key);
	uint8_t raw[TN_ENROLL_MAX_SECRET];
	struct tn_err err;
	char *lower;
	size_t n;

	_Static_assert(TN_ENROLL_MAX_ID_OBJECT <= TN_ENROLL_MAX_SECRET,
		       "raw must hold either member");
	if (tn_hex_decode(hex, raw, max, &n, key, &err))
		return refuse(no, 400, "%s", err.msg);
	if (!n)
		return refuse(no, 400, "%s is empty", key);
	lower = tn_hex_dup(raw, n);
	if (!lower)
		return out_of_memory(no);
	if (json_object_object_add(m, key, json_object_new_string(lower))) {
		free(lower);
		return out_of_memory(no);
	}
	free(lower);
	return 0;
}

static int from_enroll(json_object *body, json_object **relay,
		       struct tn_http_refusal *no)
{
	json_object *m;

	if (json_object_object_length(body) != 2 ||
	    !tn_json_str(body, "id_object") ||
	    !tn_json_str(body, "encrypted_secret"))
		return refuse(no, 400, "the body must be {\"id_object\":hex,\"encrypted_secret\":hex} and nothing else");
	m = message("activate", NULL, NULL);
	if (!m)
		return out_of_memory(no);
	if (add_hex_member(m, body, "id_object", TN_ENROLL_MAX_ID_OBJECT, no) ||
	    add_hex_member(m, body, "encrypted_secret", TN_ENROLL_MAX_SECRET, no)) {
		json_object_put(m);
		return -1;
	}
	*relay = m;
	return 0;
}

/*
 * The API, one line per method and path (documented in
 * include/trustnode/attest_api.h and include/trustnode/audit_api.h).
 */
static const struct tn_http_route routes[] = {
	{ "GET", "/v1/identity", { NULL }, from_identity, NULL, 0 },
	{ "GET", "/v1/quote", { "nonce", "since", "at", NULL }, from_quote, NULL, 0 },
	{ "GET", "/v1/log", { "since", "limit", "challenge", "peer", "sig", NULL },
	  from_log, NULL, 0 },
	{ "GET", "/v1/log/challenge", { NULL }, from_log_challenge, NULL, 0 },
	{ "POST", "/v1/enroll", { NULL }, NULL, from_enroll, TN_HTTP_MAX_BODY },
};

#define NROUTES (sizeof(routes) / sizeof(routes[0]))

static bool path_is(const struct tn_http_route *r, const char *path, size_t len)
{
	return strlen(r->path) == len && !memcmp(r->path, path, len);
}

/* Appends s to buf (size n) when it fits; used for sentences and Allow. */
static void append(char *buf, size_t n, const char *s)
{
	size_t used = strlen(buf);

	snprintf(buf + used, n - used, "%s", s);
}

static int not_found(struct tn_http_refusal *no)
{
	char api[256] = "";

	for (size_t i = 0; i < NROUTES; i++) {
		append(api, sizeof(api), i ? (i + 1 == NROUTES ? " and " : ", ") : "");
		append(api, sizeof(api), routes[i].method);
		append(api, sizeof(api), " ");
		append(api, sizeof(api), routes[i].path);
	}
	return refuse(no, 404, "no such resource: trustnode serves %s", api);
}

static int wrong_method(const char *path, size_t len, const char *method,
			struct tn_http_refusal *no)
{
	no->allow[0] = '\0';
	for (size_t i = 0; i < NROUTES; i++) {
		if (!path_is(&routes[i], path, len))
			continue;
		if (no->allow[0])
			append(no->allow, sizeof(no->allow), ", ");
		append(no->allow, sizeof(no->allow), routes[i].method);
	}
	/* The method is client text: name it only when it is a plain token. */
	if (strlen(method) <= 16 && strspn(method, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == strlen(method))
		return refuse(no, 405, "%s is not allowed here: use %s", method, no->allow);
	return refuse(no, 405, "method not allowed here: use %s", no->allow);
}

static int bad_param(const struct tn_http_route *r, struct tn_http_refusal *no)
{
	char names[128] = "";

	if (!r->params[0])
		return refuse(no, 400, "%s %s takes no query parameters", r->method, r->path);
	for (size_t i = 0; r->params[i]; i++) {
		if (i)
			append(names, sizeof(names), ", ");
		append(names, sizeof(names), r->params[i]);
	}
	return refuse(no, 400, "unknown query parameter: %s %s takes only %s",
		      r->method, r->path, names);
}

/* Splits query (NULL: none) into p[], one slot per parameter r takes. */
static int parse_query(const struct tn_http_route *r, const char *query,
		       struct param *p, struct tn_http_refusal *no)
{
	const char *seg = query;

	if (!query || !*query)
		return 0;
	for (;;) {
		const char *end = strchrnul(seg, '&');
		const char *eq = memchr(seg, '=', end - seg);
		size_t klen = (eq ? eq : end) - seg, i;

		if (end == seg)
			return refuse(no, 400, "the query has an empty parameter");
		for (i = 0; r->params[i]; i++)
			if (strlen(r->params[i]) == klen &&
			    !memcmp(r->params[i], seg, klen))
				break;
		if (!r->params[i])
			return bad_param(r, no);
		if (p[i].val)
			return refuse(no, 400, "query parameter %s is given twice",
				      r->params[i]);
		p[i].val = eq ? eq + 1 : end;
		p[i].len = end - p[i].val;
		if (!*end)
			return 0;
		seg = end + 1;
	}
}

/* "application/json", any case, optionally followed by ";parameters". */
static bool is_json_type(const char *ct)
{
	static const char want[] = "application/json";

	if (!ct || strncasecmp(ct, want, sizeof(want) - 1))
		return false;
	ct += sizeof(want) - 1;
	ct += strspn(ct, " \t");
	return *ct == '\0' || *ct == ';';
}

/* Content-Length as digits only; -1 when malformed or absurd. */
static long long parse_length(const char *s)
{
	long long v = 0;

	if (!*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 15)
		return -1;
	for (; *s; s++)
		v = v * 10 + (*s - '0');
	return v;
}

static int check_body_head(const struct tn_http_route *r,
			   const struct tn_http_head *head,
			   struct tn_http_req *req, struct tn_http_refusal *no)
{
	long long len = head->content_length ? parse_length(head->content_length) : 0;

	if (len < 0)
		return refuse(no, 400, "Content-Length is not a number");
	if (!r->body_max) {
		if (head->transfer_encoding || len)
			return refuse(no, 400, "%s %s takes no body", r->method, r->path);
		return 0;
	}
	if (head->transfer_encoding || !head->content_length)
		return refuse(no, 411, "%s %s needs a Content-Length (chunked bodies are not accepted)",
			      r->method, r->path);
	if ((unsigned long long)len > r->body_max)
		return refuse(no, 413, "the body is %lld bytes, at most %zu are accepted",
			      len, r->body_max);
	if (!is_json_type(head->content_type))
		return refuse(no, 415, "the body must be Content-Type: application/json");
	req->body_len = len;
	return 0;
}

int tn_http_check_head(const struct tn_http_head *head,
		       struct tn_http_req *req, struct tn_http_refusal *no)
{
	struct param p[MAX_PARAMS] = { { 0 } };
	const char *target = head->target, *method = head->method ?: "";
	const struct tn_http_route *r = NULL;
	const char *query;
	size_t plen;
	bool path_known = false;

	memset(req, 0, sizeof(*req));
	memset(no, 0, sizeof(*no));
	if (!target || !*target)
		return refuse(no, 400, "the request has no target");
	if (strnlen(target, TN_HTTP_MAX_URL + 1) > TN_HTTP_MAX_URL)
		return refuse(no, 414, "the request target is longer than %d bytes",
			      TN_HTTP_MAX_URL);
	if (target[0] != '/')
		return refuse(no, 400, "the request target must be a path such as /v1/identity");
	query = strchr(target, '?');
	plen = query ? (size_t)(query - target) : strlen(target);
	for (size_t i = 0; i < NROUTES; i++) {
		if (!path_is(&routes[i], target, plen))
			continue;
		path_known = true;
		if (!strcmp(routes[i].method, method)) {
			r = &routes[i];
			break;
		}
	}
	if (!path_known)
		return not_found(no);
	if (!r)
		return wrong_method(target, plen, method, no);
	if (parse_query(r, query ? query + 1 : NULL, p, no) ||
	    check_body_head(r, head, req, no))
		return -1;
	if (r->from_query && r->from_query(p, &req->relay, no))
		return -1;
	req->route = r;
	return 0;
}

/* Length of buf without trailing JSON whitespace. */
static size_t trim(const char *buf, size_t len)
{
	while (len && strchr(" \t\r\n", buf[len - 1]))
		len--;
	return len;
}

/* Parses exactly one JSON object from buf; what names it in errors. */
static json_object *parse_object(const char *buf, size_t len, int depth,
				 const char *what, struct tn_err *err)
{
	enum json_tokener_error jerr;
	struct json_tokener *tok;
	json_object *obj;

	len = trim(buf, len);
	if (!len) {
		tn_fail(err, "%s is empty", what);
		return NULL;
	}
	/* Bounded by the callers; json-c takes an int. */
	if (len > TN_HTTPD_MAX_REPLY) {
		tn_fail(err, "%s is too long", what);
		return NULL;
	}
	if (memchr(buf, '\0', len)) {
		tn_fail(err, "%s contains a NUL byte", what);
		return NULL;
	}
	tok = json_tokener_new_ex(depth);
	if (!tok) {
		tn_fail(err, "out of memory");
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, buf, (int)len);
	jerr = json_tokener_get_error(tok);
	if (!obj || jerr != json_tokener_success) {
		tn_fail(err, "%s is not JSON: %s", what,
			json_tokener_error_desc(jerr == json_tokener_continue ?
						json_tokener_error_parse_eof : jerr));
		json_object_put(obj);
		obj = NULL;
	} else if (json_tokener_get_parse_end(tok) != len) {
		tn_fail(err, "%s has data after the JSON value", what);
		json_object_put(obj);
		obj = NULL;
	} else if (!json_object_is_type(obj, json_type_object)) {
		tn_fail(err, "%s must be a JSON object", what);
		json_object_put(obj);
		obj = NULL;
	}
	json_tokener_free(tok);
	return obj;
}

int tn_http_check_body(struct tn_http_req *req, const char *body, size_t len,
		       struct tn_http_refusal *no)
{
	const struct tn_http_route *r = req->route;
	json_object *obj;
	int ret;

	memset(no, 0, sizeof(*no));
	if (!r)
		return refuse(no, 500, "request body checked before its head");
	if (!r->from_body) {
		if (len)
			return refuse(no, 400, "%s %s takes no body", r->method, r->path);
		return 0;
	}
	if (len > r->body_max)
		return refuse(no, 413, "the body is longer than %zu bytes", r->body_max);
	/* An object of strings: anything nested is refused early. */
	obj = parse_object(body, len, 2, "the body", &no->err);
	if (!obj) {
		no->status = 400;
		return -1;
	}
	json_object_put(req->relay);
	req->relay = NULL;
	ret = r->from_body(obj, &req->relay, no);
	json_object_put(obj);
	return ret;
}

void tn_http_req_release(struct tn_http_req *req)
{
	json_object_put(req->relay);
	memset(req, 0, sizeof(*req));
}

int tn_http_parse_reply(const char *buf, size_t len, int *status,
			json_object **body, struct tn_err *err)
{
	json_object *reply, *st, *b;
	long long v;

	/* Deep enough for the quote's event log (reply, body, list, entry). */
	reply = parse_object(buf, len, 16, "the agent's reply", err);
	if (!reply)
		return -1;
	if (!json_object_object_get_ex(reply, "status", &st) ||
	    !json_object_is_type(st, json_type_int)) {
		json_object_put(reply);
		return tn_fail(err, "the agent's reply has no integer \"status\"");
	}
	v = json_object_get_int64(st);
	if (v < 200 || v > 599) {
		json_object_put(reply);
		return tn_fail(err, "the agent's reply has status %lld, not 200..599", v);
	}
	if (!json_object_object_get_ex(reply, "body", &b) ||
	    !json_object_is_type(b, json_type_object)) {
		json_object_put(reply);
		return tn_fail(err, "the agent's reply has no object \"body\"");
	}
	*status = (int)v;
	*body = json_object_get(b);
	json_object_put(reply);
	return 0;
}

json_object *tn_http_error_body(const char *msg)
{
	json_object *o = json_object_new_object();

	if (o && json_object_object_add(o, "error", json_object_new_string(msg))) {
		json_object_put(o);
		return NULL;
	}
	return o;
}
