// SPDX-License-Identifier: GPL-2.0-only
/* trustctl workload add|remove|list|reset */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "trustctl.h"

static int simple(const char *cmd, const char *name, const char *cgroup,
		  const char *done)
{
	json_object *req = ctl_request(cmd), *reply;
	int ret;

	json_object_object_add(req, "name", json_object_new_string(name));
	if (cgroup)
		ctl_add_path(req, "cgroup", cgroup);
	if ((ret = ctl_call(req, &reply)))
		return ret;
	printf("%s %s\n", done, name);
	json_object_put(reply);
	return 0;
}

int ctl_workload_check(const char *name, int quiet)
{
	json_object *req = ctl_request("workload.resolve"), *reply, *w;
	const char *cg;
	long long id;
	struct stat st;
	int ret;

	json_object_object_add(req, "name", json_object_new_string(name));
	if ((ret = ctl_call(req, &reply)))
		return ret;
	w = json_object_object_get(reply, "workload");
	cg = tn_json_str(w, "cgroup");
	ret = TN_EXIT_OK;
	/* On cgroup2 a directory's inode number is its cgroup id. */
	if (!cg || tn_json_int(w, "cgroup_id", &id) || stat(cg, &st))
		ret = ctl_error(TN_EXIT_FAILED, "workload '%s': its cgroup %s does not exist; trustnoded enforces it once it is created",
				name, cg ? cg : "?");
	else if ((uint64_t)st.st_ino != (uint64_t)id)
		ret = ctl_error(TN_EXIT_FAILED, "workload '%s': cgroup %s (id %llu) is not the one trustnoded enforces (id %lld); refusing",
				name, cg, (unsigned long long)st.st_ino, id);
	else if (!quiet)
		printf("workload %s: cgroup %s (id %lld) is enforced\n", name, cg, id);
	json_object_put(reply);
	return ret;
}

static int list(int json)
{
	json_object *reply, *a;
	char buf[1024];
	size_t i;
	int ret;

	if ((ret = ctl_call(ctl_request("workload.list"), &reply)))
		return ret;
	a = json_object_object_get(reply, "workloads");
	if (json) {
		ctl_print_json(a);
	} else {
		printf("%-16s %-20s %s\n", "NAME", "TAINT", "CGROUP");
		for (i = 0; i < json_object_array_length(a); i++) {
			json_object *w = json_object_array_get_idx(a, i);

			printf("%-16s %-20s %s\n", tn_json_str(w, "name"),
			       ctl_join(json_object_object_get(w, "taint"), buf, sizeof(buf)),
			       tn_json_str(w, "cgroup"));
		}
	}
	json_object_put(reply);
	return 0;
}

static int run(int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "";

	if (!strcmp(sub, "add") && argc == 4)
		return simple("workload.add", argv[2], argv[3], "added workload");
	if (!strcmp(sub, "remove") && argc == 3)
		return simple("workload.remove", argv[2], NULL, "removed workload");
	if (!strcmp(sub, "reset") && argc == 3)
		return simple("workload.reset", argv[2], NULL, "cleared the taint of workload");
	if (!strcmp(sub, "check") && argc == 3)
		return ctl_workload_check(argv[2], 0);
	if (!strcmp(sub, "list") && (argc == 2 || (argc == 3 && !strcmp(argv[2], "--json"))))
		return list(argc == 3);
	return ctl_usage(&cmd_workload);
}

const struct subcommand cmd_workload = {
	.name = "workload",
	.run = run,
	.summary = "register, list, reset or remove workloads",
	.usage =
"usage: trustctl workload add NAME CGROUP   register the cgroup v2 subtree CGROUP\n"
"       trustctl workload remove NAME       unregister (refused while tainted)\n"
"       trustctl workload reset NAME        clear the taint (recorded as an event)\n"
"       trustctl workload check NAME        exit 0 only if the cgroup that is at\n"
"                                           NAME's path now is the one enforced\n"
"       trustctl workload list [--json]\n"
"\n"
"A workload is everything below CGROUP, which must be below trustnoded's\n"
"cgroup (trustctl status shows it). Workloads cannot nest. Taint is only\n"
"ever cleared by reset. A workload is its path: when the cgroup is removed\n"
"and created again (a service restart) the new one is enforced with the\n"
"workload's taint. A service that starts its own cgroup should run\n"
"  ExecStartPre=trustctl workload check NAME\n"
"so that it starts only once that is so (see README, \"Boot\").\n",
};
