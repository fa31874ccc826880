// SPDX-License-Identifier: GPL-2.0-only
/*
 * status, policy.show and policy.load: what the node enforces now, and
 * replacing the policy. Kept apart from the dispatch because the status
 * reply and the policy's admission checks (fail closed on what this
 * attach mode cannot do) are most of the control protocol's logic.
 */
#include <stdio.h>
#include <string.h>
#include "agent.h"
#include "requests.h"
#include "proto.h"
#include "trustnode/bpf_shared.h"
#include "trustnode/control_proto.h"

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

int h_status(struct agent *a, json_object *req, struct reply *r)
{
	json_object *o = r->o, *counters = json_object_new_object();
	json_object *gaps = json_object_new_array();
	const char *const *g;
	uint64_t c[TN_CNT__MAX];
	int i, tainted = 0;

	state_taint_from_kernel(a);
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
	json_object_object_add(o, "links_removed", json_object_new_int(a->links_removed));
	json_object_object_add(o, "counters", counters);
	json_object_object_add(o, "maps", maps_fill_json(a));
	json_object_object_add(o, "gaps", gaps);
	json_object_object_add(o, "kernel_module", kmod_status_json(a));
	json_object_object_add(o, "attestation", attest_status_json(a));
	json_object_object_add(o, "audit", audit_status_json(a));
	json_object_object_add(o, "peers", peers_status_json(a));
	return 0;
}

int h_policy_show(struct agent *a, json_object *req, struct reply *r)
{
	json_object *tags = json_object_new_array(), *wls = json_object_new_array();
	int i;

	state_taint_from_kernel(a);
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

int h_policy_load(struct agent *a, json_object *req, struct reply *r)
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

		if (requests_below_root(a, p.workloads[i].cgroup, &e)) {
			failf(r, TN_EXIT_INVALID, "%s:%d: %s", name,
			      p.workloads[i].line, e.msg);
			tn_policy_free(&p);
			return -1;
		}
	}
	state_taint_from_kernel(a);
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
		requests_record(a, "policy-load", ev);
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
