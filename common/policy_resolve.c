// SPDX-License-Identifier: GPL-2.0-only
/*
 * From the names in a parsed policy to what the kernel sees: a tagged
 * path's (device, inode) as the hooks see them, a cgroup's id. Apart from
 * the parser (policy.c) because this is the part that looks at the
 * running system, so that trustctl policy check can parse a policy for
 * another machine and the fuzzer can run the parser without touching files.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "policy.h"

uint64_t tn_kernel_dev(uint64_t st_dev)
{
	return ((uint64_t)major(st_dev) << 20) | minor(st_dev);
}

/*
 * The device the kernel hooks see for a file is its super block's s_dev.
 * stat() usually reports the same, but not everywhere: btrfs reports each
 * subvolume's own anonymous device. /proc/self/mountinfo prints s_dev of
 * every mount, found by the mount id statx() gives.
 */
static int sb_dev_of_mount(uint64_t mnt_id, uint64_t *dev)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096];
	int found = -1;

	if (!f)
		return -1;
	while (found && fgets(line, sizeof(line), f)) {
		unsigned long long id, parent;
		unsigned maj, min;

		if (sscanf(line, "%llu %llu %u:%u", &id, &parent, &maj, &min) == 4 &&
		    id == mnt_id) {
			*dev = makedev(maj, min);
			found = 0;
		}
	}
	fclose(f);
	return found;
}

int tn_stat_tag_path(const char *path, uint64_t *dev, uint64_t *ino,
		     struct tn_err *err)
{
	struct statfs sfs;
	struct statx stx;
	struct stat st;
	uint64_t sb_dev;

	if (path[0] != '/')
		return tn_fail(err, "'%s' is not an absolute path", path);
	if (stat(path, &st))
		return tn_fail_errno(err, errno, "cannot tag '%s'", path);
	if (statx(AT_FDCWD, path, 0, STATX_INO | STATX_MNT_ID, &stx))
		return tn_fail_errno(err, errno, "cannot tag '%s'", path);
	if (!(stx.stx_mask & STATX_MNT_ID) || stx.stx_ino != st.st_ino ||
	    sb_dev_of_mount(stx.stx_mnt_id, &sb_dev))
		return tn_fail(err, "cannot tag '%s': its mount is not in /proc/self/mountinfo (the file changed while it was looked up, or /proc is not mounted)", path);
	st.st_dev = sb_dev;
	if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
		return tn_fail(err, "cannot tag '%s': only regular files and directories can be tagged", path);
	/*
	 * overlayfs shows userspace other (device, inode) pairs than the ones
	 * the kernel hooks see, so such a tag would never match: refuse it.
	 */
	if (!statfs(path, &sfs) && sfs.f_type == OVERLAYFS_SUPER_MAGIC)
		return tn_fail(err, "cannot tag '%s': it is on overlayfs, where files cannot be matched by inode; tag the data where it really lives (the volume or directory mounted into the container)", path);
	*dev = tn_kernel_dev(st.st_dev);
	*ino = st.st_ino;
	return 0;
}

int tn_cgroup_id(const char *path, uint64_t *id, struct tn_err *err)
{
	struct statfs sfs;
	struct stat st;

	if (path[0] != '/')
		return tn_fail(err, "cgroup '%s' is not an absolute path", path);
	if (statfs(path, &sfs) || stat(path, &st))
		return tn_fail_errno(err, errno, "cgroup '%s'", path);
	if (sfs.f_type != CGROUP2_SUPER_MAGIC || !S_ISDIR(st.st_mode))
		return tn_fail(err, "'%s' is not a cgroup v2 directory", path);
	/* On cgroup2 the directory's inode number is the cgroup id. */
	*id = st.st_ino;
	return 0;
}

int tn_reader_cgroup_id(const char *path, uint64_t *id, struct tn_err *err)
{
	char dir[4096], *slash;
	struct statfs sfs;

	*id = 0;
	if (path[0] != '/')
		return tn_fail(err, "cgroup '%s' is not an absolute path", path);
	snprintf(dir, sizeof(dir), "%s", path);
	if (realpath(path, dir)) {
		if (tn_cgroup_id(dir, id, err))
			return -1;
		/* The root cgroup holds every process: trusting it is no setting. */
		slash = strrchr(dir, '/');
		if (slash == dir)
			dir[1] = '\0';
		else
			*slash = '\0';
		if (statfs(dir, &sfs) || sfs.f_type != CGROUP2_SUPER_MAGIC)
			return tn_fail(err, "'%s' is the root cgroup: it holds every process; name the reader's own cgroup", path);
		return 0;
	}
	if (errno != ENOENT)
		return tn_fail_errno(err, errno, "cgroup '%s'", path);
	snprintf(dir, sizeof(dir), "%s", path);
	/* Not made yet (a service that is not running): a plain path on cgroup2. */
	if (strstr(dir, "/./") || strstr(dir, "/../") || strstr(dir, "//") ||
	    dir[strlen(dir) - 1] == '/' || dir[strlen(dir) - 1] == '.')
		return tn_fail(err, "cgroup '%s' does not exist, and a cgroup named before it exists must be a plain path (no ., .. or //)", path);
	while ((slash = strrchr(dir, '/')) && slash != dir) {
		*slash = '\0';
		if (!statfs(dir, &sfs))
			return sfs.f_type == CGROUP2_SUPER_MAGIC ? 0 :
			       tn_fail(err, "cgroup '%s' does not exist and is not below a cgroup v2 directory", path);
	}
	return tn_fail(err, "cgroup '%s' does not exist and is not below a cgroup v2 directory", path);
}

int tn_policy_resolve(struct tn_policy *p, const char *name,
		      struct tn_err *err)
{
	struct tn_err e;
	int i;

	for (i = 0; i < p->ntags; i++) {
		struct tn_policy_tag *t = &p->tags[i];

		if (!t->is_net && tn_stat_tag_path(t->path, &t->dev, &t->ino, &e))
			return tn_fail(err, "%s:%d: %s", name, t->line, e.msg);
	}
	for (i = 0; i < p->nworkloads; i++) {
		struct tn_policy_workload *w = &p->workloads[i];

		/*
		 * A workload's cgroup may not exist yet (its service has not
		 * started): 0, and the agent enforces it once it appears.
		 */
		w->cgid = 0;
		e.errnum = 0;
		if (tn_cgroup_id(w->cgroup, &w->cgid, &e) && e.errnum != ENOENT)
			return tn_fail(err, "%s:%d: %s", name, w->line, e.msg);
	}
	for (i = 0; i < p->ntrusted; i++) {
		struct tn_policy_workload *w = &p->trusted[i];

		if (tn_cgroup_id(w->cgroup, &w->cgid, &e))
			return tn_fail(err, "%s:%d: %s", name, w->line, e.msg);
	}
	for (i = 0; i < p->nreaders; i++) {
		struct tn_policy_workload *w = &p->readers[i];

		if (tn_reader_cgroup_id(w->cgroup, &w->cgid, &e))
			return tn_fail(err, "%s:%d: %s", name, w->line, e.msg);
	}
	return 0;
}
