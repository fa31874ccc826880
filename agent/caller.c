// SPDX-License-Identifier: GPL-2.0-only
/*
 * Who is on the other end of the control socket: uid and pid from
 * SO_PEERCRED, the command and the cgroup from /proc/PID. A caller inside a
 * workload, or anywhere below trustnoded's cgroup (where every workload
 * lives), may look but not change anything, whatever its uid: a workload
 * running as root must not clear its own taint.
 *
 * The pid can be reused between connect() and our reading of /proc/PID.
 * Where the kernel has SO_PEERPIDFD (6.5 and later) the pidfd names the
 * connecting process itself: /proc/PID is read, then the pidfd must still
 * be alive, so the pid was not recycled meanwhile. Older kernels: the start
 * time in /proc/PID/stat must be the same before and after, and not later
 * than the accept (a process born after it cannot have connected). Either
 * way a caller with SIGKILL pending is refused too: in cgroup mode a tainted
 * process that moves itself out of its workload gets SIGKILL for it, and
 * may be read here in its new cgroup before it dies. The kill is sent when
 * its write returns, so a read in the microseconds between the move and
 * then still sees an outside caller (a residual race of cgroup mode; lsm
 * mode refuses the move).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "agent.h"

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77	/* asm-generic/socket.h, Linux 6.5 */
#endif

static int read_small(pid_t pid, const char *what, char *buf, size_t n)
{
	char path[64];
	ssize_t r;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, what);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	r = read(fd, buf, n - 1);
	close(fd);
	if (r < 0)
		return -1;
	buf[r] = '\0';
	return 0;
}

/* Field 22 of /proc/PID/stat: start time in clock ticks after boot. */
static int start_time(pid_t pid, unsigned long long *t)
{
	char buf[1024], *p;
	int i;

	if (read_small(pid, "stat", buf, sizeof(buf)))
		return -1;
	p = strrchr(buf, ')');	/* comm may hold spaces and parentheses */
	if (!p)
		return -1;
	for (i = 0; i < 20 && p; i++)
		p = strchr(p + 1, ' ');
	return p && sscanf(p + 1, "%llu", t) == 1 ? 0 : -1;
}

/* Whether SIGKILL is pending for pid, per thread or for the group. */
static int kill_pending(pid_t pid)
{
	char buf[4096], *p;
	unsigned long long m;

	if (read_small(pid, "status", buf, sizeof(buf)))
		return 1;
	for (p = buf; (p = strstr(p, "Pnd:\t")); p += 5)
		if (sscanf(p + 5, "%llx", &m) == 1 && (m & (1ULL << (SIGKILL - 1))))
			return 1;
	return 0;
}

/* The caller's path on the unified hierarchy, as /proc/PID/cgroup shows it. */
static int unified_path(pid_t pid, char *out, size_t n)
{
	char buf[8192], *line, *save = NULL;

	if (read_small(pid, "cgroup", buf, sizeof(buf)))
		return -1;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (!strncmp(line, "0::", 3)) {
			snprintf(out, n, "%s", line + 3);
			return 0;
		}
	return -1;
}

/* Mount point and root of the cgroup2 mount, from /proc/self/mountinfo. */
static int cgroup2_mount(char *mnt, size_t mn, char *root, size_t rn)
{
	FILE *f = fopen("/proc/self/mountinfo", "r");
	char line[4096];
	int found = -1;

	if (!f)
		return -1;
	while (found && fgets(line, sizeof(line), f)) {
		char r[PATH_MAX], m[PATH_MAX], *sep = strstr(line, " - ");
		char type[64];

		if (!sep || sscanf(sep + 3, "%63s", type) != 1 || strcmp(type, "cgroup2") ||
		    sscanf(line, "%*s %*s %*s %4095s %4095s", r, m) != 2)
			continue;
		snprintf(mnt, mn, "%s", m);
		snprintf(root, rn, "%s", r);
		found = 0;
	}
	fclose(f);
	return found;
}

/* Whether path is dir or below it (both real paths). */
static int at_or_below(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return !strncmp(path, dir, n) && (path[n] == '\0' || path[n] == '/');
}

