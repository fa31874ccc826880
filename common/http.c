// SPDX-License-Identifier: GPL-2.0-only
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include "http.h"
#include "proto.h"

struct buf {
	char *data;
	size_t len;
	int overflow;
};

static size_t collect(char *p, size_t size, size_t nmemb, void *arg)
{
	struct buf *b = arg;
	size_t n = size * nmemb;
	char *d;

	if (b->len + n > HTTP_MAX_REPLY) {
		b->overflow = 1;
		return 0;	/* makes curl stop with a write error */
	}
	d = realloc(b->data, b->len + n + 1);
	if (!d)
		return 0;
	memcpy(d + b->len, p, n);
	b->data = d;
	b->len += n;
	d[b->len] = '\0';
	return n;
}

int http_json(const char *base, const char *path, const char *post_json,
	      json_object **out, struct tn_err *err)
{
	struct curl_slist *hdr = NULL;
	struct buf b = { 0 };
	char url[1024];
	size_t blen = strlen(base);
	CURL *c;
	CURLcode rc;
	long status = 0;
	int ret = -1;

	*out = NULL;
	/* No double slash when the base URL ends in one. */
	snprintf(url, sizeof(url), "%.*s%s",
		 (int)(blen && base[blen - 1] == '/' ? blen - 1 : blen), base, path);
	c = curl_easy_init();
	if (!c)
		return tn_fail(err, "libcurl failed to initialise");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)HTTP_TIMEOUT_S);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	if (post_json) {
		hdr = curl_slist_append(hdr, "Content-Type: application/json");
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, post_json);
	}
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (rc != CURLE_OK) {
		tn_fail(err, "%s: %s", url, b.overflow ?
			"the answer is larger than 4 MiB" : curl_easy_strerror(rc));
		goto out;
	}
	*out = b.data ? json_tokener_parse(b.data) : NULL;
	if (!*out || !json_object_is_type(*out, json_type_object)) {
		tn_fail(err, "%s answered HTTP %ld with something that is not a JSON object",
			url, status);
		goto out;
	}
	if (status != 200) {
		const char *msg = tn_json_str(*out, "error");

		tn_fail(err, "%s answered HTTP %ld: %s", url, status,
			msg ? msg : "(no error message)");
		goto out;
	}
	ret = 0;
out:
	if (ret) {
		json_object_put(*out);
		*out = NULL;
	}
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c);
	free(b.data);
	return ret;
}
