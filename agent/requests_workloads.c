// SPDX-License-Identifier: GPL-2.0-only
/*
 * workload.add, .remove, .reset, .resolve and .list, and the check every
 * workload cgroup passes (below trustnoded's cgroup, where the programs
 * are attached). Apart from the dispatch because a workload is its path:
 * the path rules and the taint rules (no silent removal of a tainted
 * workload) belong together.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "agent.h"
#include "requests.h"
#include "proto.h"
#include "trustnode/control_proto.h"

/*
 * A workload cgroup that does not exist yet: its nearest existing ancestor,
 * resolved, plus the rest. The path is the workload's identity, so the rest
 * must be plain names (no ".", "..", or empty components).
 */
static int realpath_pending(const char *cgroup, char *real, struct tn_err *err)
{
	char head[PATH_MAX], *slash;
	size_t k;

	snprintf(head, sizeof(head), "%s", cgroup);
	if (strstr(head, "/./") || strstr(head, "/../") || strstr(head, "//") ||
	    (k = strlen(head)) < 2 || head[k - 1] == '/' || head[k - 1] == '.')
		return tn_fail(err, "cgroup %s does not exist, and a cgroup named before it exists must be a plain path (no ., .. or //)", cgroup);
	while ((slash = strrchr(head, '/')) && slash != head) {
		*slash = '\0';
		if (realpath(head, real)) {
			if (strlen(real) + strlen(cgroup + (slash - head)) >= PATH_MAX)
				break;
			strcat(real, cgroup + (slash - head));
			return 0;
		}
		if (errno != ENOENT)
			break;
	}
	return tn_fail_errno(err, errno, "cgroup %s", cgroup);
}

int requests_below_root(struct agent *a, const char *cgroup, struct tn_err *err)
{
	char root[PATH_MAX], real[PATH_MAX];
	size_t n;

	if (!realpath(a->opt.cgroup_root, root))
		return tn_fail_errno(err, errno, "cgroup %s", a->opt.cgroup_root);
	if (!realpath(cgroup, real) &&
	    (errno != ENOENT || realpath_pending(cgroup, real, err)))
		return errno == ENOENT ? -1 : tn_fail_errno(err, errno, "cgroup %s", cgroup);
	n = strlen(root);
	if (strncmp(real, root, n) || real[n] != '/')
		return tn_fail(err, "cgroup %s is not below trustnoded's cgroup %s, where the programs are attached; create the workload's cgroup there", cgroup, root);
	return 0;
}

static struct reg_workload *request_workload(struct agent *a, json_object *req,
					     struct reply *r)
{
	const char *name = tn_json_str(req, "name");
	struct reg_workload *w;

	if (!name) {
		failf(r, TN_EXIT_INVALID, "\"name\" is required");
		return NULL;
	}
	w = registry_find_workload(&a->reg, name);
	if (!w)
		failf(r, TN_EXIT_NOT_FOUND, "no workload named '%s' (see trustctl workload list)", name);
	return w;
}

int h_workload_add(struct agent *a, json_object *req, struct reply *r)
{
	const char *name = tn_json_str(req, "name");
	const char *cgroup = tn_json_str(req, "cgroup");
	struct registry next;
	uint64_t cgid;

	if (!name || !cgroup)
		return failf(r, TN_EXIT_INVALID, "\"name\" and \"cgroup\" are required");
	if (tn_cgroup_id(cgroup, &cgid, &r->err) || requests_below_root(a, cgroup, &r->err))
		return fail(r, TN_EXIT_INVALID);
	state_taint_from_kernel(a);
	if (registry_copy(&next, &a->reg)) {
		registry_free(&next);
		return failf(r, TN_EXIT_FAILED, "out of memory");
	}
	if (registry_add_workload(&next, name, cgroup, cgid, TN_SRC_ADMIN, &r->err)) {
		registry_free(&next);
		return fail(r, TN_EXIT_INVALID);
	}
	if (agent_commit(a, &next, &r->err)) {
		registry_free(&next);
		return fail(r, TN_EXIT_FAILED);
	}
	json_object_object_add(r->o, "workload", registry_workload_json(&a->reg,
				       registry_find_workload(&a->reg, name)));
	requests_record(a, "workload-add", json_object_get(json_object_object_get(r->o, "workload")));
	return 0;
}

