/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What trustnode-httpd accepts, as pure functions of bytes: no sockets and
 * no libmicrohttpd, so that tests/fuzz/fuzz_httpd_request.c can drive them.
 *
 * A request is checked as it arrives: its head (method, raw target, the
 * headers about the body) before any body byte is read, then its body.
 * The outcome is either the one JSON message to relay to the agent (see
 * include/trustnode/attest_api.h) or a refusal: an HTTP status and a sentence.
 * The target is matched as sent: percent-encoding is not decoded, since no
 * valid request needs it.
 *
 * The agent's reply is checked here too, before it reaches a client.
 */
#ifndef TN_HTTPD_VALIDATE_H
#define TN_HTTPD_VALIDATE_H

#include <json-c/json.h>
#include <stddef.h>
#include "err.h"

/* Decoded sizes of the enrolment challenge (TPM2B_ID_OBJECT, TPM2B_ENCRYPTED_SECRET). */
#define TN_ENROLL_MAX_ID_OBJECT	256
#define TN_ENROLL_MAX_SECRET	512
/* Largest reply line the agent may send: a quote with a long event log. */
#define TN_HTTPD_MAX_REPLY	(1 << 20)

/* A refused request: status, sentence, and for a 405 the Allow header. */
struct tn_http_refusal {
	int status;
	char allow[64];
	struct tn_err err;
};

/* The request's head as libmicrohttpd read it; NULL for an absent header. */
struct tn_http_head {
	const char *method;
	const char *target;		/* raw request target, query included */
	const char *content_type;
	const char *content_length;
	const char *transfer_encoding;
};

struct tn_http_route;

/* A request whose head was accepted. */
struct tn_http_req {
	const struct tn_http_route *route;
	size_t body_len;		/* announced by Content-Length */
	json_object *relay;		/* the agent message once complete; owned */
};

/*
 * Checks the head: target length (414), form (400), path (404), method
 * (405), query (400), and the body's announced type and size (415, 411,
 * 413, 400). For a route without body the relay message is complete after
 * this. Returns 0, or -1 with *no filled.
 */
int tn_http_check_head(const struct tn_http_head *head,
		       struct tn_http_req *req, struct tn_http_refusal *no);
/*
 * Checks the body (len bytes, not NUL-terminated) of a request whose head
 * was accepted and completes req->relay. Returns 0, or -1 with *no filled.
 */
int tn_http_check_body(struct tn_http_req *req, const char *body, size_t len,
		       struct tn_http_refusal *no);
/* Frees what req holds; req may then be reused. */
void tn_http_req_release(struct tn_http_req *req);

/*
 * Parses the agent's reply line {"status":200..599,"body":{...}}; other
 * members are ignored. On success *body is a new reference.
 */
int tn_http_parse_reply(const char *buf, size_t len, int *status,
			json_object **body, struct tn_err *err);

/* {"error":msg}, or NULL when out of memory. */
json_object *tn_http_error_body(const char *msg);

#endif
