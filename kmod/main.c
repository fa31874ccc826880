// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * trustnode.ko: a second, independent egress guard for tainted workloads.
 *
 * Module init and exit only. Each init step is undone, in reverse order,
 * when a later one fails and at exit. The netlink family comes up before
 * the hooks and goes down after them, because the hooks send DROP
 * notifications through it.
 */
#include <linux/init.h>
#include <linux/module.h>
#include <net/genetlink.h>

#include <uapi/linux/trustnode.h>

#include "guard.h"
#include "netlink.h"
#include "policy.h"
#include "report.h"
#include "taint.h"
#include "version.h"

static int __init tn_mod_init(void)
{
	int err;

	tn_report_init();

	err = tn_netlink_init();
	if (err)
		return err;
	err = tn_guard_init();
	if (err)
		goto err_netlink;

	pr_info("version " TRUSTNODE_VERSION " loaded, guarding every network namespace\n");
	return 0;

err_netlink:
	tn_netlink_exit();
	/* A request may have come in while the family was up. */
	tn_taint_exit();
	tn_policy_exit();
	return err;
}

static void __exit tn_mod_exit(void)
{
	/* Unreachable once sealed: the seal holds a module reference. */
	tn_guard_exit();
	tn_netlink_exit();
	/* No hook and no handler can run now; free what they shared. */
	tn_taint_exit();
	tn_policy_exit();
	pr_info("unloaded\n");
}

module_init(tn_mod_init);
module_exit(tn_mod_exit);
MODULE_LICENSE("Dual BSD/GPL");
MODULE_DESCRIPTION("trustnode: keeps tainted workloads' traffic on the local network");
MODULE_AUTHOR("trustnode developers");
MODULE_VERSION(TRUSTNODE_VERSION);
MODULE_ALIAS_GENL_FAMILY(TRUSTNODE_GENL_NAME);
