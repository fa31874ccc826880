// SPDX-License-Identifier: GPL-2.0-only
/*
 * trustctl run's confinement of a workload's command. Plain prctl(2) and
 * capset(2) rather than libcap: the steps are few, their order matters (the
 * bounding set before the user switch, the user switch before the final
 * sets), and every one is checked here by reading the result back.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "confine.h"
#include "err.h"

static const char *const cap_names[] = {
	"chown", "dac_override", "dac_read_search", "fowner", "fsetid",
	"kill", "setgid", "setuid", "setpcap", "linux_immutable",
	"net_bind_service", "net_broadcast", "net_admin", "net_raw",
	"ipc_lock", "ipc_owner", "sys_module", "sys_rawio", "sys_chroot",
	"sys_ptrace", "sys_pacct", "sys_admin", "sys_boot", "sys_nice",
	"sys_resource", "sys_time", "sys_tty_config", "mknod", "lease",
	"audit_write", "audit_control", "setfcap", "mac_override",
	"mac_admin", "syslog", "wake_alarm", "block_suspend", "audit_read",
	"perfmon", "bpf", "checkpoint_restore",
};

#define N_CAPS ((int)(sizeof(cap_names) / sizeof(cap_names[0])))
#define BIT(c) (1ULL << (c))

/*
 * Each of these lets a root workload get around trustnode: detach or
 * rewrite the BPF side (sys_admin, bpf, perfmon), reroute or filter the
 * network (net_admin), send frames the egress programs never see
 * (net_raw), load or unload kernel code (sys_module, sys_boot: kexec),
 * read other processes' memory and descriptors (sys_ptrace), or read a
 * tagged file's blocks without opening the file (sys_rawio, mknod).
 */
uint64_t confine_default_drop(void)
{
	return BIT(CAP_SYS_ADMIN) | BIT(CAP_BPF) | BIT(CAP_PERFMON) |
	       BIT(CAP_NET_ADMIN) | BIT(CAP_NET_RAW) | BIT(CAP_SYS_MODULE) |
	       BIT(CAP_SYS_PTRACE) | BIT(CAP_SYS_RAWIO) | BIT(CAP_MKNOD) |
	       BIT(CAP_SYS_BOOT);
}

int confine_cap_parse(const char *name)
{
	int i;

	if (!strncasecmp(name, "cap_", 4))
		name += 4;
	for (i = 0; i < N_CAPS; i++)
		if (!strcasecmp(name, cap_names[i]))
			return i;
	return -1;
}

const char *confine_cap_name(int cap)
{
	static char buf[N_CAPS][32];
	int i;

	if (cap < 0 || cap >= N_CAPS)
		return "?";
	snprintf(buf[cap], sizeof(buf[cap]), "CAP_%s", cap_names[cap]);
	for (i = 4; buf[cap][i]; i++)
		buf[cap][i] = toupper((unsigned char)buf[cap][i]);
	return buf[cap];
}

/* The highest capability this kernel knows. */
static int last_cap(void)
{
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "r");
	int n = -1;

	if (f) {
		if (fscanf(f, "%d", &n) != 1)
			n = -1;
		fclose(f);
	}
	return n;
}

int confine_resolve_user(struct confine *c, struct tn_err *err)
{
	struct passwd *pw;
	char *end;
	int n = CONFINE_MAX_GROUPS;

	errno = 0;
	pw = getpwnam(c->user);
	if (!pw) {
		unsigned long id = strtoul(c->user, &end, 10);

		if (*c->user && !*end)
			pw = getpwuid(id);
	}
	if (!pw)
		return tn_fail(err, "no user '%s' in the user database", c->user);
	c->uid = pw->pw_uid;
	c->gid = pw->pw_gid;
	if (getgrouplist(pw->pw_name, pw->pw_gid, c->groups, &n) < 0)
		return tn_fail(err, "user '%s' is in more than %d groups",
			       c->user, CONFINE_MAX_GROUPS);
	c->n_groups = n;
	return 0;
}

static int cap_get(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };

	return syscall(SYS_capget, &h, d);
}

