// SPDX-License-Identifier: GPL-2.0-only
/*
 * Workload cgroups are looked up by path, not remembered by id. A service
 * restart removes its cgroup and creates a new one with a new id; the BPF
 * programs match ids, so until the new id is in tn_workloads nothing in it
 * is enforced. The paths are resolved again at start, after every policy
 * load, on request (trustctl run and trustctl workload check ask before they
 * let a command run) and whenever inotify on a parent directory reports a
 * mkdir or rmdir there (cgroup2 reports both). A new incarnation gets the
 * workload's recorded taint: taint belongs to the workload, and only
 * trustctl workload reset clears it.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "agent.h"
#include "proto.h"
#include "trustnode.skel.h"
#include "trustnode/bpf_shared.h"

#define WATCH_MASK (IN_CREATE | IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF | \
		    IN_ONLYDIR)

/* The inotify watches: one per directory that a workload path needs. */
struct cgwatch {
	int rearmed;	/* the watched set changed since workloads_resolve looked */
	int force;	/* a watched directory went away: watch again */
	int n;
	int wd[TN_MAX_WORKLOADS];
	char *dir[TN_MAX_WORKLOADS];
	uint64_t ino[TN_MAX_WORKLOADS];
};

/* One tn_workloads entry, never lowering a taint BPF has already set. */
static void put_workload(struct agent *a, const struct reg_workload *w)
{
	int fd = bpf_map__fd(a->skel->maps.tn_workloads);
	struct tn_workload v = { .id = w->id, .taint = w->taint };

	if (!bpf_map_lookup_elem(fd, &w->cgid, &v)) {
		v.taint |= w->taint;
		v.id = w->id;
	}
	if (v.taint && maps_taint_filter_set(a, w->cgid)) {
		fprintf(stderr, "trustnoded: workload %s: cannot mark its new cgroup id tainted in tn_taint_filter: %s\n",
			w->name, strerror(errno));
		return;
	}
	if (bpf_map_update_elem(fd, &w->cgid, &v, BPF_ANY))
		fprintf(stderr, "trustnoded: workload %s: cannot write its new cgroup id: %s\n",
			w->name, strerror(errno));
}

/* The registry's taint from the kernel, for the ids it knows now. */
static void taint_from_kernel(struct agent *a, struct registry *r)
{
	int i;

	for (i = 0; i < r->nwls; i++) {
		uint64_t t;

		if (r->wls[i].cgid && !maps_workload_taint(a, r->wls[i].cgid, &t))
			r->wls[i].taint |= t;
	}
}

/* A trusted receiver's or reader's cgroup (role) has a new id: noted, taken. */
static void new_cgroup_id(json_object *changes, const char *change,
			  const char *role, struct reg_workload *t, uint64_t id)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "change", json_object_new_string(change));
	json_object_object_add(o, role, json_object_new_string(t->name));
	json_object_object_add(o, "cgroup", json_object_new_string(t->cgroup));
	json_object_object_add(o, "old_cgroup_id", json_object_new_int64(t->cgid));
	json_object_object_add(o, "cgroup_id", json_object_new_int64(id));
	json_object_array_add(changes, o);
	t->cgid = id;
}

/*
 * Looks every workload's path up again and updates r in place. Adds one
 * object per change to changes; returns how many ids changed.
 */
