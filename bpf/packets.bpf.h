/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Packets: egress drops of flows opened before the taint, flow records, and
 * taint at ingress for local receivers.
 *
 * Part of trustnode.bpf.c (one object, one skeleton): included once, after
 * the files before it in that list, whose helpers it uses.
 */

#define IPPROTO_TCP_	6
#define IPPROTO_UDP_	17

/*
 * Copies len bytes at off of the packet. The headers of most packets are
 * in its linear part, read in place (cgroup_skb programs may read it); the
 * helper copies the rest. off must be bounded, len constant.
 */
static __always_inline int skb_read(struct __sk_buff *skb, __u32 off,
				    void *buf, __u32 len)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;

	if (off > 64 || data + off + len > end)
		return bpf_skb_load_bytes(skb, off, buf, len);
	/*
	 * As 32-bit words where buf allows: from a void * the copy is a
	 * byte at a time (about 60 instructions for an IPv4 header, 120 for
	 * IPv6). The kernel does not check a packet load's alignment here.
	 */
	__builtin_memcpy(buf, (__u32 *)(data + off), len);
	return 0;
}

/* Reads a packet's addresses and ports. cgroup_skb data starts at the IP header. */
static __always_inline bool skb_flow(struct __sk_buff *skb,
				     struct tn_flow_key *f)
{
	__u8 vihl;
	__u32 l4off;

	if (skb_read(skb, 0, &vihl, 1))
		return false;
	if ((vihl >> 4) == 4) {
		struct iphdr ip;

		if (skb_read(skb, 0, &ip, sizeof(ip)))
			return false;
		f->family = AF_INET;
		f->protocol = ip.protocol;
		*(__u32 *)f->saddr = ip.saddr;
		*(__u32 *)f->daddr = ip.daddr;
		l4off = (vihl & 0xf) * 4;
	} else if ((vihl >> 4) == 6) {
		struct ipv6hdr ip6;

		if (skb_read(skb, 0, &ip6, sizeof(ip6)))
			return false;
		f->family = AF_INET6;
		f->protocol = ip6.nexthdr;
		__builtin_memcpy(f->saddr, &ip6.saddr, 16);
		__builtin_memcpy(f->daddr, &ip6.daddr, 16);
		l4off = sizeof(ip6);
	} else {
		return false;
	}
	if (f->protocol == IPPROTO_TCP_ || f->protocol == IPPROTO_UDP_) {
		__u16 ports[2];

		if (!skb_read(skb, l4off, ports, sizeof(ports))) {
			f->sport = ports[0];
			f->dport = ports[1];
		}
	}
	return true;
}

/* The other end of a packet: the destination on egress, the source on ingress. */
static __always_inline void flow_peer(const struct tn_flow_key *f, bool egress,
				      struct dest *d)
{
	d->family = f->family;
	d->protocol = f->protocol;
	d->port = egress ? f->dport : f->sport;
	__builtin_memcpy(d->addr, egress ? f->daddr : f->saddr, 16);
}

/* At most one store a TN_FLOW_TOUCH_NS, so CPUs do not fight over the line. */
static __always_inline void clock_touch(__u64 *last, __u64 now)
{
	/* Signed: another CPU may have stored a later time meanwhile. */
	if (last && (__s64)(now - *last) > (__s64)TN_FLOW_TOUCH_NS)
		*last = now;
}

/*
 * The kernel's tick rate, from its configuration where libbpf finds it,
 * else 0. Unknown, the quiet spell is counted at the highest rate (1000,
 * so it lasts at least as long as in the boot clock) and the touch
 * interval at the lowest (100, so it is at most as long), and a tick more
 * for the tick in progress.
 */
extern unsigned int CONFIG_HZ __kconfig __weak;

static __always_inline __s64 quiet_jiffies(void)
{
	__u64 hz = CONFIG_HZ ? CONFIG_HZ : 1000;

	return TN_FLOW_QUIET_NS / 1000000000ULL * hz + 1;
}

static __always_inline __s64 touch_jiffies(void)
{
	__u64 hz = CONFIG_HZ ? CONFIG_HZ : 100;

	return TN_FLOW_TOUCH_NS / 1000000000ULL * hz;
}

/*
 * A tainted workload sends on flow f: ingress must look it up from now
 * until TN_FLOW_QUIET_NS after. The clocks are stored before the packet
 * leaves.
 */
