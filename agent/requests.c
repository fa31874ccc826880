// SPDX-License-Identifier: GPL-2.0-only
/*
 * One handler per control command. Handlers that change state work on a
 * copy of the registry and go through agent_commit(), so a request that
 * fails anywhere leaves the kernel, the state file and the agent as they were.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "agent.h"
#include "trustnode/attest_api.h"
#include "proto.h"
#include "trustnode/bpf_shared.h"
#include "trustnode/control_proto.h"

struct reply {
	json_object *o;
	int code;		/* enum tn_exit when the request failed */
	struct tn_err err;
};

static int fail(struct reply *r, int code)
{
	r->code = code;
	return -1;
}

static int failf(struct reply *r, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int failf(struct reply *r, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->err.msg, sizeof(r->err.msg), fmt, ap);
	va_end(ap);
	return fail(r, code);
}

int agent_commit(struct agent *a, struct registry *next, struct tn_err *err)
{
	struct tn_err rb;

	if (maps_sync(a, next, err)) {
		if (maps_sync(a, &a->reg, &rb))
			fprintf(stderr, "trustnoded: rollback after a failed change also failed: %s\n", rb.msg);
		return -1;
	}
	if (registry_save(next, a->state_path, err)) {
		maps_sync(a, &a->reg, &rb);
		return -1;
	}
	registry_free(&a->reg);
	a->reg = *next;
	cgwatch_rearm(a);
	a->policy_gen++;
	kmod_sync(a);
	measure_policy(a);
	return 0;
}

/*
 * An administrative record: what changed and who asked (uid, pid, command,
 * cgroup), so a change from an unexpected place stands out in the log.
 */
static void admin_record(struct agent *a, const char *type, json_object *obj)
{
	json_object *o = json_object_new_object();

	/* A copy: obj may be part of the reply, which needs no caller. */
	if (obj) {
		json_object_object_foreach(obj, k, v)
			json_object_object_add(o, k, json_object_get(v));
		json_object_put(obj);
	}
	if (a->caller)
		json_object_object_add(o, "caller", caller_json(a->caller));
	events_record(a, type, o);
}

/* Refreshes the registry's taint from the kernel, the source of truth. */
static void refresh_taint(struct agent *a)
{
	int i;

	for (i = 0; i < a->reg.nwls; i++) {
		uint64_t t;

		if (!maps_workload_taint(a, a->reg.wls[i].cgid, &t))
			a->reg.wls[i].taint = t;
	}
}

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

static int below_root(struct agent *a, const char *cgroup, struct tn_err *err)
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

/* ---- status and policy ----------------------------------------------- */

static const char *const counter_names[TN_CNT__MAX] = {
	[TN_CNT_TAINT] = "taints",
	[TN_CNT_DENY_CONNECT] = "denied_connects",
	[TN_CNT_DENY_SEND] = "denied_sends",
	[TN_CNT_DROP_EGRESS] = "dropped_packets",
	[TN_CNT_AUDIT_ALLOW] = "audit_allowed",
	[TN_CNT_EVENTS_LOST] = "events_lost",
	[TN_CNT_DROPS_UNREPORTED] = "drops_unreported",
	[TN_CNT_DERIVED] = "derived_files",
	[TN_CNT_DERIVE_FAILED] = "derive_failed",
	[TN_CNT_FLOW_UNREGISTERED] = "flows_to_unregistered",
	[TN_CNT_TRUSTED_FLOWS] = "trusted_flow_packets",
	[TN_CNT_DENIALS_UNREPORTED] = "denials_unreported",
	[TN_CNT_DENY_SOCKET] = "denied_sockets",
	[TN_CNT_DENY_USERNS] = "denied_userns",
	[TN_CNT_DENY_OPEN] = "denied_tagged_opens",
	[TN_CNT_OPENS_UNREPORTED] = "tagged_opens_unreported",
	[TN_CNT_FLOW_FULL] = "flow_full_packets",
};

/* Whether tagged files open only to workloads and trusted readers here. */
static int readers_enforced(struct agent *a)
{
	return attach_mode_refuses(a->mode) &&
	       a->reg.tagged_readers != TN_TAGGED_READERS_ANYONE;
}

/*
 * The outsourcing channel (README, Threat model): listed open unless
 * tagged_readers closes it, which only lsm and fentry mode can do.
 */
