// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>
#include "proto.h"
#include "registry.h"

/* r->prefixes from one of common/addr.c's lists; -1 when out of memory. */
static int set_listed_prefixes(struct registry *r, const char *const *list)
{
	int i, n = 0;

	while (list[n])
		n++;
	free(r->prefixes);
	r->prefixes = calloc(n, sizeof(*r->prefixes));
	r->nprefixes = 0;
	r->prefixes_default = list == tn_default_prefixes;
	for (i = 0; r->prefixes && i < n; i++)
		if (!tn_parse_prefix(list[i], &r->prefixes[r->nprefixes], NULL))
			r->nprefixes++;
	return r->prefixes ? 0 : -1;
}

void registry_init(struct registry *r)
{
	memset(r, 0, sizeof(*r));
	r->enforce = 1;
	r->next_wl_id = 1;
	set_listed_prefixes(r, tn_default_prefixes);
}

static void free_tag(struct reg_tag *t)
{
	free(t->path);
	free(t->workload);
	free(t->handle);
}

static void free_workload(struct reg_workload *w)
{
	free(w->name);
	free(w->cgroup);
}

void registry_free(struct registry *r)
{
	int i;

	for (i = 0; i < r->nlabels; i++)
		free(r->labels[i]);
	for (i = 0; i < r->ntags; i++)
		free_tag(&r->tags[i]);
	for (i = 0; i < r->nwls; i++)
		free_workload(&r->wls[i]);
	for (i = 0; i < r->ntrusted; i++)
		free_workload(&r->trusted[i]);
	for (i = 0; i < r->nreaders; i++)
		free_workload(&r->readers[i]);
	free(r->tags);
	free(r->wls);
	free(r->trusted);
	free(r->readers);
	free(r->prefixes);
	free(r->peer_prefixes);
	free(r->policy_name);
	free(r->policy_text);
	memset(r, 0, sizeof(*r));
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

int registry_copy(struct registry *d, const struct registry *s)
{
	int i;

	memset(d, 0, sizeof(*d));
	*d = *s;
	d->tags = calloc(s->ntags + 1, sizeof(*d->tags));
	d->wls = calloc(s->nwls + 1, sizeof(*d->wls));
	d->trusted = calloc(s->ntrusted + 1, sizeof(*d->trusted));
	d->readers = calloc(s->nreaders + 1, sizeof(*d->readers));
	d->prefixes = calloc(s->nprefixes + 1, sizeof(*d->prefixes));
	d->peer_prefixes = calloc(s->npeer_prefixes + 1, sizeof(*d->peer_prefixes));
	d->policy_name = dup_or_null(s->policy_name);
	d->policy_text = dup_or_null(s->policy_text);
	for (i = 0; i < s->nlabels; i++)
		d->labels[i] = strdup(s->labels[i]);
	if (!d->tags || !d->wls || !d->prefixes || !d->trusted || !d->peer_prefixes ||
	    !d->readers)
		goto oom;
	memcpy(d->prefixes, s->prefixes, s->nprefixes * sizeof(*d->prefixes));
	memcpy(d->peer_prefixes, s->peer_prefixes,
	       s->npeer_prefixes * sizeof(*d->peer_prefixes));
	for (i = 0; i < s->ntags; i++) {
		d->tags[i] = s->tags[i];
		d->tags[i].path = dup_or_null(s->tags[i].path);
		d->tags[i].workload = dup_or_null(s->tags[i].workload);
		d->tags[i].handle = dup_or_null(s->tags[i].handle);
	}
	for (i = 0; i < s->nwls; i++) {
		d->wls[i] = s->wls[i];
		d->wls[i].name = strdup(s->wls[i].name);
		d->wls[i].cgroup = strdup(s->wls[i].cgroup);
	}
	for (i = 0; i < s->ntrusted; i++) {
		d->trusted[i] = s->trusted[i];
		d->trusted[i].name = strdup(s->trusted[i].name);
		d->trusted[i].cgroup = strdup(s->trusted[i].cgroup);
	}
	for (i = 0; i < s->nreaders; i++) {
		d->readers[i] = s->readers[i];
		d->readers[i].name = strdup(s->readers[i].name);
		d->readers[i].cgroup = strdup(s->readers[i].cgroup);
	}
	return 0;
oom:
	/* Leave d freeable: counts must match what was allocated. */
	d->ntags = d->nwls = d->ntrusted = d->nreaders = 0;
	return -1;
}

/* ---- labels --------------------------------------------------------- */

int registry_label_bits(struct registry *r, char *const *names, int n,
			uint64_t *bits, struct tn_err *err)
{
	int i, j;

	*bits = 0;
	for (i = 0; i < n; i++) {
		for (j = 0; j < r->nlabels; j++)
			if (!strcmp(r->labels[j], names[i]))
				break;
		if (j == r->nlabels) {
			if (!tn_valid_name(names[i]))
				return tn_fail(err, "label '%s' must be 1-%d characters of a-z 0-9 _ . -", names[i], TN_NAME_MAX);
			if (r->nlabels == 64)
				return tn_fail(err, "label '%s' would be the 65th label on this node; at most 64 are supported", names[i]);
			r->labels[j] = strdup(names[i]);
			if (!r->labels[j])
				return tn_fail(err, "out of memory");
			r->nlabels++;
		}
		*bits |= 1ULL << j;
	}
	return 0;
}

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

/* ---- workloads ------------------------------------------------------ */

struct reg_workload *registry_find_workload(struct registry *r,
					    const char *name)
{
	int i;

	for (i = 0; i < r->nwls; i++)
		if (!strcmp(r->wls[i].name, name))
			return &r->wls[i];
	return NULL;
}

struct reg_workload *registry_workload_by_cgid(const struct registry *r,
					       uint64_t cgid)
{
	int i;

	/* 0 is a workload whose cgroup has never existed: it matches nothing. */
	for (i = 0; cgid && i < r->nwls; i++)
		if (r->wls[i].cgid == cgid)
			return &r->wls[i];
	return NULL;
}

/* a is b or below it, as paths. */
static int path_within(const char *a, const char *b)
{
	size_t n = strlen(b);

	while (n > 1 && b[n - 1] == '/')
		n--;
	return !strncmp(a, b, n) && (a[n] == '\0' || a[n] == '/');
}

int registry_add_workload(struct registry *r, const char *name,
			  const char *cgroup, uint64_t cgid,
			  enum tn_source src, struct tn_err *err)
{
	struct reg_workload *w, *nw;
	int i;

	if (!tn_valid_name(name))
		return tn_fail(err, "workload name '%s' must be 1-%d characters of a-z 0-9 _ . -", name, TN_NAME_MAX);
	if (registry_find_workload(r, name))
		return tn_fail(err, "workload '%s' already exists", name);
	for (i = 0; i < r->nwls; i++) {
		w = &r->wls[i];
		if ((cgid && w->cgid == cgid) || !strcmp(w->cgroup, cgroup))
			return tn_fail(err, "cgroup %s is already workload '%s'", cgroup, w->name);
		if (path_within(cgroup, w->cgroup) || path_within(w->cgroup, cgroup))
			return tn_fail(err, "cgroup %s overlaps workload '%s' (%s): workloads cannot nest", cgroup, w->name, w->cgroup);
	}
	nw = realloc(r->wls, (r->nwls + 1) * sizeof(*nw));
	if (!nw)
		return tn_fail(err, "out of memory");
	r->wls = nw;
	w = &r->wls[r->nwls];
	memset(w, 0, sizeof(*w));
	w->source = src;
	w->name = strdup(name);
	w->cgroup = strdup(cgroup);
	w->cgid = cgid;
	w->missing = !cgid;
	w->id = r->next_wl_id++;
	if (!w->name || !w->cgroup) {
		free_workload(w);
		return tn_fail(err, "out of memory");
	}
	r->nwls++;
	return 0;
}

void registry_remove_workload(struct registry *r, struct reg_workload *w)
{
	int i = w - r->wls;

	free_workload(w);
	memmove(&r->wls[i], &r->wls[i + 1], (r->nwls - i - 1) * sizeof(*w));
	r->nwls--;
}

/* ---- tags ----------------------------------------------------------- */

int registry_same_source(const struct reg_tag *a, const struct reg_tag *b)
{
	if (a->is_net != b->is_net)
		return 0;
	if (a->is_net)
		return a->ep.family == b->ep.family && a->ep.port == b->ep.port &&
		       !memcmp(a->ep.addr, b->ep.addr, 16);
	return a->dev == b->dev && a->ino == b->ino;
}

int registry_add_tag(struct registry *r, const struct reg_tag *t,
		     struct tn_err *err)
{
	struct reg_tag *nt;
	int i;

	/* The same source tagged again by the same hand: merge labels. */
	for (i = 0; i < r->ntags; i++) {
		if (r->tags[i].source == t->source && registry_same_source(&r->tags[i], t)) {
			r->tags[i].labels |= t->labels;
			if (t->last_write > r->tags[i].last_write)
				r->tags[i].last_write = t->last_write;
			if (!r->tags[i].handle && t->handle)
				r->tags[i].handle = strdup(t->handle);
			return 0;
		}
	}
	nt = realloc(r->tags, (r->ntags + 1) * sizeof(*nt));
	if (!nt)
		return tn_fail(err, "out of memory");
	r->tags = nt;
	r->tags[r->ntags] = *t;
	r->tags[r->ntags].path = dup_or_null(t->path);
	r->tags[r->ntags].workload = dup_or_null(t->workload);
	r->tags[r->ntags].handle = dup_or_null(t->handle);
	if ((t->path && !r->tags[r->ntags].path) ||
	    (t->workload && !r->tags[r->ntags].workload) ||
	    (t->handle && !r->tags[r->ntags].handle))
		return tn_fail(err, "out of memory");
	r->ntags++;
	return 0;
}

void registry_remove_tag(struct registry *r, int i)
{
	free_tag(&r->tags[i]);
	memmove(&r->tags[i], &r->tags[i + 1],
		(r->ntags - i - 1) * sizeof(r->tags[0]));
	r->ntags--;
}

const struct reg_tag *registry_tag_by_inode(const struct registry *r,
					    uint64_t dev, uint64_t ino)
{
	int i;

	for (i = 0; i < r->ntags; i++)
		if (!r->tags[i].is_net && r->tags[i].dev == dev &&
		    r->tags[i].ino == ino)
			return &r->tags[i];
	return NULL;
}

/* A derived tag's file handle found later (agent/derived.c); takes handle. */
int registry_set_tag_handle(struct registry *r, uint64_t dev, uint64_t ino,
			    char *handle)
{
	int i;

	for (i = 0; i < r->ntags; i++)
		if (!r->tags[i].is_net && r->tags[i].dev == dev &&
		    r->tags[i].ino == ino && !r->tags[i].handle) {
			r->tags[i].handle = handle;
			return 0;
		}
	free(handle);
	return -1;
}

/* ---- policy --------------------------------------------------------- */

int registry_apply_policy(struct registry *r, const struct tn_policy *p,
			  const char *name, const char *text,
			  struct tn_err *err)
{
	int i;

	/* Drop what the previous policy defined; keep the admin's own. */
	for (i = r->ntags - 1; i >= 0; i--)
		if (r->tags[i].source == TN_SRC_POLICY)
			registry_remove_tag(r, i);
	for (i = r->nwls - 1; i >= 0; i--) {
		struct reg_workload *w = &r->wls[i];
		int j, kept = 0;

		if (w->source != TN_SRC_POLICY)
			continue;
		/* The same name and path: the same workload, whatever its id now. */
		for (j = 0; j < p->nworkloads; j++)
			if (!strcmp(p->workloads[j].name, w->name) &&
			    !strcmp(p->workloads[j].cgroup, w->cgroup))
				kept = 1;
		if (kept)
			continue;
		if (w->taint)
			return tn_fail(err, "%s: the policy no longer lists workload '%s', which is tainted; reset it first (trustctl workload reset %s)", name, w->name, w->name);
		registry_remove_workload(r, w);
	}

	for (i = 0; i < p->ntags; i++) {
		const struct tn_policy_tag *pt = &p->tags[i];
		struct reg_tag t = { .source = TN_SRC_POLICY };
		struct tn_err e;

		if (registry_label_bits(r, pt->labels, pt->nlabels, &t.labels, &e))
			return tn_fail(err, "%s:%d: %s", name, pt->line, e.msg);
		t.is_net = pt->is_net;
		t.ep = pt->ep;
		t.path = pt->path;
		t.dev = pt->dev;
		t.ino = pt->ino;
		if (registry_add_tag(r, &t, err))
			return -1;
	}
	for (i = 0; i < p->nworkloads; i++) {
		const struct tn_policy_workload *pw = &p->workloads[i];
		struct reg_workload *w = registry_find_workload(r, pw->name);
		struct tn_err e;

		if (w && !strcmp(w->cgroup, pw->cgroup)) {
			/* Its id is looked up again after the commit (cgwatch.c). */
			w->source = TN_SRC_POLICY;
			continue;
		}
		if (registry_add_workload(r, pw->name, pw->cgroup, pw->cgid,
					  TN_SRC_POLICY, &e))
			return tn_fail(err, "%s:%d: %s", name, pw->line, e.msg);
	}

	for (i = 0; i < r->ntrusted; i++)
		free_workload(&r->trusted[i]);
	free(r->trusted);
	r->ntrusted = 0;
	r->trusted = calloc(p->ntrusted + 1, sizeof(*r->trusted));
	if (!r->trusted)
		return tn_fail(err, "out of memory");
	for (i = 0; i < p->ntrusted; i++) {
		const struct tn_policy_workload *pt = &p->trusted[i];
		struct reg_workload *t = &r->trusted[r->ntrusted];

		if (registry_workload_by_cgid(r, pt->cgid))
			return tn_fail(err, "%s:%d: cgroup %s is a workload; a trusted receiver cannot also be one", name, pt->line, pt->cgroup);
		t->source = TN_SRC_POLICY;
		t->name = strdup(pt->name);
		t->cgroup = strdup(pt->cgroup);
		t->cgid = pt->cgid;
		r->ntrusted++;
		if (!t->name || !t->cgroup)
			return tn_fail(err, "out of memory");
	}

	for (i = 0; i < r->nreaders; i++)
		free_workload(&r->readers[i]);
	free(r->readers);
	r->nreaders = 0;
	r->readers = calloc(p->nreaders + 1, sizeof(*r->readers));
	if (!r->readers)
		return tn_fail(err, "out of memory");
	for (i = 0; i < p->nreaders; i++) {
		const struct tn_policy_workload *pr = &p->readers[i];
		struct reg_workload *t = &r->readers[r->nreaders];

		for (int j = 0; j < r->nwls; j++)
			if (!strcmp(r->wls[j].cgroup, pr->cgroup) ||
			    (pr->cgid && r->wls[j].cgid == pr->cgid))
				return tn_fail(err, "%s:%d: cgroup %s is workload %s; a workload reads tagged files already (and is tainted by them), a trusted reader is a cgroup outside every workload", name, pr->line, pr->cgroup, r->wls[j].name);
		t->source = TN_SRC_POLICY;
		t->name = strdup(pr->name);
		t->cgroup = strdup(pr->cgroup);
		t->cgid = pr->cgid;
		t->missing = !pr->cgid;
		r->nreaders++;
		if (!t->name || !t->cgroup)
			return tn_fail(err, "out of memory");
	}
	r->tagged_readers = p->tagged_readers;

	r->enforce = p->enforce;
	r->derived_max_age = p->derived_max_age;
	r->peers_only = p->peers_only;
	if (p->peers_only) {
		/* Only attested peers, and this node itself. */
		if (set_listed_prefixes(r, tn_loopback_prefixes))
			return tn_fail(err, "out of memory");
	} else if (p->prefixes_given) {
		free(r->prefixes);
		r->prefixes = calloc(p->nprefixes + 1, sizeof(*r->prefixes));
		if (!r->prefixes)
			return tn_fail(err, "out of memory");
		memcpy(r->prefixes, p->prefixes, p->nprefixes * sizeof(*r->prefixes));
		r->nprefixes = p->nprefixes;
		r->prefixes_default = 0;
	} else if (set_listed_prefixes(r, tn_default_prefixes)) {
		return tn_fail(err, "out of memory");
	}
	free(r->policy_name);
	free(r->policy_text);
	r->policy_name = strdup(name);
	r->policy_text = strdup(text);
	if (!r->policy_name || !r->policy_text)
		return tn_fail(err, "out of memory");
	return 0;
}

/* ---- JSON ----------------------------------------------------------- */

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

json_object *registry_trusted_json(const struct registry *r)
{
	json_object *a = json_object_new_array();
	int i;

	for (i = 0; i < r->ntrusted; i++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(r->trusted[i].name));
		json_object_object_add(o, "cgroup", json_object_new_string(r->trusted[i].cgroup));
		json_object_object_add(o, "cgroup_id", json_object_new_int64(r->trusted[i].cgid));
		json_object_array_add(a, o);
	}
	return a;
}

