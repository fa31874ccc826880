// SPDX-License-Identifier: GPL-2.0-only
/* trustctl tag, trustctl untag */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "trustctl.h"

static json_object *source_arg(json_object *req, const char *path,
			       const char *net)
{
	if (net)
		json_object_object_add(req, "net", json_object_new_string(net));
	else
		ctl_add_path(req, "path", path);
	return req;
}

static int tag_list(int json)
{
	json_object *reply, *tags;
	char buf[1024];
	size_t i;
	int ret;

	if ((ret = ctl_call(ctl_request("tag.list"), &reply)))
		return ret;
	tags = json_object_object_get(reply, "tags");
	if (json) {
		ctl_print_json(tags);
	} else {
		printf("%-40s %-20s %s\n", "SOURCE", "LABELS", "FROM");
		for (i = 0; i < json_object_array_length(tags); i++) {
			json_object *t = json_object_array_get_idx(tags, i);
			char from[128];

			if (tn_json_str(t, "workload"))
				snprintf(from, sizeof(from), "derived: written by %s (event %lld)",
					 tn_json_str(t, "workload"),
					 (long long)json_object_get_int64(json_object_object_get(t, "event")));
			else
				snprintf(from, sizeof(from), "%s", tn_json_str(t, "source") ?: "?");
			printf("%-40s %-20s %s\n",
			       tn_json_str(t, "path") ?: tn_json_str(t, "net") ?: tn_json_str(t, "file"),
			       ctl_join(json_object_object_get(t, "labels"), buf, sizeof(buf)), from);
		}
	}
	json_object_put(reply);
	return 0;
}

static int tag_prune(void)
{
	json_object *reply, *p;
	size_t i;
	int ret;

	if ((ret = ctl_call(ctl_request("tag.prune"), &reply)))
		return ret;
	p = json_object_object_get(reply, "pruned");
	for (i = 0; i < json_object_array_length(p); i++)
		printf("pruned %s (written by %s): the file no longer exists\n",
		       tn_json_str(json_object_array_get_idx(p, i), "file") ?: "?",
		       tn_json_str(json_object_array_get_idx(p, i), "workload") ?: "?");
	printf("%zu derived tags pruned, %d kept (file exists), %d kept unchecked (no file handle, or its file system is not mounted)\n",
	       json_object_array_length(p),
	       json_object_get_int(json_object_object_get(reply, "kept")),
	       json_object_get_int(json_object_object_get(reply, "unchecked")));
	json_object_put(reply);
	return 0;
}

static int tag_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "label", required_argument, NULL, 'l' },
		{ "net", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ 0 }
	};
	json_object *req, *reply, *labels = json_object_new_array();
	const char *net = NULL, *path = NULL;
	char buf[1024];
	int c, ret, json = 0;

	if (argc >= 2 && !strcmp(argv[1], "list")) {
		json_object_put(labels);
		return tag_list(argc == 3 && !strcmp(argv[2], "--json"));
	}
	if (argc == 2 && !strcmp(argv[1], "prune")) {
		json_object_put(labels);
		return tag_prune();
	}
	optind = 1;
	while ((c = getopt_long(argc, argv, "l:", opts, NULL)) != -1) {
		if (c == 'l')
			json_object_array_add(labels, json_object_new_string(optarg));
		else if (c == 'n')
			net = optarg;
		else if (c == 'j')
			json = 1;
		else
			goto usage;
	}
	if (optind < argc)
		path = argv[optind++];
	if (optind != argc || !!path == !!net ||
	    json_object_array_length(labels) == 0)
		goto usage;
	req = source_arg(ctl_request("tag.add"), path, net);
	json_object_object_add(req, "labels", labels);
	if ((ret = ctl_call(req, &reply)))
		return ret;
	if (json) {
		ctl_print_json(json_object_object_get(reply, "tag"));
	} else {
		json_object *t = json_object_object_get(reply, "tag");

		printf("tagged %s with %s\n",
		       tn_json_str(t, "path") ?: tn_json_str(t, "net"),
		       ctl_join(json_object_object_get(t, "labels"), buf, sizeof(buf)));
	}
	json_object_put(reply);
	return 0;
usage:
	json_object_put(labels);
	return ctl_usage(&cmd_tag);
}

static int untag_run(int argc, char **argv)
{
	json_object *req, *reply;
	int ret;

	if (argc == 3 && !strcmp(argv[1], "--net"))
		req = source_arg(ctl_request("tag.remove"), NULL, argv[2]);
	else if (argc == 2 && argv[1][0] != '-')
		req = source_arg(ctl_request("tag.remove"), argv[1], NULL);
	else
		return ctl_usage(&cmd_untag);
	if ((ret = ctl_call(req, &reply)))
		return ret;
	printf("untagged %s\n", argc == 3 ? argv[2] : argv[1]);
	json_object_put(reply);
	return 0;
}

const struct subcommand cmd_tag = {
	.name = "tag",
	.run = tag_run,
	.summary = "tag a file, directory or endpoint as sensitive; list tags",
	.usage =
"usage: trustctl tag PATH --label LABEL [--label LABEL...] [--json]\n"
"       trustctl tag --net ADDR:PORT --label LABEL [--label LABEL...]\n"
"       trustctl tag list [--json]\n"
"       trustctl tag prune   remove derived tags whose file no longer exists\n"
"\n"
"A workload that opens a tagged file, any file below a tagged directory\n"
"(including files created later), or talks to a tagged endpoint\n"
"([IPV6]:PORT for IPv6) is tainted with the labels. Labels are 1-32\n"
"characters of a-z 0-9 _ . -, at most 64 per node.\n"
"\n"
"prune checks each derived tag's file by the file handle taken from the\n"
"writer's descriptor when the tag was made, and removes (and records) only\n"
"those whose inode is gone; tags without a handle are kept.\n",
};

const struct subcommand cmd_untag = {
	.name = "untag",
	.run = untag_run,
	.summary = "remove a tag set with trustctl tag",
	.usage =
"usage: trustctl untag PATH\n"
"       trustctl untag --net ADDR:PORT\n"
"\n"
"Removes a tag added with trustctl tag, or a derived tag (a file a\n"
"tainted workload wrote; the removal is recorded). Tags from the policy file are\n"
"removed by editing the policy and loading it. Workloads already tainted\n"
"stay tainted.\n",
};
