// SPDX-License-Identifier: GPL-2.0-only
/*
 * The registry as JSON: the objects replies and records show, and
 * state.json, saved atomically (a sibling, fsync, rename) and loaded
 * strictly (a damaged file stops the agent rather than starting it with
 * less than it knew). Apart from the model (registry.c) so that the rules
 * of the data and the format of the file change independently.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "proto.h"
#include "registry.h"

/* ---- objects -------------------------------------------------------- */

json_object *registry_label_names(const struct registry *r, uint64_t bits)
{
	json_object *a = json_object_new_array();
	int i;

	for (i = 0; i < 64; i++) {
		if (!(bits & (1ULL << i)))
			continue;
		json_object_array_add(a, json_object_new_string(
			i < r->nlabels ? r->labels[i] : "?unknown-label"));
	}
	return a;
}

static const char *source_name(enum tn_source s)
{
	return s == TN_SRC_POLICY ? "policy" : s == TN_SRC_DERIVED ? "derived" :
	       s == TN_SRC_PEER ? "peer" : "admin";
}

static enum tn_source source_of(const char *s)
{
	if (s && !strcmp(s, "policy"))
		return TN_SRC_POLICY;
	if (s && !strcmp(s, "derived"))
		return TN_SRC_DERIVED;
	if (s && !strcmp(s, "peer"))
		return TN_SRC_PEER;
	return TN_SRC_ADMIN;
}

json_object *registry_tag_json(const struct registry *r,
			       const struct reg_tag *t)
{
	json_object *o = json_object_new_object();
	char buf[TN_ADDR_STRLEN + 8];

	if (t->is_net && t->source == TN_SRC_PEER) {
		/* Any port: a peer's clients come from ephemeral ports. */
		tn_format_addr(buf, sizeof(buf), t->ep.family, t->ep.addr);
		json_object_object_add(o, "peer_address", json_object_new_string(buf));
		json_object_object_add(o, "peer", json_object_new_string(
					       t->workload ? t->workload : "?"));
	} else if (t->is_net) {
		tn_format_endpoint(buf, sizeof(buf), t->ep.family, t->ep.addr,
				   t->ep.port);
		json_object_object_add(o, "net", json_object_new_string(buf));
	} else {
		if (t->path) {
			json_object_object_add(o, "path", json_object_new_string(t->path));
		} else {
			/* Derived: BPF knows the inode, not a path. */
			snprintf(buf, sizeof(buf), "inode %llu:%llu:%llu",
				 (unsigned long long)(t->dev >> 20),
				 (unsigned long long)(t->dev & 0xfffff),
				 (unsigned long long)t->ino);
			json_object_object_add(o, "file", json_object_new_string(buf));
		}
		json_object_object_add(o, "dev", json_object_new_int64(t->dev));
		json_object_object_add(o, "ino", json_object_new_int64(t->ino));
	}
	if (t->source == TN_SRC_DERIVED) {
		json_object_object_add(o, "workload", json_object_new_string(
					       t->workload ? t->workload : "?"));
		json_object_object_add(o, "event", json_object_new_int64(t->event));
		json_object_object_add(o, "last_write", json_object_new_int64(t->last_write));
		if (t->handle)
			json_object_object_add(o, "handle", json_object_new_string(t->handle));
	}
	json_object_object_add(o, "labels", registry_label_names(r, t->labels));
	json_object_object_add(o, "source",
			       json_object_new_string(source_name(t->source)));
	return o;
}

json_object *registry_workload_json(const struct registry *r,
				    const struct reg_workload *w)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "name", json_object_new_string(w->name));
	json_object_object_add(o, "cgroup", json_object_new_string(w->cgroup));
	json_object_object_add(o, "cgroup_id", json_object_new_int64(w->cgid));
	if (w->missing)
		json_object_object_add(o, "pending", json_object_new_boolean(1));
	json_object_object_add(o, "id", json_object_new_int64(w->id));
	json_object_object_add(o, "taint", registry_label_names(r, w->taint));
	json_object_object_add(o, "source",
			       json_object_new_string(source_name(w->source)));
	return o;
}

