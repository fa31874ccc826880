/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Helpers every hook family uses: counters, the configuration, which
 * workload a task or packet belongs to, events, taint.
 *
 * Part of trustnode.bpf.c (one object, one skeleton): included once, after
 * the files before it in that list, whose helpers it uses.
 */

static __always_inline void count(__u32 which)
{
	__u64 *c = bpf_map_lookup_elem(&tn_counters, &which);

	if (c)
		__sync_fetch_and_add(c, 1);
}

static __always_inline struct tn_config *get_config(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&tn_config, &zero);
}

/*
 * trustnode's cgroup (--cgroup) and its level, set by the agent before it
 * loads the object (read-only to the programs and to everyone after the
 * load, unlike a map). Every workload is below it. 0: not set, so every
 * task's cgroups are walked.
 */
const volatile __u64 tn_root_cgid = 0;
const volatile __u32 tn_root_level = 0;

/*
 * The current task is outside trustnode's cgroup, so in no workload: one
 * helper call says so, instead of a walk of lookups that cannot match.
 */
static __always_inline bool task_outside_root(void)
{
	return tn_root_cgid &&
	       bpf_get_current_ancestor_cgroup_id(tn_root_level) != tn_root_cgid;
}

/* No workload with cgroup id cgid has been tainted (bpf_shared.h). */
static __always_inline bool taint_filter_clear(__u64 cgid)
{
	__u32 slot = tn_taint_filter_slot(cgid);
	__u32 *filter = bpf_map_lookup_elem(&tn_taint_filter, &slot);

	return filter && !*filter;
}

/*
 * The registered cgroup a task or packet belongs to: its cgroup or the
 * nearest ancestor that is a workload (or, where trusted is given, a
 * trusted receiver: NULL with *trusted set). Workloads never nest (the
 * agent refuses it), so the first hit is the only one. of_skb is a
 * constant at every call, so each program keeps only its own helper
 * (bpf_skb_ancestor_cgroup_id for packets, the current task's otherwise).
 * tainted_only: the caller wants a tainted workload or nothing, so a
 * cgroup whose tn_taint_filter slot is clear is not looked up (an
 * untainted workload may then come back as NULL): the hash lookup is the
 * dearest part of the walk.
 */
static __always_inline struct tn_workload *ancestor_workload(bool of_skb,
							     struct __sk_buff *skb,
							     __u64 *cgid,
							     bool *trusted,
							     bool root_check,
							     bool tainted_only)
{
	struct tn_config *cfg = get_config();
	int i;

	if (trusted)
		*trusted = false;
	if (!cfg || !cfg->loaded)
		return NULL;
	/*
	 * Most tasks on a node run outside trustnode's cgroup. root_check is
	 * a constant at every call: the programs attached to trustnode's
	 * cgroup (packets, connect and sendmsg) see tasks and sockets below
	 * it and skip it.
	 */
	if (root_check && !of_skb && task_outside_root())
		return NULL;
	/* A constant trip count keeps the verifier's work small. */
	for (i = 0; i < TN_CGROUP_DEPTH; i++) {
		__u32 level = cfg->min_level + 1 + i;
		__u64 id = of_skb ? bpf_skb_ancestor_cgroup_id(skb, level) :
			   bpf_get_current_ancestor_cgroup_id(level);
		struct tn_workload *w;

		if (!id)
			return NULL;
		if (tainted_only && taint_filter_clear(id))
			continue;
		w = bpf_map_lookup_elem(&tn_workloads, &id);
		if (w) {
			*cgid = id;
			return w;
		}
		if (trusted && bpf_map_lookup_elem(&tn_trusted, &id)) {
			*cgid = id;
			*trusted = true;
			return NULL;
		}
	}
	return NULL;
}

/* The workload of the current task. */
static __always_inline struct tn_workload *current_workload(__u64 *wl_cgid)
{
	return ancestor_workload(false, NULL, wl_cgid, NULL, true, false);
}

/* ---- the clean cache (tn_clean, bpf_shared.h) ------------------------- */

#define compiler_barrier() asm volatile("" ::: "memory")

/* Every cached "clean" answer goes. */
static __always_inline void clean_gen_bump(void)
{
	__u32 which = TN_CLEAN_GEN_BPF;
	__u64 *gen = bpf_map_lookup_elem(&tn_clean_gen, &which);

	if (gen)
		__sync_fetch_and_add(gen, 1);
}

/* Both counters, read before an answer is worked out. */
static __always_inline bool clean_gens(__u64 gen[2])
{
	__u32 bpf = TN_CLEAN_GEN_BPF, agent = TN_CLEAN_GEN_AGENT;
	__u64 *g0 = bpf_map_lookup_elem(&tn_clean_gen, &bpf);
	__u64 *g1 = bpf_map_lookup_elem(&tn_clean_gen, &agent);

	if (!g0 || !g1)
		return false;
	gen[0] = *(volatile __u64 *)g0;
	gen[1] = *(volatile __u64 *)g1;
	compiler_barrier();
	return true;
}

static __always_inline struct tn_clean *clean_entry(__u64 cgid)
{
	__u32 slot = (__u32)cgid & (TN_CLEAN_SLOTS - 1);

	return bpf_map_lookup_elem(&tn_clean, &slot);
}

