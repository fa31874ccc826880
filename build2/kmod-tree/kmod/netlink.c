// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The generic netlink family "trustnode" (include/uapi/linux/trustnode.h).
 *
 * Every command has its own attribute policy, so the core rejects, before
 * a handler runs, any attribute the command does not take. Validation is
 * strict (resv_start_op is 0). Handlers parse and check the whole request
 * into new objects first and only then, under tnk_config_lock, check the
 * seal and publish; on any error nothing has changed.
 *
 * The family is not netnsok: it exists in init_net only, because the state
 * it changes (policy, taint, seal) is global. GENL_ADMIN_PERM therefore
 * means CAP_NET_ADMIN in the initial user namespace, which is what global
 * state needs; GENL_UNS_ADMIN_PERM would say the same thing here (init_net
 * belongs to init_user_ns) but less plainly.
 */
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/kernel.h>
#include <linux/mutex.h>
#include <linux/socket.h>
#include <net/genetlink.h>
#include <net/net_namespace.h>
#include <net/netlink.h>

#include <uapi/linux/trustnode.h>

#include "netlink.h"
#include "policy.h"
#include "report.h"
#include "seal.h"
#include "taint.h"
#include "version.h"

/* Debian 12 has it since a 6.1 stable update; without it anyone could listen. */
#ifndef GENL_MCAST_CAP_NET_ADMIN
#error "genetlink cannot restrict multicast groups (GENL_MCAST_CAP_NET_ADMIN): update the kernel"
#endif

enum {
	TN_MCGRP_DROPS,
};

static const struct nla_policy tnk_prefix_policy[TRUSTNODE_A_PREFIX_MAX + 1] = {
	[TRUSTNODE_A_PREFIX_FAMILY]	= { .type = NLA_U8 },
	[TRUSTNODE_A_PREFIX_ADDR]	= NLA_POLICY_RANGE(NLA_BINARY,
						sizeof(struct in_addr),
						sizeof(struct in6_addr)),
	[TRUSTNODE_A_PREFIX_LEN]	= NLA_POLICY_MAX(NLA_U8, 128),
	[TRUSTNODE_A_PREFIX_VALID_UNTIL] = { .type = NLA_U64 },
};

static const struct nla_policy tnk_prefixes_policy[TRUSTNODE_A_PREFIXES_MAX + 1] = {
	[TRUSTNODE_A_PREFIX]		= NLA_POLICY_NESTED(tnk_prefix_policy),
};

static const struct nla_policy tnk_set_policy_policy[TRUSTNODE_A_MAX + 1] = {
	[TRUSTNODE_A_MODE]		= NLA_POLICY_MAX(NLA_U8,
							 TRUSTNODE_MODE_ENFORCE),
	[TRUSTNODE_A_PREFIXES]		= NLA_POLICY_NESTED(tnk_prefixes_policy),
};

static const struct nla_policy tnk_taint_policy[TRUSTNODE_A_MAX + 1] = {
	[TRUSTNODE_A_CGROUP_ID]		= NLA_POLICY_MIN(NLA_U64, 1),
	[TRUSTNODE_A_LABELS]		= NLA_POLICY_MIN(NLA_U64, 1),
};

static const struct nla_policy tnk_clear_taint_policy[TRUSTNODE_A_MAX + 1] = {
	[TRUSTNODE_A_CGROUP_ID]		= NLA_POLICY_MIN(NLA_U64, 1),
};

static struct genl_family tnk_genl_family;

static int tnk_nl_parse_prefix(const struct nlattr *nla, struct tnk_prefix *p,
			       struct netlink_ext_ack *extack)
{
	struct nlattr *tb[TRUSTNODE_A_PREFIX_MAX + 1];
	unsigned int alen, maxlen;
	u8 family, len;
	int err;

