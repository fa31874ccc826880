// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The egress guard: netfilter LOCAL_OUT hooks for IPv4 and IPv6, in every
 * network namespace (pernet_operations: existing ones at load, new ones as
 * they are created).
 *
 * A locally generated packet is refused when its socket's cgroup, or an
 * ancestor of it, is tainted and its destination is not allowed by the
 * policy in force. The hooks run last in LOCAL_OUT (NF_IP_PRI_LAST), after
 * the OUTPUT DNAT and mangle chains, so they judge the destination the
 * packet will actually be routed to.
 *
 * Cost when nothing is tainted: one READ_ONCE. Otherwise, for each packet:
 * the policy lookup (binary search); only packets to outside destinations
 * pay for the cgroup walk (one hash lookup per cgroup level).
 */
#include <linux/cgroup.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/preempt.h>
#include <linux/sched.h>
#include <linux/skbuff.h>
#include <linux/socket.h>
#include <net/inet_sock.h>
#include <net/ipv6.h>
#include <net/net_namespace.h>
#include <net/sock.h>

#include <uapi/linux/trustnode.h>

#include "guard.h"
#include "netlink.h"
#include "policy.h"
#include "report.h"
#include "taint.h"

#ifndef CONFIG_SOCK_CGROUP_DATA
#error "trustnode needs CONFIG_SOCK_CGROUP_DATA: sockets must record their cgroup"
#endif

/* Ports are the first 4 bytes of these transport headers. */
static bool tnk_proto_has_ports(u8 proto)
{
	switch (proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
	case IPPROTO_SCTP:
	case IPPROTO_DCCP:
		return true;
	default:
		return false;
	}
}

static u16 tnk_dport(const struct sk_buff *skb, u8 proto, unsigned int thoff)
{
	__be16 _ports[2];
	const __be16 *ports;

	if (!tnk_proto_has_ports(proto))
		return 0;
	ports = skb_header_pointer(skb, thoff, sizeof(_ports), _ports);
	return ports ? ntohs(ports[1]) : 0;
}

/* Fills the transport part of @ev; only for packets that get reported. */
static void tnk_fill_transport(const struct sk_buff *skb, struct tnk_event *ev)
{
	if (ev->family == AF_INET) {
		const struct iphdr *iph = ip_hdr(skb);

		ev->proto = iph->protocol;
		/* Raw IP_HDRINCL sockets can send any ihl; trust nothing. */
		if (iph->ihl >= 5 && !(iph->frag_off & htons(IP_OFFSET)))
			ev->dport = tnk_dport(skb, ev->proto,
					      skb_network_offset(skb) +
					      iph->ihl * 4);
	} else {
		u8 nexthdr = ipv6_hdr(skb)->nexthdr;
		__be16 frag_off = 0;
		int thoff;

		thoff = ipv6_skip_exthdr(skb, skb_network_offset(skb) +
					 sizeof(struct ipv6hdr),
					 &nexthdr, &frag_off);
		ev->proto = nexthdr;
		if (thoff >= 0 && !(frag_off & htons(IP6_OFFSET)))
			ev->dport = tnk_dport(skb, nexthdr, thoff);
	}
}

static unsigned int tnk_guard(struct sk_buff *skb, const struct tnk_addr *dst,
			      struct tnk_event *ev)
{
	unsigned int verdict = NF_ACCEPT;
	const struct tnk_policy *p;
	struct cgroup *cgrp;
	struct sock *sk;

	if (tnk_addr_local_always(dst))
		return NF_ACCEPT;

	/* nf_hook() already holds it; say so for whoever reads this. */
	rcu_read_lock();
	p = tnk_policy_current_rcu();
	/* No policy loaded yet: nothing is dropped. */
	if (!p || tnk_policy_allows(p, dst))
		goto out;

