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
 * The registered cgroup a task or packet belongs to: its cgroup or the
 * nearest ancestor that is a workload (or, where trusted is given, a
 * trusted receiver: NULL with *trusted set). Workloads never nest (the
 * agent refuses it), so the first hit is the only one. of_skb is a
 * constant at every call, so each program keeps only its own helper
 * (bpf_skb_ancestor_cgroup_id for packets, the current task's otherwise).
 */
static __always_inline struct tn_workload *ancestor_workload(bool of_skb,
							     struct __sk_buff *skb,
							     __u64 *cgid,
							     bool *trusted,
							     bool root_check)
{
	struct tn_config *cfg = get_config();
	int i;

	if (trusted)
		*trusted = false;
	if (!cfg || !cfg->loaded)
		return NULL;
	/*
	 * Most tasks on a node run outside trustnode's cgroup: one helper
	 * call says so, instead of a walk of lookups that cannot match.
	 * root_check is a constant at every call: the programs attached to
	 * trustnode's cgroup (packets, connect and sendmsg) see tasks and
	 * sockets below it and skip it.
	 */
	if (root_check && !of_skb && tn_root_cgid &&
	    bpf_get_current_ancestor_cgroup_id(tn_root_level) != tn_root_cgid)
		return NULL;
	/* A constant trip count keeps the verifier's work small. */
	for (i = 0; i < TN_CGROUP_DEPTH; i++) {
		__u32 level = cfg->min_level + 1 + i;
		__u64 id = of_skb ? bpf_skb_ancestor_cgroup_id(skb, level) :
			   bpf_get_current_ancestor_cgroup_id(level);
		struct tn_workload *w;

		if (!id)
			return NULL;
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
	return ancestor_workload(false, NULL, wl_cgid, NULL, true);
}

/*
 * Same, from a program attached to trustnode's cgroup, whose task is
 * nearly always below it: straight to the walk (one that is not finds
 * nothing there either).
 */
static __always_inline struct tn_workload *current_workload_below_root(__u64 *wl_cgid)
{
	return ancestor_workload(false, NULL, wl_cgid, NULL, false);
}

/* Same, for the cgroup of the socket that owns skb. */
static __always_inline struct tn_workload *skb_workload(struct __sk_buff *skb,
							__u64 *wl_cgid)
{
	return ancestor_workload(true, skb, wl_cgid, NULL, false);
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
 * Adds labels to a workload's taint. Returns the labels that were new; an
 * event is emitted only then, so re-reading a tagged file stays quiet.
 */
static __always_inline __u64 taint(struct tn_workload *w, __u64 labels)
{
	__u64 old = __sync_fetch_and_or(&w->taint, labels);

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