static int resolve(struct registry *r, json_object *changes)
{
	int i, n = 0;

	for (i = 0; i < r->nwls; i++) {
		struct reg_workload *w = &r->wls[i];
		const char *what = NULL;
		uint64_t id = 0;
		struct tn_err e;
		json_object *o;

		e.errnum = 0;
		if (tn_cgroup_id(w->cgroup, &id, &e)) {
			/*
			 * Gone: the old id stays in the map (ids are not reused)
			 * until a new incarnation replaces it.
			 */
			if (!w->missing)
				what = "cgroup-removed";
			w->missing = 1;
		} else if (id != w->cgid) {
			what = w->cgid ? "cgroup-recreated" : "cgroup-appeared";
			w->missing = 0;
		} else if (w->missing) {
			w->missing = 0;
		}
		if (!what)
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "change", json_object_new_string(what));
		json_object_object_add(o, "workload", json_object_new_string(w->name));
		json_object_object_add(o, "cgroup", json_object_new_string(w->cgroup));
		json_object_object_add(o, "old_cgroup_id", json_object_new_int64(w->cgid));
		if (strcmp(what, "cgroup-removed")) {
			json_object_object_add(o, "cgroup_id", json_object_new_int64(id));
			/* What the new incarnation starts with. */
			json_object_object_add(o, "taint", registry_label_names(r, w->taint));
			w->cgid = id;
			w->kmod_taint = 0;
			n++;
		}
		json_object_array_add(changes, o);
	}
	/*
	 * Trusted receivers are paths too: a restarted resolver keeps its
	 * trusted-flow records. One that is gone keeps its old id meanwhile.
	 */
	for (i = 0; i < r->ntrusted; i++) {
		struct reg_workload *t = &r->trusted[i];
		uint64_t id;

		if (tn_cgroup_id(t->cgroup, &id, NULL) || id == t->cgid)
			continue;
		new_cgroup_id(changes, "trusted-cgroup-recreated", "trusted_receiver", t, id);
		n++;
	}
	/*
	 * Trusted readers too: a backup service's cgroup exists only while it
	 * runs. Until its new id is in tn_readers its opens of tagged files
	 * are refused (fail closed); the old id stays (ids are not reused).
	 */
	for (i = 0; i < r->nreaders; i++) {
		struct reg_workload *t = &r->readers[i];
		uint64_t id = 0;

		if (tn_reader_cgroup_id(t->cgroup, &id, NULL) || !id) {
			t->missing = 1;
			continue;
		}
		t->missing = 0;
		if (id == t->cgid)
			continue;
		new_cgroup_id(changes, t->cgid ? "reader-cgroup-recreated" :
			      "reader-cgroup-appeared", "trusted_reader", t, id);
		n++;
	}
	return n;
}

static void record(struct agent *a, json_object *changes, const char *why)
{
	size_t i;

	for (i = 0; i < json_object_array_length(changes); i++) {
		json_object *o = json_object_get(json_object_array_get_idx(changes, i));

		json_object_object_add(o, "why", json_object_new_string(why));
		fprintf(stderr, "trustnoded: %s: %s (%s)\n",
			tn_json_str(o, "workload") ?: tn_json_str(o, "trusted_receiver") ?:
			tn_json_str(o, "trusted_reader"),
			tn_json_str(o, "change"), tn_json_str(o, "cgroup"));
		events_record(a, "workload-cgroup", o);
	}
}

int cgroups_resolve_at_start(struct agent *a, json_object **changes,
			     struct tn_err *err)
{
	struct registry seen;
	int n;

	*changes = json_object_new_array();
	if (registry_copy(&seen, &a->reg)) {
		registry_free(&seen);
		return tn_fail(err, "out of memory");
	}
	taint_from_kernel(a, &seen);
	n = resolve(&seen, *changes);
	state_adopt_cgroups(a, &seen, n);
	registry_free(&seen);
	return n;
}

json_object *cgroups_taint_to_restore(struct agent *a)
{
	json_object *arr = json_object_new_array();
	int i;

	for (i = 0; i < a->reg.nwls; i++) {
		const struct reg_workload *w = &a->reg.wls[i];
		uint64_t t = 0;
		json_object *o;

		if (!w->cgid || !w->taint)
			continue;
		if (!maps_workload_taint(a, w->cgid, &t) && !(w->taint & ~t))
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "workload", json_object_new_string(w->name));
		json_object_object_add(o, "cgroup", json_object_new_string(w->cgroup));
		json_object_object_add(o, "cgroup_id", json_object_new_int64(w->cgid));
		json_object_object_add(o, "taint", registry_label_names(&a->reg, w->taint));
		json_object_object_add(o, "from", json_object_new_string("state"));
		json_object_array_add(arr, o);
	}
	return arr;
}

