/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The registry's one writer (agent/state.c): every change to the agent's
 * registry, and every save of state.json, goes through these functions.
 * Which side owns which fact is written at the top of state.c.
 */
#ifndef TN_STATE_H
#define TN_STATE_H

#include <stdint.h>
#include "err.h"
#include "registry.h"

struct agent;

/* state.json into a->reg, at start (an absent file is an empty state). */
int state_load(struct agent *a, struct tn_err *err);

/*
 * Applies a changed copy of the registry: kernel first, then disk, then
 * the agent's copy; on failure the kernel is synced back and nothing
 * changed. The path of every administrative and policy change.
 */
int agent_commit(struct agent *a, struct registry *next, struct tn_err *err);

/* Saves now, whatever is pending (errors are reported, not returned). */
void state_save(struct agent *a);
/*
 * Saves if something changed since the last save: once per slice of
 * events and once per timer tick, not once per event.
 */
void state_flush(struct agent *a);

/* Taint: the registry's copy catches up with the kernel (the owner). */
void state_taint_from_kernel(struct agent *a);
/* An event said a workload gained labels (saved at the next flush). */
void state_note_taint(struct agent *a, struct reg_workload *w,
		      uint64_t labels);
/* The administrator cleared a workload's taint (already cleared in the kernel). */
void state_clear_taint(struct agent *a, struct reg_workload *w);

/* An event said a tainted workload wrote a file: a derived tag. */
void state_note_derived(struct agent *a, const struct reg_tag *t);
/* A derived tag's file handle found later; takes handle. 0: it was set. */
int state_set_tag_handle(struct agent *a, uint64_t dev, uint64_t ino,
			 char *handle);
/* A later last write of derived tag i than the registry knows (unix s). */
void state_note_last_write(struct agent *a, int i, int64_t last_write);
/* Derived tag i went from the kernel (pruned or expired): it goes here too. */
void state_drop_tag(struct agent *a, int i);

/*
 * cgwatch.c looked the registry's cgroup paths up again on a copy (seen):
 * the ids it found, which are missing, and the taint read back from the
 * kernel go into the registry; nothing else. changed: an id changed, so the
 * registry is saved at the next flush.
 */
void state_adopt_cgroups(struct agent *a, const struct registry *seen,
			 int changed);

/*
 * Peers attested again, nothing else changed: their new expiries (one per
 * allowed peer address, in the registry's order) go into the registry and
 * the BPF maps in place; the module follows at its next sync.
 */
int state_renew_peers(struct agent *a, const uint64_t *valid_until, int n,
		      struct tn_err *err);

#endif
