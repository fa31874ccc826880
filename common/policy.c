// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <libconfig.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "hex.h"
#include "policy.h"

int tn_valid_name(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > TN_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-' || c == '.'))
			return 0;
	}
	return 1;
}

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

const char *tn_tagged_readers_name(enum tn_tagged_readers r)
{
	return r == TN_TAGGED_READERS_WORKLOADS ? "workloads" :
	       r == TN_TAGGED_READERS_WORKLOADS_LSM ? "workloads-in-lsm-mode" :
	       "anyone";
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

/* ---- parsing -------------------------------------------------------- */

struct parse_ctx {
	const char *name;
	struct tn_err *err;
};

static int fail_at(struct parse_ctx *c, const config_setting_t *s,
		   const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail_at(struct parse_ctx *c, const config_setting_t *s,
		   const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return tn_fail(c->err, "%s:%d: %s", c->name,
		       s ? (int)config_setting_source_line(s) : 0, msg);
}

static const char *string_of(struct parse_ctx *c, const config_setting_t *s,
			     const char *what)
{
	const char *v;

	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		fail_at(c, s, "%s must be a string in double quotes", what);
		return NULL;
	}
	v = config_setting_get_string(s);
	if (!v || !*v) {
		fail_at(c, s, "%s must not be empty", what);
		return NULL;
	}
	return v;
}

static int parse_mode(struct parse_ctx *c, struct tn_policy *p,
		      const config_setting_t *s)
{
	const char *v = string_of(c, s, "mode");

	if (!v)
		return -1;
	if (!strcmp(v, "enforce"))
		p->enforce = 1;
	else if (!strcmp(v, "audit"))
		p->enforce = 0;
	else
		return fail_at(c, s, "mode must be \"enforce\" or \"audit\", not \"%s\"", v);
	return 0;
}

static int is_list(const config_setting_t *s)
{
	return config_setting_type(s) == CONFIG_TYPE_ARRAY ||
	       config_setting_type(s) == CONFIG_TYPE_LIST;
}

static int parse_prefixes(struct parse_ctx *c, struct tn_policy *p,
			  const config_setting_t *s)
{
	int i, n;

	if (!is_list(s))
		return fail_at(c, s, "local_prefixes must be a list: [ \"10.0.0.0/8\", \"fd00::/8\" ]");
	n = config_setting_length(s);
	if (n > 4096)
		return fail_at(c, s, "at most 4096 local prefixes");
	p->prefixes_given = 1;
	p->prefixes = calloc(n ? n : 1, sizeof(*p->prefixes));
	p->prefix_lines = calloc(n ? n : 1, sizeof(*p->prefix_lines));
	if (!p->prefixes || !p->prefix_lines)
		return fail_at(c, s, "out of memory");
	for (i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);
		struct tn_err perr;
		const char *v = string_of(c, e, "a prefix");

		if (!v)
			return -1;
		if (tn_parse_prefix(v, &p->prefixes[i], &perr))
			return fail_at(c, e, "%s", perr.msg);
		p->prefix_lines[i] = config_setting_source_line(e);
		p->nprefixes++;
	}
	return 0;
}

static int parse_labels(struct parse_ctx *c, struct tn_policy_tag *t,
			const config_setting_t *entry)
{
	const config_setting_t *s = config_setting_get_member(entry, "labels");
	int i, n;

	if (!s)
		return fail_at(c, entry, "tag has no labels: add labels = [ \"phi\" ];");
	if (!is_list(s) || (n = config_setting_length(s)) == 0)
		return fail_at(c, s, "labels must be a non-empty list of strings");
	if (n > 64)
		return fail_at(c, s, "at most 64 labels");
	t->labels = calloc(n, sizeof(char *));
	if (!t->labels)
		return fail_at(c, s, "out of memory");
	for (i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);
		const char *v = string_of(c, e, "a label");

		if (!v)
			return -1;
		if (!tn_valid_name(v))
			return fail_at(c, e, "label \"%s\" must be 1-%d characters of a-z 0-9 _ . -", v, TN_NAME_MAX);
		t->labels[i] = strdup(v);
		if (!t->labels[i])
			return fail_at(c, e, "out of memory");
		t->nlabels++;
	}
	return 0;
}

