/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Sockets (lsm mode connect and sendmsg; raw, packet and vsock sockets in
 * both modes).
 *
 * Part of trustnode.bpf.c (one object, one skeleton): included once, after
 * the files before it in that list, whose helpers it uses.
 */

/*
 * lsm and fentry mode: the address a connect or send names, judged before
 * the protocol sees it. sending: a sendmsg, where an IPv4 socket takes an
 * AF_UNSPEC name as AF_INET (udp_sendmsg and raw_sendmsg read sin_addr
 * whatever the family says), and any name the protocol ignores (an IPv6
 * socket's AF_UNSPEC, a family it refuses) leaves the socket's peer to be
 * judged. For a connect, AF_UNSPEC disconnects: nothing to judge.
 */
static __always_inline int lsm_check(struct socket *sock,
				     struct sockaddr *address, int addrlen,
				     __u32 ev_type, bool sending)
{
	struct dest d = {};
	__u16 family;

	if (!address || send_needs_no_check())
		return 0;
	d.protocol = BPF_CORE_READ(sock, sk, sk_protocol);
	family = BPF_CORE_READ(address, sa_family);
	if (sending && family == 0 &&
	    BPF_CORE_READ(sock, sk, __sk_common.skc_family) == AF_INET)
		family = AF_INET;
	if (family == AF_INET && addrlen >= sizeof(struct sockaddr_in)) {
		struct sockaddr_in *sin = (struct sockaddr_in *)address;

		d.family = AF_INET;
		d.port = BPF_CORE_READ(sin, sin_port);
		*(__u32 *)d.addr = BPF_CORE_READ(sin, sin_addr.s_addr);
	} else if (family == AF_INET6 &&
		   addrlen >= sizeof(struct sockaddr_in6)) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)address;

		d.family = AF_INET6;
		d.port = BPF_CORE_READ(sin6, sin6_port);
		bpf_probe_read_kernel(d.addr, sizeof(d.addr),
				      &sin6->sin6_addr);
	} else {
		return sending ? lsm_check_peer(sock, ev_type) : 0;
	}
	return on_send(&d, ev_type, false) ? 0 : -EPERM;
}

SEC("lsm/socket_connect")
int BPF_PROG(tn_lsm_socket_connect, struct socket *sock,
	     struct sockaddr *address, int addrlen, int ret)
{
	if (ret)
		return ret;
	return lsm_check(sock, address, addrlen, TN_EV_CONNECT, false);
}

static __always_inline int on_sendmsg_family(struct socket *sock);

/*
 * Every send on the node, shared with fentry mode (fentry.bpf.h), like the
 * bodies below. In lsm mode this is the only program that judges a send's
 * address (the cgroup connect and sendmsg programs are not attached there).
 */
static __always_inline int on_socket_sendmsg(struct socket *sock,
					     struct msghdr *msg)
{
	struct sockaddr *name;
	struct chan ch = {};
	int namelen, ret;

	if (send_needs_no_check())
		return 0;
	if (on_sendmsg_family(sock))
		return -EPERM;
	/* A unix stream's data goes to its peer: taint follows it. */
	if (unix_chan_of_arg(sock, true, &ch))
		return chan_write(&ch) ? 0 : -EPERM;
	name = BPF_CORE_READ(msg, msg_name);
	if (!name)
		return lsm_check_peer(sock, TN_EV_SENDMSG);
	namelen = BPF_CORE_READ(msg, msg_namelen);
	if (BPF_CORE_READ(sock, type) != SOCK_STREAM_)
		return lsm_check(sock, name, namelen, TN_EV_SENDMSG, true);
	/*
	 * A connected stream ignores msg_name, but TCP Fast Open
	 * (MSG_FASTOPEN) connects an unconnected one to it inside the send,
	 * where no LSM hook runs. Whether it is connected may change before
	 * the protocol takes the socket lock (a disconnect in another
	 * thread), so the name is judged as a connect, whatever the state,
	 * and the peer as a send.
	 */
	ret = lsm_check_peer(sock, TN_EV_SENDMSG);
	return ret ? ret : lsm_check(sock, name, namelen, TN_EV_CONNECT, true);
}

