// SPDX-License-Identifier: GPL-2.0-only
/*
 * Keeps trustnode.ko, the independent netfilter guard, in step with the
 * BPF side: the policy (mode and prefixes) and every workload's taint. It
 * runs after each change and once a second, so a module loaded later, or an
 * agent restarted, converges without a special path. TAINT only ever adds
 * labels, so repeating it is harmless.
 */
#include <arpa/inet.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <string.h>
#include "agent.h"
#include "allowed.h"
#include <errno.h>
#include "attest.h"
#include "kmod_nl.h"
#include "linux/trustnode.h"

/* Says once, not every second, that something keeps failing. */
static void note(struct agent *a, const char *what, const struct tn_err *err)
{
	if (!strcmp(a->kmod_last_error, err->msg))
		return;
	snprintf(a->kmod_last_error, sizeof(a->kmod_last_error), "%s", err->msg);
	fprintf(stderr, "trustnoded: kernel module: %s: %s\n", what, err->msg);
	{
		json_object *o = json_object_new_object();

		json_object_object_add(o, "what", json_object_new_string(what));
		json_object_object_add(o, "error", json_object_new_string(err->msg));
		events_record(a, "kmod-error", o);
	}
}

/* One module DROP notification becomes a "kmod-drop" event. */
static int on_drop(struct nl_msg *msg, void *arg)
{
	struct agent *a = arg;
	struct nlattr *tb[TRUSTNODE_A_MAX + 1];
	struct reg_workload *w = NULL;
	char dest[TN_ADDR_STRLEN + 8];
	json_object *o;
	uint8_t addr[16] = { 0 };
	int family;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, TRUSTNODE_A_MAX, NULL) ||
	    genlmsg_hdr(nlmsg_hdr(msg))->cmd != TRUSTNODE_CMD_DROP ||
	    !tb[TRUSTNODE_A_FAMILY] || !tb[TRUSTNODE_A_DADDR])
		return NL_SKIP;
	family = nla_get_u8(tb[TRUSTNODE_A_FAMILY]);
	if (nla_len(tb[TRUSTNODE_A_DADDR]) != (family == AF_INET ? 4 : 16))
		return NL_SKIP;
	memcpy(addr, nla_data(tb[TRUSTNODE_A_DADDR]), nla_len(tb[TRUSTNODE_A_DADDR]));
	tn_format_endpoint(dest, sizeof(dest), family, addr,
			   tb[TRUSTNODE_A_DPORT] ? nla_get_u16(tb[TRUSTNODE_A_DPORT]) : 0);
	if (tb[TRUSTNODE_A_TAINT_CGROUP_ID])
		w = registry_workload_by_cgid(&a->reg, nla_get_u64(tb[TRUSTNODE_A_TAINT_CGROUP_ID]));
	o = json_object_new_object();
	json_object_object_add(o, "decision", json_object_new_string(
		tb[TRUSTNODE_A_VERDICT] && nla_get_u8(tb[TRUSTNODE_A_VERDICT]) ==
		TRUSTNODE_VERDICT_AUDIT_ALLOW ? "allow-audit" : "deny"));
	if (w)
		json_object_object_add(o, "workload", json_object_new_string(w->name));
	if (tb[TRUSTNODE_A_PID] && nla_get_u32(tb[TRUSTNODE_A_PID]))
		json_object_object_add(o, "pid", json_object_new_int64(nla_get_u32(tb[TRUSTNODE_A_PID])));
	if (tb[TRUSTNODE_A_LABELS])
		json_object_object_add(o, "labels", registry_label_names(&a->reg,
				       nla_get_u64(tb[TRUSTNODE_A_LABELS])));
	json_object_object_add(o, "dest", json_object_new_string(dest));
	json_object_object_add(o, "note", json_object_new_string(
		"dropped by trustnode.ko (netfilter); reports are rate-limited"));
	events_record(a, "kmod-drop", o);
	return NL_OK;
}

static void read_drops(struct agent *a);

/* Listens to the module's "drops" group once the module is there. */
static void subscribe_drops(struct agent *a)
{
	int grp;

	if (a->kmod_drops || a->ep < 0)
		return;
	a->kmod_drops = nl_socket_alloc();
	if (!a->kmod_drops)
		return;
	if (genl_connect(a->kmod_drops) ||
	    (grp = genl_ctrl_resolve_grp(a->kmod_drops, TRUSTNODE_GENL_NAME,
					 TRUSTNODE_MCGRP_DROPS)) < 0 ||
	    nl_socket_add_membership(a->kmod_drops, grp)) {
		nl_socket_free(a->kmod_drops);
		a->kmod_drops = NULL;
		return;
	}
	nl_socket_disable_seq_check(a->kmod_drops);
	nl_socket_modify_cb(a->kmod_drops, NL_CB_VALID, NL_CB_CUSTOM, on_drop, a);
	nl_socket_set_nonblocking(a->kmod_drops);
	agent_watch(a, &a->kmod_drops_src, nl_socket_get_fd(a->kmod_drops),
		    read_drops);
}

static void unsubscribe_drops(struct agent *a)
{
	if (!a->kmod_drops)
		return;
	agent_unwatch(a, &a->kmod_drops_src);
	nl_socket_free(a->kmod_drops);
	a->kmod_drops = NULL;
}

static void read_drops(struct agent *a)
{
	/* An error means the module went away: subscribe again later. */
	if (a->kmod_drops && nl_recvmsgs_default(a->kmod_drops) < 0)
		unsubscribe_drops(a);
}

static struct tn_kmod *module(struct agent *a)
{
	struct tn_err err;

	if (!a->kmod) {
		a->kmod = tn_kmod_open(&err);
		a->kmod_pushed_gen = 0;	/* a (re)loaded module has no policy */
	}
	return a->kmod;
}