/*
 * Every setting the parser accepts, per level. Anything else is refused by
 * name; docs/policy.md documents each (policy_test checks that it does).
 */
static const char *const top_members[] = {
	"version", "mode", "local_prefixes", "tags", "workloads",
	"trusted_receivers", "local_network", "peers", "attestation",
	"tagged_readers", "trusted_readers", "derived_max_age", NULL
};
static const char *const tag_members[] = { "path", "net", "labels", NULL };
static const char *const cgroup_members[] = { "name", "cgroup", NULL };
static const char *const peer_members[] = {
	"name", "url", "addresses", "accept_policy", NULL
};
static const char *const attestation_members[] = { "interval", "max_age", NULL };

const struct tn_policy_level tn_policy_levels[] = {
	{ "", top_members },
	{ "tags", tag_members },
	{ "workloads", cgroup_members },
	{ "trusted_receivers", cgroup_members },
	{ "trusted_readers", cgroup_members },
	{ "peers", peer_members },
	{ "attestation", attestation_members },
	{ NULL, NULL }
};

static int check_members(struct parse_ctx *c, const config_setting_t *entry,
			 const char *what, const char *const *allowed)
{
	int i, j, n = config_setting_length(entry);

	for (i = 0; i < n; i++) {
		const config_setting_t *m = config_setting_get_elem(entry, i);
		const char *name = config_setting_name(m);

		for (j = 0; allowed[j]; j++)
			if (name && !strcmp(name, allowed[j]))
				break;
		if (!allowed[j])
			return fail_at(c, m, "unknown setting '%s' in a %s", name ? name : "?", what);
	}
	return 0;
}

static int parse_tags(struct parse_ctx *c, struct tn_policy *p,
		      const config_setting_t *s)
{
	int i, n;

	if (config_setting_type(s) != CONFIG_TYPE_LIST)
		return fail_at(c, s, "tags must be a list of groups: ( { path = \"/srv/phi\"; labels = [ \"phi\" ]; } )");
	n = config_setting_length(s);
	p->tags = calloc(n ? n : 1, sizeof(*p->tags));
	if (!p->tags)
		return fail_at(c, s, "out of memory");
	for (i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);
		struct tn_policy_tag *t = &p->tags[i];
		const config_setting_t *path, *net;

		p->ntags++;
		t->line = config_setting_source_line(e);
		if (config_setting_type(e) != CONFIG_TYPE_GROUP)
			return fail_at(c, e, "each tag must be a group { ... }");
		if (check_members(c, e, "tag", tag_members))
			return -1;
		path = config_setting_get_member(e, "path");
		net = config_setting_get_member(e, "net");
		if (!!path == !!net)
			return fail_at(c, e, "a tag needs exactly one of path = \"...\" or net = \"ADDR:PORT\"");
		if (path) {
			const char *v = string_of(c, path, "path");

			if (!v)
				return -1;
			if (v[0] != '/')
				return fail_at(c, path, "path \"%s\" must be absolute", v);
			t->path = strdup(v);
			if (!t->path)
				return fail_at(c, path, "out of memory");
		} else {
			const char *v = string_of(c, net, "net");
			struct tn_err perr;

			if (!v)
				return -1;
			if (tn_parse_endpoint(v, &t->ep, &perr))
				return fail_at(c, net, "%s", perr.msg);
			t->is_net = 1;
		}
		if (parse_labels(c, t, e))
			return -1;
	}
	return 0;
}

