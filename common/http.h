/* SPDX-License-Identifier: GPL-2.0-only */
/* The HTTP client (libcurl) for a peer's attestation API: trustctl and the agent. */
#ifndef TN_TOOLS_HTTP_H
#define TN_TOOLS_HTTP_H

#include <json-c/json.h>
#include "err.h"

#define HTTP_MAX_REPLY	(4 * 1024 * 1024)
#define HTTP_TIMEOUT_S	15

/*
 * GET base+path, or POST post_json there when it is not NULL. Succeeds only
 * for a 200 answer that is a JSON object (in *out); otherwise err says what
 * the peer answered, including its {"error": ...} sentence.
 */
int http_json(const char *base, const char *path, const char *post_json,
	      json_object **out, struct tn_err *err);

#endif