/*
 * Trusted receivers or readers: name, cgroup and id each; a reader whose
 * cgroup has not appeared yet (id 0) is marked pending.
 */
static json_object *cgroups_json(const struct reg_workload *v, int n,
				 int pending)
{
	json_object *a = json_object_new_array();
	int i;

	for (i = 0; i < n; i++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(v[i].name));
		json_object_object_add(o, "cgroup", json_object_new_string(v[i].cgroup));
		json_object_object_add(o, "cgroup_id", json_object_new_int64(v[i].cgid));
		if (pending && !v[i].cgid)
			json_object_object_add(o, "pending", json_object_new_boolean(1));
		json_object_array_add(a, o);
	}
	return a;
}

json_object *registry_trusted_json(const struct registry *r)
{
	return cgroups_json(r->trusted, r->ntrusted, 0);
}

json_object *registry_readers_json(const struct registry *r)
{
	return cgroups_json(r->readers, r->nreaders, 1);
}

json_object *registry_prefixes_json(const struct registry *r)
{
	json_object *a = json_object_new_array();
	char buf[TN_ADDR_STRLEN + 8];
	int i;

	for (i = 0; i < r->nprefixes; i++) {
		tn_format_prefix(buf, sizeof(buf), &r->prefixes[i]);
		json_object_array_add(a, json_object_new_string(buf));
	}
	return a;
}

/* ---- persistence ---------------------------------------------------- */

int registry_save(const struct registry *r, const char *path,
		  struct tn_err *err)
{
	json_object *o = json_object_new_object();
	json_object *labels = json_object_new_array();
	json_object *tags = json_object_new_array();
	json_object *wls = json_object_new_array();
	char tmp[4096];
	const char *s;
	size_t len;
	int fd, i, ret = -1;

	for (i = 0; i < r->nlabels; i++)
		json_object_array_add(labels, json_object_new_string(r->labels[i]));
	for (i = 0; i < r->ntags; i++)
		json_object_array_add(tags, registry_tag_json(r, &r->tags[i]));
	for (i = 0; i < r->nwls; i++)
		json_object_array_add(wls, registry_workload_json(r, &r->wls[i]));
	json_object_object_add(o, "version", json_object_new_int(1));
	json_object_object_add(o, "labels", labels);
	json_object_object_add(o, "next_workload_id",
			       json_object_new_int64(r->next_wl_id));
	json_object_object_add(o, "mode", json_object_new_string(
				       r->enforce ? "enforce" : "audit"));
	json_object_object_add(o, "prefixes_default",
			       json_object_new_boolean(r->prefixes_default));
	json_object_object_add(o, "prefixes", registry_prefixes_json(r));
	if (r->derived_max_age)
		json_object_object_add(o, "derived_max_age",
				       json_object_new_int64(r->derived_max_age));
	if (r->policy_name) {
		json_object_object_add(o, "policy_name",
				       json_object_new_string(r->policy_name));
		json_object_object_add(o, "policy_text",
				       json_object_new_string(r->policy_text));
	}
	json_object_object_add(o, "tags", tags);
	json_object_object_add(o, "workloads", wls);
	json_object_object_add(o, "trusted_receivers", registry_trusted_json(r));
	json_object_object_add(o, "tagged_readers", json_object_new_string(
				       tn_tagged_readers_name(r->tagged_readers)));
	json_object_object_add(o, "trusted_readers", registry_readers_json(r));

	/* Write a sibling, sync, rename: the old state survives a crash. */
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		tn_fail_errno(err, errno, "cannot write %s", tmp);
		goto out;
	}
	s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PRETTY, &len);
	if (write(fd, s, len) != (ssize_t)len || write(fd, "\n", 1) != 1 ||
	    fsync(fd)) {
		tn_fail_errno(err, errno, "cannot write %s", tmp);
		close(fd);
		unlink(tmp);
		goto out;
	}
	close(fd);
	if (rename(tmp, path)) {
		tn_fail_errno(err, errno, "cannot replace %s", path);
		unlink(tmp);
		goto out;
	}
	ret = 0;
out:
	json_object_put(o);
	return ret;
}