	err = nla_parse_nested(tb, TRUSTNODE_A_PREFIX_MAX, nla,
			       tnk_prefix_policy, extack);
	if (err)
		return err;
	if (NL_REQ_ATTR_CHECK(extack, nla, tb, TRUSTNODE_A_PREFIX_FAMILY)) {
		NL_SET_ERR_MSG(extack, "prefix without TRUSTNODE_A_PREFIX_FAMILY");
		return -EINVAL;
	}
	if (NL_REQ_ATTR_CHECK(extack, nla, tb, TRUSTNODE_A_PREFIX_ADDR)) {
		NL_SET_ERR_MSG(extack, "prefix without TRUSTNODE_A_PREFIX_ADDR");
		return -EINVAL;
	}
	if (NL_REQ_ATTR_CHECK(extack, nla, tb, TRUSTNODE_A_PREFIX_LEN)) {
		NL_SET_ERR_MSG(extack, "prefix without TRUSTNODE_A_PREFIX_LEN");
		return -EINVAL;
	}

	family = nla_get_u8(tb[TRUSTNODE_A_PREFIX_FAMILY]);
	switch (family) {
	case AF_INET:
		alen = sizeof(struct in_addr);
		maxlen = 32;
		break;
	case AF_INET6:
		alen = sizeof(struct in6_addr);
		maxlen = 128;
		break;
	default:
		NL_SET_ERR_MSG_ATTR(extack, tb[TRUSTNODE_A_PREFIX_FAMILY],
				    "prefix family must be AF_INET or AF_INET6");
		return -EINVAL;
	}
	if (nla_len(tb[TRUSTNODE_A_PREFIX_ADDR]) != alen) {
		NL_SET_ERR_MSG_ATTR(extack, tb[TRUSTNODE_A_PREFIX_ADDR],
				    "address must be 4 bytes for AF_INET, 16 for AF_INET6");
		return -EINVAL;
	}
	len = nla_get_u8(tb[TRUSTNODE_A_PREFIX_LEN]);
	if (len > maxlen) {
		NL_SET_ERR_MSG_ATTR(extack, tb[TRUSTNODE_A_PREFIX_LEN],
				    "prefix length above 32 for AF_INET");
		return -EINVAL;
	}
	if (!tnk_prefix_init(p, family, nla_data(tb[TRUSTNODE_A_PREFIX_ADDR]),
			     len)) {
		NL_SET_ERR_MSG_ATTR(extack, tb[TRUSTNODE_A_PREFIX_ADDR],
				    "address has bits set after the prefix length");
		return -EINVAL;
	}
	if (tb[TRUSTNODE_A_PREFIX_VALID_UNTIL])
		p->valid_until = nla_get_u64(tb[TRUSTNODE_A_PREFIX_VALID_UNTIL]);
	return 0;
}

/* Parses TRUSTNODE_A_PREFIXES into a new, unpublished policy. */
static int tnk_nl_parse_policy(struct genl_info *info, struct tnk_policy **out)
{
	struct nlattr *prefixes = info->attrs[TRUSTNODE_A_PREFIXES];
	struct netlink_ext_ack *extack = info->extack;
	unsigned int n = 0;
	struct tnk_policy *p;
	struct nlattr *nla;
	int rem, err;

	/*
	 * The policy already checked every entry: each is a nested
	 * TRUSTNODE_A_PREFIX (no other type), and no bytes trail.
	 */
	nla_for_each_nested(nla, prefixes, rem)
		n++;
	if (n > TRUSTNODE_MAX_PREFIXES) {
		NL_SET_ERR_MSG_ATTR(extack, prefixes,
				    "more than TRUSTNODE_MAX_PREFIXES (4096) prefixes");
		return -E2BIG;
	}

	p = tnk_policy_alloc(nla_get_u8(info->attrs[TRUSTNODE_A_MODE]), n);
	if (!p) {
		NL_SET_ERR_MSG(extack, "out of memory for the policy");
		return -ENOMEM;
	}
	nla_for_each_nested(nla, prefixes, rem) {
		if (WARN_ON_ONCE(p->nr >= n)) {
			err = -EINVAL;
			goto err_free;
		}
		err = tnk_nl_parse_prefix(nla, &p->pfx[p->nr], extack);
		if (err)
			goto err_free;
		p->nr++;
	}
	*out = p;
	return 0;

err_free:
	tnk_policy_free(p);
	return err;
}