/* Adds the pids in cgroup dir and below to arr; returns how many there were. */
static int procs_below(const char *dir, json_object *arr, int depth)
{
	char path[PATH_MAX];
	struct dirent *de;
	int n = 0, pid;
	FILE *f;
	DIR *d;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	f = fopen(path, "r");
	while (f && fscanf(f, "%d", &pid) == 1) {
		if (json_object_array_length(arr) < 32)
			json_object_array_add(arr, json_object_new_int(pid));
		n++;
	}
	if (f)
		fclose(f);
	if (depth >= TN_CGROUP_DEPTH || !(d = opendir(dir)))
		return n;
	while ((de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		n += procs_below(path, arr, depth + 1);
	}
	closedir(d);
	return n;
}

void cgroups_record_preexisting(struct agent *a)
{
	int i;

	/*
	 * Processes already in a workload when the programs attached: covered
	 * from then on, but what they did before was not seen. Say so.
	 */
	for (i = 0; i < a->reg.nwls; i++) {
		const struct reg_workload *w = &a->reg.wls[i];
		json_object *pids, *o;
		int n;

		if (w->missing)
			continue;
		pids = json_object_new_array();
		n = procs_below(w->cgroup, pids, 0);
		if (!n) {
			json_object_put(pids);
			continue;
		}
		o = json_object_new_object();
		json_object_object_add(o, "workload", json_object_new_string(w->name));
		json_object_object_add(o, "cgroup", json_object_new_string(w->cgroup));
		json_object_object_add(o, "processes", json_object_new_int(n));
		json_object_object_add(o, "pids", pids);
		json_object_object_add(o, "taint", registry_label_names(&a->reg, w->taint));
		json_object_object_add(o, "note", json_object_new_string(
			"these processes predate this agent: enforced from now on; what they read or sent before it attached was not seen"));
		events_record(a, "workload-preexisting", o);
	}
}

void cgroups_record(struct agent *a, json_object *changes, const char *why)
{
	record(a, changes, why);
	json_object_put(changes);
}

static int resolve_once(struct agent *a, const char *why, struct tn_err *err)
{
	json_object *changes = json_object_new_array();
	struct registry next;
	int i, ret = 0;

	if (registry_copy(&next, &a->reg)) {
		registry_free(&next);
		json_object_put(changes);
		return tn_fail(err, "out of memory");
	}
	/* The old incarnation's taint, as BPF last saw it, carries over. */
	taint_from_kernel(a, &next);
	if (resolve(&next, changes)) {
		/*
		 * Until the new id is in tn_workloads nothing in the new
		 * cgroup is enforced: write it first, then the rest.
		 */
		for (i = 0; i < next.nwls; i++)
			if (next.wls[i].cgid && next.wls[i].cgid != a->reg.wls[i].cgid)
				put_workload(a, &next.wls[i]);
		/* maps_sync writes the new id, with the taint, before it prunes the old. */
		ret = agent_commit(a, &next, err);
		if (ret)
			registry_free(&next);
	} else {
		/* No id changed; which cgroups are missing may have. */
		state_adopt_cgroups(a, &next, 0);
		registry_free(&next);
	}
	if (!ret)
		record(a, changes, why);
	json_object_put(changes);
	return ret;
}

int workloads_resolve(struct agent *a, const char *why, struct tn_err *err)
{
	int k, ret = 0;

	/*
	 * A watch added now (a parent that just appeared) may have missed a
	 * mkdir just before it: look again until the watches stay as they are.
	 */
	for (k = 0; k < 8; k++) {
		if (a->cgw)
			a->cgw->rearmed = 0;
		ret = resolve_once(a, why, err);
		if (ret)
			break;
		cgwatch_rearm(a);
		if (!a->cgw || !a->cgw->rearmed)
			break;
	}
	return ret;
}

/* ---- inotify -------------------------------------------------------- */


static void unwatch_all(struct agent *a)
{
	struct cgwatch *w = a->cgw;
	int i;

	for (i = 0; w && i < w->n; i++) {
		inotify_rm_watch(a->cg_inotify, w->wd[i]);
		free(w->dir[i]);
	}
	if (w)
		w->n = 0;
}

struct watch_set {
	int n;
	char *dir[TN_MAX_WORKLOADS];
	uint64_t ino[TN_MAX_WORKLOADS];
};

/*
 * Every existing directory from cgroup's parent up to trustnoded's cgroup:
 * cgroupfs does not report IN_DELETE_SELF, so a parent removed and made
 * again is seen only from its own parent's watch.
 */
static void add_ancestors(struct watch_set *set, const char *cgroup,
			  size_t root_len)
{
	char dir[PATH_MAX], *slash;
	struct stat st;
	int j, depth = 0;

	snprintf(dir, sizeof(dir), "%s", cgroup);
	while ((slash = strrchr(dir, '/')) && slash != dir && depth++ < 32 &&
	       set->n < TN_MAX_WORKLOADS) {
		*slash = '\0';
		if (strlen(dir) < root_len)
			break;
		if (stat(dir, &st) || !S_ISDIR(st.st_mode))
			continue;
		for (j = 0; j < set->n && strcmp(set->dir[j], dir); j++)
			;
		if (j < set->n || !(set->dir[set->n] = strdup(dir)))
			continue;
		set->ino[set->n++] = st.st_ino;
	}
}

/*
 * Watches the directories the workloads need now, and only when that set
 * (paths and inodes) changed: removing a watch queues IN_IGNORED, which
 * would wake us again.
 */
void cgwatch_rearm(struct agent *a)
{
	struct cgwatch *w = a->cgw;
	struct watch_set *set;
	size_t root_len;
	int i, same;

	if (a->cg_inotify < 0 || !w)
		return;
	set = calloc(1, sizeof(*set));
	if (!set)
		return;
	root_len = strlen(a->opt.cgroup_root);
	while (root_len > 1 && a->opt.cgroup_root[root_len - 1] == '/')
		root_len--;
	for (i = 0; i < a->reg.nwls; i++)
		add_ancestors(set, a->reg.wls[i].cgroup, root_len);
	for (i = 0; i < a->reg.ntrusted; i++)
		add_ancestors(set, a->reg.trusted[i].cgroup, root_len);
	/* A reader may be anywhere (system.slice/backup.service): its parent. */
	for (i = 0; i < a->reg.nreaders; i++) {
		const char *c = a->reg.readers[i].cgroup, *slash = strrchr(c, '/');

		if (slash && slash != c)
			add_ancestors(set, c, slash - c);
	}
	same = set->n == w->n && !w->force;
	for (i = 0; same && i < set->n; i++)
		same = !strcmp(set->dir[i], w->dir[i]) && set->ino[i] == w->ino[i];
	if (!same) {
		w->force = 0;
		w->rearmed = 1;
		unwatch_all(a);
		for (i = 0; i < set->n; i++) {
			int wd = inotify_add_watch(a->cg_inotify, set->dir[i], WATCH_MASK);

			if (wd < 0) {
				fprintf(stderr, "trustnoded: cannot watch %s: %s; a workload cgroup created there is found only at the next policy load or check\n",
					set->dir[i], strerror(errno));
				continue;
			}
			w->dir[w->n] = set->dir[i];
			w->ino[w->n] = set->ino[i];
			w->wd[w->n++] = wd;
			set->dir[i] = NULL;
		}
	}
	for (i = 0; i < set->n; i++)
		free(set->dir[i]);
	free(set);
}

/* Something changed below a watched parent (inotify is readable). */
static void cgwatch_handle(struct agent *a);

int cgwatch_open(struct agent *a, struct tn_err *err)
{
	a->cgw = calloc(1, sizeof(*a->cgw));
	if (!a->cgw)
		return tn_fail(err, "out of memory");
	a->cg_inotify = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (a->cg_inotify < 0)
		return tn_fail_errno(err, errno, "inotify_init1");
	if (agent_watch(a, &a->cg_src, a->cg_inotify, cgwatch_handle))
		return tn_fail_errno(err, errno, "watching the cgroup parents");
	cgwatch_rearm(a);
	return 0;
}

static void cgwatch_handle(struct agent *a)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	struct tn_err err;
	int changed = 0;
	ssize_t r;

	/* Which directory changed does not matter: every path is looked up. */
	while ((r = read(a->cg_inotify, buf, sizeof(buf))) > 0) {
		char *p = buf;

		while (p < buf + r) {
			const struct inotify_event *e = (const void *)p;

			if (!(e->mask & IN_IGNORED))
				changed = 1;
			/*
			 * A watched directory removed (and maybe made again
			 * under the same name): its watch is dead.
			 */
			if (e->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF))
				for (int i = 0; i < a->cgw->n; i++)
					if (a->cgw->wd[i] == e->wd)
						a->cgw->force = changed = 1;
			p += sizeof(*e) + e->len;
		}
	}
	if (changed && workloads_resolve(a, "cgroup-watch", &err))
		fprintf(stderr, "trustnoded: resolving workload cgroups: %s\n", err.msg);
}

void cgwatch_close(struct agent *a)
{
	if (a->cg_inotify >= 0) {
		unwatch_all(a);
		close(a->cg_inotify);
	}
	a->cg_inotify = -1;
	free(a->cgw);
	a->cgw = NULL;
}
