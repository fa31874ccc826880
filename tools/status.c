// SPDX-License-Identifier: GPL-2.0-only
/* trustctl status */
#include <stdio.h>
#include <string.h>
#include "confine.h"
#include "trustctl.h"

static int run(int argc, char **argv)
{
	json_object *reply, *a, *c;
	char buf[4096];
	size_t i;
	int ret, json = argc == 2 && !strcmp(argv[1], "--json");

	if (argc > 2 || (argc == 2 && !json))
		return ctl_usage(&cmd_status);
	if ((ret = ctl_call(ctl_request("status"), &reply)))
		return ret;
	if (json) {
		ctl_print_reply(reply);
		json_object_put(reply);
		return 0;
	}
	printf("mode:       %s\n", tn_json_str(reply, "mode"));
	printf("attach:     %s (%s)\n", tn_json_str(reply, "attach"),
	       tn_json_str(reply, "attach_reason"));
	printf("cgroup:     %s\n", tn_json_str(reply, "cgroup"));
	printf("pins:       %s\n", tn_json_str(reply, "pin_dir"));
	printf("policy:     %s\n", tn_json_str(reply, "policy") ?: "(none loaded: defaults)");
	printf("local:      %s%s\n", ctl_join(json_object_object_get(reply, "prefixes"), buf, sizeof(buf)),
	       json_object_get_boolean(json_object_object_get(reply, "prefixes_default")) ? " (defaults)" : "");
	printf("loaded:     %d workloads (%d tainted), %d tags, %d labels\n",
	       json_object_get_int(json_object_object_get(reply, "workloads")),
	       json_object_get_int(json_object_object_get(reply, "tainted_workloads")),
	       json_object_get_int(json_object_object_get(reply, "tags")),
	       json_object_get_int(json_object_object_get(reply, "labels")));
	c = json_object_object_get(reply, "kernel_module");
	if (json_object_get_boolean(json_object_object_get(c, "loaded")))
		printf("module:     trustnode %s, %s, %s%s, %lld tainted cgroups, %lld drops\n",
		       tn_json_str(c, "version"), tn_json_str(c, "mode"),
		       json_object_get_boolean(json_object_object_get(c, "sealed")) ? "sealed" : "not sealed",
		       json_object_get_boolean(json_object_object_get(c, "in_sync")) ? "" : ", NOT IN SYNC",
		       (long long)json_object_get_int64(json_object_object_get(c, "tainted_cgroups")),
		       (long long)json_object_get_int64(json_object_object_get(c, "drops")));
	else
		printf("module:     not loaded (no second egress guard)\n");
	c = json_object_object_get(json_object_object_get(reply, "attestation"), "log_reads");
	if (c)
		printf("log reads:  %lld served, %lld refused (GET /v1/log: enrolled peers only)\n",
		       (long long)json_object_get_int64(json_object_object_get(c, "served")),
		       (long long)json_object_get_int64(json_object_object_get(c, "refused")));
	a = json_object_object_get(reply, "trusted_receivers");
	for (i = 0; i < json_object_array_length(a); i++) {
		json_object *t = json_object_array_get_idx(a, i);

		printf("trusted:    %s %s (receives tainted data untainted: a deliberate hole)\n",
		       tn_json_str(t, "name"), tn_json_str(t, "cgroup"));
	}
	printf("readers:    %s\n",
	       json_object_get_boolean(json_object_object_get(reply, "tagged_readers_enforced")) ?
	       "tagged files open only to workloads and trusted readers (tagged_readers = \"workloads\")" :
	       strcmp(tn_json_str(reply, "tagged_readers") ?: "anyone", "anyone") ?
	       "anyone may open tagged files: tagged_readers is not enforced in this mode" :
	       "anyone may open tagged files (tagged_readers = \"anyone\")");
	a = json_object_object_get(reply, "trusted_readers");
	for (i = 0; i < json_object_array_length(a); i++) {
		json_object *t = json_object_array_get_idx(a, i);

		printf("reader:     %s %s%s (opens tagged files untainted: a deliberate hole)\n",
		       tn_json_str(t, "name"), tn_json_str(t, "cgroup"),
		       json_object_get_boolean(json_object_object_get(t, "pending")) ?
		       " (not made yet)" : "");
	}
	printf("programs:\n");
	a = json_object_object_get(reply, "programs");
	for (i = 0; i < json_object_array_length(a); i++) {
		json_object *p = json_object_array_get_idx(a, i);

		long long missed = json_object_get_int64(json_object_object_get(p, "missed_runs"));

		printf("  %-24s %-10s %s", tn_json_str(p, "name"),
		       json_object_get_boolean(json_object_object_get(p, "attached")) ?
		       "attached" : "DETACHED", tn_json_str(p, "attach"));
		if (missed)
			printf(" (%lld runs skipped by the kernel: operations passed unjudged)", missed);
		printf("\n");
	}
	printf("counters:\n");
	c = json_object_object_get(reply, "counters");
	json_object_object_foreach(c, k, v)
		printf("  %-24s %lld\n", k, (long long)json_object_get_int64(v));
	printf("maps (entries / max):\n");
	a = json_object_object_get(reply, "maps");
	for (i = 0; i < json_object_array_length(a); i++) {
		json_object *m = json_object_array_get_idx(a, i);
		long long n = json_object_get_int64(json_object_object_get(m, "entries"));
		long long max = json_object_get_int64(json_object_object_get(m, "max_entries"));

		printf("  %-24s %lld / %lld%s\n", tn_json_str(m, "name"), n, max,
		       n < 0 ? " (could not be counted)" :
		       n >= max ? " FULL" : n * 10 >= max * 9 ? " (over 90%)" : "");
		if (tn_json_str(m, "when_full"))
			printf("  %-24s when full: %s\n", "", tn_json_str(m, "when_full"));
	}
	printf("not covered in %s mode:\n", tn_json_str(reply, "attach"));
	a = json_object_object_get(reply, "gaps");
	for (i = 0; i < json_object_array_length(a); i++)
		printf("  - %s\n", json_object_get_string(json_object_array_get_idx(a, i)));
	/* Read here, not by the agent: it is this machine's mount, either way. */
	if (cgroup2_nsdelegate(buf, sizeof(buf)) != 1)
		printf("  - cgroup2 (%s) is mounted without nsdelegate: a root process in a workload not started by trustctl run can write its pid into another cgroup's cgroup.procs and leave its workload; one started by trustctl run sees only its own cgroups, but can still leave through /proc/PID/root of a root process holding no more capabilities than itself (mount -o remount,nsdelegate %s closes both)\n",
		       buf, buf);
	json_object_put(reply);
	return 0;
}

const struct subcommand cmd_status = {
	.name = "status",
	.run = run,
	.summary = "show mode, attach mode, what is loaded, counters and gaps",
	.usage =
"usage: trustctl status [--json]\n"
"\n"
"Shows the enforcement mode, how the BPF programs are attached (lsm,\n"
"fentry or cgroup mode, and why), what is loaded, the kernel counters, how full\n"
"each map is that a decision depends on, and what the current mode does\n"
"not cover.\n",
};