static void readers_gaps(struct agent *a, json_object *gaps)
{
	if (readers_enforced(a)) {
		json_object_array_add(gaps, json_object_new_string(
			"tagged_readers = \"workloads\": a process in no workload and no trusted reader cannot open tagged files, but a descriptor it opened before the setting was loaded stays open, and tagged data a workload sends it (unix socket, pipe, TCP, UDP) does not taint it (see above); root outside every workload can still read the disk beneath the files or detach the programs"));
		return;
	}
	json_object_array_add(gaps, json_object_new_string(
		a->reg.tagged_readers == TN_TAGGED_READERS_WORKLOADS_LSM ?
		"outsourcing: the policy's tagged_readers = \"workloads-in-lsm-mode\" is not enforced in cgroup mode (no hook can refuse an open; lsm and fentry mode enforce it): code run outside every workload on a workload's behalf (crontab, at, systemd-run --user, a login shell's rc file) reads tagged files untainted; run workloads as a user that cannot schedule jobs (not in cron.allow/at.allow, loginctl disable-linger) and whose home and rc files it cannot write" :
		attach_mode_refuses(a->mode) ?
		"outsourcing: code run outside every workload on a workload's behalf (crontab, at, systemd-run --user, a login shell's rc file) reads tagged files untainted; tagged_readers = \"workloads\" in the policy closes this (only workloads and trusted_readers may open tagged files); otherwise run workloads as a user that cannot schedule jobs (not in cron.allow/at.allow, loginctl disable-linger) and whose home and rc files it cannot write" :
		"outsourcing: code run outside every workload on a workload's behalf (crontab, at, systemd-run --user, a login shell's rc file) reads tagged files untainted; only lsm and fentry mode can refuse such opens (tagged_readers = \"workloads\"); run workloads as a user that cannot schedule jobs (not in cron.allow/at.allow, loginctl disable-linger) and whose home and rc files it cannot write"));
}

static void readers_json(struct agent *a, json_object *o)
{
	json_object_object_add(o, "tagged_readers", json_object_new_string(
				       tn_tagged_readers_name(a->reg.tagged_readers)));
	json_object_object_add(o, "tagged_readers_enforced",
			       json_object_new_boolean(readers_enforced(a)));
	json_object_object_add(o, "trusted_readers", registry_readers_json(&a->reg));
}

static int h_status(struct agent *a, json_object *req, struct reply *r)
{
	json_object *o = r->o, *counters = json_object_new_object();
	json_object *gaps = json_object_new_array();
	const char *const *g;
	uint64_t c[TN_CNT__MAX];
	int i, tainted = 0;

	refresh_taint(a);
	maps_read_counters(a, c, TN_CNT__MAX);
	for (i = 0; i < TN_CNT__MAX; i++)
		json_object_object_add(counters, counter_names[i],
				       json_object_new_int64(c[i]));
	for (g = attach_mode_gaps(a->mode); *g; g++)
		json_object_array_add(gaps, json_object_new_string(*g));
	readers_gaps(a, gaps);
	for (i = 0; i < a->reg.nwls; i++)
		tainted += a->reg.wls[i].taint != 0;

	json_object_object_add(o, "mode", json_object_new_string(
				       a->reg.enforce ? "enforce" : "audit"));
	json_object_object_add(o, "attach", json_object_new_string(attach_mode_name(a->mode)));
	json_object_object_add(o, "attach_reason", json_object_new_string(a->mode_reason));
	json_object_object_add(o, "cgroup", json_object_new_string(a->opt.cgroup_root));
	json_object_object_add(o, "pin_dir", json_object_new_string(a->opt.pin_dir));
	json_object_object_add(o, "policy", a->reg.policy_name ?
			       json_object_new_string(a->reg.policy_name) : NULL);
	json_object_object_add(o, "prefixes", registry_prefixes_json(&a->reg));
	json_object_object_add(o, "prefixes_default",
			       json_object_new_boolean(a->reg.prefixes_default));
	json_object_object_add(o, "workloads", json_object_new_int(a->reg.nwls));
	json_object_object_add(o, "trusted_receivers", registry_trusted_json(&a->reg));
	readers_json(a, o);
	json_object_object_add(o, "tainted_workloads", json_object_new_int(tainted));
	json_object_object_add(o, "tags", json_object_new_int(a->reg.ntags));
	json_object_object_add(o, "labels", json_object_new_int(a->reg.nlabels));
	json_object_object_add(o, "programs", attach_programs_json(a));
	json_object_object_add(o, "links_adopted", json_object_new_int(a->links_adopted));
	json_object_object_add(o, "links_created", json_object_new_int(a->links_created));
	json_object_object_add(o, "counters", counters);
	json_object_object_add(o, "maps", maps_fill_json(a));
	json_object_object_add(o, "gaps", gaps);
	json_object_object_add(o, "kernel_module", kmod_status_json(a));
	json_object_object_add(o, "attestation", attest_status_json(a));
	json_object_object_add(o, "audit", audit_status_json(a));
	json_object_object_add(o, "peers", peers_status_json(a));
	return 0;
}

