// SPDX-License-Identifier: GPL-2.0-only
/*
 * trustctl run --workload NAME -- CMD...: runs CMD in a fresh child cgroup of
 * the workload, waits for it, removes the cgroup and exits with CMD's status.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "trustctl.h"

static pid_t child;

static void forward(int sig)
{
	if (child > 0)
		kill(child, sig);
}

static int workload_cgroup(const char *name, char *out, size_t n)
{
	json_object *reply, *a;
	size_t i;
	int ret;

	if ((ret = ctl_call(ctl_request("workload.list"), &reply)))
		return ret;
	a = json_object_object_get(reply, "workloads");
	ret = TN_EXIT_NOT_FOUND;
	for (i = 0; i < json_object_array_length(a); i++) {
		json_object *w = json_object_array_get_idx(a, i);

		if (!strcmp(tn_json_str(w, "name") ?: "", name)) {
			snprintf(out, n, "%s", tn_json_str(w, "cgroup"));
			ret = 0;
		}
	}
	if (ret)
		ctl_error(ret, "no workload named '%s' (see trustctl workload list)", name);
	json_object_put(reply);
	return ret;
}

static int run(int argc, char **argv)
{
	const char *name = NULL;
	char cg[4096], procs[4200];
	int i, status, fd;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--workload") && i + 1 < argc)
			name = argv[++i];
		else if (!strcmp(argv[i], "--")) {
			i++;
			break;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			printf("%s", cmd_run.usage);
			return 0;
		} else
			return ctl_usage(&cmd_run);
	}
	if (!name || i >= argc)
		return ctl_usage(&cmd_run);
	if ((status = workload_cgroup(name, cg, sizeof(cg))))
		return status;
	snprintf(cg + strlen(cg), sizeof(cg) - strlen(cg), "/run.%d", getpid());
	if (mkdir(cg, 0755))
		return ctl_error(errno == EACCES ? TN_EXIT_PERM : TN_EXIT_FAILED,
				 "cannot create cgroup %s: %s", cg, strerror(errno));
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", cg);

	child = fork();
	if (child < 0) {
		rmdir(cg);
		return ctl_error(TN_EXIT_FAILED, "fork: %s", strerror(errno));
	}
	if (child == 0) {
		/* Join the cgroup before exec: CMD never runs outside it. */
		fd = open(procs, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, "0", 1) != 1) {
			fprintf(stderr, "trustctl: cannot join %s: %s\n", cg, strerror(errno));
			_exit(TN_EXIT_FAILED);
		}
		close(fd);
		/*
		 * Inside run.PID the workload's cgroup cannot be removed, so
		 * what is at its path now is where CMD runs. If it was just
		 * created again and trustnoded has not registered it yet, CMD
		 * would run unenforced: ask, and refuse unless it is.
		 */
		if (ctl_workload_check(name, 1))
			_exit(TN_EXIT_FAILED);
		execvp(argv[i], argv + i);
		fprintf(stderr, "trustctl: cannot run %s: %s\n", argv[i], strerror(errno));
		_exit(127);
	}
	signal(SIGINT, forward);
	signal(SIGTERM, forward);
	signal(SIGHUP, forward);
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	/* Descendants that outlive CMD keep the cgroup; it is then left. */
	rmdir(cg);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

const struct subcommand cmd_run = {
	.name = "run",
	.run = run,
	.summary = "run a command inside a workload",
	.usage =
"usage: trustctl run --workload NAME -- CMD [ARGS...]\n"
"\n"
"Creates a child cgroup run.PID below the workload's cgroup, runs CMD in\n"
"it, and exits with CMD's exit status (128+N when killed by signal N).\n"
"CMD and everything it starts belong to the workload and share its taint.\n",
};