/* workloads and trusted_receivers: lists of { name; cgroup; } groups. */
static int parse_cgroups(struct parse_ctx *c, const config_setting_t *s,
			 const char *what, struct tn_policy_workload **out,
			 int *count)
{
	struct tn_policy_workload *list;
	int i, j, n;

	if (config_setting_type(s) != CONFIG_TYPE_LIST)
		return fail_at(c, s, "%ss must be a list of groups: ( { name = \"llm\"; cgroup = \"/sys/fs/cgroup/...\"; } )", what);
	n = config_setting_length(s);
	list = *out = calloc(n ? n : 1, sizeof(*list));
	if (!list)
		return fail_at(c, s, "out of memory");
	for (i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);
		struct tn_policy_workload *w = &list[i];
		const config_setting_t *name, *cg;
		const char *v;

		(*count)++;
		w->line = config_setting_source_line(e);
		if (config_setting_type(e) != CONFIG_TYPE_GROUP)
			return fail_at(c, e, "each %s must be a group { name = ...; cgroup = ...; }", what);
		if (check_members(c, e, what, cgroup_members))
			return -1;
		name = config_setting_get_member(e, "name");
		cg = config_setting_get_member(e, "cgroup");
		if (!name || !cg)
			return fail_at(c, e, "a %s needs name = \"...\" and cgroup = \"/path\"", what);
		v = string_of(c, name, "name");
		if (!v)
			return -1;
		if (!tn_valid_name(v))
			return fail_at(c, name, "%s name \"%s\" must be 1-%d characters of a-z 0-9 _ . -", what, v, TN_NAME_MAX);
		for (j = 0; j < i; j++)
			if (!strcmp(list[j].name, v))
				return fail_at(c, name, "%s \"%s\" is already defined on line %d", what, v, list[j].line);
		w->name = strdup(v);
		v = string_of(c, cg, "cgroup");
		if (!v)
			return -1;
		if (v[0] != '/')
			return fail_at(c, cg, "cgroup \"%s\" must be an absolute path", v);
		w->cgroup = strdup(v);
		if (!w->name || !w->cgroup)
			return fail_at(c, e, "out of memory");
	}
	return 0;
}

static int parse_accept(struct parse_ctx *c, struct tn_policy_peer *pe,
			const config_setting_t *s)
{
	int i, n;

	if (config_setting_type(s) == CONFIG_TYPE_STRING) {
		const char *v = config_setting_get_string(s);

		if (!strcmp(v, "same"))
			pe->accept = TN_ACCEPT_SAME;
		else if (!strcmp(v, "enrolled"))
			pe->accept = TN_ACCEPT_ENROLLED;
		else
			return fail_at(c, s, "accept_policy must be \"same\", \"enrolled\" or a list of SHA-256 digests");
		return 0;
	}
	if (!is_list(s) || (n = config_setting_length(s)) == 0 || n > 16)
		return fail_at(c, s, "accept_policy must be \"same\", \"enrolled\" or a list of 1-16 SHA-256 digests");
	pe->accept = TN_ACCEPT_LIST;
	for (i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);
		const char *v = string_of(c, e, "a policy digest");
		struct tn_err herr;
		size_t len;

		if (!v)
			return -1;
		if (tn_hex_decode(v, pe->digests[i], 32, &len, "policy digest", &herr) ||
		    len != 32)
			return fail_at(c, e, "\"%s\" is not a SHA-256 digest (64 hex digits)", v);
		pe->ndigests++;
	}
	return 0;
}