/* This CPU answered "clean" for cgid under the counters gen. */
static __always_inline bool clean_cached(__u64 cgid, const __u64 gen[2])
{
	struct tn_clean *c = clean_entry(cgid);
	__u64 seq;

	if (!c)
		return false;
	seq = *(volatile __u64 *)&c->seq;
	compiler_barrier();
	if ((seq & 1) || c->cgid != cgid || c->gen[0] != gen[0] ||
	    c->gen[1] != gen[1])
		return false;
	compiler_barrier();
	return *(volatile __u64 *)&c->seq == seq;
}

static __always_inline void clean_store(__u64 cgid, const __u64 gen[2])
{
	struct tn_clean *c = clean_entry(cgid);
	__u64 seq;

	if (!c)
		return;
	seq = *(volatile __u64 *)&c->seq;
	if ((seq & 1) || __sync_val_compare_and_swap(&c->seq, seq, seq + 1) != seq)
		return;
	c->cgid = cgid;
	c->gen[0] = gen[0];
	c->gen[1] = gen[1];
	compiler_barrier();
	*(volatile __u64 *)&c->seq = seq + 2;
}

/*
 * The current task's workload if it may be tainted, else NULL (it is in
 * no workload or an untainted one): the cache, else the walk, whose
 * "clean" is cached. on_cgroup: from a program attached to trustnode's
 * cgroup, whose task is nearly always below it, so the walk skips the
 * root check (one that is not finds nothing either).
 */
static __always_inline struct tn_workload *current_tainted_workload(__u64 *wl_cgid,
								    bool on_cgroup)
{
	/*
	 * Counters first: a migration of this task after they are read
	 * moves them (tn_cgroup_attach), so an answer about the cgroup it
	 * left or joined meanwhile is never used.
	 */
	__u64 gen[2], cgid;
	bool have_gens = clean_gens(gen);
	struct tn_workload *w;

	cgid = bpf_get_current_cgroup_id();
	if (have_gens && clean_cached(cgid, gen))
		return NULL;
	w = ancestor_workload(false, NULL, wl_cgid, NULL, !on_cgroup, true);
	if (have_gens && (!w || !w->taint))
		clean_store(cgid, gen);
	return w;
}

/* The workload of the cgroup of the socket that owns skb. */
static __always_inline struct tn_workload *skb_workload(struct __sk_buff *skb,
							__u64 *wl_cgid)
{
	return ancestor_workload(true, skb, wl_cgid, NULL, false, false);
}

/* Same, if it may be tainted (see current_tainted_workload). */
static __always_inline struct tn_workload *skb_tainted_workload(struct __sk_buff *skb,
								__u64 *wl_cgid)
{
	/* A socket's cgroup is set when it is made and never changes. */
	__u64 cgid = bpf_skb_cgroup_id(skb), gen[2];
	bool have_gens = clean_gens(gen);
	struct tn_workload *w;

	if (have_gens && cgid && clean_cached(cgid, gen))
		return NULL;
	w = ancestor_workload(true, skb, wl_cgid, NULL, false, true);
	if (have_gens && cgid && (!w || !w->taint))
		clean_store(cgid, gen);
	return w;
}

static __always_inline struct tn_event *event_start(__u32 type, __u32 decision,
						    __u64 wl_cgid, __u64 labels,
						    bool process_context)
{
	struct tn_event *e = bpf_ringbuf_reserve(&tn_events, sizeof(*e), 0);

	if (!e) {
		count(TN_CNT_EVENTS_LOST);
		return NULL;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->ts_boot_ns = bpf_ktime_get_boot_ns();
	e->type = type;
	e->decision = decision;
	e->workload_cgid = wl_cgid;
	e->labels = labels;
	if (process_context) {
		e->pid = bpf_get_current_pid_tgid() >> 32;
		bpf_get_current_comm(e->comm, sizeof(e->comm));
	}
	return e;
}

/*
 * Adds labels to the taint of workload w (cgroup wl_cgid). Returns the
 * labels that were new; an event is emitted only then, so re-reading a
 * tagged file stays quiet. Its tn_taint_filter slot is set first: a check
 * that finds the slot clear then finds the taint clear too.
 */
static __always_inline __u64 taint(struct tn_workload *w, __u64 wl_cgid,
				   __u64 labels)
{
	__u32 slot = tn_taint_filter_slot(wl_cgid);
	__u32 *filter = bpf_map_lookup_elem(&tn_taint_filter, &slot);
	__u64 old;

	if (filter && !*filter)
		*filter = 1;
	old = __sync_fetch_and_or(&w->taint, labels);
	if (labels & ~old)
		clean_gen_bump();
	return labels & ~old;
}

/* Audit mode allows and records; anything else (no policy yet) enforces. */
static __always_inline bool audit_mode(void)
{
	struct tn_config *cfg = get_config();

	return cfg && cfg->mode == TN_MODE_AUDIT;
}

/*
 * The decision on an action a tainted workload may not take: allowed and
 * counted as such in audit mode, else denied and counted as deny_counter.
 */
static __always_inline __u32 refusal(__u32 deny_counter)
{
	if (audit_mode()) {
		count(TN_CNT_AUDIT_ALLOW);
		return TN_DEC_ALLOW_AUDIT;
	}
	count(deny_counter);
	return TN_DEC_DENY;
}

/* An LSM hook's answer on such an action: its event, -EPERM if denied. */
static __always_inline int refused(__u32 ev_type, __u32 decision,
				   __u64 wl_cgid, __u64 labels)
{
	struct tn_event *e = event_start(ev_type, decision, wl_cgid, labels, true);

	if (e)
		bpf_ringbuf_submit(e, 0);
	return decision == TN_DEC_DENY ? -EPERM : 0;
}