static int load_labels(struct registry *r, json_object *arr, uint64_t *bits,
		       struct tn_err *err)
{
	char *names[64];
	int i, n;

	if (!arr || !json_object_is_type(arr, json_type_array) ||
	    (n = json_object_array_length(arr)) > 64)
		return tn_fail(err, "labels must be an array of at most 64 names");
	for (i = 0; i < n; i++) {
		const char *s = json_object_get_string(
			json_object_array_get_idx(arr, i));

		if (!s)
			return tn_fail(err, "a label is not a string");
		names[i] = (char *)s;
	}
	return registry_label_bits(r, names, n, bits, err);
}

static int load_tag(struct registry *r, json_object *o, struct tn_err *err)
{
	struct reg_tag t = { 0 };
	json_object *labels = NULL;
	const char *net = tn_json_str(o, "net");
	const char *path = tn_json_str(o, "path");
	const char *src = tn_json_str(o, "source");
	long long dev, ino;

	json_object_object_get_ex(o, "labels", &labels);
	if (load_labels(r, labels, &t.labels, err))
		return -1;
	t.source = source_of(src);
	if (t.source == TN_SRC_DERIVED) {
		long long ev = 0;

		t.workload = (char *)tn_json_str(o, "workload");
		t.handle = (char *)tn_json_str(o, "handle");
		tn_json_int(o, "event", &ev);
		t.event = ev;
		/* A state from before last_write: its age counts from now. */
		if (tn_json_int(o, "last_write", &ev) || ev <= 0)
			ev = time(NULL);
		t.last_write = ev;
	}
	if (t.source == TN_SRC_PEER) {
		struct tn_prefix pf;
		const char *addr = tn_json_str(o, "peer_address");

		t.workload = (char *)tn_json_str(o, "peer");
		if (!addr || !t.workload || tn_parse_prefix(addr, &pf, err))
			return tn_fail(err, "a peer tag needs peer and peer_address");
		t.is_net = 1;
		t.ep.family = pf.family;
		memcpy(t.ep.addr, pf.addr, sizeof(t.ep.addr));
	} else if (net) {
		t.is_net = 1;
		if (tn_parse_endpoint(net, &t.ep, err))
			return -1;
	} else if ((path || t.source == TN_SRC_DERIVED) &&
		   !tn_json_int(o, "dev", &dev) && !tn_json_int(o, "ino", &ino)) {
		t.path = (char *)path;
		t.dev = dev;
		t.ino = ino;
	} else {
		return tn_fail(err, "a tag has neither net nor path/dev/ino");
	}
	return registry_add_tag(r, &t, err);
}

static int load_workload(struct registry *r, json_object *o,
			 struct tn_err *err)
{
	const char *name = tn_json_str(o, "name");
	const char *cg = tn_json_str(o, "cgroup");
	const char *src = tn_json_str(o, "source");
	json_object *taint = NULL;
	struct reg_workload *w;
	long long cgid, id;
	uint64_t bits;

	if (!name || !cg || tn_json_int(o, "cgroup_id", &cgid) ||
	    tn_json_int(o, "id", &id))
		return tn_fail(err, "a workload lacks name, cgroup, cgroup_id or id");
	json_object_object_get_ex(o, "taint", &taint);
	if (load_labels(r, taint, &bits, err))
		return -1;
	if (registry_add_workload(r, name, cg, cgid, source_of(src), err))
		return -1;
	w = &r->wls[r->nwls - 1];
	w->id = id;
	w->taint = bits;
	return 0;
}

/*
 * trusted_receivers or trusted_readers: a name, a cgroup and its id each.
 * A trusted reader's cgroup may not exist yet (id 0): pending marks it
 * missing until it appears.
 */
static int load_cgroups(json_object *o, const char *key, const char *what,
			int pending, struct reg_workload **out, int *n,
			struct tn_err *e)
{
	json_object *a;
	size_t i, count;