static int h_policy_show(struct agent *a, json_object *req, struct reply *r)
{
	json_object *tags = json_object_new_array(), *wls = json_object_new_array();
	int i;

	refresh_taint(a);
	for (i = 0; i < a->reg.ntags; i++)
		json_object_array_add(tags, registry_tag_json(&a->reg, &a->reg.tags[i]));
	for (i = 0; i < a->reg.nwls; i++)
		json_object_array_add(wls, registry_workload_json(&a->reg, &a->reg.wls[i]));
	json_object_object_add(r->o, "name", a->reg.policy_name ?
			       json_object_new_string(a->reg.policy_name) : NULL);
	json_object_object_add(r->o, "text", a->reg.policy_text ?
			       json_object_new_string(a->reg.policy_text) : NULL);
	json_object_object_add(r->o, "mode", json_object_new_string(
				       a->reg.enforce ? "enforce" : "audit"));
	json_object_object_add(r->o, "prefixes", registry_prefixes_json(&a->reg));
	json_object_object_add(r->o, "prefixes_default",
			       json_object_new_boolean(a->reg.prefixes_default));
	json_object_object_add(r->o, "tags", tags);
	json_object_object_add(r->o, "workloads", wls);
	json_object_object_add(r->o, "trusted_receivers", registry_trusted_json(&a->reg));
	readers_json(a, r->o);
	return 0;
}

static int h_policy_load(struct agent *a, json_object *req, struct reply *r)
{
	const char *name = tn_json_str(req, "name");
	const char *text = tn_json_str(req, "text");
	struct tn_policy p;
	struct registry next;
	int i, ret = -1;

	if (!name || !text)
		return failf(r, TN_EXIT_INVALID, "policy.load needs \"name\" and \"text\"");
	if (tn_policy_parse(text, name, &p, &r->err) ||
	    (tn_policy_resolve(&p, name, &r->err) && (tn_policy_free(&p), 1)))
		return fail(r, TN_EXIT_INVALID);
	/*
	 * Fail closed: a policy that asks for what this mode cannot do is
	 * refused, not loaded with less than it says.
	 */
	if (p.tagged_readers == TN_TAGGED_READERS_WORKLOADS && !attach_mode_refuses(a->mode)) {
		failf(r, TN_EXIT_INVALID, "%s:%d: tagged_readers = \"workloads\" needs lsm or fentry mode, and this node runs in %s mode (%s): no hook here can refuse an open, so the policy is refused rather than loaded with less than it says (nothing changed). Use tagged_readers = \"workloads-in-lsm-mode\" to load it here with the channel listed as open in trustctl status",
		      name, p.tagged_readers_line, attach_mode_name(a->mode), a->mode_reason);
		tn_policy_free(&p);
		return -1;
	}
	for (i = 0; i < p.nworkloads; i++) {
		struct tn_err e;

		if (below_root(a, p.workloads[i].cgroup, &e)) {
			failf(r, TN_EXIT_INVALID, "%s:%d: %s", name,
			      p.workloads[i].line, e.msg);
			tn_policy_free(&p);
			return -1;
		}
	}
	refresh_taint(a);
	if (registry_copy(&next, &a->reg)) {
		registry_free(&next);
		tn_policy_free(&p);
		return failf(r, TN_EXIT_FAILED, "out of memory");
	}
	if (registry_apply_policy(&next, &p, name, text, &r->err)) {
		r->code = TN_EXIT_INVALID;
		goto out;
	}
	if (agent_commit(a, &next, &r->err)) {
		r->code = TN_EXIT_FAILED;
		goto out;
	}
	ret = 0;
	/* Kept workloads: their paths are looked up again. */
	if (workloads_resolve(a, "policy-load", &r->err))
		fprintf(stderr, "trustnoded: workload cgroups after the policy load: %s\n",
			r->err.msg);
	/* The peers it names: kept verdicts stand, new peers are attested. */
	if (peers_reload(a, &r->err))
		fprintf(stderr, "trustnoded: attested peers after the policy load: %s\n",
			r->err.msg);
	{
		json_object *ev = json_object_new_object();

		json_object_object_add(ev, "policy", json_object_new_string(name));
		json_object_object_add(ev, "mode", json_object_new_string(p.enforce ? "enforce" : "audit"));
		json_object_object_add(ev, "tags", json_object_new_int(p.ntags));
		json_object_object_add(ev, "workloads", json_object_new_int(p.nworkloads));
		json_object_object_add(ev, "tagged_readers", json_object_new_string(
					       tn_tagged_readers_name(p.tagged_readers)));
		json_object_object_add(ev, "trusted_readers", registry_readers_json(&a->reg));
		admin_record(a, "policy-load", ev);
	}
	json_object_object_add(r->o, "mode", json_object_new_string(p.enforce ? "enforce" : "audit"));
	json_object_object_add(r->o, "prefixes", registry_prefixes_json(&a->reg));
	json_object_object_add(r->o, "tags", json_object_new_int(p.ntags));
	json_object_object_add(r->o, "workloads", json_object_new_int(p.nworkloads));
out:
	if (ret)
		registry_free(&next);
	tn_policy_free(&p);
	return ret;
}