static int cap_set(uint64_t eff, uint64_t perm, uint64_t inh)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2] = {
		{ (__u32)eff, (__u32)perm, (__u32)inh },
		{ (__u32)(eff >> 32), (__u32)(perm >> 32), (__u32)(inh >> 32) },
	};

	return syscall(SYS_capset, &h, d);
}

static int join_cgroup(const char *cg, struct tn_err *err)
{
	char procs[4200];
	int fd;

	snprintf(procs, sizeof(procs), "%s/cgroup.procs", cg);
	fd = open(procs, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "0", 1) != 1) {
		tn_fail_errno(err, errno, "joining cgroup %s", cg);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* Bounding set, then the user, then the sets CMD starts with. */
static int drop_caps(const struct confine *c, struct tn_err *err)
{
	uint64_t drop = confine_default_drop() & ~c->keep_caps, allowed, held;
	struct __user_cap_data_struct d[2];
	int cap, last = last_cap();

	if (last < 0)
		return tn_fail(err, "capabilities: cannot read /proc/sys/kernel/cap_last_cap");
	if (cap_get(d))
		return tn_fail_errno(err, errno, "capabilities: capget");
	/* What we hold now is the most CMD can have; --cap cannot add. */
	held = (uint64_t)d[0].permitted | (uint64_t)d[1].permitted << 32;
	if (c->keep_caps & ~held)
		return tn_fail(err, "capabilities: --cap names one trustctl does not hold");
	allowed = held & ~drop;
	for (cap = 0; cap <= last && cap < 64; cap++) {
		if (!(drop & BIT(cap)))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) ||
		    prctl(PR_CAPBSET_READ, cap, 0, 0, 0) != 0)
			return tn_fail_errno(err, errno, "capabilities: dropping %s from the bounding set",
					     confine_cap_name(cap));
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0))
		return tn_fail_errno(err, errno, "capabilities: clearing the ambient set");

	if (c->user) {
		/* Keep the permitted set across setuid to hand --cap on. */
		if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0))
			return tn_fail_errno(err, errno, "user: PR_SET_KEEPCAPS");
		if (setgroups(c->n_groups, c->groups))
			return tn_fail_errno(err, errno, "user: setgroups for %s", c->user);
		if (setresgid(c->gid, c->gid, c->gid))
			return tn_fail_errno(err, errno, "user: setgid %u", (unsigned)c->gid);
		if (setresuid(c->uid, c->uid, c->uid))
			return tn_fail_errno(err, errno, "user: setuid %u", (unsigned)c->uid);
		if (getuid() != c->uid || geteuid() != c->uid ||
		    getgid() != c->gid || getegid() != c->gid)
			return tn_fail(err, "user: still not uid %u gid %u after switching",
				       (unsigned)c->uid, (unsigned)c->gid);
		if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0))
			return tn_fail_errno(err, errno, "user: PR_SET_KEEPCAPS");
		/* Another user gets only what --cap names, as ambient caps. */
		if (c->uid)
			allowed = c->keep_caps & allowed;
	}
	if (cap_set(allowed, allowed, allowed))
		return tn_fail_errno(err, errno, "capabilities: capset");
	for (cap = 0; c->user && c->uid && cap < 64; cap++)
		if ((allowed & BIT(cap)) &&
		    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0))
			return tn_fail_errno(err, errno, "capabilities: raising ambient %s",
					     confine_cap_name(cap));
	if (cap_get(d) ||
	    (((uint64_t)d[0].permitted | (uint64_t)d[1].permitted << 32) & drop) ||
	    (((uint64_t)d[0].inheritable | (uint64_t)d[1].inheritable << 32) & drop))
		return tn_fail(err, "capabilities: a dropped capability is still held");
	return 0;
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* Everything but 0-2 and the --keep-fd ones, which stay open across exec. */
static int close_fds(const struct confine *c, struct tn_err *err)
{
	int keep[CONFINE_MAX_FDS], i;
	unsigned int from = 3;

	memcpy(keep, c->keep_fds, sizeof(keep));
	qsort(keep, c->n_keep_fds, sizeof(int), cmp_int);
	for (i = 0; i < c->n_keep_fds; i++) {
		int fl = fcntl(keep[i], F_GETFD);

		if (fl < 0 || fcntl(keep[i], F_SETFD, fl & ~FD_CLOEXEC))
			return tn_fail_errno(err, errno, "descriptors: keeping %d", keep[i]);
		if ((unsigned int)keep[i] > from &&
		    syscall(SYS_close_range, from, keep[i] - 1, 0))
			return tn_fail_errno(err, errno, "descriptors: close_range");
		if ((unsigned int)keep[i] >= from)
			from = keep[i] + 1;
	}
	if (syscall(SYS_close_range, from, ~0U, 0))
		return tn_fail_errno(err, errno, "descriptors: close_range");
	return 0;
}

