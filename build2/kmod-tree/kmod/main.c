// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * trustnode.ko: a second, independent egress guard for tainted workloads.
 *
 * Module init and exit only, as strict pairs: each step is undone in
 * reverse order when a later one fails, and at exit.
 *
 *   tables   policy.c, taint.c: static and empty until a request fills
 *            them; their exit frees what requests put there.
 *   netlink  the family requests arrive on and DROP notifications leave
 *            by; up before the hooks and down after them.
 *   guard    the netfilter hooks in every network namespace.
 *
 * The module's own symbols are tnk_*: userspace's tn_* names (common/)
 * mean different things and never share a name with these.
 */
#include <linux/init.h>
#include <linux/module.h>
#include <net/genetlink.h>

#include <uapi/linux/trustnode.h>

#include "guard.h"
#include "netlink.h"
#include "policy.h"
#include "taint.h"
#include "version.h"

/* Frees what requests put into the tables; no hook or handler may run. */
static void tnk_tables_exit(void)
{
	tnk_taint_exit();
	tnk_policy_exit();
}

static int __init tnk_mod_init(void)
{
	int err;

	err = tnk_netlink_init();
	if (err)
		goto err_netlink;
	err = tnk_guard_init();
	if (err)
		goto err_guard;

	pr_info("version " TRUSTNODE_VERSION " loaded, guarding every network namespace\n");
	return 0;

err_guard:
	tnk_netlink_exit();
err_netlink:
	/* A request may have filled the tables while the family was up. */
	tnk_tables_exit();
	return err;
}

static void __exit tnk_mod_exit(void)
{
	/* Unreachable once sealed: the seal holds a module reference. */
	tnk_guard_exit();
	tnk_netlink_exit();
	tnk_tables_exit();
	pr_info("unloaded\n");
}

module_init(tnk_mod_init);
module_exit(tnk_mod_exit);
MODULE_LICENSE("Dual BSD/GPL");
MODULE_DESCRIPTION("trustnode: keeps tainted workloads' traffic on the local network");
MODULE_AUTHOR("trustnode developers");
MODULE_VERSION(TRUSTNODE_VERSION);
MODULE_ALIAS_GENL_FAMILY(TRUSTNODE_GENL_NAME);
