/* SPDX-License-Identifier: GPL-2.0-only */
/* Framing of control-socket messages: one JSON object per line. */
#ifndef TN_PROTO_H
#define TN_PROTO_H

#include <json-c/json.h>
#include <stdarg.h>
#include <stddef.h>
#include "err.h"

/*
 * Parses one request: a JSON object with a string "cmd". Rejects anything
 * else with a sentence in err. The caller owns the returned object.
 */
json_object *tn_parse_request(const char *buf, size_t len, struct tn_err *err);

/* Reads one line (up to max bytes, within timeout_ms) from fd. */
int tn_read_message(int fd, char **out, size_t *len, size_t max,
		    int timeout_ms, struct tn_err *err);
/* Writes obj as one line to fd. */
int tn_write_message(int fd, json_object *obj, struct tn_err *err);

/* Accessors that treat a missing or mistyped member as absent. */
const char *tn_json_str(json_object *o, const char *key);
int tn_json_int(json_object *o, const char *key, long long *out);
/* A JSON string of fmt's text, cut at 1 KiB (a sentence, not a document). */
json_object *tn_json_vstringf(const char *fmt, va_list ap)
	__attribute__((format(printf, 1, 0)));

#endif
