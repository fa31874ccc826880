/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The network: destinations, the local network, taint from tagged
 * endpoints, and the connect and sendmsg checks (cgroup programs, and the
 * peer check lsm mode uses for sockets made elsewhere).
 *
 * Part of trustnode.bpf.c (one object, one skeleton): included once, after
 * the files before it in that list, whose helpers it uses.
 */

struct dest {
	__u8 family;
	__u8 protocol;
	__u16 port;		/* network byte order */
	__u8 addr[16];
};

/* ::ffff:a.b.c.d is IPv4 as far as policy is concerned. */
static __always_inline void unmap_v4(struct dest *d)
{
	__u32 *w = (__u32 *)d->addr;

	if (d->family == AF_INET6 && w[0] == 0 && w[1] == 0 &&
	    w[2] == bpf_htonl(0xffff)) {
		w[0] = w[3];
		w[1] = w[2] = w[3] = 0;
		d->family = AF_INET;
	}
}

static __always_inline bool is_local_always(const struct dest *d)
{
	const __u32 *w = (const __u32 *)d->addr;

	/* Unspecified connects to this host; loopback never leaves it. */
	if (d->family == AF_INET)
		return w[0] == 0 || (d->addr[0] == 127);
	return (w[0] | w[1] | w[2]) == 0 &&
	       (w[3] == 0 || w[3] == bpf_htonl(1));
}

static __always_inline bool dest_allowed(const struct dest *d)
{
	struct tn_config *cfg = get_config();
	struct tn_prefix_key key = {};
	struct tn_prefix_val *v;

	if (is_local_always(d))
		return true;
	if (!cfg)
		return false;	/* fail closed */
	key.prefixlen = 16 + (d->family == AF_INET ? 32 : 128);
	key.gen = cfg->prefix_gen;
	key.family = d->family;
	__builtin_memcpy(key.addr, d->addr, sizeof(key.addr));
	v = bpf_map_lookup_elem(&tn_prefixes, &key);
	if (!v)
		return false;
	/* A peer whose attestation was not renewed: no agent needed. */
	return !v->valid_until || bpf_ktime_get_boot_ns() < v->valid_until;
}

static __always_inline void fill_dest(struct tn_event *e, const struct dest *d)
{
	e->family = d->family;
	e->protocol = d->protocol;
	e->port = d->port;
	__builtin_memcpy(e->addr, d->addr, sizeof(e->addr));
}

static __always_inline void taint_from_endpoint(struct tn_workload *w,
						__u64 wl_cgid,
						const struct dest *d,
						bool process_context)
{
	struct tn_config *cfg = get_config();
	struct tn_endpoint_key key = {};
	__u64 *labels = NULL, gained;
	struct tn_event *e;

	/* Only the lookups that can match: most nodes tag no endpoint. */
	if (!cfg || !cfg->endpoints)
		return;
	key.family = d->family;
	key.port = d->port;
	__builtin_memcpy(key.addr, d->addr, sizeof(key.addr));
	if (cfg->endpoints & TN_HAVE_ENDPOINT_PORT)
		labels = bpf_map_lookup_elem(&tn_endpoints, &key);
	if (!labels && (cfg->endpoints & TN_HAVE_ENDPOINT_ANY)) {
		/* Port 0: any port of the address (an attested peer). */
		key.port = 0;
		labels = bpf_map_lookup_elem(&tn_endpoints, &key);
	}
	if (!labels)
		return;
	gained = taint(w, wl_cgid, *labels);
	if (!gained)
		return;
	count(TN_CNT_TAINT);
	e = event_start(TN_EV_TAINT_NET, TN_DEC_TAINT, wl_cgid, gained,
			process_context);
	if (!e)
		return;
	fill_dest(e, d);
	bpf_ringbuf_submit(e, 0);
}

/*
 * The verdict for a tainted workload sending to d from process context
 * (connect, sendmsg). Returns true to allow.
 */
static __always_inline bool check_send(struct tn_workload *w, __u64 wl_cgid,
				       const struct dest *d, __u32 ev_type)
{
	struct tn_event *e;
	__u32 decision;
	__u64 now, tat;

	if (!w->taint || dest_allowed(d))
		return true;
	decision = refusal(ev_type == TN_EV_CONNECT ? TN_CNT_DENY_CONNECT :
						    TN_CNT_DENY_SEND);
	/*
	 * A workload looping on refused sends: a burst of events, then one
	 * per interval, the rest counted (exactly: each denial is either an
	 * event, a lost event, or one count here). Racing CPUs may both
	 * report; none goes uncounted.
	 */
	now = bpf_ktime_get_boot_ns();
	tat = w->deny_tat_ns;
	if (tat < now)
		tat = now;
	if (tat - now > (TN_DENY_BURST - 1) * TN_DENY_REPORT_NS) {
		__sync_fetch_and_add(&w->denials_unreported, 1);
		count(TN_CNT_DENIALS_UNREPORTED);
		return decision != TN_DEC_DENY;
	}
	w->deny_tat_ns = tat + TN_DENY_REPORT_NS;
	e = event_start(ev_type, decision, wl_cgid, w->taint, true);
	if (e) {
		fill_dest(e, d);
		bpf_ringbuf_submit(e, 0);
	}
	return decision != TN_DEC_DENY;
}

