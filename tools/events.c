// SPDX-License-Identifier: GPL-2.0-only
/* trustctl events: the audit log's records, as the agent reads them back. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "trustctl.h"

static void print_event(json_object *e)
{
	char labels[512];
	json_object *sub = json_object_object_get(e, "tag");
	const char *wl = tn_json_str(e, "workload");
	const char *what, *key;

	printf("%-6lld %s %-15s %-11s",
	       (long long)json_object_get_int64(json_object_object_get(e, "seq")),
	       tn_json_str(e, "time") ?: "?", tn_json_str(e, "type") ?: "?",
	       tn_json_str(e, "decision") ?: "-");
	/* Administrative events carry the tag or workload as an object. */
	if (json_object_is_type(sub, json_type_object) ||
	    json_object_is_type((sub = json_object_object_get(e, "workload")), json_type_object)) {
		e = sub;
		wl = NULL;
	}
	what = tn_json_str(e, "tag") ?: tn_json_str(e, "path") ?: tn_json_str(e, "net") ?:
	       tn_json_str(e, "file");
	key = tn_json_str(e, "dest") ? "dest" : tn_json_str(e, "file") ? "file" : "tag";
	if (tn_json_str(e, "dest"))
		what = tn_json_str(e, "dest");
	if (wl)
		printf(" workload=%s", wl);
	if (tn_json_str(e, "name"))
		printf(" workload=%s", tn_json_str(e, "name"));
	if (json_object_object_get(e, "pid"))
		printf(" pid=%lld comm=%s",
		       (long long)json_object_get_int64(json_object_object_get(e, "pid")),
		       tn_json_str(e, "comm") ?: "?");
	if (json_object_object_get(e, "labels"))
		printf(" labels=%s", ctl_join(json_object_object_get(e, "labels"), labels, sizeof(labels)));
	if (json_object_object_get(e, "taint"))
		printf(" taint=%s", ctl_join(json_object_object_get(e, "taint"), labels, sizeof(labels)));
	if (what)
		printf(" %s=%s", key, what);
	if (tn_json_str(e, "protocol"))
		printf("/%s", tn_json_str(e, "protocol"));
	if (json_object_object_get(e, "count"))
		printf(" count=%lld", (long long)json_object_get_int64(json_object_object_get(e, "count")));
	if (tn_json_str(e, "receiver"))
		printf(" receiver=%s", tn_json_str(e, "receiver"));
	if (tn_json_str(e, "from"))
		printf(" from=%s", tn_json_str(e, "from"));
	if (tn_json_str(e, "policy"))
		printf(" policy=%s", tn_json_str(e, "policy"));
	/* Attested-peers mode: a peer's verdict and why. */
	if (tn_json_str(e, "peer"))
		printf(" peer=%s verdict=%s", tn_json_str(e, "peer"),
		       tn_json_str(e, "verdict") ?: "?");
	if (tn_json_str(e, "check"))
		printf(" check=%s", tn_json_str(e, "check"));
	if (tn_json_str(e, "reason"))
		printf(" reason=\"%s\"", tn_json_str(e, "reason"));
	printf("\n");
}

static int run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "limit", required_argument, NULL, 'n' },
		{ "since", required_argument, NULL, 's' },
		{ 0 }
	};
	json_object *req = ctl_request("events"), *reply, *a;
	int c, ret, json = 0;
	size_t i;

	optind = 1;
	while ((c = getopt_long(argc, argv, "n:", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'n':
			json_object_object_add(req, "limit", json_object_new_int64(atoll(optarg)));
			break;
		case 's':
			json_object_object_add(req, "since", json_object_new_int64(atoll(optarg)));
			break;
		default:
			json_object_put(req);
			return ctl_usage(&cmd_events);
		}
	}
	if (optind != argc) {
		json_object_put(req);
		return ctl_usage(&cmd_events);
	}
	if ((ret = ctl_call(req, &reply)))
		return ret;
	a = json_object_object_get(reply, "events");
	for (i = 0; i < json_object_array_length(a); i++) {
		json_object *e = json_object_array_get_idx(a, i);

		if (json)
			printf("%s\n", json_object_to_json_string_ext(e,
				JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		else
			print_event(e);
	}
	json_object_put(reply);
	return 0;
}

const struct subcommand cmd_events = {
	.name = "events",
	.run = run,
	.summary = "show taint, denial and administrative events",
	.usage =
"usage: trustctl events [--json] [-n|--limit N] [--since SEQ]\n"
"\n"
"Shows the last N events (default 100; 0 for all) after sequence number\n"
"SEQ: taints, denials and audit-mode allowances with time, workload, pid,\n"
"command, labels, destination and decision; policy and workload changes;\n"
"and events-lost records when the kernel's ring buffer overflowed.\n"
"Events are the records of the audit log (trustctl log), read back by\n"
"trustnoded: SEQ is a record's seq; the log's own log-start and checkpoint\n"
"records are left out.\n"
"--json prints one JSON object per line.\n",
};