static int parse_peer(struct parse_ctx *c, struct tn_policy *p, int i,
		      const config_setting_t *e)
{
	struct tn_policy_peer *pe = &p->peers[i];
	const config_setting_t *name, *url, *addrs, *acc;
	const char *v;
	int j, n;

	pe->line = config_setting_source_line(e);
	if (config_setting_type(e) != CONFIG_TYPE_GROUP)
		return fail_at(c, e, "each peer must be a group { name = ...; url = ...; addresses = [...]; }");
	if (check_members(c, e, "peer", peer_members))
		return -1;
	name = config_setting_get_member(e, "name");
	url = config_setting_get_member(e, "url");
	addrs = config_setting_get_member(e, "addresses");
	if (!name || !url || !addrs)
		return fail_at(c, e, "a peer needs name, url and addresses");
	if (!(v = string_of(c, name, "name")))
		return -1;
	if (!tn_valid_name(v))
		return fail_at(c, name, "peer name \"%s\" must be 1-%d characters of a-z 0-9 _ . -", v, TN_NAME_MAX);
	for (j = 0; j < i; j++)
		if (!strcmp(p->peers[j].name, v))
			return fail_at(c, name, "peer \"%s\" is already defined on line %d", v, p->peers[j].line);
	pe->name = strdup(v);
	if (!(v = string_of(c, url, "url")))
		return -1;
	if (strncmp(v, "http://", 7) && strncmp(v, "https://", 8))
		return fail_at(c, url, "peer url \"%s\" must be http:// or https://", v);
	pe->url = strdup(v);
	if (!pe->name || !pe->url)
		return fail_at(c, e, "out of memory");
	if (!is_list(addrs) || (n = config_setting_length(addrs)) == 0 ||
	    n > TN_PEER_MAX_ADDRS)
		return fail_at(c, addrs, "addresses must be a list of 1-%d addresses or prefixes", TN_PEER_MAX_ADDRS);
	for (j = 0; j < n; j++) {
		const config_setting_t *a = config_setting_get_elem(addrs, j);
		struct tn_err perr;

		if (!(v = string_of(c, a, "an address")))
			return -1;
		if (tn_parse_prefix(v, &pe->addrs[j], &perr))
			return fail_at(c, a, "%s", perr.msg);
		pe->naddrs++;
	}
	acc = config_setting_get_member(e, "accept_policy");
	return acc ? parse_accept(c, pe, acc) : 0;
}

static int parse_peers(struct parse_ctx *c, struct tn_policy *p,
		       const config_setting_t *s)
{
	int i, n;

	if (config_setting_type(s) != CONFIG_TYPE_LIST)
		return fail_at(c, s, "peers must be a list of groups: ( { name = \"b\"; url = \"http://...\"; addresses = [ \"192.0.2.2\" ]; } )");
	n = config_setting_length(s);
	if (n > 256)
		return fail_at(c, s, "at most 256 peers");
	p->peers = calloc(n ? n : 1, sizeof(*p->peers));
	if (!p->peers)
		return fail_at(c, s, "out of memory");
	for (i = 0; i < n; i++) {
		p->npeers++;
		if (parse_peer(c, p, i, config_setting_get_elem(s, i)))
			return -1;
	}
	return 0;
}

/* attestation = { interval = 10; max_age = 30; } */
static int parse_attestation(struct parse_ctx *c, struct tn_policy *p,
			     const config_setting_t *s)
{
	const config_setting_t *m;

	if (config_setting_type(s) != CONFIG_TYPE_GROUP)
		return fail_at(c, s, "attestation must be a group { interval = 10; max_age = 30; }");
	if (check_members(c, s, "attestation", attestation_members))
		return -1;
	if ((m = config_setting_get_member(s, "interval"))) {
		if (config_setting_type(m) != CONFIG_TYPE_INT ||
		    config_setting_get_int(m) < 1 || config_setting_get_int(m) > 3600)
			return fail_at(c, m, "attestation interval must be 1..3600 seconds");
		p->attest_interval = config_setting_get_int(m);
	}
	/* Unless given, a peer survives two missed attestations. */
	p->attest_max_age = 3 * p->attest_interval;
	if ((m = config_setting_get_member(s, "max_age"))) {
		if (config_setting_type(m) != CONFIG_TYPE_INT ||
		    config_setting_get_int(m) < 1 || config_setting_get_int(m) > 86400)
			return fail_at(c, m, "attestation max_age must be 1..86400 seconds");
		p->attest_max_age = config_setting_get_int(m);
	}
	if (p->attest_max_age < p->attest_interval)
		return fail_at(c, s, "attestation max_age (%u s) is shorter than the interval (%u s): every peer would expire between attestations",
			       p->attest_max_age, p->attest_interval);
	return 0;
}