/*
 * Sealed: @next must be at least as strict as @cur. Runs before
 * tnk_policy_finalize(next), while next->pfx[] is still in request order,
 * so that the error can point at the offending attribute.
 */
static int tnk_nl_check_stricter(struct genl_info *info,
				 const struct tnk_policy *cur,
				 const struct tnk_policy *next)
{
	struct netlink_ext_ack *extack = info->extack;
	const struct nlattr *nla;
	unsigned int i = 0;
	int rem;

	if (!cur)
		return 0;
	if (!tnk_policy_mode_allowed(cur, next)) {
		NL_SET_ERR_MSG_ATTR(extack, info->attrs[TRUSTNODE_A_MODE],
				    "sealed: mode cannot go back from enforce to audit");
		return -EPERM;
	}
	nla_for_each_nested(nla, info->attrs[TRUSTNODE_A_PREFIXES], rem) {
		if (i >= next->nr)
			break;
		if (!tnk_prefixes_cover(cur->pfx, cur->nr, &next->pfx[i])) {
			NL_SET_ERR_MSG_ATTR(extack, nla,
					    "sealed: prefix is not inside the policy in force, or would not expire where it does");
			return -EPERM;
		}
		i++;
	}
	return 0;
}

static int tnk_nl_set_policy(struct sk_buff *skb, struct genl_info *info)
{
	struct tnk_policy *next = NULL;
	unsigned int nr = 0;
	int err, mode = -1;

	if (GENL_REQ_ATTR_CHECK(info, TRUSTNODE_A_MODE)) {
		GENL_SET_ERR_MSG(info, "TRUSTNODE_A_MODE is required");
		err = -EINVAL;
		goto out;
	}
	if (GENL_REQ_ATTR_CHECK(info, TRUSTNODE_A_PREFIXES)) {
		GENL_SET_ERR_MSG(info, "TRUSTNODE_A_PREFIXES is required (may be empty)");
		err = -EINVAL;
		goto out;
	}
	err = tnk_nl_parse_policy(info, &next);
	if (err)
		goto out;
	mode = next->mode;
	nr = next->nr;

	mutex_lock(&tnk_config_lock);
	if (tnk_sealed())
		err = tnk_nl_check_stricter(info, tnk_policy_current_locked(),
					    next);
	if (!err) {
		tnk_policy_finalize(next);
		tnk_policy_replace(next);
		next = NULL;
	}
	mutex_unlock(&tnk_config_lock);
	if (next)
		tnk_policy_free(next);
out:
	tnk_report_config("set_policy", err, "mode=%d nprefixes=%u", mode, nr);
	return err;
}

static int tnk_nl_taint(struct sk_buff *skb, struct genl_info *info)
{
	u64 cgid = 0, labels = 0;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, TRUSTNODE_A_CGROUP_ID)) {
		GENL_SET_ERR_MSG(info, "TRUSTNODE_A_CGROUP_ID is required");
		err = -EINVAL;
		goto out;
	}
	if (GENL_REQ_ATTR_CHECK(info, TRUSTNODE_A_LABELS)) {
		GENL_SET_ERR_MSG(info, "TRUSTNODE_A_LABELS is required");
		err = -EINVAL;
		goto out;
	}
	cgid = nla_get_u64(info->attrs[TRUSTNODE_A_CGROUP_ID]);
	labels = nla_get_u64(info->attrs[TRUSTNODE_A_LABELS]);

	mutex_lock(&tnk_config_lock);
	err = tnk_taint_add(cgid, labels);
	mutex_unlock(&tnk_config_lock);
	if (err == -ENOSPC)
		NL_SET_ERR_MSG(info->extack,
			       "taint table full (TRUSTNODE_MAX_TAINTED cgroups)");
	else if (err)
		NL_SET_ERR_MSG(info->extack, "out of memory for the taint entry");
out:
	tnk_report_config("taint", err, "cgroup=%llu labels=0x%llx",
			  cgid, labels);
	return err;
}

