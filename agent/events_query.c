// SPDX-License-Identifier: GPL-2.0-only
/*
 * trustctl events, read back from the audit log: every event is one audit
 * record (events.c), so there is one record of what happened and one
 * numbering. An event is shown as the record's type, its data, its seq and
 * its time. The log's own structure (log-start, checkpoints) is not an
 * event and is left out; trustctl log tail shows everything.
 */
#include <stdlib.h>
#include <string.h>
#include "agent.h"
#include "audit_segments.h"
#include "audit_writer.h"
#include "proto.h"

struct query {
	long long since;
	json_object *found;		/* this segment's events, in order */
};

/* The record as an event object; NULL when it is not an event. */
static json_object *event_of(const char *line)
{
	json_object *rec = json_tokener_parse(line), *data, *o = NULL;
	const char *type = tn_json_str(rec, "type");

	data = json_object_object_get(rec, "data");
	if (type && strcmp(type, "log-start") && strcmp(type, "checkpoint") &&
	    json_object_is_type(data, json_type_object)) {
		o = json_object_new_object();
		json_object_object_add(o, "type", json_object_new_string(type));
		json_object_object_foreach(data, k, v) {
			/* Records from before events lived here repeat these. */
			if (strcmp(k, "type") && strcmp(k, "seq") && strcmp(k, "time"))
				json_object_object_add(o, k, json_object_get(v));
		}
		json_object_object_add(o, "seq", json_object_get(
					       json_object_object_get(rec, "seq")));
		json_object_object_add(o, "time", json_object_get(
					       json_object_object_get(rec, "time")));
	}
	json_object_put(rec);
	return o;
}

static int query_line(void *ctx, const struct tn_audit_line *l)
{
	struct query *q = ctx;
	json_object *o;
	uint64_t seq;

	/* A torn tail is the writer's to repair; an unreadable line is the verifier's to name. */
	if (l->torn || tn_audit_line_seq(l->text, l->len, &seq) ||
	    (long long)seq <= q->since)
		return 0;
	o = event_of(l->text);
	if (o)
		json_object_array_add(q->found, o);
	return 0;
}

/* before's elements after after's, into a new array; both are released. */
static json_object *join(json_object *before, json_object *after)
{
	json_object *out = json_object_new_array();

	for (size_t i = 0; i < json_object_array_length(before); i++)
		json_object_array_add(out, json_object_get(json_object_array_get_idx(before, i)));
	for (size_t i = 0; i < json_object_array_length(after); i++)
		json_object_array_add(out, json_object_get(json_object_array_get_idx(after, i)));
	json_object_put(before);
	json_object_put(after);
	return out;
}

json_object *events_query(struct agent *a, long long limit, long long since)
{
	struct query q = { .since = since };
	json_object *all = json_object_new_array(), *out;
	struct tn_err err;
	char **names;
	size_t n_all;
	int n, from;
	off_t off;

	/* What this turn recorded is read back too. */
	audit_commit(a);
	if (!a->audit || tn_audit_segments(a->audit->dir, &names, &n, &err))
		return all;
	/* Newest segment first, until enough: a small limit reads little. */
	from = n ? tn_audit_seg_holding(names, n, since < 0 ? 0 : (uint64_t)since + 1) : 0;
	for (int i = n - 1; i >= from; i--) {
		q.found = json_object_new_array();
		off = 0;
		tn_audit_read_segment(a->audit->dir, names[i], NULL, &off, 0,
				      query_line, &q, &err);
		all = join(q.found, all);
		if (limit > 0 && json_object_array_length(all) >= (size_t)limit)
			break;
	}
	tn_audit_segments_free(names, n);
	n_all = json_object_array_length(all);
	if (limit <= 0 || (size_t)limit >= n_all)
		return all;
	out = json_object_new_array();
	for (size_t i = n_all - limit; i < n_all; i++)
		json_object_array_add(out, json_object_get(json_object_array_get_idx(all, i)));
	json_object_put(all);
	return out;
}
