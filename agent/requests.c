// SPDX-License-Identifier: GPL-2.0-only
/*
 * The control protocol's dispatch: one handler per command, who may call
 * it, and the reply's form; the handlers of the node's own state live per
 * family (requests_policy.c, requests_tags.c, requests_workloads.c), the
 * small ones that only read or record are here. Handlers that change
 * state work on a copy of the registry and go through agent_commit()
 * (state.c), so a request that fails anywhere leaves the kernel, the state
 * file and the agent as they were.
 */
#include <stdio.h>
#include <string.h>
#include <sodium.h>
#include "agent.h"
#include "requests.h"
#include "trustnode/attest_api.h"
#include "proto.h"
#include "trustnode/control_proto.h"

/*
 * An administrative record: what changed and who asked (uid, pid, command,
 * cgroup), so a change from an unexpected place stands out in the log.
 */
void requests_record(struct agent *a, const char *type, json_object *obj)
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
	requests_record(a, "seal", NULL);
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
			requests_record(a, "control-refused", ev);
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