SEC("lsm/socket_sendmsg")
int BPF_PROG(tn_lsm_socket_sendmsg, struct socket *sock, struct msghdr *msg,
	     int size, int ret)
{
	if (ret)
		return ret;
	return on_socket_sendmsg(sock, msg);
}

/* ---- socket families ------------------------------------------------- */

#define SOCK_RAW_	3
#define AF_PACKET_	17
#define AF_VSOCK_	40

/*
 * Sockets whose traffic the egress checks cannot judge by where it goes:
 * raw IP (the workload writes the header with IP_HDRINCL, the next hop is
 * routed by another address, and no connect or sendmsg program runs),
 * packet sockets (frames below IP: no cgroup_skb program sees them) and
 * vsock (to the hypervisor, no IP at all). A tainted workload gets none.
 */
static __always_inline bool family_refused(int family, int type)
{
	if (family == AF_INET || family == AF_INET6)
		return type == SOCK_RAW_;
	return family == AF_PACKET_ || family == AF_VSOCK_;
}

/* Returns true to allow; a refusal is an event either way. */
static __always_inline bool socket_allowed(int family, int type, int protocol)
{
	struct tn_workload *w;
	struct tn_event *e;
	__u32 decision;
	__u64 wl_cgid;

	if (!family_refused(family, type))
		return true;
	w = current_workload(&wl_cgid);
	if (!w || !w->taint)
		return true;
	decision = refusal(TN_CNT_DENY_SOCKET);
	e = event_start(TN_EV_SOCKET, decision, wl_cgid, w->taint, true);
	if (e) {
		e->family = family;
		e->count = type;
		e->port = protocol;
		bpf_ringbuf_submit(e, 0);
	}
	return decision != TN_DEC_DENY;
}

/*
 * cgroup mode: runs from inet_create and inet6_create only, so it sees raw
 * IPv4 and IPv6 sockets but never AF_PACKET or AF_VSOCK (listed gaps).
 */
SEC("cgroup/sock_create")
int tn_sock_create(struct bpf_sock *sk)
{
	return socket_allowed(sk->family, sk->type, sk->protocol) ? 1 : 0;
}

/*
 * lsm mode: no workload, tainted or not yet, creates a user namespace.
 * Inside one an unprivileged workload holds CAP_SYS_ADMIN over its own
 * mounts and can lay an overlay over a tagged tree, whose files it then
 * opens as the overlay's inodes; a mount made before the taint would stay
 * usable after it. trustctl run drops CAP_SYS_ADMIN in the initial
 * namespace; this closes the way around it.
 */
static __always_inline int on_userns_create(void)
{
	struct tn_workload *w;
	__u64 wl_cgid;

	w = current_workload(&wl_cgid);
	if (!w)
		return 0;
	return refused(TN_EV_USERNS, refusal(TN_CNT_DENY_USERNS), wl_cgid, w->taint);
}

SEC("lsm/userns_create")
int BPF_PROG(tn_lsm_userns_create, const struct cred *cred, int ret)
{
	if (ret)
		return ret;
	return on_userns_create();
}

/* lsm mode: every family, before the protocol's create runs. */
SEC("lsm/socket_create")
int BPF_PROG(tn_lsm_socket_create, int family, int type, int protocol,
	     int kern, int ret)
{
	if (ret)
		return ret;
	/* The kernel's own sockets (kern) are not the workload's doing. */
	if (kern)
		return 0;
	return socket_allowed(family, type, protocol) ? 0 : -EPERM;
}

/*
 * lsm and fentry mode: such a socket in a tainted workload's hands was made
 * before the taint, as socket_create refuses new ones. What it sends is not
 * judged by where it goes (a raw socket connected earlier routes by its
 * connection while the egress program reads the header the workload
 * wrote), so it sends nothing. Part of tn_lsm_socket_sendmsg, after its
 * workload check: a program of its own on the hook cost every send on the
 * node a second run.
 */
static __always_inline int on_sendmsg_family(struct socket *sock)
{
	/* Direct (BTF) loads, no helper call. */
	struct sock *sk = sock->sk;

	if (!sk)
		return 0;
	return socket_allowed(sk->__sk_common.skc_family, sock->type,
			      sk->sk_protocol) ? 0 : -EPERM;
}
