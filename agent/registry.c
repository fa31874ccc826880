// SPDX-License-Identifier: GPL-2.0-only
/*
 * The registry's model: labels, tags, workloads, trusted receivers and
 * readers, and what a policy replaces, as plain C with the rules that keep
 * it consistent (no nested workloads, labels merged per source, at most 64
 * labels). No JSON and no file here: registry_json.c turns it into replies
 * and state.json, and state.c is the one place the agent's registry changes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* The entry of v[0..n) with this cgroup id. */
static struct reg_workload *by_cgid(struct reg_workload *v, int n,
				    uint64_t cgid)
{
	int i;

	for (i = 0; i < n; i++)
		if (v[i].cgid == cgid)
			return &v[i];
	return NULL;
}

struct reg_workload *registry_workload_by_cgid(const struct registry *r,
					       uint64_t cgid)
{
	/* 0 is a workload whose cgroup has never existed: it matches nothing. */
	return cgid ? by_cgid(r->wls, r->nwls, cgid) : NULL;
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

const struct reg_workload *registry_trusted_by_cgid(const struct registry *r,
						    uint64_t cgid)
{
	return by_cgid(r->trusted, r->ntrusted, cgid);
}

const struct reg_workload *registry_reader_by_cgid(const struct registry *r,
						   uint64_t cgid)
{
	/* A trusted reader whose cgroup has not appeared yet has id 0. */
	return cgid ? by_cgid(r->readers, r->nreaders, cgid) : NULL;
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
