// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "kmod_nl.h"
#include "linux/trustnode.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

struct tn_kmod {
	struct nl_sock *sk;
	int family;
};

/* What a request's answer left: the kernel's errno and extack message. */
struct answer {
	int error;
	char msg[256];
	struct tn_kmod_status *status;
};

static int on_error(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct answer *a = arg;
	struct nlmsghdr *nlh = (struct nlmsghdr *)e - 1;
	struct nlattr *attrs, *attr;
	int len, rem;

	a->error = e->error;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return NL_STOP;
	/* The TLVs follow the echoed request (its header only: NLM_F_CAPPED). */
	len = nlh->nlmsg_len - NLMSG_HDRLEN - sizeof(*e);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		len -= e->msg.nlmsg_len - NLMSG_HDRLEN;
	attrs = (struct nlattr *)((char *)(e + 1) +
		((nlh->nlmsg_flags & NLM_F_CAPPED) ? 0 :
		 NLMSG_ALIGN(e->msg.nlmsg_len - NLMSG_HDRLEN)));
	nla_for_each_attr(attr, attrs, len, rem) {
		if (nla_type(attr) == NLMSGERR_ATTR_MSG)
			snprintf(a->msg, sizeof(a->msg), "%.*s", nla_len(attr),
				 (char *)nla_data(attr));
	}
	return NL_STOP;
}

static int on_ack(struct nl_msg *msg, void *arg)
{
	return NL_STOP;
}

static int on_status(struct nl_msg *msg, void *arg)
{
	struct answer *a = arg;
	struct tn_kmod_status *st = a->status;
	struct nlattr *tb[TRUSTNODE_A_MAX + 1];

	if (!st || genlmsg_parse(nlmsg_hdr(msg), 0, tb, TRUSTNODE_A_MAX, NULL))
		return NL_SKIP;
	if (tb[TRUSTNODE_A_MODE])
		st->enforce = nla_get_u8(tb[TRUSTNODE_A_MODE]) == TRUSTNODE_MODE_ENFORCE;
	if (tb[TRUSTNODE_A_SEALED])
		st->sealed = nla_get_u8(tb[TRUSTNODE_A_SEALED]);
	if (tb[TRUSTNODE_A_POLICY_LOADED])
		st->policy_loaded = nla_get_u8(tb[TRUSTNODE_A_POLICY_LOADED]);
	if (tb[TRUSTNODE_A_NPREFIXES])
		st->nprefixes = nla_get_u32(tb[TRUSTNODE_A_NPREFIXES]);
	if (tb[TRUSTNODE_A_NTAINTED])
		st->ntainted = nla_get_u32(tb[TRUSTNODE_A_NTAINTED]);
	if (tb[TRUSTNODE_A_DROPS])
		st->drops = nla_get_u64(tb[TRUSTNODE_A_DROPS]);
	if (tb[TRUSTNODE_A_AUDIT_ALLOWS])
		st->audit_allows = nla_get_u64(tb[TRUSTNODE_A_AUDIT_ALLOWS]);
	if (tb[TRUSTNODE_A_REPORTS_SUPPRESSED])
		st->reports_suppressed = nla_get_u64(tb[TRUSTNODE_A_REPORTS_SUPPRESSED]);
	if (tb[TRUSTNODE_A_EVENTS_LOST])
		st->events_lost = nla_get_u64(tb[TRUSTNODE_A_EVENTS_LOST]);
	if (tb[TRUSTNODE_A_VERSION])
		snprintf(st->version, sizeof(st->version), "%s",
			 nla_get_string(tb[TRUSTNODE_A_VERSION]));
	return NL_OK;
}

struct tn_kmod *tn_kmod_open(struct tn_err *err)
{
	struct tn_kmod *k = calloc(1, sizeof(*k));
	int one = 1;

	if (!k) {
		tn_fail(err, "out of memory");
		return NULL;
	}
	k->sk = nl_socket_alloc();
	if (!k->sk || genl_connect(k->sk)) {
		tn_fail(err, "cannot open a generic netlink socket");
		goto fail;
	}
	/* Requests ask for their ACK themselves (see tn_kmod_request()). */
	nl_socket_disable_auto_ack(k->sk);
	setsockopt(nl_socket_get_fd(k->sk), SOL_NETLINK, NETLINK_EXT_ACK,
		   &one, sizeof(one));
	setsockopt(nl_socket_get_fd(k->sk), SOL_NETLINK, NETLINK_CAP_ACK,
		   &one, sizeof(one));
	k->family = genl_ctrl_resolve(k->sk, TRUSTNODE_GENL_NAME);
	if (k->family < 0) {
		errno = ENOENT;
		tn_fail(err, "the trustnode kernel module is not loaded (modprobe trustnode), or this process is outside the initial network namespace");
		err->errnum = ENOENT;
		goto fail;
	}
	return k;
fail:
	tn_kmod_close(k);
	return NULL;
}

void tn_kmod_close(struct tn_kmod *k)
{
	if (!k)
		return;
	if (k->sk)
		nl_socket_free(k->sk);
	free(k);
}

