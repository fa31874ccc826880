// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "proto.h"

json_object *tn_parse_request(const char *buf, size_t len, struct tn_err *err)
{
	struct json_tokener *tok;
	json_object *obj;
	enum json_tokener_error jerr;

	while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	if (len == 0) {
		tn_fail(err, "empty request");
		return NULL;
	}
	if (memchr(buf, '\0', len)) {
		tn_fail(err, "request contains a NUL byte");
		return NULL;
	}
	tok = json_tokener_new_ex(32);
	if (!tok) {
		tn_fail(err, "out of memory");
		return NULL;
	}
	obj = json_tokener_parse_ex(tok, buf, len);
	jerr = json_tokener_get_error(tok);
	if (!obj || jerr != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != len) {
		tn_fail(err, "request is not one JSON object: %s",
			obj ? "trailing data" : json_tokener_error_desc(jerr == json_tokener_continue ? json_tokener_error_parse_eof : jerr));
		json_object_put(obj);
		json_tokener_free(tok);
		return NULL;
	}
	json_tokener_free(tok);
	if (!json_object_is_type(obj, json_type_object) ||
	    !tn_json_str(obj, "cmd")) {
		tn_fail(err, "request must be a JSON object with a string \"cmd\"");
		json_object_put(obj);
		return NULL;
	}
	return obj;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

int tn_read_message(int fd, char **out, size_t *len, size_t max,
		    int timeout_ms, struct tn_err *err)
{
	long long deadline = now_ms() + timeout_ms;
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);

	if (!buf)
		return tn_fail(err, "out of memory");
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		long long left = deadline - now_ms();
		ssize_t r;

		if (left <= 0 || poll(&pfd, 1, left) <= 0) {
			free(buf);
			return tn_fail(err, "timed out waiting for a message");
		}
		if (n + 1 >= cap) {
			char *nb;

			if (cap > max) {
				free(buf);
				return tn_fail(err, "message larger than %zu bytes", max);
			}
			cap *= 2;
			nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				return tn_fail(err, "out of memory");
			}
			buf = nb;
		}
		r = read(fd, buf + n, cap - n - 1);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r < 0) {
			int e = errno;

			free(buf);
			return tn_fail_errno(err, e, "read");
		}
		if (r == 0)
			break;
		n += r;
		if (memchr(buf + n - r, '\n', r))
			break;
		if (n > max) {
			free(buf);
			return tn_fail(err, "message larger than %zu bytes", max);
		}
	}
	if (n > max) {
		free(buf);
		return tn_fail(err, "message larger than %zu bytes", max);
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

int tn_write_message(int fd, json_object *obj, struct tn_err *err)
{
	size_t len;
	const char *s = json_object_to_json_string_length(obj,
				JSON_C_TO_STRING_PLAIN, &len);
	size_t off = 0;

	while (off < len + 1) {
		const char *p = off < len ? s + off : "\n";
		size_t want = off < len ? len - off : 1;
		ssize_t w = write(fd, p, want);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return tn_fail_errno(err, errno, "write");
		off += w;
	}
	return 0;
}

const char *tn_json_str(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	/* "\u0000" would silently cut a name or path short: refuse it. */
	if (strlen(json_object_get_string(v)) !=
	    (size_t)json_object_get_string_len(v))
		return NULL;
	return json_object_get_string(v);
}

int tn_json_int(json_object *o, const char *key, long long *out)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return -1;
	*out = json_object_get_int64(v);
	return 0;
}

json_object *tn_json_vstringf(const char *fmt, va_list ap)
{
	char text[1024];

	vsnprintf(text, sizeof(text), fmt, ap);
	return json_object_new_string(text);
}
