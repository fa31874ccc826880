// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for the control protocol: tn_parse_request() on the raw
 * bytes (no terminating NUL, so over-reads show), and the address parsers of
 * addr.h on the input as a string and on the string members of a request.
 * Invariants: an accepted request is an object with a string "cmd" and is
 * accepted again after tn_write_message()'s serialisation; a prefix or
 * endpoint that parses formats to text that parses to the same value.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "addr.h"
#include "proto.h"

static void fail(const char *what, const char *s)
{
	fprintf(stderr, "fuzz_request: %s: '%s'\n", what, s);
	abort();
}

static void check_prefix(const char *s)
{
	struct tn_prefix a, b;
	struct tn_err err;
	char buf[TN_ADDR_STRLEN + 8];

	if (tn_parse_prefix(s, &a, &err)) {
		if (!err.msg[0])
			fail("prefix rejected without a message", s);
		return;
	}
	if ((a.family != AF_INET && a.family != AF_INET6) ||
	    a.len > (a.family == AF_INET ? 32 : 128))
		fail("prefix parsed to a bad value", s);
	if (!tn_prefix_contains(&a, a.family, a.addr))
		fail("prefix does not contain its own address", s);
	tn_format_prefix(buf, sizeof(buf), &a);
	if (tn_parse_prefix(buf, &b, &err))
		fail("formatted prefix does not parse", buf);
	if (memcmp(&a, &b, sizeof(a)))
		fail("prefix round trip changed the value", buf);
}

static void check_endpoint(const char *s)
{
	struct tn_endpoint a, b;
	struct tn_err err;
	char buf[TN_ADDR_STRLEN + 16];

	if (tn_parse_endpoint(s, &a, &err)) {
		if (!err.msg[0])
			fail("endpoint rejected without a message", s);
		return;
	}
	if ((a.family != AF_INET && a.family != AF_INET6) || !a.port)
		fail("endpoint parsed to a bad value", s);
	tn_format_endpoint(buf, sizeof(buf), a.family, a.addr, a.port);
	if (tn_parse_endpoint(buf, &b, &err))
		fail("formatted endpoint does not parse", buf);
	if (a.family != b.family || a.port != b.port ||
	    memcmp(a.addr, b.addr, sizeof(a.addr)))
		fail("endpoint round trip changed the value", buf);
}

static void check_addrs(const char *s)
{
	check_prefix(s);
	check_endpoint(s);
}

static void check_request(json_object *req)
{
	const char *s;
	json_object *again;
	struct tn_err err;
	size_t len;

	if (!json_object_is_type(req, json_type_object) ||
	    !tn_json_str(req, "cmd"))
		fail("accepted a request without a string cmd", "");
	/* What the daemon and trustctl write must read back. */
	s = json_object_to_json_string_length(req, JSON_C_TO_STRING_PLAIN, &len);
	again = tn_parse_request(s, len, &err);
	if (!again)
		fail("re-serialised request rejected", err.msg);
	json_object_put(again);

	/* The daemon feeds request strings ("net", ...) to these parsers. */
	json_object_object_foreach(req, key, val) {
		(void)key;
		if (json_object_is_type(val, json_type_string)) {
			check_addrs(json_object_get_string(val));
		} else if (json_object_is_type(val, json_type_array)) {
			size_t i, n = json_object_array_length(val);

			for (i = 0; i < n && i < 16; i++) {
				json_object *e = json_object_array_get_idx(val, i);

				if (json_object_is_type(e, json_type_string))
					check_addrs(json_object_get_string(e));
			}
		}
	}
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
	struct tn_err err;
	json_object *req;
	char *text;

	memset(&err, 0, sizeof(err));
	req = tn_parse_request((const char *)data, size, &err);
	if (req) {
		check_request(req);
		json_object_put(req);
	} else if (!err.msg[0]) {
		fail("request rejected without a message", "");
	}

	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	check_addrs(text);
	free(text);
	return 0;
}
