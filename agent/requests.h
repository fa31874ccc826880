/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the request handlers share (requests*.c): the reply under
 * construction, its failure helpers, the administrative record, and the
 * handlers the dispatch table in requests.c names. Internal to those files.
 */
#ifndef TN_REQUESTS_H
#define TN_REQUESTS_H

#include <stdarg.h>
#include <stdio.h>
#include <json-c/json.h>
#include "err.h"

struct agent;

struct reply {
	json_object *o;
	int code;		/* enum tn_exit when the request failed */
	struct tn_err err;
};

static inline int fail(struct reply *r, int code)
{
	r->code = code;
	return -1;
}

static inline int failf(struct reply *r, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static inline int failf(struct reply *r, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->err.msg, sizeof(r->err.msg), fmt, ap);
	va_end(ap);
	return fail(r, code);
}

/*
 * An administrative record (takes obj): what changed and who asked, so a
 * change from an unexpected place stands out in the log.
 */
void requests_record(struct agent *a, const char *type, json_object *obj);
/* The cgroup is below trustnoded's, where the programs are attached. */
int requests_below_root(struct agent *a, const char *cgroup,
			struct tn_err *err);

#define REQUEST_HANDLER(name) \
	int name(struct agent *a, json_object *req, struct reply *r)

/* requests_policy.c: what the node enforces, and loading a policy. */
REQUEST_HANDLER(h_status);
REQUEST_HANDLER(h_policy_show);
REQUEST_HANDLER(h_policy_load);
/* requests_tags.c */
REQUEST_HANDLER(h_tag_add);
REQUEST_HANDLER(h_tag_remove);
REQUEST_HANDLER(h_tag_prune);
REQUEST_HANDLER(h_tag_list);
/* requests_workloads.c */
REQUEST_HANDLER(h_workload_add);
REQUEST_HANDLER(h_workload_remove);
REQUEST_HANDLER(h_workload_reset);
REQUEST_HANDLER(h_workload_resolve);
REQUEST_HANDLER(h_workload_list);

#endif