/* ---- tags ------------------------------------------------------------ */

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

static int h_tag_add(struct agent *a, json_object *req, struct reply *r)
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
	refresh_taint(a);
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
			admin_record(a, "tag-add", json_object_get(
				json_object_object_get(r->o, "tag")));
		}
	}
	return 0;
oom:
	registry_free(&next);
	return failf(r, TN_EXIT_FAILED, "out of memory");
}

static int h_tag_remove(struct agent *a, json_object *req, struct reply *r)
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
	refresh_taint(a);
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
	admin_record(a, "tag-remove", json_object_get(json_object_object_get(r->o, "tag")));
	/* Data under that tag no longer taints: peers must see it. */
	snprintf(what, sizeof(what), "untag %.500s", path ? path :
		 tn_json_str(req, "net") ? tn_json_str(req, "net") : "?");
	measure_weakening(a, what);
	return 0;
}

static int h_tag_prune(struct agent *a, json_object *req, struct reply *r)
{
	refresh_taint(a);
	if (derived_prune(a, r->o, &r->err))
		return fail(r, TN_EXIT_FAILED);
	return 0;
}

static int h_tag_list(struct agent *a, json_object *req, struct reply *r)
{
	json_object *tags = json_object_new_array();
	int i;

	for (i = 0; i < a->reg.ntags; i++)
		json_object_array_add(tags, registry_tag_json(&a->reg, &a->reg.tags[i]));
	json_object_object_add(r->o, "tags", tags);
	return 0;
}

/* ---- workloads ------------------------------------------------------- */

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

static int h_workload_add(struct agent *a, json_object *req, struct reply *r)
{
	const char *name = tn_json_str(req, "name");
	const char *cgroup = tn_json_str(req, "cgroup");
	struct registry next;
	uint64_t cgid;

	if (!name || !cgroup)
		return failf(r, TN_EXIT_INVALID, "\"name\" and \"cgroup\" are required");
	if (tn_cgroup_id(cgroup, &cgid, &r->err) || below_root(a, cgroup, &r->err))
		return fail(r, TN_EXIT_INVALID);
	refresh_taint(a);
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
	admin_record(a, "workload-add", json_object_get(json_object_object_get(r->o, "workload")));
	return 0;
}

static int h_workload_remove(struct agent *a, json_object *req, struct reply *r)
{
	struct reg_workload *w;
	struct registry next;

	refresh_taint(a);
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
	admin_record(a, "workload-remove", json_object_get(json_object_object_get(r->o, "workload")));
	return 0;
}