/*
 * The module was there and its netlink family is gone (rmmod behind the
 * agent's back), or was gone between two checks (its state lost): a
 * weakening, measured and recorded; again each time it comes back and goes.
 */
static void module_gone(struct agent *a, const char *what)
{
	if (!a->kmod_was_loaded)
		return;
	a->kmod_was_loaded = 0;
	weakening_seen(a, "kmod-unloaded", what);
}

void kmod_sync(struct agent *a)
{
	struct tn_kmod_status st;
	struct tn_err err;
	int i;

	if (a->opt.no_kmod)
		return;
	if (!module(a)) {
		module_gone(a, "trustnode.ko unloaded: its netlink family is gone");
		return;
	}
	a->kmod_was_loaded = 1;
	subscribe_drops(a);
	/* A module unloaded and loaded again has lost its state: notice it. */
	if (tn_kmod_status(a->kmod, &st, &err)) {
		tn_kmod_close(a->kmod);
		a->kmod = NULL;
		unsubscribe_drops(a);
		if (!module(a)) {
			module_gone(a, "trustnode.ko unloaded: its netlink family is gone");
			return;
		}
		module_gone(a, "trustnode.ko unloaded and loaded again: its state was lost");
		a->kmod_was_loaded = 1;
		if (tn_kmod_status(a->kmod, &st, &err))
			return;
	}
	if (!st.policy_loaded) {
		/* Freshly loaded (or reloaded): it knows nothing yet. */
		a->kmod_pushed_gen = 0;
		for (i = 0; i < a->reg.nwls; i++)
			a->reg.wls[i].kmod_taint = 0;
	}
	if (a->kmod_pushed_gen != a->policy_gen) {
		/* The same allowed set as BPF's, each peer with its expiry. */
		struct allowed_set set;
		struct tn_prefix *pfx = NULL;
		uint64_t *until = NULL;

		if (!allowed_set_build(&a->reg, &set)) {
			pfx = calloc(set.n + 1, sizeof(*pfx));
			until = calloc(set.n + 1, sizeof(*until));
			for (i = 0; pfx && until && i < set.n; i++) {
				pfx[i] = set.v[i].pfx;
				until[i] = set.v[i].valid_until;
			}
		}
		if (!pfx || !until)
			fprintf(stderr, "trustnoded: pushing the policy: out of memory\n");
		else if (tn_kmod_set_policy(a->kmod, a->reg.enforce, pfx, until, set.n, &err))
			note(a, "pushing the policy", &err);
		else
			a->kmod_pushed_gen = a->policy_gen;
		free(pfx);
		free(until);
		allowed_set_free(&set);
	}
	/* Only what is new: every TAINT is an audit record in the kernel. */
	for (i = 0; i < a->reg.nwls; i++) {
		struct reg_workload *w = &a->reg.wls[i];
		uint64_t taint = w->taint;

		if (!w->cgid)
			continue;
		maps_workload_taint(a, w->cgid, &taint);
		if (!(taint & ~w->kmod_taint))
			continue;
		if (tn_kmod_taint(a->kmod, w->cgid, taint, &err))
			note(a, "pushing a taint", &err);
		else
			w->kmod_taint |= taint;
	}
}

int kmod_clear_taint(struct agent *a, uint64_t cgid, struct tn_err *err)
{
	struct tn_err e;
	struct reg_workload *w;

	if (!module(a))
		return 0;
	/* A sealed module refuses with EPERM (checked before ENOENT). */
	if (tn_kmod_clear_taint(a->kmod, cgid, &e) && e.errnum != ENOENT)
		return tn_fail(err, "%s", e.msg);
	w = registry_workload_by_cgid(&a->reg, cgid);
	if (w)
		w->kmod_taint = 0;
	return 0;
}

int kmod_seal(struct agent *a, struct tn_err *err)
{
	if (!module(a))
		return tn_fail(err, "cannot seal: the trustnode kernel module is not loaded (modprobe trustnode)");
	kmod_sync(a);
	if (a->kmod_pushed_gen != a->policy_gen)
		return tn_fail(err, "cannot seal: the module did not accept the current policy: %s", a->kmod_last_error);
	return tn_kmod_seal(a->kmod, err);
}

json_object *kmod_status_json(struct agent *a)
{
	json_object *o = json_object_new_object();
	struct tn_kmod_status st;
	struct tn_err err;

	if (!module(a) || tn_kmod_status(a->kmod, &st, &err)) {
		json_object_object_add(o, "loaded", json_object_new_boolean(0));
		return o;
	}
	json_object_object_add(o, "loaded", json_object_new_boolean(1));
	json_object_object_add(o, "version", json_object_new_string(st.version));
	json_object_object_add(o, "policy_loaded", json_object_new_boolean(st.policy_loaded));
	json_object_object_add(o, "mode", json_object_new_string(st.enforce ? "enforce" : "audit"));
	json_object_object_add(o, "sealed", json_object_new_boolean(st.sealed));
	json_object_object_add(o, "prefixes", json_object_new_int64(st.nprefixes));
	json_object_object_add(o, "tainted_cgroups", json_object_new_int64(st.ntainted));
	json_object_object_add(o, "drops", json_object_new_int64(st.drops));
	json_object_object_add(o, "audit_allows", json_object_new_int64(st.audit_allows));
	json_object_object_add(o, "reports_suppressed", json_object_new_int64(st.reports_suppressed));
	json_object_object_add(o, "in_sync", json_object_new_boolean(a->kmod_pushed_gen == a->policy_gen));
	return o;
}

void kmod_close(struct agent *a)
{
	unsubscribe_drops(a);
	tn_kmod_close(a->kmod);
	a->kmod = NULL;
}