/*
 * A mount namespace of its own: every bpf file system is covered by an
 * empty read-only tmpfs, so root inside can neither delete trustnode's
 * pins (which would detach its programs once the agent is gone) nor reach
 * its maps, and every cgroup2 mount is replaced by one rooted at the
 * cgroup namespace, so the workload sees no cgroup outside its own.
 * Without CAP_SYS_ADMIN it cannot unmount either, and mounts copied into
 * a user namespace it makes stay locked over what they cover.
 */
static int private_mounts(struct tn_err *err)
{
	char dirs[64][512], types[64][16], dev[256], opts[1024];
	int n = 0, i;
	FILE *f;

	if (unshare(CLONE_NEWNS))
		return tn_fail_errno(err, errno, "mount namespace: unshare");
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL))
		return tn_fail_errno(err, errno, "mount namespace: making mounts private");
	f = fopen("/proc/self/mounts", "r");
	if (!f)
		return tn_fail_errno(err, errno, "mount namespace: /proc/self/mounts");
	while (n < 64 && fscanf(f, "%255s %511s %15s %1023s %*[^\n]", dev, dirs[n],
				types[n], opts) == 4) {
		if (strcmp(types[n], "bpf") && strcmp(types[n], "cgroup2"))
			continue;
		/* Escaped names (\040...) would need decoding: refuse. */
		if (strchr(dirs[n], '\\')) {
			fclose(f);
			return tn_fail(err, "mount namespace: cannot cover %s mount %s", types[n], dirs[n]);
		}
		n++;
	}
	fclose(f);
	if (n == 64)
		return tn_fail(err, "mount namespace: more than 63 bpf and cgroup2 mounts");
	for (i = 0; i < n; i++) {
		/*
		 * An empty tmpfs first: the kernel refuses a cgroup2 mount
		 * right on top of the same hierarchy (EBUSY).
		 */
		if (mount("tmpfs", dirs[i], "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV |
			  MS_NOEXEC, "mode=0555") ||
		    (!strcmp(types[i], "cgroup2") &&
		     mount("cgroup2", dirs[i], "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL)))
			return tn_fail_errno(err, errno, "mount namespace: covering %s mount %s",
					     types[i], dirs[i]);
	}
	return 0;
}

int confine_apply(const struct confine *c, struct tn_err *err)
{
	if (join_cgroup(c->cgroup, err))
		return -1;
	/*
	 * After joining: the namespace's root is the run cgroup, so with
	 * nsdelegate even root inside cannot move a process out of it.
	 */
	if (unshare(CLONE_NEWCGROUP))
		return tn_fail_errno(err, errno, "cgroup namespace: unshare");
	if (private_mounts(err))
		return -1;
	if (drop_caps(c, err))
		return -1;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		return tn_fail_errno(err, errno, "no_new_privs");
	return close_fds(c, err);
}

int cgroup2_nsdelegate(char *mnt, size_t n)
{
	char dev[256], dir[4096], type[64], opts[1024];
	FILE *f = fopen("/proc/self/mounts", "r");
	int ret = -1;

	while (f && fscanf(f, "%255s %4095s %63s %1023s %*[^\n]", dev, dir, type, opts) == 4) {
		char *o, *save = NULL;

		if (strcmp(type, "cgroup2"))
			continue;
		snprintf(mnt, n, "%s", dir);
		ret = 0;
		for (o = strtok_r(opts, ",", &save); o; o = strtok_r(NULL, ",", &save))
			if (!strcmp(o, "nsdelegate"))
				ret = 1;
		break;
	}
	if (f)
		fclose(f);
	return ret;
}
