// SPDX-License-Identifier: GPL-2.0-only
/*
 * The policy parser: the text (libconfig syntax, docs/policy.md) into a
 * struct tn_policy, every setting checked and every mistake named with its
 * line. The attested-peers settings are parsed in policy_peers.c; turning
 * the paths and cgroups named into kernel ids is policy_resolve.c, the one
 * part that looks at the running system.
 */
#include <errno.h>
#include <libconfig.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "policy.h"
#include "policy_parse.h"

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

const char *tn_tagged_readers_name(enum tn_tagged_readers r)
{
	return r == TN_TAGGED_READERS_WORKLOADS ? "workloads" :
	       r == TN_TAGGED_READERS_WORKLOADS_LSM ? "workloads-in-lsm-mode" :
	       "anyone";
}

/* ---- parsing -------------------------------------------------------- */

int tn_fail_at(struct tn_parse_ctx *c, const config_setting_t *s,
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

const char *tn_string_of(struct tn_parse_ctx *c, const config_setting_t *s,
			 const char *what)
{
	const char *v;

	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		tn_fail_at(c, s, "%s must be a string in double quotes", what);
		return NULL;
	}
	v = config_setting_get_string(s);
	if (!v || !*v) {
		tn_fail_at(c, s, "%s must not be empty", what);
		return NULL;
	}
	return v;
}

static int parse_mode(struct tn_parse_ctx *c, struct tn_policy *p,
		      const config_setting_t *s)
{
	const char *v = tn_string_of(c, s, "mode");

	if (!v)
		return -1;
	if (!strcmp(v, "enforce"))
		p->enforce = 1;
	else if (!strcmp(v, "audit"))
		p->enforce = 0;
	else
		return tn_fail_at(c, s, "mode must be \"enforce\" or \"audit\", not \"%s\"", v);
	return 0;
}

int tn_is_list(const config_setting_t *s)
{
	return config_setting_type(s) == CONFIG_TYPE_ARRAY ||
	       config_setting_type(s) == CONFIG_TYPE_LIST;
}

static int parse_prefixes(struct tn_parse_ctx *c, struct tn_policy *p,
			  const config_setting_t *s)
{
	int i, n;

	if (!tn_is_list(s))
		return tn_fail_at(c, s, "local_prefixes must be a list: [ \"10.0.0.0/8\", \"fd00::/8\" ]");
	n = config_setting_length(s);
	if (n > 4096)
		return tn_fail_at(c, s, "at most 4096 local prefixes");
	p->prefixes_given = 1;
	p->prefixes = calloc(n ? n : 1, sizeof(*p->prefixes));
	p->prefix_lines = calloc(n ? n : 1, sizeof(*p->prefix_lines));
	if (!p->prefixes || !p->prefix_lines)
		return tn_fail_at(c, s, "out of memory");
	for (i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);
		struct tn_err perr;
		const char *v = tn_string_of(c, e, "a prefix");

		if (!v)
			return -1;
		if (tn_parse_prefix(v, &p->prefixes[i], &perr))
			return tn_fail_at(c, e, "%s", perr.msg);
		p->prefix_lines[i] = config_setting_source_line(e);
		p->nprefixes++;
	}
	return 0;
}