static int tnk_nl_clear_taint(struct sk_buff *skb, struct genl_info *info)
{
	u64 cgid = 0;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, TRUSTNODE_A_CGROUP_ID)) {
		GENL_SET_ERR_MSG(info, "TRUSTNODE_A_CGROUP_ID is required");
		err = -EINVAL;
		goto out;
	}
	cgid = nla_get_u64(info->attrs[TRUSTNODE_A_CGROUP_ID]);

	mutex_lock(&tnk_config_lock);
	if (tnk_sealed()) {
		NL_SET_ERR_MSG(info->extack, "sealed: taint cannot be cleared");
		err = -EPERM;
	} else {
		err = tnk_taint_clear(cgid);
		if (err)
			NL_SET_ERR_MSG_ATTR(info->extack,
					    info->attrs[TRUSTNODE_A_CGROUP_ID],
					    "cgroup is not tainted");
	}
	mutex_unlock(&tnk_config_lock);
out:
	tnk_report_config("clear_taint", err, "cgroup=%llu", cgid);
	return err;
}

static int tnk_nl_get_status(struct sk_buff *skb, struct genl_info *info)
{
	const struct tnk_policy *p;
	u32 nprefixes = 0;
	struct tnk_counters c;
	struct sk_buff *msg;
	u8 mode = 0;
	bool loaded;
	void *hdr;

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &tnk_genl_family, 0,
				TRUSTNODE_CMD_GET_STATUS);
	if (!hdr)
		goto err_size;

	rcu_read_lock();
	p = tnk_policy_current_rcu();
	loaded = p;
	if (p) {
		mode = p->mode;
		nprefixes = p->nr_given;
	}
	rcu_read_unlock();
	tnk_report_counters(&c);

	if (nla_put_u8(msg, TRUSTNODE_A_MODE, mode) ||
	    nla_put_u8(msg, TRUSTNODE_A_SEALED, tnk_sealed()) ||
	    nla_put_u8(msg, TRUSTNODE_A_POLICY_LOADED, loaded) ||
	    nla_put_u32(msg, TRUSTNODE_A_NPREFIXES, nprefixes) ||
	    nla_put_u32(msg, TRUSTNODE_A_NTAINTED, tnk_taint_count()) ||
	    nla_put_u64_64bit(msg, TRUSTNODE_A_DROPS, c.drops,
			      TRUSTNODE_A_PAD) ||
	    nla_put_u64_64bit(msg, TRUSTNODE_A_AUDIT_ALLOWS, c.audit_allows,
			      TRUSTNODE_A_PAD) ||
	    nla_put_u64_64bit(msg, TRUSTNODE_A_REPORTS_SUPPRESSED,
			      c.suppressed, TRUSTNODE_A_PAD) ||
	    nla_put_u64_64bit(msg, TRUSTNODE_A_EVENTS_LOST, c.events_lost,
			      TRUSTNODE_A_PAD) ||
	    nla_put_string(msg, TRUSTNODE_A_VERSION, TRUSTNODE_VERSION))
		goto err_size;

	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

err_size:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

static int tnk_nl_seal(struct sk_buff *skb, struct genl_info *info)
{
	bool was_sealed;
	int err;

	mutex_lock(&tnk_config_lock);
	was_sealed = tnk_sealed();
	err = tnk_seal();
	mutex_unlock(&tnk_config_lock);
	if (err)
		NL_SET_ERR_MSG(info->extack, "module is being unloaded");
	else if (!was_sealed)
		pr_notice("sealed until reboot: no unload, no clearing taint, policy only stricter\n");
	tnk_report_config("seal", err, "was_sealed=%d", was_sealed);
	return err;
}

/* GET_STATUS and SEAL have no policy: the core then rejects every attribute. */
static const struct genl_ops tnk_genl_ops[] = {
	{
		.cmd = TRUSTNODE_CMD_SET_POLICY,
		.doit = tnk_nl_set_policy,
		.policy = tnk_set_policy_policy,
		.maxattr = TRUSTNODE_A_MAX,
		.flags = GENL_ADMIN_PERM,
	}, {
		.cmd = TRUSTNODE_CMD_TAINT,
		.doit = tnk_nl_taint,
		.policy = tnk_taint_policy,
		.maxattr = TRUSTNODE_A_MAX,
		.flags = GENL_ADMIN_PERM,
	}, {
		.cmd = TRUSTNODE_CMD_CLEAR_TAINT,
		.doit = tnk_nl_clear_taint,
		.policy = tnk_clear_taint_policy,
		.maxattr = TRUSTNODE_A_MAX,
		.flags = GENL_ADMIN_PERM,
	}, {
		.cmd = TRUSTNODE_CMD_GET_STATUS,
		.doit = tnk_nl_get_status,
	}, {
		.cmd = TRUSTNODE_CMD_SEAL,
		.doit = tnk_nl_seal,
		.flags = GENL_ADMIN_PERM,
	},
};