const struct reg_workload *registry_trusted_by_cgid(const struct registry *r,
						    uint64_t cgid)
{
	int i;

	for (i = 0; i < r->ntrusted; i++)
		if (r->trusted[i].cgid == cgid)
			return &r->trusted[i];
	return NULL;
}

json_object *registry_readers_json(const struct registry *r)
{
	json_object *a = json_object_new_array();
	int i;

	for (i = 0; i < r->nreaders; i++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(r->readers[i].name));
		json_object_object_add(o, "cgroup", json_object_new_string(r->readers[i].cgroup));
		json_object_object_add(o, "cgroup_id", json_object_new_int64(r->readers[i].cgid));
		if (!r->readers[i].cgid)
			json_object_object_add(o, "pending", json_object_new_boolean(1));
		json_object_array_add(a, o);
	}
	return a;
}

const struct reg_workload *registry_reader_by_cgid(const struct registry *r,
						   uint64_t cgid)
{
	int i;

	for (i = 0; cgid && i < r->nreaders; i++)
		if (r->readers[i].cgid == cgid)
			return &r->readers[i];
	return NULL;
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
	if (json_object_object_get_ex(o, "trusted_receivers", &a) &&
	    json_object_is_type(a, json_type_array)) {
		size_t count = json_object_array_length(a);

		r->trusted = calloc(count + 1, sizeof(*r->trusted));
		for (i = 0; r->trusted && i < count; i++) {
			json_object *t = json_object_array_get_idx(a, i);
			const char *tn = tn_json_str(t, "name"), *tc = tn_json_str(t, "cgroup");
			long long id;

			if (!tn || !tc || tn_json_int(t, "cgroup_id", &id)) {
				snprintf(e.msg, sizeof(e.msg), "a trusted receiver lacks name, cgroup or cgroup_id");
				goto bad;
			}
			r->trusted[r->ntrusted].name = strdup(tn);
			r->trusted[r->ntrusted].cgroup = strdup(tc);
			r->trusted[r->ntrusted].cgid = id;
			r->ntrusted++;
		}
	}
	s = tn_json_str(o, "tagged_readers");
	r->tagged_readers = !s || !strcmp(s, "anyone") ? TN_TAGGED_READERS_ANYONE :
			    !strcmp(s, "workloads") ? TN_TAGGED_READERS_WORKLOADS :
			    !strcmp(s, "workloads-in-lsm-mode") ? TN_TAGGED_READERS_WORKLOADS_LSM : -1;
	if (r->tagged_readers < 0) {
		/* Never read an unknown setting as the permissive default. */
		snprintf(e.msg, sizeof(e.msg), "tagged_readers \"%s\" is not known", s);
		goto bad;
	}
	if (json_object_object_get_ex(o, "trusted_readers", &a) &&
	    json_object_is_type(a, json_type_array)) {
		size_t count = json_object_array_length(a);

		r->readers = calloc(count + 1, sizeof(*r->readers));
		for (i = 0; r->readers && i < count; i++) {
			json_object *t = json_object_array_get_idx(a, i);
			const char *tn = tn_json_str(t, "name"), *tc = tn_json_str(t, "cgroup");
			long long id;

			if (!tn || !tc || tn_json_int(t, "cgroup_id", &id)) {
				snprintf(e.msg, sizeof(e.msg), "a trusted reader lacks name, cgroup or cgroup_id");
				goto bad;
			}
			r->readers[r->nreaders].name = strdup(tn);
			r->readers[r->nreaders].cgroup = strdup(tc);
			r->readers[r->nreaders].cgid = id;
			r->readers[r->nreaders].missing = !id;
			r->nreaders++;
		}
	}
	json_object_put(o);
	return 0;
bad:
	json_object_put(o);
	registry_free(r);
	return tn_fail(err, "state file %s is damaged: %s; move it away to start with an empty state", path, e.msg);
}