static int parse_labels(struct tn_parse_ctx *c, struct tn_policy_tag *t,
			const config_setting_t *entry)
{
	const config_setting_t *s = config_setting_get_member(entry, "labels");
	int i, n;

	if (!s)
		return tn_fail_at(c, entry, "tag has no labels: add labels = [ \"phi\" ];");
	if (!tn_is_list(s) || (n = config_setting_length(s)) == 0)
		return tn_fail_at(c, s, "labels must be a non-empty list of strings");
	if (n > 64)
		return tn_fail_at(c, s, "at most 64 labels");
	t->labels = calloc(n, sizeof(char *));
	if (!t->labels)
		return tn_fail_at(c, s, "out of memory");
	for (i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);
		const char *v = tn_string_of(c, e, "a label");

		if (!v)
			return -1;
		if (!tn_valid_name(v))
			return tn_fail_at(c, e, "label \"%s\" must be 1-%d characters of a-z 0-9 _ . -", v, TN_NAME_MAX);
		t->labels[i] = strdup(v);
		if (!t->labels[i])
			return tn_fail_at(c, e, "out of memory");
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
const char *const tn_peer_members[] = {
	"name", "url", "addresses", "accept_policy", NULL
};
const char *const tn_attestation_members[] = { "interval", "max_age", NULL };

const struct tn_policy_level tn_policy_levels[] = {
	{ "", top_members },
	{ "tags", tag_members },
	{ "workloads", cgroup_members },
	{ "trusted_receivers", cgroup_members },
	{ "trusted_readers", cgroup_members },
	{ "peers", tn_peer_members },
	{ "attestation", tn_attestation_members },
	{ NULL, NULL }
};

int tn_check_members(struct tn_parse_ctx *c, const config_setting_t *entry,
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
			return tn_fail_at(c, m, "unknown setting '%s' in a %s", name ? name : "?", what);
	}
	return 0;
}

static int parse_tags(struct tn_parse_ctx *c, struct tn_policy *p,
		      const config_setting_t *s)
{
	int i, n;

	if (config_setting_type(s) != CONFIG_TYPE_LIST)
		return tn_fail_at(c, s, "tags must be a list of groups: ( { path = \"/srv/phi\"; labels = [ \"phi\" ]; } )");
	n = config_setting_length(s);
	p->tags = calloc(n ? n : 1, sizeof(*p->tags));
	if (!p->tags)
		return tn_fail_at(c, s, "out of memory");
	for (i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);
		struct tn_policy_tag *t = &p->tags[i];
		const config_setting_t *path, *net;

		p->ntags++;
		t->line = config_setting_source_line(e);
		if (config_setting_type(e) != CONFIG_TYPE_GROUP)
			return tn_fail_at(c, e, "each tag must be a group { ... }");
		if (tn_check_members(c, e, "tag", tag_members))
			return -1;
		path = config_setting_get_member(e, "path");
		net = config_setting_get_member(e, "net");
		if (!!path == !!net)
			return tn_fail_at(c, e, "a tag needs exactly one of path = \"...\" or net = \"ADDR:PORT\"");
		if (path) {
			const char *v = tn_string_of(c, path, "path");

			if (!v)
				return -1;
			if (v[0] != '/')
				return tn_fail_at(c, path, "path \"%s\" must be absolute", v);
			t->path = strdup(v);
			if (!t->path)
				return tn_fail_at(c, path, "out of memory");
		} else {
			const char *v = tn_string_of(c, net, "net");
			struct tn_err perr;

			if (!v)
				return -1;
			if (tn_parse_endpoint(v, &t->ep, &perr))
				return tn_fail_at(c, net, "%s", perr.msg);
			t->is_net = 1;
		}
		if (parse_labels(c, t, e))
			return -1;
	}
	return 0;
}