/* Sends msg (consumed) and waits for the ack or error. */
static int transact(struct tn_kmod *k, struct nl_msg *msg, const char *what,
		    struct tn_kmod_status *status, struct tn_err *err)
{
	struct answer a = { .status = status };
	struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);
	int ret;

	if (!cb) {
		nlmsg_free(msg);
		return tn_fail(err, "out of memory");
	}
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, &a);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, &a);
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_status, &a);
	ret = nl_send_auto(k->sk, msg);
	nlmsg_free(msg);
	if (ret >= 0)
		ret = nl_recvmsgs(k->sk, cb);
	nl_cb_put(cb);
	if (ret < 0 && !a.error)
		return tn_fail(err, "trustnode module: %s: %s", what, nl_geterror(ret));
	if (a.error) {
		err->errnum = -a.error;
		if (a.msg[0])
			return tn_fail(err, "trustnode module refused %s: %s (%s)", what,
				       a.msg, strerror(-a.error));
		return tn_fail(err, "trustnode module refused %s: %s", what,
			       strerror(-a.error));
	}
	return 0;
}

struct nl_msg *tn_kmod_request(struct tn_kmod *k, uint8_t cmd)
{
	/* Room for TRUSTNODE_MAX_PREFIXES prefixes in one SET_POLICY. */
	struct nl_msg *msg = nlmsg_alloc_size(256 * 1024);

	/*
	 * A request answered by a reply gets no ACK on top: nl_recvmsgs()
	 * returns after the reply, and an unread ACK would be taken as the
	 * answer to the next request.
	 */
	int flags = NLM_F_REQUEST | (cmd == TRUSTNODE_CMD_GET_STATUS ? 0 : NLM_F_ACK);

	if (msg && !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, k->family, 0,
				flags, cmd, TRUSTNODE_GENL_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

int tn_kmod_send(struct tn_kmod *k, struct nl_msg *msg, struct tn_err *err)
{
	return transact(k, msg, "the request", NULL, err);
}

int tn_kmod_set_policy(struct tn_kmod *k, int enforce,
		       const struct tn_prefix *p, const uint64_t *valid_until,
		       int n, struct tn_err *err)
{
	struct nl_msg *msg = tn_kmod_request(k, TRUSTNODE_CMD_SET_POLICY);
	struct nlattr *list, *one;
	int i;

	if (!msg)
		return tn_fail(err, "out of memory");
	if (nla_put_u8(msg, TRUSTNODE_A_MODE, enforce ? TRUSTNODE_MODE_ENFORCE :
						       TRUSTNODE_MODE_AUDIT) ||
	    !(list = nla_nest_start(msg, TRUSTNODE_A_PREFIXES | NLA_F_NESTED)))
		goto toolong;
	for (i = 0; i < n; i++) {
		one = nla_nest_start(msg, TRUSTNODE_A_PREFIX | NLA_F_NESTED);
		if (!one || nla_put_u8(msg, TRUSTNODE_A_PREFIX_FAMILY, p[i].family) ||
		    nla_put(msg, TRUSTNODE_A_PREFIX_ADDR,
			    p[i].family == AF_INET ? 4 : 16, p[i].addr) ||
		    nla_put_u8(msg, TRUSTNODE_A_PREFIX_LEN, p[i].len) ||
		    (valid_until && valid_until[i] &&
		     nla_put_u64(msg, TRUSTNODE_A_PREFIX_VALID_UNTIL, valid_until[i])))
			goto toolong;
		nla_nest_end(msg, one);
	}
	nla_nest_end(msg, list);
	return transact(k, msg, "the policy", NULL, err);
toolong:
	nlmsg_free(msg);
	return tn_fail(err, "policy too large for one netlink message");
}

int tn_kmod_taint(struct tn_kmod *k, uint64_t cgid, uint64_t labels,
		  struct tn_err *err)
{
	struct nl_msg *msg = tn_kmod_request(k, TRUSTNODE_CMD_TAINT);

	if (!msg || nla_put_u64(msg, TRUSTNODE_A_CGROUP_ID, cgid) ||
	    nla_put_u64(msg, TRUSTNODE_A_LABELS, labels)) {
		nlmsg_free(msg);
		return tn_fail(err, "out of memory");
	}
	return transact(k, msg, "a taint", NULL, err);
}

int tn_kmod_clear_taint(struct tn_kmod *k, uint64_t cgid, struct tn_err *err)
{
	struct nl_msg *msg = tn_kmod_request(k, TRUSTNODE_CMD_CLEAR_TAINT);

	if (!msg || nla_put_u64(msg, TRUSTNODE_A_CGROUP_ID, cgid)) {
		nlmsg_free(msg);
		return tn_fail(err, "out of memory");
	}
	return transact(k, msg, "clearing a taint", NULL, err);
}

int tn_kmod_status(struct tn_kmod *k, struct tn_kmod_status *st,
		   struct tn_err *err)
{
	struct nl_msg *msg = tn_kmod_request(k, TRUSTNODE_CMD_GET_STATUS);

	memset(st, 0, sizeof(*st));
	if (!msg)
		return tn_fail(err, "out of memory");
	return transact(k, msg, "a status request", st, err);
}

int tn_kmod_seal(struct tn_kmod *k, struct tn_err *err)
{
	struct nl_msg *msg = tn_kmod_request(k, TRUSTNODE_CMD_SEAL);

	if (!msg)
		return tn_fail(err, "out of memory");
	return transact(k, msg, "the seal", NULL, err);
}