/*
 * Taint from the destination, then decide. Returns true to allow.
 * on_cgroup: from a program attached to trustnode's cgroup.
 */
static __always_inline bool on_send(struct dest *d, __u32 ev_type,
				    bool on_cgroup)
{
	struct tn_config *cfg = get_config();
	struct tn_workload *w;
	__u64 wl_cgid;

	unmap_v4(d);
	/* A tagged endpoint taints an untainted workload too: find it. */
	if (cfg && cfg->endpoints)
		w = on_cgroup ? ancestor_workload(false, NULL, &wl_cgid, NULL,
						  false, false) :
				current_workload(&wl_cgid);
	else
		w = current_tainted_workload(&wl_cgid, on_cgroup);
	if (!w)
		return true;
	taint_from_endpoint(w, wl_cgid, d, true);
	return check_send(w, wl_cgid, d, ev_type);
}

/*
 * Every connect and send on the node reaches the lsm and fentry hooks. A
 * sender in no workload, or in an untainted one while no tagged endpoint
 * exists, can be neither refused nor tainted there: it leaves before any
 * address is read.
 */
static __always_inline bool send_needs_no_check(void)
{
	struct tn_config *cfg = get_config();
	struct tn_workload *w;
	__u64 wl_cgid;

	if (cfg && cfg->endpoints)
		return !current_workload(&wl_cgid);
	w = current_tainted_workload(&wl_cgid, false);
	return !w || !w->taint;
}

/*
 * lsm mode: the sender decides, not the socket's birthplace. A socket made
 * outside the workload (inherited, received over SCM_RIGHTS, handed over by
 * socket activation) is judged by the cgroup that made it everywhere else;
 * here a send on a connected socket is judged by the sending workload's
 * taint and the address the socket is connected to. Sockets a tainted
 * workload connected itself were judged at connect already.
 */
static __always_inline int lsm_check_peer(struct socket *sock, __u32 ev_type)
{
	struct sock *sk;
	struct dest d = {};
	__u16 family;

	if (send_needs_no_check())
		return 0;
	sk = BPF_CORE_READ(sock, sk);
	if (!sk)
		return 0;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (family != AF_INET && family != AF_INET6)
		return 0;
	d.family = family;
	d.protocol = BPF_CORE_READ(sk, sk_protocol);
	d.port = BPF_CORE_READ(sk, __sk_common.skc_dport);
	if (family == AF_INET)
		*(__u32 *)d.addr = BPF_CORE_READ(sk, __sk_common.skc_daddr);
	else
		BPF_CORE_READ_INTO(&d.addr, sk, __sk_common.skc_v6_daddr);
	return on_send(&d, ev_type, false) ? 0 : -EPERM;
}

/* Each program reads only the address fields its attach type may access. */
static __always_inline void dest_from_sa4(struct dest *d,
					  struct bpf_sock_addr *ctx)
{
	d->protocol = ctx->protocol;
	d->port = (__u16)ctx->user_port;
	d->family = AF_INET;
	*(__u32 *)d->addr = ctx->user_ip4;
}

static __always_inline void dest_from_sa6(struct dest *d,
					  struct bpf_sock_addr *ctx)
{
	d->protocol = ctx->protocol;
	d->port = (__u16)ctx->user_port;
	d->family = AF_INET6;
	((__u32 *)d->addr)[0] = ctx->user_ip6[0];
	((__u32 *)d->addr)[1] = ctx->user_ip6[1];
	((__u32 *)d->addr)[2] = ctx->user_ip6[2];
	((__u32 *)d->addr)[3] = ctx->user_ip6[3];
}

SEC("cgroup/connect4")
int tn_connect4(struct bpf_sock_addr *ctx)
{
	struct dest d = {};

	dest_from_sa4(&d, ctx);
	return on_send(&d, TN_EV_CONNECT, true);
}

SEC("cgroup/connect6")
int tn_connect6(struct bpf_sock_addr *ctx)
{
	struct dest d = {};

	dest_from_sa6(&d, ctx);
	return on_send(&d, TN_EV_CONNECT, true);
}

SEC("cgroup/sendmsg4")
int tn_sendmsg4(struct bpf_sock_addr *ctx)
{
	struct dest d = {};

	dest_from_sa4(&d, ctx);
	return on_send(&d, TN_EV_SENDMSG, true);
}

SEC("cgroup/sendmsg6")
int tn_sendmsg6(struct bpf_sock_addr *ctx)
{
	struct dest d = {};

	dest_from_sa6(&d, ctx);
	return on_send(&d, TN_EV_SENDMSG, true);
}