/* workloads and trusted_receivers: lists of { name; cgroup; } groups. */
static int parse_cgroups(struct tn_parse_ctx *c, const config_setting_t *s,
			 const char *what, struct tn_policy_workload **out,
			 int *count)
{
	struct tn_policy_workload *list;
	int i, j, n;

	if (config_setting_type(s) != CONFIG_TYPE_LIST)
		return tn_fail_at(c, s, "%ss must be a list of groups: ( { name = \"llm\"; cgroup = \"/sys/fs/cgroup/...\"; } )", what);
	n = config_setting_length(s);
	list = *out = calloc(n ? n : 1, sizeof(*list));
	if (!list)
		return tn_fail_at(c, s, "out of memory");
	for (i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);
		struct tn_policy_workload *w = &list[i];
		const config_setting_t *name, *cg;
		const char *v;

		(*count)++;
		w->line = config_setting_source_line(e);
		if (config_setting_type(e) != CONFIG_TYPE_GROUP)
			return tn_fail_at(c, e, "each %s must be a group { name = ...; cgroup = ...; }", what);
		if (tn_check_members(c, e, what, cgroup_members))
			return -1;
		name = config_setting_get_member(e, "name");
		cg = config_setting_get_member(e, "cgroup");
		if (!name || !cg)
			return tn_fail_at(c, e, "a %s needs name = \"...\" and cgroup = \"/path\"", what);
		v = tn_string_of(c, name, "name");
		if (!v)
			return -1;
		if (!tn_valid_name(v))
			return tn_fail_at(c, name, "%s name \"%s\" must be 1-%d characters of a-z 0-9 _ . -", what, v, TN_NAME_MAX);
		for (j = 0; j < i; j++)
			if (!strcmp(list[j].name, v))
				return tn_fail_at(c, name, "%s \"%s\" is already defined on line %d", what, v, list[j].line);
		w->name = strdup(v);
		v = tn_string_of(c, cg, "cgroup");
		if (!v)
			return -1;
		if (v[0] != '/')
			return tn_fail_at(c, cg, "cgroup \"%s\" must be an absolute path", v);
		w->cgroup = strdup(v);
		if (!w->name || !w->cgroup)
			return tn_fail_at(c, e, "out of memory");
	}
	return 0;
}

static int parse_tagged_readers(struct tn_parse_ctx *c, struct tn_policy *p,
				const config_setting_t *s)
{
	const char *v = tn_string_of(c, s, "tagged_readers");

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
		return tn_fail_at(c, s, "tagged_readers must be \"anyone\", \"workloads\" or \"workloads-in-lsm-mode\", not \"%s\"", v);
	return 0;
}

/*
 * derived_max_age = "30d"; (s, m, h or d), or an integer of seconds.
 * Expiring a derived tag of a file that still exists takes the label off
 * data, so it is only done when the policy says so.
 */
static int parse_derived_max_age(struct tn_parse_ctx *c, struct tn_policy *p,
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
	return tn_fail_at(c, s, "derived_max_age must be a duration of 1 second to 3650 days: \"30d\", \"12h\", \"90m\", \"45s\" or an integer of seconds");
}

/* libconfig would follow @include to any file: a policy stands alone. */
static int reject_includes(struct tn_parse_ctx *c, const char *text)
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
	struct tn_parse_ctx c = { .name = name, .err = err };
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
	if (tn_check_members(&c, root, "policy (top level)", top_members))
		goto out;
	s = config_setting_get_member(root, "version");
	if (s && (config_setting_type(s) != CONFIG_TYPE_INT ||
		  config_setting_get_int(s) != 1)) {
		tn_fail_at(&c, s, "version must be 1");
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
			tn_fail_at(&c, s, "trusted_readers has no effect unless tagged_readers = \"workloads\" (or \"workloads-in-lsm-mode\"): with anyone allowed to open tagged files, there is no one to trust");
			goto out;
		}
		if (p->nreaders > 256) {
			tn_fail_at(&c, s, "at most 256 trusted readers");
			goto out;
		}
	}
	if ((s = config_setting_get_member(root, "local_network")) &&
	    tn_parse_local_network(&c, p, s))
		goto out;
	if ((s = config_setting_get_member(root, "peers")) && tn_parse_peers(&c, p, s))
		goto out;
	if ((s = config_setting_get_member(root, "attestation")) &&
	    tn_parse_attestation(&c, p, s))
		goto out;
	if ((s = config_setting_get_member(root, "derived_max_age")) &&
	    parse_derived_max_age(&c, p, s))
		goto out;
	if (p->peers_only && !p->npeers) {
		tn_fail_at(&c, root, "local_network = \"peers-only\" needs peers: with none, nothing is local");
		goto out;
	}
	ret = 0;
out:
	config_destroy(&cfg);
	if (ret)
		tn_policy_free(p);
	return ret;
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
