/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What trustctl run does to the child before it runs the workload's command:
 * each step either succeeds or the child exits with TN_RUN_SETUP_FAILED
 * naming the step, so a command never runs half-confined.
 */
#ifndef TRUSTCTL_CONFINE_H
#define TRUSTCTL_CONFINE_H

#include <stdint.h>
#include <sys/types.h>

/* A step of the launcher failed; the command did not run (as env(1): 125). */
#define TN_RUN_SETUP_FAILED	125

#define CONFINE_MAX_FDS		64
#define CONFINE_MAX_GROUPS	256

struct tn_err;

struct confine {
	const char *cgroup;		/* the cgroup to join (run.PID) */
	uint64_t keep_caps;		/* --cap: exempt from the default drop */
	int keep_fds[CONFINE_MAX_FDS];	/* --keep-fd, besides 0-2 */
	int n_keep_fds;
	const char *user;		/* --user, NULL: stay who we are */
	uid_t uid;
	gid_t gid;
	gid_t groups[CONFINE_MAX_GROUPS];
	int n_groups;
};

/* The capabilities trustctl run drops unless --cap keeps them. */
uint64_t confine_default_drop(void);
/* "CAP_NET_RAW", "net_raw": the capability's number, or -1. */
int confine_cap_parse(const char *name);
const char *confine_cap_name(int cap);
/* Resolves c->user into uid, gid and supplementary groups. */
int confine_resolve_user(struct confine *c, struct tn_err *err);
/*
 * In the child, after fork: joins the cgroup, unshares a cgroup namespace,
 * drops capabilities, switches user, sets no_new_privs and closes every
 * other descriptor. Returns 0, or -1 with err naming the step.
 */
int confine_apply(const struct confine *c, struct tn_err *err);

/*
 * Whether the cgroup2 hierarchy is mounted with nsdelegate: 1 yes, 0 no,
 * -1 no cgroup2 mount found. mnt receives the mount point.
 */
int cgroup2_nsdelegate(char *mnt, size_t n);

#endif
