// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for trustnode-httpd's validation (agent/httpd/validate.c,
 * included below: the fuzz rule links only common/).
 *
 * Input: the first byte picks what is fuzzed.
 *   even: a request. The rest is split at '\n' into method, target,
 *         Content-Type, Content-Length, Transfer-Encoding (an empty header
 *         field is an absent header), and everything after is the body.
 *   odd:  an agent reply line, as bytes.
 * Invariants: a refusal has a 4xx status (500 only when out of memory) and
 * a sentence, a 405 an Allow header, and nothing to relay; an overlong
 * target is always refused; an accepted request relays exactly one of the
 * documented messages, with lowercase hex of the documented sizes, which
 * reads back the same after serialisation. An accepted reply has a status
 * in 200..599 and an object body that reads back the same.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../../agent/httpd/validate.c"

static void fail(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_httpd_request: %s: '%s'\n", what, detail);
	abort();
}

/* Whether s is lowercase hex of min..max bytes. */
static int lower_hex(const char *s, size_t min, size_t max)
{
	size_t n = s ? strlen(s) : 0;

	return s && n % 2 == 0 && n / 2 >= min && n / 2 <= max &&
	       strspn(s, "0123456789abcdef") == n;
}

/* Serialises o and parses it again: what the agent reads is what was meant. */
static void round_trip(json_object *o, const char *what)
{
	const char *s = json_object_to_json_string_ext(o,
			JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	json_object *again = json_tokener_parse(s);

	if (!again || !json_object_equal(o, again))
		fail(what, s);
	json_object_put(again);
}

static void check_relay(json_object *m)
{
	const char *op = tn_json_str(m, "op");
	const char *s = json_object_to_json_string(m);

	if (!json_object_is_type(m, json_type_object) || !op)
		fail("relay message without op", s);
	if (!strcmp(op, "identity")) {
		if (json_object_object_length(m) != 1)
			fail("identity with extra members", s);
	} else if (!strcmp(op, "quote")) {
		if (json_object_object_length(m) != 2 ||
		    !lower_hex(tn_json_str(m, "nonce"), TN_NONCE_MIN, TN_NONCE_MAX))
			fail("bad quote message", s);
	} else if (!strcmp(op, "log")) {
		long long since, limit;
		int n = json_object_object_length(m);

		/* Without credentials (the agent refuses and counts it), or all three. */
		if ((n != 3 && n != 6) ||
		    tn_json_int(m, "since", &since) || since < 0 ||
		    tn_json_int(m, "limit", &limit) || limit < 1 || limit > TN_AUDIT_PAGE)
			fail("bad log message", s);
		if (n == 6 &&
		    (!lower_hex(tn_json_str(m, "challenge"), TN_LOG_CHALLENGE_LEN, TN_LOG_CHALLENGE_LEN) ||
		     !lower_hex(tn_json_str(m, "peer"), TN_IDKEY_LEN, TN_IDKEY_LEN) ||
		     !lower_hex(tn_json_str(m, "sig"), TN_LOG_SIG_LEN, TN_LOG_SIG_LEN)))
			fail("bad log credentials", s);
	} else if (!strcmp(op, "log-challenge")) {
		if (json_object_object_length(m) != 1)
			fail("log-challenge with extra members", s);
	} else if (!strcmp(op, "activate")) {
		if (json_object_object_length(m) != 3 ||
		    !lower_hex(tn_json_str(m, "id_object"), 1, TN_ENROLL_MAX_ID_OBJECT) ||
		    !lower_hex(tn_json_str(m, "encrypted_secret"), 1, TN_ENROLL_MAX_SECRET))
			fail("bad activate message", s);
	} else {
		fail("unknown op", op);
	}
	round_trip(m, "relay message does not read back");
}

static void check_refusal(const struct tn_http_refusal *no, const struct tn_http_req *req)
{
	if (no->status != 500 && (no->status < 400 || no->status > 499))
		fail("refusal with a bad status", no->err.msg);
	if (!no->err.msg[0])
		fail("refusal without a sentence", "");
	if (no->status == 405 && !no->allow[0])
		fail("405 without Allow", no->err.msg);
	if (req->relay)
		fail("refusal with a message to relay", no->err.msg);
}

/* Splits off the next '\n'-terminated field of *p as a new string. */
static char *field(const char **p, const char *end)
{
	const char *nl = memchr(*p, '\n', end - *p);
	size_t n = (nl ? nl : end) - *p;
	char *s = malloc(n + 1);

	if (!s)
		abort();
	memcpy(s, *p, n);
	s[n] = '\0';
	*p = nl ? nl + 1 : end;
	return s;
}

static void fuzz_request(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	char *f[5];
	struct tn_http_head head;
	struct tn_http_refusal no;
	struct tn_http_req req;
	char *body;
	size_t body_len;

	for (int i = 0; i < 5; i++)
		f[i] = field(&p, end);
	/* The body without a terminating NUL, so that over-reads show. */
	body_len = end - p;
	body = malloc(body_len ? body_len : 1);
	if (!body)
		abort();
	memcpy(body, p, body_len);

	head = (struct tn_http_head){
		.method = f[0],
		.target = f[1],
		.content_type = f[2][0] ? f[2] : NULL,
		.content_length = f[3][0] ? f[3] : NULL,
		.transfer_encoding = f[4][0] ? f[4] : NULL,
	};
	if (tn_http_check_head(&head, &req, &no)) {
		check_refusal(&no, &req);
		if (strlen(f[1]) > TN_HTTP_MAX_URL && no.status != 414)
			fail("overlong target not refused with 414", no.err.msg);
	} else {
		if (strlen(f[1]) > TN_HTTP_MAX_URL)
			fail("overlong target accepted", f[1]);
		if (!req.route || req.body_len > TN_HTTP_MAX_BODY)
			fail("accepted head without a route or with a large body", f[1]);
		/* As serve.c does: the body as announced, at most. */
		if (body_len > req.body_len)
			body_len = req.body_len;
		if (tn_http_check_body(&req, body, body_len, &no)) {
			check_refusal(&no, &req);
		} else {
			if (!req.relay)
				fail("accepted request with nothing to relay", f[1]);
			check_relay(req.relay);
		}
	}
	tn_http_req_release(&req);
	for (int i = 0; i < 5; i++)
		free(f[i]);
	free(body);
}

static void fuzz_reply(const uint8_t *data, size_t size)
{
	struct tn_err err = { .msg = "" };
	char *buf = malloc(size ? size : 1);
	json_object *body = NULL;
	int status = 0;

	if (!buf)
		abort();
	memcpy(buf, data, size);
	if (tn_http_parse_reply(buf, size, &status, &body, &err)) {
		if (!err.msg[0])
			fail("reply refused without a sentence", "");
		if (body)
			fail("refused reply with a body", err.msg);
	} else {
		if (status < 200 || status > 599 || !body ||
		    !json_object_is_type(body, json_type_object))
			fail("accepted a bad reply", json_object_to_json_string(body));
		round_trip(body, "reply body does not read back");
	}
	json_object_put(body);
	free(buf);
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
	if (!size)
		return 0;
	if (data[0] & 1)
		fuzz_reply(data + 1, size - 1);
	else
		fuzz_request(data + 1, size - 1);
	return 0;
}