	if (!json_object_object_get_ex(o, key, &a) ||
	    !json_object_is_type(a, json_type_array))
		return 0;
	count = json_object_array_length(a);
	*out = calloc(count + 1, sizeof(**out));
	for (i = 0; *out && i < count; i++) {
		json_object *t = json_object_array_get_idx(a, i);
		const char *tn = tn_json_str(t, "name"), *tc = tn_json_str(t, "cgroup");
		struct reg_workload *w = &(*out)[*n];
		long long id;

		if (!tn || !tc || tn_json_int(t, "cgroup_id", &id)) {
			snprintf(e->msg, sizeof(e->msg), "%s lacks name, cgroup or cgroup_id", what);
			return -1;
		}
		w->name = strdup(tn);
		w->cgroup = strdup(tc);
		w->cgid = id;
		w->missing = pending && !id;
		(*n)++;
	}
	return 0;
}

int registry_load(struct registry *r, const char *path, struct tn_err *err)
{
	json_object *o, *a;
	const char *s;
	long long n;
	size_t i;
	struct tn_err e;

	registry_init(r);
	if (access(path, F_OK) && errno == ENOENT)
		return 0;
	o = json_object_from_file(path);
	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return tn_fail(err, "state file %s is not valid JSON (%s); move it away to start with an empty state", path, json_util_get_last_err());
	}
	if (json_object_object_get_ex(o, "labels", &a)) {
		uint64_t bits;

		if (load_labels(r, a, &bits, &e))
			goto bad;
	}
	if (!tn_json_int(o, "next_workload_id", &n))
		r->next_wl_id = n;
	s = tn_json_str(o, "mode");
	r->enforce = !(s && !strcmp(s, "audit"));
	if (!tn_json_int(o, "derived_max_age", &n) && n > 0)
		r->derived_max_age = n;
	if (json_object_object_get_ex(o, "prefixes", &a) &&
	    json_object_is_type(a, json_type_array)) {
		free(r->prefixes);
		r->nprefixes = 0;
		r->prefixes = calloc(json_object_array_length(a) + 1,
				     sizeof(*r->prefixes));
		for (i = 0; r->prefixes && i < json_object_array_length(a); i++) {
			s = json_object_get_string(json_object_array_get_idx(a, i));
			if (!s || tn_parse_prefix(s, &r->prefixes[r->nprefixes++], &e))
				goto bad;
		}
		r->prefixes_default = json_object_get_boolean(
			json_object_object_get(o, "prefixes_default"));
	}
	if ((s = tn_json_str(o, "policy_name"))) {
		r->policy_name = strdup(s);
		s = tn_json_str(o, "policy_text");
		r->policy_text = strdup(s ? s : "");
	}
	if (json_object_object_get_ex(o, "tags", &a))
		for (i = 0; i < json_object_array_length(a); i++)
			if (load_tag(r, json_object_array_get_idx(a, i), &e))
				goto bad;
	if (json_object_object_get_ex(o, "workloads", &a)) {
		uint32_t next = r->next_wl_id;

		for (i = 0; i < json_object_array_length(a); i++)
			if (load_workload(r, json_object_array_get_idx(a, i), &e))
				goto bad;
		r->next_wl_id = next;
	}
	if (load_cgroups(o, "trusted_receivers", "a trusted receiver", 0,
			 &r->trusted, &r->ntrusted, &e))
		goto bad;
	s = tn_json_str(o, "tagged_readers");
	r->tagged_readers = !s || !strcmp(s, "anyone") ? TN_TAGGED_READERS_ANYONE :
			    !strcmp(s, "workloads") ? TN_TAGGED_READERS_WORKLOADS :
			    !strcmp(s, "workloads-in-lsm-mode") ? TN_TAGGED_READERS_WORKLOADS_LSM : -1;
	if (r->tagged_readers < 0) {
		/* Never read an unknown setting as the permissive default. */
		snprintf(e.msg, sizeof(e.msg), "tagged_readers \"%s\" is not known", s);
		goto bad;
	}
	if (load_cgroups(o, "trusted_readers", "a trusted reader", 1,
			 &r->readers, &r->nreaders, &e))
		goto bad;
	json_object_put(o);
	return 0;
bad:
	json_object_put(o);
	registry_free(r);
	return tn_fail(err, "state file %s is damaged: %s; move it away to start with an empty state", path, e.msg);
}
