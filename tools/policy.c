// SPDX-License-Identifier: GPL-2.0-only
/* trustctl policy load|show|check */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "policy.h"
#include "trustctl.h"

static int read_file(const char *path, char **out)
{
	FILE *f = fopen(path, "r");
	size_t n = 0, cap = 65536;
	char *buf;

	if (!f)
		return ctl_error(TN_EXIT_INVALID, "cannot read %s: %s", path, strerror(errno));
	buf = malloc(cap + 1);
	while (buf) {
		size_t r = fread(buf + n, 1, cap - n, f);

		n += r;
		if (n > TN_POLICY_MAX_BYTES) {
			fclose(f);
			free(buf);
			return ctl_error(TN_EXIT_INVALID, "%s: larger than %d bytes", path, TN_POLICY_MAX_BYTES);
		}
		if (r == 0)
			break;
		if (n == cap) {
			char *nb = realloc(buf, cap * 2 + 1);

			if (!nb)
				break;
			buf = nb;
			cap *= 2;
		}
	}
	if (!buf || ferror(f)) {
		fclose(f);
		free(buf);
		return ctl_error(TN_EXIT_FAILED, "cannot read %s", path);
	}
	fclose(f);
	buf[n] = '\0';
	if (strlen(buf) != n) {
		free(buf);
		return ctl_error(TN_EXIT_INVALID, "%s contains a NUL byte: not a policy file", path);
	}
	*out = buf;
	return 0;
}

static int policy_check(const char *path)
{
	struct tn_policy p;
	struct tn_err err;
	char *text;
	int ret;

	if ((ret = read_file(path, &text)))
		return ret;
	if (tn_policy_parse(text, path, &p, &err)) {
		free(text);
		return ctl_error(TN_EXIT_INVALID, "%s", err.msg);
	}
	free(text);
	if (tn_policy_resolve(&p, path, &err)) {
		tn_policy_free(&p);
		return ctl_error(TN_EXIT_INVALID, "%s", err.msg);
	}
	printf("%s: valid; mode %s, %d %sprefixes, %d tags, %d workloads\n", path,
	       p.enforce ? "enforce" : "audit",
	       p.prefixes_given ? p.nprefixes : 8,
	       p.prefixes_given ? "" : "default ", p.ntags, p.nworkloads);
	for (int i = 0; i < p.nworkloads; i++)
		if (!p.workloads[i].cgid)
			printf("%s:%d: note: the cgroup of workload '%s' (%s) does not exist yet; it is enforced once it is created\n",
			       path, p.workloads[i].line, p.workloads[i].name,
			       p.workloads[i].cgroup);
	/* Checked without the agent: whether it runs in lsm mode is not known here. */
	if (p.tagged_readers != TN_TAGGED_READERS_ANYONE)
		printf("%s:%d: note: tagged_readers = \"%s\" is enforced only in lsm mode; an agent in cgroup mode %s\n",
		       path, p.tagged_readers_line, tn_tagged_readers_name(p.tagged_readers),
		       p.tagged_readers == TN_TAGGED_READERS_WORKLOADS ?
		       "refuses this policy" : "loads it and lists the channel as open");
	for (int i = 0; i < p.nreaders; i++)
		if (!p.readers[i].cgid)
			printf("%s:%d: note: the cgroup of trusted reader '%s' (%s) does not exist yet; it is trusted once it is created\n",
			       path, p.readers[i].line, p.readers[i].name,
			       p.readers[i].cgroup);
	tn_policy_free(&p);
	return 0;
}

static int policy_load(const char *path)
{
	json_object *req, *reply;
	char *text;
	char buf[4096];
	int ret;

	if ((ret = read_file(path, &text)))
		return ret;
	req = ctl_request("policy.load");
	json_object_object_add(req, "name", json_object_new_string(path));
	json_object_object_add(req, "text", json_object_new_string(text));
	free(text);
	if ((ret = ctl_call(req, &reply)))
		return ret;
	printf("loaded %s: mode %s, %lld tags, %lld workloads; local network %s\n",
	       path, tn_json_str(reply, "mode"),
	       (long long)json_object_get_int64(json_object_object_get(reply, "tags")),
	       (long long)json_object_get_int64(json_object_object_get(reply, "workloads")),
	       ctl_join(json_object_object_get(reply, "prefixes"), buf, sizeof(buf)));
	json_object_put(reply);
	return 0;
}

static int policy_show(int json)
{
	json_object *reply, *a;
	char buf[4096];
	size_t i;
	int ret;

	if ((ret = ctl_call(ctl_request("policy.show"), &reply)))
		return ret;
	if (json) {
		ctl_print_reply(reply);
		json_object_put(reply);
		return 0;
	}
	printf("policy:    %s\n", tn_json_str(reply, "name") ?: "(none loaded: defaults)");
	printf("mode:      %s\n", tn_json_str(reply, "mode"));
	printf("local:     %s%s\n", ctl_join(json_object_object_get(reply, "prefixes"), buf, sizeof(buf)),
	       json_object_get_boolean(json_object_object_get(reply, "prefixes_default")) ? " (defaults)" : "");
	a = json_object_object_get(reply, "tags");
	for (i = 0; i < json_object_array_length(a); i++) {
		json_object *t = json_object_array_get_idx(a, i);

		printf("tag:       %s  labels=%s  (%s)\n",
		       tn_json_str(t, "path") ?: tn_json_str(t, "net"),
		       ctl_join(json_object_object_get(t, "labels"), buf, sizeof(buf)),
		       tn_json_str(t, "source"));
	}
	a = json_object_object_get(reply, "workloads");
	for (i = 0; i < json_object_array_length(a); i++) {
		json_object *w = json_object_array_get_idx(a, i);

		printf("workload:  %s  %s  (%s)\n", tn_json_str(w, "name"),
		       tn_json_str(w, "cgroup"), tn_json_str(w, "source"));
	}
	json_object_put(reply);
	return 0;
}

static int run(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "load"))
		return policy_load(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "check"))
		return policy_check(argv[2]);
	if (argc >= 2 && !strcmp(argv[1], "show"))
		return policy_show(argc == 3 && !strcmp(argv[2], "--json"));
	return ctl_usage(&cmd_policy);
}

const struct subcommand cmd_policy = {
	.name = "policy",
	.run = run,
	.summary = "load, show or check the policy file",
	.usage =
"usage: trustctl policy load FILE    apply FILE; on any error nothing changes\n"
"       trustctl policy check FILE   validate FILE here, without the agent\n"
"       trustctl policy show [--json]\n"
"\n"
"A policy sets the mode (enforce or audit), the local network's prefixes,\n"
"tags on paths and endpoints, and workloads. Errors name FILE:LINE.\n"
"Without local_prefixes the local network is loopback, RFC 1918,\n"
"link-local and IPv6 ULA. See docs/policy.md and examples/policy.conf.\n",
};
