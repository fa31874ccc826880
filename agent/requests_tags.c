// SPDX-License-Identifier: GPL-2.0-only
/*
 * tag.add, tag.remove, tag.prune and tag.list: the administrator's tags
 * on files and endpoints (policy tags change only with the policy file,
 * derived tags only by untag, prune or expiry). Apart from the dispatch so
 * that the rules of who may remove which tag stay in one short file.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "agent.h"
#include "requests.h"
#include "proto.h"
#include "trustnode/control_proto.h"

/* The tag a request names: a path (resolved now) or an endpoint. */
static int request_tag(json_object *req, struct reg_tag *t, struct reply *r)
{
	const char *path = tn_json_str(req, "path");
	const char *net = tn_json_str(req, "net");

	memset(t, 0, sizeof(*t));
	t->source = TN_SRC_ADMIN;
	if (!!path == !!net)
		return failf(r, TN_EXIT_INVALID, "give exactly one of \"path\" or \"net\"");
	if (net) {
		t->is_net = 1;
		if (tn_parse_endpoint(net, &t->ep, &r->err))
			return fail(r, TN_EXIT_INVALID);
		return 0;
	}
	t->path = (char *)path;
	if (tn_stat_tag_path(path, &t->dev, &t->ino, &r->err))
		return fail(r, errno == ENOENT ? TN_EXIT_NOT_FOUND : TN_EXIT_INVALID);
	return 0;
}

int h_tag_add(struct agent *a, json_object *req, struct reply *r)
{
	json_object *labels = NULL;
	struct registry next;
	struct reg_tag t;
	char *names[64];
	int i, n;

	if (request_tag(req, &t, r))
		return -1;
	if (!json_object_object_get_ex(req, "labels", &labels) ||
	    !json_object_is_type(labels, json_type_array) ||
	    (n = json_object_array_length(labels)) < 1 || n > 64)
		return failf(r, TN_EXIT_INVALID, "\"labels\" must be an array of 1 to 64 names");
	for (i = 0; i < n; i++) {
		json_object *l = json_object_array_get_idx(labels, i);

		if (!json_object_is_type(l, json_type_string))
			return failf(r, TN_EXIT_INVALID, "labels must be strings");
		names[i] = (char *)json_object_get_string(l);
	}
	state_taint_from_kernel(a);
	if (registry_copy(&next, &a->reg))
		goto oom;
	if (registry_label_bits(&next, names, n, &t.labels, &r->err) ||
	    registry_add_tag(&next, &t, &r->err)) {
		registry_free(&next);
		return fail(r, TN_EXIT_INVALID);
	}
	if (agent_commit(a, &next, &r->err)) {
		registry_free(&next);
		return fail(r, TN_EXIT_FAILED);
	}
	for (i = 0; i < a->reg.ntags; i++) {
		const struct reg_tag *rt = &a->reg.tags[i];

		if (rt->source == TN_SRC_ADMIN && registry_same_source(rt, &t)) {
			json_object_object_add(r->o, "tag", registry_tag_json(&a->reg, rt));
			requests_record(a, "tag-add", json_object_get(
				json_object_object_get(r->o, "tag")));
		}
	}
	return 0;
oom:
	registry_free(&next);
	return failf(r, TN_EXIT_FAILED, "out of memory");
}

int h_tag_remove(struct agent *a, json_object *req, struct reply *r)
{
	const char *path = tn_json_str(req, "path");
	struct registry next;
	struct reg_tag t;
	int i, found = -1, from_policy = 0;
	char what[600];

	if (request_tag(req, &t, r)) {
		/* A tagged file that is gone can still be untagged by path. */
		if (!path || r->code != TN_EXIT_NOT_FOUND)
			return -1;
		t.path = (char *)path;
		t.dev = t.ino = (uint64_t)-1;
	}
	for (i = 0; i < a->reg.ntags; i++) {
		const struct reg_tag *rt = &a->reg.tags[i];
		/* A file that is gone can still be named by its path. */
		int match = registry_same_source(rt, &t) ||
			    (!t.is_net && !rt->is_net && rt->path && !strcmp(rt->path, t.path));

		if (!match)
			continue;
		if (rt->source == TN_SRC_POLICY)
			from_policy = 1;
		else
			found = i;
	}
	if (found < 0)
		return failf(r, from_policy ? TN_EXIT_INVALID : TN_EXIT_NOT_FOUND,
			     from_policy ? "that tag comes from the policy file; remove it there and run trustctl policy load" :
			     "no tag on %s (see trustctl tag list)", path ? path : tn_json_str(req, "net"));
	/* A derived tag lives in its own map, which no sync prunes. */
	if (a->reg.tags[found].source == TN_SRC_DERIVED &&
	    maps_derived_remove(a, a->reg.tags[found].dev, a->reg.tags[found].ino, &r->err))
		return fail(r, TN_EXIT_FAILED);
	state_taint_from_kernel(a);
	if (registry_copy(&next, &a->reg)) {
		registry_free(&next);
		return failf(r, TN_EXIT_FAILED, "out of memory");
	}
	json_object_object_add(r->o, "tag", registry_tag_json(&a->reg, &a->reg.tags[found]));
	registry_remove_tag(&next, found);
	if (agent_commit(a, &next, &r->err)) {
		registry_free(&next);
		return fail(r, TN_EXIT_FAILED);
	}
	requests_record(a, "tag-remove", json_object_get(json_object_object_get(r->o, "tag")));
	/* Data under that tag no longer taints: peers must see it. */
	snprintf(what, sizeof(what), "untag %.500s", path ? path :
		 tn_json_str(req, "net") ? tn_json_str(req, "net") : "?");
	measure_weakening(a, what);
	return 0;
}

int h_tag_prune(struct agent *a, json_object *req, struct reply *r)
{
	state_taint_from_kernel(a);
	if (derived_prune(a, r->o, &r->err))
		return fail(r, TN_EXIT_FAILED);
	return 0;
}

int h_tag_list(struct agent *a, json_object *req, struct reply *r)
{
	json_object *tags = json_object_new_array();
	int i;

	for (i = 0; i < a->reg.ntags; i++)
		json_object_array_add(tags, registry_tag_json(&a->reg, &a->reg.tags[i]));
	json_object_object_add(r->o, "tags", tags);
	return 0;
}