static const struct genl_multicast_group tnk_genl_mcgrps[] = {
	[TN_MCGRP_DROPS] = {
		.name = TRUSTNODE_MCGRP_DROPS,
		/* Events name other users' cgroups and destinations. */
		.flags = GENL_MCAST_CAP_NET_ADMIN,
	},
};

static struct genl_family tnk_genl_family __ro_after_init = {
	.name = TRUSTNODE_GENL_NAME,
	.version = TRUSTNODE_GENL_VERSION,
	.maxattr = TRUSTNODE_A_MAX,
	.module = THIS_MODULE,
	.parallel_ops = true,	/* tnk_config_lock serializes what needs it */
	.ops = tnk_genl_ops,
	.n_ops = ARRAY_SIZE(tnk_genl_ops),
	.mcgrps = tnk_genl_mcgrps,
	.n_mcgrps = ARRAY_SIZE(tnk_genl_mcgrps),
};

int tnk_netlink_notify_drop(const struct tnk_event *ev)
{
	unsigned int alen = ev->family == AF_INET ? sizeof(ev->daddr.v4) :
						    sizeof(ev->daddr.v6);
	struct sk_buff *msg;
	void *hdr;
	int err;

	if (!genl_has_listeners(&tnk_genl_family, &init_net, TN_MCGRP_DROPS))
		return 0;

	msg = genlmsg_new(3 * nla_total_size_64bit(sizeof(u64)) +
			  nla_total_size(sizeof(struct in6_addr)) +
			  nla_total_size(sizeof(u32)) +
			  nla_total_size(sizeof(u16)) +
			  3 * nla_total_size(sizeof(u8)), GFP_ATOMIC);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put(msg, 0, 0, &tnk_genl_family, 0, TRUSTNODE_CMD_DROP);
	if (!hdr)
		goto err_size;
	if (nla_put_u64_64bit(msg, TRUSTNODE_A_CGROUP_ID, ev->cgid,
			      TRUSTNODE_A_PAD) ||
	    nla_put_u64_64bit(msg, TRUSTNODE_A_TAINT_CGROUP_ID,
			      ev->taint_cgid, TRUSTNODE_A_PAD) ||
	    nla_put_u32(msg, TRUSTNODE_A_PID, ev->pid) ||
	    nla_put_u8(msg, TRUSTNODE_A_FAMILY, ev->family) ||
	    nla_put(msg, TRUSTNODE_A_DADDR, alen, &ev->daddr) ||
	    nla_put_u8(msg, TRUSTNODE_A_PROTO, ev->proto) ||
	    nla_put_u16(msg, TRUSTNODE_A_DPORT, ev->dport) ||
	    nla_put_u64_64bit(msg, TRUSTNODE_A_LABELS, ev->labels,
			      TRUSTNODE_A_PAD) ||
	    nla_put_u8(msg, TRUSTNODE_A_VERDICT, ev->verdict))
		goto err_size;
	genlmsg_end(msg, hdr);

	err = genlmsg_multicast(&tnk_genl_family, msg, 0, TN_MCGRP_DROPS,
				GFP_ATOMIC);
	/* -ESRCH: the last listener left since the check above. */
	return err == -ESRCH ? 0 : err;

err_size:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

int __init tnk_netlink_init(void)
{
	return genl_register_family(&tnk_genl_family);
}

void tnk_netlink_exit(void)
{
	/* Waits for running handlers (genl_rcv holds cb_lock for reading). */
	genl_unregister_family(&tnk_genl_family);
}