static int confined_where(struct agent *a, struct tn_caller *c)
{
	char mnt[PATH_MAX], root[PATH_MAX], abs[2 * PATH_MAX], real[PATH_MAX];
	const char *rel = c->cgroup;
	size_t rl;
	int i;

	if (cgroup2_mount(mnt, sizeof(mnt), root, sizeof(root)))
		return snprintf(c->refused, sizeof(c->refused),
				"refused: no cgroup2 mount to place caller pid %d in", (int)c->pid), 1;
	rl = strlen(root);
	if (strcmp(root, "/") && at_or_below(rel, root))
		rel += rl;
	snprintf(abs, sizeof(abs), "%s%s", mnt, rel);
	for (i = 0; i < a->reg.nwls; i++) {
		const struct reg_workload *w = &a->reg.wls[i];

		if (w->cgroup && realpath(w->cgroup, real) && at_or_below(abs, real)) {
			snprintf(c->refused, sizeof(c->refused),
				 "refused: caller pid %d (%s) is inside workload %.64s (cgroup %.400s); workloads cannot change trustnode, whatever their uid",
				 (int)c->pid, c->comm, w->name, c->cgroup);
			return 1;
		}
	}
	if (!realpath(a->opt.cgroup_root, real))
		return snprintf(c->refused, sizeof(c->refused),
				"refused: cannot resolve trustnoded's cgroup %.400s", a->opt.cgroup_root), 1;
	if (at_or_below(abs, real)) {
		snprintf(c->refused, sizeof(c->refused),
			 "refused: caller pid %d (%s) is below trustnoded's cgroup %.400s (in %.400s), where workloads live; run trustctl from outside it",
			 (int)c->pid, c->comm, real, c->cgroup);
		return 1;
	}
	return 0;
}

static void refuse(struct tn_caller *c, const char *why)
{
	snprintf(c->refused, sizeof(c->refused),
		 "refused: cannot establish who caller pid %d is (%s); changes need a caller known to be outside every workload",
		 (int)c->pid, why);
}

void caller_identify(struct agent *a, int fd, struct tn_caller *c)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	unsigned long long t0 = 0, t1 = 0;
	struct timespec now;
	int pidfd = -1;

	memset(c, 0, sizeof(*c));
	c->pid = -1;
	clock_gettime(CLOCK_BOOTTIME, &now);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len))
		return refuse(c, "no SO_PEERCRED");
	c->uid = cred.uid;
	c->gid = cred.gid;
	c->pid = cred.pid;
	len = sizeof(pidfd);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &len))
		pidfd = -1;
	c->pidfd_checked = pidfd >= 0;
	if (pidfd < 0 && start_time(c->pid, &t0))
		return refuse(c, "no /proc entry");
	if (read_small(c->pid, "comm", c->comm, sizeof(c->comm)) ||
	    unified_path(c->pid, c->cgroup, sizeof(c->cgroup))) {
		if (pidfd >= 0)
			close(pidfd);
		return refuse(c, "cannot read its /proc entry");
	}
	c->comm[strcspn(c->comm, "\n")] = '\0';
	if (pidfd >= 0) {
		int gone = syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0);

		close(pidfd);
		if (gone)
			return refuse(c, "it exited; its pid may be reused");
	} else {
		long hz = sysconf(_SC_CLK_TCK);
		unsigned long long accept_ticks = now.tv_sec * hz +
			now.tv_nsec / (1000000000L / hz);

		if (start_time(c->pid, &t1) || t0 != t1 || t0 > accept_ticks + 1)
			return refuse(c, "its pid was reused");
	}
	if (kill_pending(c->pid))
		return refuse(c, "it is being killed");
	confined_where(a, c);
}

json_object *caller_json(const struct tn_caller *c)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "uid", json_object_new_int64(c->uid));
	json_object_object_add(o, "pid", json_object_new_int64(c->pid));
	json_object_object_add(o, "comm", json_object_new_string(c->comm));
	json_object_object_add(o, "cgroup", json_object_new_string(c->cgroup));
	json_object_object_add(o, "pid_check", json_object_new_string(
				       c->pidfd_checked ? "pidfd" : "start-time"));
	return o;
}