static int parse_tagged_readers(struct parse_ctx *c, struct tn_policy *p,
				const config_setting_t *s)
{
	const char *v = string_of(c, s, "tagged_readers");

	if (!v)
		return -1;
	p->tagged_readers_line = config_setting_source_line(s);
	if (!strcmp(v, "anyone"))
		p->tagged_readers = TN_TAGGED_READERS_ANYONE;
	else if (!strcmp(v, "workloads"))
		p->tagged_readers = TN_TAGGED_READERS_WORKLOADS;
	else if (!strcmp(v, "workloads-in-lsm-mode"))
		p->tagged_readers = TN_TAGGED_READERS_WORKLOADS_LSM;
	else
		return fail_at(c, s, "tagged_readers must be \"anyone\", \"workloads\" or \"workloads-in-lsm-mode\", not \"%s\"", v);
	return 0;
}

/*
 * derived_max_age = "30d"; (s, m, h or d), or an integer of seconds.
 * Expiring a derived tag of a file that still exists takes the label off
 * data, so it is only done when the policy says so.
 */
static int parse_derived_max_age(struct parse_ctx *c, struct tn_policy *p,
				 const config_setting_t *s)
{
	unsigned long long v, unit = 1;
	const char *str;
	char *end;

	if (config_setting_type(s) == CONFIG_TYPE_INT ||
	    config_setting_type(s) == CONFIG_TYPE_INT64) {
		long long i = config_setting_get_int64(s);

		v = i < 0 ? 0 : i;
	} else if (config_setting_type(s) == CONFIG_TYPE_STRING) {
		str = config_setting_get_string(s);
		if (*str < '0' || *str > '9')
			goto bad;
		errno = 0;
		v = strtoull(str, &end, 10);
		if (errno)
			goto bad;
		if (*end == 'd')
			unit = 86400;
		else if (*end == 'h')
			unit = 3600;
		else if (*end == 'm')
			unit = 60;
		else if (*end != 's' && *end)
			goto bad;
		if (*end && end[1])
			goto bad;
		v = v > TN_DERIVED_MAX_AGE_MAX ? 0 : v * unit;
	} else {
		goto bad;
	}
	if (v < 1 || v > TN_DERIVED_MAX_AGE_MAX)
		goto bad;
	p->derived_max_age = v;
	return 0;
bad:
	return fail_at(c, s, "derived_max_age must be a duration of 1 second to 3650 days: \"30d\", \"12h\", \"90m\", \"45s\" or an integer of seconds");
}

static int parse_local_network(struct parse_ctx *c, struct tn_policy *p,
			       const config_setting_t *s)
{
	const char *v = string_of(c, s, "local_network");

	if (!v)
		return -1;
	if (!strcmp(v, "peers-only"))
		p->peers_only = 1;
	else if (strcmp(v, "prefixes+peers"))
		return fail_at(c, s, "local_network must be \"prefixes+peers\" or \"peers-only\"");
	return 0;
}

/* libconfig would follow @include to any file: a policy stands alone. */
static int reject_includes(struct parse_ctx *c, const char *text)
{
	const char *line = text;
	int lineno = 1;

	while (line && *line) {
		const char *s = line + strspn(line, " \t");

		if (!strncmp(s, "@include", 8))
			return tn_fail(c->err, "%s:%d: @include is not supported: a policy is one file", c->name, lineno);
		line = strchr(line, '\n');
		if (line) {
			line++;
			lineno++;
		}
	}
	return 0;
}

int tn_policy_parse(const char *text, const char *name, struct tn_policy *p,
		    struct tn_err *err)
{
	struct parse_ctx c = { .name = name, .err = err };
	const config_setting_t *root, *s;
	config_t cfg;
	int ret = -1;

	memset(p, 0, sizeof(*p));
	p->enforce = 1;
	p->attest_interval = TN_ATTEST_INTERVAL_DEFAULT;
	p->attest_max_age = TN_ATTEST_MAX_AGE_DEFAULT;
	if (strlen(text) > TN_POLICY_MAX_BYTES)
		return tn_fail(err, "%s: larger than %d bytes", name, TN_POLICY_MAX_BYTES);
	if (reject_includes(&c, text))
		return -1;

