// SPDX-License-Identifier: GPL-2.0-only
/*
 * trustctl run --workload NAME [options] -- CMD...: runs CMD in a fresh child
 * cgroup of the workload, confined (confine.c), waits for it, removes the
 * cgroup and exits with CMD's status.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "confine.h"
#include "err.h"
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

static int parse_fd(const char *s, int *fd)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || !*s || *end || v < 3 || v > INT_MAX)
		return ctl_error(TN_EXIT_USAGE, "--keep-fd %s: give a descriptor number above 2", s);
	if (fcntl((int)v, F_GETFD) < 0)
		return ctl_error(TN_EXIT_USAGE, "--keep-fd %s: not an open descriptor", s);
	*fd = (int)v;
	return 0;
}

/* Options up to "--"; returns the index of CMD, or -(exit code). */
static int parse(int argc, char **argv, const char **name, struct confine *c,
		 int *require_nsd)
{
	int i, cap;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--workload") && i + 1 < argc) {
			*name = argv[++i];
		} else if (!strcmp(argv[i], "--keep-fd") && i + 1 < argc) {
			if (c->n_keep_fds == CONFINE_MAX_FDS)
				return -ctl_error(TN_EXIT_USAGE, "at most %d --keep-fd", CONFINE_MAX_FDS);
			if (parse_fd(argv[++i], &c->keep_fds[c->n_keep_fds++]))
				return -TN_EXIT_USAGE;
		} else if (!strcmp(argv[i], "--cap") && i + 1 < argc) {
			cap = confine_cap_parse(argv[++i]);
			if (cap < 0)
				return -ctl_error(TN_EXIT_USAGE, "--cap %s: no such capability", argv[i]);
			c->keep_caps |= 1ULL << cap;
		} else if (!strcmp(argv[i], "--user") && i + 1 < argc) {
			c->user = argv[++i];
		} else if (!strcmp(argv[i], "--require-nsdelegate")) {
			*require_nsd = 1;
		} else if (!strcmp(argv[i], "--")) {
			return i + 1;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			printf("%s", cmd_run.usage);
			return -TN_EXIT_OK;
		} else {
			return -ctl_usage(&cmd_run);
		}
	}
	return -ctl_usage(&cmd_run);
}

/* Without nsdelegate a cgroup namespace does not keep root in its cgroup. */
static int check_nsdelegate(int require)
{
	char mnt[4096] = "?";
	int on = cgroup2_nsdelegate(mnt, sizeof(mnt));

	if (on == 1)
		return 0;
	if (require)
		return ctl_error(TN_EXIT_FAILED, "cgroup2 (%s) is not mounted with nsdelegate: refusing (--require-nsdelegate)", mnt);
	fprintf(stderr, "trustctl: warning: cgroup2 (%s) is mounted without nsdelegate: "
		"a root process in the workload may still move itself out of its cgroup "
		"through /proc/PID/root of another root process "
		"(mount -o remount,nsdelegate %s closes this)\n", mnt, mnt);
	return 0;
}

static int run(int argc, char **argv)
{
	struct confine c = { 0 };
	const char *name = NULL;
	struct tn_err err;
	char cg[4096];
	int i, status, require_nsd = 0;

	i = parse(argc, argv, &name, &c, &require_nsd);
	if (i <= 0)
		return -i;
	if (!name || i >= argc)
		return ctl_usage(&cmd_run);
	if (c.user && confine_resolve_user(&c, &err))
		return ctl_error(TN_EXIT_INVALID, "--user: %s", err.msg);
	if ((status = check_nsdelegate(require_nsd)))
		return status;
	if ((status = workload_cgroup(name, cg, sizeof(cg))))
		return status;
	snprintf(cg + strlen(cg), sizeof(cg) - strlen(cg), "/run.%d", getpid());
	if (mkdir(cg, 0755))
		return ctl_error(errno == EACCES ? TN_EXIT_PERM : TN_EXIT_FAILED,
				 "cannot create cgroup %s: %s", cg, strerror(errno));
	c.cgroup = cg;
	/*
	 * With run.PID in it, the workload's cgroup cannot be removed, so what
	 * is at its path now is where CMD runs. If it was just created again
	 * and trustnoded has not registered it yet, CMD would run unenforced:
	 * ask, and refuse unless it is.
	 */
	if ((status = ctl_workload_check(name, 1))) {
		rmdir(cg);
		return status;
	}

	fflush(NULL);
	child = fork();
	if (child < 0) {
		rmdir(cg);
		return ctl_error(TN_EXIT_FAILED, "fork: %s", strerror(errno));
	}
	if (child == 0) {
		/* Every step or nothing: CMD never runs half-confined. */
		if (confine_apply(&c, &err)) {
			fprintf(stderr, "trustctl: run: %s; %s was not started\n",
				err.msg, argv[i]);
			_exit(TN_RUN_SETUP_FAILED);
		}
		execvp(argv[i], argv + i);
		fprintf(stderr, "trustctl: run: cannot run %s: %s\n", argv[i], strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
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
	.summary = "run a command inside a workload, confined",
	.usage =
"usage: trustctl run --workload NAME [--keep-fd N]... [--cap CAP]...\n"
"                    [--user USER] [--require-nsdelegate] -- CMD [ARGS...]\n"
"\n"
"Creates a child cgroup run.PID below the workload's cgroup and runs CMD in\n"
"it. CMD and everything it starts belong to the workload and share its taint.\n"
"Before CMD starts, in this order, each step or CMD does not run at all:\n"
"  - the child joins run.PID and unshares a cgroup namespace rooted there\n"
"    (with nsdelegate on the cgroup2 mount, not even root can leave it;\n"
"    without, a warning is printed, --require-nsdelegate refuses instead);\n"
"  - a mount namespace of its own: every bpf file system (trustnode's pins)\n"
"    is covered by an empty read-only tmpfs, every cgroup2 mount shows only\n"
"    run.PID and below; other mounts follow the host's (slave);\n"
"  - capabilities: CAP_SYS_ADMIN, CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN,\n"
"    CAP_NET_RAW, CAP_SYS_MODULE, CAP_SYS_PTRACE, CAP_SYS_RAWIO, CAP_MKNOD\n"
"    and CAP_SYS_BOOT leave the bounding, permitted, effective, inheritable\n"
"    and ambient sets, unless --cap CAP keeps one; root keeps the rest;\n"
"  - --user USER: supplementary groups, gid, then uid of USER (a name or a\n"
"    uid); such a user holds no capability but those --cap names (ambient);\n"
"  - no_new_privs: setuid binaries and file capabilities grant nothing;\n"
"  - every descriptor but 0, 1, 2 and those named by --keep-fd is closed.\n"
"\n"
"Exit status: CMD's (128+N when killed by signal N); trustctl's codes when\n"
"nothing was started (2 usage, 3 no agent, 5 unknown --user, 6 no such\n"
"workload); 125 when a confinement step failed (the message names it),\n"
"126 when CMD could not be executed, 127 when it was not found.\n",
};