int h_workload_remove(struct agent *a, json_object *req, struct reply *r)
{
	struct reg_workload *w;
	struct registry next;

	state_taint_from_kernel(a);
	w = request_workload(a, req, r);
	if (!w)
		return -1;
	if (w->source == TN_SRC_POLICY)
		return failf(r, TN_EXIT_INVALID, "workload '%s' is defined in the policy file; remove it there and run trustctl policy load", w->name);
	if (w->taint)
		return failf(r, TN_EXIT_INVALID, "workload '%s' is tainted; removing it would silently drop its taint. Clear it explicitly first: trustctl workload reset %s", w->name, w->name);
	json_object_object_add(r->o, "workload", registry_workload_json(&a->reg, w));
	if (registry_copy(&next, &a->reg)) {
		registry_free(&next);
		return failf(r, TN_EXIT_FAILED, "out of memory");
	}
	registry_remove_workload(&next, registry_find_workload(&next, w->name));
	if (agent_commit(a, &next, &r->err)) {
		registry_free(&next);
		return fail(r, TN_EXIT_FAILED);
	}
	requests_record(a, "workload-remove", json_object_get(json_object_object_get(r->o, "workload")));
	return 0;
}

int h_workload_reset(struct agent *a, json_object *req, struct reply *r)
{
	struct reg_workload *w;
	json_object *ev;
	char what[128];

	state_taint_from_kernel(a);
	w = request_workload(a, req, r);
	if (!w)
		return -1;
	ev = registry_workload_json(&a->reg, w);
	/*
	 * The module first: a sealed module refuses, and then so do we. A
	 * workload whose cgroup never existed has only the recorded taint.
	 */
	if (w->cgid && kmod_clear_taint(a, w->cgid, &r->err)) {
		json_object_put(ev);
		return fail(r, TN_EXIT_FAILED);
	}
	if (w->cgid && maps_workload_reset(a, w->cgid, &r->err)) {
		json_object_put(ev);
		return fail(r, TN_EXIT_FAILED);
	}
	state_clear_taint(a, w);
	json_object_object_add(r->o, "workload", json_object_get(ev));
	json_object_object_add(ev, "note", json_object_new_string("taint cleared by the administrator"));
	requests_record(a, "workload-reset", ev);
	/* Its data may now leave: peers must see it. */
	snprintf(what, sizeof(what), "workload reset %s", w->name);
	measure_weakening(a, what);
	return 0;
}

/*
 * Looks the workload's cgroup up again and says which id is enforced:
 * trustctl run and trustctl workload check compare it with what they see
 * before they let a command run, which closes the window between a mkdir
 * and the inotify wake-up. Reads the file system only; anyone may ask.
 */
int h_workload_resolve(struct agent *a, json_object *req, struct reply *r)
{
	struct reg_workload *w;

	if (workloads_resolve(a, "request", &r->err))
		return fail(r, TN_EXIT_FAILED);
	state_taint_from_kernel(a);
	w = request_workload(a, req, r);
	if (!w)
		return -1;
	json_object_object_add(r->o, "workload", registry_workload_json(&a->reg, w));
	return 0;
}

int h_workload_list(struct agent *a, json_object *req, struct reply *r)
{
	json_object *arr = json_object_new_array();
	int i;

	state_taint_from_kernel(a);
	for (i = 0; i < a->reg.nwls; i++)
		json_object_array_add(arr, registry_workload_json(&a->reg, &a->reg.wls[i]));
	json_object_object_add(r->o, "workloads", arr);
	return 0;
}
