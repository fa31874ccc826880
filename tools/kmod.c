// SPDX-License-Identifier: GPL-2.0-only
/*
 * trustctl kmod status: asks trustnode.ko directly (generic netlink), so it
 * works without the agent. trustctl seal: through the agent, which first
 * makes sure the module holds the current policy and taint, and records it.
 */
#include <stdio.h>
#include <string.h>
#include "kmod_nl.h"
#include "trustctl.h"

static int kmod_status(int json)
{
	struct tn_kmod_status st;
	struct tn_err err;
	struct tn_kmod *k = tn_kmod_open(&err);

	if (!k)
		return ctl_error(TN_EXIT_NOT_FOUND, "%s", err.msg);
	if (tn_kmod_status(k, &st, &err)) {
		tn_kmod_close(k);
		return ctl_error(TN_EXIT_FAILED, "%s", err.msg);
	}
	tn_kmod_close(k);
	if (json) {
		printf("{\"version\":\"%s\",\"policy_loaded\":%s,\"mode\":\"%s\",\"sealed\":%s,"
		       "\"prefixes\":%u,\"tainted_cgroups\":%u,\"drops\":%llu,"
		       "\"audit_allows\":%llu,\"reports_suppressed\":%llu,\"events_lost\":%llu}\n",
		       st.version, st.policy_loaded ? "true" : "false",
		       st.enforce ? "enforce" : "audit", st.sealed ? "true" : "false",
		       st.nprefixes, st.ntainted, (unsigned long long)st.drops,
		       (unsigned long long)st.audit_allows,
		       (unsigned long long)st.reports_suppressed,
		       (unsigned long long)st.events_lost);
		return 0;
	}
	printf("module:        trustnode %s\n", st.version);
	printf("policy:        %s\n", st.policy_loaded ? (st.enforce ? "enforce" : "audit") :
	       "none loaded (nothing is dropped)");
	printf("sealed:        %s\n", st.sealed ? "yes (until reboot)" : "no");
	printf("prefixes:      %u\n", st.nprefixes);
	printf("tainted:       %u cgroups\n", st.ntainted);
	printf("drops:         %llu\n", (unsigned long long)st.drops);
	printf("audit allows:  %llu\n", (unsigned long long)st.audit_allows);
	printf("unreported:    %llu (rate limit)\n", (unsigned long long)st.reports_suppressed);
	printf("events lost:   %llu\n", (unsigned long long)st.events_lost);
	return 0;
}

static int kmod_run(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "status") &&
	    (argc == 2 || (argc == 3 && !strcmp(argv[2], "--json"))))
		return kmod_status(argc == 3);
	return ctl_usage(&cmd_kmod);
}

static int seal_run(int argc, char **argv)
{
	json_object *reply;
	int ret;

	if (argc != 2 || strcmp(argv[1], "--yes"))
		return ctl_usage(&cmd_seal);
	if ((ret = ctl_call(ctl_request("seal"), &reply)))
		return ret;
	printf("sealed: until reboot the module cannot be unloaded, taint cannot be cleared\n"
	       "and the policy can only become stricter\n");
	json_object_put(reply);
	return 0;
}

const struct subcommand cmd_kmod = {
	.name = "kmod",
	.run = kmod_run,
	.summary = "show the kernel module's state",
	.usage =
"usage: trustctl kmod status [--json]\n"
"\n"
"Asks trustnode.ko directly: its version, policy, seal, tainted cgroups and\n"
"counters. Exit code 6 when the module is not loaded.\n",
};

const struct subcommand cmd_seal = {
	.name = "seal",
	.run = seal_run,
	.summary = "seal the kernel module until reboot (irreversible)",
	.usage =
"usage: trustctl seal --yes\n"
"\n"
"Seals trustnode.ko until the next reboot: it can no longer be unloaded,\n"
"no workload's taint can be cleared (trustctl workload reset is refused),\n"
"and the policy can only become stricter (fewer or narrower prefixes;\n"
"audit to enforce, never back). trustnoded first pushes the current policy\n"
"and taint to the module. --yes is required: there is no undo.\n",
};