static __always_inline void flow_clock_touch(const struct tn_flow_key *f,
					     __u64 now)
{
	__u32 zero = 0, slot = tn_flow_slot(f);
	__u64 *jiffies = bpf_map_lookup_elem(&tn_flow_jiffies, &zero);

	clock_touch(bpf_map_lookup_elem(&tn_flow_clock, &zero), now);
	clock_touch(bpf_map_lookup_elem(&tn_flow_slots, &slot), now);
	if (jiffies) {
		__u64 j = bpf_jiffies64();

		/* Signed, as in clock_touch; the unknown mark always goes. */
		if (*jiffies == TN_FLOW_JIFFIES_UNKNOWN ||
		    (__s64)(j - *jiffies) > touch_jiffies())
			*jiffies = j;
	}
}

/*
 * Signed: a sender on another CPU may have stored a time after ours, which
 * is recent, not 584 years old. A missing clock counts as recent.
 */
static __always_inline bool clock_recent(const __u64 *last, __u64 now)
{
	return !last || (__s64)(now - *last) < (__s64)TN_FLOW_QUIET_NS;
}

/*
 * Whether a packet arriving now may belong to any recorded flow. Jiffies
 * first: quiet there (signed: a later time stored meanwhile is recent) is
 * quiet, as the boot clock, which has run at least as long, would say.
 */
static __always_inline bool flows_recent(__u64 *now)
{
	__u32 zero = 0;
	__u64 *jiffies = bpf_map_lookup_elem(&tn_flow_jiffies, &zero);

	*now = 0;
	if (jiffies && *jiffies != TN_FLOW_JIFFIES_UNKNOWN &&
	    (!*jiffies ||
	     (__s64)(bpf_jiffies64() - *jiffies) > quiet_jiffies()))
		return false;
	*now = bpf_ktime_get_boot_ns();
	return clock_recent(bpf_map_lookup_elem(&tn_flow_clock, &zero), *now);
}

/* Whether it may belong to a recorded flow with f's slot. */
static __always_inline bool flow_slot_recent(const struct tn_flow_key *f,
					     __u64 now)
{
	__u32 slot = tn_flow_slot(f);

	return clock_recent(bpf_map_lookup_elem(&tn_flow_slots, &slot), now);
}

/*
 * Remembers that a tainted workload sends on this flow. False when it
 * cannot (tn_flows full): the packet must not go, its receiver would not
 * be tainted.
 */
static __always_inline bool record_flow(const struct tn_flow_key *f,
					struct tn_workload *w, __u64 wl_cgid)
{
	struct tn_flow *known = bpf_map_lookup_elem(&tn_flows, f);
	struct tn_flow v = { .labels = w->taint, .workload_cgid = wl_cgid };
	__u64 now = bpf_ktime_get_boot_ns();

	flow_clock_touch(f, now);
	/*
	 * The same sender, no new label. Another sender on the same addresses
	 * and ports (a port reused) is written in: ingress would take its
	 * packets to the old sender for that workload talking to itself.
	 */
	if (known && known->workload_cgid == wl_cgid &&
	    (known->labels | v.labels) == known->labels) {
		/* For the agent's idle expiry; one store a second at most. */
		if (now - known->last_ns > TN_FLOW_TOUCH_NS)
			known->last_ns = now;
		return true;
	}
	v.last_ns = now;
	if (known)	/* more taint, never less */
		v.labels |= known->labels;
	return !bpf_map_update_elem(&tn_flows, f, &v, BPF_ANY);
}

/*
 * tn_flows is full: the packet is dropped (enforce) and reported, one event
 * per workload per interval like other drops; every packet is counted.
 */
static __always_inline int flow_untracked(struct tn_workload *w, __u64 wl_cgid,
					  const struct dest *d)
{
	__u32 decision = audit_mode() ? TN_DEC_ALLOW_AUDIT : TN_DEC_DENY;
	__u64 now = bpf_ktime_get_boot_ns();
	struct tn_event *e;

	count(TN_CNT_FLOW_FULL);
	if (now - w->last_drop_report_ns >= TN_DROP_REPORT_NS) {
		w->last_drop_report_ns = now;
		e = event_start(TN_EV_MAP_FULL, decision, wl_cgid, w->taint, false);
		if (e) {
			fill_dest(e, d);
			e->count = TN_MAP_FLOWS;
			bpf_ringbuf_submit(e, 0);
		}
	}
	return decision == TN_DEC_DENY ? SK_DROP : SK_PASS;
}