	config_init(&cfg);
	if (!config_read_string(&cfg, text)) {
		tn_fail(err, "%s:%d: %s", name, config_error_line(&cfg),
			config_error_text(&cfg));
		goto out;
	}
	root = config_root_setting(&cfg);
	if (check_members(&c, root, "policy (top level)", top_members))
		goto out;
	s = config_setting_get_member(root, "version");
	if (s && (config_setting_type(s) != CONFIG_TYPE_INT ||
		  config_setting_get_int(s) != 1)) {
		fail_at(&c, s, "version must be 1");
		goto out;
	}
	if ((s = config_setting_get_member(root, "mode")) && parse_mode(&c, p, s))
		goto out;
	if ((s = config_setting_get_member(root, "local_prefixes")) &&
	    parse_prefixes(&c, p, s))
		goto out;
	if ((s = config_setting_get_member(root, "tags")) && parse_tags(&c, p, s))
		goto out;
	if ((s = config_setting_get_member(root, "workloads")) &&
	    parse_cgroups(&c, s, "workload", &p->workloads, &p->nworkloads))
		goto out;
	if ((s = config_setting_get_member(root, "trusted_receivers")) &&
	    parse_cgroups(&c, s, "trusted receiver", &p->trusted, &p->ntrusted))
		goto out;
	if ((s = config_setting_get_member(root, "tagged_readers")) &&
	    parse_tagged_readers(&c, p, s))
		goto out;
	if ((s = config_setting_get_member(root, "trusted_readers"))) {
		if (parse_cgroups(&c, s, "trusted reader", &p->readers, &p->nreaders))
			goto out;
		if (p->tagged_readers == TN_TAGGED_READERS_ANYONE) {
			fail_at(&c, s, "trusted_readers has no effect unless tagged_readers = \"workloads\" (or \"workloads-in-lsm-mode\"): with anyone allowed to open tagged files, there is no one to trust");
			goto out;
		}
		if (p->nreaders > 256) {
			fail_at(&c, s, "at most 256 trusted readers");
			goto out;
		}
	}
	if ((s = config_setting_get_member(root, "local_network")) &&
	    parse_local_network(&c, p, s))
		goto out;
	if ((s = config_setting_get_member(root, "peers")) && parse_peers(&c, p, s))
		goto out;
	if ((s = config_setting_get_member(root, "attestation")) &&
	    parse_attestation(&c, p, s))
		goto out;
	if ((s = config_setting_get_member(root, "derived_max_age")) &&
	    parse_derived_max_age(&c, p, s))
		goto out;
	if (p->peers_only && !p->npeers) {
		fail_at(&c, root, "local_network = \"peers-only\" needs peers: with none, nothing is local");
		goto out;
	}
	ret = 0;
out:
	config_destroy(&cfg);
	if (ret)
		tn_policy_free(p);
	return ret;
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

void tn_policy_free(struct tn_policy *p)
{
	int i, j;

	for (i = 0; i < p->ntags; i++) {
		for (j = 0; j < p->tags[i].nlabels; j++)
			free(p->tags[i].labels[j]);
		free(p->tags[i].labels);
		free(p->tags[i].path);
	}
	for (i = 0; i < p->nworkloads; i++) {
		free(p->workloads[i].name);
		free(p->workloads[i].cgroup);
	}
	for (i = 0; i < p->ntrusted; i++) {
		free(p->trusted[i].name);
		free(p->trusted[i].cgroup);
	}
	for (i = 0; i < p->nreaders; i++) {
		free(p->readers[i].name);
		free(p->readers[i].cgroup);
	}
	free(p->readers);
	for (i = 0; i < p->npeers; i++) {
		free(p->peers[i].name);
		free(p->peers[i].url);
	}
	free(p->peers);
	free(p->tags);
	free(p->workloads);
	free(p->trusted);
	free(p->prefixes);
	free(p->prefix_lines);
	memset(p, 0, sizeof(*p));
}
