// SPDX-License-Identifier: GPL-2.0-only
/*
 * The registry's one writer. Every change to the agent's registry (a->reg)
 * and every save of state.json goes through this file: requests, derived
 * tags, the event pipeline and the attested peers ask it, and none of them
 * writes the registry or the file itself. It exists so that "what the agent
 * knows" has one place where it changes and one rule for when it is saved.
 *
 * Who owns which fact (docs/architecture.md says the same):
 *
 * - taint: the kernel. The BPF programs set it in tn_workloads at the
 *   moment it happens; the registry holds a copy, which only catches up
 *   (state_taint_from_kernel before a reply or a change, state_note_taint
 *   from the events) and is saved so that a reboot can restore it. Only
 *   workload reset clears it, in the module and the maps first.
 * - derived tags: the kernel too. BPF creates the tn_derived entry at the
 *   write; the registry's copy (state_note_derived) lists it and restores it
 *   after a reboot. Pruning and expiry remove the kernel's entry first.
 * - policy, administrative tags, labels, workloads (names and paths),
 *   trusted receivers and readers, prefixes, enforce/audit: the registry.
 *   The BPF maps (bpf_sync.c) and trustnode.ko (kmod_sync.c) are written
 *   from it through agent_commit and never read back for these.
 * - attested peers' addresses and expiries: peers.c's verdicts, held in the
 *   registry (not saved) so that the same commit writes them to the kernel.
 *
 * When it is saved: agent_commit saves before it replaces the agent's copy
 * (kernel first, then disk), workload reset and a start that found new
 * cgroup ids save at once, and what events and timers note is saved once
 * per slice of events or tick (state_flush), not once per event: the kernel
 * holds those facts already, the file is for after a reboot.
 *
 * Not facts but the parts' own progress, not saved, and written by their
 * owners: kmod_taint (what kmod_sync.c has told the module) and
 * denials_reported (events.c). Not yet routed here: cgwatch.c resolves the
 * workload ids in place at start, before the programs attach (main.c then
 * saves with state_save), and copies the not-saved "missing" flags in place
 * after a resolve that changed no id; a resolve that changes an id goes
 * through agent_commit.
 */
#include <stdio.h>
#include <stdlib.h>
#include "agent.h"

int state_load(struct agent *a, struct tn_err *err)
{
	a->state_dirty = 0;
	return registry_load(&a->reg, a->state_path, err);
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
	/* next was copied from the agent's registry: the file holds it all. */
	a->state_dirty = 0;
	cgwatch_rearm(a);
	a->policy_gen++;
	kmod_sync(a);
	measure_policy(a);
	return 0;
}

void state_save(struct agent *a)
{
	static int failing;
	struct tn_err err;

	/*
	 * A flush that fails is tried again at every slice and tick: the
	 * first failure of a run is reported, not each retry.
	 */
	if (registry_save(&a->reg, a->state_path, &err)) {
		if (!failing)
			fprintf(stderr, "trustnoded: %s\n", err.msg);
		failing = 1;
		return;
	}
	if (failing)
		fprintf(stderr, "trustnoded: %s saved again\n", a->state_path);
	failing = 0;
	a->state_dirty = 0;
}

void state_flush(struct agent *a)
{
	if (a->state_dirty)
		state_save(a);
}

void state_taint_from_kernel(struct agent *a)
{
	int i;

	for (i = 0; i < a->reg.nwls; i++) {
		uint64_t t;

		if (!maps_workload_taint(a, a->reg.wls[i].cgid, &t))
			a->reg.wls[i].taint = t;
	}
}

void state_note_taint(struct agent *a, struct reg_workload *w,
		      uint64_t labels)
{
	if (!w || (w->taint | labels) == w->taint)
		return;
	w->taint |= labels;
	a->state_dirty = 1;
}

void state_clear_taint(struct agent *a, struct reg_workload *w)
{
	w->taint = 0;
	state_save(a);
}

void state_note_derived(struct agent *a, const struct reg_tag *t)
{
	struct tn_err err;

	if (registry_add_tag(&a->reg, t, &err))
		fprintf(stderr, "trustnoded: %s\n", err.msg);
	else
		a->state_dirty = 1;
}

int state_set_tag_handle(struct agent *a, uint64_t dev, uint64_t ino,
			 char *handle)
{
	if (registry_set_tag_handle(&a->reg, dev, ino, handle))
		return -1;
	a->state_dirty = 1;
	return 0;
}

void state_note_last_write(struct agent *a, int i, int64_t last_write)
{
	a->reg.tags[i].last_write = last_write;
	a->state_dirty = 1;
}

void state_drop_tag(struct agent *a, int i)
{
	registry_remove_tag(&a->reg, i);
	a->state_dirty = 1;
}

void state_adopt_cgroups(struct agent *a, const struct registry *seen,
			 int changed)
{
	int i;

	for (i = 0; i < a->reg.nwls && i < seen->nwls; i++) {
		a->reg.wls[i].cgid = seen->wls[i].cgid;
		a->reg.wls[i].missing = seen->wls[i].missing;
		a->reg.wls[i].taint = seen->wls[i].taint;
		a->reg.wls[i].kmod_taint = seen->wls[i].kmod_taint;
	}
	for (i = 0; i < a->reg.ntrusted && i < seen->ntrusted; i++)
		a->reg.trusted[i].cgid = seen->trusted[i].cgid;
	for (i = 0; i < a->reg.nreaders && i < seen->nreaders; i++) {
		a->reg.readers[i].cgid = seen->readers[i].cgid;
		a->reg.readers[i].missing = seen->readers[i].missing;
	}
	if (changed)
		a->state_dirty = 1;
}

int state_renew_peers(struct agent *a, const uint64_t *valid_until, int n,
		      struct tn_err *err)
{
	int i;

	if (n != a->reg.npeer_prefixes)
		return tn_fail(err, "%d peer expiries for %d peer addresses", n,
			       a->reg.npeer_prefixes);
	for (i = 0; i < n; i++)
		a->reg.peer_prefixes[i].valid_until = valid_until[i];
	if (maps_renew_peers(a, &a->reg, err))
		return -1;
	/*
	 * The module gets it at the next tick (within a second): one
	 * SET_POLICY, and one kernel audit record, a second at most.
	 */
	a->policy_gen++;
	return 0;
}