SEC("cgroup_skb/egress")
int tn_skb_egress(struct __sk_buff *skb)
{
	struct tn_flow_key f = {};
	struct tn_workload *w;
	struct tn_event *e;
	struct dest d = {};
	__u64 wl_cgid, now;
	__u32 decision;

	w = skb_tainted_workload(skb, &wl_cgid);
	if (!w || !w->taint)
		return SK_PASS;
	if (!skb_flow(skb, &f))
		return SK_PASS;	/* not IP: nothing leaves by IP routing */
	flow_peer(&f, true, &d);
	if (dest_allowed(&d)) {
		/* It may be a process on this node: let the receiver know. */
		if (!record_flow(&f, w, wl_cgid))
			return flow_untracked(w, wl_cgid, &d);
		return SK_PASS;
	}

	decision = refusal(TN_CNT_DROP_EGRESS);

	/* A flow drops many packets: one event per workload per interval. */
	now = bpf_ktime_get_boot_ns();
	if (now - w->last_drop_report_ns < TN_DROP_REPORT_NS) {
		count(TN_CNT_DROPS_UNREPORTED);
	} else {
		w->last_drop_report_ns = now;
		e = event_start(TN_EV_EGRESS, decision, wl_cgid, w->taint,
				false);
		if (e) {
			fill_dest(e, &d);
			e->count = 1;
			bpf_ringbuf_submit(e, 0);
		}
	}
	return decision == TN_DEC_DENY ? SK_DROP : SK_PASS;
}

/*
 * A trusted receiver (policy: a local resolver, a log collector) gets
 * tainted data without being tainted. Each such flow is a deliberate hole,
 * so its first packet is reported; the rest are counted.
 */
static __always_inline bool trusted_receiver(struct __sk_buff *skb,
					     struct tn_flow *flow,
					     const struct dest *d)
{
	struct tn_config *cfg = get_config();
	struct tn_event *e;
	__u64 id = 0;
	int i;

	if (!cfg)
		return false;
	for (i = 0; i < TN_CGROUP_DEPTH; i++) {
		id = bpf_skb_ancestor_cgroup_id(skb, cfg->min_level + 1 + i);
		if (!id)
			return false;
		if (bpf_map_lookup_elem(&tn_trusted, &id))
			break;
	}
	if (i == TN_CGROUP_DEPTH)
		return false;
	count(TN_CNT_TRUSTED_FLOWS);
	if (__sync_fetch_and_or(&flow->trusted_reported, 1))
		return true;
	e = event_start(TN_EV_TRUSTED_FLOW, TN_DEC_TRUSTED, 0, flow->labels, false);
	if (e) {
		fill_dest(e, d);
		e->from_cgid = flow->workload_cgid;
		e->to_cgid = id;
		bpf_ringbuf_submit(e, 0);
	}
	return true;
}

static __always_inline bool flows_old_empty(void)
{
	__u32 zero = 0, *empty = bpf_map_lookup_elem(&tn_flows_old_empty, &zero);

	return empty && *empty;
}

/*
 * Data received from a tagged endpoint, or from a tainted workload on this
 * node, taints the receiving workload before the receiver can read it.
 */
SEC("cgroup_skb/ingress")
int tn_skb_ingress(struct __sk_buff *skb)
{
	struct tn_config *cfg = get_config();
	__u64 wl_cgid = 0, gained, now;
	bool endpoints = cfg && cfg->endpoints, recent = flows_recent(&now);
	struct tn_workload *w = NULL;
	struct tn_flow_key f = {};
	struct tn_flow *flow;
	struct tn_event *e;
	struct dest d = {};

	/* Most packets: no tagged endpoint, no tainted sender lately. */
	if (!endpoints && !recent)
		return SK_PASS;
	if (!skb_flow(skb, &f))
		return SK_PASS;
	flow_peer(&f, false, &d);
	/* A tagged endpoint taints a receiving workload; no one else. */
	if (endpoints) {
		w = skb_workload(skb, &wl_cgid);
		if (w)
			taint_from_endpoint(w, wl_cgid, &d, false);
	}
	/* Or none lately on a flow with this packet's slot. */
	if (!recent || !flow_slot_recent(&f, now))
		return SK_PASS;

	flow = bpf_map_lookup_elem(&tn_flows, &f);
	if (!flow && !flows_old_empty())
		/* Retired by the agent after this packet passed egress? */
		flow = bpf_map_lookup_elem(&tn_flows_old, &f);
	if (!flow)
		return SK_PASS;
	if (trusted_receiver(skb, flow, &d))
		return SK_PASS;
	if (!endpoints)
		w = skb_workload(skb, &wl_cgid);
	if (!w) {
		/* A receiver in no workload cannot be held back: say so. */
		count(TN_CNT_FLOW_UNREGISTERED);
		return SK_PASS;
	}
	if (wl_cgid == flow->workload_cgid)
		return SK_PASS;	/* a workload talking to itself */
	gained = taint(w, wl_cgid, flow->labels);
	if (!gained)
		return SK_PASS;
	count(TN_CNT_TAINT);
	e = event_start(TN_EV_TAINT_FLOW, TN_DEC_TAINT, wl_cgid, gained, false);
	if (e) {
		fill_dest(e, &d);
		e->from_cgid = flow->workload_cgid;
		bpf_ringbuf_submit(e, 0);
	}
	return SK_PASS;
}