static int h_workload_reset(struct agent *a, json_object *req, struct reply *r)
{
	struct reg_workload *w;
	json_object *ev;
	struct tn_err e;
	char what[128];

	refresh_taint(a);
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
	w->taint = 0;
	if (registry_save(&a->reg, a->state_path, &e))
		fprintf(stderr, "trustnoded: %s\n", e.msg);
	json_object_object_add(r->o, "workload", json_object_get(ev));
	json_object_object_add(ev, "note", json_object_new_string("taint cleared by the administrator"));
	admin_record(a, "workload-reset", ev);
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
static int h_workload_resolve(struct agent *a, json_object *req, struct reply *r)
{
	struct reg_workload *w;

	if (workloads_resolve(a, "request", &r->err))
		return fail(r, TN_EXIT_FAILED);
	refresh_taint(a);
	w = request_workload(a, req, r);
	if (!w)
		return -1;
	json_object_object_add(r->o, "workload", registry_workload_json(&a->reg, w));
	return 0;
}

static int h_workload_list(struct agent *a, json_object *req, struct reply *r)
{
	json_object *arr = json_object_new_array();
	int i;

	refresh_taint(a);
	for (i = 0; i < a->reg.nwls; i++)
		json_object_array_add(arr, registry_workload_json(&a->reg, &a->reg.wls[i]));
	json_object_object_add(r->o, "workloads", arr);
	return 0;
}

static int h_events(struct agent *a, json_object *req, struct reply *r)
{
	long long limit = 100, since = 0;

	tn_json_int(req, "limit", &limit);
	tn_json_int(req, "since", &since);
	events_poll(a);		/* whatever is in the ring buffer now */
	events_check_counters(a);
	json_object_object_add(r->o, "events", events_query(a, limit, since));
	return 0;
}

static int h_peers(struct agent *a, json_object *req, struct reply *r)
{
	json_object_object_add(r->o, "peers", peers_status_json(a));
	return 0;
}

static int h_log_checkpoint(struct agent *a, json_object *req, struct reply *r)
{
	if (audit_checkpoint_now(a, &r->err))
		return fail(r, TN_EXIT_FAILED);
	json_object_object_add(r->o, "audit", audit_status_json(a));
	return 0;
}

static int h_seal(struct agent *a, json_object *req, struct reply *r)
{
	static const char what[] = TN_SEAL_TEXT;
	uint8_t d[TN_DIGEST_LEN];
	struct tn_err e;

	if (kmod_seal(a, &r->err))
		return fail(r, TN_EXIT_FAILED);
	admin_record(a, "seal", NULL);
	/* Peers see the seal in the quote: it cannot be undone until reboot. */
	crypto_hash_sha256(d, (const uint8_t *)what, sizeof(what) - 1);
	if (measure(a, TN_MEASURE_SEAL, d, what, &e))
		fprintf(stderr, "trustnoded: measuring the seal: %s\n", e.msg);
	json_object_object_add(r->o, "kernel_module", kmod_status_json(a));
	return 0;
}

static const struct {
	const char *cmd;
	int writes;
	int (*fn)(struct agent *a, json_object *req, struct reply *r);
} handlers[] = {
	{ "status",          0, h_status },
	{ "policy.show",     0, h_policy_show },
	{ "policy.load",     1, h_policy_load },
	{ "tag.add",         1, h_tag_add },
	{ "tag.remove",      1, h_tag_remove },
	{ "tag.list",        0, h_tag_list },
	{ "tag.prune",       1, h_tag_prune },
	{ "workload.add",    1, h_workload_add },
	{ "workload.remove", 1, h_workload_remove },
	{ "workload.reset",  1, h_workload_reset },
	{ "workload.list",   0, h_workload_list },
	{ "workload.resolve", 0, h_workload_resolve },
	{ "events",          0, h_events },
	{ "seal",            1, h_seal },
	{ "log.checkpoint",  1, h_log_checkpoint },
	{ "peers",           0, h_peers },
};

json_object *requests_dispatch(struct agent *a, json_object *req, int privileged)
{
	const char *cmd = tn_json_str(req, "cmd");
	struct reply r = { .o = json_object_new_object(), .code = 0 };
	size_t i;

	for (i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++) {
		if (strcmp(cmd, handlers[i].cmd))
			continue;
		if (handlers[i].writes && !privileged) {
			failf(&r, TN_EXIT_PERM, "permission denied: '%s' changes the node and needs root", cmd);
			break;
		}
		/* A workload may be root: where it runs decides, not its uid. */
		if (handlers[i].writes && a->caller && a->caller->refused[0]) {
			json_object *ev = json_object_new_object();

			failf(&r, TN_EXIT_PERM, "%s", a->caller->refused);
			json_object_object_add(ev, "command", json_object_new_string(cmd));
			json_object_object_add(ev, "reason", json_object_new_string(a->caller->refused));
			admin_record(a, "control-refused", ev);
			break;
		}
		handlers[i].fn(a, req, &r);
		break;
	}
	if (i == sizeof(handlers) / sizeof(handlers[0]))
		failf(&r, TN_EXIT_INVALID, "unknown command '%.64s'", cmd);
	/* A change is acknowledged only once its audit record is on disk. */
	audit_commit(a);
	if (r.code) {
		json_object_put(r.o);
		r.o = json_object_new_object();
		json_object_object_add(r.o, "ok", json_object_new_boolean(0));
		json_object_object_add(r.o, "code", json_object_new_int(r.code));
		json_object_object_add(r.o, "error", json_object_new_string(r.err.msg));
	} else {
		json_object_object_add(r.o, "ok", json_object_new_boolean(1));
	}
	return r.o;
}