	/*
	 * The socket that owns the packet: a request socket (SYN-ACK) stands
	 * for its listener; time-wait sockets and packets without a socket
	 * (kernel replies, forwarded traffic never reaches LOCAL_OUT) belong
	 * to no workload. skb->sk holds the socket, and the socket holds its
	 * cgroup, for as long as the skb lives.
	 */
	sk = skb_to_full_sk(skb);
	if (!sk || !sk_fullsock(sk))
		goto out;
	cgrp = sock_cgroup_ptr(&sk->sk_cgrp_data);
	if (!cgrp)
		goto out;
	ev->labels = tnk_taint_cgroup(cgrp, &ev->taint_cgid);
	if (!ev->labels)
		goto out;

	if (p->mode == TRUSTNODE_MODE_ENFORCE) {
		ev->verdict = TRUSTNODE_VERDICT_DROP;
		verdict = NF_DROP;
	} else {
		ev->verdict = TRUSTNODE_VERDICT_AUDIT_ALLOW;
	}
	if (tnk_report_account(ev->verdict)) {
		ev->cgid = cgroup_id(cgrp);
		/* In task context current sent it; in softirq, nobody knows. */
		ev->pid = in_task() ? task_tgid_nr(current) : 0;
		tnk_fill_transport(skb, ev);
		tnk_report_packet(ev);
		if (tnk_netlink_notify_drop(ev))
			tnk_report_lost();
	}
out:
	rcu_read_unlock();
	return verdict;
}

static unsigned int tnk_hook_ipv4(void *priv, struct sk_buff *skb,
				  const struct nf_hook_state *state)
{
	struct tnk_event ev = {};
	struct tnk_addr dst;

	if (likely(!tnk_taint_count()))
		return NF_ACCEPT;
	/* At LOCAL_OUT the IP header is in place and linear. */
	ev.family = AF_INET;
	ev.daddr.v4 = ip_hdr(skb)->daddr;
	tnk_addr_from_in(&dst, ev.daddr.v4);
	return tnk_guard(skb, &dst, &ev);
}

static unsigned int tnk_hook_ipv6(void *priv, struct sk_buff *skb,
				  const struct nf_hook_state *state)
{
	struct tnk_event ev = {};
	struct tnk_addr dst;

	if (likely(!tnk_taint_count()))
		return NF_ACCEPT;
	ev.family = AF_INET6;
	ev.daddr.v6 = ipv6_hdr(skb)->daddr;
	tnk_addr_from_in6(&dst, &ev.daddr.v6);
	return tnk_guard(skb, &dst, &ev);
}

static const struct nf_hook_ops tnk_nf_ops[] = {
	{
		.hook = tnk_hook_ipv4,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_LOCAL_OUT,
		.priority = NF_IP_PRI_LAST,
	}, {
		.hook = tnk_hook_ipv6,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_LOCAL_OUT,
		.priority = NF_IP6_PRI_LAST,
	},
};

static int __net_init tnk_net_init(struct net *net)
{
	/* On failure the namespace is not created: we fail closed. */
	return nf_register_net_hooks(net, tnk_nf_ops, ARRAY_SIZE(tnk_nf_ops));
}

static void __net_exit tnk_net_exit(struct net *net)
{
	nf_unregister_net_hooks(net, tnk_nf_ops, ARRAY_SIZE(tnk_nf_ops));
}

static struct pernet_operations tnk_net_ops = {
	.init = tnk_net_init,
	.exit = tnk_net_exit,
};

int __init tnk_guard_init(void)
{
	int err = register_pernet_subsys(&tnk_net_ops);

	/* Hooks registered in some namespaces before the failure may run. */
	if (err)
		synchronize_net();
	return err;
}

void tnk_guard_exit(void)
{
	unregister_pernet_subsys(&tnk_net_ops);
	/*
	 * nf_unregister_net_hooks() does not wait for hooks already running
	 * on other CPUs; after this grace period none is, so the taint table
	 * and the policy can be freed and the module text can go.
	 */
	synchronize_net();
}
